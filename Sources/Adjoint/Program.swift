// The `Adjoint` library (spec §11): the compiler for a package's own tests, without shelling out.
//
//     let program = try Program(contentsOf: URL(fileURLWithPath: "Sources/Model/loss.adj"))
//     let g = try program.gradient("f", arguments: ["x": "[1, 2, 3]"], exact: true)
//     #expect(g["x"] == Value(exactly: "[4, 8, 12]"))
//
// A thin face over AdjointDriver. The `adjoint` command line is built on this library alone
// (Commands.swift holds what only the tool needs), so both say the same things. Nothing here is
// global or mutable: a Program may be used from concurrent tests.
import Foundation
import AdjointBasic
import AdjointDriver

/// An error of the program or its inputs (`description` is the CLI's text: `FILE:LINE:COL: error: ...`
/// with the source line and a caret), or an internal error of the compiler.
public struct AdjointError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The CLI's exit status for it (spec §9): 1 the program or its inputs, 2 a malformed request
    /// (`--max-bits 0`), 3 a compiler bug.
    public let exitStatus: Int32
    /// A compiler bug rather than something wrong with the program (the CLI's exit status 3).
    public var isInternal: Bool { exitStatus == 3 }

    init(_ error: Error) {
        if let error = error as? AdjointError {
            self = error
        } else if let error = error as? DriverError {
            description = error.description.hasSuffix("\n") ? String(error.description.dropLast()) : error.description
            exitStatus = error.exitStatus
        } else {
            description = "internal error: \(error)"
            exitStatus = 3
        }
    }
}

/// Runs a driver call, turning its errors into `AdjointError`s.
func catching<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw AdjointError(error) }
}

/// A parsed and checked `.adj` file.
public struct Program: @unchecked Sendable {
    // @unchecked: a Compilation is immutable after init (value types all the way down).
    let compilation: Compilation

    /// Reads, parses and checks a file.
    public init(contentsOf url: URL) throws {
        compilation = try catching { try Compilation(path: url.path) }
    }

    /// Reads, parses and checks a file named by a path, which diagnostics repeat as written
    /// (`bad.adj:3:10: error: ...`, as the command line shows it).
    public init(path: String) throws {
        compilation = try catching { try Compilation(path: path) }
    }

    /// `init(path:)` with the pipeline's debugging aids (the command line's `compile --verify-each` and
    /// `--print-after PASS`): the IR verified after every pass, and printed after the passes named.
    public init(path: String, verifyEach: Bool, printAfter: [String] = [],
                printer: @escaping @Sendable (String) -> Void = { _ in }) throws {
        compilation = try catching {
            try Compilation(path: path, verifyEach: verifyEach, printAfter: printAfter, printer: printer)
        }
    }

    /// Parses and checks source text; `name` is the file name diagnostics give.
    public init(source: String, name: String = "program.adj") throws {
        compilation = try catching { try Compilation(SourceFile(path: name, text: source)) }
    }

    private static func arguments(_ given: [String: String]) -> [(name: String, expression: String)] {
        given.sorted { $0.key < $1.key }.map { (name: $0.key, expression: $0.value) }
    }

    /// The value of `function` at `arguments` (constant expressions, as the CLI's `--arg`), in a plain call.
    /// What the program prints goes to `output` (one line per call), or nowhere. `maxBits` bounds exact
    /// mode's rationals. The value of a function that returns nothing is void (`isVoid`).
    public func evaluate(_ function: String, arguments: [String: String] = [:], exact: Bool = false,
                         seed: Int = 0, maxBits: Int = Program.defaultMaxBits,
                         output: @escaping (String) -> Void = { _ in }) throws -> Value {
        try evaluate(function, orderedArguments: Program.arguments(arguments), exact: exact, seed: seed, maxBits: maxBits,
                     output: output)
    }

    /// `evaluate` with the arguments in the order given (the command line's `--arg`s: a later one wins).
    public func evaluate(_ function: String, orderedArguments: [(name: String, expression: String)], exact: Bool = false,
                         seed: Int = 0, maxBits: Int = Program.defaultMaxBits,
                         output: @escaping (String) -> Void = { _ in }) throws -> Value {
        try catching {
            let request = EvalRequest(function: function, arguments: orderedArguments, seed: seed,
                                      engine: exact ? .exact : .double)
            return Value(try withExactLimit(bits: maxBits) { try compilation.evaluate(request, output: output) }.value)
        }
    }

