// Interpreter stage: the meaning of each opcode, one case per op.
//
// Reals and tensors meet in broadcasting operations: a Real is treated as a
// rank-0 tensor, NumPy broadcasting does the rest, and the instruction's result
// type says whether to hand back a Real or a Tensor. Errors are thrown as
// `ScalarError` / `TensorError` and located by the caller.
import AdjointBasic
import AdjointIR

extension Interpreter {
    mutating func evaluate(_ instruction: Instruction, _ operands: [Value<S>], resultType: ValueType?) throws -> Value<S> {
        let op = instruction.op
        switch op {
        case .const:
            guard case .constant(let c) = instruction.payload else { throw ScalarError("internal: const without constant") }
            switch c {
            case .int(let i): return .int(i)
            case .bool(let b): return .bool(b)
            case .real(let n, let d): return .real(try S(numerator: n, denominator: d))
            }

        case .add, .sub, .mul:
            if case .int(let a) = operands[0], case .int(let b) = operands[1] {
                let (value, overflow): (Int, Bool)
                switch op {
                case .add: (value, overflow) = a.addingReportingOverflow(b)
                case .sub: (value, overflow) = a.subtractingReportingOverflow(b)
                default: (value, overflow) = a.multipliedReportingOverflow(by: b)
                }
                if overflow { throw ScalarError("integer overflow in \(a) \(op == .add ? "+" : op == .sub ? "-" : "*") \(b)") }
                return .int(value)
            }
            return try broadcast(operands, resultType) { a, b in
                switch op {
                case .add: return try a + b
                case .sub: return try a - b
                default: return try a * b
                }
            }
        case .div: return try broadcast(operands, resultType) { try $0 / $1 }
        case .pow: return try broadcast(operands, resultType) { try S.power($0, $1) }
        case .maximum: return try broadcast(operands, resultType) { try S.compare($1, $0) == .greater ? $1 : $0 }
        case .minimum: return try broadcast(operands, resultType) { try S.compare($1, $0) == .less ? $1 : $0 }
        case .rem:
            let (a, b) = (try int(operands[0]), try int(operands[1]))
            guard b != 0 else { throw ScalarError("remainder by zero") }
            let (value, overflow) = a.remainderReportingOverflow(dividingBy: b)
            if overflow { throw ScalarError("integer overflow in \(a) % \(b)") }
            return .int(value)
        case .neg:
            switch operands[0] {
            case .int(let i):
                guard i != Int.min else { throw ScalarError("integer overflow in -(\(i))") }
                return .int(-i)
            case .real(let r): return .real(try -r)
            case .tensor(let t): return .tensor(try t.map { try -$0 })
            default: throw ScalarError("internal: neg of \(operands[0].printed)")
            }
        case .not:
            return .bool(!(try bool(operands[0])))

        case .eq, .ne:
            let equal = try valuesEqual(operands[0], operands[1])
            return .bool(op == .eq ? equal : !equal)
        case .lt, .le, .gt, .ge:
            let order: ComparisonResultKind
            if case .int(let a) = operands[0], case .int(let b) = operands[1] {
                order = a < b ? .less : (a == b ? .equal : .greater)
            } else {
                order = try S.compare(try real(operands[0]), try real(operands[1]))
            }
            switch op {
            case .lt: return .bool(order == .less)
            case .le: return .bool(order == .less || order == .equal)
            case .gt: return .bool(order == .greater)
            default: return .bool(order == .greater || order == .equal)
            }

        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
            let f: (S) throws -> S
            switch op {
            case .exp: f = { try $0.exp() }
            case .log: f = { try $0.log() }
            case .sin: f = { try $0.sin() }
            case .cos: f = { try $0.cos() }
            case .tan: f = { try $0.tan() }
            case .tanh: f = { try $0.tanh() }
            case .sqrt: f = { try $0.sqrt() }
            case .abs: f = { try $0.abs() }
            case .sigmoid: f = { try $0.sigmoid() }
            case .relu: f = { try $0.relu() }
            case .sign: f = { try $0.sign() }
            default: f = { try $0.floor() }
            }
            if case .tensor(let t) = operands[0] { return .tensor(try t.map(f)) }
            return .real(try f(try real(operands[0])))

        case .sum: return .real(try tensor(operands[0]).sum())
        case .mean: return .real(try tensor(operands[0]).mean())
        case .prod: return .real(try tensor(operands[0]).prod())
        case .max: return .real(try tensor(operands[0]).max())
        case .min: return .real(try tensor(operands[0]).min())
        case .norm: return .real(try tensor(operands[0]).norm())
        case .sumaxis: return .tensor(rank0(try tensor(operands[0]).sum(axis: try int(operands[1]))))
        case .meanaxis: return .tensor(rank0(try tensor(operands[0]).mean(axis: try int(operands[1]))))

        case .dot: return .tensor(rank0(try Tensor.dot(try tensor(operands[0]), try tensor(operands[1]))))
        case .transpose: return .tensor(try tensor(operands[0]).transposed())
        case .reshape: return .tensor(try tensor(operands[0]).reshaped(to: try operands.dropFirst().map(int)))
        case .size: return .int(try tensor(operands[0]).count)
        case .dim:
            let t = try tensor(operands[0]), k = try int(operands[1])
            guard k >= 0, k < t.rank else { throw TensorError("axis \(k) is out of range for a tensor of rank \(t.rank)") }
            return .int(t.shape[k])

        case .index:
            let x = try tensor(operands[0])
            try checkRank(x, instruction.payload)
            return .real(try x.element(at: try operands.dropFirst().map(int)))
        case .select:
            let (x, mask) = try selected(operands[0], instruction.payload)
            return .tensor(try x.selecting(mask, at: try operands.dropFirst().map(int)))
        case .setselect:
            let (x, mask) = try selected(operands[0], instruction.payload)
            return .tensor(try x.updatingSelection(mask, at: try operands.dropFirst(2).map(int), with: try part(operands[1])))
        case .addselect:
            let (x, mask) = try selected(operands[0], instruction.payload)
            return .tensor(try x.addingToSelection(mask, at: try operands.dropFirst(2).map(int), try part(operands[1])))
        case .slice:
            return .tensor(try tensor(operands[0]).slice(from: try int(operands[1]), to: try int(operands[2])))
        case .setindex:
            let value: ScalarOrTensor<S>
            switch operands[1] {
            case .tensor(let t): value = .tensor(t)
            default: value = .scalar(try real(operands[1]))
            }
            return .tensor(try tensor(operands[0]).updating(at: try operands.dropFirst(2).map(int), with: value))

        case .tensor:
            guard case .shape(let shape) = instruction.payload else { throw ScalarError("internal: tensor without shape") }
            return .tensor(try Tensor(shape: shape, scalars: try operands.map(real)))
        case .arange: return .tensor(try Tensor.arange(try int(operands[0])))
        case .zeros: return .tensor(try Tensor.zeros(try operands.map(int)))
        case .ones: return .tensor(try Tensor.ones(try operands.map(int)))
        case .full: return .tensor(try Tensor.full(try real(operands[0]), try operands.dropFirst().map(int)))
        case .zeroslike: return .tensor(try Tensor.zeros(try tensor(operands[0]).shape))
        case .oneslike: return .tensor(try Tensor.ones(try tensor(operands[0]).shape))
        case .randnormal: return .tensor(try Tensor.randomNormal(try operands.map(int), using: &random))
        case .randuniform: return .tensor(try Tensor.randomUniform(try operands.map(int), using: &random))

        case .itor: return .real(S(try int(operands[0])))
        case .ftoi: return .int(try real(operands[0]).truncatedInt())
        case .toreal:
            let t = try tensor(operands[0])
            guard t.count == 1 else {
                throw TensorError("expected a Real, got a Tensor of shape [\(t.shape.map(String.init).joined(separator: ", "))]")
            }
            return .real(t.scalars[0])

        case .istraining: return .bool(isTraining)
        case .print:
            guard case .print(let items) = instruction.payload else { throw ScalarError("internal: print without items") }
            var values = operands.makeIterator()
            let texts = items.map { item -> String in
                switch item {
                case .text(let s): return s
                case .value: return values.next()?.printed ?? ""
                }
            }
            output(texts.joined(separator: " "))
            return .void
        case .call:
            throw ScalarError("internal: calls are run by the interpreter loop")
        case .grad:
            throw ScalarError("internal: grad must be replaced by the reverse-mode pass before running")

        case .tuple: return .tuple(operands)
        case .extract:
            guard case .index(let i) = instruction.payload, case .tuple(let items) = operands[0] else {
                throw ScalarError("internal: extract of a non-tuple")
            }
            return items[i]
        case .push:
            guard case .tape(let id) = instruction.payload else { throw ScalarError("internal: push without tape") }
            tapes[id, default: []].append(operands[0])
            return .void
        case .pop:
            guard case .tape(let id) = instruction.payload, let value = tapes[id]?.popLast() else {
                throw ScalarError("internal: pop of an empty tape")
            }
            return value
        case .settraining:
            let previous = isTraining
            isTraining = try bool(operands[0])
            return .bool(previous)

        case .fit:
            switch (operands[0], operands[1]) {
            case (.tensor(let t), .real): return .real(try t.sum())
            case (.real, .real): return operands[0]
            case (_, .tensor(let like)): return .tensor(try lift(operands[0]).fitted(to: like.shape))
            default: throw ScalarError("internal: fit of \(operands[0].printed)")
            }
        case .stepge:
            return try broadcast(operands, resultType) { a, b in
                let order = try S.compare(a, b)
                return order == .greater || order == .equal ? .one : .zero
            }
        case .firsteq: return .tensor(try tensor(operands[0]).firstEqualMask(try real(operands[1])))
        case .prodothers: return .tensor(try tensor(operands[0]).productOfOthers())
        case .expanddims: return .tensor(try tensor(operands[0]).expandingDimensions(at: try int(operands[1])))
        case .dotadja:
            return .tensor(try Tensor.dotAdjointA(try tensor(operands[0]), try tensor(operands[1]), try tensor(operands[2])))
        case .dotadjb:
            return .tensor(try Tensor.dotAdjointB(try tensor(operands[0]), try tensor(operands[1]), try tensor(operands[2])))
        case .reshapeas: return .tensor(try tensor(operands[0]).reshaped(to: try tensor(operands[1]).shape))
        case .sameshape:
            let (shape, other, rank) = (try tensor(operands[0]).shape, try tensor(operands[1]).shape, try int(operands[2]))
            return .bool(shape == other && shape.count == rank)
        case .setslice:
            let value: ScalarOrTensor<S>
            if case .tensor(let t) = operands[1] { value = .tensor(t) } else { value = .scalar(try real(operands[1])) }
            return .tensor(try tensor(operands[0]).updatingSlice(from: try int(operands[2]), to: try int(operands[3]), with: value))
        case .subtensor: return .tensor(try tensor(operands[0]).block(at: try operands.dropFirst().map(int)))
        case .addat:
            let value: ScalarOrTensor<S>
            if case .tensor(let t) = operands[1] { value = .tensor(t) } else { value = .scalar(try real(operands[1])) }
            return .tensor(try tensor(operands[0]).adding(value, at: try operands.dropFirst(2).map(int)))
        }
    }

