// Driver stage: the pipeline, shared by the CLI, the library and the tests.
//
//   source text --Parser--> AST --TypeChecker--> checked AST --ASTToIR--> IR --Verifier
//     --Differentiate--> IR without `grad` (sweeps generated) --Verifier
//
// `Compilation.init` runs the front half. Each command then gathers everything it will
// read of the derivatives (its gradient drivers, the sweeps of `@differentiable`
// functions, tangents) into one `DifferentiationRequests` and differentiates once;
// every consumer of that command reads the one module that comes back.
//
// Every stage's diagnostics are collected; the first stage that reports errors
// stops the pipeline. A verifier failure is a compiler bug and is reported as an
// internal error (exit status 3), never as the user's fault.
import Foundation
import AdjointBasic
import AdjointSyntax
import AdjointSema
import AdjointIR
import AdjointLowering
import AdjointTransforms

/// How a driver operation failed, and so which exit status the CLI uses (spec §9).
public enum DriverError: Error, CustomStringConvertible {
    /// Errors in the user's program or inputs, already rendered: exit status 1.
    case user(String)
    /// A malformed command line: exit status 2.
    case usage(String)
    /// A compiler bug: exit status 3.
    case internalError(String)

    public var exitStatus: Int32 {
        switch self {
        case .user: return 1
        case .usage: return 2
        case .internalError: return 3
        }
    }

    public var description: String {
        switch self {
        case .user(let text): return text
        case .usage(let text): return "error: \(text)\n"
        case .internalError(let text): return "internal error: \(text)\n"
        }
    }
}

/// What one command reads of the derivatives, gathered before the one differentiation. The program's
/// own `grad`s are always differentiated.
public struct DifferentiationRequests: Sendable {
    /// Forward and reverse sweeps to generate (for Swift output's gradient functions, say).
    public var sweeps: [SweepKey] = []
    /// Tangent functions (forward mode) to generate.
    public var tangents: [SweepKey] = []
    /// Functions to add before differentiating: the gradient drivers a command calls (`grad.driver`).
    public var drivers: [Function] = []
    /// The command records the path for `--explain`, which needs each sweep a function of its own.
    public var explains = false

    public init(sweeps: [SweepKey] = [], tangents: [SweepKey] = [], drivers: [Function] = [], explains: Bool = false) {
        self.sweeps = sweeps
        self.tangents = tangents
        self.drivers = drivers
        self.explains = explains
    }

    /// The sweep keys of every `@differentiable` function of `module`, for its marked parameters.
    public static func differentiableFunctions(of module: Module) -> [SweepKey] {
        module.functions.compactMap { f in f.differentiableParameters.map { SweepKey(of: f.name, wrt: $0) } }
    }
}

/// One source file taken through the front end to verified IR, ready to be differentiated.
public struct Compilation {
    public let file: SourceFile
    public let checked: CheckedUnit
    /// The lowered IR, `grad` instructions included, as `--emit ir` prints it.
    public let lowered: Module
    /// Settings of the derivative transforms (tests inject faults through them).
    public let options: DifferentiationOptions

    /// Debug and test builds verify the IR after every pass; release builds after the pipeline.
    #if DEBUG
    static let verifyEachPass = true
    #else
    static let verifyEachPass = false
    #endif

