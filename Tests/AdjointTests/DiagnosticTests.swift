// Diagnostics tests: malformed programs and the exact error each one reports (spec §9).
//
// Every case is a small source text and the first line of its rendered diagnostics,
// `test.adj:LINE:COL: error: MESSAGE`. The location is the first character of what is
// wrong: the unexpected token, a binary operation's operator, a call's callee name, an
// unterminated comment's or string's opening delimiter, a mistyped initializer's (or
// argument's) expression. A few cases check the whole rendering (source line and caret),
// the recovery that reports several errors of one file in order, and the absence of
// echoes (a second error that only repeats the first). The last tests run the `adjoint`
// executable for its exit statuses and its stderr.

import Foundation
import Testing
import AdjointBasic
@testable import AdjointDriver

/// One malformed program and the first line of what it must report.
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    let name: String
    let source: String
    let firstLine: String

    init(_ name: String, _ source: String, _ firstLine: String) {
        self.name = name
        self.source = source
        self.firstLine = firstLine
    }

    var testDescription: String { name }
}

/// The rendered diagnostics of `source` compiled as `test.adj`, or nil when it compiles.
private func renderedErrors(_ source: String) -> String? {
    do {
        _ = try Compilation(SourceFile(path: "test.adj", text: source))
        return nil
    } catch DriverError.user(let text) {
        return text
    } catch {
        return "not a user error: \(error)"
    }
}

/// The `FILE:LINE:COL: error: MESSAGE` lines of a rendering (source lines, carets and notes left out).
private func errorLines(_ rendered: String) -> [String] {
    rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        .filter { $0.hasPrefix("test.adj:") && $0.contains(": error: ") }
}

// MARK: - Lexical errors

private let lexicalCases: [DiagnosticCase] = [
    DiagnosticCase("unexpected character", "func f() {\n  let x = 1 $ 2\n}\n",
                   "test.adj:2:13: error: unexpected character '$'"),
    DiagnosticCase("unexpected non-ASCII character", "func f() {\n  let é = 1\n}\n",
                   "test.adj:2:7: error: unexpected character 'é'"),
    DiagnosticCase("unterminated string at its opening quote", "func main() {\n  print(\"abc)\n}\n",
                   "test.adj:2:9: error: unterminated string literal"),
    DiagnosticCase("invalid escape at its backslash", "func main() {\n  print(\"a\\qb\")\n}\n",
                   "test.adj:2:11: error: invalid escape in string; use \\\", \\\\, \\n or \\t"),
    DiagnosticCase("unterminated nested comment at its outer opening",
                   "func f() {}\n  /* outer /* inner */ still open\nfunc g() {}\n",
                   "test.adj:2:3: error: unterminated comment"),
    DiagnosticCase("comments nest: a stray closer after a closed nested comment",
                   "/* a /* b */ */ */\nfunc f() {}\n",
                   "test.adj:1:17: error: expected 'func', found '*'"),
    DiagnosticCase("exponent without digits", "func f() -> Real {\n  return 1e\n}\n",
                   "test.adj:2:10: error: malformed number '1e'"),
    DiagnosticCase("digits run into a name", "func f(x: Real) -> Real {\n  return 2x + 1\n}\n",
                   "test.adj:2:10: error: malformed number '2x'"),
    DiagnosticCase("hexadecimal is not a number form", "func f() -> Int {\n  return 0x10\n}\n",
                   "test.adj:2:10: error: malformed number '0x10'"),
    DiagnosticCase("integer one past Int.max", "func f() -> Int {\n  return 9223372036854775808\n}\n",
                   "test.adj:2:10: error: integer literal '9223372036854775808' does not fit in 64 bits"),
    DiagnosticCase("huge decimal exponent", "func f() -> Real {\n  return 1e99999\n}\n",
                   "test.adj:2:10: error: number literal is too large (at most 1000 digits and exponent 1000)"),
    DiagnosticCase("attribute without a name", "@\nfunc f() {}\n",
                   "test.adj:1:1: error: expected attribute name after '@'"),
]

// MARK: - Syntax errors

