// ':' in subscripts (spec §4/§5): `m[i, :]`, `m[:, j]`, `t[:, j, :]` read and write whole axes.
// The cases below join the reverse-mode corpus, so finite differences, the exact engine, the
// compiled Swift and forward mode check them there too; the tests here check them by name,
// with the rank-mismatch message, the compile-time errors and the in-place adjoint update.
import Foundation
import Testing
import AdjointIR
@testable import AdjointDriver

private let rank3 = "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]"

/// Hand-derived gradients of functions using ':'.
let colonIndexingCases: [GradCase] = [
    // Σ_i |m[i, :]|² + Σ m[:, 1]: ∂m = 2m + [0, 1] in each row.
    GradCase("m[i, :] in a loop and m[:, j]", """
    func f(m: Tensor) -> Real {
        var total = 0.0
        for i in 0..<2 {
            total = total + sum(m[i, :] * m[i, :])
        }
        return total + sum(m[:, 1])
    }
    """, [.tensor("m", "[[1, 2], [3, 4]]")], exact: ["m": ["2", "5", "6", "9"]]),

    // a = t[1] (squares: 2t), b = t[:, 0, :] (sum, times 2: 2), c = t[:, :, 1] (cubes: 3t²).
    GradCase("t[i, :, :], t[:, j, :] and t[:, :, k]", """
    func f(t: Tensor) -> Real {
        let a = t[1, :, :]
        let b = t[:, 0, :]
        let c = t[:, :, 1]
        return sum(a * a) + sum(b) * 2 + sum(c * c * c)
    }
    """, [.tensor("t", rank3)], exact: ["t": ["2", "14", "0", "48", "12", "122", "14", "208"]]),

    // x00 = m00, x01 = (m01 - v1) v0, x10 = (2 v0 + v1)/2, x11 = v1²; row 1 of m is overwritten.
    GradCase("=, +=, -=, *=, /= on rows and columns", """
    func f(m: Tensor, v: Tensor) -> Real {
        var x = m * 1
        x[1, :] = v * 2
        x[:, 0] += v
        x[0, :] -= v
        x[:, 1] *= v
        x[1, :] /= 2
        return sum(x * x)
    }
    """, [.tensor("m", "[[1, 2], [3, 4]]"), .tensor("v", "[1, 3]")],
    exact: ["m": ["2", "-2", "0", "0"], "v": ["7", "225/2"]]),

    // u[0] = w, u[:, 1, :] += 3 w[0, :]: only t[1] survives; w[0, k] reaches u[0,0,k], u[0,1,k], u[1,1,k].
    GradCase("t[i, :, :] = and t[:, j, :] +=", """
    func f(t: Tensor, w: Tensor) -> Real {
        var u = t * 1
        u[0, :, :] = w
        u[:, 1, :] += w[0, :] * 3
        return sum(u * u)
    }
    """, [.tensor("t", rank3), .tensor("w", "[[1, 2], [3, 4]]")],
    exact: ["t": ["0", "0", "0", "0", "10", "12", "20", "28"], "w": ["98", "148", "12", "20"]]),

    // Σ h = s Σ_j c_j R_j with c = 2 m[0, :] + m[1, :] and R_j the row sums of m.
    GradCase("h[t + 1, :] = dot(m[t, :], m) * s + h[t, :]", """
    func f(m: Tensor, s: Real) -> Tensor {
        var h = zeros(3, 2)
        for t in 0..<2 {
            h[t + 1, :] = dot(m[t, :], m) * s + h[t, :]
        }
        return h
    }
    """, [.tensor("m", "[[1, 2], [3, 4]]"), .real("s", 2)], exact: ["m": ["22", "38", "22", "30"], "s": ["71"]]),
]

// MARK: - Values

@Test func colonReadsRowsColumnsAndMiddleAxes() throws {
    let source = """
    func f(t: Tensor) {
        let m = t[1, :, :]
        print(m[1, :], m[:, 0], t[:, 1, :], t[:, :, 1][1, :], t[0, :, 1])
    }
    """
    for engine in [Engine.double, .exact] {
        let result = try evaluate(source, "f", [("t", rank3)], engine: engine)
        let printed = result.output.joined(separator: "\n")
        let expected = engine == .double ? "[7.0 8.0] [5.0 7.0] [[3.0 4.0]\n [7.0 8.0]] [6.0 8.0] [2.0 4.0]"
                                         : "[7 8] [5 7] [[3 4]\n [7 8]] [6 8] [2 4]"
        #expect(printed == expected, "\(engine)")
    }
}

