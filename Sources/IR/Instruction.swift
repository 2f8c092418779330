// IR stage: instructions, terminators and their payloads.
import AdjointBasic

/// An exact constant: an Int, a Bool, or a Real as a canonical fraction of digit strings.
public enum Constant: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case bool(Bool)
    /// `numerator/denominator` in lowest terms, denominator positive; printed as `p/q` or `p`.
    case real(numerator: String, denominator: String)

    /// A Real constant from a canonical fraction (the lexer's `DecimalDigits.fraction`).
    public static func real(_ fraction: (numerator: String, denominator: String)) -> Constant {
        .real(numerator: fraction.numerator, denominator: fraction.denominator)
    }

    public var type: ValueType {
        switch self {
        case .int: return .int
        case .bool: return .bool
        case .real: return .real
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .real(let n, let d): return d == "1" ? n : "\(n)/\(d)"
        }
    }
}

/// One piece of a `print`: a string, or the next value operand.
public enum PrintItem: Hashable, Sendable {
    case text(String)
    case value
}

/// The extra, non-value data some opcodes carry.
public enum Payload: Hashable, Sendable {
    case none
    case constant(Constant)
    /// `call`: the callee's name.
    case callee(String)
    /// `tensor`: the literal's shape.
    case shape([Int])
    /// `print`: strings and value positions in order.
    case print([PrintItem])
    /// `grad`: the function differentiated and the parameter indices of its gradient, in order.
    case grad(callee: String, wrt: [Int])
    /// `extract`: the tuple component taken.
    case index(Int)
    /// `push`, `pop`: the tape (a stack of values, one per tape id) used.
    case tape(Int)
    /// `select`, `setselect`, `addselect` (and `index` as written in the source): the subscript.
    case subscripted(Subscript)
}

/// An operation producing at most one value.
public struct Instruction: Hashable, Sendable {
    /// The value defined, or nil for instructions without a result (`print`, calls of void functions).
    public var result: ValueID?
    public var op: Opcode
    public var operands: [ValueID]
    public var payload: Payload
    public var location: SourceLocation

    public init(result: ValueID?, op: Opcode, operands: [ValueID], payload: Payload = .none,
                location: SourceLocation) {
        self.result = result
        self.op = op
        self.operands = operands
        self.payload = payload
        self.location = location
    }
}

/// A jump target with the arguments passed to the block's parameters.
public struct BranchTarget: Hashable, Sendable {
    public var block: BlockID
    public var arguments: [ValueID]
    public init(_ block: BlockID, _ arguments: [ValueID] = []) {
        self.block = block
        self.arguments = arguments
    }
}

/// How a block ends: the only place control leaves it.
public enum Terminator: Hashable, Sendable {
    case branch(BranchTarget)
    case condBranch(condition: ValueID, then: BranchTarget, else: BranchTarget)
    case ret(ValueID?)

    /// The blocks control may go to next, in order.
    public var successors: [BranchTarget] {
        switch self {
        case .branch(let t): return [t]
        case .condBranch(_, let t, let e): return [t, e]
        case .ret: return []
        }
    }

    /// The terminator with each jump target passed through `transform` (the condition and a return as they are).
    public func mappingTargets(_ transform: (BranchTarget) -> BranchTarget) -> Terminator {
        switch self {
        case .branch(let t): return .branch(transform(t))
        case .condBranch(let c, let t, let e): return .condBranch(condition: c, then: transform(t), else: transform(e))
        case .ret: return self
        }
    }

    /// The terminator with every operand (condition, branch arguments, returned value) passed through `f`.
    public func mappingOperands(_ f: (ValueID) -> ValueID) -> Terminator {
        let mapped = mappingTargets { BranchTarget($0.block, $0.arguments.map(f)) }
        switch mapped {
        case .condBranch(let c, let t, let e): return .condBranch(condition: f(c), then: t, else: e)
        case .ret(let v): return .ret(v.map(f))
        case .branch: return mapped
        }
    }

    /// Every value the terminator reads.
    public var operands: [ValueID] {
        switch self {
        case .branch(let t): return t.arguments
        case .condBranch(let c, let t, let e): return [c] + t.arguments + e.arguments
        case .ret(let v): return v.map { [$0] } ?? []
        }
    }
}
