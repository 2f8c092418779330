// The `Adjoint` library: a value a program computed, exact or Double.
import AdjointDriver
import AdjointInterpreter
import AdjointExact

/// A Real, Int, Bool or Tensor, exact (rationals) or Double. Exact values compare exactly; `description`
/// is what `--json` prints (`"4/5"` exactly, `0.8` in Double).
public struct Value: Equatable, CustomStringConvertible, Sendable {
    let storage: EngineValue

    init(_ storage: EngineValue) { self.storage = storage }

    /// A constant expression of the language evaluated exactly: `Value(exactly: "[0, 4, 4/5]")`.
    public init(exactly expression: String) throws {
        storage = try catching { try Compilation.constant(expression, exact: true) }
    }

    /// A constant expression evaluated in Double, as generated Swift would compute it.
    public init(double expression: String) throws {
        storage = try catching { try Compilation.constant(expression, exact: false) }
    }

    public var description: String {
        switch storage {
        case .double(let v): return v.jsonText
        case .exact(let v): return v.jsonText
        }
    }

    /// The elements of a tuple result (`func f(...) -> (Tensor, Real)`), in order; nil for any other value.
    public var tupleElements: [Value]? {
        switch storage {
        case .double(.tuple(let items)): return items.map { Value(.double($0)) }
        case .exact(.tuple(let items)): return items.map { Value(.exact($0)) }
        default: return nil
        }
    }

    /// The value as the program's `print` writes it (`[4 8 12]`, `0.8`, `4/5`).
    public var printed: String {
        switch storage {
        case .double(let v): return v.printed
        case .exact(let v): return v.printed
        }
    }

    /// Whether this is the "value" of a function that returns nothing.
    public var isVoid: Bool {
        switch storage {
        case .double(.void), .exact(.void): return true
        default: return false
        }
    }

    /// Whether the value is exact (computed over rationals).
    public var isExact: Bool { if case .exact = storage { return true } else { return false } }

    /// The shape: [] for a Real, Int or Bool.
    public var shape: [Int] {
        switch storage {
        case .double(.tensor(let t)): return t.shape
        case .exact(.tensor(let t)): return t.shape
        default: return []
        }
    }

    /// The elements (one for a Real, Int or Bool), as Doubles: exact ones rounded to the nearest.
    public var doubles: [Double] {
        switch storage {
        case .double(let v): return Value.elements(v).map(\.doubleValue)
        case .exact(let v): return Value.elements(v).map(\.doubleValue)
        }
    }

    private static func elements<S: Scalar>(_ v: AdjointInterpreter.Value<S>) -> [S] {
        switch v {
        case .real(let r): return [r]
        case .int(let i): return [S(i)]
        case .bool(let b): return [b ? S.one : S.zero]
        case .tensor(let t): return t.scalars
        default: return []
        }
    }

    private var isBool: Bool {
        switch storage {
        case .double(.bool), .exact(.bool): return true
        default: return false
        }
    }

    /// Same shape, and each element within `relativeTolerance` of the other's (relative to the larger
    /// magnitude, at least 1): for a Double result of generated Swift against an exact one.
    public func isClose(to other: Value, relativeTolerance: Double = 1e-12) -> Bool {
        if let a = tupleElements, let b = other.tupleElements {
            return a.count == b.count && zip(a, b).allSatisfy { $0.isClose(to: $1, relativeTolerance: relativeTolerance) }
        }
        guard (tupleElements == nil) == (other.tupleElements == nil), shape == other.shape, isBool == other.isBool else { return false }
        let a = doubles, b = other.doubles
        return a.count == b.count && zip(a, b).allSatisfy { x, y in
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
            if x.isInfinite || y.isInfinite { return x == y }
            return abs(x - y) <= relativeTolerance * Swift.max(1, abs(x), abs(y))
        }
    }

    /// Exact values compare exactly (an Int and a Real by their numbers); Double values by `==`; an exact
    /// value and a Double one by the exact value's nearest Double.
    public static func == (a: Value, b: Value) -> Bool {
        if let p = a.tupleElements, let q = b.tupleElements { return p == q }
        guard (a.tupleElements == nil) == (b.tupleElements == nil), a.shape == b.shape, a.isBool == b.isBool else { return false }
        switch (a.storage, b.storage) {
        case (.exact(let x), .exact(let y)):
            let p = elements(x), q = elements(y)
            return p.count == q.count && zip(p, q).allSatisfy { $0 == $1 }
        default:
            return a.doubles == b.doubles
        }
    }
}