@Test func colonWritesBroadcastTheValueToThePart() throws {
    let source = """
    func f(m: Tensor) -> Tensor {
        var x = m * 1
        x[0, :] = 9
        x[:, 2] += [10, 20]
        x[1, :] -= 1
        x[:, 0] *= 3
        x[:, 1] /= [2, 4]
        return x
    }
    """
    let result = try evaluate(source, "f", [("m", "[[1, 2, 3], [4, 5, 6]]")])
    #expect(result.printed == "[[27.0  4.5 19.0]\n [ 9.0  1.0 25.0]]")
}

@Test func indexWithoutColonStillUpdatesARow() throws {
    // `x[i] = v` of a matrix keeps its meaning: row i.
    let source = "func f(m: Tensor) -> Tensor {\n    var x = m * 1\n    x[1] = [7, 8]\n    return x\n}\n"
    #expect(try evaluate(source, "f", [("m", "[[1, 2], [3, 4]]")]).printed == "[[1.0 2.0]\n [7.0 8.0]]")
}

// MARK: - Gradients in every engine

@Test("exact gradients of ':' are the hand-derived ones", arguments: colonIndexingCases)
func colonExactGradients(_ c: GradCase) throws {
    let result = try compile(c.source).gradient(c.request(.exact)) { _ in }
    for gradient in result.gradients {
        let leaves = gradient.json.split(whereSeparator: { "[], \"".contains($0) }).map(String.init)
        #expect(leaves == c.exact?[gradient.name], "\(c.name): ∂\(gradient.name) is \(gradient.json)")
    }
    let double = try compile(c.source).gradient(c.request(.double)) { _ in }
    for gradient in double.gradients {
        let values = gradient.json.split(whereSeparator: { "[], ".contains($0) }).compactMap { Double($0) }
        let wanted = (c.exact?[gradient.name] ?? []).map { leaf -> Double in
            let parts = leaf.split(separator: "/").compactMap { Double($0) }
            return parts.count == 2 ? parts[0] / parts[1] : parts[0]
        }
        #expect(values == wanted, "\(c.name): Double ∂\(gradient.name) is \(gradient.json)")
    }
}

@Test("forward mode agrees with reverse mode on ':' exactly", arguments: colonIndexingCases)
func colonDotProductTest(_ c: GradCase) throws {
    let lines = try compile(c.source).check(CheckRequest(function: c.function,
                                                         arguments: c.arguments.map { (name: $0.name, expression: $0.text) }))
    let failed = lines.filter { !$0.passed }
    #expect(failed.isEmpty, "\(failed)")
    #expect(lines.contains { $0.check == "dot-product test (exact)" && $0.passed }, "\(lines)")
}

// MARK: - Rank mismatches

private let rankMismatchSource = """
func f(m: Tensor) -> Real {
    return m[1] + 1
}

func g(t: Tensor) -> Tensor {
    return t[0, :] * 2
}
"""

/// The first line of the user error a gradient of `function` stops with.
private func gradientError(_ source: String, _ function: String, _ argument: (String, String),
                           engine: Engine) -> String? {
    do {
        _ = try compile(source).gradient(GradRequest(function: function, arguments: [argument], engine: engine)) { _ in }
        return nil
    } catch {
        return "\(error)".split(separator: "\n").first.map(String.init)
    }
}

@Test func rankMismatchSaysWhatToWrite() throws {
    for engine in [Engine.double, .exact] {
        #expect(gradientError(rankMismatchSource, "f", ("m", "[[1, 2], [3, 4]]"), engine: engine)
                == "test.adj:2:13: runtime error: m has 2 axes; m[1] reads one element of a vector: write m[1, :] for a row")
        #expect(gradientError(rankMismatchSource, "f", ("m", rank3), engine: engine)
                == "test.adj:2:13: runtime error: m has 3 axes; m[1] reads one element of a vector: write m[1, :, :] for a matrix")
        #expect(gradientError(rankMismatchSource, "g", ("t", rank3), engine: engine)
                == "test.adj:6:13: runtime error: t has 3 axes; t[0, :] reads a row of a matrix: write t[0, :, :] for a matrix")
        #expect(gradientError(rankMismatchSource, "g", ("t", "[1, 2]"), engine: engine)
                == "test.adj:6:13: runtime error: t has 1 axis; t[0, :] reads a row of a matrix: write t[0] for one element")
    }
}

// MARK: - Compile-time errors

