// Interpreter stage: the tensor operations only adjoint code uses.
//
// Reverse mode needs a few local derivatives that the language has no direct
// spelling for: fitting an adjoint to its operand's shape, masks for `max`/`min`
// ties, the adjoints of `dot` for each NumPy rank case, and whole-slice updates.
// They live here so the IR's AD-support ops have one obviously right meaning.

extension Tensor {
    /// `self` given `shape`: returned as is when equal, broadcast up when it broadcasts to `shape`,
    /// summed down when `shape` broadcasts to it (the adjoint of broadcasting).
    public func fitted(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        if TensorShape.canBroadcast(shape, to: target) { return try broadcast(to: target) }
        // Neither shape broadcasts to the other ([3, 1] against [1, 3]: the adjoint `ȳ * a` of `a * b` when ȳ is
        // a scalar zero standing for the whole result): the result's shape is their common broadcast, so the
        // value is broadcast up to it first, then summed down.
        if !TensorShape.canBroadcast(target, to: shape), let common = try? TensorShape.broadcast(shape, target) {
            return try Tensor.sumToShape(try broadcast(to: common), target)
        }
        return try Tensor.sumToShape(self, target)
    }

    /// One-hot at the first element equal to `value` (the element `max`/`min` chose), zeros elsewhere.
    public func firstEqualMask(_ value: Element) throws -> Tensor {
        var mask = Array(repeating: Element.zero, count: count)
        if let i = try scalars.firstIndex(where: { try Element.equal($0, value) }) { mask[i] = .one }
        return Tensor(validShape: shape, scalars: mask)
    }

    /// For each element, the product of all the others (the adjoint of `prod`), without dividing.
    public func productOfOthers() throws -> Tensor {
        var prefix = Array(repeating: Element.one, count: count)
        var suffix = Array(repeating: Element.one, count: count)
        for i in scalars.indices.dropFirst() { prefix[i] = try prefix[i - 1] * scalars[i - 1] }
        for i in scalars.indices.reversed().dropFirst() { suffix[i] = try suffix[i + 1] * scalars[i + 1] }
        return Tensor(validShape: shape, scalars: try Swift.zip(prefix, suffix).map { try $0 * $1 })
    }

    /// A new axis of size 1 inserted at `axis` (0 ≤ axis ≤ rank).
    public func expandingDimensions(at axis: Int) throws -> Tensor {
        guard axis >= 0, axis <= rank else { throw TensorError("axis \(axis) is out of range for a tensor of rank \(rank)") }
        var newShape = shape
        newShape.insert(1, at: axis)
        return Tensor(validShape: newShape, scalars: scalars)
    }

    /// The adjoint of `a` in `y = dot(a, b)` for the head `ybar` of y's shape, for every NumPy rank case.
    public static func dotAdjointA(_ ybar: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        switch (a.rank, b.rank) {
        case (1, 1): return try zip(ybar, b) { try $0 * $1 }
        case (2, 2): return try matrix(dot(ybar, b.transposed()))
        case (1, 2): return try matrix(dot(b, ybar))                     // v·M: v̄ = M ȳ
        case (2, 1): return try outer(ybar, b)                           // M·v: M̄ = ȳ vᵀ
        default: throw TensorError("dot of ranks \(a.rank) and \(b.rank) has no adjoint")
        }
    }

    /// The adjoint of `b` in `y = dot(a, b)`.
    public static func dotAdjointB(_ ybar: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        switch (a.rank, b.rank) {
        case (1, 1): return try zip(ybar, a) { try $0 * $1 }
        case (2, 2): return try matrix(dot(a.transposed(), ybar))
        case (1, 2): return try outer(a, ybar)                           // v·M: M̄ = v ȳᵀ
        case (2, 1): return try matrix(dot(a.transposed(), ybar))        // M·v: v̄ = Mᵀ ȳ
        default: throw TensorError("dot of ranks \(a.rank) and \(b.rank) has no adjoint")
        }
    }

    /// `x[a..<b] = value` along the first axis: a scalar fills the rows, a tensor broadcasts to them.
    public func updatingSlice(from start: Int, to end: Int, with value: ScalarOrTensor<Element>) throws -> Tensor {
        let rows = try slice(from: start, to: end)
        let replacement: [Element]
        switch value {
        case .scalar(let s): replacement = Array(repeating: s, count: rows.count)
        case .tensor(let t): replacement = try t.broadcast(to: rows.shape).scalars
        }
        var copy = self
        let rowSize = rank > 0 ? strides[0] : 1
        copy.scalars.replaceSubrange(start * rowSize ..< end * rowSize, with: replacement)
        return copy
    }

    /// A copy with `value` added to the element or sub-block at `prefix` (the adjoint of reading it):
    /// one element's work rather than a dense one-hot tensor's.
    public func adding(_ value: ScalarOrTensor<Element>, at prefix: [Int]) throws -> Tensor {
        let current = try block(at: prefix)
        let sum: Tensor
        switch value {
        case .scalar(let s): sum = try current.map { try $0 + s }
        case .tensor(let t): sum = try Tensor.zip(current, t) { try $0 + $1 }.fitted(to: current.shape)
        }
        return try updating(at: prefix, with: prefix.count == rank ? .scalar(sum.scalars[0]) : .tensor(sum))
    }

    /// The element (as a rank-0 tensor) or sub-block at a leading multi-index.
    public func block(at prefix: [Int]) throws -> Tensor {
        switch try indexed(at: prefix) {
        case .scalar(let s): return Tensor(validShape: [], scalars: [s])
        case .tensor(let t): return t
        }
    }

    private static func matrix(_ v: ScalarOrTensor<Element>) -> Tensor {
        switch v {
        case .tensor(let t): return t
        case .scalar(let s): return Tensor(validShape: [], scalars: [s])
        }
    }

    private static func outer(_ u: Tensor, _ v: Tensor) throws -> Tensor {
        try zip(Tensor(validShape: [u.count, 1], scalars: u.scalars), Tensor(validShape: [1, v.count], scalars: v.scalars)) {
            try $0 * $1
        }
    }
}