private let syntaxCases: [DiagnosticCase] = [
    DiagnosticCase("missing ')' after arguments: the token found instead",
                   "func f(x: Real) -> Real {\n  return sin(x\n}\n",
                   "test.adj:3:1: error: expected ')' after arguments, found '}'"),
    DiagnosticCase("missing ')' after parameters", "func f(x: Real {\n}\n",
                   "test.adj:1:16: error: expected ')' after parameters, found '{'"),
    DiagnosticCase("missing ')' after a parenthesized expression",
                   "func f(x: Real) -> Real {\n  return (x + 1]\n}\n",
                   "test.adj:2:16: error: expected ')' after expression, found ']'"),
    DiagnosticCase("missing '{' of a function body", "func f(x: Real) -> Real\n  return x\n}\n",
                   "test.adj:1:24: error: expected '{', found newline"),
    DiagnosticCase("missing '{' of an if", "func f(x: Real) -> Real {\n  if x > 0 return x\n  return 0\n}\n",
                   "test.adj:2:12: error: expected '{', found 'return'"),
    DiagnosticCase("missing '}' before the next function", "func f() {\n  print(1)\nfunc g() {\n}\n",
                   "test.adj:3:1: error: expected '}' to end the block"),
    DiagnosticCase("bad type name", "func f(x: Float) -> Real {\n  return x\n}\n",
                   "test.adj:1:11: error: expected type 'Real', 'Int', 'Bool' or 'Tensor', found 'Float'"),
    DiagnosticCase("missing result type", "func f() -> {\n}\n",
                   "test.adj:1:13: error: expected type 'Real', 'Int', 'Bool' or 'Tensor', found '{'"),
    DiagnosticCase("missing ':' in a parameter", "func f(x Real) {\n}\n",
                   "test.adj:1:10: error: expected ':' after parameter name, found 'Real'"),
    DiagnosticCase("chained comparison at the second operator",
                   "func f(a: Real, b: Real, c: Real) -> Bool {\n  return a < b < c\n}\n",
                   "test.adj:2:16: error: comparison operators cannot be chained; use '&&'"),
    DiagnosticCase("unused expression at its first character", "func f(x: Real) {\n  x + 1\n}\n",
                   "test.adj:2:3: error: unused expression; only a call can stand alone as a statement"),
    DiagnosticCase("assignment to a call", "func f(x: Real) {\n  sin(x) = 2\n}\n",
                   "test.adj:2:3: error: cannot assign to this expression; expected a name or an indexed name"),
    DiagnosticCase("assignment to a parenthesized sum", "func f(x: Real) {\n  (x + 1) = 2\n}\n",
                   "test.adj:2:3: error: cannot assign to this expression; expected a name or an indexed name"),
    DiagnosticCase("var without type or value", "func f() {\n  var x\n}\n",
                   "test.adj:2:7: error: 'var x' needs a type or an initial value"),
    DiagnosticCase("two statements on one line", "func f() {\n  let x = 1 let y = 2\n}\n",
                   "test.adj:2:13: error: expected newline or ';' after statement, found 'let'"),
    DiagnosticCase("operator without a right operand", "func f(x: Real) -> Real {\n  return x * * 2\n}\n",
                   "test.adj:2:14: error: expected expression, found '*'"),
    DiagnosticCase("statement outside a function", "let x = 1\n",
                   "test.adj:1:1: error: expected 'func', found 'let'"),
    DiagnosticCase("unknown attribute", "@inline\nfunc f() {}\n",
                   "test.adj:1:1: error: unknown attribute '@inline'"),
    DiagnosticCase("for without 'in'", "func f() {\n  for i 0..<3 {\n  }\n}\n",
                   "test.adj:2:9: error: expected 'in' after loop variable, found '0'"),
    DiagnosticCase("for without a range operator", "func f() {\n  for i in 3 {\n  }\n}\n",
                   "test.adj:2:14: error: expected '..<' or '...' after range start, found '{'"),
    DiagnosticCase("grad with an unknown option",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc main() {\n  print(grad(f, bogus: 1)(2.0))\n}\n",
                   "test.adj:5:17: error: expected 'wrt:' or 'head:' in 'grad'"),
    DiagnosticCase("grad with 'wrt:' twice",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc main() {\n  print(grad(f, wrt: x, wrt: x)(1))\n}\n",
                   "test.adj:5:25: error: 'wrt:' is given twice in 'grad'"),
    DiagnosticCase("grad option without ':'",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc main() {\n  print(grad(f, wrt)(1))\n}\n",
                   "test.adj:5:20: error: expected ':' after 'wrt', found ')'"),
    DiagnosticCase("grad without a function", "func main() {\n  print(grad()(1))\n}\n",
                   "test.adj:2:14: error: expected a function name in 'grad', found ')'"),
    DiagnosticCase("grad(f) not applied",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc main() {\n  let g = grad(f)\n}\n",
                   "test.adj:5:18: error: expected '(' with arguments after 'grad(...)', found newline"),
]

