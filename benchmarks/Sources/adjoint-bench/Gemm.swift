// Matrix products for the hand-written W6 gradients (row-major, contiguous): C = A·B with A m×k,
// B k×n, C m×n. Both sum each element from zero in increasing order of the inner index, as the
// Adjoint runtime's `dot` does, so all W6 gradients agree to rounding of the same operations.

/// The textbook i-k-j loop (the order the Adjoint runtime's `dot` uses): the inner loop runs along
/// a row of B and a row of C, so it vectorizes, but every C row is loaded and stored k times.
func naiveGemm(_ m: Int, _ n: Int, _ k: Int,
               _ A: UnsafePointer<Double>, _ B: UnsafePointer<Double>, _ C: UnsafeMutablePointer<Double>) {
    C.update(repeating: 0, count: m * n)
    for i in 0..<m {
        let c = C + i * n
        for p in 0..<k {
            let a = A[i * k + p]
            let b = B + p * n
            for j in 0..<n { c[j] += a * b[j] }
        }
    }
}

@inline(__always)
private func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always)
private func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

/// A cache-blocked product: B is cut into blocks of `kc` rows × `nc` columns (128×64 doubles,
/// 64 KiB, in L2 and mostly L1), and each block is swept by a 4×4 register tile of C (four SIMD4
/// accumulators) that reads 4 elements of A and one SIMD4 of B per step of the inner index, so C
/// is loaded and stored once per block instead of once per step.
func blockedGemm(_ m: Int, _ n: Int, _ k: Int,
                 _ A: UnsafePointer<Double>, _ B: UnsafePointer<Double>, _ C: UnsafeMutablePointer<Double>) {
    C.update(repeating: 0, count: m * n)
    let kc = 128, nc = 64
    for j0 in stride(from: 0, to: n, by: nc) {
        let jn = min(nc, n - j0)
        let j4 = jn & ~3
        for p0 in stride(from: 0, to: k, by: kc) {
            let pk = min(kc, k - p0)
            var i = 0
            while i + 4 <= m {
                var j = 0
                while j < j4 {
                    let c = C + i * n + j0 + j
                    var c0 = load4(c), c1 = load4(c + n), c2 = load4(c + 2 * n), c3 = load4(c + 3 * n)
                    var a = A + i * k + p0
                    var b = B + p0 * n + j0 + j
                    for _ in 0..<pk {
                        let bv = load4(b)
                        c0 += a[0] * bv
                        c1 += a[k] * bv
                        c2 += a[2 * k] * bv
                        c3 += a[3 * k] * bv
                        a += 1
                        b += n
                    }
                    store4(c0, c); store4(c1, c + n); store4(c2, c + 2 * n); store4(c3, c + 3 * n)
                    j += 4
                }
                // Columns left over from the 4-wide tiles (n = 10 has two).
                for jj in j4..<jn {
                    for r in 0..<4 {
                        var s = C[(i + r) * n + j0 + jj]
                        for p in p0..<(p0 + pk) { s += A[(i + r) * k + p] * B[p * n + j0 + jj] }
                        C[(i + r) * n + j0 + jj] = s
                    }
                }
                i += 4
            }
            // Rows left over from the 4-high tiles.
            while i < m {
                for jj in 0..<jn {
                    var s = C[i * n + j0 + jj]
                    for p in p0..<(p0 + pk) { s += A[i * k + p] * B[p * n + j0 + jj] }
                    C[i * n + j0 + jj] = s
                }
                i += 1
            }
        }
    }
}

/// Bᵀ of an m×n matrix into an n×m buffer.
func transpose(_ m: Int, _ n: Int, _ A: UnsafePointer<Double>, _ T: UnsafeMutablePointer<Double>) {
    for i in 0..<m {
        for j in 0..<n { T[j * m + i] = A[i * n + j] }
    }
}
