// Exact stage: the Scalar that the interpreter runs on in exact mode (spec §8).
//
// A value is a `Rational`, or an irrational square root c*sqrt(q) that `sqrt` and `norm`
// produce when their result is not rational. Roots are kept only as far as exact
// reasoning carries them: they can be negated, multiplied and divided (by rationals or
// by each other), raised to integer powers, added to a root with the same radicand,
// and compared exactly (signs first, then squares, which are rational). Everything else
// that would leave the rationals throws a `ScalarError` naming the operation, so exact
// mode never silently falls back to floating point.
//
// Transcendental functions throw too, except at the points where their value is a
// rational (exp(0) = 1, log(1) = 0, sin(0) = tan(0) = tanh(0) = 0, cos(0) = 1,
// sigmoid(0) = 1/2): those results are exact, and refusing them would make `grad` of
// common programs fail at the origin for no reason.
//
//     operation          rational r     root c*sqrt(q)
//     -----------------  -------------  -------------------------------------------
//     + -                exact          only with 0 or with a root of the same sqrt(q)
//     * /                exact          exact (result may become rational)
//     x ^ n (integer n)  exact          exact
//     sqrt               rational/root  error
//     abs sign floor     exact          exact (floor via integer square root)
//     compare, ==        exact          exact
//     exp log sin ...    error but at 0 (log at 1)

import AdjointScalar
import CGMP

/// An exact real number: a rational, or an irrational root c*sqrt(q).
public struct ExactReal: Sendable {
    /// The two shapes of a value.
    ///
    /// Invariant of `.root`: the coefficient is nonzero and the radicand is an integer >= 2 that
    /// is not a perfect square, so a root is never rational and never zero. `root(_:_:)` is the
    /// only way to build one.
    enum Form {
        case rational(Rational)
        case root(coefficient: Rational, radicand: Rational)
    }

    let form: Form

    /// The most bits a numerator or denominator may reach. A value that grows past it (squaring in a loop
    /// doubles its size every iteration) stops the run with an error naming the operation, instead of
    /// exhausting memory. One million bits is about 300,000 decimal digits; `--max-bits` sets it for a command,
    /// and a task-local keeps concurrent evaluations with different limits apart.
    @TaskLocal public static var maximumBits: Int = 1_000_000

    /// The size of the value in bits: the larger of its numbers (a root's coefficient and radicand).
    var bitWidth: Int {
        switch form {
        case .rational(let x): return x.bitWidth
        case .root(let c, let q): return max(c.bitWidth, q.bitWidth)
        }
    }

    /// `value`, or the error that says `operation` made a number past `maximumBits`.
    static func limited(_ value: ExactReal, _ operation: String) throws -> ExactReal {
        let bits = value.bitWidth
        guard bits > maximumBits else { return value }
        throw tooLarge(operation, bits: bits)
    }

    static func tooLarge(_ operation: String, bits: Int, atLeast: Bool = false) -> ScalarError {
        ScalarError("exact mode: \(operation) makes a number of \(atLeast ? "at least " : "")\(bits) bits, "
                    + "past the limit of \(maximumBits) bits (raise it with --max-bits)")
    }

    /// The rational `value`.
    public init(_ value: Rational) { form = .rational(value) }

    private init(coefficient: Rational, radicand: Rational) {
        form = .root(coefficient: coefficient, radicand: radicand)
    }

    /// The value as a Rational, or nil for an irrational root.
    public var rational: Rational? {
        if case .rational(let value) = form { return value }
        return nil
    }

    /// Whether the value is rational (false for an irrational root).
    public var isRational: Bool { rational != nil }

