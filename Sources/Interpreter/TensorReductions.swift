// Interpreter stage: reductions of a tensor to a scalar, or along one axis.
//
// Sums run left to right in row-major order, starting from zero. `max`, `min`, `argmax` and
// `argmin` pick the first element attaining the extreme, which is where spec §6 sends the whole
// adjoint, so the adjoint code can ask `argmax` which element that is.

extension Tensor {
    /// The sum of all elements (zero for an empty tensor).
    public func sum() throws -> Element {
        try scalars.reduce(.zero) { try $0 + $1 }
    }

    /// The mean of all elements.
    public func mean() throws -> Element {
        try sum() / Element(count)
    }

    /// The product of all elements (one for an empty tensor).
    public func prod() throws -> Element {
        try scalars.reduce(.one) { try $0 * $1 }
    }

    /// The L2 norm: the square root of the sum of squares.
    public func norm() throws -> Element {
        try scalars.reduce(.zero) { try $0 + $1 * $1 }.sqrt()
    }

    /// The largest element, the first one if several are equal; throws on an empty tensor.
    public func max() throws -> Element {
        scalars[try extremeIndex(toward: .greater, operation: "max")]
    }

    /// The smallest element, the first one if several are equal; throws on an empty tensor.
    public func min() throws -> Element {
        scalars[try extremeIndex(toward: .less, operation: "min")]
    }

    /// The flat (row-major) index of the first largest element; throws on an empty tensor.
    public func argmax() throws -> Int {
        try extremeIndex(toward: .greater, operation: "argmax")
    }

    /// The flat (row-major) index of the first smallest element; throws on an empty tensor.
    public func argmin() throws -> Int {
        try extremeIndex(toward: .less, operation: "argmin")
    }

    /// The flat index of the first element attaining the extreme in `direction` (or of the first NaN).
    private func extremeIndex(toward direction: ComparisonResultKind, operation: String) throws -> Int {
        guard !scalars.isEmpty else { throw TensorError.emptyReduction(operation) }
        var best = 0
        for index in scalars.indices.dropFirst() {
            if try Element.replacesExtreme(scalars[index], scalars[best], toward: direction) { best = index }
        }
        return best
    }

    /// The sums along `axis`, which is removed from the shape; a rank-1 input gives a scalar.
    public func sum(axis: Int) throws -> ScalarOrTensor<Element> {
        guard shape.indices.contains(axis) else { throw TensorError.axisOutOfRange(axis, rank: rank) }
        var reducedShape = shape
        reducedShape.remove(at: axis)
        // Stride 0 on the summed axis sends every element along it to the same sum.
        var strides = TensorShape.strides(of: reducedShape)
        strides.insert(0, at: axis)
        let sums = try accumulated(into: reducedShape, strides: strides)
        return reducedShape.isEmpty ? .scalar(sums[0]) : .tensor(Tensor(validShape: reducedShape, scalars: sums))
    }

    /// The means along `axis`, which is removed from the shape; a rank-1 input gives a scalar.
    public func mean(axis: Int) throws -> ScalarOrTensor<Element> {
        let sums = try sum(axis: axis)
        let length = Element(shape[axis])
        switch sums {
        case .scalar(let sum): return .scalar(try sum / length)
        case .tensor(let sums): return .tensor(try sums.map { try $0 / length })
        }
    }
}