// MARK: - Semantic errors

private let semanticCases: [DiagnosticCase] = [
    DiagnosticCase("undefined name", "func f(x: Real) -> Real {\n  return y\n}\n",
                   "test.adj:2:10: error: undefined name 'y'"),
    DiagnosticCase("mistyped initializer at the expression's first character",
                   "func f(x: Real) -> Real {\n  let b: Bool = x + 1\n  return x\n}\n",
                   "test.adj:2:17: error: cannot assign Real to 'b' of type Bool"),
    DiagnosticCase("Real does not convert to Int", "func f(x: Real) -> Int {\n  let i: Int = x\n  return i\n}\n",
                   "test.adj:2:16: error: cannot assign Real to 'i' of type Int"),
    DiagnosticCase("Real assigned to an Int variable",
                   "func f(x: Real) -> Int {\n  var i: Int = 0\n  i = x * 2\n  return i\n}\n",
                   "test.adj:3:7: error: cannot assign Real to 'i' of type Int"),
    DiagnosticCase("Int accumulator of Reals suggests 0.0",
                   "func f(x: Tensor) -> Real {\n  var s = 0\n  for i in 0..<size(x) {\n    s += x[i]\n  }\n  return s\n}\n",
                   "test.adj:4:10: error: 's' is an Int (declared from an integer literal) and cannot hold a Real; declare it with '0.0'"),
    DiagnosticCase("assignment to a let", "func f(x: Real) -> Real {\n  let y = x\n  y = 2\n  return y\n}\n",
                   "test.adj:3:3: error: cannot assign to constant 'y'; declare a copy with 'var'"),
    DiagnosticCase("assignment to a parameter", "func f(x: Real) -> Real {\n  x += 1\n  return x\n}\n",
                   "test.adj:2:3: error: cannot assign to parameter 'x'; declare a copy with 'var'"),
    DiagnosticCase("break outside a loop", "func f() {\n  break\n}\n",
                   "test.adj:2:3: error: 'break' outside a loop"),
    DiagnosticCase("continue outside a loop", "func f(x: Real) {\n  if x > 0 {\n    continue\n  }\n}\n",
                   "test.adj:3:5: error: 'continue' outside a loop"),
    DiagnosticCase("missing return at the closing brace",
                   "func f(x: Real) -> Real {\n  if x > 0 {\n    return x\n  }\n}\n",
                   "test.adj:5:1: error: missing return in 'f', which returns Real"),
    DiagnosticCase("return without a value", "func f(x: Real) -> Real {\n  return\n}\n",
                   "test.adj:2:3: error: missing return value"),
    DiagnosticCase("read before assignment on one path",
                   "func f(x: Real) -> Real {\n  var y: Real\n  if x > 0 {\n    y = 1\n  }\n  return y\n}\n",
                   "test.adj:6:10: error: 'y' is read before it is assigned"),
    DiagnosticCase("duplicate function at the second name",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc f(y: Real) -> Real {\n  return y\n}\n",
                   "test.adj:4:6: error: function 'f' is defined twice"),
    DiagnosticCase("redeclaration in one scope", "func f() {\n  let a = 1\n  var a = 2.0\n}\n",
                   "test.adj:3:7: error: 'a' is already declared in this scope"),
    DiagnosticCase("too few arguments to a user function",
                   "func g(a: Real, b: Real) -> Real {\n  return a + b\n}\nfunc f(x: Real) -> Real {\n  return 2 * g(x)\n}\n",
                   "test.adj:5:14: error: 'g' takes 2 arguments, but 1 was given"),
    DiagnosticCase("too many arguments to a built-in", "func f(x: Real) -> Real {\n  return sin(x, x)\n}\n",
                   "test.adj:2:10: error: 'sin' takes 1 argument, but 2 were given"),
    DiagnosticCase("argument type at the argument's first character",
                   "func g(a: Tensor) -> Real {\n  return sum(a)\n}\nfunc f(x: Real) -> Real {\n  return g(x + 1)\n}\n",
                   "test.adj:5:12: error: argument 1 of 'g' must be Tensor, not Real"),
    DiagnosticCase("Real argument where a built-in takes an Int", "func f() -> Tensor {\n  return arange(2.5)\n}\n",
                   "test.adj:2:17: error: argument 1 of 'arange' must be an Int, not Real"),
    DiagnosticCase("unknown argument label",
                   "func g(a: Real) -> Real {\n  return a\n}\nfunc f() -> Real {\n  return g(b: 1)\n}\n",
                   "test.adj:5:12: error: 'g' has no argument labelled 'b'"),
    DiagnosticCase("binary operator types at the operator", "func f(x: Real) -> Bool {\n  return x && true\n}\n",
                   "test.adj:2:12: error: operator '&&' cannot combine Real and Bool"),
    DiagnosticCase("index that is not an Int", "func f(t: Tensor) -> Real {\n  return t[1.5]\n}\n",
                   "test.adj:2:12: error: index must be Int, not Real"),
    DiagnosticCase("indexing a Real", "func f(x: Real) -> Real {\n  return 2 * x[0]\n}\n",
                   "test.adj:2:14: error: indexed value must be Tensor, not Real"),
    DiagnosticCase("range bound that is not an Int", "func f(x: Real) {\n  for i in 0..<x {\n  }\n}\n",
                   "test.adj:2:16: error: range bound must be Int, not Real"),
    DiagnosticCase("grad wrt an Int parameter",
                   "func g(a: Real, n: Int) -> Real {\n  return a\n}\nfunc f(x: Real) -> Real {\n  return grad(g, wrt: n)(x, 2)\n}\n",
                   "test.adj:5:23: error: cannot differentiate with respect to 'n': it is Int, not Real or Tensor"),
    DiagnosticCase("@differentiable wrt an Int parameter",
                   "@differentiable(wrt: n)\nfunc g(a: Real, n: Int) -> Real {\n  return a\n}\n",
                   "test.adj:1:22: error: cannot differentiate with respect to 'n': it is Int, not Real or Tensor"),
    DiagnosticCase("@differentiable without any differentiable parameter",
                   "@differentiable\nfunc g(n: Int) -> Real {\n  return 1\n}\n",
                   "test.adj:2:6: error: cannot differentiate 'g': it has no Real or Tensor parameter"),
    DiagnosticCase("grad wrt an unknown parameter",
                   "func f(x: Real) -> Real {\n  return x\n}\nfunc main() {\n  print(grad(f, wrt: q)(1))\n}\n",
                   "test.adj:5:22: error: 'f' has no parameter named 'q'"),
    DiagnosticCase("grad wrt one parameter twice",
                   "func h(x: Real, y: Real) -> Real {\n  return x * y\n}\nfunc main() {\n  let (a, b) = grad(h, wrt: x, x)(1.0, 2)\n}\n",
                   "test.adj:5:32: error: 'x' is named twice in 'wrt:'"),
    DiagnosticCase("a tuple of gradients bound to one name",
                   "func h(x: Real, y: Real) -> Real {\n  return x * y\n}\nfunc main() {\n  let t = grad(h, wrt: x, y)(1.0, 2)\n}\n",
                   "test.adj:5:11: error: this pattern binds 1 name, but the value has 2 elements"),
    DiagnosticCase("grad of a non-elementwise built-in", "func f(x: Tensor) -> Tensor {\n  return grad(sum)(x)\n}\n",
                   "test.adj:2:15: error: 'sum' cannot be differentiated; 'grad' takes a user function or an elementwise built-in"),
    DiagnosticCase("direct recursion at the recursive call", "func f(x: Real) -> Real {\n  return f(x)\n}\n",
                   "test.adj:2:10: error: recursion is not supported: 'f' calls 'f'"),
    DiagnosticCase("mutual recursion at the call that closes the cycle",
                   "func f(x: Real) -> Real {\n  return g(x)\n}\nfunc g(x: Real) -> Real {\n  return f(x) * 2\n}\n",
                   "test.adj:5:10: error: recursion is not supported: 'f' calls 'g' calls 'f'"),
    DiagnosticCase("condition that is not Bool at its first character",
                   "func f(x: Real) -> Real {\n  if x + 1 {\n    return 1\n  }\n  return 2\n}\n",
                   "test.adj:2:6: error: condition must be Bool, not Real"),
    DiagnosticCase("string outside print", "func f(x: Real) -> Real {\n  let s = \"hi\"\n  return x\n}\n",
                   "test.adj:2:11: error: string literals are allowed only as 'print' arguments"),
    DiagnosticCase("ragged tensor literal at the odd row", "func f() -> Tensor {\n  return [[1, 2], [3]]\n}\n",
                   "test.adj:2:19: error: rows of a tensor literal must have the same shape"),
    DiagnosticCase("empty tensor literal", "func f() -> Tensor {\n  return []\n}\n",
                   "test.adj:2:10: error: a tensor literal needs at least one element"),
    DiagnosticCase("unknown function at the callee name", "func f(x: Real) -> Real {\n  return 1 + foo(x)\n}\n",
                   "test.adj:2:14: error: no function named 'foo'"),
    DiagnosticCase("value returned from a void function", "func f(x: Real) {\n  return x * 2\n}\n",
                   "test.adj:2:10: error: this function returns nothing; remove the value"),
    DiagnosticCase("result of a void function used",
                   "func show(x: Real) {\n  print(x)\n}\nfunc f(x: Real) -> Real {\n  let y = show(x)\n  return x\n}\n",
                   "test.adj:5:11: error: 'show' returns nothing; its result cannot be used"),
    DiagnosticCase("returned value of the wrong type", "func f(x: Real) -> Int {\n  return x / 2\n}\n",
                   "test.adj:2:10: error: cannot return Real from a function that returns Int"),
]

