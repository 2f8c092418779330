// IR stage: the operations of the IR and their static rules.
//
// One row per opcode: its spelling in printed IR, how many operands it takes and
// which result types its operand types give. The interpreter's evaluation and the
// derivative rules switch exhaustively over `Opcode`, so a new op that lacks a
// column does not compile.
//
//   family        opcodes                                         operands
//   ------------  ----------------------------------------------  -------------------------
//   constant      const                                           none (payload: literal)
//   arithmetic    add sub mul div pow rem neg not                 2 (neg, not: 1)
//   comparison    eq ne lt le gt ge                               2
//   elementwise   exp log sin cos tan tanh sqrt abs sigmoid       1
//                 relu sign floor
//   binary elem.  maximum minimum                                 2
//   reductions    sum mean prod max min norm                      1
//                 sumaxis meanaxis                                2 (tensor, axis)
//   linear alg.   dot transpose reshape size dim                  2, 1, 1+dims, 1, 2
//   indexing      index slice setindex                            1+idx, 3, 2+idx
//                 select setselect addselect                      1+idx, 2+idx, 2+idx (payload: subscript)
//   construction  tensor arange zeros ones full zeroslike         payload shape / dims
//                 oneslike randnormal randuniform
//   conversion    itor ftoi toreal                                1
//   effects       istraining print call                           0, any, any
//   AD support    grad tuple extract push pop settraining         payload callee / index / tape
//                 fit stepge firsteq prodothers expanddims        2, 2, 2, 1, 2
//                 dotadja dotadjb reshapeas setslice subtensor    3, 3, 2, 4, 1+idx
//                 addat sameshape                                 2+idx, 3
//
// The AD-support ops are what adjoint code needs beyond the language: `fit` gives a
// value the shape of another (broadcasting up or summing down, the adjoint of
// broadcasting), `push`/`pop` move values through a tape (a stack per tape id), and
// the rest are local derivatives that would be awkward to spell with other ops.
//
// `select` reads a part of a tensor chosen by a subscript with ':' (whole axes) in it, one Int
// operand per indexed axis: `m[i, :]`. `setselect` replaces that part by a value broadcast to it
// and `addselect` adds one (the adjoint of `select`, so an adjoint can be updated in place).
//
// `sameshape a, b, k` is true when tensors a and b have one shape, of k axes: the guard of a call
// specialized for operands of equal shapes (`AccumulatedProducts`).
import AdjointBasic

/// An IR operation.
public enum Opcode: String, CaseIterable, Sendable {
    case const
    case add, sub, mul, div, pow, rem, neg, not
    case eq, ne, lt, le, gt, ge
    case exp, log, sin, cos, tan, tanh, sqrt, abs, sigmoid, relu, sign, floor
    case maximum, minimum
    case sum, mean, prod, max, min, norm, sumaxis, meanaxis
    case dot, transpose, reshape, size, dim
    case index, slice, setindex
    case select, setselect, addselect
    case tensor, arange, zeros, ones, full, zeroslike, oneslike, randnormal, randuniform
    case itor, ftoi, toreal
    case istraining, print, call
    case grad, tuple, extract, push, pop, settraining
    case fit, stepge, firsteq, prodothers, expanddims, dotadja, dotadjb, reshapeas, setslice, subtensor, addat, sameshape

    /// The spelling in printed IR.
    public var spelling: String { rawValue }

    /// The allowed operand counts.
    public var arity: ClosedRange<Int> {
        switch self {
        case .const, .istraining, .pop: return 0...0
        case .add, .sub, .mul, .div, .pow, .rem, .eq, .ne, .lt, .le, .gt, .ge, .maximum, .minimum,
             .sumaxis, .meanaxis, .dot, .dim, .fit, .stepge, .firsteq, .expanddims, .reshapeas:
            return 2...2
        case .neg, .not, .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor,
             .sum, .mean, .prod, .max, .min, .norm, .transpose, .size, .arange, .zeroslike, .oneslike,
             .itor, .ftoi, .toreal, .extract, .push, .settraining, .prodothers:
            return 1...1
        case .dotadja, .dotadjb, .sameshape: return 3...3
        case .setslice: return 4...4
        case .subtensor: return 1...Int.max
        case .reshape, .index: return 2...Int.max
        case .select: return 1...Int.max
        case .setselect, .addselect: return 2...Int.max
        case .slice: return 3...3
        case .setindex, .addat: return 3...Int.max
        case .zeros, .ones, .randnormal, .randuniform, .tensor: return 1...Int.max
        case .full: return 2...Int.max
        case .print, .call, .grad, .tuple: return 0...Int.max
        }
    }

    /// Unary functions applied to each element of a Real or Tensor.
    public var isElementwiseUnary: Bool {
        switch self {
        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor: return true
        default: return false
        }
    }

    /// Binary operations that broadcast over Real and Tensor operands.
    public var isBroadcastingBinary: Bool {
        switch self {
        case .add, .sub, .mul, .div, .pow, .maximum, .minimum: return true
        default: return false
        }
    }

