// Interpreter stage: float mode, where every Real is a Double and nothing throws.
import Foundation
import AdjointBasic

extension Double: Scalar {
    public init(numerator: String, denominator: String) throws {
        self = try Double.nearest(numerator: numerator, denominator: denominator)
    }

    public init(drawn value: Double) { self = value }

    public static func power(_ a: Double, _ b: Double) throws -> Double { Foundation.pow(a, b) }

    public static func compare(_ a: Double, _ b: Double) throws -> ComparisonResultKind {
        if a.isNaN || b.isNaN { return .unordered }
        return a < b ? .less : (a == b ? .equal : .greater)
    }

    public static func equal(_ a: Double, _ b: Double) throws -> Bool { a == b }

    public func exp() throws -> Double { Foundation.exp(self) }
    public func log() throws -> Double { Foundation.log(self) }
    public func sin() throws -> Double { Foundation.sin(self) }
    public func cos() throws -> Double { Foundation.cos(self) }
    public func tan() throws -> Double { Foundation.tan(self) }
    public func tanh() throws -> Double { Foundation.tanh(self) }
    public func sqrt() throws -> Double { self.squareRoot() }
    public func abs() throws -> Double { Swift.abs(self) }
    public func sigmoid() throws -> Double { 1 / (1 + Foundation.exp(-self)) }
    public func sign() throws -> Double { self > 0 ? 1 : (self < 0 ? -1 : (self.isNaN ? self : 0)) }
    public func floor() throws -> Double { self.rounded(.down) }

    public func truncatedInt() throws -> Int {
        let t = self.rounded(.towardZero)
        guard t.isFinite, t >= -9.223372036854775808e18, t < 9.223372036854775808e18 else {
            throw ScalarError("\(self) does not fit in an Int")
        }
        return Int(t)
    }

    public var doubleValue: Double { self }

    public var jsonText: String {
        if isNaN { return "\"nan\"" }
        if isInfinite { return self > 0 ? "\"inf\"" : "\"-inf\"" }
        return description
    }

    /// The Double nearest to `numerator / denominator` when the denominator is 2^a·5^b (every decimal
    /// literal): written as decimal text `N e-k`, which Swift's parser rounds correctly once.
    /// Other denominators fall back to dividing the two rounded parts.
    static func nearest(numerator: String, denominator: String) throws -> Double {
        if let text = DecimalDigits.decimalText(numerator: numerator, denominator: denominator),
           let value = Double(text) {
            return value
        }
        guard let n = Double(numerator), let d = Double(denominator) else {
            throw ScalarError("malformed number \(numerator)/\(denominator)")
        }
        return n / d
    }
}
