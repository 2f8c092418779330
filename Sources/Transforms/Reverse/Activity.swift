// Transforms stage, reverse mode: which values need adjoints.
//
// A value is *varied* when it depends on a differentiated parameter, *useful* when
// the result depends on it, and *active* when both (Swift AD's terms). Only active
// values get adjoints, so constants, loop counters, shapes and values that never
// reach the result cost nothing in the reverse sweep.
//
// Tapes are handled conservatively: a differentiable value popped from a tape is
// varied and one pushed is useful, because the matching push or pop lives in
// another function (a generated forward or reverse sweep being differentiated in
// turn) whose activity this analysis cannot see.
import AdjointBasic
import AdjointIR

/// The active values of one function for one set of differentiated parameters.
public struct ActivityInfo: Sendable {
    public private(set) var varied: Set<ValueID> = []
    public private(set) var useful: Set<ValueID> = []

    public func isActive(_ v: ValueID) -> Bool { varied.contains(v) && useful.contains(v) }

    /// Computes activity for `function` differentiated with respect to the parameters at `wrt`.
    /// `hasTapeEffects` says whether a callee pushes or pops differentiable values.
    public init(_ function: Function, wrt: [Int], hasTapeEffects: (String) -> Bool,
                isInertTape: (Int) -> Bool = { _ in false }) {
        let differentiable = { (v: ValueID) in function.type(of: v).carriesDerivatives }
        for i in wrt { varied.insert(function.parameters[i]) }

        // Varied: forward to a fixpoint (loops carry variedness around their back edges).
        var changed = true
        while changed {
            changed = false
            for block in function.blocks {
                for instruction in block.instructions {
                    guard let r = instruction.result, !varied.contains(r), differentiable(r) else { continue }
                    var isVaried = instruction.op.propagatesDerivatives && instruction.operands.contains(where: varied.contains)
                    if instruction.op == .pop, case .tape(let t) = instruction.payload { isVaried = !isInertTape(t) }
                    if instruction.op == .call, case .callee(let name) = instruction.payload, hasTapeEffects(name) {
                        isVaried = true
                    }
                    if isVaried { varied.insert(r); changed = true }
                }
                for target in block.terminator.successors {
                    let parameters = function.blocks[target.block.index].parameters
                    for (argument, parameter) in zip(target.arguments, parameters)
                    where varied.contains(argument) && !varied.contains(parameter) && differentiable(parameter) {
                        varied.insert(parameter)
                        changed = true
                    }
                }
            }
        }

        // Useful: backward from the returned values to a fixpoint.
        for block in function.blocks {
            if case .ret(let v?) = block.terminator { useful.insert(v) }
            for instruction in block.instructions where ActivityInfo.pushesLiveTape(instruction, isInertTape)
                || (instruction.op == .call && ActivityInfo.calleeHasTapeEffects(instruction, hasTapeEffects)) {
                for v in instruction.operands where differentiable(v) { useful.insert(v) }
            }
        }
        // A tuple read only by `extract`s is useful part by part: `grad` inside a differentiated function is
        // (value, gradients...), and a value nothing extracts (the forward sweep's, say) needs no adjoint.
        var readWhole = Set<ValueID>()
        var extractsOf: [ValueID: [(index: Int, result: ValueID)]] = [:]
        for block in function.blocks {
            for instruction in block.instructions {
                if instruction.op == .extract, case .index(let k) = instruction.payload, let r = instruction.result {
                    extractsOf[instruction.operands[0], default: []].append((k, r))
                } else {
                    readWhole.formUnion(instruction.operands)
                }
            }
            readWhole.formUnion(block.terminator.operands)
        }
        func isUsefulOperand(_ j: Int, of instruction: Instruction) -> Bool {
            guard instruction.op == .tuple, let r = instruction.result, !readWhole.contains(r) else { return true }
            return extractsOf[r, default: []].contains { $0.index == j && useful.contains($0.result) }
        }
        changed = true
        while changed {
            changed = false
            for block in function.blocks.reversed() {
                for target in block.terminator.successors {
                    let parameters = function.blocks[target.block.index].parameters
                    for (argument, parameter) in zip(target.arguments, parameters)
                    where useful.contains(parameter) && !useful.contains(argument) && differentiable(argument) {
                        useful.insert(argument)
                        changed = true
                    }
                }
                for instruction in block.instructions.reversed() {
                    guard let r = instruction.result, useful.contains(r), instruction.op.propagatesDerivatives else { continue }
                    for (j, v) in instruction.operands.enumerated()
                    where !useful.contains(v) && differentiable(v) && isUsefulOperand(j, of: instruction) {
                        useful.insert(v)
                        changed = true
                    }
                }
            }
        }
    }

    static func pushesLiveTape(_ instruction: Instruction, _ isInertTape: (Int) -> Bool) -> Bool {
        guard instruction.op == .push, case .tape(let t) = instruction.payload else { return false }
        return !isInertTape(t)
    }

    static func calleeHasTapeEffects(_ instruction: Instruction, _ hasTapeEffects: (String) -> Bool) -> Bool {
        if case .callee(let name) = instruction.payload { return hasTapeEffects(name) }
        return false
    }
}

extension ValueType {
    /// Real, Tensor, and tuples holding them carry derivatives; Int and Bool never do.
    public var carriesDerivatives: Bool {
        switch self {
        case .real, .tensor: return true
        case .tuple(let elements): return elements.contains { $0.carriesDerivatives }
        case .int, .bool, .void: return false
        }
    }
}

extension Opcode {
    /// Whether derivatives flow from operands to the result (false for piecewise-constant results,
    /// shapes, comparisons, conversions to Int, constructors and random draws).
    public var propagatesDerivatives: Bool {
        switch self {
        case .add, .sub, .mul, .div, .pow, .neg, .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu,
             .maximum, .minimum, .sum, .mean, .prod, .max, .min, .norm, .sumaxis, .meanaxis, .dot, .transpose,
             .reshape, .index, .slice, .setindex, .tensor, .full, .toreal, .call, .tuple, .extract, .fit,
             .expanddims, .dotadja, .dotadjb, .reshapeas, .setslice, .subtensor, .prodothers, .addat,
             .select, .setselect, .addselect:
            return true
        case .const, .rem, .not, .eq, .ne, .lt, .le, .gt, .ge, .sign, .floor, .size, .dim, .arange, .zeros, .ones,
             .zeroslike, .oneslike, .randnormal, .randuniform, .itor, .ftoi, .istraining, .print, .grad, .push, .pop,
             .settraining, .stepge, .firsteq, .sameshape:
            return false
        }
    }
}