    /// The exact value `coefficient * sqrt(radicand)` for `radicand >= 0`, rational when it can be.
    ///
    /// The radicand a/b is made an integer (sqrt(a/b) = sqrt(a*b)/b) and small square factors are
    /// moved into the coefficient, so equal roots usually share a radicand; correctness never
    /// depends on this, since comparisons go through squares.
    public static func root(_ coefficient: Rational, _ radicand: Rational) -> ExactReal {
        precondition(radicand.sign >= 0, "ExactReal.root of a negative radicand")
        if coefficient.isZero || radicand.isZero { return ExactReal(Rational(0)) }
        if let exact = radicand.squareRoot() { return ExactReal(coefficient * exact) }
        let integer = radicand.numerator * radicand.denominator
        let denominator = radicand.denominator
        let (outside, inside) = integer.extractingSquareFactors()
        // sqrt(a/b) = sqrt(a*b)/b: the division cannot fail, b is positive.
        let scaled = (try? coefficient * outside / denominator)!
        return ExactReal(coefficient: scaled, radicand: inside)
    }

    /// c^2 * q for a root, x^2 for a rational: the exact square, used to compare magnitudes.
    private var square: Rational {
        switch form {
        case .rational(let value): return value * value
        case .root(let c, let q): return c * c * q
        }
    }

    /// -1, 0 or 1.
    private var signum: Int {
        switch form {
        case .rational(let value): return value.sign
        case .root(let c, _): return c.sign
        }
    }

    /// The ScalarError a rejected operation throws, naming what exact mode cannot do.
    private static func cannot(_ what: String) -> ScalarError { ScalarError("exact mode cannot \(what)") }

    /// Maps a Rational failure to the message the interpreter reports.
    private static func error(_ error: RationalError) -> ScalarError {
        switch error {
        case .divisionByZero: return ScalarError("division by zero")
        case .malformed(let text): return ScalarError("malformed number \(text)")
        case .resultTooLarge: return ScalarError("exact mode: x ^ y result is too large")
        }
    }

    /// `a + b` or `a - b` (per `subtracting`); on a root only with zero or a root of the same sqrt(q).
    private static func sum(_ a: ExactReal, _ b: ExactReal, subtracting: Bool) throws -> ExactReal {
        let operation = subtracting ? "subtract" : "add"
        switch (a.form, b.form) {
        case (.rational(let x), .rational(let y)):
            return ExactReal(subtracting ? x - y : x + y)
        case (.root, .rational(let y)) where y.isZero:
            return a
        case (.rational(let x), .root) where x.isZero:
            if subtracting { return try -b }
            return b
        case (.root(let c1, let q1), .root(let c2, let q2)):
            // c1*sqrt(q1) + c2*sqrt(q2) = (c1 + c2*sqrt(q2/q1)) * sqrt(q1) when q2/q1 is a square.
            guard let ratio = (try? q2 / q1)?.squareRoot() else {
                throw cannot("\(operation) irrational square roots with different radicands")
            }
            let c2Scaled = c2 * ratio
            return root(subtracting ? c1 - c2Scaled : c1 + c2Scaled, q1)
        default:
            throw cannot("\(operation) an irrational square root")
        }
    }
}

// MARK: - Scalar

extension ExactReal: Scalar {
    public init(numerator: String, denominator: String) throws {
        do {
            self.init(try Rational(numerator: numerator, denominator: denominator))
        } catch {
            throw ExactReal.error(error)
        }
    }

    public init(_ value: Int) { self.init(Rational(value)) }

    /// The dyadic rational the drawn Double denotes exactly; random draws are always finite.
    public init(drawn value: Double) { self.init(Rational(value)) }

    public static func + (a: ExactReal, b: ExactReal) throws -> ExactReal {
        try limited(sum(a, b, subtracting: false), "x + y")
    }
    public static func - (a: ExactReal, b: ExactReal) throws -> ExactReal {
        try limited(sum(a, b, subtracting: true), "x - y")
    }

    /// `a * b`; a product involving roots is a root (or rational: sqrt(2)*sqrt(8) = 4).
    public static func * (a: ExactReal, b: ExactReal) throws -> ExactReal {
        switch (a.form, b.form) {
        case (.rational(let x), .rational(let y)): return try limited(ExactReal(x * y), "x * y")
        case (.rational(let x), .root(let c, let q)), (.root(let c, let q), .rational(let x)):
            return try limited(root(x * c, q), "x * y")
        case (.root(let c1, let q1), .root(let c2, let q2)): return try limited(root(c1 * c2, q1 * q2), "x * y")
        }
    }

