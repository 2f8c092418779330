// Exact stage tests: the GMP-backed Rational and the ExactReal scalar built on it.
//
// Exact mode is the project's oracle, so these tests pin the arithmetic itself:
// canonical forms, exact literal parsing, correctly rounded conversion to Double,
// exact reasoning about irrational roots, and the errors for everything that would
// leave the rationals.

import Testing
import AdjointInterpreter
@testable import AdjointExact

/// A rational from literal text, for brevity.
private func q(_ text: String) -> Rational { Rational(decimalLiteral: text)! }

/// The fraction n/d.
private func q(_ n: Int, _ d: Int) throws -> Rational {
    try Rational(numerator: String(n), denominator: String(d))
}

/// The exact real n/d.
private func x(_ n: Int, _ d: Int = 1) throws -> ExactReal { ExactReal(try q(n, d)) }

/// The message of the ScalarError that `body` throws, or nil when it throws nothing.
private func scalarError(_ body: () throws -> ExactReal) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as ScalarError {
        return error.message
    } catch {
        return "unexpected \(error)"
    }
}

// MARK: - Rational

@Suite struct RationalTests {
    @Test func canonicalForm() throws {
        #expect(try q(6, 4).description == "3/2")
        #expect(try q(-6, 4).description == "-3/2")
        #expect(try q(6, -4).description == "-3/2")
        #expect(try q(12, 4).description == "3")
        #expect(try q(0, 7).description == "0")
        #expect(try Rational(numerator: "-0012", denominator: "100").description == "-3/25")
        #expect(Rational(-4).description == "-4")
        #expect(Rational(0).description == "0")
        #expect(Rational(Int.min).description == "-9223372036854775808")
        #expect(try q(6, 4).numerator == Rational(3))
        #expect(try q(-6, 4).denominator == Rational(2))
    }

    @Test func malformedAndZeroDenominator() {
        #expect(throws: RationalError.divisionByZero) { try Rational(numerator: "1", denominator: "0") }
        #expect(throws: RationalError.malformed("1 2/3")) { try Rational(numerator: "1 2", denominator: "3") }
        #expect(throws: RationalError.malformed("/3")) { try Rational(numerator: "", denominator: "3") }
        #expect(throws: RationalError.malformed("+1/3")) { try Rational(numerator: "+1", denominator: "3") }
    }

    @Test func decimalLiterals() throws {
        #expect(q("0.1") + q("0.2") == q("0.3"))
        #expect(q("0.1").description == "1/10")
        #expect(q("1e-3").description == "1/1000")
        #expect(q(".5").description == "1/2")
        #expect(q("2.").description == "2")
        #expect(q("2.5e+4").description == "25000")
        #expect(q("2.5E4") == Rational(25000))
        #expect(q("-0.75").description == "-3/4")
        #expect(q("0e99999999999").isZero)
        #expect(q("1e-300").description == "1/1" + String(repeating: "0", count: 300))
        #expect(q("1e-300").doubleValue == 1e-300)
        #expect(q("123.456e-2") == (try q(123456, 100000)))
        for bad in ["", ".", "e5", "1e", "1e+", "1.2.3", "1x", "- 1", "1 ", "0x10", "1e99999999999999999999"] {
            #expect(Rational(decimalLiteral: bad) == nil, "\(bad)")
        }
        #expect(Rational(decimalLiteral: "1e2000000") == nil)  // past maximumDecimalExponent
    }

