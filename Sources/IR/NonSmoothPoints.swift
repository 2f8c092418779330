// IR: the operations whose derivative is one-sided or undefined at some points (spec §9's list), and
// the words `--explain` uses for them. The interpreter and the generated Swift both report from here.

/// What `--explain` says of one kind of non-smooth point.
public struct NonSmoothPoint: Sendable, Equatable {
    /// What was met (`abs at 0`); for `max`/`min` the number of elements attaining it follows.
    public var operation: String
    /// The derivative's convention there.
    public var convention: String
    public var test: Test

    /// How the operands are tested for the point.
    public enum Test: Sendable {
        /// An element of the operand is 0.
        case zero
        /// An element of the operand is an integer.
        case integer
        /// The two operands are equal (elementwise for `maximum`/`minimum`, counted).
        case equalOperands
        /// More than one element attains the result (`max`, `min`).
        case extremeAttainedTwice
    }
}

extension Opcode {
    /// The non-smooth point this operation can meet, or nil for a smooth operation.
    public var nonSmoothPoint: NonSmoothPoint? {
        switch self {
        case .abs: return NonSmoothPoint(operation: "abs at 0", convention: "abs'(0) = 0", test: .zero)
        case .relu: return NonSmoothPoint(operation: "relu at 0", convention: "relu'(0) = 0", test: .zero)
        case .sign: return NonSmoothPoint(operation: "sign at 0", convention: "sign' = 0", test: .zero)
        case .sqrt: return NonSmoothPoint(operation: "sqrt at 0", convention: "sqrt'(0) is infinite", test: .zero)
        case .floor: return NonSmoothPoint(operation: "floor at an integer", convention: "floor' = 0", test: .integer)
        case .ftoi: return NonSmoothPoint(operation: "int at an integer", convention: "int' = 0", test: .integer)
        case .maximum, .minimum:
            return NonSmoothPoint(operation: "\(spelling) tie", convention: "the first operand takes the adjoint",
                                  test: .equalOperands)
        case .max, .min:
            return NonSmoothPoint(operation: "\(spelling) tie", convention: "the first element attaining it takes the adjoint",
                                  test: .extremeAttainedTwice)
        case .lt, .le, .gt, .ge, .eq, .ne:
            let symbol = ["lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="][spelling]!
            let convention = self == .eq || self == .ne
                ? "an isolated point: the branch taken at equality is followed, its derivative used"
                : "the branch taken at equality is followed (one-sided)"
            return NonSmoothPoint(operation: "comparison '\(symbol)' decided on equality", convention: convention,
                                  test: .equalOperands)
        default:
            return nil
        }
    }
}
