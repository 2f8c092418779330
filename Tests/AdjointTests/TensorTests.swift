// Interpreter stage tests: the generic tensor library, run over Double.
//
// Expected values are written out in full; shapes follow NumPy, whose results they match.

import Testing
@testable import AdjointInterpreter

/// A Double tensor of `shape` holding `values` row-major.
private func tensor(_ shape: [Int], _ values: [Double]) throws -> Tensor<Double> {
    try Tensor(shape: shape, scalars: values)
}

/// The message of the `TensorError` that `body` throws, or nil if it throws nothing or something else.
private func tensorErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as TensorError {
        return error.message
    } catch {
        return nil
    }
}

// MARK: - Construction

@Test func initializerChecksShapeAgainstElements() throws {
    #expect(tensorErrorMessage { _ = try tensor([2, 3], [1, 2, 3]) } == "shape [2, 3] needs 6 elements, not 3")
    #expect(tensorErrorMessage { _ = try tensor([-1], []) } == "negative dimension -1")
    let t = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(t.rank == 2 && t.count == 6 && t.strides == [3, 1])
}

@Test func constructors() throws {
    #expect(try Tensor<Double>.arange(4) == Tensor([0, 1, 2, 3]))
    #expect(try Tensor<Double>.arange(0) == Tensor([]))
    #expect(try Tensor<Double>.zeros([2, 1]) == tensor([2, 1], [0, 0]))
    #expect(try Tensor<Double>.ones([3]) == Tensor([1, 1, 1]))
    #expect(try Tensor.full(2.5, [1, 2]) == tensor([1, 2], [2.5, 2.5]))
    #expect(tensorErrorMessage { _ = try Tensor<Double>.zeros([2, -1]) } == "negative dimension -1")
    #expect(tensorErrorMessage { _ = try Tensor<Double>.arange(-3) } == "negative dimension -3")
    #expect(throws: TensorError.self) { try Tensor<Double>.zeros([1 << 40, 1 << 40]) }
}

// MARK: - Broadcasting

@Test func broadcastShapes() throws {
    #expect(try TensorShape.broadcast([2, 1], [3]) == [2, 3])
    #expect(try TensorShape.broadcast([4, 1, 5], [3, 1]) == [4, 3, 5])
    #expect(try TensorShape.broadcast([0], [1]) == [0])
    #expect(tensorErrorMessage { _ = try TensorShape.broadcast([2, 3], [4]) }
        == "shapes [2, 3] and [4] cannot be broadcast")
}

@Test func zipBroadcastsColumnAgainstRow() throws {
    let column = try tensor([2, 1], [10, 20])
    let row = Tensor<Double>([1, 2, 3])
    let sum = try Tensor.zip(column, row) { $0 + $1 }
    #expect(sum == (try tensor([2, 3], [11, 12, 13, 21, 22, 23])))
    // Operand order is kept: the first operand's element is always the left argument.
    let difference = try Tensor.zip(row, column) { $0 - $1 }
    #expect(difference == (try tensor([2, 3], [-9, -8, -7, -19, -18, -17])))
}

@Test func mapAppliesToEveryElement() throws {
    let t = try tensor([2, 2], [1, -2, 3, -4])
    #expect(try t.map { try $0.abs() } == (try tensor([2, 2], [1, 2, 3, 4])))
}

@Test func broadcastToShape() throws {
    let row = Tensor<Double>([1, 2])
    #expect(try row.broadcast(to: [2, 2]) == (try tensor([2, 2], [1, 2, 1, 2])))
    #expect(tensorErrorMessage { _ = try row.broadcast(to: [3]) } == "shape [2] cannot be broadcast to [3]")
    // Broadcasting must not grow the target: [2] and [2, 1] broadcast together, but to [2, 2].
    #expect(throws: TensorError.self) { try row.broadcast(to: [2, 1]) }
}

@Test func sumToShapeUndoesBroadcasting() throws {
    let t = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try Tensor.sumToShape(t, [3]) == Tensor([5, 7, 9]))
    #expect(try Tensor.sumToShape(t, [2, 1]) == (try tensor([2, 1], [6, 15])))
    #expect(try Tensor.sumToShape(t, [1, 1]) == (try tensor([1, 1], [21])))
    #expect(try Tensor.sumToShape(t, [1]) == Tensor([21]))
    #expect(try Tensor.sumToShape(t, [2, 3]) == t)
    #expect(tensorErrorMessage { _ = try Tensor.sumToShape(t, [2]) } == "shape [2, 3] cannot be summed to [2]")
}