    public var isComparison: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge: return true
        default: return false
        }
    }

    /// Whether the instruction must be kept even when its result is unused.
    public var hasSideEffects: Bool {
        switch self {
        case .print, .call, .grad, .randnormal, .randuniform, .push, .pop, .settraining: return true
        default: return false
        }
    }

    /// The result type for these operand types, or nil when the combination is ill-typed.
    /// `call` and `const` take their type from their payload, so they are not checked here.
    public func resultType(_ operands: [ValueType]) -> ValueType? {
        guard arity.contains(operands.count) else { return nil }
        let numeric: Set<ValueType> = [.real, .tensor]
        let allInt = operands.allSatisfy { $0 == .int }
        switch self {
        case .const, .call, .grad, .extract, .pop: return nil
        case .add, .sub, .mul:
            if allInt { return .int }
            guard operands.allSatisfy(numeric.contains) else { return nil }
            return operands.contains(.tensor) ? .tensor : .real
        case .div, .pow, .maximum, .minimum:
            guard operands.allSatisfy(numeric.contains) else { return nil }
            return operands.contains(.tensor) ? .tensor : .real
        case .rem: return allInt ? .int : nil
        case .neg: return [.int, .real, .tensor].contains(operands[0]) ? operands[0] : nil
        case .not: return operands[0] == .bool ? .bool : nil
        case .eq, .ne:
            return operands[0] == operands[1] && operands[0] != .void ? .bool : nil
        case .lt, .le, .gt, .ge:
            return operands[0] == operands[1] && (operands[0] == .int || operands[0] == .real) ? .bool : nil
        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
            return numeric.contains(operands[0]) ? operands[0] : nil
        case .sum, .mean, .prod, .max, .min, .norm:
            return operands[0] == .tensor ? .real : nil
        case .sumaxis, .meanaxis:
            return operands == [.tensor, .int] ? .tensor : nil
        case .dot: return operands == [.tensor, .tensor] ? .tensor : nil
        case .transpose, .zeroslike, .oneslike: return operands == [.tensor] ? .tensor : nil
        case .reshape: return operands[0] == .tensor && operands.dropFirst().allSatisfy { $0 == .int } ? .tensor : nil
        case .size: return operands == [.tensor] ? .int : nil
        case .dim: return operands == [.tensor, .int] ? .int : nil
        case .index: return operands[0] == .tensor && operands.dropFirst().allSatisfy { $0 == .int } ? .real : nil
        case .slice: return operands == [.tensor, .int, .int] ? .tensor : nil
        case .select: return operands[0] == .tensor && operands.dropFirst().allSatisfy { $0 == .int } ? .tensor : nil
        case .setselect, .addselect:
            return operands[0] == .tensor && numeric.contains(operands[1])
                && operands.dropFirst(2).allSatisfy { $0 == .int } ? .tensor : nil
        case .setindex, .addat:
            return operands[0] == .tensor && numeric.contains(operands[1])
                && operands.dropFirst(2).allSatisfy { $0 == .int } ? .tensor : nil
        case .tensor: return operands.allSatisfy { $0 == .real } ? .tensor : nil
        case .arange: return operands == [.int] ? .tensor : nil
        case .zeros, .ones, .randnormal, .randuniform: return allInt ? .tensor : nil
        case .full: return operands[0] == .real && operands.dropFirst().allSatisfy { $0 == .int } ? .tensor : nil
        case .itor: return operands == [.int] ? .real : nil
        case .ftoi: return operands == [.real] ? .int : nil
        case .toreal: return operands == [.tensor] ? .real : nil
        case .istraining: return .bool
        case .print, .push: return .void
        case .tuple: return .tuple(operands)
        case .settraining: return operands == [.bool] ? .bool : nil
        case .fit: return numeric.contains(operands[0]) && numeric.contains(operands[1]) ? operands[1] : nil
        case .stepge:
            guard operands.allSatisfy(numeric.contains) else { return nil }
            return operands.contains(.tensor) ? .tensor : .real
        case .firsteq: return operands == [.tensor, .real] ? .tensor : nil
        case .prodothers: return operands == [.tensor] ? .tensor : nil
        case .expanddims: return operands == [.tensor, .int] ? .tensor : nil
        case .dotadja, .dotadjb: return operands == [.tensor, .tensor, .tensor] ? .tensor : nil
        case .sameshape: return operands == [.tensor, .tensor, .int] ? .bool : nil
        case .reshapeas: return operands == [.tensor, .tensor] ? .tensor : nil
        case .setslice:
            return operands[0] == .tensor && numeric.contains(operands[1]) && operands[2] == .int && operands[3] == .int
                ? .tensor : nil
        case .subtensor: return operands[0] == .tensor && operands.dropFirst().allSatisfy { $0 == .int } ? .tensor : nil
        }
    }
}
