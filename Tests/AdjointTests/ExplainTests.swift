// grad --explain: the path taken and every kink or tie, as data and as text.
import Testing
import AdjointBasic
@testable import AdjointDriver
import AdjointTransforms

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

// MARK: - Issue 15: every non-smooth point, and check telling a kink from a bug

private func checkLines(_ source: String, _ function: String, _ arguments: [(String, String)]) throws -> [String] {
    try compile(source).check(CheckRequest(function: function, arguments: arguments.map { (name: $0.0, expression: $0.1) }))
        .map(\.description)
}

private func regressionSource(_ name: String) throws -> String {
    try String(contentsOf: packageRoot.appendingPathComponent("Tests/AdjointTests/Regressions/\(name).adj"), encoding: .utf8)
}

@Test func checkExcludesTheComponentAtEqualityDecidedTrue() throws {
    // Swift's cond2 at x = -1337: finite differences give 2, the gradient 0.
    let lines = try checkLines(try regressionSource("equal_decided_true"), "f", [("x", "-1337")])
    #expect(lines == [
        "f: dot-product test (exact): <ybar, J xdot> = 0, <J^T ybar, xdot> = 0: ok",
        "f: finite differences (double): largest relative difference 0.0 over 0 components: ok",
        "f: finite differences (double): at 6:17 comparison '==' decided on equality (convention: an isolated point: "
            + "the branch taken at equality is followed, its derivative used); excludes x: not comparable",
    ])
}

@Test func checkExcludesTheComponentAtIntOfAnInteger() throws {
    // Swift's nested_loop2 at x = 2: int(inner) meets 14 exactly.
    let lines = try checkLines(try regressionSource("int_at_an_integer"), "f", [("x", "2"), ("count", "4")])
    #expect(lines.last == "f: finite differences (double): at 6:17 int at an integer (convention: int' = 0); excludes x: not comparable")
    #expect(lines.allSatisfy { !$0.hasSuffix("FAILED") })
}

@Test func checkStillFailsAWrongGradientAwayFromKinks() throws {
    // A wrong adjoint (a test-only fault) at a smooth point: finite differences fail, nothing excuses them.
    let faulty = DifferentiationOptions.sinAdjointSign
    let compilation = try Compilation(SourceFile(path: "test.adj", text: "func f(x: Real) -> Real {\n    return sin(x) * 2\n}\n"),
                                      options: faulty)
    let lines = try compilation.check(CheckRequest(function: "f", arguments: [(name: "x", expression: "1")]))
    #expect(lines.contains { $0.check.hasPrefix("finite differences") && $0.status == .failed })
    #expect(!lines.contains { $0.status == .notComparable })
}

@Test func checkShrinksTheStepWhenThePathChangesWithoutAPoint() throws {
    // 1e-7 above x = 1: the default step crosses the threshold, a smaller one does not.
    let near = "func f(x: Real) -> Real {\n    if x < 1.0000001 {\n        return x * x\n    }\n    return 5 * x\n}\n"
    let lines = try checkLines(near, "f", [("x", "1")])
    #expect(lines[1].hasPrefix("f: finite differences (double): largest relative difference ")
            && lines[1].hasSuffix(" over 1 components: ok"))
    #expect(lines.count == 2)
    // 1e-10 above: every step crosses it, and no point is at x: not comparable, the change named.
    let closer = near.replacingOccurrences(of: "1.0000001", with: "1.0000000001")
    let excluded = try checkLines(closer, "f", [("x", "1")])
    #expect(excluded.last == "f: finite differences (double): the path changes within the step (at 2:5); excludes x: not comparable")
}

@Test func explainCountsOnlyPointsThatDependOnTheInputs() throws {
    let source = """
    func f(x: Real, c: Real) -> Real {
        var y = x
        if abs(c) <= 0 {
            y = y * 2
        }
        return y + relu(c - c) * x
    }
    """
    // With respect to x alone, c is a constant: abs(c) at 0 and c <= 0 change nothing.
    let onlyX = try compile(source).gradient(GradRequest(function: "f", arguments: [(name: "x", expression: "1"), (name: "c", expression: "0")],
                                                         wrt: ["x"], explain: true)) { _ in }
    #expect(onlyX.explanation?.kinks.map(\.operation) == [])
    let both = try compile(source).gradient(GradRequest(function: "f", arguments: [(name: "x", expression: "1"), (name: "c", expression: "0")],
                                                        explain: true)) { _ in }
    #expect(both.explanation?.kinks.map(\.operation) == ["abs at 0", "comparison '<=' decided on equality", "relu at 0"])
}

@Test func checkReportsAsJSON() throws {
    let lines = try compile(try regressionSource("int_at_an_integer"))
        .check(CheckRequest(function: "f", arguments: [(name: "x", expression: "2"), (name: "count", expression: "4")]))
    #expect(lines.last?.json == #"{"function": "f", "check": "finite differences (double)", "status": "not comparable", "#
            + #""detail": "at 6:17 int at an integer (convention: int' = 0); excludes x", "points": [{"location": "6:17", "#
            + #""operation": "int at an integer", "convention": "int' = 0"}], "excluded": ["x"]}"#)
}

@Test func compiledExplainEqualsTheInterpreters() throws {
    // The generated Swift records its own path and points; the report matches the interpreter's in Double.
    let cases: [(String, [(String, String)])] = [
        (try regressionSource("int_at_an_integer"), [("x", "2"), ("count", "4")]),
        (try regressionSource("equal_decided_true"), [("x", "-1337")]),
        (try regressionSource("not_equal_at_equality"), [("x", "0.5"), ("y", "0.5")]),
        (auction, [("b", "[1, 3, 3, 2]")]),
        (chapter, [("a", "[0.37]")]),
    ]
    for (source, arguments) in cases {
        let request = GradRequest(function: source.contains("func price") ? "price" : source.contains("func g(") ? "g" : "f",
                                  arguments: arguments.map { (name: $0.0, expression: $0.1) }, explain: true)
        let compilation = try compile(source)
        let interpreted = try #require(try compilation.gradient(request) { _ in }.explanation)
        let compiled = try #require(try compilation.gradientCompiled(request).explanation)
        #expect(compiled.sites == interpreted.sites)
        #expect(compiled.kinks == interpreted.kinks)
        #expect(!interpreted.sites.isEmpty)
    }
}