@Test(arguments: lexicalCases + syntaxCases + semanticCases)
func reportsTheFirstErrorExactly(_ testCase: DiagnosticCase) throws {
    let rendered = try #require(renderedErrors(testCase.source), "\(testCase.name) compiled without an error")
    let first = rendered.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
    #expect(first == testCase.firstLine, "\(testCase.name)")
}

/// An error and nothing else: a follow-on error that only repeats it is not reported.
@Test(arguments: [
    "func f() {\n  let x = 1 $ 2\n}\n",                                      // the skipped '$' leaves `1 2`
    "func main() {\n  print(\"abc)\n}\n",                                   // the string swallowed the ')'
    "func f() {\n  /* open\n  print(1)\n}\n",                                // the comment swallowed the '}'
    "func f() -> Real {\n  let x = 1e\n  return 2\n}\n",                      // a malformed number is still a number
    "func f(x: Real) -> Real {\n  return y\n}\n",                           // no 'missing return' after it
    "func f(x: Real) -> Int {\n  let i: Int = x\n  return i + 1\n}\n",        // 'i' is still declared, as an Int
    "func f(x: Real) -> Real {\n  let t = foo(x)\n  return t * 2\n}\n",       // 't' of unknown type is not echoed
    "func f(x: Real) -> Real {\n  let t = sin(x, x)\n  if t > 0 {\n    return t\n  }\n  return t\n}\n",
])
func reportsOneErrorWithoutEchoes(_ source: String) throws {
    let rendered = try #require(renderedErrors(source))
    #expect(errorLines(rendered).count == 1, "\(rendered)")
}

