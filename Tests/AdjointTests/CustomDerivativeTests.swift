// Custom derivatives (`@derivative(of:)`, spec §7) and tuple results: reverse mode calls the
// derivative given by hand wherever it differentiates a call of the function (grad, nested grad,
// exact mode, generated Swift), forward mode and `check` still differentiate the body, and every
// declaration error is located. The examples/custom_*.adj programs are run by the example tests.
import Foundation
import Testing
import AdjointIR
import AdjointInterpreter
import AdjointTransforms
@testable import AdjointDriver

private let cube = """
func cube(x: Real) -> Real {
    return x * x * x
}

@derivative(of: cube)
func cube_vjp(x: Real, head: Real) -> Real {
    return head * 5 * x * x
}

func uses(x: Real, y: Real) -> Real {
    return cube(x * y) + y
}
"""

private func exactGradient(_ source: String, _ function: String, _ arguments: [(String, String)],
                           wrt: [String]? = nil) throws -> [String] {
    let result = try compile(source).gradient(GradRequest(function: function, arguments: arguments.map { (name: $0.0, expression: $0.1) },
                                                          wrt: wrt, engine: .exact)) { _ in }
    return [result.value.printed] + result.gradients.map(\.printed)
}

@Test func reverseModeCallsTheCustomDerivative() throws {
    // cube_vjp is deliberately not cube's derivative (5x² instead of 3x²), so its use is visible.
    #expect(try exactGradient(cube, "cube", [("x", "2")]) == ["8", "20"])
    // Inside another function: d/dx cube(xy) = 5(xy)²·y, d/dy = 5(xy)²·x + 1.
    #expect(try exactGradient(cube, "uses", [("x", "1"), ("y", "2")]) == ["10", "40", "21"])
    // Double interpreter and exact agree.
    let double = try compile(cube).gradient(GradRequest(function: "uses", arguments: [("x", "1"), ("y", "2")])) { _ in }
    #expect(double.gradients.map(\.printed) == ["40.0", "21.0"])
}

@Test func nestedGradDifferentiatesTheCustomDerivativesBody() throws {
    let source = cube + """

    func slope(x: Real) -> Real {
        return grad(cube)(x)
    }
    """
    // grad(cube) is cube_vjp(x, 1) = 5x²; its derivative is 10x, from cube_vjp's body.
    #expect(try exactGradient(source, "slope", [("x", "3")]) == ["45", "30"])
    let second = try evaluate(source + "\nfunc main() {\n    print(grad(grad(cube))(3))\n}\n", "main", engine: .exact)
    #expect(second.output == ["30"])
}

@Test func exactModeUsesTheCustomDerivative() throws {
    let url = packageRoot.appendingPathComponent("examples/custom_straight_through.adj")
    let source = try String(contentsOf: url, encoding: .utf8)
    // Straight through: floor passes its head; d/ds = Σ 2r·(round(w/s) - w/s) = 1/5.
    #expect(try exactGradient(source, "loss", [("w", "[0.3, -1.2, 2.6]"), ("s", "1/2")]) == ["1/2", "[1 0 1]", "1/5"])
    #expect(try exactGradient(source, "round_ste", [("x", "[0.3, 2.5]")]) == ["[0 3]", "[1 1]"])
}

@Test func generatedGradientFunctionUsesTheCustomDerivative() throws {
    let url = packageRoot.appendingPathComponent("examples/custom_gradient_clipping.adj")
    let compilation = try Compilation(path: url.path)
    let source = try compilation.swiftSource(includeRuntime: false, entryPoint: false)
    #expect(source.contains("public func predict(w: Tensor) -> (Tensor, Double)"))
    let main = """
    let g = lossGradient(w: [1, 2])
    print(g.value, g.w.scalars)
    let u = unclipped_lossGradient(w: [1, 2])
    print(u.w.scalars)
    let (prediction, error) = predict(w: [1, 2])
    print(prediction.scalars, error)
    """
    let (status, output) = try buildAndRun(["clipping.swift": source, "runtime.swift": try Compilation.runtimeFile(),
                                            "main.swift": main], name: "custom")
    try #require(status == 0, "\(output.prefix(3000))")
    #expect(output == "56.5 [1.0, -1.0]\n[7.0, -1.0]\n[1.0, 2.0, 3.0] 56.5\n")
}

