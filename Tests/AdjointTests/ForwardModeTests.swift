// Forward mode and `adjoint check`: tangents agree with adjoints by the dot-product test,
// exactly on rational paths, over the whole reverse-mode corpus; the check can fail; every
// example passes it.
import Foundation
import Testing
import AdjointTransforms
import AdjointBasic
@testable import AdjointDriver

@Test("tangent and adjoint agree by the dot-product test", arguments: reverseModeCorpus)
func dotProductTest(c: GradCase) throws {
    let compilation = try compile(c.source)
    let lines = try compilation.check(CheckRequest(function: c.function,
                                                   arguments: c.arguments.map { (name: $0.name, expression: $0.text) }))
    let dot = try #require(lines.first { $0.check.hasPrefix("dot-product test") })
    #expect(dot.passed, "\(dot)")
    if c.rational {
        // On a rational path the test is exact: equality, not closeness.
        #expect(dot.check == "dot-product test (exact)", "\(dot)")
    }
}

@Test func aWrongAdjointRuleIsCaught() throws {
    let source = "@differentiable\nfunc f(x: Real, y: Real) -> Real {\n    return sin(x) * y\n}\n"
    let clean = try compile(source).check(CheckRequest(arguments: [("x", "0.5"), ("y", "2")]))
    #expect(clean.allSatisfy { $0.passed })
    // A test-only fault: the adjoint of sin gets the wrong sign; the tangent rule stays right.
    let faulty = try Compilation(SourceFile(path: "test.adj", text: source),
                                 options: DifferentiationOptions.sinAdjointSign)
    let lines = try faulty.check(CheckRequest(arguments: [("x", "0.5"), ("y", "2")]))
    #expect(lines.contains { $0.check.hasPrefix("dot-product test") && !$0.passed })
    #expect(lines.contains { $0.check.hasPrefix("finite differences") && !$0.passed })
}

@Test func checkExitsOneWhenACheckFails() throws {
    // sin(1e8 x) turns many times within the step: a disagreement that no point and no change of path explains.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-check-\(UUID().uuidString).adj")
    try "func f(x: Real) -> Real {\n    return sin(100000000 * x)\n}\n".write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let (status, output) = try runAdjoint(["check", url.path, "-f", "f", "--arg", "x=1"])
    #expect(status == 1)
    #expect(output.contains("finite differences (double)") && output.contains("FAILED"))
    // floor is flat with derivative 0 by convention, and a central difference across x = 1 jumps: at the
    // integer the component is not comparable, named with its point, and the check passes.
    try "func f(x: Real) -> Real {\n    return floor(x)\n}\n".write(to: url, atomically: true, encoding: .utf8)
    let (kinkStatus, kinkOutput) = try runAdjoint(["check", url.path, "-f", "f", "--arg", "x=1"])
    #expect(kinkStatus == 0)
    #expect(kinkOutput.contains("at 2:12 floor at an integer (convention: floor' = 0); excludes x: not comparable"))
}

@Test("adjoint check passes on every example", arguments: adjFiles(in: "examples").map(\.lastPathComponent))
func examplesPassCheck(name: String) throws {
    let url = packageRoot.appendingPathComponent("examples/\(name)")
    let source = try String(contentsOf: url, encoding: .utf8)
    // `// check: --arg P=EXPR ...` beside the program gives the arguments.
    let arguments = expectations(in: source, prefix: "// check: ").flatMap { line in
        line.components(separatedBy: "--arg ").dropFirst().map { piece -> (name: String, expression: String) in
            let text = piece.trimmingCharacters(in: .whitespaces)
            let equals = text.firstIndex(of: "=")!
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
    }
    // `// check fails: NAME ...`: a function whose custom derivative is, on purpose, not its body's derivative
    // (a straight-through estimator, gradient clipping): check must fail there and name the custom derivative.
    let failing = Set(expectations(in: source, prefix: "// check fails: ").map { String($0.split(separator: " ")[0]) })
    let lines = try Compilation(path: url.path).check(CheckRequest(arguments: arguments))
    #expect(!lines.isEmpty)
    for line in lines where !failing.contains(line.function) { #expect(line.passed, "\(line)") }
    for name in failing {
        let failed = lines.filter { $0.function == name && !$0.passed }
        #expect(!failed.isEmpty, "\(name) was expected to fail its check")
        #expect(failed.allSatisfy { $0.detail.contains("the reverse sweep uses custom derivative") }, "\(failed)")
    }
}

@Test func tangentIRIsPrinted() throws {
    let source = "@differentiable\nfunc f(x: Real) -> Real {\n    return x * x\n}\n"
    let text = try Stage.tangentIR.emit(try compile(source))
    #expect(text.contains("func @f.jvp.0(x: Real, dx: Real) -> (Real, Real)"))
}
