// Training by minibatch stochastic gradient descent, with the gradient `lossGradient` that the build
// plugin generated from loss.adj.
import Foundation

/// A seeded generator (SplitMix64 and Box–Muller), so a run is the same on every machine.
public struct Normal {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
    }

    public mutating func next() -> Double {
        let u = max(uniform(), 0x1p-53), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// D2L's synthetic data: X ~ N(0, 1) with 2 features, y = X w + b + N(0, 0.01²).
public struct Dataset {
    public let features: [[Double]]
    public let labels: [Double]

    public init(w: [Double], b: Double, count: Int, random: inout Normal) {
        features = (0..<count).map { _ in w.map { _ in random.next() } }
        labels = features.map { x in zip(x, w).reduce(b) { $0 + $1.0 * $1.1 } + 0.01 * random.next() }
    }

    /// The rows at `indices` as the tensors loss.adj takes.
    public func batch(_ indices: ArraySlice<Int>) -> (X: Tensor, y: Tensor) {
        let rows = indices.map { features[$0] }
        return (Tensor(shape: [rows.count, rows[0].count], scalars: rows.flatMap { $0 }), Tensor(indices.map { labels[$0] }))
    }
}

/// Trains w and b from zero: `epochs` passes over shuffled minibatches of `batchSize`, each step
/// `w -= rate * ∂loss/∂w`, `b -= rate * ∂loss/∂b`. Reports the loss over all the data after each epoch.
public func train(_ data: Dataset, epochs: Int, batchSize: Int, rate: Double, random: inout Normal,
                  report: (Int, Double) -> Void) -> (w: Tensor, b: Double) {
    var w = Tensor([0, 0]), b = 0.0
    var order = Array(data.labels.indices)
    let all = data.batch(order[...])
    for epoch in 1...epochs {
        for i in order.indices.reversed() where i > 0 {
            order.swapAt(i, Int(random.uniform() * Double(i + 1)))
        }
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let (X, y) = data.batch(order[start..<min(start + batchSize, order.count)])
            let g = lossGradient(X: X, y: y, w: w, b: b)
            w = Tensor(zip(w.scalars, g.w.scalars).map { $0 - rate * $1 })
            b -= rate * g.b
        }
        report(epoch, loss(X: all.X, y: all.y, w: w, b: b))
    }
    return (w, b)
}
