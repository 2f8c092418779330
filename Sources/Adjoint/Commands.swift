// The `Adjoint` library: what the `adjoint` command line needs beyond a package's tests: the
// forms `compile --emit` prints, compiled runs and gradients, and plots. The command line is
// built on these and on Program's evaluate, gradient and check, nothing else.
import Foundation
import AdjointDriver

extension Program {
    /// What `compile --emit` can print.
    public enum Form: String, CaseIterable, Sendable {
        case swift, runtime, ir
        case adjointIR = "adjoint-ir"
        case tangentIR = "tangent-ir"

        var stage: Stage { Stage(rawValue: rawValue)! }
    }

    /// The file the program was read from (or the name it was given).
    public var path: String { compilation.file.path }

    /// The names of the program's functions, in source order.
    public var functionNames: [String] { compilation.lowered.functions.map(\.name) }

    /// The program in one of the forms `compile --emit` prints.
    public func emit(_ form: Form) throws -> String {
        try catching { try form.stage.emit(compilation) }
    }

    /// The generated Swift, without the runtime and without a call of `main()` when asked (for a
    /// module that compiles several generated files together with the runtime).
    public func swiftSource(includeRuntime: Bool = true, entryPoint: Bool = true) throws -> String {
        try catching { try compilation.swiftSource(includeRuntime: includeRuntime, entryPoint: entryPoint) }
    }

    /// The runtime the generated Swift calls, as one file.
    public static func runtimeSource() throws -> String {
        try catching { try Compilation.runtimeFile() }
    }

    /// Builds the generated Swift with `swiftc -O` and runs `main()`, whose output goes to this process's
    /// standard output; the child's exit status.
    public func runCompiled(seed: Int = 0) throws -> Int32 {
        try catching { try compilation.runCompiled(seed: seed) }
    }

    /// `grad --compiled`: the gradient computed by the generated Swift, as `--json` prints it, and
    /// `--explain`'s report when asked for.
    public func compiledGradient(_ function: String, orderedArguments: [(name: String, expression: String)],
                                 wrt: [String]? = nil, head: String? = nil, seed: Int = 0,
                                 explain: Bool = false) throws -> (json: String, explanation: String?) {
        try catching {
            let request = GradRequest(function: function, arguments: orderedArguments, wrt: wrt, head: head, seed: seed,
                                      explain: explain)
            let (json, report) = try compilation.gradientCompiled(request)
            return (json, report?.rendered(function: function, engine: "compiled"))
        }
    }

    /// An SVG drawing of a Real -> Real function over [from, to], and of its derivative when asked.
    public func plot(_ function: String, from: Double, to: Double, points: Int = 200,
                     derivative: Bool = false) throws -> String {
        try catching {
            try compilation.plot(PlotRequest(function: function, from: from, to: to, points: points, derivative: derivative))
        }
    }
}
