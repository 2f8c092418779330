// The generated gradient checked in this package's own tests: against the exact gradient that the
// Adjoint library computes from the same loss.adj, and by training to the true parameters.
import Foundation
import Testing
import Adjoint
import Model

private let lossFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/Model/loss.adj")

/// A tensor as the constant expression the library takes (`[[1.5, -2.0], ...]`).
private func literal(_ t: Tensor) -> String {
    if t.shape.count == 1 { return "[" + t.scalars.map { "\($0)" }.joined(separator: ", ") + "]" }
    let columns = t.shape[1]
    return "[" + (0..<t.shape[0]).map { row in
        "[" + t.scalars[row * columns..<(row + 1) * columns].map { "\($0)" }.joined(separator: ", ") + "]"
    }.joined(separator: ", ") + "]"
}

@Test func generatedGradientEqualsTheExactOne() throws {
    var random = Normal(seed: 7)
    let data = Dataset(w: [2, -3.4], b: 4.2, count: 10, random: &random)
    let (X, y) = data.batch(Array(data.labels.indices)[...])
    let program = try Program(contentsOf: lossFile)
    // At the starting point of training, and at another point.
    for (w, b) in [(Tensor([0, 0]), 0.0), (Tensor([0.5, -1.25]), 0.75)] {
        let generated = lossGradient(X: X, y: y, w: w, b: b)
        let exact = try program.gradient("loss", arguments: ["X": literal(X), "y": literal(y), "w": literal(w), "b": "\(b)"],
                                         exact: true)
        // The Doubles are printed shortest-round-trip, so the exact arguments are the Doubles' nearest decimals.
        #expect(try Value(double: "\(generated.value)").isClose(to: exact.value))
        #expect(try Value(double: literal(generated.w)).isClose(to: exact["w"]!))
        #expect(try Value(double: "\(generated.b)").isClose(to: exact["b"]!))
        #expect(exact["X"] == nil)
    }
}

@Test func trainingFindsTheTrueParameters() {
    var random = Normal(seed: 42)
    let data = Dataset(w: [2, -3.4], b: 4.2, count: 1_000, random: &random)
    var losses: [Double] = []
    let (w, b) = train(data, epochs: 3, batchSize: 10, rate: 0.03, random: &random) { losses.append($1) }
    #expect(losses.count == 3 && losses[2] < losses[0] && losses[2] < 1e-3)
    #expect(abs(w.scalars[0] - 2) < 0.01 && abs(w.scalars[1] + 3.4) < 0.01 && abs(b - 4.2) < 0.01)
}
