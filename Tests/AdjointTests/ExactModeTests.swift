// Exact mode end to end: the chapter's gradients as rationals, and the run-time errors that
// stop exact evaluation instead of rounding, each a user error (exit status 1) at the operation.
import Testing
@testable import AdjointDriver

private let ratioProgram = chapterControlFlowSource + """

func ratio(a: Tensor) -> Bool {
    return grad(g)(a) == g(a) / a
}
"""

@Test(arguments: ["[0.37]", "[-0.37]", "[1.5, 0.5]", "[0.3, -0.4]", "[1e-3, 2e-3]"])
func controlFlowGradientIsRatioExactly(a: String) throws {
    // The two-element inputs have irrational norms (√10, √(1/4)·...), compared with 1000 exactly.
    let result = try compile(ratioProgram).evaluate(
        EvalRequest(function: "ratio", arguments: [("a", a)], engine: .exact)) { _ in }
    #expect(result.printed == "true")
}

@Test func chapterGradientsAsRationals() throws {
    let dot = "func f(x: Tensor) -> Tensor {\n    return 2 * dot(x.T, x)\n}\n"
    let grad = try compile(dot).gradient(GradRequest(function: "f", arguments: [("x", "arange(4).reshape(4, 1)")],
                                                     engine: .exact)) { _ in }
    #expect(grad.gradients[0].json == "[[\"0\"], [\"4\"], [\"8\"], [\"12\"]]")
    let head = "func z(x: Tensor) -> Tensor {\n    let y = 2 * x\n    return y * x\n}\n"
    let vjp = try compile(head).gradient(GradRequest(function: "z", arguments: [("x", "arange(4)")],
                                                     head: "[10, 1, 0.1, 0.01]", engine: .exact)) { _ in }
    #expect(vjp.gradients[0].json == "[\"0\", \"4\", \"4/5\", \"3/25\"]")
}

/// The first line of the user error an exact gradient of `source`'s f at x stops with.
private func exactGradientError(_ source: String, x: String) -> String? {
    do {
        _ = try compile(source).gradient(GradRequest(function: "f", arguments: [("x", x)], engine: .exact)) { _ in }
        return nil
    } catch let error as DriverError {
        guard case .user = error, error.exitStatus == 1 else { return "not a user error: \(error)" }
        return error.description.split(separator: "\n").first.map(String.init)
    } catch {
        return "unexpected \(error)"
    }
}

@Test(arguments: [
    ("func f(x: Real) -> Real {\n    return 2 * exp(x)\n}\n", "1", "test.adj:2:16: runtime error: exact mode cannot evaluate exp"),
    ("func f(x: Real) -> Real {\n    return log(x)\n}\n", "2", "test.adj:2:12: runtime error: exact mode cannot evaluate log"),
    ("func f(x: Real) -> Real {\n    return sin(x) + 1\n}\n", "1/2", "test.adj:2:12: runtime error: exact mode cannot evaluate sin"),
    ("func f(x: Real) -> Real {\n    let r = sqrt(x)\n    return r + 1\n}\n", "2",
     "test.adj:3:14: runtime error: exact mode cannot add an irrational square root"),
    ("func f(x: Real) -> Real {\n    return 1 / (x - 1)\n}\n", "1", "test.adj:2:14: runtime error: division by zero"),
    // sqrt'(0) = 1/(2·sqrt(0)): the reverse sweep divides by zero at the sqrt, and the message names sqrt'(0).
    ("func f(x: Real) -> Real {\n    return sqrt(x) * 3\n}\n", "0",
     "test.adj:2:12: runtime error: sqrt'(0): the derivative of sqrt is infinite at 0"),
    ("func f(x: Tensor) -> Real {\n    return norm(x)\n}\n", "zeros(2)",
     "test.adj:2:12: runtime error: norm'(0): the derivative of norm is undefined at the zero vector"),
    // Through a Real-valued helper (a call: the callee's reverse sweep divides).
    ("func g(y: Real) -> Real {\n    return sqrt(y)\n}\nfunc f(x: Real) -> Real {\n    return g(x * x)\n}\n", "0",
     "test.adj:2:12: runtime error: sqrt'(0): the derivative of sqrt is infinite at 0"),
])
func exactModeStopsAtTheOperation(source: String, x: String, expected: String) {
    #expect(exactGradientError(source, x: x) == expected)
}

@Test func floatModeFollowsIEEE() throws {
    let source = "func f(x: Real) -> Real {\n    return sqrt(x) * 3\n}\n"
    let result = try compile(source).gradient(GradRequest(function: "f", arguments: [("x", "0")])) { _ in }
    #expect(result.gradients[0].json == "\"inf\"")
}
