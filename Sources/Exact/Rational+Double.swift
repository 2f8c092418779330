// Exact stage: the one way out of the rationals, rounding to the nearest Double.
//
// Exact mode prints rationals, but `--json` consumers and plots want floats. GMP's
// `mpq_get_d` truncates toward zero (1/10 would come out one ulp low), so the rounding
// is done here on integers: scale the value so that its integer part has the 53 bits
// of a Double's significand, divide once, and round the remainder half to even. The
// same machinery rounds square roots of rationals, which is how an irrational root
// c*sqrt(q) gets the nearest Double to its true value.

import CGMP

extension Rational {
    /// The Double nearest to this value, ties to even; ±infinity past the largest finite Double
    /// and a subnormal or zero below the smallest normal one, as IEEE rounding gives.
    ///
    /// 1/10 gives exactly 0.1 and 1/3 gives 0.3333333333333333.
    public var doubleValue: Double {
        let sign = self.sign
        if sign == 0 { return 0 }
        return withTemporaryInteger { magnitude in
            __gmpz_abs(magnitude, numeratorRef)
            let value = Rational.nearestPositiveDouble(magnitude, denominatorRef)
            return sign < 0 ? -value : value
        }
    }

    /// The Double nearest to `numerator / denominator`, two positive integers.
    ///
    /// With ulp = 2^u the spacing of Doubles around the value, N = floor(value / 2^u) is the
    /// significand before rounding and the remainder decides the rounding. For normal results
    /// u = e - 52 where 2^e <= value < 2^(e+1); subnormals share u = -1074.
    static func nearestPositiveDouble(_ numerator: UnsafeMutablePointer<__mpz_struct>,
                                      _ denominator: UnsafeMutablePointer<__mpz_struct>) -> Double {
        let numeratorBits = Int(__gmpz_sizeinbase(numerator, 2))
        let denominatorBits = Int(__gmpz_sizeinbase(denominator, 2))
        // value lies in (2^(nb-db-1), 2^(nb-db+1)), so e is nb-db or nb-db-1; try the larger first.
        var ulpExponent = max(numeratorBits - denominatorBits - 52, -1074)
        if ulpExponent > 1024 { return .infinity }  // value >= 2^1075: no need to divide
        return withTemporaryInteger { scaledNumerator in
            withTemporaryInteger { scaledDenominator in
                withTemporaryInteger { significand in
                    withTemporaryInteger { remainder in
                        while true {
                            if ulpExponent <= 0 {
                                __gmpz_mul_2exp(scaledNumerator, numerator, UInt(-ulpExponent))
                                __gmpz_set(scaledDenominator, denominator)
                            } else {
                                __gmpz_set(scaledNumerator, numerator)
                                __gmpz_mul_2exp(scaledDenominator, denominator, UInt(ulpExponent))
                            }
                            __gmpz_tdiv_qr(significand, remainder, scaledNumerator, scaledDenominator)
                            // Fewer than 53 bits means e was the smaller candidate: one more bit is needed.
                            if __gmpz_sizeinbase(significand, 2) < 53, ulpExponent > -1074 {
                                ulpExponent -= 1
                                continue
                            }
                            break
                        }
                        __gmpz_mul_2exp(remainder, remainder, 1)
                        let half = __gmpz_cmp(remainder, scaledDenominator)  // 2r against the divisor
                        if half > 0 || (half == 0 && adjoint_mpz_odd_p(significand) != 0) {
                            __gmpz_add_ui(significand, significand, 1)
                        }
                        // At most 2^53, so exact as a Double; scaling by a power of two is exact too,
                        // except where it overflows to infinity, which is the right rounding there.
                        let digits = Double(__gmpz_get_ui(significand))
                        return Double(sign: .plus, exponent: ulpExponent, significand: digits)
                    }
                }
            }
        }
    }

    /// The Double nearest to sqrt(self) for a non-negative value, correctly rounded.
    ///
    /// For self = a/b, sqrt(a/b) = sqrt(a*b)/b. With t = isqrt(a*b*4^k), the root lies in
    /// [t, t+1) / (b*2^k) and is irrational unless both bounds are equal; when both bounds
    /// round to the same Double, that Double is the answer, else k grows and we try again.
    public var squareRootDoubleValue: Double {
        precondition(sign >= 0, "squareRootDoubleValue of a negative value")
        if let exact = squareRoot() { return exact.doubleValue }
        return withTemporaryInteger { product in
            withTemporaryInteger { root in
                withTemporaryInteger { scale in
                    __gmpz_mul(product, numeratorRef, denominatorRef)
                    let productBits = Int(__gmpz_sizeinbase(product, 2))
                    var extraBits = 64  // bits of t beyond a Double's 53, doubled while undecided
                    var lower = 0.0
                    for _ in 0..<8 {
                        let shift = max(0, extraBits - productBits / 2)
                        __gmpz_mul_2exp(root, product, UInt(2 * shift))
                        __gmpz_sqrt(root, root)
                        __gmpz_mul_2exp(scale, denominatorRef, UInt(shift))
                        lower = Rational.fraction(root, scale).doubleValue
                        __gmpz_add_ui(root, root, 1)
                        let upper = Rational.fraction(root, scale).doubleValue
                        if lower == upper { break }
                        extraBits *= 2
                    }
                    return lower
                }
            }
        }
    }
}
