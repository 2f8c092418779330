// Transforms stage, reverse mode: the adjoint rule of every operation.
//
// `AdjointEmitter.reverse` is one case per opcode, each the local derivative that
// micrograd or Tangent would keep beside the op: for `y = op(x...)` it adds
// `x̄ += ȳ · ∂y/∂x` into the operands' adjoints. Conventions at kinks and ties are
// the spec's (§6): abs'(0) = relu'(0) = 0 (through `sign`), sign' = floor' = 0,
// and `max`/`min`/`maximum`/`minimum` send the adjoint to the first operand or
// element that attains the extreme (`stepge`, `firsteq`). Contributions to an
// operand that was broadcast are fitted back to its shape (`fit`).
import AdjointBasic
import AdjointIR

/// Emits the reverse code of one forward block into its reverse block.
struct AdjointEmitter {
    let source: Function
    let activity: ActivityInfo
    let context: DifferentiationContext
    let zeros: Zeros
    /// The forward block being reversed: values read here are recorded at its end.
    let block: BlockID
    var builder: FunctionBuilder
    var adjoints: [AdjointKey: AdjointValue] = [:]
    /// The primal values this reverse block reads, in push order, with their tapes.
    var recorded: [(value: ValueID, tape: Int)] = []
    /// The popped copy of each recorded value, in the reverse function.
    var poppedCopy: [ValueID: ValueID] = [:]
    private var constants: [ValueID: ValueID] = [:]
    /// The source location of the instruction being reversed: a runtime error in its adjoint
    /// (`sqrt'(0)` in exact mode, say) names the operation's place in the program.
    var location = SourceLocation.unknown
    /// Whether some parameter can influence a source value; recorded copies of the others are inert.
    var isInfluenced: (ValueID) -> Bool = { _ in true }

    init(source: Function, activity: ActivityInfo, context: DifferentiationContext, zeros: Zeros, block: BlockID,
         builder: FunctionBuilder, recomputation: Recomputation, primalParameters: [ValueID], loopCounts: [Int: ValueID]) {
        self.recomputation = recomputation
        self.primalParameters = primalParameters
        self.loopCounts = loopCounts
        self.source = source
        self.activity = activity
        self.context = context
        self.zeros = zeros
        self.block = block
        self.builder = builder
    }

    // MARK: - Adjoint bookkeeping

    /// Adds a contribution to an adjoint; the first contribution is used as is.
    mutating func accumulate(_ key: AdjointKey, _ contribution: ValueID) {
        switch adjoints[key] ?? .zero {
        case .zero: adjoints[key] = .value(contribution)
        case .value(let current):
            adjoints[key] = .value(emit(.add, [current, contribution], source.type(ofAdjoint: key)))
        }
    }

    /// Adds to the adjoint of `v` (its only component); callers check `isActive` first, so no code is
    /// emitted for contributions nobody reads.
    private mutating func add(_ v: ValueID, _ contribution: ValueID) {
        accumulate(AdjointKey(v), contribution)
    }

    private func isActive(_ v: ValueID) -> Bool { activity.isActive(v) }

    /// The adjoint of a read of part of `x` (`index`, `subtensor`, `select`): `value` added where it was
    /// read into x's current adjoint (given x's shape), by `update`, which code generation performs in
    /// place, so a loop reading one row per iteration does not copy the whole adjoint each time.
    private mutating func addWhereRead(_ x: ValueID, _ update: Opcode, _ value: ValueID, _ indices: [ValueID],
                                       payload: Payload) {
        let key = AdjointKey(x)
        let current: ValueID
        switch adjoints[key] ?? .zero {
        case .zero: current = emit(.zeroslike, [shapeOf(x)], .tensor)
        case .value(let v): current = emit(.fit, [v, shapeOf(x)], .tensor)
        }
        adjoints[key] = .value(emit(update, [current, value] + indices, .tensor, payload: payload))
    }

