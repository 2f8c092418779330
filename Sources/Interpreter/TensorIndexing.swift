// Interpreter stage: reading and replacing elements, rows and sub-blocks of a tensor.
//
// An index list names leading axes: one index per axis selects an element, fewer select the
// sub-block (row, matrix, ...) below them, as `x[i]` and `x[i, j]` do in the language (spec §4).
// Indices start at 0; a negative or too-large index is an error, never wrapped around.

extension Tensor {
    /// The element at a full multi-index (one index per axis).
    public func element(at indices: [Int]) throws -> Element {
        guard indices.count == rank else { throw TensorError.indexCount(rank: rank, count: indices.count) }
        return scalars[try block(at: indices).range.lowerBound]
    }

    /// The sub-block below a partial multi-index `prefix` (fewer indices than axes), e.g. a row.
    public func subtensor(at prefix: [Int]) throws -> Tensor {
        guard prefix.count < rank else { throw TensorError.noSubBlock(rank: rank, count: prefix.count) }
        let (range, shape) = try block(at: prefix)
        return Tensor(validShape: shape, scalars: Array(scalars[range]))
    }

    /// `x[i, ...]` in the language: the element for a full multi-index, else the sub-block below it.
    public func indexed(at indices: [Int]) throws -> ScalarOrTensor<Element> {
        let (range, shape) = try block(at: indices)
        return indices.count == rank
            ? .scalar(scalars[range.lowerBound])
            : .tensor(Tensor(validShape: shape, scalars: Array(scalars[range])))
    }

    /// The rows `start..<end` along the first axis (`x[a..<b]`); requires `0 ≤ start ≤ end ≤ dim 0`.
    public func slice(from start: Int, to end: Int) throws -> Tensor {
        guard rank >= 1 else { throw TensorError.axisOutOfRange(0, rank: rank) }
        guard 0 <= start, start <= end, end <= shape[0] else {
            throw TensorError.sliceOutOfRange(start, end, size: shape[0])
        }
        let rowSize = strides[0]
        return Tensor(validShape: [end - start] + shape.dropFirst(),
                      scalars: Array(scalars[start * rowSize ..< end * rowSize]))
    }

    /// A copy with the element or sub-block at `prefix` replaced by `value` (`x[i] = v`): a scalar
    /// fills the whole sub-block; a tensor must broadcast to the sub-block's shape.
    public func updating(at prefix: [Int], with value: ScalarOrTensor<Element>) throws -> Tensor {
        let (range, shape) = try block(at: prefix)
        let replacement: [Element]
        switch value {
        case .scalar(let scalar): replacement = Array(repeating: scalar, count: range.count)
        case .tensor(let tensor): replacement = try tensor.broadcast(to: shape).scalars
        }
        var copy = self
        copy.scalars.replaceSubrange(range, with: replacement)
        return copy
    }

    /// The flat range and the shape of the sub-block that `prefix` selects; a full index gives a
    /// one-element range and shape `[]`. Every index is checked against its axis.
    private func block(at prefix: [Int]) throws -> (range: Range<Int>, shape: [Int]) {
        guard prefix.count <= rank else { throw TensorError.indexCount(rank: rank, count: prefix.count) }
        for (axis, index) in prefix.enumerated() where !(0..<shape[axis]).contains(index) {
            throw TensorError.indexOutOfRange(index, axis: axis, size: shape[axis])
        }
        let blockShape = Array(shape.dropFirst(prefix.count))
        let start = TensorShape.offset(of: prefix, strides: strides)
        return (start ..< start + blockShape.reduce(1, *), blockShape)
    }
}
