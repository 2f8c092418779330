// Interpreter stage: elementwise operations, broadcasting, linear algebra and reshaping on tensors.
//
// Broadcasting follows NumPy (spec §3): trailing dimensions align and a dimension of 1 stretches.
// `sumToShape` undoes it, which is what the adjoint of a broadcast operand needs. `dot` follows
// NumPy for ranks 1 and 2 (spec §6).

extension Tensor {
    /// The tensor of `transform` applied to every element.
    public func map(_ transform: (Element) throws -> Element) rethrows -> Tensor {
        Tensor(validShape: shape, scalars: try scalars.map(transform))
    }

    /// The elementwise `combine` of `a` and `b`, both broadcast to their common shape.
    public static func zip(_ a: Tensor, _ b: Tensor,
                           _ combine: (Element, Element) throws -> Element) throws -> Tensor {
        // Equal shapes need no index arithmetic: the common case, kept fast for the oracle's loops.
        if a.shape == b.shape {
            return Tensor(validShape: a.shape, scalars: try Swift.zip(a.scalars, b.scalars).map { try combine($0, $1) })
        }
        let shape = try TensorShape.broadcast(a.shape, b.shape)
        let fromA = TensorShape.offsets(walking: shape,
                                        strides: TensorShape.broadcastStrides(from: a.shape, to: shape))
        let fromB = TensorShape.offsets(walking: shape,
                                        strides: TensorShape.broadcastStrides(from: b.shape, to: shape))
        let scalars = try Swift.zip(fromA, fromB).map { try combine(a.scalars[$0], b.scalars[$1]) }
        return Tensor(validShape: shape, scalars: scalars)
    }

    /// This tensor broadcast to `target`, which must be its NumPy broadcast with `target` itself.
    public func broadcast(to target: [Int]) throws -> Tensor {
        guard TensorShape.canBroadcast(shape, to: target) else { throw TensorError.cannotBroadcast(shape, to: target) }
        let sources = TensorShape.offsets(walking: target,
                                          strides: TensorShape.broadcastStrides(from: shape, to: target))
        return Tensor(validShape: target, scalars: sources.map { scalars[$0] })
    }

    /// The reverse of broadcasting `shape` to `t.shape`: `t` summed over the axes broadcasting added
    /// or stretched, so the adjoint of a broadcast operand gets the operand's shape back.
    public static func sumToShape(_ t: Tensor, _ shape: [Int]) throws -> Tensor {
        guard TensorShape.canBroadcast(shape, to: t.shape) else { throw TensorError.cannotSum(t.shape, to: shape) }
        // Nothing was broadcast: return `t` itself rather than `0 + t`, which would turn -0.0 into 0.0.
        if shape == t.shape { return t }
        return Tensor(validShape: shape,
                      scalars: try t.accumulated(into: shape,
                                                 strides: TensorShape.broadcastStrides(from: shape, to: t.shape)))
    }

    /// Sums of this tensor's elements into the elements of a tensor of `target` shape: the element at
    /// each multi-index of `self` is added to the target element at offset `Σ index[k]·strides[k]`.
    /// Zero strides on the axes being summed away make this both `sumToShape` and `sum(axis:)`.
    func accumulated(into target: [Int], strides: [Int]) throws -> [Element] {
        var sums = Array(repeating: Element.zero, count: target.reduce(1, *))
        for (value, offset) in Swift.zip(scalars, TensorShape.offsets(walking: shape, strides: strides)) {
            sums[offset] = try sums[offset] + value
        }
        return sums
    }

    /// NumPy's `maximum`: the elementwise larger of `a` and `b`, broadcast; a tie gives the first
    /// operand's element (the one that receives the adjoint, spec §6), and NaN propagates.
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try zip(a, b) { x, y in try Element.replacesExtreme(y, x, toward: .greater) ? y : x }
    }

    /// NumPy's `minimum`: the elementwise smaller of `a` and `b`, broadcast; ties as in `maximum`.
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try zip(a, b) { x, y in try Element.replacesExtreme(y, x, toward: .less) ? y : x }
    }
}

extension Scalar {
    /// Whether `candidate` replaces `current` as the running maximum (`direction` `.greater`) or
    /// minimum (`.less`): only when strictly beyond it, so the first of equal values is kept (the
    /// tie rule of spec §6), or when it is NaN and `current` is not, so NaN propagates as in NumPy.
    public static func replacesExtreme(_ candidate: Self, _ current: Self,
                                       toward direction: ComparisonResultKind) throws -> Bool {
        switch try compare(candidate, current) {
        case direction: return true
        case .unordered: return try compare(current, current) != .unordered
        default: return false
        }
    }
}

// MARK: - Linear algebra and shape

extension Tensor {
    /// NumPy's `dot` for ranks 1 and 2: the inner product of two vectors (a scalar), the matrix
    /// product, and the vector–matrix and matrix–vector products (rank 1).
    ///
    /// A vector on the left is read as a 1×k matrix and one on the right as a k×1 matrix; the
    /// product's unit axes are then dropped, which gives all four of NumPy's cases at once.
    public static func dot(_ a: Tensor, _ b: Tensor) throws -> ScalarOrTensor<Element> {
        guard (1...2).contains(a.rank), (1...2).contains(b.rank) else { throw TensorError.dotRank(a.shape, b.shape) }
        let (m, inner) = a.rank == 2 ? (a.shape[0], a.shape[1]) : (1, a.shape[0])
        let (otherInner, n) = b.rank == 2 ? (b.shape[0], b.shape[1]) : (b.shape[0], 1)
        guard inner == otherInner else { throw TensorError.dotInnerMismatch(a.shape, b.shape, inner, otherInner) }

        var product: [Element] = []
        product.reserveCapacity(m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = Element.zero
                for k in 0..<inner {
                    sum = try sum + a.scalars[i * inner + k] * b.scalars[k * n + j]
                }
                product.append(sum)
            }
        }
        let shape = (a.rank == 2 ? [m] : []) + (b.rank == 2 ? [n] : [])
        return shape.isEmpty ? .scalar(product[0]) : .tensor(Tensor(validShape: shape, scalars: product))
    }

    /// The tensor with its axes reversed (`x.T`); a rank-1 tensor is unchanged.
    public func transposed() -> Tensor {
        let sources = TensorShape.offsets(walking: shape.reversed(), strides: strides.reversed())
        return Tensor(validShape: shape.reversed(), scalars: sources.map { scalars[$0] })
    }

    /// The same elements, in the same row-major order, under `newShape`.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        let newCount = try TensorShape.elementCount(newShape)
        guard newCount == count else { throw TensorError.cannotReshape(shape, count, to: newShape, newCount) }
        return Tensor(validShape: newShape, scalars: scalars)
    }
}
