// Syntax tests: literals stay exact, newlines end statements only where the spec says.
import Testing
import AdjointBasic
@testable import AdjointSyntax

@Test(arguments: [
    ("0.1", "1", "10"), (".5", "1", "2"), ("2.", "2", "1"), ("1e-3", "1", "1000"), ("2.5e+4", "25000", "1"),
    ("0.250", "1", "4"), ("42", "42", "1"), ("0.0", "0", "1"), ("1e-20", "1", "100000000000000000000"),
])
func decimalLiteralsAreExactFractions(text: String, numerator: String, denominator: String) {
    let fraction = DecimalDigits.fraction(ofLiteral: text)
    #expect(fraction?.numerator == numerator)
    #expect(fraction?.denominator == denominator)
}

@Test func decimalTextRoundsOnce() {
    #expect(DecimalDigits.decimalText(numerator: "1", denominator: "10") == "1e-1")
    #expect(DecimalDigits.decimalText(numerator: "-3", denominator: "4") == "-75e-2")
    #expect(DecimalDigits.decimalText(numerator: "1", denominator: "3") == nil)
    #expect(Double(DecimalDigits.decimalText(numerator: "1", denominator: "10")!) == 0.1)
}

private func kinds(_ text: String) -> [String] {
    Lexer.tokenize(text).tokens.map { $0.kind == .newline ? "NL" : $0.text }.filter { !$0.isEmpty }
}

@Test func rangesAndMethodCallsSplitNumbers() {
    #expect(kinds("0..<n") == ["0", "..<", "n", "NL"])
    #expect(kinds("1...3") == ["1", "...", "3", "NL"])
    #expect(kinds("4.reshape(2)") == ["4", ".", "reshape", "(", "2", ")", "NL"])
    #expect(kinds("x.5") == ["x", ".", "5", "NL"])
}

@Test func newlinesContinueInsideBracketsAndAfterOperators() {
    #expect(kinds("f(a,\n b)\n") == ["f", "(", "a", ",", "b", ")", "NL"])
    #expect(kinds("a +\n b\n") == ["a", "+", "b", "NL"])
    #expect(kinds("[1,\n 2]\nx") == ["[", "1", ",", "2", "]", "NL", "x", "NL"])
    #expect(kinds("a\n+ b") == ["a", "NL", "+", "b", "NL"])
}

@Test func nestedCommentsAreSkipped() {
    #expect(kinds("a /* x /* y */ z */ b") == ["a", "b", "NL"])
}

@Test func powerBindsTighterThanUnaryMinus() {
    let (unit, diagnostics) = Parser.parse("func f(x: Real) -> Real {\n    return -x ^ 2\n}\n")
    #expect(diagnostics.isEmpty)
    guard case .returnValue(let value?) = unit.functions[0].body.statements[0].kind,
          case .unary(.negate, let operand) = value.kind, case .binary(.power, _, _) = operand.kind else {
        Issue.record("expected -(x ^ 2)")
        return
    }
}

@Test func gradFormsParse() {
    let source = """
    func f(x: Real, y: Real) -> Real {
        return x * y
    }
    func main() {
        let (a, b) = grad(f, wrt: x, y, head: 2)(1, 2)
        print(grad(grad(sin))(0.5), a, b)
    }
    """
    let (unit, diagnostics) = Parser.parse(source)
    #expect(diagnostics.isEmpty)
    guard case .letBinding(let names, _, let value) = unit.functions[1].body.statements[0].kind,
          case .gradCall(let grad, let args) = value.kind else {
        Issue.record("expected a grad call")
        return
    }
    #expect(names.map(\.name) == ["a", "b"])
    #expect(grad.wrt?.map(\.name) == ["x", "y"])
    #expect(grad.head != nil)
    #expect(args.count == 2)
}