    /// The adjoint as a value, a shared zero when still symbolic.
    mutating func materialize(_ key: AdjointKey) -> ValueID {
        switch adjoints[key] ?? .zero {
        case .zero: return zeros.of(source.type(ofAdjoint: key))
        case .value(let v): return v
        }
    }

    /// An adjoint passed to another reverse block. A Tensor parameter's zero adjoint is zeros of its shape (the
    /// parameter is at hand), not the shared rank-0 zero: so a loop-carried adjoint has one shape throughout,
    /// whose witness is the parameter. It is passed first where the parameter's last read was: once per loop.
    mutating func materializePassed(_ key: AdjointKey) -> ValueID {
        if case .zero = adjoints[key] ?? .zero, source.type(of: key.value) == .tensor,
           let p = source.parameters.firstIndex(of: key.value) {
            return emit(.zeroslike, [primalParameters[p]], .tensor)
        }
        return materialize(key)
    }

    /// A parameter's adjoint for the reverse sweep's result: shaped like the parameter.
    mutating func finalAdjoint(of parameter: ValueID) -> ValueID {
        let adjoint = materialize(AdjointKey(parameter))
        return source.type(of: parameter) == .tensor ? emit(.fit, [adjoint, primal(parameter)], .tensor) : adjoint
    }

    /// `value` given the shape of the value named by `key` (a head broadcast over a Tensor result, say).
    mutating func fitTo(_ value: ValueID, key: AdjointKey) -> ValueID {
        let type = source.type(ofAdjoint: key)
        if type == .real, builder.function.type(of: value) == .real { return value }
        var like = shapeOf(key.value)
        if case .tuple = source.type(of: key.value) {
            like = emit(.extract, [like], type, payload: .index(key.component))
        }
        return emit(.fit, [value, like], type)
    }

    /// `c` given the shape of primal `v`: summed over broadcast axes, or broadcast up.
    private mutating func fit(_ c: ValueID, like v: ValueID) -> ValueID {
        if source.type(of: v) == .real, builder.function.type(of: c) == .real { return c }
        return emit(.fit, [c, shapeOf(v)], source.type(of: v))
    }

    /// A primal value with the shape of `v`, for rules that read `v` only for its shape: its shape witness,
    /// often a parameter, so an updated tensor is not recorded for its shape.
    mutating func shapeOf(_ v: ValueID) -> ValueID {
        source.type(of: v) == .tensor ? primal(recomputation.shapeWitness(v)) : primal(v)
    }

    // MARK: - Primal values

    /// What the reverse sweep can compute again (`Recomputation.swift`).
    let recomputation: Recomputation
    /// The reverse sweep's copies of the source function's parameters, by parameter index.
    let primalParameters: [ValueID]
    /// The trip counter of each counted loop around this block (by loop index): the iteration being reversed.
    let loopCounts: [Int: ValueID]

    /// A primal value in the reverse sweep, computed again when `Recomputation` allows it at no more than
    /// the cost of recording it; anything else is recorded on a tape at the end of the forward block and
    /// popped at the start of its reverse block. (Recomputing also keeps `3 - 1` a constant for the next
    /// derivative order, where a popped value would count as varied.)
    mutating func primal(_ v: ValueID) -> ValueID {
        if let c = constants[v] { return c }
        if let copy = poppedCopy[v] { return copy }
        if let cost = recomputeCost(v, depth: 0), cost <= 1 { return recompute(v) }
        return record(v)
    }

    /// Records `v` at the end of the forward block; its popped copy stands for it here.
    private mutating func record(_ v: ValueID) -> ValueID {
        if let copy = poppedCopy[v] { return copy }
        let copy = builder.function.makeValue(source.type(of: v))
        poppedCopy[v] = copy
        let tape = context.makeTape()
        if !isInfluenced(v) { context.markInert(tape) }
        recorded.append((v, tape))
        return copy
    }