@Test func checkComparesTheCustomDerivativeWithTheBody() throws {
    // cube_vjp is wrong: the dot-product test against forward mode (which differentiates cube's body) fails
    // and names it; a right one passes.
    let lines = try compile(cube).check(CheckRequest(function: "uses", arguments: [(name: "x", expression: "1"),
                                                                                   (name: "y", expression: "2")]))
    #expect(lines[0].check == "dot-product test (exact)")
    #expect(!lines[0].passed)
    #expect(lines[0].detail.hasSuffix("; the reverse sweep uses custom derivative 'cube_vjp' (6:6) of 'cube'"))
    let right = cube.replacingOccurrences(of: "head * 5 * x * x", with: "head * 3 * x * x")
    let passing = try compile(right).check(CheckRequest(function: "uses", arguments: [(name: "x", expression: "1"),
                                                                                      (name: "y", expression: "2")]))
    #expect(passing.allSatisfy { $0.passed })
    #expect(passing.allSatisfy { !$0.detail.contains("custom derivative") })
}

@Test func anIterativeSolversCustomDerivativeRecordsNothing() throws {
    // The forward sweep of newton_sqrt calls it and records nothing; through its 40 steps, one value per step.
    let url = packageRoot.appendingPathComponent("examples/custom_newton_sqrt.adj")
    let compilation = try Compilation(path: url.path)
    let module = try compilation.differentiate(DifferentiationRequests(
        sweeps: [SweepKey(of: "newton_sqrt", wrt: [0]), SweepKey(of: "newton_sqrt_unrolled", wrt: [0])]))
    func taped(_ name: String) throws -> (entries: Int, gradient: Double) {
        var interpreter = Interpreter<Double>(module: module) { _ in }
        _ = try interpreter.call("\(name).fwd.0", [Value<Double>.real(2)])
        let entries = interpreter.tapes.values.reduce(0) { $0 + $1.count }
        guard case .tuple(let g) = try interpreter.call("\(name).rev.0", [Value<Double>.real(1), Value<Double>.real(2)]),
              case .real(let d) = g[0] else { throw CocoaError(.featureUnsupported) }
        return (entries, d)
    }
    let custom = try taped("newton_sqrt"), unrolled = try taped("newton_sqrt_unrolled")
    #expect(custom.entries == 0)
    #expect(unrolled.entries >= 40)
    #expect(abs(custom.gradient - 1 / (2 * 2.0.squareRoot())) < 1e-15)
    #expect(abs(unrolled.gradient - custom.gradient) < 1e-15)
}

@Test func explainReportsThePathWithACustomDerivative() throws {
    let url = packageRoot.appendingPathComponent("examples/custom_straight_through.adj")
    let source = try String(contentsOf: url, encoding: .utf8)
    // w/s + 1/2 = 1 at w = 1/4: floor meets its kink in quantize's body, but quantize_vjp gives quantize's
    // derivative, so that kink does not apply: the report names the custom derivative instead.
    let result = try compile(source).gradient(GradRequest(function: "loss", arguments: [("w", "[0.25, 1, 2]"), ("s", "1/2")],
                                                          engine: .exact, explain: true)) { _ in }
    let text = result.explanation!.rendered(function: "loss", engine: "exact")
    #expect(text.contains("  custom derivatives (the derivative is the one each gives):\n"
                          + "    custom derivative 'quantize_vjp' (31:6) of 'quantize'\n"), "\(text)")
    #expect(!text.contains("floor"), "\(text)")
    #expect(result.gradients.map(\.printed) == ["[1 4 0]", "1/2"])
}