    @Test func doubleRoundTrip() throws {
        let tenth = Rational(0.1)
        #expect(tenth.description == "3602879701896397/36028797018963968")
        #expect(tenth.doubleValue == 0.1)
        #expect(Rational(-2.5).description == "-5/2")
        for value in [0.0, 1.0, -1.0, 0.1, 1.0 / 3, 1e300, -1e-300, .pi, .greatestFiniteMagnitude,
                      .leastNonzeroMagnitude, .leastNormalMagnitude, Double.leastNormalMagnitude.nextDown] {
            #expect(Rational(value).doubleValue == value, "\(value)")
        }
        for _ in 0..<2000 {
            // Any finite bit pattern, either sign, subnormals included.
            let value = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000) | (Bool.random() ? 1 << 63 : 0))
            #expect(Rational(value).doubleValue == value)
        }
    }

    @Test func nearestDouble() throws {
        #expect(try q(1, 10).doubleValue == 0.1)
        #expect(try q(1, 3).doubleValue == 0.3333333333333333)
        #expect(try q(-2, 3).doubleValue == -0.6666666666666666)
        #expect(try q(2, 3).doubleValue == 2.0 / 3)
        #expect(q("0.3").doubleValue == 0.3)
        #expect(q("1e400").doubleValue == .infinity)
        #expect(q("-1e400").doubleValue == -.infinity)
        #expect(q("1e-400").doubleValue == 0)
        // Halfway between 1 and the next Double: ties to even (down); just above: up.
        let half = try Rational(1) + Rational(1) / Rational(Double(1 << 53))
        #expect(half.doubleValue == 1.0)
        let above = try half + Rational(1) / Rational(1e30)
        #expect(above.doubleValue == 1.0.nextUp)
        // Halfway between the two smallest subnormals rounds to even (the larger, 2 * least).
        let subnormalHalf = Rational(Double.leastNonzeroMagnitude) * (try q(3, 2))
        #expect(subnormalHalf.doubleValue == 2 * Double.leastNonzeroMagnitude)
        // IEEE division of exactly representable integers is correctly rounded: a reference.
        for _ in 0..<2000 {
            let n = Int.random(in: -(1 << 53)...(1 << 53))
            let d = Int.random(in: 1...(1 << 53))
            #expect(try q(n, d).doubleValue == Double(n) / Double(d), "\(n)/\(d)")
        }
        for text in ["0.1", "0.7", "3.14159", "2.5e-310", "1.7976931348623157e308", "123456789.123456789"] {
            #expect(q(text).doubleValue == Double(text)!, "\(text)")
        }
    }

    @Test func hashingAndComparison() throws {
        #expect(try q(6, 4).hashValue == q(3, 2).hashValue)
        #expect(Set([try q(6, 4), try q(3, 2), q("1.5"), Rational(1.5)]).count == 1)
        #expect(Set([Rational(1), Rational(-1), Rational(0), q("1e40"), q("-1e40")]).count == 5)
        #expect(try q(1, 3) < q(1, 2))
        #expect(try q(-1, 2) < q(-1, 3))
        #expect(q("1e-300") > Rational(0))
        #expect(try q(2, 4) == q(1, 2))
        #expect(try [q(1, 2), q(-3, 1), q(1, 3)].sorted() == [q(-3, 1), q(1, 3), q(1, 2)])
    }

    @Test func arithmetic() throws {
        #expect(try q(1, 2) + q(1, 3) == q(5, 6))
        #expect(try q(1, 2) - q(1, 3) == q(1, 6))
        #expect(try q(2, 3) * q(3, 4) == q(1, 2))
        #expect(try q(2, 3) / q(4, 3) == q(1, 2))
        #expect(try -q(2, 3) == q(-2, 3))
        #expect(try q(-2, 3).magnitude == q(2, 3))
        #expect(try q(-2, 3).sign == -1 && Rational(0).sign == 0 && Rational(5).sign == 1)
        #expect(throws: RationalError.divisionByZero) { try Rational(1) / Rational(0) }
        #expect(throws: RationalError.divisionByZero) { try Rational(0).reciprocal() }
    }

    @Test func integerPower() throws {
        #expect(try q(2, 3).power(3) == q(8, 27))
        #expect(try q(2, 3).power(-2) == q(9, 4))
        #expect(try q(-2, 3).power(-3) == q(-27, 8))
        #expect(try Rational(0).power(0) == Rational(1))
        #expect(try Rational(0).power(5) == Rational(0))
        #expect(try Rational(-1).power(Int.max) == Rational(-1))
        #expect(try Rational(1).power(Int.min) == Rational(1))
        #expect(throws: RationalError.divisionByZero) { try Rational(0).power(-1) }
        #expect(throws: RationalError.resultTooLarge) { try Rational(2).power(Int.max) }
        #expect(try Rational(10).power(300).description == "1" + String(repeating: "0", count: 300))
    }

    @Test func floorIntegerAndTruncation() throws {
        #expect(try q(-7, 2).floor() == Rational(-4))
        #expect(try q(7, 2).floor() == Rational(3))
        #expect(Rational(-4).floor() == Rational(-4))
        #expect(try q(-7, 2).truncatedInt == -3)
        #expect(try q(7, 2).truncatedInt == 3)
        #expect(try q(7, 2).isInteger == false)
        #expect(Rational(-7).isInteger)
        #expect(Rational(Int.max).truncatedInt == Int.max)
        #expect((Rational(Int.max) + Rational(1)).truncatedInt == nil)
        #expect(Rational(Int.min).truncatedInt == Int.min)
    }

    @Test func squareRoots() throws {
        #expect(try q(9, 4).squareRoot() == q(3, 2))
        #expect(Rational(0).squareRoot() == Rational(0))
        #expect(Rational(2).squareRoot() == nil)
        #expect(Rational(-4).squareRoot() == nil)
        #expect(try q(8, 9).squareRoot() == nil)
        #expect(Rational(8).squareRootFloor() == Rational(2))
        #expect(try q(1, 2).squareRootFloor() == Rational(0))
        #expect(Rational(2).squareRootDoubleValue == 2.0.squareRoot())
        #expect(q("1e-300").squareRootDoubleValue == 1e-150)
        for n in 2..<200 {
            #expect(Rational(n).squareRootDoubleValue == Double(n).squareRoot(), "\(n)")
        }
        // IEEE sqrt is correctly rounded too, so it is the reference for any finite Double.
        for _ in 0..<1000 {
            let value = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000))
            #expect(Rational(value).squareRootDoubleValue == value.squareRoot(), "\(value)")
        }
        let (outside, inside) = Rational(72).extractingSquareFactors()
        #expect(outside == Rational(6) && inside == Rational(2))
        let (outside2, inside2) = Rational(101 * 101 * 3).extractingSquareFactors()
        #expect(outside2 == Rational(101) && inside2 == Rational(3))
    }

    /// Builds and drops many values: under valgrind or ASan this shows no mpq_t leaks.
    @Test func manyAllocationsRun() throws {
        var total = Rational(0)
        for i in 1...20_000 {
            let term = try Rational(1) / Rational(i * (i + 1))
            total = total + term
            _ = term.description
            _ = term.doubleValue
        }
        // Telescoping: sum of 1/(i(i+1)) for i = 1...n is n/(n+1).
        #expect(try total == q(20_000, 20_001))
    }
}

