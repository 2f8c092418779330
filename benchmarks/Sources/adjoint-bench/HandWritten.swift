// Hand-written gradients: the practical limit. Each takes the workload's inputs as arrays and
// returns the value and a freshly allocated gradient (the contract of the generated
// `fGradient`), computed with plain loops over unsafe buffers: the derivative worked out on paper,
// value and gradient in one pass where the algebra allows it.
import Foundation

enum Hand {
    // MARK: W1: 2·dot(x, x), gradient 4x

    static func w1(_ x: [Double]) -> (value: Double, x: [Double]) {
        var s = 0.0
        let g = [Double](unsafeUninitializedCapacity: x.count) { out, count in
            x.withUnsafeBufferPointer { p in
                for i in 0..<p.count {
                    let v = p[i]
                    s += v * v
                    out[i] = 4 * v
                }
            }
            count = x.count
        }
        return (2 * s, g)
    }

    static func w1Primal(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += v * v }
            return 2 * s
        }
    }

    // MARK: W2: the chapter's control flow, output sum(c)

    /// b = 2^t·a after t doublings and norm(2^t·a) = 2^t·norm(a) exactly (scaling by a power of
    /// two is exact), so the loop runs on the scale alone; the gradient is the constant
    /// d sum(c) / d a_i = (100 or 1)·2^t of the path taken.
    static func w2(_ a: [Double]) -> (value: Double, a: [Double]) {
        var squares = 0.0, total = 0.0
        a.withUnsafeBufferPointer { p in
            for v in p { squares += v * v; total += v }
        }
        let norm = squares.squareRoot()
        var scale = 2.0
        while scale * norm < 1000 { scale *= 2 }
        let factor = scale * total <= 0 ? 100 * scale : scale
        return (factor * total, [Double](repeating: factor, count: a.count))
    }

    // MARK: W3: Rosenbrock as a scalar loop

    /// Term i, 100·a² + b² with a = x[i+1] − x[i]², b = 1 − x[i], adds −400·a·x[i] − 2b to g[i]
    /// and 200a to g[i+1]; g[i+1] stays in a register until the next iteration finishes it.
    static func w3(_ x: [Double]) -> (value: Double, x: [Double]) {
        let n = x.count
        var s = 0.0
        let g = [Double](unsafeUninitializedCapacity: n) { out, count in
            x.withUnsafeBufferPointer { p in
                var carry = 0.0
                for i in 0..<(n - 1) {
                    let xi = p[i]
                    let a = p[i + 1] - xi * xi
                    let b = 1 - xi
                    s += 100 * a * a + b * b
                    out[i] = carry - 400 * a * xi - 2 * b
                    carry = 200 * a
                }
                if n > 0 { out[n - 1] = carry }
            }
            count = n
        }
        return (s, g)
    }

    static func w3Primal(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { p in
            var s = 0.0
            for i in 0..<(p.count - 1) {
                let a = p[i + 1] - p[i] * p[i]
                let b = 1 - p[i]
                s += 100 * a * a + b * b
            }
            return s
        }
    }

    // MARK: W4: the logistic map, gradient with respect to x0 and r

    /// Reverse mode by hand: the forward loop stores each x_k (8 bytes per iteration, the issue's
    /// tape target); the reverse loop carries x̄ ← x̄·r(1 − 2x_k) and r̄ += x̄·x_k(1 − x_k).
    static func w4(x0: Double, r: Double, n: Int) -> (value: Double, x0: Double, r: Double) {
        let xs = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { xs.deallocate() }
        var x = x0
        for k in 0..<n {
            xs[k] = x
            x = r * x * (1 - x)
        }
        var xbar = 1.0, rbar = 0.0
        var k = n - 1
        while k >= 0 {
            let xk = xs[k]
            rbar += xbar * (xk * (1 - xk))
            xbar *= r * (1 - 2 * xk)
            k -= 1
        }
        return (x, xbar, rbar)
    }

    /// Forward mode by hand (two tangents carried along, no memory): with two inputs and one
    /// output this is what one would write for speed; timed as a second hand-written reference.
    static func w4Tangent(x0: Double, r: Double, n: Int) -> (value: Double, x0: Double, r: Double) {
        var x = x0, dx0 = 1.0, dr = 0.0
        for _ in 0..<n {
            let d = r * (1 - 2 * x)
            dr = x * (1 - x) + d * dr
            dx0 = d * dx0
            x = r * x * (1 - x)
        }
        return (x, dx0, dr)
    }

    static func w4Primal(x0: Double, r: Double, n: Int) -> Double {
        var x = x0
        for _ in 0..<n { x = r * x * (1 - x) }
        return x
    }

    // MARK: W5: piecewise, a branch per element

    static func w5(_ x: [Double]) -> (value: Double, x: [Double]) {
        var s = 0.0
        let g = [Double](unsafeUninitializedCapacity: x.count) { out, count in
            x.withUnsafeBufferPointer { p in
                for i in 0..<p.count {
                    let xi = p[i]
                    if xi > 0 {
                        s += xi * xi
                        out[i] = 2 * xi
                    } else {
                        s -= Foundation.sin(xi)
                        out[i] = -Foundation.cos(xi)
                    }
                }
            }
            count = x.count
        }
        return (s, g)
    }

    static func w5Primal(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { p in
            var s = 0.0
            for xi in p {
                if xi > 0 { s += xi * xi } else { s -= Foundation.sin(xi) }
            }
            return s
        }
    }

    // MARK: W6: the MLP, gradient with respect to W1, b1, W2, b2

    typealias Gemm = (Int, Int, Int, UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void

    /// Z = X·W1 + b1, H = tanh Z, O = H·W2 + b2 − Y, loss = ΣO²/64; then Ō = 2O/64,
    /// W̄2 = Hᵀ·Ō, b̄2 = Σ_rows Ō, H̄ = Ō·W2ᵀ, Z̄ = H̄ ⊙ (1 − H²), W̄1 = Xᵀ·Z̄, b̄1 = Σ_rows Z̄.
    @inline(__always)
    static func w6(_ v: MLPInputs, gemm: Gemm)
        -> (value: Double, W1: [Double], b1: [Double], W2: [Double], b2: [Double]) {
        let m = Inputs.batch, d = Inputs.inputs, h = Inputs.hidden, o = Inputs.outputs
        let H = UnsafeMutablePointer<Double>.allocate(capacity: m * h)
        let O = UnsafeMutablePointer<Double>.allocate(capacity: m * o)
        let Ht = UnsafeMutablePointer<Double>.allocate(capacity: h * m)
        let W2t = UnsafeMutablePointer<Double>.allocate(capacity: o * h)
        let Xt = UnsafeMutablePointer<Double>.allocate(capacity: d * m)
        let Hbar = UnsafeMutablePointer<Double>.allocate(capacity: m * h)
        defer { [H, O, Ht, W2t, Xt, Hbar].forEach { $0.deallocate() } }
        var loss = 0.0
        var gW1 = [Double](repeating: 0, count: d * h), gb1 = [Double](repeating: 0, count: h)
        var gW2 = [Double](repeating: 0, count: h * o), gb2 = [Double](repeating: 0, count: o)
        v.X.withUnsafeBufferPointer { X in
        v.W1.withUnsafeBufferPointer { W1 in
        v.b1.withUnsafeBufferPointer { b1 in
        v.W2.withUnsafeBufferPointer { W2 in
        v.b2.withUnsafeBufferPointer { b2 in
        v.Y.withUnsafeBufferPointer { Y in
            gemm(m, h, d, X.baseAddress!, W1.baseAddress!, H)
            for i in 0..<m {
                for j in 0..<h { H[i * h + j] = Foundation.tanh(H[i * h + j] + b1[j]) }
            }
            gemm(m, o, h, H, W2.baseAddress!, O)
            for i in 0..<m {
                for j in 0..<o {
                    let e = O[i * o + j] + b2[j] - Y[i * o + j]
                    loss += e * e
                    O[i * o + j] = e * (2.0 / 64)          // Ō
                }
            }
            gW2.withUnsafeMutableBufferPointer { gW2 in
                transpose(m, h, H, Ht)
                gemm(h, o, m, Ht, O, gW2.baseAddress!)
            }
            for i in 0..<m { for j in 0..<o { gb2[j] += O[i * o + j] } }
            transpose(h, o, W2.baseAddress!, W2t)
            gemm(m, h, o, O, W2t, Hbar)
            for i in 0..<(m * h) { Hbar[i] *= 1 - H[i] * H[i] }          // Z̄
            gb1.withUnsafeMutableBufferPointer { gb1 in
                for i in 0..<m { for j in 0..<h { gb1[j] += Hbar[i * h + j] } }
            }
            gW1.withUnsafeMutableBufferPointer { gW1 in
                transpose(m, d, X.baseAddress!, Xt)
                gemm(d, h, m, Xt, Hbar, gW1.baseAddress!)
            }
        }}}}}}
        return (loss / 64, gW1, gb1, gW2, gb2)
    }

    static func w6Blocked(_ v: MLPInputs) -> (value: Double, W1: [Double], b1: [Double], W2: [Double], b2: [Double]) {
        w6(v, gemm: blockedGemm)
    }

    static func w6Naive(_ v: MLPInputs) -> (value: Double, W1: [Double], b1: [Double], W2: [Double], b2: [Double]) {
        w6(v, gemm: naiveGemm)
    }

    // MARK: W7: Hessian-vector product of W3's Rosenbrock

    /// The Hessian is tridiagonal; term i contributes, on (x[i], x[i+1]),
    /// [[1200x[i]² − 400x[i+1] + 2, −400x[i]], [−400x[i], 200]]. The value is ⟨∇f(x), v⟩ (what
    /// the generated `w7_gradient_dotGradient` returns with H·v), both in one pass.
    static func w7(_ x: [Double], _ v: [Double]) -> (value: Double, x: [Double]) {
        let n = x.count
        var dotGV = 0.0
        let hv = [Double](unsafeUninitializedCapacity: n) { out, count in
            x.withUnsafeBufferPointer { p in
            v.withUnsafeBufferPointer { q in
                var carryG = 0.0, carryH = 0.0
                for i in 0..<(n - 1) {
                    let xi = p[i], xj = p[i + 1], vi = q[i], vj = q[i + 1]
                    let a = xj - xi * xi
                    let gi = carryG - 400 * a * xi - 2 * (1 - xi)
                    dotGV += gi * vi
                    carryG = 200 * a
                    let hii = 1200 * xi * xi - 400 * xj + 2
                    let hij = -400 * xi
                    out[i] = carryH + hii * vi + hij * vj
                    carryH = hij * vi + 200 * vj
                }
                if n > 0 {
                    dotGV += carryG * q[n - 1]
                    out[n - 1] = carryH
                }
            }}
            count = n
        }
        return (dotGV, hv)
    }
}