    /// `a / b`; dividing by a root multiplies by sqrt(q)/(c*q), so the result stays exact.
    public static func / (a: ExactReal, b: ExactReal) throws -> ExactReal {
        try limited(quotient(a, b), "x / y")
    }

    private static func quotient(_ a: ExactReal, _ b: ExactReal) throws -> ExactReal {
        do {
            switch (a.form, b.form) {
            case (.rational(let x), .rational(let y)):
                return ExactReal(try x / y)
            case (.root(let c, let q), .rational(let y)):
                return root(try c / y, q)
            case (.rational(let x), .root(let c, let q)):
                // x / (c*sqrt(q)) = (x / (c*q)) * sqrt(q)
                return root(try x / (c * q), q)
            case (.root(let c1, let q1), .root(let c2, let q2)):
                // c1*sqrt(q1) / (c2*sqrt(q2)) = (c1 / (c2*q2)) * sqrt(q1*q2)
                return root(try c1 / (c2 * q2), q1 * q2)
            }
        } catch {
            throw ExactReal.error(error)
        }
    }

    public static prefix func - (a: ExactReal) throws -> ExactReal {
        switch a.form {
        case .rational(let x): return ExactReal(-x)
        case .root(let c, let q): return ExactReal(coefficient: -c, radicand: q)
        }
    }

    /// `a ^ b` for an integer-valued rational `b` (`2`, `2.0`, `-3`); `0 ^ negative` is division by zero.
    public static func power(_ a: ExactReal, _ b: ExactReal) throws -> ExactReal {
        guard let exponent = b.rational, exponent.isInteger else {
            throw ScalarError("exact mode: x ^ y needs an integer exponent")
        }
        guard let n = exponent.truncatedInt else { throw ScalarError("exact mode: x ^ y exponent is too large") }
        // |x^n| has at least (bits(x) - 1) * |n| + 1 bits: refuse before building a number past the limit.
        let count = n == Int.min ? Int.max : Swift.abs(n)
        let (product, overflow) = max(a.bitWidth - 1, 0).multipliedReportingOverflow(by: count)
        let atLeast = overflow ? Int.max : product + 1
        if atLeast > maximumBits { throw tooLarge("x ^ y", bits: atLeast, atLeast: true) }
        return try limited(integerPower(a, n), "x ^ y")
    }

    private static func integerPower(_ a: ExactReal, _ n: Int) throws -> ExactReal {
        do {
            switch a.form {
            case .rational(let x):
                return ExactReal(try x.power(n))
            case .root(let c, let q):
                // (c*sqrt(q))^n = c^n * q^(n/2), times sqrt(q) when n is odd; a root is never zero.
                guard n != Int.min else { throw RationalError.resultTooLarge }
                let count = Swift.abs(n)
                let halves = try q.power(count / 2)
                var result = ExactReal(try c.power(count) * halves)
                if count % 2 == 1 { result = try result * ExactReal(coefficient: Rational(1), radicand: q) }
                return n < 0 ? try ExactReal(1) / result : result
            }
        } catch let error as RationalError {
            throw ExactReal.error(error)
        }
    }

    /// Orders two values exactly: by sign first, then by their (rational) squares.
    public static func compare(_ a: ExactReal, _ b: ExactReal) throws -> ComparisonResultKind {
        if case .rational(let x) = a.form, case .rational(let y) = b.form {
            return x < y ? .less : (x == y ? .equal : .greater)
        }
        let (signA, signB) = (a.signum, b.signum)
        if signA != signB { return signA < signB ? .less : .greater }
        // Same nonzero sign (a root is never zero). |a| <= |b| iff a^2 <= b^2; negatives flip.
        let (squareA, squareB) = (a.square, b.square)
        if squareA == squareB { return .equal }
        return (squareA < squareB) == (signA > 0) ? .less : .greater
    }

