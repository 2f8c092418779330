// Tape memory: what a generated forward sweep records, read from the call's tapes.
//
// The generated gradient `fGradient` makes the call's tapes (the file's `…Tapes` class), runs the
// forward sweep `fForward…` (which pushes onto them) and then the reverse sweep `fReverse…` (which
// pops them all); where nothing needs a tape, it calls one fused function `fValueAndGradient…`. Here the two sweeps are called separately on tapes made here: after the forward
// sweep every tape's `count` and bytes (count × the element's stride) are read, then the reverse
// sweep empties them again. The names of the sweeps are the generated ones (see Generated/);
// regenerating with a compiler that names them differently needs this file updated.

struct TapeReport {
    let id: String
    let unit: String
    let units: Int
    /// The tapes that hold something after the forward sweep.
    let tapes: [TapeStatistics]
    /// Scalar storage of distinct tensors the tapes keep alive, the inputs' left out.
    let tensorStorageBytes: Int
    let target: String
    let targetBytesPerUnit: Double
    /// Bytes the target allows once per call on top (W4's trip count: 8 B per call, not per iteration).
    var targetBytesPerCall = 0

    var entryBytes: Int { tapes.reduce(0) { $0 + $1.bytes } }
    var bytes: Int { entryBytes + tensorStorageBytes }
    var bytesPerUnit: Double { Double(bytes) / Double(units) }
    var met: Bool { Double(bytes) <= targetBytesPerUnit * Double(units) + Double(targetBytesPerCall) }

    /// Entries per unit of each element type, over all its tapes: "Double 4.00, Int 0.00".
    var breakdown: String {
        var totals: [(type: String, count: Int)] = []
        for t in tapes {
            if let i = totals.firstIndex(where: { $0.type == t.elementType }) { totals[i].count += t.count }
            else { totals.append((t.elementType, t.count)) }
        }
        return totals.map { String(format: "%@ %.2f", $0.type, Double($0.count) / Double(units)) }
            .joined(separator: ", ")
    }
}

enum TapeMemory {
    static func measure<T: TapeSet>(id: String, unit: String, units: Int, target: String, targetBytesPerUnit: Double,
                                    inputs: [Tensor] = [], tapes: T, forward: (T) -> Void, reverse: (T) -> Void) -> TapeReport {
        tapes.isTraining = true
        forward(tapes)
        tapes.isTraining = false
        let recorded = tapes.statistics.filter { $0.count > 0 }
        let storage = tensorStorageBytes(tapes.tensorBuffers, excluding: inputs)
        reverse(tapes)
        precondition(tapes.statistics.allSatisfy { $0.count == 0 }, "\(id)'s reverse sweep left values on a tape")
        return TapeReport(id: id, unit: unit, units: units, tapes: recorded, tensorStorageBytes: storage, target: target,
                          targetBytesPerUnit: targetBytesPerUnit)
    }

    /// A gradient whose generated code has no tapes (its sweeps fused): nothing is recorded.
    static func untaped(id: String, unit: String, units: Int, target: String, targetBytesPerUnit: Double,
                        gradient: () -> Void) -> TapeReport {
        gradient()
        return TapeReport(id: id, unit: unit, units: units, tapes: [], tensorStorageBytes: 0, target: target,
                          targetBytesPerUnit: targetBytesPerUnit)
    }

    static func all() -> [TapeReport] {
        let w3x = Tensor(shape: [Inputs.w3n], scalars: Inputs.w3x)
        let w5x = Tensor(shape: [Inputs.w5n], scalars: Inputs.w5x)
        let w7v = Tensor(shape: [Inputs.w3n], scalars: Inputs.w7v)
        // One Double per iteration, and the trip count once per call.
        var w4 = measure(id: "W4", unit: "iteration", units: Inputs.w4n, target: "8 B (+ 8 B per call)",
                         targetBytesPerUnit: 8, tapes: W4_logisticTapes(),
                         forward: { sink(w4_logisticForward0_1(x0: Inputs.w4x0, r: Inputs.w4r, n: Inputs.w4n, tapes: $0)) },
                         reverse: { sink(w4_logisticReverse0_1(head0: 1, x0: Inputs.w4x0, r: Inputs.w4r, n: Inputs.w4n, tapes: $0).0) })
        w4.targetBytesPerCall = 8
        return [
            w4,
            // The target: one bit for the branch plus at most one Double. The reverse loop runs inside the
            // forward loop (LoopFusion), so each branch decision is read where it is made and nothing is recorded.
            untaped(id: "W5", unit: "branch decision", units: Inputs.w5n, target: "8.125 B (1 bit + 1 Double)",
                    targetBytesPerUnit: 8.125, gradient: { sink(w5_piecewiseValueAndGradient0(x: w5x, head0: 1).0) }),
            // The target: the trip count alone. The trip count is all the reverse sweep needs, so the
            // sweeps are fused into one function that keeps it in a local and takes no tapes at all (it would
            // not compile called without them otherwise).
            untaped(id: "W3", unit: "iteration", units: Inputs.w3n - 1, target: "trip count only (hand-written: 0 B)",
                    targetBytesPerUnit: 0.01, gradient: { sink(w3_rosenbrockValueAndGradient0(x: w3x, head0: 1).0) }),
            // The Hessian-vector product: the first-order gradient is differentiated forward over reverse (its
            // tangent along the head's adjoint), so the sweeps fuse into one function with no tape at all.
            untaped(id: "W7", unit: "iteration", units: Inputs.w3n - 1, target: "O(1) per iteration (hand-written: 0 B)",
                    targetBytesPerUnit: 1024, gradient: { sink(w7_gradient_dotValueAndGradient0(x: w3x, v: w7v, head0: 1).0) }),
        ]
    }
}
