// Exact stage: the rational numbers that exact mode computes with.
//
// `Rational` owns one GMP `mpq_t` and keeps it canonical (lowest terms, positive
// denominator), so equal values have identical limbs and `==`, hashing and printing
// need no normalisation. It is immutable from the outside: every operation writes a
// fresh object, which is what lets one value be shared across threads and stored in
// IR constants without copying. Literal text, Doubles and digit strings come in
// exactly (no Double is ever used to parse); the only way out to floating point is
// `doubleValue`, which rounds correctly to nearest.
//
// GMP's public names are macros, so this file calls the functions they rename
// (`__gmpq_add` for `mpq_add`) and the `adjoint_*` shims of Sources/CGMP/shim.h.

import CGMP

/// Why a `Rational` operation has no result.
public enum RationalError: Error, Equatable, Sendable {
    /// A zero divisor, a zero denominator, or zero raised to a negative power.
    case divisionByZero
    /// Text that is not a decimal integer (or decimal literal) where one was expected.
    case malformed(String)
    /// An integer power whose result would exceed `Rational.maximumPowerBits` bits.
    case resultTooLarge
}

/// An exact rational number: one canonical GMP `mpq_t`, never changed after it is built.
///
/// `@unchecked Sendable` is safe because the `mpq_t` is written only while the object is
/// being built (inside its own initializer or the operation that returns it, before any
/// other thread can see it) and is only read afterwards; GMP's functions never write to
/// their source operands, so concurrent reads of one value do not race.
public final class Rational: @unchecked Sendable {
    /// The `mpq_t` this object owns, allocated in `init` and cleared and freed in `deinit`.
    ///
    /// A pointer rather than a stored `__mpq_struct`: the struct points at limbs that belong
    /// to exactly one struct, so it must never be copied by value.
    let raw: UnsafeMutablePointer<__mpq_struct>

    /// The largest result, in bits of numerator or denominator, that `power` will build;
    /// past it (a 32 MiB number) exact mode reports an error instead of exhausting memory.
    public static let maximumPowerBits = 1 << 28

    /// The largest decimal exponent a literal may carry (`1e1000000`); larger ones are rejected
    /// rather than building a power of ten that could exhaust memory.
    public static let maximumDecimalExponent = 1_000_000

    /// The size of the larger of numerator and denominator, in bits.
    public var bitWidth: Int {
        Int(max(__gmpz_sizeinbase(numeratorRef, 2), __gmpz_sizeinbase(denominatorRef, 2)))
    }

    /// A fresh zero, for an operation to fill in before the object escapes.
    init() {
        raw = .allocate(capacity: 1)
        __gmpq_init(raw)
    }

    deinit {
        __gmpq_clear(raw)
        raw.deallocate()
    }

    /// A new value built by `body`, which writes a canonical result into the fresh `mpq_t`.
    static func make(_ body: (UnsafeMutablePointer<__mpq_struct>) -> Void) -> Rational {
        let result = Rational()
        body(result.raw)
        return result
    }

    /// The numerator of this value, an mpz_t inside `raw`: read it, never write it.
    var numeratorRef: UnsafeMutablePointer<__mpz_struct> { adjoint_mpq_numref(raw) }

    /// The (positive) denominator of this value, an mpz_t inside `raw`: read it, never write it.
    var denominatorRef: UnsafeMutablePointer<__mpz_struct> { adjoint_mpq_denref(raw) }

    // MARK: - Construction

    /// The integer `value`.
    public convenience init(_ value: Int) {
        self.init()
        __gmpq_set_si(raw, value, 1)
    }

    /// The exact value `numerator / denominator`, both decimal digit strings with an optional
    /// leading `-`, reduced to lowest terms.
    ///
    /// - Throws: `.malformed` for anything but digits, `.divisionByZero` for a zero denominator.
    public convenience init(numerator: String, denominator: String) throws(RationalError) {
        guard Rational.isDecimalInteger(numerator), Rational.isDecimalInteger(denominator) else {
            throw .malformed("\(numerator)/\(denominator)")
        }
        self.init()
        // Validated above, so mpz_set_str cannot fail (it would also skip spaces, which we reject).
        __gmpz_set_str(numeratorRef, numerator, 10)
        __gmpz_set_str(denominatorRef, denominator, 10)
        guard adjoint_mpz_sgn(denominatorRef) != 0 else { throw .divisionByZero }
        __gmpq_canonicalize(raw)
    }