@Test func maximumAndMinimumBroadcastAndPreferFirstOperand() throws {
    let a = Tensor<Double>([1, 5, 3])
    let b = Tensor<Double>([4, 2, 3])
    #expect(try Tensor.maximum(a, b) == Tensor([4, 5, 3]))
    #expect(try Tensor.minimum(a, try tensor([1], [2])) == Tensor([1, 2, 2]))
    // Ties go to the first operand: visible with signed zeros, which compare equal.
    let tie = try Tensor.maximum(Tensor([-0.0]), Tensor([0.0]))
    #expect(tie.scalars[0].sign == .minus)
    // NaN propagates as in NumPy, whichever operand it is.
    #expect(try Tensor.maximum(Tensor([1]), Tensor([.nan])).scalars[0].isNaN)
    #expect(try Tensor.minimum(Tensor([.nan]), Tensor([1])).scalars[0].isNaN)
}

// MARK: - Linear algebra and shape

@Test func dotOfVectorsIsAScalar() throws {
    #expect(try Tensor.dot(Tensor<Double>([1, 2, 3]), Tensor([4, 5, 6])) == .scalar(32))
    #expect(tensorErrorMessage { _ = try Tensor.dot(Tensor<Double>([1, 2, 3]), Tensor([1, 2, 3, 4])) }
        == "dot of shapes [3] and [4]: inner dimensions 3 and 4 differ")
}

@Test func dotOfMatrices() throws {
    let a = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    let b = try tensor([3, 2], [7, 8, 9, 10, 11, 12])
    #expect(try Tensor.dot(a, b) == .tensor(try tensor([2, 2], [58, 64, 139, 154])))
    #expect(tensorErrorMessage { _ = try Tensor.dot(a, a) }
        == "dot of shapes [2, 3] and [2, 3]: inner dimensions 3 and 2 differ")
}

@Test func dotOfVectorAndMatrix() throws {
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try Tensor.dot(Tensor([1, 1]), m) == .tensor(Tensor([5, 7, 9])))
    #expect(try Tensor.dot(m, Tensor([1, 0, -1])) == .tensor(Tensor([-2, -2])))
    // The spec's first example: xᵀx for a column x is a 1×1 matrix.
    let x = try tensor([4, 1], [0, 1, 2, 3])
    #expect(try Tensor.dot(x.transposed(), x) == .tensor(try tensor([1, 1], [14])))
}

@Test func dotRejectsHigherRanks() throws {
    let cube = try Tensor<Double>.zeros([2, 2, 2])
    #expect(tensorErrorMessage { _ = try Tensor.dot(cube, Tensor([1, 2])) }
        == "dot of shapes [2, 2, 2] and [2]: only ranks 1 and 2 are supported")
}

@Test func transposeReversesAxes() throws {
    #expect(Tensor<Double>([1, 2, 3]).transposed() == Tensor([1, 2, 3]))
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(m.transposed() == (try tensor([3, 2], [1, 4, 2, 5, 3, 6])))
    // NumPy: np.arange(24).reshape(2, 3, 4).T has shape (4, 3, 2) and T[i, j, k] = x[k, j, i].
    let x = try Tensor<Double>.arange(24).reshaped(to: [2, 3, 4])
    let t = x.transposed()
    #expect(t.shape == [4, 3, 2])
    #expect(t.scalars == [0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23])
    #expect(try t.element(at: [3, 1, 0]) == x.element(at: [0, 1, 3]))
}

@Test func reshapeChecksCounts() throws {
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try m.reshaped(to: [3, 2]) == (try tensor([3, 2], [1, 2, 3, 4, 5, 6])))
    #expect(try m.reshaped(to: [6]) == Tensor([1, 2, 3, 4, 5, 6]))
    #expect(tensorErrorMessage { _ = try m.reshaped(to: [4, 2]) }
        == "cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)")
    #expect(tensorErrorMessage { _ = try m.reshaped(to: [-1, 6]) } == "negative dimension -1")
}

// MARK: - Reductions

@Test func wholeTensorReductions() throws {
    let t = try tensor([2, 2], [1, 2, 3, 4])
    #expect(try t.sum() == 10)
    #expect(try t.mean() == 2.5)
    #expect(try t.prod() == 24)
    #expect(try t.max() == 4)
    #expect(try t.min() == 1)
    #expect(try Tensor<Double>([3, 4]).norm() == 5)
    #expect(try Tensor<Double>([]).sum() == 0)
    #expect(try Tensor<Double>([]).prod() == 1)
}

