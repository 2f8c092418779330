// The `Adjoint` library (spec §11) as a package's tests use it.
import Foundation
import Testing
import Adjoint

private let dot = packageRoot.appendingPathComponent("examples/chapter_dot.adj")

@Test func theSpecExampleHolds() throws {
    let program = try Program(contentsOf: dot)
    let g = try program.gradient("f", arguments: ["x": "[1, 2, 3]"], exact: true)
    #expect(g.value == (try Value(exactly: "28")))
    #expect(g["x"] == (try Value(exactly: "[4, 8, 12]")))
    #expect(g["y"] == nil)
    #expect(try program.check("f", arguments: ["x": "[1, 2, 3]"]).passed)
}

@Test func valuesCompareExactlyPrintAsJSONAndConvert() throws {
    let exact = try Value(exactly: "[0, 4, 4/5]")
    #expect(exact.description == #"["0", "4", "4/5"]"#)
    #expect(exact.doubles == [0, 4, 0.8])
    #expect(exact.shape == [3])
    #expect(exact != (try Value(exactly: "[0, 4, 0.8000001]")))
    let double = try Value(double: "[0, 4, 4/5]")
    #expect(double.description == "[0.0, 4.0, 0.8]")
    #expect(double.isClose(to: exact) && !double.isExact && exact.isExact)
    #expect(!(try Value(double: "[0, 4, 0.81]")).isClose(to: exact, relativeTolerance: 1e-6))
    // An Int and a Real with the same number are equal; a Bool is not a number.
    #expect((try Value(exactly: "3")) == (try Value(exactly: "3.0")))
    #expect((try Value(exactly: "true")) != (try Value(exactly: "1")))
    let program = try Program(source: "func f(x: Real) -> Real {\n    return x / 3\n}\n")
    #expect(try program.evaluate("f", arguments: ["x": "1"], exact: true) == (try Value(exactly: "1/3")))
    #expect(try program.evaluate("f", arguments: ["x": "1"]).isClose(to: try Value(exactly: "1/3")))
}

@Test func errorsAreThrownWithTheCLIsText() throws {
    do {
        _ = try Program(source: "func f(x: Real) -> Real {\n    return sigmod(x)\n}\n", name: "loss.adj")
        Issue.record("expected an error")
    } catch let error as AdjointError {
        #expect(error.description == "loss.adj:2:12: error: no function named 'sigmod'; did you mean 'sigmoid'?\n    return sigmod(x)\n           ^")
        #expect(!error.isInternal)
    }
    let program = try Program(source: "func f(x: Real) -> Real {\n    return log(x)\n}\n", name: "loss.adj")
    #expect(throws: AdjointError.self) { try program.gradient("f", arguments: ["x": "2"], exact: true) }
    do {
        _ = try program.evaluate("f", arguments: ["x": "2"], exact: true)
        Issue.record("expected an error")
    } catch let error as AdjointError {
        #expect(error.description.hasPrefix("loss.adj:2:12: runtime error: exact mode cannot evaluate log"))
    }
}

@Test func aProgramIsSafeToUseFromConcurrentTasks() async throws {
    let program = try Program(contentsOf: dot)
    let expected = try Value(exactly: "[4, 8, 12]")
    try await withThrowingTaskGroup(of: Bool.self) { group in
        for k in 0..<8 {
            group.addTask {
                // Each task its own engine and arguments; none shares state with another.
                let g = try program.gradient("f", arguments: ["x": "[1, 2, 3]"], exact: k % 2 == 0)
                return k % 2 == 0 ? g["x"] == expected : g["x"]!.isClose(to: expected)
            }
        }
        for try await ok in group { #expect(ok) }
    }
}

@Test func theCommandLineSaysWhatTheLibrarySays() throws {
    // The `adjoint` tool is built on this library: its output is the library's text, word for word.
    let path = dot.path
    let program = try Program(path: path)
    let g = try program.gradient("f", orderedArguments: [("x", "[1, 2, 3]")], exact: true, explain: true)
    let plain = try program.gradient("f", orderedArguments: [("x", "[1, 2, 3]")], exact: true)
    #expect(try runAdjoint(["grad", path, "-f", "f", "--arg", "x=[1, 2, 3]", "--exact", "--json"]).output == plain.json + "\n")
    let explained = try runAdjoint(["grad", path, "-f", "f", "--arg", "x=[1, 2, 3]", "--exact", "--explain"]).output
    #expect(explained == "value: \(g.value.printed)\n" + g.components.map { "d/d\($0.name): \($0.value.printed)\n" }.joined()
            + g.explanation!)
    let report = try program.check("f", orderedArguments: [("x", "[1, 2, 3]")])
    #expect(try runAdjoint(["check", path, "-f", "f", "--arg", "x=[1, 2, 3]"]).output == report.lines.map { $0 + "\n" }.joined())
    #expect(try runAdjoint(["check", path, "-f", "f", "--arg", "x=[1, 2, 3]", "--json"]).output == report.json + "\n")
    #expect(try runAdjoint(["compile", path, "--emit", "ir"]).output == (try program.emit(.ir)))
    // A run-time error: the same located text, and the library's exit status.
    do {
        _ = try program.evaluate("f", orderedArguments: [("x", "[1, 2")], exact: true)
        Issue.record("expected an error")
    } catch let error as AdjointError {
        let (status, output) = try runAdjoint(["eval", path, "-f", "f", "--arg", "x=[1, 2", "--exact"])
        #expect(status == error.exitStatus && output == error.description + "\n")
    }
}

@Test func tupleResultsAreValuesWithElements() throws {
    let program = try Program(source: "func f(x: Real) -> (Tensor, Real) {\n    return ([x, 2 * x], x / 3)\n}\n")
    let value = try program.evaluate("f", arguments: ["x": "1"], exact: true)
    let elements = try #require(value.tupleElements)
    #expect(elements == [try Value(exactly: "[1, 2]"), try Value(exactly: "1/3")])
    #expect(value.printed == "([1 2], 1/3)")
    #expect(try program.evaluate("f", arguments: ["x": "1"]).isClose(to: value))
}