    /// The exact decimal value of literal text such as `0.1`, `.5`, `2.`, `1e-3`, `2.5e+4`
    /// (spec §2), optionally preceded by `-`; nil for other text or an exponent beyond
    /// `maximumDecimalExponent`.
    ///
    /// The digits and exponent are parsed here and combined with an exact power of ten, so
    /// `0.1` is exactly 1/10 and `1e-300` is exactly 1/10^300.
    public convenience init?(decimalLiteral text: String) {
        guard let (digits, scale) = Rational.splitDecimalLiteral(text) else { return nil }
        self.init()
        __gmpz_set_str(numeratorRef, digits, 10)
        guard adjoint_mpz_sgn(numeratorRef) != 0 else { return }  // 0e999 is 0 whatever the exponent
        guard scale.magnitude <= UInt(Rational.maximumDecimalExponent) else { return nil }
        if scale >= 0 {
            withTemporaryInteger { power in
                __gmpz_ui_pow_ui(power, 10, UInt(scale))
                __gmpz_mul(numeratorRef, numeratorRef, power)
            }
        } else {
            __gmpz_ui_pow_ui(denominatorRef, 10, scale.magnitude)
            __gmpq_canonicalize(raw)
        }
    }

    /// The dyadic rational that the finite Double `value` denotes exactly (0.1 becomes
    /// 3602879701896397/36028797018963968).
    public convenience init(_ value: Double) {
        precondition(value.isFinite, "Rational(Double) needs a finite value, got \(value)")
        self.init()
        __gmpq_set_d(raw, value)
    }

    /// `numerator / denominator` for two integers already held in mpz_t's; the denominator is nonzero.
    static func fraction(_ numerator: UnsafeMutablePointer<__mpz_struct>,
                         _ denominator: UnsafeMutablePointer<__mpz_struct>) -> Rational {
        make { q in
            __gmpz_set(adjoint_mpq_numref(q), numerator)
            __gmpz_set(adjoint_mpq_denref(q), denominator)
            __gmpq_canonicalize(q)
        }
    }

    /// Whether `text` is an optional `-` followed by one or more ASCII digits.
    static func isDecimalInteger(_ text: String) -> Bool {
        let body = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !body.isEmpty && body.allSatisfy(isDigit)
    }