    // MARK: - Explain

    /// Reports kinks and ties of one evaluated instruction to the explain recorder (spec §6 conventions).
    mutating func recordKinks(_ instruction: Instruction, _ operands: [Value<S>], _ result: Value<S>,
                              in function: String) throws {
        guard let recorder = explain, instruction.location.isKnown else { return }
        // A point is non-smooth for the gradient only where an operand depends on the differentiated inputs.
        guard instruction.operands.contains(where: { recorder.dependsOnInputs($0, in: function) }) else { return }
        let at = instruction.location
        func elements(_ v: Value<S>) throws -> [S] {
            switch v {
            case .real(let r): return [r]
            case .tensor(let t): return t.scalars
            case .int(let i): return [S(i)]
            default: return []
            }
        }
        func countZeros(_ v: Value<S>) throws -> Int {
            try elements(v).filter { try S.compare($0, .zero) == .equal }.count
        }
        guard let point = instruction.op.nonSmoothPoint else { return }
        switch point.test {
        case .zero:
            recorder.kink(at: at, operation: point.operation, convention: point.convention, count: try countZeros(operands[0]))
        case .integer:
            let integers = try elements(operands[0]).filter { try S.equal(try $0.floor(), $0) }.count
            recorder.kink(at: at, operation: point.operation, convention: point.convention, count: integers)
        case .equalOperands:
            // A comparison of Ints has no derivative to be one-sided: Reals only.
            if instruction.op.isComparison {
                guard case .real = operands[0], case .real = operands[1] else { return }
            }
            let a = try elements(operands[0]), b = try elements(operands[1])
            let n = Swift.max(a.count, b.count)
            var ties = 0
            for i in 0..<n where try S.equal(a[a.count == 1 ? 0 : i], b[b.count == 1 ? 0 : i]) { ties += 1 }
            recorder.kink(at: at, operation: point.operation, convention: point.convention, count: ties)
        case .extremeAttainedTwice:
            guard case .real(let extreme) = result else { return }
            let attaining = try elements(operands[0]).filter { try S.equal($0, extreme) }.count
            recorder.kink(at: at, operation: "\(point.operation) (\(attaining) elements attain it)",
                          convention: point.convention, count: attaining > 1 ? 1 : 0)
        }
    }

