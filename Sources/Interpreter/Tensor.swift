// Interpreter stage: the n-dimensional array the interpreter computes with.
//
// The interpreter is the project's correctness oracle, so this tensor library prefers the
// obviously right to the fast. It is generic over `Scalar` and never touches Double arithmetic:
// every scalar operation goes through the protocol's throwing operators, so the same code runs in
// float mode and, exactly, on rationals. All index arithmetic lives in `TensorShape` below; the
// operations (TensorOps, TensorReductions, TensorIndexing, TensorFormatting) only combine its
// offset lists with the scalars.

/// An n-dimensional array of scalars with a dynamic shape, stored row-major.
///
/// Invariant: every dimension is ≥ 0 and `scalars.count` is the product of `shape` (1 for rank 0,
/// which the language never produces but which falls out of some internal operations).
public struct Tensor<Element: Scalar>: Sendable {
    public var shape: [Int]
    public var scalars: [Element]

    /// A tensor of `shape` holding `scalars` in row-major order; throws unless the two agree.
    public init(shape: [Int], scalars: [Element]) throws {
        let count = try TensorShape.elementCount(shape)
        guard count == scalars.count else {
            throw TensorError.elementCountMismatch(shape, needs: count, has: scalars.count)
        }
        self.init(validShape: shape, scalars: scalars)
    }

    /// A rank-1 tensor of `scalars`.
    public init(_ scalars: [Element]) {
        self.init(validShape: [scalars.count], scalars: scalars)
    }

    /// A tensor of `shape` with every element `value`; throws on a negative dimension.
    public init(shape: [Int], repeating value: Element) throws {
        let count = try TensorShape.elementCount(shape)
        self.init(validShape: shape, scalars: Array(repeating: value, count: count))
    }

    /// The unchecked initializer for operations whose shape and scalars agree by construction.
    init(validShape shape: [Int], scalars: [Element]) {
        assert(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == scalars.count,
               "shape \(shape) does not hold \(scalars.count) elements")
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The row-major strides: how far apart in `scalars` neighbours along each axis lie.
    public var strides: [Int] { TensorShape.strides(of: shape) }

    /// Whether `a` and `b` have the same shape and equal elements, as the language's `==` on tensors.
    public static func equal(_ a: Tensor, _ b: Tensor) throws -> Bool {
        guard a.shape == b.shape else { return false }
        for (x, y) in Swift.zip(a.scalars, b.scalars) {
            if try !Element.equal(x, y) { return false }
        }
        return true
    }
}

// Structural equality, for tests; the language's `==` is `Tensor.equal`, which may throw.
extension Tensor: Equatable where Element: Equatable {}

// MARK: - Construction

extension Tensor {
    /// `[0, 1, ..., n-1]`, shape `[n]`.
    public static func arange(_ n: Int) throws -> Tensor {
        _ = try TensorShape.elementCount([n])
        return Tensor((0..<n).map { Element($0) })
    }

    /// A tensor of `shape` filled with zeros.
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, repeating: .zero)
    }

    /// A tensor of `shape` filled with ones.
    public static func ones(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, repeating: .one)
    }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ value: Element, _ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, repeating: value)
    }
}

/// A result that is a single scalar for some shapes and a tensor for others, as NumPy's `dot`,
/// `x[i]` and `sum(x, axis:)` are: the language has no rank-0 tensors, so those give a Real.
public enum ScalarOrTensor<Element: Scalar>: Sendable {
    case scalar(Element)
    case tensor(Tensor<Element>)
}

extension ScalarOrTensor: Equatable where Element: Equatable {}

// MARK: - Shape arithmetic

/// Shape and index arithmetic shared by every tensor operation, independent of the element type.
public enum TensorShape {
    /// The most elements one tensor may hold, so a mistyped shape is an error, not an exhausted memory.
    public static let maximumElementCount = 1 << 28