// MARK: - Recovery: several errors of one file, in source order

@Test func syntaxErrorsInSeparateStatementsAreAllReported() throws {
    let source = """
        func f(x: Real) -> Real {
          let a = x * * 2
          let b: Float = x
          var c
          return x
        }
        func g( {
        }

        """
    let rendered = try #require(renderedErrors(source))
    #expect(errorLines(rendered) == [
        "test.adj:2:15: error: expected expression, found '*'",
        "test.adj:3:10: error: expected type 'Real', 'Int', 'Bool' or 'Tensor', found 'Float'",
        "test.adj:4:7: error: 'var c' needs a type or an initial value",
        "test.adj:7:9: error: expected parameter name, found '{'",
    ])
}

@Test func semanticErrorsInSeparateStatementsAreAllReported() throws {
    let source = """
        func f(x: Real) -> Real {
          let a = x + unknown
          let b = 2.0
          b = 3
          if x > 0 {
            break
          }
          return a + b
        }

        """
    let rendered = try #require(renderedErrors(source))
    #expect(errorLines(rendered) == [
        "test.adj:2:15: error: undefined name 'unknown'",
        "test.adj:4:3: error: cannot assign to constant 'b'; declare a copy with 'var'",
        "test.adj:6:5: error: 'break' outside a loop",
    ])
}

@Test func lexicalErrorsOnSeveralLinesAreAllReported() throws {
    let rendered = try #require(renderedErrors("func f() {\n  let a = 2x\n  let b = 0x1\n  let c = 1 # 2\n}\n"))
    #expect(errorLines(rendered) == [
        "test.adj:2:11: error: malformed number '2x'",
        "test.adj:3:11: error: malformed number '0x1'",
        "test.adj:4:13: error: unexpected character '#'",
    ])
}