    // MARK: - Operand access

    /// A subscript written in the source must have one position per axis; the error quotes it and
    /// says what to write instead.
    private func checkRank(_ x: Tensor<S>, _ payload: Payload) throws {
        guard case .subscripted(let s) = payload, s.positions.count != x.rank else { return }
        throw TensorError(s.rankMismatchMessage(rank: x.rank))
    }

    /// The tensor of a `select`, `setselect` or `addselect`, its rank checked, and which axes are indexed.
    private func selected(_ v: Value<S>, _ payload: Payload) throws -> (Tensor<S>, [Bool]) {
        guard case .subscripted(let s) = payload else { throw ScalarError("internal: a selection without its subscript") }
        let x = try tensor(v)
        try checkRank(x, payload)
        return (x, s.indexesAxis)
    }

    /// A Real or Tensor value written into or added to a selected part.
    private func part(_ v: Value<S>) throws -> ScalarOrTensor<S> {
        if case .tensor(let t) = v { return .tensor(t) }
        return .scalar(try real(v))
    }

    private func int(_ v: Value<S>) throws -> Int {
        guard case .int(let i) = v else { throw ScalarError("internal: expected an Int, got \(v.printed)") }
        return i
    }

    private func bool(_ v: Value<S>) throws -> Bool {
        guard case .bool(let b) = v else { throw ScalarError("internal: expected a Bool, got \(v.printed)") }
        return b
    }

