// Transforms stage, forward mode: the tangent rule of every operation.
//
// For `y = op(x...)` the rule gives ẏ = Σ ∂y/∂x · ẋ, the same local derivatives as the
// adjoint rules in Reverse/AdjointRules.swift, pushed forward instead of pulled back,
// with the same conventions at kinks and ties (abs'(0) = relu'(0) = 0, the first
// operand or element takes a tie). Tangents stay symbolic zeros until something
// needs their value; then a zero of the primal's shape is made.
import AdjointBasic
import AdjointIR

/// Emits the tangent code of one instruction, given the tangents of its operands.
struct TangentEmitter {
    let context: DifferentiationContext
    var builder: FunctionBuilder
    /// Primal values of the source function in the new one.
    var primal: [ValueID: ValueID] = [:]
    /// Tangents of source values (nil: zero).
    var tangent: [ValueID: ValueID] = [:]
    var location = SourceLocation.unknown

    init(context: DifferentiationContext, builder: FunctionBuilder) {
        self.context = context
        self.builder = builder
    }

    mutating func emit(_ op: Opcode, _ operands: [ValueID], _ type: ValueType, payload: Payload = .none) -> ValueID {
        builder.emit(op, operands, type: type, payload: payload, at: location)!
    }

    private mutating func real(_ text: String) -> ValueID {
        emit(.const, [], .real, payload: .constant(.real(numerator: text, denominator: "1")))
    }

    /// The tangent of a source value as a value: a zero of its shape when it has none.
    mutating func materialize(_ v: ValueID, type: ValueType) -> ValueID {
        if let t = tangent[v] { return t }
        switch type {
        case .tensor: return emit(.zeroslike, [primal[v]!], .tensor)
        case .tuple(let elements):
            let parts = elements.indices.map { i -> ValueID in
                let component = emit(.extract, [primal[v]!], elements[i], payload: .index(i))
                return elements[i] == .tensor ? emit(.zeroslike, [component], .tensor) : real("0")
            }
            return emit(.tuple, parts, type)
        default: return real("0")
        }
    }

