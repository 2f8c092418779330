// Evaluation tests: `adjoint eval` values against values worked out independently, in both engines,
// and runtime errors located at the operation that failed.
import Testing
import AdjointBasic
@testable import AdjointDriver

private let chapter = chapterControlFlowSource + """
func f(x: Tensor) -> Tensor {
    return 2 * dot(x.T, x)
}

func z(x: Tensor) -> Tensor {
    let y = 2 * x
    return y * x
}
"""

@Test func chapterFirstExample() throws {
    // xᵀx = 0 + 1 + 4 + 9 = 14, so y = [[28]].
    let result = try evaluate(chapter, "f", [("x", "arange(4).reshape(4, 1)")])
    #expect(result.printed == "[[28.0]]")
    #expect(result.json == "[[28.0]]")
    let exact = try evaluate(chapter, "f", [("x", "arange(4).reshape(4, 1)")], engine: .exact)
    #expect(exact.json == "[[\"28\"]]")
}

@Test func chapterControlFlow() throws {
    // 0.74 doubles 11 times to 1515.52 (≥ 1000): g(a) = 2^12 a. Exactly: 4096 · 37/100 = 37888/25.
    #expect(try evaluate(chapter, "g", [("a", "[0.37]")]).json == "[1515.52]")
    #expect(try evaluate(chapter, "g", [("a", "[0.37]")], engine: .exact).json == "[\"37888/25\"]")
    // A negative input takes the other branch: 100 · 2^12 · (-0.37).
    #expect(try evaluate(chapter, "g", [("a", "[-0.37]")], engine: .exact).json == "[\"-3788800/25\"]".replacingOccurrences(of: "3788800/25", with: "151552"))
    // Two elements with an irrational norm: b = [3, 1]·2^k stops when 2^k·√10 ≥ 1000, i.e. k = 9 (2^9·√10 ≈ 1619),
    // so g(a) = [3, 1]·512.
    #expect(try evaluate(chapter, "g", [("a", "[1.5, 0.5]")], engine: .exact).json == "[\"1536\", \"512\"]")
}

@Test func chapterHeadExample() throws {
    // z = 2x² at x = [[0], [1], [2], [3]].
    #expect(try evaluate(chapter, "z", [("x", "arange(4).reshape(4, 1)")]).printed == "[[ 0.0]\n [ 2.0]\n [ 8.0]\n [18.0]]")
}

@Test func exactDecimalLiterals() throws {
    let source = "func f() -> Bool {\n    return 0.1 + 0.2 == 0.3\n}\n"
    #expect(try evaluate(source, "f").printed == "false")
    #expect(try evaluate(source, "f", engine: .exact).printed == "true")
    let sum = "func f(x: Real) -> Real {\n    return x + 0.2\n}\n"
    #expect(try evaluate(sum, "f", [("x", "0.1")], engine: .exact).json == "\"3/10\"")
    #expect(try evaluate(sum, "f", [("x", "0.1")]).json == "0.30000000000000004")
}

@Test func argumentsConvertAndPrint() throws {
    let source = """
    func h(x: Real, n: Int, flag: Bool, t: Tensor) -> Real {
        if flag { print("n is", n) }
        return x * real(n) + sum(t)
    }
    """
    let result = try evaluate(source, "h", [("x", "2"), ("n", "3"), ("flag", "true"), ("t", "[[1, 2], [3, 4]]")])
    #expect(result.printed == "16.0")
    #expect(result.output == ["n is 3"])
}

@Test func nonFiniteJSON() throws {
    let source = "func f(x: Real) -> Tensor {\n    return [x / 0, -x / 0, log(-1.0)]\n}\n"
    #expect(try evaluate(source, "f", [("x", "1")]).json == "[\"inf\", \"-inf\", \"nan\"]")
}

@Test func seededRandomIsReproducible() throws {
    let source = "func f() -> Tensor {\n    return random_normal(3)\n}\n"
    let a = try evaluate(source, "f", seed: 7).printed
    #expect(a == (try evaluate(source, "f", seed: 7).printed))
    #expect(a != (try evaluate(source, "f", seed: 8).printed))
}

