// The number type the interpreter runs on, a module of its own so that the exact
// rationals (AdjointExact) depend on it and on GMP alone, not on the interpreter.
//
// One interpreter serves both engines. It is generic over `Scalar`: `Double` in
// float mode, `ExactReal` (GMP rationals, module AdjointExact) in exact mode. Every
// operation may throw `ScalarError`, which the interpreter turns into a located
// runtime error; Double never throws (IEEE inf/NaN instead), the exact type throws
// whenever a result would leave the rationals.

/// A failure of one scalar operation, reported by the interpreter at the source location of the operation.
public struct ScalarError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A real-number type the interpreter can evaluate IR over.
///
/// Conventions shared by every conformer (spec §6): `sign(0) = 0`, `floor` rounds
/// toward -inf, `relu(x) = max(x, 0)`, `sigmoid(x) = 1 / (1 + exp(-x))`.
public protocol Scalar: Sendable, CustomStringConvertible {
    /// The exact value `numerator / denominator`, both decimal digit strings (numerator may start with `-`),
    /// as produced by the front end for a literal; Double rounds it to nearest.
    init(numerator: String, denominator: String) throws
    init(_ value: Int)
    /// A Double drawn by the random generator; the exact type takes the dyadic rational it denotes.
    init(drawn value: Double)

    static func + (a: Self, b: Self) throws -> Self
    static func - (a: Self, b: Self) throws -> Self
    static func * (a: Self, b: Self) throws -> Self
    static func / (a: Self, b: Self) throws -> Self
    static prefix func - (a: Self) throws -> Self
    /// `a ^ b`; the exact type supports an integer-valued `b` only.
    static func power(_ a: Self, _ b: Self) throws -> Self

    /// Total order used by comparisons, `max`, `min`, `relu`; throws where the exact type cannot decide.
    static func compare(_ a: Self, _ b: Self) throws -> ComparisonResultKind
    /// Exact equality as `==` in the language; never throws for Double.
    static func equal(_ a: Self, _ b: Self) throws -> Bool

    func exp() throws -> Self
    func log() throws -> Self
    func sin() throws -> Self
    func cos() throws -> Self
    func tan() throws -> Self
    func tanh() throws -> Self
    func sqrt() throws -> Self
    func abs() throws -> Self
    func sigmoid() throws -> Self
    func sign() throws -> Self
    func floor() throws -> Self

    /// Truncation toward zero (`int(x)`); throws when the value does not fit in an Int.
    func truncatedInt() throws -> Int
    /// The nearest Double, for `--json` in float mode and for plotting.
    var doubleValue: Double { get }
    /// JSON encoding: a number in float mode (`"inf"`, `"-inf"`, `"nan"` strings when not finite),
    /// a string `"p/q"` in exact mode.
    var jsonText: String { get }
}

/// The outcome of `Scalar.compare`.
public enum ComparisonResultKind: Sendable, Equatable {
    case less, equal, greater
    /// At least one operand is NaN (float mode only): every ordered comparison is false.
    case unordered
}

extension Scalar {
    public static var zero: Self { Self(0) }
    public static var one: Self { Self(1) }

    public func relu() throws -> Self {
        try Self.compare(self, .zero) == .greater ? self : .zero
    }
}
