// grad --explain: the path taken and every kink or tie, as data and as text.
import Testing
import AdjointBasic
@testable import AdjointDriver

private func explain(_ source: String, _ function: String, _ arguments: [(String, String)],
                     engine: Engine = .exact) throws -> (GradResult, ExplainReport) {
    let result = try compile(source).gradient(
        GradRequest(function: function, arguments: arguments.map { (name: $0.0, expression: $0.1) }, engine: engine,
                    explain: true)) { _ in }
    return (result, try #require(result.explanation))
}

private let chapter = chapterControlFlowSource

@Test func chapterControlFlowPath() throws {
    let (_, positive) = try explain(chapter, "g", [("a", "[0.37]")])
    // 0.74 doubles 11 times before its norm reaches 1000; the if is not taken for a positive a.
    #expect(positive.sites == [
        .init(location: SourceLocation(line: 3, column: 5), kind: "while", taken: 11, notTaken: 1, tripCounts: [11]),
        .init(location: SourceLocation(line: 7, column: 5), kind: "if", taken: 0, notTaken: 1, tripCounts: []),
    ])
    #expect(positive.kinks.isEmpty)
    #expect(positive.verdict == "the gradient is exact and two-sided")
    let (_, negative) = try explain(chapter, "g", [("a", "[-0.37]")], engine: .double)
    #expect(negative.sites[1].taken == 1)
    let text = negative.rendered(function: "g", engine: "double")
    #expect(text.contains("3:5  while: 11 iterations"))
    #expect(text.contains("7:5  if: taken 1 time, not taken 0 times"))
}

@Test func loopsInsideLoopsReportMinMedianMax() throws {
    let source = """
    func f(x: Real) -> Real {
        var s = 0.0
        for i in 0..<4 {
            for j in 0..<i {
                s += x
            }
        }
        return s
    }
    """
    let (_, report) = try explain(source, "f", [("x", "1")])
    let inner = try #require(report.sites.first { $0.location == SourceLocation(line: 4, column: 9) })
    #expect(inner.tripCounts == [0, 1, 2, 3])
    #expect(report.rendered(function: "f", engine: "exact").contains("4 runs, iterations min 0 / median 2 / max 3"))
}

private let auction = """
// The second-price auction: the winner pays the second-highest bid.
func price(b: Tensor) -> Real {
    var first = max(b[0], b[1])
    var second = min(b[0], b[1])
    for i in 2..<size(b) {
        if b[i] > first {
            second = first
            first = b[i]
        } else if b[i] > second {
            second = b[i]
        }
    }
    return second
}
"""

@Test func auctionTieIsReportedExactly() throws {
    // The two highest bids tie at 5: `b[i] > first` is decided on equality at 6:17.
    let (result, report) = try explain(auction, "price", [("b", "[3, 5, 5, 1]")])
    #expect(result.gradients[0].json == "[\"0\", \"0\", \"1\", \"0\"]")
    #expect(report.kinks == [.init(location: SourceLocation(line: 6, column: 17),
                                   operation: "comparison '>' decided on equality",
                                   convention: "the branch taken at equality is followed (one-sided)", count: 1)])
    #expect(report.verdict == "the gradient is one-sided at 1 point (listed above)")
    // Distinct bids: no tie, one-hot on the second-highest bidder, two-sided.
    let (distinct, clean) = try explain(auction, "price", [("b", "[3, 7, 5, 1]")])
    #expect(distinct.gradients[0].json == "[\"0\", \"0\", \"1\", \"0\"]")
    #expect(clean.kinks.isEmpty)
}

@Test func absKinkOnlyAtZeroExactly() throws {
    let source = "func f(x: Real) -> Real {\n    return abs(x) * 3\n}\n"
    let (atZero, zero) = try explain(source, "f", [("x", "0")])
    #expect(atZero.gradients[0].json == "\"0\"")
    #expect(zero.kinks == [.init(location: SourceLocation(line: 2, column: 12), operation: "abs at 0",
                                 convention: "abs'(0) = 0", count: 1)])
    // 1e-300 is exactly 10^-300 in exact mode: not the kink.
    let (tiny, nonzero) = try explain(source, "f", [("x", "1e-300")])
    #expect(tiny.gradients[0].json == "\"3\"")
    #expect(nonzero.kinks.isEmpty)
    #expect(nonzero.verdict == "the gradient is exact and two-sided")
}

@Test func ties() throws {
    let source = "func f(x: Tensor, y: Tensor) -> Real {\n    return max(x) + sum(maximum(x, y)) + relu(x[0])\n}\n"
    let (_, report) = try explain(source, "f", [("x", "[0, 2, 2]"), ("y", "[1, 2, 0]")])
    #expect(report.kinks.map(\.operation) == ["max tie (2 elements attain it)", "maximum tie", "relu at 0"])
    #expect(report.oneSidedPoints == 3)
}

@Test func explainAddsToJSON() throws {
    let (result, _) = try explain(chapter, "g", [("a", "[0.37]")])
    #expect(result.json.hasSuffix("\"one_sided_points\": 0, \"verdict\": \"the gradient is exact and two-sided\"}}"))
    #expect(result.json.contains("\"explain\": {\"sites\": [{\"location\": \"3:5\", \"kind\": \"while\""))
}

@Test func withoutExplainNothingIsRecorded() throws {
    let result = try compile(chapter).gradient(GradRequest(function: "g", arguments: [("a", "[0.37]")])) { _ in }
    #expect(result.explanation == nil)
    #expect(!result.json.contains("explain"))
}