@Test func extremesPickTheFirstTie() throws {
    let t = Tensor<Double>([1, 7, 3, 7, 1])
    #expect(try t.argmax() == 1)
    #expect(try t.argmin() == 0)
    #expect(try Tensor<Double>([-0.0, 0.0]).max().sign == .minus)
    #expect(try Tensor<Double>([2, .nan, 5, .nan]).argmax() == 1)
    #expect(try Tensor<Double>([.nan, 5]).argmin() == 0)
}

@Test func extremesOfEmptyTensorsThrow() {
    let empty = Tensor<Double>([])
    #expect(tensorErrorMessage { _ = try empty.max() } == "max of an empty tensor")
    #expect(tensorErrorMessage { _ = try empty.min() } == "min of an empty tensor")
    #expect(tensorErrorMessage { _ = try empty.argmax() } == "argmax of an empty tensor")
}

@Test func sumAndMeanAlongAnAxis() throws {
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try m.sum(axis: 0) == .tensor(Tensor([5, 7, 9])))
    #expect(try m.sum(axis: 1) == .tensor(Tensor([6, 15])))
    #expect(try m.mean(axis: 1) == .tensor(Tensor([2, 5])))
    #expect(try Tensor<Double>([1, 2, 3]).sum(axis: 0) == .scalar(6))
    #expect(try Tensor<Double>([1, 2, 3]).mean(axis: 0) == .scalar(2))
    let cube = try Tensor<Double>.arange(8).reshaped(to: [2, 2, 2])
    #expect(try cube.sum(axis: 1) == .tensor(try tensor([2, 2], [2, 4, 10, 12])))
    #expect(tensorErrorMessage { _ = try m.sum(axis: 2) } == "axis 2 is out of range for a tensor of rank 2")
    #expect(tensorErrorMessage { _ = try m.mean(axis: -1) } == "axis -1 is out of range for a tensor of rank 2")
}

// MARK: - Indexing

@Test func elementsAndSubBlocks() throws {
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try m.element(at: [1, 2]) == 6)
    #expect(try m.subtensor(at: [1]) == Tensor([4, 5, 6]))
    #expect(try m.subtensor(at: []) == m)
    #expect(try m.indexed(at: [0]) == .tensor(Tensor([1, 2, 3])))
    #expect(try m.indexed(at: [0, 1]) == .scalar(2))
    #expect(tensorErrorMessage { _ = try m.element(at: [1]) } == "tensor of rank 2 indexed with 1 index")
    #expect(tensorErrorMessage { _ = try m.indexed(at: [1, 1, 1]) } == "tensor of rank 2 indexed with 3 indices")
    #expect(tensorErrorMessage { _ = try m.subtensor(at: [1, 1]) }
        == "tensor of rank 2 indexed with 2 indices has no sub-block")
    #expect(tensorErrorMessage { _ = try m.element(at: [2, 0]) } == "index 2 is out of range for axis 0 of size 2")
    #expect(tensorErrorMessage { _ = try m.element(at: [0, -1]) } == "index -1 is out of range for axis 1 of size 3")
}

@Test func slicesAlongTheFirstAxis() throws {
    let m = try Tensor<Double>.arange(8).reshaped(to: [4, 2])
    #expect(try m.slice(from: 1, to: 3) == (try tensor([2, 2], [2, 3, 4, 5])))
    #expect(try m.slice(from: 4, to: 4) == (try tensor([0, 2], [])))
    #expect(try Tensor<Double>.arange(4).slice(from: 0, to: 2) == Tensor([0, 1]))
    #expect(tensorErrorMessage { _ = try m.slice(from: 2, to: 5) }
        == "slice 2..<5 is out of range for axis 0 of size 4")
    #expect(throws: TensorError.self) { try m.slice(from: -1, to: 2) }
    #expect(throws: TensorError.self) { try m.slice(from: 3, to: 2) }
}

@Test func updatingReplacesElementsAndRows() throws {
    let m = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try m.updating(at: [0, 1], with: .scalar(9)) == (try tensor([2, 3], [1, 9, 3, 4, 5, 6])))
    #expect(try m.updating(at: [1], with: .scalar(0)) == (try tensor([2, 3], [1, 2, 3, 0, 0, 0])))
    #expect(try m.updating(at: [0], with: .tensor(Tensor([7, 8, 9]))) == (try tensor([2, 3], [7, 8, 9, 4, 5, 6])))
    #expect(try m.updating(at: [0], with: .tensor(Tensor([7]))) == (try tensor([2, 3], [7, 7, 7, 4, 5, 6])))
    #expect(try m.updating(at: [], with: .scalar(1)) == (try Tensor.ones([2, 3])))
    #expect(m == (try tensor([2, 3], [1, 2, 3, 4, 5, 6])), "updating returns a copy")
    #expect(tensorErrorMessage { _ = try m.updating(at: [1], with: .tensor(Tensor([1, 2]))) }
        == "shape [2] cannot be broadcast to [3]")
    #expect(tensorErrorMessage { _ = try m.updating(at: [2], with: .scalar(0)) }
        == "index 2 is out of range for axis 0 of size 2")
    #expect(throws: TensorError.self) { try m.updating(at: [0, 0, 0], with: .scalar(0)) }
}

