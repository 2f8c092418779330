// Regression tests for the bugs stress testing found (issue 18), each with its exact output or message.
// The programs are in Regressions/, which also seeds the fuzzer (Scripts/fuzz.sh).
import Foundation
import Testing
import AdjointBasic
@testable import AdjointDriver
import AdjointIR
import AdjointTransforms

private func regression(_ name: String) throws -> (path: String, source: String) {
    let url = packageRoot.appendingPathComponent("Tests/AdjointTests/Regressions/\(name).adj")
    return (url.path, try String(contentsOf: url, encoding: .utf8))
}

private func gradient(_ source: String, _ function: String, _ arguments: [(String, String)], engine: Engine = .double,
                      explain: Bool = false) throws -> GradResult {
    try compile(source).gradient(GradRequest(function: function, arguments: arguments.map { (name: $0.0, expression: $0.1) },
                                             engine: engine, explain: explain)) { _ in }
}

// MARK: - 1. An Int `let` used twice where a Real is expected

@Test func intLetUsedTwiceAsAReal() throws {
    let (path, source) = try regression("int_let_used_twice")
    #expect(try evaluate(source, "f", [("x", "2")]).printed == "45.0")
    #expect(try evaluate(source, "f", [("x", "2")], engine: .exact).printed == "45")
    #expect(try gradient(source, "f", [("x", "2")], engine: .exact).json == #"{"value": "45", "gradient": {"x": "15"}}"#)
    let run = try runAdjoint(["run", path, "--exact"])
    #expect(run.status == 0 && run.output == "90\n")
    // The named Int keeps its type for its other uses.
    let mixed = "func f(x: Real) -> Real {\n    let n = 3\n    var s = x * n\n    for i in 0..<n { s += n }\n    return s + sum(zeros(n))\n}\n"
    #expect(try evaluate(mixed, "f", [("x", "2")], engine: .exact).printed == "15")
}

// MARK: - 2. Literals alone in generated Swift

@Test func comparisonOfLiteralsBuildsAsSwift() throws {
    let (_, source) = try regression("literal_comparison")
    let compiled = try compile(source).gradientCompiled(GradRequest(function: "f", arguments: [(name: "x", expression: "2")])).json
    #expect(compiled == #"{"value": 5.0, "gradient": {"x": 2.0}}"#)
    let swift = try compile(source).swiftSource(includeRuntime: false, entryPoint: false)
    #expect(swift.contains("(0.75 as Double) < 1.0"))
    #expect(swift.contains("(3 as Int) == 3"))
}

// MARK: - 3. `!=` and `==` decided on equality

@Test func notEqualAndEqualAtEqualityAreReported() throws {
    let (_, notEqual) = try regression("not_equal_at_equality")
    for engine in [Engine.double, .exact] {
        let report = try #require(try gradient(notEqual, "f", [("x", "2"), ("y", "2")], engine: engine, explain: true).explanation)
        #expect(report.kinks.map(\.operation) == ["comparison '!=' decided on equality"])
        #expect(report.kinks.first?.location == SourceLocation(line: 3, column: 12))
    }
    let (_, equal) = try regression("equal_decided_true")
    let report = try #require(try gradient(equal, "f", [("x", "-1337")], explain: true).explanation)
    let text = report.rendered(function: "f", engine: "double")
    #expect(text.contains("6:17  comparison '==' decided on equality: an isolated point"))
    #expect(report.verdict == "the gradient is one-sided at 1 point (listed above)")
    // Away from equality nothing is reported.
    #expect(try gradient(notEqual, "f", [("x", "2"), ("y", "3")], explain: true).explanation?.kinks == [])
}

@Test func intAtAnIntegerIsReported() throws {
    let (_, source) = try regression("int_at_an_integer")
    let report = try #require(try gradient(source, "f", [("x", "2"), ("count", "4")], explain: true).explanation)
    #expect(report.kinks == [.init(location: SourceLocation(line: 6, column: 17), operation: "int at an integer",
                                   convention: "int' = 0", count: 1)])
}

// MARK: - 4. Call chains: a located error, never a stack overflow

private func chain(_ length: Int) -> String {
    var lines = ["func f0(x: Real) -> Real { return x * x }"]
    for i in 1..<length { lines.append("func f\(i)(x: Real) -> Real { return f\(i - 1)(x) + 1 }") }
    lines.append("func main() { print(grad(f\(length - 1))(1.5)) }")
    return lines.joined(separator: "\n") + "\n"
}

