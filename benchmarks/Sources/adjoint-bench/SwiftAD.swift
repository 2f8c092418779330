// The workloads under Swift's built-in differentiation (`import _Differentiation`), written as a
// Swift user would: the same loops over `[Double]`, differentiated by `valueWithGradient(at:of:)`.
//
// What it cannot express, or only at a price:
// - W7 (a Hessian-vector product as the gradient of a function that calls `gradient`): Swift AD
//   has no higher-order reverse mode; `gradient(at:of:)` is not itself differentiable, so
//   `gradient(at: x) { x in sum(gradient(at: x, of: rosenbrock) * v) }` does not compile (forward
//   mode, which forward-over-reverse would need, is experimental and off by default). Reported
//   as "cannot".
// - Reading an array element inside a loop (W1, W3, W5) is differentiable, but the pullback of
//   `Array.subscript` builds a zero array of the whole length for every read, so a gradient of a
//   loop over n elements costs O(n²) time. That is the price shown in the table, not worked around.
// - W6: loops over matrices would be O(n²) per element read as above, so the MLP is written with
//   small array primitives (matmul, row bias, tanh, difference, sum of squares) whose pullbacks
//   are registered by hand with `@derivative(of:)` (naive i-k-j loops, the Adjoint runtime's order);
//   Swift AD composes them. This is how a Swift AD user gets a usable gradient there.
import _Differentiation
import Foundation

enum SwiftAD {
    // MARK: W1

    @differentiable(reverse)
    static func w1f(_ x: [Double]) -> Double {
        var s = 0.0
        for i in 0..<withoutDerivative(at: x.count) { s += x[i] * x[i] }
        return 2 * s
    }

    static func w1(_ x: [Double]) -> (value: Double, x: [Double]) {
        let (value, g) = valueWithGradient(at: x, of: w1f)
        return (value, g.base)
    }

    // MARK: W2

    @differentiable(reverse)
    static func sum(_ v: [Double]) -> Double {
        var s = 0.0
        for i in 0..<withoutDerivative(at: v.count) { s += v[i] }
        return s
    }

    static func norm(_ v: [Double]) -> Double {
        var s = 0.0
        for x in v { s += x * x }
        return s.squareRoot()
    }

    @differentiable(reverse)
    static func w2f(_ a: [Double]) -> Double {
        var b = a.differentiableMap { $0 * 2 }
        while withoutDerivative(at: norm(b)) < 1000 {
            b = b.differentiableMap { $0 * 2 }
        }
        var c = b
        if sum(b) <= 0 {
            c = b.differentiableMap { 100 * $0 }
        }
        return sum(c)
    }

    static func w2(_ a: [Double]) -> (value: Double, a: [Double]) {
        let (value, g) = valueWithGradient(at: a, of: w2f)
        return (value, g.base)
    }

    // MARK: W3

    @differentiable(reverse)
    static func w3f(_ x: [Double]) -> Double {
        var s = 0.0
        for i in 0..<withoutDerivative(at: x.count - 1) {
            let a = x[i + 1] - x[i] * x[i]
            let b = 1 - x[i]
            s += 100 * a * a + b * b
        }
        return s
    }

    static func w3(_ x: [Double]) -> (value: Double, x: [Double]) {
        let (value, g) = valueWithGradient(at: x, of: w3f)
        return (value, g.base)
    }

    // MARK: W4

    @differentiable(reverse, wrt: (x0, r))
    static func w4f(_ x0: Double, _ r: Double, _ n: Int) -> Double {
        var x = x0
        for _ in 0..<n { x = r * x * (1 - x) }
        return x
    }

    static func w4(x0: Double, r: Double, n: Int) -> (value: Double, x0: Double, r: Double) {
        let (value, g) = valueWithGradient(at: x0, r) { x0, r in w4f(x0, r, n) }
        return (value, g.0, g.1)
    }

    // MARK: W5

    @differentiable(reverse)
    static func w5f(_ x: [Double]) -> Double {
        var s = 0.0
        for i in 0..<withoutDerivative(at: x.count) {
            let xi = x[i]
            if xi > 0 {
                s += xi * xi
            } else {
                s -= Foundation.sin(xi)
            }
        }
        return s
    }

    static func w5(_ x: [Double]) -> (value: Double, x: [Double]) {
        let (value, g) = valueWithGradient(at: x, of: w5f)
        return (value, g.base)
    }

    // MARK: W6

    struct MLPParameters: Differentiable {
        var W1: [Double]
        var b1: [Double]
        var W2: [Double]
        var b2: [Double]
    }

