// The `Adjoint` library (spec §11): the compiler for a package's own tests, without shelling out.
//
//     let program = try Program(contentsOf: URL(fileURLWithPath: "Sources/Model/loss.adj"))
//     let g = try program.gradient("f", arguments: ["x": "[1, 2, 3]"], exact: true)
//     #expect(g["x"] == Value(exactly: "[4, 8, 12]"))
//
// A thin face over AdjointDriver, which the CLI uses too, so both say the same things. Nothing
// here is global or mutable: a Program may be used from concurrent tests.
import Foundation
import AdjointBasic
import AdjointDriver

/// An error of the program or its inputs (`description` is the CLI's text: `FILE:LINE:COL: error: ...`
/// with the source line and a caret), or an internal error of the compiler.
public struct AdjointError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// A compiler bug rather than something wrong with the program (the CLI's exit status 3).
    public let isInternal: Bool

    init(_ error: Error) {
        if let error = error as? DriverError {
            description = error.description.hasSuffix("\n") ? String(error.description.dropLast()) : error.description
            isInternal = error.exitStatus == 3
        } else {
            description = "\(error)"
            isInternal = true
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

    /// Parses and checks source text; `name` is the file name diagnostics give.
    public init(source: String, name: String = "program.adj") throws {
        compilation = try catching { try Compilation(SourceFile(path: name, text: source)) }
    }

    private static func arguments(_ given: [String: String]) -> [(name: String, expression: String)] {
        given.sorted { $0.key < $1.key }.map { (name: $0.key, expression: $0.value) }
    }

    /// The value of `function` at `arguments` (constant expressions, as the CLI's `--arg`), in a plain call.
    public func evaluate(_ function: String, arguments: [String: String] = [:], exact: Bool = false,
                         seed: Int = 0) throws -> Value {
        try catching {
            let request = EvalRequest(function: function, arguments: Program.arguments(arguments), seed: seed,
                                      engine: exact ? .exact : .double)
            return Value(try compilation.evaluate(request) { _ in }.value)
        }
    }

    /// The value of `function` and its gradient with respect to `wrt` (default: the `@differentiable(wrt:)`
    /// parameters, else every Real and Tensor one), for the head gradient `head` (default: ones).
    public func gradient(_ function: String, arguments: [String: String] = [:], wrt: [String]? = nil,
                         head: String? = nil, exact: Bool = false, seed: Int = 0) throws -> Gradient {
        try catching {
            let request = GradRequest(function: function, arguments: Program.arguments(arguments), wrt: wrt, head: head,
                                      seed: seed, engine: exact ? .exact : .double)
            let result = try compilation.gradient(request) { _ in }
            let values = result.values.map(Value.init)
            return Gradient(value: values[0], components: zip(result.gradients.map(\.name), values.dropFirst()).map { ($0, $1) })
        }
    }

    /// `adjoint check`: the dot-product test and finite differences of `function` (default: every
    /// `@differentiable` function); `passed` unless a check failed.
    public func check(_ function: String? = nil, arguments: [String: String] = [:], seed: Int = 0) throws -> CheckReport {
        try catching {
            let lines = try compilation.check(CheckRequest(function: function, arguments: Program.arguments(arguments), seed: seed))
            return CheckReport(lines: lines.map(\.description), passed: lines.allSatisfy(\.passed))
        }
    }
}

/// A function's value and its gradient, one `Value` per differentiated parameter.
public struct Gradient: Sendable {
    public let value: Value
    /// The gradients in parameter order, with the parameters' names.
    public let components: [(name: String, value: Value)]

    /// The gradient with respect to one parameter, or nil when it was not differentiated.
    public subscript(parameter: String) -> Value? {
        components.first { $0.name == parameter }?.value
    }
}

/// What `check` found: its lines as the CLI prints them, and whether every check passed.
public struct CheckReport: Sendable {
    public let lines: [String]
    public let passed: Bool
}