    /// Whether `byte` is an ASCII decimal digit.
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Splits decimal literal text into its digits as one integer string (sign included) and the
    /// power of ten that scales them: `-2.5e+4` is ("-25", 3). Nil if the text is not a literal or
    /// its exponent overflows Int.
    static func splitDecimalLiteral(_ text: String) -> (digits: String, scale: Int)? {
        let bytes = Array(text.utf8)
        var index = 0
        var digits = ""
        if bytes.first == UInt8(ascii: "-") {
            digits.append("-")
            index += 1
        }
        var mantissaDigits = 0
        var fractionDigits = 0
        while index < bytes.count, isDigit(bytes[index]) {
            digits.unicodeScalars.append(Unicode.Scalar(bytes[index]))
            mantissaDigits += 1
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) {
                digits.unicodeScalars.append(Unicode.Scalar(bytes[index]))
                mantissaDigits += 1
                fractionDigits += 1
                index += 1
            }
        }
        guard mantissaDigits > 0 else { return nil }  // "." and "e5" are not numbers
        var exponent = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                negative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            let start = index
            while index < bytes.count, isDigit(bytes[index]) {
                let (shifted, overflow1) = exponent.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = shifted.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                exponent = next
                index += 1
            }
            guard index > start else { return nil }  // "1e" has no exponent digits
            if negative { exponent = -exponent }
        }
        guard index == bytes.count else { return nil }
        let (scale, overflow) = exponent.subtractingReportingOverflow(fractionDigits)
        return overflow ? nil : (digits, scale)
    }

    // MARK: - Arithmetic

    public static func + (a: Rational, b: Rational) -> Rational { make { __gmpq_add($0, a.raw, b.raw) } }
    public static func - (a: Rational, b: Rational) -> Rational { make { __gmpq_sub($0, a.raw, b.raw) } }
    public static func * (a: Rational, b: Rational) -> Rational { make { __gmpq_mul($0, a.raw, b.raw) } }

    /// `a / b`, reporting a zero divisor instead of letting GMP abort the process.
    public static func / (a: Rational, b: Rational) throws(RationalError) -> Rational {
        guard !b.isZero else { throw .divisionByZero }
        return make { __gmpq_div($0, a.raw, b.raw) }
    }

    public static prefix func - (a: Rational) -> Rational { make { __gmpq_neg($0, a.raw) } }

    /// `1 / self`; throws for zero.
    public func reciprocal() throws(RationalError) -> Rational {
        guard !isZero else { throw .divisionByZero }
        return Rational.make { __gmpq_inv($0, raw) }
    }

    /// The absolute value.
    public var magnitude: Rational { Rational.make { __gmpq_abs($0, raw) } }

    /// -1, 0 or 1.
    public var sign: Int { Int(adjoint_mpq_sgn(raw)) }

    public var isZero: Bool { sign == 0 }

    /// Whether the denominator is 1.
    public var isInteger: Bool { adjoint_mpz_cmp_ui(denominatorRef, 1) == 0 }

    /// The largest integer not above this value (rounds toward -inf: -7/2 gives -4).
    public func floor() -> Rational {
        // The fresh result's denominator is already 1, so an integer numerator keeps it canonical.
        Rational.make { __gmpz_fdiv_q(adjoint_mpq_numref($0), numeratorRef, denominatorRef) }
    }

    /// `self` raised to an integer power; a negative exponent takes the reciprocal, `0^0` is 1.
    ///
    /// - Throws: `.divisionByZero` for zero to a negative power, `.resultTooLarge` past
    ///   `maximumPowerBits`.
    public func power(_ exponent: Int) throws(RationalError) -> Rational {
        if exponent == 0 { return Rational(1) }
        let base = exponent < 0 ? try reciprocal() : self
        let count = exponent.magnitude
        // 0, 1 and -1 never grow; for the rest, bits(result) is about bits(base) * count.
        let unit = adjoint_mpz_cmp_ui(base.denominatorRef, 1) == 0 && __gmpz_cmpabs_ui(base.numeratorRef, 1) <= 0
        if !unit {
            let bits = max(__gmpz_sizeinbase(base.numeratorRef, 2), __gmpz_sizeinbase(base.denominatorRef, 2))
            let (total, overflow) = UInt(bits).multipliedReportingOverflow(by: count)
            guard !overflow, total <= UInt(Rational.maximumPowerBits) else { throw .resultTooLarge }
        }
        // Powers of coprime integers stay coprime and a positive denominator stays positive,
        // so raising both parts keeps the result canonical.
        return withExtendedLifetime(base) {
            Rational.make { q in
                __gmpz_pow_ui(adjoint_mpq_numref(q), base.numeratorRef, count)
                __gmpz_pow_ui(adjoint_mpq_denref(q), base.denominatorRef, count)
            }
        }
    }

    /// The exact square root when this value is the square of a rational (9/4 gives 3/2);
    /// nil for a negative value or a non-square.
    public func squareRoot() -> Rational? {
        guard sign >= 0,
              __gmpz_perfect_square_p(numeratorRef) != 0,
              __gmpz_perfect_square_p(denominatorRef) != 0 else { return nil }
        // Square roots of coprime integers are coprime, so the result is canonical.
        return Rational.make { q in
            __gmpz_sqrt(adjoint_mpq_numref(q), numeratorRef)
            __gmpz_sqrt(adjoint_mpq_denref(q), denominatorRef)
        }
    }

    /// `floor(sqrt(self))` for a non-negative value, exact for any rational.
    ///
    /// For self = a/b, sqrt(a/b) = sqrt(a*b)/b, and floor(x/b) = floor(floor(x)/b) for a
    /// positive integer b, so two integer operations suffice.
    public func squareRootFloor() -> Rational {
        precondition(sign >= 0, "squareRootFloor of a negative value")
        return Rational.make { q in
            withTemporaryInteger { root in
                __gmpz_mul(root, numeratorRef, denominatorRef)
                __gmpz_sqrt(root, root)
                __gmpz_fdiv_q(adjoint_mpq_numref(q), root, denominatorRef)
            }
        }
    }

    /// The primes whose squares `extractingSquareFactors` looks for: trial division stays cheap.
    static let smallPrimes: [UInt] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47,
                                      53, 59, 61, 67, 71, 73, 79, 83, 89, 97]

    /// Splits a positive integer n into k^2 * m, moving the squares of small primes (and the
    /// remaining cofactor, if it is a perfect square) into k; m need not be square-free.
    public func extractingSquareFactors() -> (outside: Rational, inside: Rational) {
        precondition(isInteger && sign > 0, "extractingSquareFactors needs a positive integer")
        let outside = Rational(1)
        let inside = Rational(1)
        withTemporaryInteger { rest in
            withTemporaryInteger { factor in
                __gmpz_set(rest, numeratorRef)
                for prime in Rational.smallPrimes {
                    __gmpz_set_ui(factor, prime)
                    let count = __gmpz_remove(rest, rest, factor)
                    if count >= 2 {
                        __gmpz_ui_pow_ui(factor, prime, count / 2)
                        __gmpz_mul(outside.numeratorRef, outside.numeratorRef, factor)
                    }
                    if count % 2 == 1 { __gmpz_mul_ui(inside.numeratorRef, inside.numeratorRef, prime) }
                }
                if __gmpz_perfect_square_p(rest) != 0 {
                    __gmpz_sqrt(rest, rest)
                    __gmpz_mul(outside.numeratorRef, outside.numeratorRef, rest)
                } else {
                    __gmpz_mul(inside.numeratorRef, inside.numeratorRef, rest)
                }
            }
        }
        // Both are integers over the denominator 1 they were created with, so still canonical.
        return (outside, inside)
    }

    // MARK: - Parts and conversions

    /// The numerator of the canonical form, carrying the sign.
    public var numerator: Rational { Rational.make { __gmpz_set(adjoint_mpq_numref($0), numeratorRef) } }

    /// The denominator of the canonical form, always positive.
    public var denominator: Rational { Rational.make { __gmpz_set(adjoint_mpq_numref($0), denominatorRef) } }

    /// The value truncated toward zero, or nil when that integer does not fit in an Int (Int64).
    public var truncatedInt: Int? {
        withTemporaryInteger { quotient in
            __gmpz_tdiv_q(quotient, numeratorRef, denominatorRef)
            return __gmpz_fits_slong_p(quotient) != 0 ? __gmpz_get_si(quotient) : nil
        }
    }
}

