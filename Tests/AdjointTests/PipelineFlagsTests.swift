// The pipeline's debugging aids on `compile` (issue 14): `--verify-each` runs the verifier after every
// pass and names the pass whose output is wrong; `--print-after PASS` prints the IR after it.
import Foundation
import Testing
import AdjointIR
import AdjointBasic
@testable import AdjointDriver
@testable import AdjointTransforms

@Test("compile --verify-each passes over every example", arguments: adjFiles(in: "examples").map(\.lastPathComponent))
func verifyEachOverTheExamples(name: String) throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString).swift")
    defer { try? FileManager.default.removeItem(at: output) }
    let (status, text) = try runAdjoint(["compile", packageRoot.appendingPathComponent("examples/\(name)").path,
                                         "--verify-each", "-o", output.path])
    #expect(status == 0, "\(text)")
}

@Test func verifyEachOverTheCorpus() throws {
    // Every reverse-mode corpus function, differentiated with the verifier after every pass.
    for c in reverseModeCorpus {
        let compilation = try Compilation(SourceFile(path: "corpus.adj", text: c.source),
                                          options: DifferentiationOptions(verifyEach: true))
        let f = try #require(compilation.lowered.function(named: c.function))
        let wrt = f.parameterTypes.indices.filter { f.parameterTypes[$0].isDifferentiable }
        let key = SweepKey(of: c.function, wrt: wrt)
        _ = try compilation.differentiate(DifferentiationRequests(sweeps: [key], tangents: [key]))
    }
}

@Test func verifyEachNamesTheStepThatBrokeTheIR() throws {
    // A deliberately broken differentiation (a use of a value no instruction defines) is caught right after it.
    let broken = DifferentiationOptions(rewrite: { module in
        guard let i = module.functions.firstIndex(where: \.role.isReverseSweep) else { return }
        let undefined = module.functions[i].makeValue(.real)
        module.functions[i].blocks[0].terminator = .ret(undefined)
    }, verifyEach: true)
    #expect {
        _ = try Compilation(SourceFile(path: "t.adj", text: "func f(x: Real) -> Real {\n    return grad(sin)(x)\n}\n"),
                            options: broken).differentiate()
    } throws: { error in
        guard case DriverError.internalError(let message) = error else { return false }
        return message.hasPrefix("after differentiate of t.adj")
    }
}

@Test func printAfterShowsTheIRAfterAPass() throws {
    let path = packageRoot.appendingPathComponent("examples/chapter_dot.adj").path
    let (status, output) = try runAdjoint(["compile", path, "--emit", "adjoint-ir", "--print-after", "dead-code"])
    #expect(status == 0)
    #expect(output.contains("// IR after dead-code\n@differentiable(0)\nfunc @f(x: Tensor) -> Tensor"))
    let (bad, message) = try runAdjoint(["compile", path, "--print-after", "nope"])
    #expect(bad == 2)
    #expect(message == "error: --print-after nope: no such pass; the passes are common-subexpressions-keeping-points, "
            + "differentiate, simplify, common-subexpressions, dead-code, jump-threading, merge-blocks, fuse-loops\n")
}

@Test("compile differentiates once, whatever it emits", arguments: ["swift", "adjoint-ir", "tangent-ir"])
func compileDifferentiatesOnce(form: String) throws {
    // `--print-after differentiate` prints the module each time the driver differentiates: a counter the whole
    // command line shows. The program has a `grad` of its own and a `@differentiable` function, so Swift output
    // needs both the program's sweeps and the gradient API's, gathered into the one differentiation.
    let path = packageRoot.appendingPathComponent("examples/chapter_control_flow.adj").path
    let (status, output) = try runAdjoint(["compile", path, "--emit", form, "--print-after", "differentiate"])
    #expect(status == 0, "\(output)")
    #expect(output.components(separatedBy: "// IR after differentiate\n").count - 1 == 1)
}

@Test func rolesSurviveTheIRText() throws {
    // The differentiated module printed and parsed again: every function has the role it was generated with.
    let path = packageRoot.appendingPathComponent("examples/exercise2_newton.adj").path
    let compilation = try Compilation(path: path)
    let module = try compilation.differentiate(DifferentiationRequests(
        sweeps: DifferentiationRequests.differentiableFunctions(of: compilation.lowered)))
    #expect(module.functions.contains { $0.role.isReverseSweep })
    let parsed = try IRParser.parse(IRPrinter.print(module))
    #expect(parsed.functions.map(\.role) == module.functions.map(\.role))
}