    /// Reads a file from disk; a missing or unreadable file is the user's error.
    public static func load(path: String) throws -> SourceFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DriverError.user("\(path): error: cannot read file\n")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DriverError.user("\(path): error: file is not UTF-8 text\n")
        }
        return SourceFile(path: path, text: text)
    }

    /// Parses, checks, lowers and verifies; throws the rendered diagnostics of the first failing stage.
    public init(_ file: SourceFile, options: DifferentiationOptions = DifferentiationOptions()) throws {
        self.file = file
        self.options = options
        let (unit, syntaxErrors) = Parser.parse(file.text)
        if !syntaxErrors.isEmpty { throw DriverError.user(DiagnosticList(syntaxErrors).rendered(in: file)) }
        checked = TypeChecker.check(unit)
        if !checked.diagnostics.isEmpty {
            throw DriverError.user(DiagnosticList(checked.diagnostics).rendered(in: file))
        }
        let (module, loweringErrors) = ASTToIR.lower(checked)
        if !loweringErrors.isEmpty { throw DriverError.user(DiagnosticList(loweringErrors).rendered(in: file)) }
        lowered = module
    }

    /// The IR that runs: the lowered module with the requested drivers, every `grad` replaced by calls of
    /// generated sweeps, and the requested sweeps and tangents generated; optimized and verified.
    public func differentiate(_ requests: DifferentiationRequests = DifferentiationRequests()) throws -> Module {
        var module = lowered
        module.functions += requests.drivers
        var options = options
        if requests.explains { options.fusesSweeps = false }
        return try Compilation.differentiate(module, file: file, also: requests.sweeps, tangents: requests.tangents,
                                             options: options)
    }

    /// Runs reverse mode over a verified module and verifies the result; `extra` adds sweeps to generate.
    static func differentiate(_ module: Module, file: SourceFile, also extra: [SweepKey] = [],
                              tangents: [SweepKey] = [], options: DifferentiationOptions) throws -> Module {
        do {
            try Verifier.verify(module)
        } catch {
            throw DriverError.internalError("after lowering of \(file.path): \(error)")
        }
        var module = module
        if options.optimize {
            do {
                try Pipeline.run(Pipeline.beforeDifferentiation, on: &module,
                                 verifyEach: options.verifyEach || Compilation.verifyEachPass, printAfter: options.printAfter)
            } catch {
                throw DriverError.internalError("in \(file.path): \(error)")
            }
        }
        var differentiated: Module
        do {
            differentiated = try Differentiate.run(on: module, also: extra, tangents: tangents, options: options)
        } catch let error as DifferentiationError where error.isInternal {
            throw DriverError.internalError("differentiating \(file.path) at \(error.location): \(error.message)")
        } catch let error as DifferentiationError {
            throw DriverError.user(Diagnostic(at: error.location, error.message).rendered(in: file))
        }
        if options.verifyEach {
            do { try Verifier.verify(differentiated) } catch {
                throw DriverError.internalError("after \(Differentiate.name) of \(file.path): \(error)")
            }
        }
        options.printAfter.after(Differentiate.name, differentiated)
        if options.optimize {
            do {
                // Sweeps and fused gradients were optimized as reverse mode made them (before a second order
                // differentiates them in turn): once is enough.
                try Pipeline.run(Pipeline.standard, on: &differentiated,
                                 verifyEach: options.verifyEach || Compilation.verifyEachPass, printAfter: options.printAfter,
                                 skipping: { f in
                                     switch f.role {
                                     case .forwardSweep, .reverseSweep, .vjp: return true
                                     case .primal, .synthesized, .tangent: return false
                                     }
                                 })
            } catch {
                throw DriverError.internalError("in \(file.path): \(error)")
            }
        }
        do {
            try Verifier.verify(differentiated)
        } catch {
            throw DriverError.internalError("after \(Differentiate.name) of \(file.path): \(error)")
        }
        return differentiated
    }

    public init(path: String) throws {
        try self.init(try Compilation.load(path: path))
    }

    /// The pipeline's debugging aids (`compile --verify-each`, `--print-after PASS`): the verifier after every
    /// pass, and the IR after the passes named, handed to `printer`. An unknown pass name is a usage error.
    public init(path: String, verifyEach: Bool, printAfter: [String], printer: @escaping @Sendable (String) -> Void) throws {
        if let unknown = printAfter.first(where: { !Pipeline.passNames.contains($0) }) {
            throw DriverError.usage("--print-after \(unknown): no such pass; the passes are "
                                    + Pipeline.passNames.joined(separator: ", "))
        }
        try self.init(try Compilation.load(path: path),
                      options: DifferentiationOptions(verifyEach: verifyEach,
                                                      printAfter: PassPrinting(passes: Set(printAfter), output: printer)))
    }

    /// The function a command names (`-f NAME`), or the user's error, with the nearest name suggested.
    func userFunction(_ name: String, in module: Module) throws -> Function {
        if let function = module.function(named: name) { return function }
        let known = lowered.functions.map(\.name)
        throw DriverError.user("\(file.path): error: " + NearestName.withSuggestion("no function named '\(name)'", for: name, among: known) + "\n")
    }

    /// The error for an `--arg` or `--wrt` that names no parameter of `function`.
    func noParameter(_ name: String, of function: Function) -> DriverError {
        let message = NearestName.withSuggestion("'\(function.name)' has no parameter named '\(name)'", for: name,
                                                 among: function.parameterNames)
        return DriverError.user("\(file.path): error: \(message)\n")
    }
}
