// Interpreter stage: run-time values and runtime errors.
import AdjointBasic

/// A value of the language at run time, over the engine's number type.
public enum Value<S: Scalar>: Sendable {
    case int(Int)
    case real(S)
    case bool(Bool)
    case tensor(Tensor<S>)
    case tuple([Value<S>])
    case void

    /// The text `print` writes: Swift's Double text or `p/q`, NumPy's tensor layout (a rank-0 tensor as a number).
    public var printed: String {
        switch self {
        case .int(let i): return "\(i)"
        case .real(let r): return r.description
        case .bool(let b): return b ? "true" : "false"
        case .tensor(let t): return t.description
        case .tuple(let items): return "(" + items.map(\.printed).joined(separator: ", ") + ")"
        case .void: return "()"
        }
    }

    /// The JSON text of spec §9: numbers (or `"p/q"` strings), nested arrays for tensors.
    public var jsonText: String {
        switch self {
        case .int(let i): return "\(i)"
        case .real(let r): return r.jsonText
        case .bool(let b): return b ? "true" : "false"
        case .tensor(let t): return t.jsonText
        case .tuple(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .void: return "null"
        }
    }
}

/// An error while evaluating the user's program, located at the operation that failed.
public struct RuntimeError: Error, Sendable, Equatable {
    public var location: SourceLocation
    public var message: String

    public init(at location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var diagnostic: Diagnostic { Diagnostic(.runtimeError, at: location, message) }
}