@Test func customDerivativeErrorsAreLocated() throws {
    let cases: [(String, String)] = [
        ("""
         func f(x: Real, n: Int) -> Real {
             return x * n
         }
         @derivative(of: f)
         func df(x: Real, head: Real) -> Real {
             return head
         }
         """, """
         test.adj:5:6: error: custom derivative 'df' of 'f' must have the signature (x: Real, n: Int, head: Real) -> Real: \
         'f's parameters, then the head, returning the gradient of each Real and Tensor parameter
         """),
        ("@derivative(of: sin)\nfunc d(x: Real, head: Real) -> Real {\n    return head\n}\n",
         "test.adj:1:17: error: 'sin' is a built-in function; '@derivative(of:)' names a function of this program"),
        ("func softplus(x: Real) -> Real {\n    return x\n}\n@derivative(of: sofplus)\nfunc d(x: Real, head: Real) -> Real {\n    return head\n}\n",
         "test.adj:4:17: error: no function named 'sofplus'; did you mean 'softplus'?"),
        ("""
         func f(x: Real) -> Real {
             return x
         }
         @derivative(of: f)
         func d1(x: Real, head: Real) -> Real {
             return head
         }
         @derivative(of: f)
         func d2(x: Real, head: Real) -> Real {
             return head
         }
         """, "test.adj:8:1: error: 'f' already has a custom derivative, 'd1'"),
        ("""
         func g(x: Real) -> Real {
             return x * x
         }
         @derivative(of: g)
         func dg(x: Real, head: Real) -> Real {
             return head * grad(g)(x)
         }
         """, "test.adj:4:1: error: recursion through custom derivative 'dg': it differentiates 'g', whose reverse sweep calls 'dg' again for 'g'"),
        ("func f(x: Real) -> Int {\n    return 1\n}\n@derivative(of: f)\nfunc d(x: Real, head: Int) -> Real {\n    return 0\n}\n",
         "test.adj:4:17: error: 'f' returns Int; only a function returning Real or Tensor can have a custom derivative"),
    ]
    for (source, first) in cases {
        let text = try #require(diagnostics(of: source))
        #expect(text.split(separator: "\n").first.map(String.init) == first)
    }
    // The signature error has a note at f; the duplicate at the first derivative.
    let signature = try #require(diagnostics(of: cases[0].0))
    #expect(signature.contains("test.adj:1:6: note: 'f' is declared here"))
    let duplicate = try #require(diagnostics(of: cases[3].0))
    #expect(duplicate.contains("test.adj:4:1: note: the first is 'd1', here"))
    let recursion = try #require(diagnostics(of: cases[4].0))
    #expect(recursion.contains("test.adj:6:24: note: 'g' is differentiated here"))
}

// MARK: - Tuple results

private let tuples = """
func pair(x: Real, y: Tensor) -> (Tensor, Real) {
    return (y * x, 2)
}

func usepair(x: Real, y: Tensor) -> Real {
    let (a, b) = pair(x, y)
    return sum(a) * b * x
}
"""

@Test func tupleResultsInEveryEngine() throws {
    #expect(try evaluate(tuples, "pair", [("x", "2"), ("y", "[1, 2]")]).printed == "([2.0 4.0], 2.0)")
    #expect(try evaluate(tuples, "pair", [("x", "1/2"), ("y", "[1, 2]")], engine: .exact).json == "[[\"1/2\", \"1\"], \"2\"]")
    // usepair = 2·x²·sum(y): d/dx = 4x·sum(y), d/dy = 2x² each.
    #expect(try exactGradient(tuples, "usepair", [("x", "1/2"), ("y", "[1, 2]")]) == ["3/2", "6", "[1/2 1/2]"])
    let source = try compile(tuples).swiftSource(includeRuntime: false, entryPoint: false)
    #expect(source.contains("public func pair(x: Double, y: Tensor) -> (Tensor, Double) {"))
    #expect(source.contains("(v2, 2.0)"))
}

@Test func tuplesAreNotStoredOrPassed() throws {
    let stored = try #require(diagnostics(of: tuples + "\nfunc h(x: Real) -> Real {\n    let t = pair(x, [1])\n    return x\n}\n"))
    #expect(stored.hasPrefix("test.adj:10:13: error: this pattern binds 1 name, but the value has 2 elements"))
    let passed = try #require(diagnostics(of: "func h(x: Real) -> Real {\n    return sin((x, x))\n}\n"))
    #expect(passed.hasPrefix("test.adj:2:16: error: a tuple can only be returned, or destructured with 'let (a, b) = ...'; it cannot be stored or passed"))
    let differentiated = try #require(diagnostics(of: tuples + "\nfunc h(x: Real) -> Tensor {\n    return grad(pair)(x, [1])\n}\n"))
    #expect(differentiated.contains("error: cannot differentiate 'pair': its result is a tuple (Tensor, Real), not Real or Tensor"))
}