@Test func languageEqualityComparesShapeAndElements() throws {
    let a = Tensor<Double>([1, 2])
    #expect(try Tensor.equal(a, Tensor([1, 2])))
    #expect(try !Tensor.equal(a, Tensor([1, 3])))
    #expect(try !Tensor.equal(a, try tensor([2, 1], [1, 2])))
    #expect(try !Tensor<Double>.equal(Tensor([.nan]), Tensor([.nan])))
}

// MARK: - Formatting

@Test func printsLikeNumPy() throws {
    #expect(Tensor<Double>([0, 4, 12]).description == "[ 0.0  4.0 12.0]")
    #expect(try tensor([2, 1], [0, 4]).description == "[[0.0]\n [4.0]]")
    #expect(try tensor([2, 2], [1, -2.5, 3, 4]).description == "[[ 1.0 -2.5]\n [ 3.0  4.0]]")
    let cube = try Tensor<Double>.arange(8).reshaped(to: [2, 2, 2])
    #expect(cube.description == "[[[0.0 1.0]\n  [2.0 3.0]]\n\n [[4.0 5.0]\n  [6.0 7.0]]]")
    let four = try Tensor<Double>.arange(4).reshaped(to: [2, 1, 2, 1])
    #expect(four.description == "[[[[0.0]\n   [1.0]]]\n\n\n [[[2.0]\n   [3.0]]]]")
    #expect(Tensor<Double>([]).description == "[]")
    #expect(try Tensor<Double>.zeros([2, 0]).description == "[]")
}

@Test func jsonNestsOneArrayPerAxis() throws {
    #expect(try tensor([2, 1], [0, 4]).jsonText == "[[0.0], [4.0]]")
    #expect(Tensor<Double>([1, .infinity, .nan]).jsonText == "[1.0, \"inf\", \"nan\"]")
    #expect(try Tensor<Double>.arange(8).reshaped(to: [2, 2, 2]).jsonText
        == "[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]")
    #expect(Tensor<Double>([]).jsonText == "[]")
    #expect(try Tensor<Double>.zeros([2, 0]).jsonText == "[[], []]")
}

// MARK: - Random numbers

// The expected draws come from an independent Python reimplementation of the algorithm in
// RandomGenerator's doc comment (integers mod 2**64; `(s >> 11) * 2.0**-53`;
// `math.sqrt(-2*math.log(1-u1)) * math.cos(2*math.pi*u2)`), printed with `repr`, which like
// Swift's `description` gives the shortest text that round-trips.

@Test func uniformDrawsForSeedZero() {
    var generator = RandomGenerator(seed: 0)
    #expect(generator.state == 1442695040888963407)
    let draws = (0..<4).map { _ in generator.nextUniform() }
    #expect(draws == [0.10169876029679303, 0.6053233226252335, 0.40121620369530075, 0.3836257966196641])
    var negative = RandomGenerator(seed: -1)
    #expect(negative.state == 13525302890751722018)
    #expect(negative.nextUniform() == 0.6939900777098654)
}

@Test func normalDrawsForSeedZero() {
    var generator = RandomGenerator(seed: 0)
    let draws = (0..<3).map { _ in generator.nextNormal() }
    #expect(draws == [-0.3653757927910613, -0.753881126145876, 1.1276646908082217])
}

@Test func randomTensorsDrawRowMajor() throws {
    var generator = RandomGenerator(seed: 0)
    let uniform = try Tensor<Double>.randomUniform([2, 2], using: &generator)
    #expect(uniform == (try tensor([2, 2], [0.10169876029679303, 0.6053233226252335,
                                            0.40121620369530075, 0.3836257966196641])))
    generator = RandomGenerator(seed: 0)
    let normal = try Tensor<Double>.randomNormal([3], using: &generator)
    #expect(normal == Tensor([-0.3653757927910613, -0.753881126145876, 1.1276646908082217]))
}