// MARK: - Protocols

extension Rational: Comparable, Hashable {
    public static func == (a: Rational, b: Rational) -> Bool { __gmpq_equal(a.raw, b.raw) != 0 }
    public static func < (a: Rational, b: Rational) -> Bool { __gmpq_cmp(a.raw, b.raw) < 0 }

    /// Hashes the limbs of the canonical numerator and denominator, which equal values share.
    public func hash(into hasher: inout Hasher) {
        for part in [numeratorRef, denominatorRef] {
            let size = part.pointee._mp_size  // sign times the number of limbs
            hasher.combine(size)
            for index in 0..<Int(size.magnitude) { hasher.combine(part.pointee._mp_d[index]) }
        }
    }
}

extension Rational: CustomStringConvertible {
    /// `p/q`, or `p` for an integer: `3/25`, `-4`, `0`.
    public var description: String {
        // Sized as mpq_get_str documents: both digit counts, a sign, a slash and the terminator.
        let capacity = __gmpz_sizeinbase(numeratorRef, 10) + __gmpz_sizeinbase(denominatorRef, 10) + 3
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            __gmpq_get_str(buffer.baseAddress, 10, raw)
            return String(cString: buffer.baseAddress!)
        }
    }
}

/// Runs `body` with a freshly initialized `mpz_t` that is cleared and freed when it returns.
func withTemporaryInteger<Result>(_ body: (UnsafeMutablePointer<__mpz_struct>) throws -> Result) rethrows -> Result {
    let integer = UnsafeMutablePointer<__mpz_struct>.allocate(capacity: 1)
    __gmpz_init(integer)
    defer {
        __gmpz_clear(integer)
        integer.deallocate()
    }
    return try body(integer)
}