    /// The number of elements of `shape`; throws on a negative dimension or an oversized shape.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        if let negative = shape.first(where: { $0 < 0 }) { throw TensorError.negativeDimension(negative) }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maximumElementCount else { throw TensorError.tooManyElements(shape) }
            count = product
        }
        return count
    }

    /// The NumPy broadcast of two shapes: trailing dimensions aligned, and a dimension of 1 stretched.
    public static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        // Missing leading dimensions count as 1, which is what aligning trailing dimensions means.
        let paddedA = Array(repeating: 1, count: rank - a.count) + a
        let paddedB = Array(repeating: 1, count: rank - b.count) + b
        return try zip(paddedA, paddedB).map { da, db in
            if da == db || db == 1 { return da }
            if da == 1 { return db }
            throw TensorError.cannotBroadcast(a, b)
        }
    }

    /// Whether `source` broadcasts to exactly `target` (so a value of shape `source` can fill it).
    public static func canBroadcast(_ source: [Int], to target: [Int]) -> Bool {
        (try? broadcast(source, target)) == target
    }

    /// Row-major strides of `shape`: the last axis has stride 1, each earlier one the size of what follows.
    static func strides(of shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        return strides
    }

    /// The strides that read a tensor of shape `source` as if broadcast to `target`: 0 on the axes
    /// that broadcasting adds or stretches, so every position along them reads the same element.
    /// Requires `canBroadcast(source, to: target)`.
    static func broadcastStrides(from source: [Int], to target: [Int]) -> [Int] {
        let own = strides(of: source)
        let added = target.count - source.count
        return target.indices.map { axis in
            axis < added || source[axis - added] == 1 ? 0 : own[axis - added]
        }
    }

    /// The offset `Σ indices[k]·strides[k]` of one (possibly partial, leading) multi-index.
    static func offset(of indices: [Int], strides: [Int]) -> Int {
        zip(indices, strides).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The offset under `strides` of every multi-index of `shape`, in row-major order.
    ///
    /// This one walk serves every operation: with a tensor's own strides it lists `0..<count`;
    /// with reversed strides it reads a transpose; with zero strides on some axes it reads a
    /// broadcast operand or, used as destinations, accumulates a sum over those axes.
    static func offsets(walking shape: [Int], strides: [Int]) -> [Int] {
        var offsets = [0]
        for (dim, stride) in zip(shape, strides) {
            offsets = offsets.flatMap { base in (0..<dim).map { base + $0 * stride } }
        }
        return offsets
    }
}

// MARK: - Errors

/// A shape or index error of a tensor operation, reported by the interpreter at the operation's location.
public struct TensorError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }

    // One factory per situation, alphabetical, so each message has one phrasing.

    static func axisOutOfRange(_ axis: Int, rank: Int) -> TensorError {
        TensorError("axis \(axis) is out of range for a tensor of rank \(rank)")
    }

    static func cannotBroadcast(_ a: [Int], _ b: [Int]) -> TensorError {
        TensorError("shapes \(a) and \(b) cannot be broadcast")
    }

    static func cannotBroadcast(_ source: [Int], to target: [Int]) -> TensorError {
        TensorError("shape \(source) cannot be broadcast to \(target)")
    }

    static func cannotReshape(_ from: [Int], _ count: Int, to target: [Int], _ targetCount: Int) -> TensorError {
        TensorError("cannot reshape \(from) (\(count) elements) to \(target) (\(targetCount) elements)")
    }

    static func cannotSum(_ from: [Int], to target: [Int]) -> TensorError {
        TensorError("shape \(from) cannot be summed to \(target)")
    }

    static func dotInnerMismatch(_ a: [Int], _ b: [Int], _ inner: Int, _ otherInner: Int) -> TensorError {
        TensorError("dot of shapes \(a) and \(b): inner dimensions \(inner) and \(otherInner) differ")
    }

    static func dotRank(_ a: [Int], _ b: [Int]) -> TensorError {
        TensorError("dot of shapes \(a) and \(b): only ranks 1 and 2 are supported")
    }

    static func elementCountMismatch(_ shape: [Int], needs count: Int, has given: Int) -> TensorError {
        TensorError("shape \(shape) needs \(count) elements, not \(given)")
    }

    static func emptyReduction(_ operation: String) -> TensorError {
        TensorError("\(operation) of an empty tensor")
    }

    static func indexCount(rank: Int, count: Int) -> TensorError {
        TensorError("tensor of rank \(rank) indexed with \(count) \(count == 1 ? "index" : "indices")")
    }

    static func indexOutOfRange(_ index: Int, axis: Int, size: Int) -> TensorError {
        TensorError("index \(index) is out of range for axis \(axis) of size \(size)")
    }

    static func negativeDimension(_ dim: Int) -> TensorError {
        TensorError("negative dimension \(dim)")
    }

    static func noSubBlock(rank: Int, count: Int) -> TensorError {
        TensorError("tensor of rank \(rank) indexed with \(count) \(count == 1 ? "index" : "indices") has no sub-block")
    }

    static func sliceOutOfRange(_ start: Int, _ end: Int, size: Int) -> TensorError {
        TensorError("slice \(start)..<\(end) is out of range for axis 0 of size \(size)")
    }

    static func tooManyElements(_ shape: [Int]) -> TensorError {
        TensorError("shape \(shape) has more than \(TensorShape.maximumElementCount) elements")
    }
}
