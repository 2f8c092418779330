// Basic stage: exact decimal literals as canonical rationals, without floating point.
//
// The spec says `0.1` means exactly 1/10. The front end never rounds a literal through
// Double; it keeps the literal as a canonical fraction of two digit strings, which the
// IR prints (`1/10`), the exact engine hands to GMP and the float engine rounds once.
// Only the small arithmetic that needs is here: multiply and divide digit strings by 2 or 5.

/// Digit-string arithmetic for turning decimal literals into canonical fractions and back.
public enum DecimalDigits {
    /// The largest exponent magnitude and digit count a literal may have, which bounds memory.
    public static let maximumExponent = 1000
    public static let maximumDigits = 1000

    /// The canonical fraction `(numerator, denominator)` of a literal such as `42`, `0.1`, `.5`, `2.`,
    /// `1e-3` or `2.5e+4`; nil when the text is not a literal or exceeds the limits above.
    public static func fraction(ofLiteral text: String) -> (numerator: String, denominator: String)? {
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            var expText = text[text.index(after: e)...]
            var negative = false
            if let sign = expText.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                expText = expText.dropFirst()
            }
            guard !expText.isEmpty, expText.allSatisfy(\.isASCIIDigit), expText.count <= 6,
                  let magnitude = Int(expText) else { return nil }
            exponent = negative ? -magnitude : magnitude
        }
        var digits: [UInt8] = []
        var seenDot = false
        for ch in mantissa {
            if ch == "." {
                if seenDot { return nil }
                seenDot = true
            } else if let d = ch.asciiValue, ch.isASCIIDigit {
                digits.append(d - 48)
                if seenDot { exponent -= 1 }
            } else {
                return nil
            }
        }
        guard !digits.isEmpty, digits.count <= maximumDigits, abs(exponent) <= maximumExponent else { return nil }
        var number = Digits(bigEndian: digits)
        if number.isZero { return ("0", "1") }
        if exponent >= 0 {
            number.appendZeros(exponent)
            return (number.text, "1")
        }
        // value = number / (2^k 5^k): cancel common factors of 2 and 5.
        var twos = -exponent, fives = -exponent
        while twos > 0, number.isDivisible(by: 2) { number.divide(by: 2); twos -= 1 }
        while fives > 0, number.isDivisible(by: 5) { number.divide(by: 5); fives -= 1 }
        var denominator = Digits(bigEndian: [1])
        for _ in 0..<twos { denominator.multiply(by: 2) }
        for _ in 0..<fives { denominator.multiply(by: 5) }
        return (number.text, denominator.text)
    }

    /// Decimal text `N` or `Ne-K` equal to `numerator / denominator` when the denominator is 2^a·5^b;
    /// nil otherwise. Parsing that text as a Double rounds the exact value once, correctly.
    public static func decimalText(numerator: String, denominator: String) -> String? {
        let negative = numerator.hasPrefix("-")
        let numeratorDigits = negative ? String(numerator.dropFirst()) : numerator
        guard !numeratorDigits.isEmpty, numeratorDigits.allSatisfy(\.isASCIIDigit),
              !denominator.isEmpty, denominator.allSatisfy(\.isASCIIDigit) else { return nil }
        var den = Digits(bigEndian: denominator.utf8.map { $0 - 48 })
        guard !den.isZero else { return nil }
        var twos = 0, fives = 0
        while den.isDivisible(by: 2) { den.divide(by: 2); twos += 1 }
        while den.isDivisible(by: 5) { den.divide(by: 5); fives += 1 }
        guard den.text == "1" else { return nil }
        // n / (2^a 5^b) = n * 2^(k-a) * 5^(k-b) / 10^k with k = max(a, b).
        let k = max(twos, fives)
        var scaled = Digits(bigEndian: numeratorDigits.utf8.map { $0 - 48 })
        for _ in 0..<(k - twos) { scaled.multiply(by: 2) }
        for _ in 0..<(k - fives) { scaled.multiply(by: 5) }
        return (negative ? "-" : "") + scaled.text + (k > 0 ? "e-\(k)" : "")
    }
}

/// A non-negative integer as little-endian decimal digits.
private struct Digits {
    var little: [UInt8]

    init(bigEndian: [UInt8]) {
        little = Array(bigEndian.reversed())
        trim()
    }

    var isZero: Bool { little.allSatisfy { $0 == 0 } }
    var text: String { String(decoding: little.reversed().map { $0 + 48 }, as: UTF8.self) }

    mutating func trim() {
        while little.count > 1, little.last == 0 { little.removeLast() }
        if little.isEmpty { little = [0] }
    }

    mutating func appendZeros(_ count: Int) {
        little.insert(contentsOf: repeatElement(0, count: count), at: 0)
    }

    func isDivisible(by divisor: UInt8) -> Bool {
        // Both divisors in use (2 and 5) divide 10, so the last digit decides.
        little[0] % divisor == 0
    }

    mutating func multiply(by factor: UInt8) {
        var carry = 0
        for i in little.indices {
            let v = Int(little[i]) * Int(factor) + carry
            little[i] = UInt8(v % 10)
            carry = v / 10
        }
        while carry > 0 { little.append(UInt8(carry % 10)); carry /= 10 }
    }

    mutating func divide(by divisor: UInt8) {
        var remainder = 0
        for i in little.indices.reversed() {
            let v = remainder * 10 + Int(little[i])
            little[i] = UInt8(v / Int(divisor))
            remainder = v % Int(divisor)
        }
        trim()
    }
}

extension Character {
    /// True for the ASCII digits 0-9 only (not other Unicode digits).
    public var isASCIIDigit: Bool { isASCII && isNumber && ("0"..."9").contains(self) }
}