    /// The value of `function` and its gradient with respect to `wrt` (default: the `@differentiable(wrt:)`
    /// parameters, else every Real and Tensor one), for the head gradient `head` (default: ones).
    /// With `explain`, `Gradient.explanation` is `--explain`'s report.
    public func gradient(_ function: String, arguments: [String: String] = [:], wrt: [String]? = nil,
                         head: String? = nil, exact: Bool = false, seed: Int = 0, explain: Bool = false,
                         maxBits: Int = Program.defaultMaxBits, output: @escaping (String) -> Void = { _ in }) throws -> Gradient {
        try gradient(function, orderedArguments: Program.arguments(arguments), wrt: wrt, head: head, exact: exact, seed: seed,
                     explain: explain, maxBits: maxBits, output: output)
    }

    /// `gradient` with the arguments in the order given (the command line's `--arg`s: a later one wins).
    public func gradient(_ function: String, orderedArguments: [(name: String, expression: String)], wrt: [String]? = nil,
                         head: String? = nil, exact: Bool = false, seed: Int = 0, explain: Bool = false,
                         maxBits: Int = Program.defaultMaxBits, output: @escaping (String) -> Void = { _ in }) throws -> Gradient {
        try catching {
            let request = GradRequest(function: function, arguments: orderedArguments, wrt: wrt, head: head,
                                      seed: seed, engine: exact ? .exact : .double, explain: explain)
            let result = try withExactLimit(bits: maxBits) { try compilation.gradient(request, output: output) }
            let values = result.values.map(Value.init)
            return Gradient(value: values[0], components: zip(result.gradients.map(\.name), values.dropFirst()).map { ($0, $1) },
                            json: result.json,
                            explanation: result.explanation?.rendered(function: function, engine: exact ? "exact" : "double"))
        }
    }

    /// `adjoint check`: the dot-product test and finite differences of `function` (default: every
    /// `@differentiable` function); `passed` unless a check failed.
    public func check(_ function: String? = nil, arguments: [String: String] = [:], seed: Int = 0,
                      maxBits: Int = Program.defaultMaxBits) throws -> CheckReport {
        try check(function, orderedArguments: Program.arguments(arguments), seed: seed, maxBits: maxBits)
    }

    /// `check` with the arguments in the order given (the command line's `--arg`s: a later one wins).
    public func check(_ function: String? = nil, orderedArguments: [(name: String, expression: String)], seed: Int = 0,
                      maxBits: Int = Program.defaultMaxBits) throws -> CheckReport {
        try catching {
            let request = CheckRequest(function: function, arguments: orderedArguments, seed: seed)
            let lines = try withExactLimit(bits: maxBits) { try compilation.check(request) }
            return CheckReport(lines: lines.map(\.description), passed: lines.allSatisfy(\.passed),
                               json: "{\"checks\": [" + lines.map(\.json).joined(separator: ", ") + "], "
                                   + "\"passed\": \(lines.allSatisfy(\.passed))}")
        }
    }

    /// Exact mode's default size limit for a rational's numerator or denominator, in bits.
    public static let defaultMaxBits = defaultExactLimitBits
}

/// A function's value and its gradient, one `Value` per differentiated parameter.
public struct Gradient: Sendable {
    public let value: Value
    /// The gradients in parameter order, with the parameters' names.
    public let components: [(name: String, value: Value)]
    /// `{"value": V, "gradient": {...}}`, as `grad --json` prints it.
    public let json: String
    /// `--explain`'s report of the path taken and its one-sided points, when asked for.
    public let explanation: String?

    /// The gradient with respect to one parameter, or nil when it was not differentiated.
    public subscript(parameter: String) -> Value? {
        components.first { $0.name == parameter }?.value
    }
}

/// What `check` found: its lines as the CLI prints them, and whether every check passed.
public struct CheckReport: Sendable {
    public let lines: [String]
    public let passed: Bool
    /// `{"checks": [...], "passed": B}`, as `check --json` prints it.
    public let json: String
}