    private func real(_ v: Value<S>) throws -> S {
        switch v {
        case .real(let r): return r
        case .int(let i): return S(i)
        default: throw ScalarError("internal: expected a Real, got \(v.printed)")
        }
    }

    private func tensor(_ v: Value<S>) throws -> Tensor<S> {
        guard case .tensor(let t) = v else { throw ScalarError("internal: expected a Tensor, got \(v.printed)") }
        return t
    }

    /// A reduction's or product's result as a tensor: a scalar becomes a rank-0 tensor.
    private func rank0(_ v: ScalarOrTensor<S>) -> Tensor<S> {
        switch v {
        case .tensor(let t): return t
        case .scalar(let s): return Tensor([s]).withShape([])
        }
    }

    /// Applies `f` elementwise with NumPy broadcasting; Reals act as rank-0 tensors.
    private func broadcast(_ operands: [Value<S>], _ resultType: ValueType?, _ f: (S, S) throws -> S) throws -> Value<S> {
        if resultType == .real { return .real(try f(try real(operands[0]), try real(operands[1]))) }
        return .tensor(try Tensor.zip(try lift(operands[0]), try lift(operands[1]), f))
    }

    /// A Real as a rank-0 tensor; a tensor as itself.
    private func lift(_ v: Value<S>) throws -> Tensor<S> {
        if case .tensor(let t) = v { return t }
        return Tensor([try real(v)]).withShape([])
    }

    private func valuesEqual(_ a: Value<S>, _ b: Value<S>) throws -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.tensor(let x), .tensor(let y)): return try Tensor.equal(x, y)
        default: return try S.equal(try real(a), try real(b))
        }
    }
}

extension Tensor {
    /// The same elements under another shape of equal element count (a rank-0 shape `[]` holds one).
    func withShape(_ shape: [Int]) -> Tensor {
        var copy = self
        copy.shape = shape
        return copy
    }
}