    /// The tangent of `instruction`'s result (already emitted as `y` in the new function), or nil for zero.
    mutating func tangent(of instruction: Instruction, result y: ValueID, type t: ValueType,
                          sourceTypes: [ValueType]) throws -> ValueID? {
        location = instruction.location
        let x = instruction.operands.map { primal[$0]! }
        let dx = instruction.operands.map { tangent[$0] }
        guard dx.contains(where: { $0 != nil }) else { return nil }
        /// The tangent of operand i, materialized (a zero of its shape when symbolic).
        func d(_ i: Int) -> ValueID { materialize(instruction.operands[i], type: sourceTypes[i]) }
        /// `a + b` where either may be absent.
        func sum(_ a: ValueID?, _ b: ValueID?) -> ValueID? {
            guard let a else { return b }
            guard let b else { return a }
            return emit(.add, [a, b], t)
        }
        func typeOf(_ v: ValueID) -> ValueType { builder.function.type(of: v) }
        switch instruction.op {
        case .add: return sum(dx[0], dx[1])
        case .sub: return sum(dx[0], dx[1].map { emit(.neg, [$0], typeOf($0)) })
        case .mul:
            return sum(dx[0].map { emit(.mul, [$0, x[1]], t) }, dx[1].map { emit(.mul, [x[0], $0], t) })
        case .div:
            let numerator = sum(dx[0], dx[1].map { emit(.neg, [emit(.mul, [y, $0], t)], t) })
            return numerator.map { emit(.div, [$0, x[1]], t) }
        case .pow:
            let first = dx[0].map { da -> ValueID in
                let bMinusOne = emit(.sub, [x[1], real("1")], typeOf(x[1]))
                return emit(.mul, [emit(.mul, [x[1], emit(.pow, [x[0], bMinusOne], t)], t), da], t)
            }
            let second = dx[1].map { db in emit(.mul, [emit(.mul, [y, emit(.log, [x[0]], typeOf(x[0]))], t), db], t) }
            return sum(first, second)
        case .neg: return emit(.neg, [d(0)], t)
        case .exp: return emit(.mul, [y, d(0)], t)
        case .log: return emit(.div, [d(0), x[0]], t)
        case .sin: return emit(.mul, [emit(.cos, [x[0]], t), d(0)], t)
        case .cos: return emit(.neg, [emit(.mul, [emit(.sin, [x[0]], t), d(0)], t)], t)
        case .tan: return emit(.mul, [emit(.add, [real("1"), emit(.mul, [y, y], t)], t), d(0)], t)
        case .tanh: return emit(.mul, [emit(.sub, [real("1"), emit(.mul, [y, y], t)], t), d(0)], t)
        case .sqrt: return emit(.div, [d(0), emit(.mul, [real("2"), y], t)], t)
        case .abs: return emit(.mul, [emit(.sign, [x[0]], t), d(0)], t)
        case .sigmoid: return emit(.mul, [emit(.mul, [y, emit(.sub, [real("1"), y], t)], t), d(0)], t)
        case .relu: return emit(.mul, [emit(.sign, [y], t), d(0)], t)
        case .maximum, .minimum:
            let (a, b) = instruction.op == .maximum ? (x[0], x[1]) : (x[1], x[0])
            let first = emit(.stepge, [a, b], t)
            let second = emit(.sub, [real("1"), first], t)
            return sum(dx[0].map { emit(.mul, [first, $0], t) }, dx[1].map { emit(.mul, [second, $0], t) })
        case .sum, .mean, .sumaxis, .meanaxis, .transpose, .reshape, .index, .slice, .subtensor, .expanddims,
             .reshapeas, .fit, .toreal, .extract, .select:
            // Linear in the first operand: the same operation on its tangent.
            return emit(instruction.op, [d(0)] + x.dropFirst(), t, payload: instruction.payload)
        case .prod:
            return emit(.sum, [emit(.mul, [emit(.prodothers, [x[0]], .tensor), d(0)], .tensor)], .real)
        case .max, .min:
            return emit(.sum, [emit(.mul, [emit(.firsteq, [x[0], y], .tensor), d(0)], .tensor)], .real)
        case .norm:
            return emit(.div, [emit(.sum, [emit(.mul, [x[0], d(0)], .tensor)], .real), y], .real)
        case .dot:
            return sum(dx[0].map { emit(.dot, [$0, x[1]], .tensor) }, dx[1].map { emit(.dot, [x[0], $0], .tensor) })
        case .setindex, .setslice, .addat, .setselect, .addselect:
            // Linear in the tensor and the value written.
            return emit(instruction.op, [d(0), d(1)] + x.dropFirst(2), t, payload: instruction.payload)
        case .tensor:
            return emit(.tensor, instruction.operands.indices.map { d($0) }, t, payload: instruction.payload)
        case .full:
            return emit(.full, [d(0)] + x.dropFirst(), t)
        case .tuple:
            return emit(.tuple, instruction.operands.indices.map { d($0) }, t)
        case .dotadja:
            // Linear in the head and in b.
            return sum(dx[0].map { emit(.dotadja, [$0, x[1], x[2]], .tensor) },
                       dx[2].map { emit(.dotadja, [x[0], x[1], $0], .tensor) })
        case .dotadjb:
            return sum(dx[0].map { emit(.dotadjb, [$0, x[1], x[2]], .tensor) },
                       dx[1].map { emit(.dotadjb, [x[0], $0, x[2]], .tensor) })
        case .prodothers:
            throw DifferentiationError(location: instruction.location,
                                       message: "a derivative of 'prod' cannot be differentiated again yet")
        case .const, .rem, .not, .eq, .ne, .lt, .le, .gt, .ge, .sign, .floor, .size, .dim, .arange, .zeros, .ones,
             .zeroslike, .oneslike, .randnormal, .randuniform, .itor, .ftoi, .istraining, .print, .settraining,
             .stepge, .firsteq, .sameshape, .push, .pop, .call, .grad:
            return nil
        }
    }
}