    /// How many values computing `v` again would newly record (0: none), nil when it cannot be computed again.
    private func recomputeCost(_ v: ValueID, depth: Int) -> Int? {
        if constants[v] != nil || poppedCopy[v] != nil || recomputation.parameterIndex[v] != nil { return 0 }
        if let induction = recomputation.inductionVariables[v] {
            guard loopCounts[induction.loop] != nil else { return nil }
            return recomputeCost(induction.start, depth: depth + 1)
        }
        guard depth < Recomputation.maximumDepth, let definition = context.definition(of: v, in: source) else { return nil }
        if definition.op == .const { return 0 }
        guard [.int, .real, .bool].contains(source.type(of: v)), Recomputation.cheap.contains(definition.op) else {
            return nil
        }
        var cost = 0
        for operand in definition.operands {
            // An operand that cannot be computed again is recorded instead (a leaf of the chain).
            // A tensor leaf costs more to record than a scalar (a reference to retain): prefer recording the scalar.
            cost += recomputeCost(operand, depth: depth + 1) ?? (source.type(of: operand) == .tensor ? 2 : 1)
        }
        return cost
    }

    /// Emits `v` again from its operands (those that cannot be computed again are recorded).
    private mutating func recompute(_ v: ValueID) -> ValueID {
        if let c = constants[v] { return c }
        if let copy = poppedCopy[v] { return copy }
        let copy: ValueID
        if let j = recomputation.parameterIndex[v] {
            copy = primalParameters[j]
        } else if let induction = recomputation.inductionVariables[v], let k = loopCounts[induction.loop] {
            // v = start + step·k at trip k.
            let start = recompute(induction.start)
            let stepped = induction.step == 1 ? k : emit(.mul, [k, intConstant(induction.step)], .int)
            copy = builder.integerConstant(start) == 0 ? stepped : emit(.add, [start, stepped], .int)
        } else if let definition = context.definition(of: v, in: source), recomputeCost(v, depth: 0) != nil {
            let operands = definition.operands.map { operand in
                recomputeCost(operand, depth: 1) != nil ? recompute(operand) : record(operand)
            }
            // A runtime error of the operation computed again (none: it ran once already) would name its own place.
            let reversing = location
            location = definition.location
            copy = emit(definition.op, operands, source.type(of: v), payload: definition.payload)
            location = reversing
        } else {
            return record(v)
        }
        constants[v] = copy
        return copy
    }

    private mutating func intConstant(_ n: Int) -> ValueID {
        emit(.const, [], .int, payload: .constant(.int(n)))
    }

    private mutating func emit(_ op: Opcode, _ operands: [ValueID], _ type: ValueType, payload: Payload = .none) -> ValueID {
        builder.emit(op, operands, type: type, payload: payload, at: location)!
    }

    private mutating func real(_ text: String) -> ValueID {
        emit(.const, [], .real, payload: .constant(.real(numerator: text, denominator: "1")))
    }

    // MARK: - Rules