// MARK: - ExactReal

@Suite struct ExactRealTests {
    @Test func literalsAndPrinting() throws {
        #expect(try ExactReal(numerator: "6", denominator: "4").description == "3/2")
        #expect(try ExactReal(numerator: "-4", denominator: "1").jsonText == "\"-4\"")
        #expect(ExactReal(drawn: 0.1).description == "3602879701896397/36028797018963968")
        #expect(throws: ScalarError("division by zero")) { try ExactReal(numerator: "1", denominator: "0") }
        #expect(throws: ScalarError("malformed number 1.5/1")) { try ExactReal(numerator: "1.5", denominator: "1") }
        #expect(try x(3, 25).description == "3/25")
        #expect(try x(3, 25).doubleValue == 0.12)
    }

    @Test func rationalArithmetic() throws {
        #expect(try x(1, 10) + x(2, 10) == x(3, 10))
        #expect(try x(1, 2) - x(3, 2) == x(-1))
        #expect(try x(2, 3) * x(3, 2) == x(1))
        #expect(try x(1) / x(3) == x(1, 3))
        #expect(try -x(1, 3) == x(-1, 3))
        #expect(try ExactReal.power(x(2, 3), x(-2)) == x(9, 4))
        #expect(try ExactReal.power(x(2), ExactReal(q("3.0"))) == x(8))
        #expect(try x(-7, 2).floor() == x(-4))
        #expect(try x(-7, 2).abs() == x(7, 2))
        #expect(try x(-7, 2).sign() == x(-1))
        #expect(try x(0).sign() == x(0))
        #expect(try x(-7, 2).relu() == x(0))
        #expect(try x(7, 2).relu() == x(7, 2))
        #expect(try x(-7, 2).truncatedInt() == -3)
        #expect(try ExactReal.compare(x(1, 3), x(1, 2)) == .less)
        #expect(try ExactReal.equal(x(2, 4), x(1, 2)))
    }