@Test func colonOutsideAnIndexIsAnError() throws {
    let slice = "func f(x: Tensor) -> Tensor {\n    return x[: ..< 2]\n}\n"
    #expect(diagnostics(of: slice)?.hasPrefix(
        "test.adj:2:14: error: ':' takes a whole axis and cannot be a slice bound; write x[a..<b] or x[i, :]") == true)
    let value = "func f(x: Tensor) -> Tensor {\n    let a = :\n    return x\n}\n"
    #expect(diagnostics(of: value)?.hasPrefix(
        "test.adj:2:13: error: ':' stands only for a whole axis in an index, as in m[i, :]") == true)
    let bound = "func f(x: Tensor) -> Tensor {\n    return x[0 ..< :]\n}\n"
    #expect(diagnostics(of: bound)?.hasPrefix(
        "test.adj:2:20: error: ':' stands only for a whole axis in an index, as in m[i, :]") == true)
    let real = "func f(x: Tensor) -> Tensor {\n    return x[1.5, :]\n}\n"
    #expect(diagnostics(of: real)?.hasPrefix("test.adj:2:14: error: index must be Int") == true, "\(diagnostics(of: real) ?? "")")
}

// MARK: - The IR

@Test func selectionsRoundTripThroughIRText() throws {
    let ir = try Stage.ir.emit(try compile(colonIndexingCases[2].source))
    #expect(IRPrinter.print(try IRParser.parse(ir)) == ir)
    #expect(ir.contains("setselect \"x\" [\"1\", \":\"]"), "\(ir)")
    #expect(ir.contains("addselect \"x\" [\":\", \"0\"]"), "\(ir)")
    #expect(ir.contains("select \"x\" [\":\", \"1\"]"), "\(ir)")
}

// MARK: - Generated Swift

private let rowLoopSource = """
@differentiable
func rows(m: Tensor, w: Tensor) -> Real {
    var total = 0.0
    for i in 0..<dim(m, 0) {
        total = total + sum(m[i, :] * w)
    }
    return total
}
"""

@Test func reverseSweepAddsEachRowsAdjointInPlace() throws {
    let swift = try compile(rowLoopSource).swiftSource(includeRuntime: false)
    let reverse = try #require(swift.range(of: "func rowsReverse").map { String(swift[$0.lowerBound...]) })
    // The adjoint of m is one loop-carried variable that the sweep updates: no copy per iteration.
    let update = try #require(reverse.split(separator: "\n").first { $0.contains(".addToSelection(") })
    let variable = update.trimmingCharacters(in: .whitespaces).prefix { $0 != "." }
    #expect(reverse.contains("var \(variable): Tensor"), "\(reverse)")
    #expect(!reverse.contains("addingToSelection("), "\(reverse)")
    // The subscript's text, which a rank error quotes, is a constant of the file.
    let constant = try #require(swift.split(separator: "\n").first { $0.contains("= SubscriptText(\"m\", [\"i\", \":\"])") })
    let name = try #require(constant.split(separator: " ").dropFirst(2).first)
    #expect(update.contains("[true, false]") && update.contains(name), "\(update)")
}

@Test func compiledSwiftComputesTheInterpretersGradientsAndRankErrors() throws {
    // One program: every case's gradient, then a rank mismatch, which ends it with the interpreter's message.
    var declarations = "", statements = ""
    var expected: [String] = []
    for (i, c) in colonIndexingCases.enumerated() {
        let compilation = try compile(c.source)
        let driver = try compilation.gradientDriver(c.request(.double), namespace: "Colon\(i)")
        declarations += driver.declarations.replacingOccurrences(of: "import Foundation\n", with: "") + "\n"
        statements += driver.statements
        expected.append(try compilation.gradient(c.request(.double)) { _ in }.json)
    }
    let failing = GradRequest(function: "f", arguments: [(name: "m", expression: "[[1, 2], [3, 4]]")], engine: .double)
    let driver = try compile(rankMismatchSource).gradientDriver(failing, namespace: "ColonRank")
    declarations += driver.declarations.replacingOccurrences(of: "import Foundation\n", with: "")
    statements += driver.statements
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-colon-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let files = ["cases.swift": "import Foundation\n" + declarations, "runtime.swift": try Compilation.runtimeFile(),
                 "main.swift": statements]
    let paths = try files.sorted { $0.key < $1.key }.map { name, text -> String in
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
    let binary = directory.appendingPathComponent("colon")
    let (buildStatus, buildOutput) = try SwiftBuild.capture(
        URL(fileURLWithPath: "/usr/bin/env"),
        arguments: ["swiftc", "-Onone", "-suppress-warnings"] + paths + ["-o", binary.path], errors: true)
    try #require(buildStatus == 0, "\(buildOutput.prefix(4000))")
    let (status, output) = try SwiftBuild.capture(binary, errors: true)
    let lines = output.split(separator: "\n").map(String.init)
    #expect(status == 1)
    #expect(Array(lines.prefix(expected.count)) == expected, "\(output)")
    #expect(lines.last == "test.adj:2:13: runtime error: m has 2 axes; m[1] reads one element of a vector: write m[1, :] for a row",
            "\(output)")
}