@Test func isTrainingIsFalseInAPlainCall() throws {
    let source = "func f(x: Real) -> Real {\n    if is_training() { return 1 }\n    return 0\n}\n"
    #expect(try evaluate(source, "f", [("x", "1")]).printed == "0.0")
}

@Test func oneElementTensorServesAsReal() throws {
    // dot of two vectors is a rank-0 tensor; where a Real is expected it converts.
    let source = "func f(x: Tensor) -> Real {\n    return 2 * dot(x, x)\n}\n"
    #expect(try evaluate(source, "f", [("x", "arange(4)")]).printed == "28.0")
}

// MARK: - Runtime errors

private func runtimeError(_ source: String, _ function: String, _ arguments: [(String, String)] = [],
                          engine: Engine = .double) -> String? {
    do {
        _ = try evaluate(source, function, arguments, engine: engine)
        return nil
    } catch {
        return "\(error)".split(separator: "\n").first.map(String.init)
    }
}

@Test func runtimeErrorsAreLocated() {
    #expect(runtimeError("func f(x: Tensor) -> Real {\n    return x[4]\n}\n", "f", [("x", "arange(4)")])
            == "test.adj:2:13: runtime error: index 4 is out of range for axis 0 of size 4")
    #expect(runtimeError("func f(x: Tensor) -> Tensor {\n    return x + [1, 2]\n}\n", "f", [("x", "arange(3)")])
            == "test.adj:2:14: runtime error: shapes [3] and [2] cannot be broadcast")
    #expect(runtimeError("func f(x: Tensor) -> Real {\n    var y = x\n    y[-1] = 2\n    return sum(y)\n}\n", "f",
                         [("x", "arange(3)")])
            == "test.adj:3:11: runtime error: index -1 is out of range for axis 0 of size 3")
    #expect(runtimeError("func f(x: Tensor) -> Real {\n    return x\n}\n", "f", [("x", "arange(3)")])
            == "test.adj:2:12: runtime error: expected a Real, got a Tensor of shape [3]")
    #expect(runtimeError("func f(n: Int) -> Int {\n    return n % 0\n}\n", "f", [("n", "3")])
            == "test.adj:2:14: runtime error: remainder by zero")
}

@Test func exactModeStopsInsteadOfRounding() {
    #expect(runtimeError("func f(x: Real) -> Real {\n    return 1 + sin(x)\n}\n", "f", [("x", "1")], engine: .exact)
            == "test.adj:2:16: runtime error: exact mode cannot evaluate sin")
    #expect(runtimeError("func f(x: Real) -> Real {\n    return x / 0\n}\n", "f", [("x", "1")], engine: .exact)
            == "test.adj:2:14: runtime error: division by zero")
    #expect(runtimeError("func f(x: Real) -> Real {\n    return sqrt(x) + 1\n}\n", "f", [("x", "2")], engine: .exact)
            == "test.adj:2:20: runtime error: exact mode cannot add an irrational square root")
}

@Test func badArgumentsAreUserErrors() {
    #expect(runtimeError(chapter, "f", [("y", "1")])?.contains("has no parameter named 'y'") == true)
    #expect(runtimeError(chapter, "f", [])?.contains("missing --arg x=EXPR") == true)
    #expect(runtimeError(chapter, "f", [("x", "arange(")])?.hasPrefix("--arg x:1:8: error: expected expression") == true)
    #expect(runtimeError(chapter, "nope", [])?.contains("no function named 'nope'") == true)
}

@Test func differentiableWrtIsTheDefaultOfGrad() throws {
    // Spec §7: `@differentiable(wrt: z)` is the default `--wrt` of grad, as it is of check and fGradient.
    let source = "@differentiable(wrt: z)\nfunc f(x: Real, z: Real) -> Real {\n    return x * z\n}\n"
    let request = GradRequest(function: "f", arguments: [(name: "x", expression: "2"), (name: "z", expression: "3")],
                              engine: .exact)
    #expect(try compile(source).gradient(request) { _ in }.json == #"{"value": "6", "gradient": {"z": "2"}}"#)
    var both = request
    both.wrt = ["x", "z"]
    #expect(try compile(source).gradient(both) { _ in }.json == #"{"value": "6", "gradient": {"x": "3", "z": "2"}}"#)
}
