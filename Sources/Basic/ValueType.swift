// Basic stage: the types values have, shared by the AST, Sema, the IR and the engines.

/// The static types of the language (spec §3), plus the tuple a multi-`wrt` `grad` gives and `void`.
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
    case int, real, bool, tensor
    case tuple([ValueType])
    case void

    public init?(name: String) {
        switch name {
        case "Int": self = .int
        case "Real": self = .real
        case "Bool": self = .bool
        case "Tensor": self = .tensor
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .int: return "Int"
        case .real: return "Real"
        case .bool: return "Bool"
        case .tensor: return "Tensor"
        case .tuple(let elements): return "(" + elements.map(\.description).joined(separator: ", ") + ")"
        case .void: return "Void"
        }
    }

    /// Real and Tensor values can be differentiated; Int and Bool cannot.
    public var isDifferentiable: Bool { self == .real || self == .tensor }
}