// MARK: - Whole renderings

@Test func renderingShowsTheSourceLineAndACaret() throws {
    let rendered = try #require(renderedErrors("func f(x: Real) -> Real {\n    return x +* 2\n}\n"))
    #expect(rendered == """
        test.adj:2:15: error: expected expression, found '*'
            return x +* 2
                      ^

        """)
}

@Test func renderingOfTheIntAccumulatorHasANoteAtTheDeclaration() throws {
    let source = "func f(x: Tensor) -> Real {\n  var s = 0\n  for i in 0..<size(x) {\n    s += x[i]\n  }\n  return s\n}\n"
    let rendered = try #require(renderedErrors(source))
    #expect(rendered == """
        test.adj:4:10: error: 's' is an Int (declared from an integer literal) and cannot hold a Real; declare it with '0.0'
            s += x[i]
                 ^
        test.adj:2:11: note: 's' is declared here
          var s = 0
                  ^

        """)
}

@Test func renderingOfAnUnclosedBlockPointsBackAtItsBrace() throws {
    let rendered = try #require(renderedErrors("func f() {\n  print(1)\nfunc g() {\n}\n"))
    #expect(rendered == """
        test.adj:3:1: error: expected '}' to end the block
        func g() {
        ^
        test.adj:1:10: note: to match this '{'
        func f() {
                 ^

        """)
}

@Test func renderingOfAnUnterminatedCommentPointsAtItsOpening() throws {
    let rendered = try #require(renderedErrors("func f() {}\n\t/* outer /* inner */ still open\n"))
    #expect(rendered == "test.adj:2:2: error: unterminated comment\n\t/* outer /* inner */ still open\n\t^\n")
}

// MARK: - Well-formed programs and limits

@Test func intConvertsToRealWherever() throws {
    let source = """
        func g(a: Real) -> Real {
          return a * 2
        }
        func f(n: Int) -> Real {
          let r: Real = n
          var s = 0.0
          s += n
          s = n + 1
          return g(n) + r + s
        }

        """
    #expect(renderedErrors(source) == nil)
}

@Test func elseMayStandOnTheLineAfterTheBrace() throws {
    let source = """
        func f(x: Real) -> Real {
          if x > 0 {
            return 1
          }
          else if x < 0 {
            return -1
          }

          else {
            return 0
          }
        }

        """
    #expect(renderedErrors(source) == nil)
}

@Test func deepNestingIsAnErrorNotACrash() throws {
    let parens = "func f(x: Real) -> Real {\n  return " + String(repeating: "(", count: 300) + "x"
        + String(repeating: ")", count: 300) + "\n}\n"
    let nested = try #require(renderedErrors(parens))
    #expect(errorLines(nested).first?.hasSuffix("error: nesting too deep") == true)

    // 1000 additions are the longest chain: the 1000th '+' stands at column 4 * 1000 + 8.
    let sum = "func f(x: Real) -> Real {\n  return x" + String(repeating: " + x", count: 1500) + "\n}\n"
    let long = try #require(renderedErrors(sum))
    #expect(errorLines(long) == [
        "test.adj:2:4008: error: expression is too long or too deeply nested; split it into several statements",
    ])
    let chain = "func f(x: Tensor) -> Tensor {\n  return x" + String(repeating: ".T", count: 5000) + "\n}\n"
    #expect(errorLines(try #require(renderedErrors(chain))).count == 1)

    let elseIfs = "func f(x: Real) -> Real {\n  if x > 0 {\n    return 1\n  }"
        + String(repeating: " else if x > 0 {\n    return 1\n  }", count: 1000) + "\n  return x\n}\n"
    #expect(errorLines(try #require(renderedErrors(elseIfs))).first?.hasSuffix("error: nesting too deep") == true)
}

@Test func longCallChainsAndCyclesAreHandledWithoutDeepRecursion() throws {
    func chain(_ n: Int, closedBy last: String) -> String {
        var source = ""
        for i in 0..<n { source += "func f\(i)(x: Real) -> Real {\n  return f\(i + 1)(x)\n}\n" }
        return source + "func f\(n)(x: Real) -> Real {\n  return \(last)\n}\n"
    }
    #expect(renderedErrors(chain(100, closedBy: "x")) == nil)
    // A cycle through 20001 functions: found without deep recursion, reported once, its middle elided.
    let n = 20000
    let cycle = try #require(renderedErrors(chain(n, closedBy: "f0(x)")))
    #expect(errorLines(cycle) == [
        "test.adj:\(3 * n + 2):10: error: recursion is not supported: 'f0' calls 'f1' calls 'f2' calls ... "
            + "calls 'f\(n - 1)' calls 'f\(n)' calls 'f0'",
    ])
}

// MARK: - The executable: exit statuses and stderr

/// The built `adjoint` executable: next to the test bundle, or in the package's `.build/debug`.
private func adjointExecutable() -> URL? {
    var candidates: [URL] = []
    var directory = Bundle.main.bundleURL
    for _ in 0..<4 {
        candidates.append(directory.appendingPathComponent("adjoint"))
        directory.deleteLastPathComponent()
    }
    if let executable = Bundle.main.executableURL {
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("adjoint"))
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/adjoint"))
    return candidates.first { url in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: url.path)
    }
}

/// Runs `adjoint` with `arguments` in `directory`; its exit status, stdout and stderr.
private func runAdjoint(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
    let executable = try #require(adjointExecutable(), "the adjoint executable was not found; run `swift build` first")
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
    let err = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: out)
    let errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    return (process.terminationStatus, stdout, stderr)
}

/// A fresh directory holding `ok.adj` (f(x) = 2x) and `bad.adj` (an unexpected character).
private func scratchDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-diagnostics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try "func f(x: Real) -> Real {\n  return x * 2\n}\n"
        .write(to: directory.appendingPathComponent("ok.adj"), atomically: true, encoding: .utf8)
    try "func f(x: Real) -> Real {\n  let y = x $ 2\n  return x\n}\n"
        .write(to: directory.appendingPathComponent("bad.adj"), atomically: true, encoding: .utf8)
    return directory
}

struct ExitStatusCase: Sendable, CustomTestStringConvertible {
    let name: String
    let arguments: [String]
    let status: Int32
    var testDescription: String { name }
}

@Test(arguments: [
    ExitStatusCase(name: "success", arguments: ["eval", "ok.adj", "-f", "f", "--arg", "x=3"], status: 0),
    ExitStatusCase(name: "a program error", arguments: ["compile", "bad.adj", "--emit", "ir"], status: 1),
    ExitStatusCase(name: "a missing file", arguments: ["eval", "missing.adj", "-f", "f", "--arg", "x=1"], status: 1),
    ExitStatusCase(name: "a missing function", arguments: ["eval", "ok.adj", "-f", "nope"], status: 1),
    ExitStatusCase(name: "--arg naming an unknown parameter",
                   arguments: ["eval", "ok.adj", "-f", "f", "--arg", "y=3"], status: 1),
    ExitStatusCase(name: "a bad --arg expression", arguments: ["eval", "ok.adj", "-f", "f", "--arg", "x=1 +"], status: 1),
    ExitStatusCase(name: "an unknown option", arguments: ["eval", "ok.adj", "-f", "f", "--bogus"], status: 2),
    ExitStatusCase(name: "--arg without '='", arguments: ["eval", "ok.adj", "-f", "f", "--arg", "x"], status: 2),
])
func executableExitStatus(_ testCase: ExitStatusCase) throws {
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try runAdjoint(testCase.arguments, in: directory)
    #expect(result.status == testCase.status, "\(testCase.name): stderr \(result.stderr)")
    if testCase.status == 0 {
        #expect(result.stdout == "6.0\n")
        #expect(result.stderr.isEmpty)
    } else {
        #expect(!result.stderr.isEmpty, "\(testCase.name): an error goes to stderr")
    }
}

@Test func executableReportsLocatedErrorsOnStderr() throws {
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try runAdjoint(["compile", "bad.adj", "--emit", "ir"], in: directory)
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr == "bad.adj:2:13: error: unexpected character '$'\n  let y = x $ 2\n            ^\n")
}

@Test func gradWrtAnIntParameterPointsAtItsDeclaration() throws {
    let directory = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try "func f(x: Real, k: Int) -> Real {\n  return x * real(k)\n}\n"
        .write(to: directory.appendingPathComponent("int.adj"), atomically: true, encoding: .utf8)
    let result = try runAdjoint(["grad", "int.adj", "-f", "f", "--wrt", "k", "--arg", "x=2", "--arg", "k=3"], in: directory)
    #expect(result.status == 1)
    #expect(result.stderr == "int.adj:1:17: error: cannot differentiate with respect to 'k': it is Int, not Real or Tensor\n"
            + "func f(x: Real, k: Int) -> Real {\n                ^\n")
}

// MARK: - The nearest known name (issue 16's diagnostics)

@Test func unknownNamesSuggestTheNearestKnownOne() throws {
    let source = "func softplus(value: Real) -> Real {\n    return log(1 + exp(value))\n}\n"
    #expect(renderedErrors(source.replacingOccurrences(of: "exp(value)", with: "exp(vlaue)")).map(errorLines)?.first
            == "test.adj:2:24: error: undefined name 'vlaue'; did you mean 'value'?")
    #expect(renderedErrors(source + "func f(x: Real) -> Real {\n    return sigmod(x)\n}\n").map(errorLines)?.first
            == "test.adj:5:12: error: no function named 'sigmod'; did you mean 'sigmoid'?")
    #expect(renderedErrors(source + "func f(x: Real) -> Real {\n    return softpluss(x)\n}\n").map(errorLines)?.first
            == "test.adj:5:12: error: no function named 'softpluss'; did you mean 'softplus'?")
    #expect(renderedErrors(source + "func f(x: Real) -> Real {\n    return grad(sofplus)(x)\n}\n").map(errorLines)?.first
            == "test.adj:5:17: error: no function named 'sofplus'; did you mean 'softplus'?")
    // Nothing near: no suggestion; short names suggest nothing (every short name is near another).
    #expect(renderedErrors(source + "func f(x: Real) -> Real {\n    return zzzzzz(x)\n}\n").map(errorLines)?.first
            == "test.adj:5:12: error: no function named 'zzzzzz'")
    #expect(renderedErrors("func f(x: Real) -> Real {\n  return y\n}\n").map(errorLines)?.first
            == "test.adj:2:10: error: undefined name 'y'")
    // The command line's names: -f, --arg and --wrt.
    let compilation = try compile(source)
    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }
    #expect(message { _ = try compilation.evaluate(EvalRequest(function: "softplu", arguments: [])) { _ in } }
            == "test.adj: error: no function named 'softplu'; did you mean 'softplus'?\n")
    #expect(message { _ = try compilation.evaluate(EvalRequest(function: "softplus", arguments: [(name: "vlue", expression: "1")])) { _ in } }
            == "test.adj: error: 'softplus' has no parameter named 'vlue'; did you mean 'value'?\n")
    #expect(message { _ = try compilation.gradient(GradRequest(function: "softplus", arguments: [(name: "value", expression: "1")],
                                                               wrt: ["valeu"])) { _ in } }
            == "test.adj: error: 'softplus' has no parameter named 'valeu'; did you mean 'value'?\n")
}

@Test func optionErrorsSpeakOfTheOption() throws {
    let compilation = try compile("func f(x: Tensor) -> Tensor {\n    return 2 * x\n}\n")
    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }
    func eval(_ x: String) -> String? {
        message { _ = try compilation.evaluate(EvalRequest(function: "f", arguments: [(name: "x", expression: x)])) { _ in } }
    }
    #expect(eval("2") == "error: --arg x: expected a Tensor, got an Int (write [2] for a one-element tensor)\n")
    #expect(eval("0.5") == "error: --arg x: expected a Tensor, got a Real (write [0.5] for a one-element tensor)\n")
    #expect(eval("true") == "error: --arg x: expected a Tensor, got a Bool\n")
    // An unclosed `[` is reported at the end of the option's text, not as the wrapper's missing `}`.
    #expect(eval("[1, 2") == "--arg x:1:6: error: expected ']' after tensor elements, found the end of --arg x\n[1, 2\n     ^\n")
    func grad(head: String) -> String? {
        message { _ = try compilation.gradient(GradRequest(function: "f", arguments: [(name: "x", expression: "[1, 2, 3]")],
                                                           head: head)) { _ in } }
    }
    #expect(grad(head: "[1, 2]") == "error: --head: shape [2] does not match the result of 'f', shape [3] (give a Real, or a tensor of that shape)\n")
    #expect(grad(head: "true") == "error: --head: expected a Tensor, got a Bool\n")
    #expect(grad(head: "2") == nil)
    #expect(grad(head: "[1, 0, 2]") == nil)
}