@Test func callChainsTooDeepAreALocatedError() throws {
    let message = try #require(diagnostics(of: chain(2_400)))
    #expect(message.hasPrefix("test.adj:501:37: error: calls nested too deeply: 'f499' already starts a chain of 500 nested calls, the most a program may have\n"))
}

@Test func callChainsWithinTheLimitRunInEveryEngine() throws {
    // main -> f497 -> ... -> f0: 499 nested calls, just within the limit, through the real executable
    // (the main thread's stack, as a user gets it).
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-chain-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("chain.adj")
    try chain(498).write(to: file, atomically: true, encoding: .utf8)
    let exact = try runAdjoint(["run", file.path, "--exact"])
    #expect(exact.status == 0 && exact.output == "3\n", "\(exact.output)")
    let grad = try runAdjoint(["grad", file.path, "-f", "f497", "--arg", "x=1", "--exact", "--json"])
    #expect(grad.status == 0 && grad.output == #"{"value": "498", "gradient": {"x": "2"}}"# + "\n", "\(grad.output)")
    let check = try runAdjoint(["check", file.path, "-f", "f497", "--arg", "x=1"])
    #expect(check.status == 0, "\(check.output)")
}

// MARK: - 5. Exact mode's size limit

@Test func exactModeStopsAtTheSizeLimit() throws {
    let (path, source) = try regression("exact_growth")
    do {
        _ = try evaluate(source, "f", [("a", "1")], engine: .exact)
        Issue.record("expected the size limit")
    } catch let error as DriverError {
        #expect(error.description == """
            test.adj:5:15: runtime error: exact mode: x * y makes a number of 1459799 bits, past the limit of 1000000 bits (raise it with --max-bits)
                    x = x * x + 0.1
                          ^

            """)
        #expect(error.exitStatus == 1)
    }
    let small = try runAdjoint(["eval", path, "-f", "f", "--arg", "a=1", "--exact", "--max-bits", "100"])
    #expect(small.status == 1)
    #expect(small.output.contains("exact_growth.adj:5:15: runtime error: exact mode: x * y makes a number of 179 bits, past the limit of 100 bits"))
    // Under the limit the value is exact; a power is refused before it is built.
    #expect(try withExactLimit(bits: 1_000) { try evaluate("func f(x: Real) -> Real { return x ^ 600 }", "f", [("x", "2")], engine: .exact) }.printed.count == 181)
    let power = try runAdjoint(["eval", path, "-f", "f", "--arg", "a=1", "--exact", "--max-bits", "0"])
    #expect(power.status == 2 && power.output.contains("--max-bits must be positive"))
}

@Test func aPowerPastTheLimitIsRefusedBeforeItIsBuilt() throws {
    do {
        _ = try evaluate("func f(x: Real) -> Real { return x ^ 1000000000 }", "f", [("x", "3")], engine: .exact)
        Issue.record("expected the size limit")
    } catch let error as DriverError {
        #expect(error.description.contains("x ^ y makes a number of at least 1000000001 bits, past the limit of 1000000 bits"))
    }
}

// MARK: - 6. No child outlives `adjoint run`

/// The pids whose parent is `pid` (from /proc).
private func children(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { candidate in
        guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == pid
    }
}

private func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
}

@Test(arguments: [SIGTERM, SIGINT])
func runForwardsSignalsToItsChild(_ signal: Int32) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-signal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("spin.adj")
    try "func main() {\n    var x = 0.0\n    while x >= 0.0 {\n        x = x + 1.0\n    }\n    print(x)\n}\n"
        .write(to: file, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = try adjointExecutable()
    process.arguments = ["run", file.path]
    process.environment = ProcessInfo.processInfo.environment.merging(["ADJOINT_CACHE": directory.path]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // swiftc builds the program first; the compiled program is the child that must not be left behind.
    var program: Int32? = nil
    let deadline = Date().addingTimeInterval(240)
    while program == nil && Date() < deadline && process.isRunning {
        program = children(of: process.processIdentifier).first { pid in
            ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("program-")
        }
        if program == nil { Thread.sleep(forTimeInterval: 0.2) }
    }
    let child = try #require(program, "the compiled program never started")
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
    let gone = Date().addingTimeInterval(10)
    while isRunning(child) && Date() < gone { Thread.sleep(forTimeInterval: 0.1) }
    #expect(!isRunning(child), "the compiled program outlived adjoint run")
    if isRunning(child) { kill(child, SIGKILL) }
}

// MARK: - 7. Ranges at the edge of Int

@Test func rangesEndingAtIntMaxStop() throws {
    let (path, source) = try regression("int_max_range")
    let printedExactly = ["9223372036854775806", "9223372036854775807", "2", "24", "16", "32"]
    var lines: [String] = []
    _ = try compile(source).evaluate(EvalRequest(function: "main", arguments: [], engine: .exact)) { lines.append($0) }
    #expect(lines == printedExactly)
    lines = []
    _ = try compile(source).evaluate(EvalRequest(function: "main", arguments: [])) { lines.append($0) }
    #expect(lines == ["9223372036854775806", "9223372036854775807", "2", "24", "16.0", "32.0"])
    let compiled = try runAdjoint(["run", path])
    #expect(compiled.status == 0)
    #expect(compiled.output == "9223372036854775806\n9223372036854775807\n2\n24\n16.0\n32.0\n")
    // The loop's own test is what --explain counts: 3 iterations, not the exit test at Int.max besides.
    let report = try #require(try gradient(source, "f", [("x", "2"), ("n", "9223372036854775807")], explain: true).explanation)
    #expect(report.sites == [.init(location: SourceLocation(line: 4, column: 5), kind: "for", taken: 3, notTaken: 0,
                                   tripCounts: [3])])
}

// MARK: - 8. Reproducing one random program

@Test func oneRandomProgramCanBeRerunByIndex() {
    #expect(RandomRun.indices(1, first: 731) == [731])
    #expect(RandomRun.indices(3, first: 5) == [5, 6, 7])
    // The program a run of N gives at index i is the one a run of 1 starting at i gives.
    let inRun = RandomPrograms.program(seed: 31337, index: 731).program.source
    let alone = RandomRun.indices(1, first: 731).map { RandomPrograms.program(seed: 31337, index: $0).program.source }
    #expect(alone == [inRun])
}

// MARK: - Internal failures are internal errors (issue 14)

@Test func aMissingFunctionInDifferentiationIsAnInternalError() throws {
    // The transform asked to differentiate a function the module lacks: a compiler bug, not the user's.
    let module = try IRParser.parse("""
        func @f(x: Real) -> (Real, Real) !1:1 {
        bb0(%0: Real):
          %1 = const 1 : Real !1:1
          %2 = grad @missing [0] %0, %1 : (Real, Real) !2:3
          ret %2 !2:3
        }
        """)
    #expect {
        try Differentiate.run(on: module)
    } throws: { error in
        (error as? DifferentiationError)?.isInternal == true
    }
}

// MARK: - Found by the 5,000-program run

@Test func outerProductGradientThroughAnUntakenBranch() throws {
    let (_, source) = try regression("outer_product_untaken_branch")
    let args = [("x", "1"), ("y", "1"), ("t", "[1, 2, 3]")]
    #expect(try gradient(source, "f", args, engine: .exact).json
            == #"{"value": "1", "gradient": {"x": "0", "y": "0", "t": ["0", "0", "0"]}}"#)
    // Taken: every row of m2 is t, so dot(m2, t) repeats t·t = 14 and its mean is 14; the gradient is 2t.
    #expect(try gradient(source, "f", [("x", "6"), ("y", "1"), ("t", "[1, 2, 3]")], engine: .exact).json
            == #"{"value": "14", "gradient": {"x": "0", "y": "0", "t": ["2", "4", "6"]}}"#)
    let compiled = try compile(source).gradientCompiled(GradRequest(function: "f", arguments: args.map { (name: $0.0, expression: $0.1) }))
    #expect(compiled.json == #"{"value": 1.0, "gradient": {"x": 0.0, "y": 0.0, "t": [0.0, 0.0, 0.0]}}"#)
}

@Test func anUnusedReadOutOfRangeIsStillAnError() throws {
    // Dead-code removal used to drop `let y = v[5]` when y was never read, and with it the error.
    let source = "func main() {\n    let v = zeros(3)\n    let y = v[5]\n    let row = [[1, 2]][1, :]\n    print(\"after\")\n}\n"
    for engine in [Engine.double, .exact] {
        #expect { _ = try evaluate(source, "main", engine: engine) } throws: { error in
            "\(error)".contains("test.adj:3:14: runtime error: index 5 is out of range for axis 0 of size 3")
        }
    }
    // The same read in a function whose value is used elsewhere compiles and runs as before.
    #expect(try evaluate("func f(v: Tensor) -> Real {\n    let y = v[0]\n    return sum(v)\n}\n", "f", [("v", "[1, 2]")]).printed == "3.0")
}