    /// Emits the adjoint of one instruction; `splitCall` names the callee's reverse sweep when the call
    /// was split, with the argument indices it differentiates; `gradientCall` the parameters a fused gradient
    /// differentiated forward over reverse is the gradient in.
    mutating func reverse(_ instruction: Instruction, splitCall: (reverse: String, wrt: [Int])?,
                          gradientCall: [Int]? = nil) throws {
        location = instruction.location
        defer { location = .unknown }
        let x = instruction.operands
        if let (reverseName, wrt) = splitCall {
            try reverseCall(instruction, reverseName: reverseName, wrt: wrt)
            return
        }
        if let wrt = gradientCall {
            try reverseGradientCall(instruction, wrt: wrt)
            return
        }
        switch instruction.op {
        case .push:
            // The value's adjoint comes back through the shadow tape, pushed by the adjoint of the matching pop.
            guard case .tape(let tape) = instruction.payload, !context.inertTapes.contains(tape),
                  source.type(of: x[0]).carriesDerivatives else { return }
            let type = source.type(of: x[0])
            let adjoint = emit(.pop, [], type, payload: .tape(context.shadowTape(of: tape)))
            guard isActive(x[0]) else { return }
            if case .tuple(let elements) = type {
                // A tuple's adjoint travels as a tuple of its components' adjoints.
                for key in source.adjointKeys(of: x[0]) {
                    accumulate(key, emit(.extract, [adjoint], elements[key.component], payload: .index(key.component)))
                }
            } else {
                add(x[0], adjoint)
            }
            return
        case .pop:
            guard case .tape(let tape) = instruction.payload, !context.inertTapes.contains(tape),
                  let y = instruction.result, source.type(of: y).carriesDerivatives else { return }
            let adjoint: ValueID
            if case .tuple(let elements) = source.type(of: y) {
                let parts = elements.indices.map { i -> ValueID in
                    let key = AdjointKey(y, i)
                    defer { adjoints[key] = .zero }
                    return elements[i].carriesDerivatives ? materialize(key) : zeros.of(elements[i])
                }
                adjoint = emit(.tuple, parts, source.type(of: y))
            } else {
                adjoint = materialize(AdjointKey(y))
                adjoints[AdjointKey(y)] = .zero
            }
            builder.emit(.push, [adjoint], type: nil, payload: .tape(context.shadowTape(of: tape)), at: .unknown)
            return
        default:
            break
        }
        guard let y = instruction.result, activity.isActive(y) else { return }
        let keys = source.adjointKeys(of: y)
        guard keys.contains(where: { adjoints[$0] != nil && adjoints[$0] != .zero }) else { return }
        if case .tuple = source.type(of: y) {
            // A tuple's components are separate adjoints.
            guard instruction.op == .tuple else {
                throw DifferentiationError(location: instruction.location,
                                           message: "cannot differentiate '\(instruction.op)' with a tuple result")
            }
            for (i, key) in keys.enumerated() {
                if case .value(let c) = adjoints[key] ?? .zero , isActive(x[key.component]) { add(x[key.component], c) }
                _ = i
                adjoints[key] = .zero
            }
            return
        }
        let ybar = materialize(AdjointKey(y))
        adjoints[AdjointKey(y)] = .zero
        let t = source.type(of: y)
        switch instruction.op {
        case .add:
            if isActive(x[0]) { add(x[0], fit(ybar, like: x[0])) }
            if isActive(x[1]) { add(x[1], fit(ybar, like: x[1])) }
        case .sub:
            if isActive(x[0]) { add(x[0], fit(ybar, like: x[0])) }
            if isActive(x[1]) { add(x[1], fit(emit(.neg, [ybar], t), like: x[1])) }
        case .mul:
            if isActive(x[0]) { add(x[0], fit(emit(.mul, [ybar, primal(x[1])], t), like: x[0])) }
            if isActive(x[1]) { add(x[1], fit(emit(.mul, [ybar, primal(x[0])], t), like: x[1])) }
        case .div:
            if isActive(x[0]) { add(x[0], fit(emit(.div, [ybar, primal(x[1])], t), like: x[0])) }
            if activity.isActive(x[1]) {
                let q = emit(.div, [emit(.mul, [ybar, primal(y)], t), primal(x[1])], t)
                if isActive(x[1]) { add(x[1], fit(emit(.neg, [q], t), like: x[1])) }
            }
        case .pow:
            if activity.isActive(x[0]) {
                // d(a^b)/da = b·a^(b-1), which is also right at a = 0 for b ≥ 1.
                let bMinusOne = emit(.sub, [primal(x[1]), real("1")], source.type(of: x[1]))
                let d = emit(.mul, [primal(x[1]), emit(.pow, [primal(x[0]), bMinusOne], t)], t)
                if isActive(x[0]) { add(x[0], fit(emit(.mul, [ybar, d], t), like: x[0])) }
            }
            if activity.isActive(x[1]) {
                let d = emit(.mul, [primal(y), emit(.log, [primal(x[0])], source.type(of: x[0]))], t)
                if isActive(x[1]) { add(x[1], fit(emit(.mul, [ybar, d], t), like: x[1])) }
            }
        case .neg:
            if isActive(x[0]) { add(x[0], emit(.neg, [ybar], t)) }
        case .exp:
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, primal(y)], t)) }
        case .log:
            if isActive(x[0]) { add(x[0], emit(.div, [ybar, primal(x[0])], t)) }
        case .sin:
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.cos, [primal(x[0])], t)], t)) }
        case .cos:
            if isActive(x[0]) { add(x[0], emit(.neg, [emit(.mul, [ybar, emit(.sin, [primal(x[0])], t)], t)], t)) }
        case .tan:
            let y2 = emit(.mul, [primal(y), primal(y)], t)
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.add, [real("1"), y2], t)], t)) }
        case .tanh:
            let y2 = emit(.mul, [primal(y), primal(y)], t)
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.sub, [real("1"), y2], t)], t)) }
        case .sqrt:
            if isActive(x[0]) { add(x[0], emit(.div, [ybar, emit(.mul, [real("2"), primal(y)], t)], t)) }
        case .abs:
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.sign, [primal(x[0])], t)], t)) }
        case .sigmoid:
            let oneMinus = emit(.sub, [real("1"), primal(y)], t)
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.mul, [primal(y), oneMinus], t)], t)) }
        case .relu:
            // relu(x) > 0 exactly where the derivative is 1, so sign(relu(x)) is the mask (0 at the kink).
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.sign, [primal(y)], t)], t)) }
        case .maximum, .minimum:
            // The first operand takes ties: a ≥ b for maximum, a ≤ b for minimum.
            let (a, b) = instruction.op == .maximum ? (primal(x[0]), primal(x[1])) : (primal(x[1]), primal(x[0]))
            let first = emit(.stepge, [a, b], stepType(source.type(of: x[0]), source.type(of: x[1])))
            let second = emit(.sub, [real("1"), first], builder.function.type(of: first))
            if isActive(x[0]) { add(x[0], fit(emit(.mul, [ybar, first], t), like: x[0])) }
            if isActive(x[1]) { add(x[1], fit(emit(.mul, [ybar, second], t), like: x[1])) }
        case .sum:
            if isActive(x[0]) { add(x[0], fit(ybar, like: x[0])) }
        case .mean:
            let n = emit(.itor, [emit(.size, [primal(x[0])], .int)], .real)
            if isActive(x[0]) { add(x[0], fit(emit(.div, [ybar, n], .real), like: x[0])) }
        case .prod:
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.prodothers, [primal(x[0])], .tensor)], .tensor)) }
        case .max, .min:
            if isActive(x[0]) { add(x[0], emit(.mul, [ybar, emit(.firsteq, [primal(x[0]), primal(y)], .tensor)], .tensor)) }
        case .norm:
            if isActive(x[0]) { add(x[0], emit(.mul, [emit(.div, [ybar, primal(y)], .real), primal(x[0])], .tensor)) }
        case .sumaxis, .meanaxis:
            var g = emit(.expanddims, [shaped(ybar, like: y), primal(x[1])], .tensor)
            if instruction.op == .meanaxis {
                let n = emit(.itor, [emit(.dim, [primal(x[0]), primal(x[1])], .int)], .real)
                g = emit(.div, [g, n], .tensor)
            }
            if isActive(x[0]) { add(x[0], fit(g, like: x[0])) }
        case .dot:
            let g = shaped(ybar, like: y)
            if isActive(x[0]) { add(x[0], emit(.dotadja, [g, primal(x[0]), primal(x[1])], .tensor)) }
            if isActive(x[1]) { add(x[1], emit(.dotadjb, [g, primal(x[0]), primal(x[1])], .tensor)) }
        case .transpose:
            if isActive(x[0]) { add(x[0], emit(.transpose, [shaped(ybar, like: y)], .tensor)) }
        case .reshape, .expanddims, .reshapeas:
            if isActive(x[0]) { add(x[0], emit(.reshapeas, [shaped(ybar, like: y), primal(x[0])], .tensor)) }
        case .index, .subtensor:
            // Added where it was read, into the current adjoint.
            if isActive(x[0]) {
                let value = instruction.op == .index ? ybar : shaped(ybar, like: y)
                addWhereRead(x[0], .addat, value, x.dropFirst().map { primal($0) }, payload: .none)
            }
        case .select:
            if isActive(x[0]) {
                addWhereRead(x[0], .addselect, shaped(ybar, like: y), x.dropFirst().map { primal($0) },
                             payload: instruction.payload)
            }
        case .setselect, .addselect:
            // `setselect` overwrites the part, which so gets no adjoint from x; `addselect` keeps it.
            let g = shaped(ybar, like: y)
            let indices = x.dropFirst(2).map { primal($0) }
            // The value's part is read first, so that ȳ dies at the `setselect` and is zeroed there in place.
            if isActive(x[1]) {
                add(x[1], fit(emit(.select, [g] + indices, .tensor, payload: instruction.payload), like: x[1]))
            }
            if isActive(x[0]) {
                add(x[0], instruction.op == .addselect
                    ? g : emit(.setselect, [g, zeros.real] + indices, .tensor, payload: instruction.payload))
            }
        case .slice:
            let zero = emit(.zeroslike, [shapeOf(x[0])], .tensor)
            if isActive(x[0]) { add(x[0], emit(.setslice, [zero, shaped(ybar, like: y), primal(x[1]), primal(x[2])], .tensor)) }
        case .setindex:
            // The overwritten element or row gets no adjoint; the new value gets the adjoint there.
            // The value's part is read first, so that ȳ dies at the `setindex` and is zeroed there in place.
            let g = shaped(ybar, like: y)
            let indices = x.dropFirst(2).map { primal($0) }
            if isActive(x[1]) { add(x[1], fit(emit(.subtensor, [g] + indices, .tensor), like: x[1])) }
            if isActive(x[0]) { add(x[0], emit(.setindex, [g, zeros.real] + indices, .tensor)) }
        case .setslice:
            let g = shaped(ybar, like: y)
            if isActive(x[1]) { add(x[1], fit(emit(.slice, [g, primal(x[2]), primal(x[3])], .tensor), like: x[1])) }
            if isActive(x[0]) { add(x[0], emit(.setslice, [g, zeros.real, primal(x[2]), primal(x[3])], .tensor)) }
        case .tensor:
            guard case .shape(let shape) = instruction.payload else { return }
            let g = shaped(ybar, like: y)
            if shape.isEmpty {
                if isActive(x[0]) { add(x[0], emit(.fit, [g, primal(x[0])], .real)) }
                return
            }
            for (k, element) in x.enumerated() where activity.isActive(element) {
                var rest = k
                var index: [Int] = Array(repeating: 0, count: shape.count)
                for axis in shape.indices.reversed() {
                    index[axis] = rest % shape[axis]
                    rest /= shape[axis]
                }
                let indexValues = index.map { emit(.const, [], .int, payload: .constant(.int($0))) }
                if isActive(element) { add(element, emit(.index, [g] + indexValues, .real)) }
            }
        case .full:
            if isActive(x[0]) { add(x[0], emit(.fit, [ybar, primal(x[0])], .real)) }
        case .toreal:
            if isActive(x[0]) { add(x[0], fit(ybar, like: x[0])) }
        case .fit:
            if isActive(x[0]) { add(x[0], fit(shaped(ybar, like: y), like: x[0])) }
        case .addat:
            let g = shaped(ybar, like: y)
            if isActive(x[0]) { add(x[0], g) }
            if isActive(x[1]) { add(x[1], fit(emit(.subtensor, [g] + x.dropFirst(2).map { primal($0) }, .tensor), like: x[1])) }
        case .extract:
            guard case .index(let i) = instruction.payload else { return }
            accumulate(AdjointKey(x[0], i), ybar)
        case .dotadja, .dotadjb, .prodothers:
            throw DifferentiationError(location: instruction.location,
                                       message: "a derivative of 'dot' or 'prod' cannot be differentiated again yet")
        case .const, .rem, .not, .eq, .ne, .lt, .le, .gt, .ge, .sign, .floor, .size, .dim, .arange, .zeros, .ones,
             .zeroslike, .oneslike, .randnormal, .randuniform, .itor, .ftoi, .istraining, .print, .settraining,
             .stepge, .firsteq, .sameshape, .tuple, .push, .pop, .call, .grad:
            break
        }
    }

    /// A Tensor adjoint given its value's shape (a shared rank-0 zero may stand for it).
    private mutating func shaped(_ adjoint: ValueID, like v: ValueID) -> ValueID {
        emit(.fit, [adjoint, shapeOf(v)], source.type(of: v))
    }

    private func stepType(_ a: ValueType, _ b: ValueType) -> ValueType {
        a == .tensor || b == .tensor ? .tensor : .real
    }

    /// The adjoint of `(v, g) = call @fusedGradient(x..., h)`, forward over reverse: the tangent of the fused
    /// gradient along x' = ḡ (each parameter along its gradient's adjoint), h' = v̄ gives x̄ in the gradients'
    /// tangents and h̄ in the value's (see `DifferentiationContext.tangentOfGradient`). Where v̄ is zero (nothing
    /// reads the value) the head takes no direction: the tangent function then does no work for it.
    private mutating func reverseGradientCall(_ instruction: Instruction, wrt: [Int]) throws {
        guard let y = instruction.result, case .tuple(let components) = source.type(of: y),
              case .callee(let gradient) = instruction.payload else { return }
        let keys = components.indices.map { AdjointKey(y, $0) }
        func reached(_ key: AdjointKey) -> Bool { if case .value = adjoints[key] ?? .zero { true } else { false } }
        guard keys.contains(where: reached) else { return }
        let x = instruction.operands
        let valueReached = reached(keys[0])
        let heads = keys.map { key -> ValueID in
            defer { adjoints[key] = .zero }
            return materialize(key)
        }
        // Each direction shaped like its parameter: an adjoint nothing reached is the shared rank-0 zero.
        var directions = wrt.enumerated().map { k, p in fit(heads[1 + k], like: x[p]) }
        if valueReached { directions.append(fit(heads[0], like: x.last!)) }
        let tangent = try context.tangents(of: gradient, wrt: wrt + (valueReached ? [x.count - 1] : []))
        let type = source.type(of: y)
        let pair = emit(.call, x.map { primal($0) } + directions, .tuple([type, type]), payload: .callee(tangent))
        let tangents = emit(.extract, [pair], type, payload: .index(1))
        for (k, p) in wrt.enumerated() where isActive(x[p]) {
            add(x[p], emit(.extract, [tangents], components[1 + k], payload: .index(1 + k)))
        }
        if isActive(x.last!) { add(x.last!, emit(.extract, [tangents], components[0], payload: .index(0))) }
    }

    /// The adjoint of a split call: the callee's reverse sweep, given the result's adjoint(s).
    private mutating func reverseCall(_ instruction: Instruction, reverseName: String, wrt: [Int]) throws {
        var heads: [ValueID] = []
        if let y = instruction.result {
            for key in source.adjointKeys(of: y) {
                heads.append(materialize(key))
                adjoints[key] = .zero
            }
        }
        guard let callee = context.function(named: reverseName) else {
            throw DifferentiationError.internal("no function @\(reverseName)", at: instruction.location)
        }
        let arguments = instruction.operands.map { primal($0) }
        let gradients = emit(.call, heads + arguments, callee.resultType, payload: .callee(reverseName))
        guard case .tuple(let types) = callee.resultType else { return }
        for (k, argument) in wrt.enumerated() where activity.isActive(instruction.operands[argument]) {
            if isActive(instruction.operands[argument]) { add(instruction.operands[argument], emit(.extract, [gradients], types[k], payload: .index(k))) }
        }
    }
}