    public static func equal(_ a: ExactReal, _ b: ExactReal) throws -> Bool { a == b }

    public func exp() throws -> ExactReal { try special("exp", at: 0, is: Rational(1)) }
    public func log() throws -> ExactReal { try special("log", at: 1, is: Rational(0)) }
    public func sin() throws -> ExactReal { try special("sin", at: 0, is: Rational(0)) }
    public func cos() throws -> ExactReal { try special("cos", at: 0, is: Rational(1)) }
    public func tan() throws -> ExactReal { try special("tan", at: 0, is: Rational(0)) }
    public func tanh() throws -> ExactReal { try special("tanh", at: 0, is: Rational(0)) }
    public func sigmoid() throws -> ExactReal { try special("sigmoid", at: 0, is: Rational(1) / Rational(2)) }

    /// The square root: rational when the value is a rational square, a root otherwise.
    public func sqrt() throws -> ExactReal {
        guard case .rational(let x) = form else { throw ExactReal.cannot("take sqrt of an irrational square root") }
        guard x.sign >= 0 else { throw ExactReal.cannot("take sqrt of a negative number") }
        return ExactReal.root(Rational(1), x)
    }

    public func abs() throws -> ExactReal {
        switch form {
        case .rational(let x): return ExactReal(x.magnitude)
        case .root(let c, let q): return ExactReal(coefficient: c.magnitude, radicand: q)
        }
    }

    public func sign() throws -> ExactReal { ExactReal(signum) }

    /// Rounds toward -inf; a root's floor comes from the integer square root of its square.
    public func floor() throws -> ExactReal {
        switch form {
        case .rational(let x):
            return ExactReal(x.floor())
        case .root(let c, _):
            // |value| is irrational, so floor(-|value|) = -(floor(|value|) + 1).
            let below = square.squareRootFloor()
            return ExactReal(c.sign > 0 ? below : -(below + Rational(1)))
        }
    }

    /// Truncation toward zero; throws when the integer does not fit in an Int.
    public func truncatedInt() throws -> Int {
        let truncated: Int?
        switch form {
        case .rational(let x):
            truncated = x.truncatedInt
        case .root(let c, _):
            let magnitude = square.squareRootFloor()
            truncated = (c.sign > 0 ? magnitude : -magnitude).truncatedInt
        }
        guard let truncated else { throw ScalarError("\(self) does not fit in an Int") }
        return truncated
    }

    /// The nearest Double; for a root, the correctly rounded Double of c*sqrt(q).
    public var doubleValue: Double {
        switch form {
        case .rational(let x): return x.doubleValue
        case .root(let c, _):
            let magnitude = square.squareRootDoubleValue
            return c.sign < 0 ? -magnitude : magnitude
        }
    }

    /// The JSON string `"p/q"` (a root, which JSON output should not meet, prints as in messages).
    public var jsonText: String { "\"\(description)\"" }

    /// `value` at `point` for a transcendental `name`; anywhere else the result is irrational.
    private func special(_ name: String, at point: Int, is value: Rational) throws -> ExactReal {
        guard let x = rational, x == Rational(point) else { throw ExactReal.cannot("evaluate \(name)") }
        return ExactReal(value)
    }
}

// MARK: - Equality and printing

extension ExactReal: Equatable, CustomStringConvertible {
    /// Exact equality; a root never equals a rational because it is irrational.
    public static func == (a: ExactReal, b: ExactReal) -> Bool {
        (try? compare(a, b)) == .equal
    }

    /// `p/q` or `p`; a root prints as `3/2*sqrt(2)`, `sqrt(2)`, `-sqrt(2)` (messages only).
    public var description: String {
        switch form {
        case .rational(let x):
            return x.description
        case .root(let c, let q):
            if c == Rational(1) { return "sqrt(\(q))" }
            if c == Rational(-1) { return "-sqrt(\(q))" }
            return "\(c)*sqrt(\(q))"
        }
    }
}
