// The workloads' inputs (from ../shared/bench/WORKLOADS.md, copied here: the suite reads nothing
// outside the package at run time). Deterministic, so every implementation differentiates the same
// numbers.
import Foundation

enum Inputs {
    /// W1: x = arange(1000).
    static let w1x: [Double] = (0..<1000).map(Double.init)

    /// W2: a = [0.37] and a = [-0.37] (the two sides of the branch).
    static let w2Positive: [Double] = [0.37]
    static let w2Negative: [Double] = [-0.37]

    /// W3 and W7: n = 10,000; x[i] = 0.5 + 0.0001·i. W7's v = ones.
    static let w3n = 10_000
    static let w3x: [Double] = (0..<w3n).map { 0.5 + 0.0001 * Double($0) }
    static let w7v: [Double] = Array(repeating: 1, count: w3n)

    /// W4: N = 100,000; x0 = 0.3; r = 3.2.
    static let w4n = 100_000
    static let w4x0 = 0.3
    static let w4r = 3.2

    /// W5: n = 100,000; x[i] = sin(i).
    static let w5n = 100_000
    static let w5x: [Double] = (0..<w5n).map { Foundation.sin(Double($0)) }

    /// W6: the shapes of the MLP.
    static let batch = 64, inputs = 256, hidden = 256, outputs = 10
    static let w6: MLPInputs = MLPInputs.draw()
}

/// W6's tensors, row-major, drawn from the workloads' LCG.
struct MLPInputs {
    var X: [Double]   // 64×256
    var W1: [Double]  // 256×256
    var b1: [Double]  // 256
    var W2: [Double]  // 256×10
    var b2: [Double]  // 10
    var Y: [Double]   // 64×10

    /// `s ← s·6364136223846793005 + 1442695040888963407 (mod 2⁶⁴)`, seed 42, `u = (s >> 11)·2⁻⁵³`,
    /// `sym(k) = (2u − 1)·k`; X with k = 1, W1 with 1/16, b1 with 0.1, W2 with 1/16, b2 with 0.1,
    /// Y with 1, in that order, each row-major.
    static func draw() -> MLPInputs {
        var s: UInt64 = 42
        func sym(_ count: Int, _ k: Double) -> [Double] {
            (0..<count).map { _ in
                s = s &* 6364136223846793005 &+ 1442695040888963407
                let u = Double(s >> 11) * 0x1p-53
                return (2 * u - 1) * k
            }
        }
        let b = Inputs.batch, i = Inputs.inputs, h = Inputs.hidden, o = Inputs.outputs
        let X = sym(b * i, 1)
        let W1 = sym(i * h, 1.0 / 16)
        let b1 = sym(h, 0.1)
        let W2 = sym(h * o, 1.0 / 16)
        let b2 = sym(o, 0.1)
        let Y = sym(b * o, 1)
        return MLPInputs(X: X, W1: W1, b1: b1, W2: W2, b2: b2, Y: Y)
    }
}
