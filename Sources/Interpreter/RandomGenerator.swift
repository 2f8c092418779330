// Interpreter stage: the seeded random numbers behind `random_uniform` and `random_normal`.
//
// Compiled and interpreted runs must print the same numbers for the same `--seed` (spec §6), so
// the code generator re-emits this exact algorithm in the Swift runtime. It is deliberately
// tiny and fully specified below; changing any step changes every program's output.

import Foundation

/// A seeded 64-bit linear congruential generator of uniform and normal Doubles.
///
/// The algorithm, which the generated Swift reproduces bit for bit:
///
/// - State: one `UInt64` `s`. A step is `s ← s &* 6364136223846793005 &+ 1442695040888963407`
///   (wrapping, i.e. mod 2^64; Knuth's MMIX constants).
/// - `init(seed:)`: `s = UInt64(bitPattern: Int64(seed))`, then one step, so seed 0 does not
///   start from state 0.
/// - `nextUniform()`: one step, then `Double(s >> 11) * 0x1p-53`: the top 53 bits as a Double
///   in [0, 1), exactly representable, so the exact engine gets a dyadic rational.
/// - `nextNormal()`: Box–Muller with `u1 = nextUniform()`, then `u2 = nextUniform()`:
///   `(-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2)`, evaluated in that order.
///   `1 - u1` is in (0, 1], so the log is finite. One normal uses two uniforms and nothing is
///   cached between calls, which keeps the sequence trivial to reproduce.
public struct RandomGenerator: Sendable {
    /// The current LCG state.
    public private(set) var state: UInt64

    /// A generator whose sequence is fixed by `seed` (the `--seed` option, default 0).
    public init(seed: Int) {
        state = UInt64(bitPattern: Int64(seed))
        step()
    }

    /// Advances the state by one LCG step.
    private mutating func step() {
        state = state &* 6364136223846793005 &+ 1442695040888963407
    }

    /// The next uniform Double in [0, 1).
    public mutating func nextUniform() -> Double {
        step()
        return Double(state >> 11) * 0x1p-53
    }

    /// The next standard normal Double, from two uniforms by Box–Muller.
    public mutating func nextNormal() -> Double {
        let u1 = nextUniform()
        let u2 = nextUniform()
        return (-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// A tensor of `shape` with uniform draws in [0, 1), drawn in row-major order.
    public static func randomUniform(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let count = try TensorShape.elementCount(shape)
        return Tensor(validShape: shape, scalars: (0..<count).map { _ in Element(drawn: generator.nextUniform()) })
    }

    /// A tensor of `shape` with standard normal draws, drawn in row-major order.
    public static func randomNormal(_ shape: [Int], using generator: inout RandomGenerator) throws -> Tensor {
        let count = try TensorShape.elementCount(shape)
        return Tensor(validShape: shape, scalars: (0..<count).map { _ in Element(drawn: generator.nextNormal()) })
    }
}