    @differentiable(reverse, wrt: p)
    static func w6f(_ X: [Double], _ p: MLPParameters, _ Y: [Double]) -> Double {
        let m = Inputs.batch, d = Inputs.inputs, h = Inputs.hidden, o = Inputs.outputs
        let H = tanh(addRow(matmul(X, p.W1, m, d, h), p.b1, m, h))
        let O = subtract(addRow(matmul(H, p.W2, m, h, o), p.b2, m, o), Y)
        return sumOfSquares(O) / 64
    }

    static func w6(_ v: MLPInputs) -> (value: Double, W1: [Double], b1: [Double], W2: [Double], b2: [Double]) {
        let p = MLPParameters(W1: v.W1, b1: v.b1, W2: v.W2, b2: v.b2)
        let (value, g) = valueWithGradient(at: p) { p in w6f(v.X, p, v.Y) }
        return (value, g.W1.base, g.b1.base, g.W2.base, g.b2.base)
    }
}

// MARK: - W6's primitives and their hand-registered pullbacks

typealias ArrayTangent = [Double].TangentVector

/// A cotangent as a dense array: Swift AD passes `.zero`, an empty array, for "no contribution".
@inline(__always)
private func dense(_ t: ArrayTangent, _ count: Int) -> [Double] {
    t.base.isEmpty ? [Double](repeating: 0, count: count) : t.base
}

private func product(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in naiveGemm(m, n, k, a.baseAddress!, b.baseAddress!, c.baseAddress!) }
        }
    }
    return c
}

private func transposed(_ a: [Double], _ m: Int, _ n: Int) -> [Double] {
    var t = [Double](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { a in
        t.withUnsafeMutableBufferPointer { t in transpose(m, n, a.baseAddress!, t.baseAddress!) }
    }
    return t
}

func matmul(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
    product(a, b, m, k, n)
}

@derivative(of: matmul, wrt: (a, b))
func matmulVJP(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int)
    -> (value: [Double], pullback: (ArrayTangent) -> (ArrayTangent, ArrayTangent)) {
    (product(a, b, m, k, n), { t in
        let g = dense(t, m * n)
        return (ArrayTangent(product(g, transposed(b, k, n), m, n, k)),
                ArrayTangent(product(transposed(a, m, k), g, k, m, n)))
    })
}

// Swift AD picks the most specific registered derivative: with X constant only b̄ is computed.
@derivative(of: matmul, wrt: b)
func matmulVJPb(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int)
    -> (value: [Double], pullback: (ArrayTangent) -> ArrayTangent) {
    (product(a, b, m, k, n), { t in
        ArrayTangent(product(transposed(a, m, k), dense(t, m * n), k, m, n))
    })
}

/// z[i, j] + bias[j] for an m×n matrix z.
func addRow(_ z: [Double], _ bias: [Double], _ m: Int, _ n: Int) -> [Double] {
    var out = z
    for i in 0..<m { for j in 0..<n { out[i * n + j] += bias[j] } }
    return out
}

@derivative(of: addRow)
func addRowVJP(_ z: [Double], _ bias: [Double], _ m: Int, _ n: Int)
    -> (value: [Double], pullback: (ArrayTangent) -> (ArrayTangent, ArrayTangent)) {
    (addRow(z, bias, m, n), { t in
        let g = dense(t, m * n)
        var gb = [Double](repeating: 0, count: n)
        for i in 0..<m { for j in 0..<n { gb[j] += g[i * n + j] } }
        return (ArrayTangent(g), ArrayTangent(gb))
    })
}

func tanh(_ z: [Double]) -> [Double] { z.map { Foundation.tanh($0) } }

@derivative(of: tanh)
func tanhVJP(_ z: [Double]) -> (value: [Double], pullback: (ArrayTangent) -> ArrayTangent) {
    let y = tanh(z)
    return (y, { t in
        let g = dense(t, y.count)
        return ArrayTangent((0..<y.count).map { g[$0] * (1 - y[$0] * y[$0]) })
    })
}

func subtract(_ a: [Double], _ b: [Double]) -> [Double] { (0..<a.count).map { a[$0] - b[$0] } }

@derivative(of: subtract)
func subtractVJP(_ a: [Double], _ b: [Double])
    -> (value: [Double], pullback: (ArrayTangent) -> (ArrayTangent, ArrayTangent)) {
    (subtract(a, b), { t in
        let g = dense(t, a.count)
        return (ArrayTangent(g), ArrayTangent(g.map { -$0 }))
    })
}

func sumOfSquares(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 } }

@derivative(of: sumOfSquares)
func sumOfSquaresVJP(_ a: [Double]) -> (value: Double, pullback: (Double) -> ArrayTangent) {
    (sumOfSquares(a), { t in ArrayTangent(a.map { 2 * t * $0 }) })
}
