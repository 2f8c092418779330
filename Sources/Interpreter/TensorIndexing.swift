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

// MARK: - Selections: subscripts with ':'

extension Tensor {
    /// The flat offsets of the part a subscript selects, in row-major order of its whole axes, and the
    /// part's shape. `indexesAxis` has one entry per axis (the caller checks the rank); `indices` holds
    /// one index per indexed axis, each checked against its axis.
    private func selection(_ indexesAxis: [Bool], _ indices: [Int]) throws -> (offsets: [Int], shape: [Int]) {
        precondition(indexesAxis.count == rank, "a selection's subscript must have one position per axis")
        var base = 0
        var wholeAxes: [Int] = []
        var next = indices.makeIterator()
        let strides = self.strides
        for axis in 0..<rank {
            guard indexesAxis[axis] else { wholeAxes.append(axis); continue }
            let index = next.next()!
            guard (0..<shape[axis]).contains(index) else {
                throw TensorError.indexOutOfRange(index, axis: axis, size: shape[axis])
            }
            base += index * strides[axis]
        }
        let partShape = wholeAxes.map { shape[$0] }
        var offsets: [Int] = []
        offsets.reserveCapacity(partShape.reduce(1, *))
        // Odometer over the whole axes, last axis fastest.
        var counter = Array(repeating: 0, count: wholeAxes.count)
        var offset = base
        if partShape.contains(0) { return ([], partShape) }
        while true {
            offsets.append(offset)
            var k = wholeAxes.count - 1
            while k >= 0 {
                counter[k] += 1
                offset += strides[wholeAxes[k]]
                if counter[k] < partShape[k] { break }
                offset -= counter[k] * strides[wholeAxes[k]]
                counter[k] = 0
                k -= 1
            }
            if k < 0 { return (offsets, partShape) }
        }
    }

    /// `x[i, :]` and the like: the selected part as a tensor of its own.
    public func selecting(_ indexesAxis: [Bool], at indices: [Int]) throws -> Tensor {
        let (offsets, shape) = try selection(indexesAxis, indices)
        return Tensor(validShape: shape, scalars: offsets.map { scalars[$0] })
    }

    /// A copy with the selected part replaced by `value` broadcast to its shape (`x[:, j] = v`).
    public func updatingSelection(_ indexesAxis: [Bool], at indices: [Int],
                                  with value: ScalarOrTensor<Element>) throws -> Tensor {
        let (offsets, shape) = try selection(indexesAxis, indices)
        let replacement = try Tensor.filling(shape, with: value)
        var copy = self
        for (k, offset) in offsets.enumerated() { copy.scalars[offset] = replacement[k] }
        return copy
    }

    /// A copy with `value`, broadcast to the selected part's shape, added to that part (`x[:, j] += v`;
    /// the adjoint of reading the part).
    public func addingToSelection(_ indexesAxis: [Bool], at indices: [Int],
                                  _ value: ScalarOrTensor<Element>) throws -> Tensor {
        let (offsets, shape) = try selection(indexesAxis, indices)
        let addend = try Tensor.filling(shape, with: value)
        var copy = self
        for (k, offset) in offsets.enumerated() { copy.scalars[offset] = try copy.scalars[offset] + addend[k] }
        return copy
    }

    /// The elements of a value broadcast to `shape`, row-major.
    private static func filling(_ shape: [Int], with value: ScalarOrTensor<Element>) throws -> [Element] {
        switch value {
        case .scalar(let s): return Array(repeating: s, count: shape.reduce(1, *))
        case .tensor(let t): return try t.broadcast(to: shape).scalars
        }
    }
}