    @Test func errors() throws {
        #expect(scalarError { try x(1) / x(0) } == "division by zero")
        #expect(scalarError { try ExactReal.power(x(0), x(-1)) } == "division by zero")
        #expect(scalarError { try ExactReal.power(x(2), x(1, 2)) } == "exact mode: x ^ y needs an integer exponent")
        #expect(scalarError { try ExactReal.power(x(2), x(2).sqrt()) } == "exact mode: x ^ y needs an integer exponent")
        #expect(scalarError { try x(1).exp() } == "exact mode cannot evaluate exp")
        #expect(scalarError { try x(1, 2).sin() } == "exact mode cannot evaluate sin")
        #expect(scalarError { try x(2).log() } == "exact mode cannot evaluate log")
        #expect(scalarError { try x(0).log() } == "exact mode cannot evaluate log")
        #expect(scalarError { try x(1).cos() } == "exact mode cannot evaluate cos")
        #expect(scalarError { try x(1).tan() } == "exact mode cannot evaluate tan")
        #expect(scalarError { try x(1).tanh() } == "exact mode cannot evaluate tanh")
        #expect(scalarError { try x(1).sigmoid() } == "exact mode cannot evaluate sigmoid")
        #expect(scalarError { try x(2).sqrt().exp() } == "exact mode cannot evaluate exp")
        #expect(scalarError { try x(-4).sqrt() } == "exact mode cannot take sqrt of a negative number")
        #expect(scalarError { try x(2).sqrt().sqrt() } == "exact mode cannot take sqrt of an irrational square root")
        #expect(scalarError { try x(2).sqrt() + x(1) } == "exact mode cannot add an irrational square root")
        #expect(scalarError { try x(1) - x(2).sqrt() } == "exact mode cannot subtract an irrational square root")
        #expect(scalarError { try x(2).sqrt() + x(3).sqrt() }
                == "exact mode cannot add irrational square roots with different radicands")
        #expect(scalarError { try x(2).sqrt() / x(0) } == "division by zero")
        #expect(throws: ScalarError.self) { try ExactReal(Rational(Int.max) + Rational(1)).truncatedInt() }
    }

    @Test func transcendentalSpecialPoints() throws {
        #expect(try x(0).exp() == x(1))
        #expect(try x(1).log() == x(0))
        #expect(try x(0).sin() == x(0))
        #expect(try x(0).cos() == x(1))
        #expect(try x(0).tan() == x(0))
        #expect(try x(0).tanh() == x(0))
        #expect(try x(0).sigmoid() == x(1, 2))
    }

    @Test func rationalSquareRoots() throws {
        #expect(try x(9, 4).sqrt() == x(3, 2))
        #expect(try x(9, 4).sqrt().isRational)
        #expect(try x(0).sqrt() == x(0))
        #expect(try !x(2).sqrt().isRational)
        #expect(try x(2).sqrt().description == "sqrt(2)")
        #expect(try x(8).sqrt().description == "2*sqrt(2)")
        #expect(try x(1, 2).sqrt().description == "1/2*sqrt(2)")
        #expect(try (-x(2).sqrt()).description == "-sqrt(2)")
        #expect(try x(2).sqrt().jsonText == "\"sqrt(2)\"")
    }

    @Test func rootsCompareExactly() throws {
        let root2 = try x(2).sqrt()
        let twoRoot2 = try root2 * x(2)  // 2.828...
        #expect(try ExactReal.compare(twoRoot2, x(3)) == .less)
        #expect(try ExactReal.compare(x(3), twoRoot2) == .greater)
        #expect(try ExactReal.compare(twoRoot2, x(2)) == .greater)
        #expect(try ExactReal.compare(-twoRoot2, x(-3)) == .greater)
        #expect(try ExactReal.compare(-twoRoot2, x(0)) == .less)
        #expect(try ExactReal.compare(-twoRoot2, x(1)) == .less)
        #expect(try twoRoot2 != x(3))
        // sqrt(8) * 1/2 is sqrt(2), however it was reached.
        let half8 = try x(8).sqrt() * x(1, 2)
        #expect(half8 == root2)
        #expect(try ExactReal.compare(half8, root2) == .equal)
        #expect(try ExactReal.equal(x(8).sqrt(), twoRoot2))
        // Roots with different radicands: sqrt(3) > sqrt(2), -sqrt(3) < -sqrt(2).
        let root3 = try x(3).sqrt()
        #expect(try ExactReal.compare(root3, root2) == .greater)
        #expect(try ExactReal.compare(-root3, -root2) == .less)
        #expect(try ExactReal.compare(-root3, root2) == .less)
        // Very close: 239/169 < sqrt(2) < 577/408 (convergents; 577^2 - 2*408^2 = 1).
        #expect(try ExactReal.compare(root2, x(239, 169)) == .greater)
        #expect(try ExactReal.compare(root2, x(577, 408)) == .less)
        #expect(try root2.relu() == root2)
        #expect(try (-root2).relu() == x(0))
    }

    @Test func rootArithmetic() throws {
        let root2 = try x(2).sqrt()
        #expect(try root2 * root2 == x(2))
        #expect(try (root2 * root2).isRational)
        #expect(try x(2).sqrt() * x(8).sqrt() == x(4))
        #expect(try x(6).sqrt() / x(3).sqrt() == root2)
        #expect(try x(1) / root2 == root2 * x(1, 2))      // 1/sqrt(2) = sqrt(2)/2
        #expect(try (root2 / x(2)).description == "1/2*sqrt(2)")
        #expect(try root2 * x(0) == x(0))
        #expect(try root2 + x(0) == root2)
        #expect(try x(0) + root2 == root2)
        #expect(try x(0) - root2 == -root2)
        #expect(try root2 + root2 == x(8).sqrt())          // like radicands combine
        #expect(try x(8).sqrt() - root2 == root2)
        #expect(try root2 - root2 == x(0))
        #expect(try x(1, 2).sqrt() + root2 == root2 * x(3, 2))
        #expect(try ExactReal.power(root2, x(2)) == x(2))
        #expect(try ExactReal.power(root2, x(3)) == root2 * x(2))
        #expect(try ExactReal.power(root2, x(-1)) == root2 * x(1, 2))
        #expect(try ExactReal.power(root2, x(0)) == x(1))
        #expect(try (-root2).abs() == root2)
        #expect(try (-root2).sign() == x(-1))
    }

    @Test func rootFloorTruncationAndDouble() throws {
        let root2 = try x(2).sqrt()
        #expect(try root2.floor() == x(1))
        #expect(try (-root2).floor() == x(-2))
        #expect(try root2.truncatedInt() == 1)
        #expect(try (-root2).truncatedInt() == -1)
        #expect(try (root2 * x(1000)).floor() == x(1414))
        #expect(try (root2 * x(-1000)).truncatedInt() == -1414)
        #expect(try (root2 * x(1, 1000)).floor() == x(0))
        #expect(try (root2 * x(-1, 1000)).floor() == x(-1))
        #expect(root2.doubleValue == 2.0.squareRoot())
        // 3*sqrt(2) = sqrt(18), and IEEE sqrt is correctly rounded, as ours must be.
        #expect(try (-root2 * x(3)).doubleValue == -(18.0.squareRoot()))
        #expect(try x(1, 3).sqrt().doubleValue == (1.0 / 3).squareRoot())
    }
}
