// Code generation: the generated Swift builds with swiftc alone and computes what the
// interpreter computes. Building Swift is slow, so each test builds one program that holds
// many cases (every corpus function in its own namespace), built once and cached by hash.
import Foundation
import Testing
import AdjointBasic
@testable import AdjointDriver
@testable import AdjointCodegen

/// Builds Swift sources into one program with `swiftc -O` (cached by content) and runs it.
func buildAndRun(_ files: [String: String], name: String, flags: [String] = []) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-test-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var paths: [String] = []
    for (file, text) in files.sorted(by: { $0.key < $1.key }) {
        let url = directory.appendingPathComponent(file)
        try text.write(to: url, atomically: true, encoding: .utf8)
        paths.append(url.path)
    }
    let binary = directory.appendingPathComponent(name)
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                                  arguments: ["swiftc", "-O", "-wmo", "-suppress-warnings"] + flags + paths
                                                    + ["-o", binary.path],
                                                  errors: true)
    guard status == 0 else { return (status, "swiftc failed:\n" + output) }
    return try SwiftBuild.capture(binary, errors: true)
}

/// The numbers of a JSON text in order, with `"inf"`, `"-inf"` and `"nan"` as the Doubles they name.
private func numbers(in json: String) -> [Double] {
    var out: [Double] = []
    let scalars = Array(json.unicodeScalars)
    var i = 0
    while i < scalars.count {
        let c = scalars[i]
        if c == "\"" {
            var j = i + 1
            while j < scalars.count, scalars[j] != "\"" { j += 1 }
            let text = String(String.UnicodeScalarView(scalars[(i + 1)..<min(j, scalars.count)]))
            if text == "inf" { out.append(.infinity) } else if text == "-inf" { out.append(-.infinity) } else if text == "nan" { out.append(.nan) }
            i = j + 1
        } else if c == "-" || ("0"..."9").contains(c) {
            var j = i
            while j < scalars.count, "+-.eE0123456789".unicodeScalars.contains(scalars[j]) { j += 1 }
            out.append(Double(String(String.UnicodeScalarView(scalars[i..<j]))) ?? .nan)
            i = j
        } else {
            i += 1
        }
    }
    return out
}

/// Whether two JSON texts hold the same numbers within a relative tolerance (and the same non-numbers).
private func sameNumbers(_ a: String, _ b: String, relative: Double) -> Bool {
    let x = numbers(in: a), y = numbers(in: b)
    guard x.count == y.count, !x.isEmpty || a == b else { return false }
    return zip(x, y).allSatisfy { p, q in
        if p.isNaN || q.isNaN { return p.isNaN && q.isNaN }
        if p.isInfinite || q.isInfinite { return p == q }
        return abs(p - q) <= relative * max(1, abs(p), abs(q))
    }
}

@Test("compiled gradients equal the interpreter's over the corpus")
func compiledCorpusMatchesInterpreter() throws {
    var declarations = ""
    var statements = ""
    var expected: [(name: String, json: String)] = []
    for (i, c) in reverseModeCorpus.enumerated() {
        let compilation = try compile(c.source)
        let request = c.request(.double)
        let driver = try compilation.gradientDriver(request, namespace: "Case\(i)")
        // One module: drop each file's own header and import, keep its declarations.
        declarations += driver.declarations.replacingOccurrences(of: "import Foundation\n", with: "") + "\n"
        statements += driver.statements
        expected.append((c.name, try compilation.gradient(request) { _ in }.json))
    }
    let program = "import Foundation\n" + declarations
    let (status, output) = try buildAndRun(["cases.swift": program, "runtime.swift": try Compilation.runtimeFile(),
                                            "main.swift": statements], name: "corpus")
    let built: Bool = status == 0
    let log = String(output.prefix(4000))
    try #require(built, "\(log)")
    // What the programs print themselves comes first; the JSON lines are the results.
    let lines: [String] = output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{\"value\"") }
    try #require(lines.count == expected.count)
    for (line, (name, json)) in zip(lines, expected) {
        let same: Bool = sameNumbers(line, json, relative: 1e-12)
        #expect(same, "\(name): compiled \(line), interpreted \(json)")
    }
}

@Test func examplesPrintTheirExpectedOutput() throws {
    // Every example's main(): the interpreter, the exact interpreter and the generated Swift (all examples in
    // one program, each in its own namespace) print what NAME.out and NAME.exact.out beside it say.
    var declarations = ""
    var statements = ""
    let examples = adjFiles(in: "examples")
    for (i, url) in examples.enumerated() {
        let name = url.deletingPathExtension().lastPathComponent
        let compilation = try Compilation(path: url.path)
        let expected = try String(contentsOf: url.deletingPathExtension().appendingPathExtension("out"), encoding: .utf8)
        let interpreted = try compilation.evaluate(EvalRequest(function: "main", arguments: [])) { _ in }.output
        #expect(interpreted.map { $0 + "\n" }.joined() == expected, "\(name): interpreter")
        let exactURL = url.deletingPathExtension().appendingPathExtension("exact.out")
        if FileManager.default.fileExists(atPath: exactURL.path) {
            let exact = try compilation.evaluate(EvalRequest(function: "main", arguments: [], engine: .exact)) { _ in }.output
            let expectedExact: String = try String(contentsOf: exactURL, encoding: .utf8)
            #expect(exact.map { $0 + "\n" }.joined() == expectedExact, "\(name): exact")
        }
        let source = try compilation.swiftSource(includeRuntime: false, entryPoint: false, namespace: "Example\(i)")
        declarations += source.replacingOccurrences(of: "import Foundation\n", with: "") + "\n"
        statements += "print(\"=== \(name)\")\nseedRandom(0)\nExample\(i).main()\n"
    }
    let (status, output) = try buildAndRun(["examples.swift": "import Foundation\n" + declarations,
                                            "runtime.swift": try Compilation.runtimeFile(), "main.swift": statements],
                                           name: "examples")
    let built: Bool = status == 0
    let log = String(output.prefix(4000))
    try #require(built, "\(log)")
    let sections = output.components(separatedBy: "=== ").dropFirst()
    try #require(sections.count == examples.count)
    for (section, url) in zip(sections, examples) {
        let name = url.deletingPathExtension().lastPathComponent
        let expected = try String(contentsOf: url.deletingPathExtension().appendingPathExtension("out"), encoding: .utf8)
        let compiled = String(section.dropFirst(name.count + 1))
        #expect(compiled == expected, "\(name): compiled Swift")
    }
}

@Test func goldenSwiftForTheChapterBuildsAsOneModule() throws {
    // The chapter's three functions (examples/Chapter, which the build plugin compiles) as the plugin and
    // `adjoint compile --no-runtime` write them, checked in under Tests/AdjointTests/Golden/Swift.
    let names = ["dot", "control_flow", "head_gradient"]
    var files: [String: String] = ["AdjointRuntime.swift": try Compilation.runtimeFile()]
    for name in names {
        let compilation = try Compilation(path: packageRoot.appendingPathComponent("examples/Chapter/\(name).adj").path)
        let text = try compilation.swiftSource(includeRuntime: false, entryPoint: false)
        let golden = packageRoot.appendingPathComponent("Tests/AdjointTests/Golden/Swift/\(name).swift")
        if ProcessInfo.processInfo.environment["ADJOINT_UPDATE_GOLDENS"] == "1" {
            try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let checkedIn: String = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == checkedIn, "generated Swift of \(name) changed")
        files["\(name).swift"] = text
    }
    // Three generated files and the runtime in one module, used through the spec's API.
    files["main.swift"] = """
    let x = Tensor(shape: [4, 1], scalars: [0, 1, 2, 3])
    let (value, dx) = fGradient(x: x)
    print(value, dx == 4 * x)
    print(gGradient(a: [0.37]).a)
    print(zGradient(x: x, head: Tensor(shape: [4, 1], scalars: [10, 1, 0.1, 0.01])).x)
    """
    let (status, output) = try buildAndRun(files, name: "chapter")
    let built: Bool = status == 0
    let log = String(output.prefix(4000))
    try #require(built, "\(log)")
    let printed: String = output
    #expect(printed == "[[28.0]] true\n[4096.0]\n[[ 0.0]\n [ 4.0]\n [ 0.8]\n [0.12]]\n")
}

/// The numbers printed by a program, exact `p/q` text read as the Double it names.
private func printedNumbers(_ text: String) -> [Double] {
    text.split(whereSeparator: { " \n[](),".contains($0) }).compactMap { token -> Double? in
        let parts = token.split(separator: "/")
        if parts.count == 2, let p = Double(parts[0]), let q = Double(parts[1]) { return p / q }
        return Double(token)
    }
}

@Test func compiledRunPrintsWhatExactRunPrints() throws {
    // On rational paths the compiled Double program and the exact interpreter print the same values.
    for name in ["chapter_dot", "chapter_head_gradient", "rosenbrock"] {
        let path = packageRoot.appendingPathComponent("examples/\(name).adj").path
        let compiled = try runAdjoint(["run", path])
        let exact = try runAdjoint(["run", path, "--exact"])
        #expect(compiled.status == 0 && exact.status == 0, "\(name): \(compiled.output) \(exact.output)")
        let a = printedNumbers(compiled.output), b = printedNumbers(exact.output)
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) },
                "\(name): compiled \(compiled.output) exact \(exact.output)")
    }
}

@Test func gradCompiledPrintsTheInterpretersJSON() throws {
    let path = packageRoot.appendingPathComponent("examples/chapter_head_gradient.adj").path
    let arguments = ["grad", path, "-f", "z", "--arg", "x=arange(4).reshape(4, 1)", "--head", "[[10], [1], [0.1], [0.01]]"]
    let compiled = try runAdjoint(arguments + ["--compiled"])
    let interpreted = try runAdjoint(arguments + ["--json"])
    #expect(compiled.status == 0)
    #expect(compiled.output == interpreted.output)
}

@Test func compiledRuntimeErrorsNameTheAdjLocation() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-rt-\(UUID().uuidString).adj")
    try "func main() {\n    let x = arange(3)\n    print(x[5])\n}\n".write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let result = try runAdjoint(["run", url.path])
    #expect(result.status == 1)
    #expect(result.output.contains("\(url.lastPathComponent):3:12: runtime error: index 5 is out of range for axis 0 of size 3"))
}

@Test("generated Swift builds without warnings", arguments: ["exercise4_second_derivative.adj", "chapter_training_mode.adj",
                                                           "custom_straight_through.adj"])
func generatedSwiftBuildsWithoutWarnings(name: String) throws {
    // main calls grad: results computed only for their effect used to be bound to names nobody read.
    let swift = try Compilation(path: packageRoot.appendingPathComponent("examples/\(name)").path).swiftSource()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-warnings-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("main.swift")
    try swift.write(to: file, atomically: true, encoding: .utf8)
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments:
        ["swiftc", "-Onone", file.path, "-o", directory.appendingPathComponent("program").path], errors: true)
    #expect(status == 0)
    #expect(!output.contains("warning:"), "\(output.prefix(2000))")
}

@Test func generatedGradientIsThreadSafe() throws {
    // Spec §10's fGradient from four threads at once, 10,000 calls each: every call makes its own tapes, so
    // no call sees another's, and every result equals the one computed alone. Built in the Swift 6 language
    // mode, whose strict concurrency checking would flag shared mutable state, without a warning.
    let source = try Compilation(path: packageRoot.appendingPathComponent("examples/rosenbrock.adj").path)
        .swiftSource(includeRuntime: false, entryPoint: false)
    let main = """
    import Foundation

    let inputs = (0..<4).map { t in Tensor((0..<12).map { 0.5 + 0.01 * Double($0 + 3 * t) }) }
    let expected = inputs.map { rosenbrockGradient(x: $0) }
    let wrong = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 4) { t in
        var mismatches = 0
        for _ in 0..<10_000 {
            let g = rosenbrockGradient(x: inputs[t])
            if g.value != expected[t].value || g.x != expected[t].x { mismatches += 1 }
        }
        wrong.withLock { $0 += mismatches }
    }
    print("mismatches", wrong.withLock { $0 }, "gradient", expected[0].x.scalars[0])
    """
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-threads-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var paths: [String] = []
    for (name, text) in [("rosenbrock.swift", source), ("runtime.swift", try Compilation.runtimeFile()),
                         ("main.swift", "import Synchronization\n" + main)] {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        paths.append(url.path)
    }
    let binary = directory.appendingPathComponent("threads")
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments:
        ["swiftc", "-O", "-wmo", "-swift-version", "6"] + paths + ["-o", binary.path], errors: true)
    try #require(status == 0, "\(output.prefix(3000))")
    #expect(!output.contains("warning:"), "\(output.prefix(3000))")
    let (runStatus, printed) = try SwiftBuild.capture(binary, errors: true)
    #expect(runStatus == 0)
    #expect(printed.hasPrefix("mismatches 0 gradient "), "\(printed)")
}

@Test func compiledMatrixProductsEqualTheInterpretersBitForBit() throws {
    // The runtime's `dot` is a cache-blocked, register-tiled kernel, and its adjoints read aᵀ by strides;
    // each element must still be summed from zero in increasing order of the inner index, as the
    // interpreter's triple loop does, so the printed digits (shortest round trip) agree exactly. The
    // shapes cross the tiles' edges (m, n not multiples of 4, 1×1), the kernel's blocks (130 > 128
    // inner steps, 67 > 64 columns; aᵀ·ȳ packed in place over 130 inner steps), W6's 64×256·256×10, and
    // every rank case with both adjoints.
    let source = """
    func mm(a: Tensor, b: Tensor) -> Tensor {
        return dot(a, b)
    }

    func check(a: Tensor, b: Tensor, head: Tensor) {
        print(dot(a, b))
        let (da, db) = grad(mm, wrt: a, b, head: head)(a, b)
        print(da)
        print(db)
    }

    func main() {
        check(random_normal(5, 7), random_normal(7, 3), random_normal(5, 3))
        check(random_normal(1, 1), random_normal(1, 1), random_normal(1, 1))
        check(random_normal(3, 130), random_normal(130, 67), random_normal(3, 67))
        check(random_normal(9, 130), random_normal(130, 67), random_normal(9, 67))
        check(random_normal(64, 256), random_normal(256, 10), random_normal(64, 10))
        check(random_normal(130, 9), random_normal(9, 6), random_normal(130, 6))
        check(random_normal(7), random_normal(7, 6), random_normal(6))
        check(random_normal(6, 7), random_normal(7), random_normal(6))
        check(random_normal(130, 5), random_normal(5), random_normal(130))
        let u = random_normal(130)
        let v = random_normal(130)
        print(dot(u, v))
        let (du, dv) = grad(mm, wrt: a, b, head: 0.75)(u, v)
        print(du)
        print(dv)
    }
    """
    let compilation = try compile(source, path: "products.adj")
    let printed = try compilation.evaluate(EvalRequest(function: "main", arguments: [])) { _ in }.output
    #expect(printed.count == 30)                                  // what each of the 10 cases prints, 3 each
    let interpreted = printed.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let swift = try compilation.swiftSource(includeRuntime: false, entryPoint: false, namespace: "Products")
    let (status, output) = try buildAndRun(["products.swift": swift, "runtime.swift": try Compilation.runtimeFile(),
                                            "main.swift": "seedRandom(0)\nProducts.main()\n"], name: "products")
    try #require(status == 0, "\(output.prefix(4000))")
    let compiled = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
    #expect(compiled.count == interpreted.count)
    let differing = zip(compiled, interpreted).enumerated().first { $0.element.0 != $0.element.1 }
    let where_: String = differing.map { "line \($0.offset): compiled \($0.element.0.prefix(300)) interpreted \($0.element.1.prefix(300))" } ?? ""
    #expect(differing == nil, "\(where_)")
}

@Test func spansEndBeforeALoopInTheExitCode() throws {
    // The emitter spans an adjoint updated by element in a loop (`var elements = v.scalars.mutableSpan`), but not
    // when the loop's exit code, which the structurizer writes inside the Swift loop, holds another loop:
    // swiftc 6.3 keeps the span's access open across that loop and rejects a read of `v` before it (found in the
    // second-order sweeps of examples/rosenbrock.adj). This pure-Swift reproducer shows whether that is still so;
    // once swiftc accepts it, the condition in `findElementLoops` can go.
    let reproducer = """
    struct T { var scalars: [Double] }
    func g(_ n: Int) -> T {
        var v = T(scalars: [1, 2, 3])
        var w: T
        var k = n
        var elements = v.scalars.mutableSpan
        loop: while true {
            if k > 0 {
                elements[k % 3] += 1
                k -= 1
                continue loop
            } else {
                w = v
                var j = 3
                while true {
                    if j > 0 { j -= 1; continue }
                    return w
                }
            }
        }
    }
    """
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-span-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("span.swift")
    try reproducer.write(to: file, atomically: true, encoding: .utf8)
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments:
        ["swiftc", "-O", "-parse-as-library", "-c", file.path, "-o", directory.appendingPathComponent("span.o").path],
        errors: true)
    #expect(status != 0 && output.contains("overlapping accesses to 'v'"),
            "swiftc now accepts a read before a loop in a span loop's exit code: the workaround can go")
    // And the generated second-order sweeps of that example build.
    let swift = try Compilation(path: packageRoot.appendingPathComponent("examples/rosenbrock.adj").path).swiftSource()
    let program = directory.appendingPathComponent("main.swift")
    try swift.write(to: program, atomically: true, encoding: .utf8)
    let (built, log) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments:
        ["swiftc", "-Onone", program.path, "-o", directory.appendingPathComponent("program").path], errors: true)
    #expect(built == 0, "\(log.prefix(2000))")
}

@Test func oneElementVersionsEqualTheTensorCodeBitForBit() throws {
    // A function whose only Tensor parameter holds one element runs on Doubles (`OneElementVersion`); every
    // operation must give the bits the tensor runtime gives, in every shape that holds one element ([1], [],
    // [1, 1]), at -0.0, where `exp` overflows and `norm` would, and beside a three-element call that takes
    // the tensor path. The interpreter is the oracle: it never sees the version.
    let source = """
    func elementwise(a: Tensor) -> Real {
        let b = exp(a) * 2 + sin(a) - cos(a) / 3 + tanh(a) * sigmoid(a) + relu(a) - abs(a) + sign(a) * floor(a * 10)
        let c = max(b, a) + min(a, 0.5) + pow(a, 3) + a ^ 2 + sqrt(abs(a) + 1) + log(abs(a) + 1) + tan(a * 0.1)
        return sum(c) + mean(c * c) + prod(c) + max(c) + min(b) + norm(a) + real(size(a))
    }

    func scaled(a: Tensor, s: Real) -> Tensor {
        var b = a * s
        if sum(b) == 0 {
            b = b - s
        }
        return b / (1 + s) + zeros_like(a) * s + ones_like(b) - b * b
    }

    // A name of the program's own keeps it: the version of `scaled` is `scaledOneElement_`.
    func scaledOneElement(x: Real) -> Real {
        return x + 1
    }

    func reductions(a: Tensor) -> (Real, Real, Real, Real, Real, Tensor) {
        let b = a * 3
        return (sum(b), mean(b), prod(b), norm(b), max(b), b)
    }

    func doubling(a: Tensor) -> Real {
        var b = a * 2
        while norm(b) < 1000 {
            b = b * 2
        }
        var c = b
        if sum(b) <= 0 {
            c = 100 * b
        }
        return sum(c)
    }

    func check(a: Tensor) {
        print(elementwise(a))
        print(a == a * 1)
        let (s, m, p, n, x, b) = reductions(a)
        print(s, m, p, n, x, b)
        print(grad(elementwise)(a))
        print(scaled(a, 0.5))
        let (da, ds) = grad(scaled, wrt: a, s)(a, 0.5)
        print(da)
        print(ds, scaledOneElement(ds))
        if sum(abs(a)) > 0 {
            print(doubling(a))
            print(grad(doubling)(a))
        }
    }

    func main() {
        check([0.37])
        check([-0.37])
        check([-0.0])
        check([800.0])
        check([1e200])
        check(sum(reshape([0.25], 1, 1), axis: 0))
        check(sum([0.25], axis: 0))
        check(reshape([-1.5], 1, 1))
        check([0.5, -1.0, 2.0])
    }
    """
    let compilation = try compile(source, path: "one.adj")
    let printed = try compilation.evaluate(EvalRequest(function: "main", arguments: [])) { _ in }.output
    let interpreted = printed.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let swift = try compilation.swiftSource(includeRuntime: false, entryPoint: false, namespace: "One")
    #expect(swift.contains("public static func scaledOneElement(x: Double) -> Double"))
    for function in ["elementwiseOneElement(", "reductionsOneElement(", "scaledOneElement_(", "doublingOneElement(",
                     "elementwiseValueAndGradient0OneElement(", "doublingValueAndGradient0OneElement("] {
        #expect(swift.contains("func " + function), "no \(function) in the generated Swift")
    }
    let (status, output) = try buildAndRun(["one.swift": swift, "runtime.swift": try Compilation.runtimeFile(),
                                            "main.swift": "One.main()\n"], name: "one")
    try #require(status == 0, "\(output.prefix(4000))")
    let compiled = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
    #expect(compiled.count == interpreted.count)
    let differing = zip(compiled, interpreted).enumerated().first { $0.element.0 != $0.element.1 }
    let where_: String = differing.map { "line \($0.offset): compiled \($0.element.0.prefix(300)) interpreted \($0.element.1.prefix(300))" } ?? ""
    #expect(differing == nil, "\(where_)")
}

@Test func parameterReadsInALoopFailAsTheInterpreterDoes() throws {
    // A Tensor parameter read by element in a loop is read through a Span taken before the loop
    // (`xElements1.element(i, rank: xRank1, ...)`): out of range and of the wrong rank, the compiled
    // program stops with the interpreter's message at the read's location.
    for (argument, message) in [("arange(3)", "index 3 is out of range for axis 0 of size 3"),
                                ("zeros(2, 2)", "x has 2 axes")] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-loop-\(UUID().uuidString).adj")
        try """
        func f(x: Tensor) -> Real {
            var s = 0.0
            for i in 0..<4 {
                s += x[i]
            }
            return s
        }
        func main() {
            print(f(\(argument)))
        }

        """.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let swift = try runAdjoint(["compile", url.path, "--emit", "swift"])
        #expect(swift.output.contains("xElements1.element(i2, rank: xRank1"), "\(swift.output.prefix(3000))")
        let compiled = try runAdjoint(["run", url.path])
        let exact = try runAdjoint(["run", url.path, "--exact"])
        #expect(compiled.status == 1 && exact.status == 1)
        let line = "\(url.lastPathComponent):4:15: runtime error: \(message)"
        #expect(compiled.output.contains(line), "\(compiled.output)")
        func error(_ output: String) -> Substring? {
            // From the file's name on: one of the two may print the path before it.
            output.split(separator: "\n").first { $0.contains("runtime error") }
                .flatMap { line in line.range(of: url.lastPathComponent).map { line[$0.lowerBound...] } }
        }
        #expect(error(exact.output) != nil && error(exact.output) == error(compiled.output), "\(exact.output) | \(compiled.output)")
    }
}

@Test func negatingANegativeConstantBuilds() throws {
    // `3.0 - p` with p = 4 folds to the constant -1.0, and its negation was written `--1.0`, which
    // Swift reads as an operator (random programs, seed 20261227, program 940).
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-neg-\(UUID().uuidString).adj")
    try "func f(x: Real) -> Real {\n    let p = 4\n    let r = (-(3.0 - p)) * x\n    return r\n}\nfunc main() {\n    print(f(2.0))\n}\n"
        .write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift"])
    #expect(swift.output.contains("-(-1.0)"), "\(swift.output.prefix(1500))")
    let result = try runAdjoint(["run", url.path])
    #expect(result.status == 0 && result.output == "2.0\n", "\(result.output)")
}

@Test func fusedLoopGradientEqualsTheInterpreterBitForBit() throws {
    // Rosenbrock's gradient is one loop (loop fusion): x̄[i] is added at a checked index, and x̄[i + 1] waits in
    // `pending1` for the next iteration, the last one added after the loop when the loop ran. The compiled
    // gradient prints the interpreter's JSON, bit for bit, for loops that run no times, once, and more.
    let path = packageRoot.appendingPathComponent("examples/rosenbrock.adj").path
    let swift = try runAdjoint(["compile", path, "--emit", "swift"])
    #expect(swift.output.contains("elements1.add(pending1, "), "\(swift.output.prefix(4000))")
    #expect(swift.output.contains("elements1.finishZeroStart(pending1, start: 0, bound: v5)"))
    for x in ["zeros(0)", "[0.5]", "[0.5, -1.25]", "[0.5, 0.7, 1.1, -0.3, 2.5, -0.125, 0.0]"] {
        let arguments = ["grad", path, "-f", "rosenbrock", "--arg", "x=\(x)"]
        let compiled = try runAdjoint(arguments + ["--compiled"])
        let interpreted = try runAdjoint(arguments + ["--json"])
        #expect(compiled.status == 0, "\(compiled.output)")
        #expect(compiled.output == interpreted.output, "x = \(x)")
    }
}

@Test func zerosALoopWritesWholeAreNotFilledFirst() throws {
    // The fused Rosenbrock gradient writes every element of x̄ once, in order: x̄ starts uninitialized and the
    // loop's end writes the last element and zeros those the loop did not reach. Built with ADJOINT_COUNTING,
    // an uninitialized element starts as NaN, so one left unwritten changes the JSON.
    let compilation = try Compilation(path: packageRoot.appendingPathComponent("examples/rosenbrock.adj").path)
    var declarations = "import Foundation\n", statements = "", expected: [String] = []
    for (i, x) in ["zeros(0)", "[0.5]", "[0.5, -1.25]", "[0.5, 0.7, 1.1, -0.3, 2.5, -0.125, 0.0]"].enumerated() {
        let request = GradRequest(function: "rosenbrock", arguments: [("x", x)])
        let driver = try compilation.gradientDriver(request, namespace: "Case\(i)")
        declarations += driver.declarations.replacingOccurrences(of: "import Foundation\n", with: "") + "\n"
        statements += driver.statements
        expected.append(try compilation.gradient(request) { _ in }.json)
        #expect(i > 0 || driver.declarations.contains("Tensor.uninitialized(like: x)"), "\(driver.declarations.prefix(3000))")
    }
    let (status, output) = try buildAndRun(["cases.swift": declarations, "runtime.swift": try Compilation.runtimeFile(),
                                            "main.swift": statements], name: "zero-start", flags: ["-D", "ADJOINT_COUNTING"])
    try #require(status == 0, "\(output.prefix(3000))")
    #expect(output.split(separator: "\n").map(String.init) == expected)
}

@Test func aBroadcastHeadTimesATensorIsNotMade() throws {
    // The adjoint of sum(y * v) in y is fit(fit(h, like: y) * v, like: y): Simplify makes it fit(h * v, like: y),
    // the same values, without h broadcast to y's shape. Compiled equals the interpreter for v of y's shape and for
    // a v that broadcasts (a row under a matrix); ∂/∂x of sum(3x² · v) is 6x · v.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-broadcast-\(UUID().uuidString).adj")
    try """
    func f(x: Tensor) -> Real {
        return sum(x * x * x)
    }

    @differentiable(wrt: x)
    func g(x: Tensor, v: Tensor) -> Real {
        return sum(grad(f)(x) * v)
    }
    """.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift", "--no-runtime"])
    // h·v, fitted to x: no tensor of h broadcast to y's shape (Simplify), and y = ∇f·v is never made (its sum is
    // `sumOfProducts`).
    #expect(swift.output.contains("= head0 * v\n") && swift.output.contains("Tensor.sumOfProducts("), "\(swift.output)")
    for v in ["[[1, 0.5, 2], [0.25, -1, 3]]", "[1, 0.5, 2]"] {
        let arguments = ["grad", url.path, "-f", "g", "--wrt", "x", "--arg", "x=[[1, 2, 3], [4, 5, 6]]", "--arg", "v=\(v)"]
        let compiled = try runAdjoint(arguments + ["--compiled"])
        let interpreted = try runAdjoint(arguments + ["--json"])
        #expect(compiled.status == 0, "\(compiled.output)")
        #expect(compiled.output == interpreted.output, "v = \(v)")
    }
    let exact = try runAdjoint(["grad", url.path, "-f", "g", "--wrt", "x", "--arg", "x=[[1, 2, 3], [4, 5, 6]]",
                                "--arg", "v=[1, 0.5, 2]", "--exact", "--json"])
    #expect(exact.output.contains("[[\"6\", \"6\", \"36\"], [\"24\", \"15\", \"72\"]]"), "\(exact.output)")
}

@Test func aLoopThatBranchesIsDifferentiatedInOneLoopWithoutATape() throws {
    // W5's shape: the reverse loop runs inside the forward loop and tests the branch decision where it is made,
    // so the gradient is one function and records nothing. ∂/∂x of Σ (x[i]² if x[i] > 0 else −3·x[i]) is 2x[i]
    // or −3; compiled equals the interpreter, with every element positive, none, and x empty.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-branch-\(UUID().uuidString).adj")
    try """
    @differentiable
    func p(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<size(x) {
            if x[i] > 0 {
                s += x[i] * x[i]
            } else {
                s -= 3 * x[i]
            }
        }
        return s
    }
    """.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift", "--no-runtime"])
    #expect(swift.output.contains("func pValueAndGradient0(x: Tensor, head0: Double)"), "\(swift.output)")
    #expect(!swift.output.contains("Tapes") && !swift.output.contains(".push("), "\(swift.output)")
    for x in ["[0.5, -1.25, 2, 0, -0.75, 3.5]", "[1, 2]", "[-1, -2]", "zeros(0)"] {
        let arguments = ["grad", url.path, "-f", "p", "--arg", "x=\(x)"]
        let compiled = try runAdjoint(arguments + ["--compiled"])
        let interpreted = try runAdjoint(arguments + ["--json"])
        #expect(compiled.status == 0, "\(compiled.output)")
        #expect(compiled.output == interpreted.output, "x = \(x)")
    }
    let exact = try runAdjoint(["grad", url.path, "-f", "p", "--arg", "x=[0.5, -1.25, 2, 0, -0.75, 3.5]", "--exact", "--json"])
    #expect(exact.output.contains("[\"1\", \"-3\", \"4\", \"-3\", \"-3\", \"7\"]"), "\(exact.output)")
}

@Test func hessianVectorProductsCompiledEqualTheInterpreter() throws {
    // W7 in its three source forms: one loop computes the gradient and its tangent, two spans each with an add at
    // i and one at i + 1 kept pending, which the body makes interleaved (W7c's made the add at i + 1 first, and
    // the pending value was overwritten before the add at i took it: the compiled H·v was wrong by 3e-4).
    for (file, function) in [("W7_hvp", "w7_gradient_dot"), ("W7b_hvp_reads_again", "w7b_gradient_dot"),
                             ("W7c_hvp_read_once", "w7c_gradient_dot")] {
        let path = packageRoot.appendingPathComponent("benchmarks/workloads/\(file).adj").path
        let arguments = ["grad", path, "-f", function, "--wrt", "x", "--arg", "x=[0.5, 0.7, 1.1, -0.3, 0.2]",
                         "--arg", "v=[1, 2, 3, 4, 5]"]
        let compiled = try runAdjoint(arguments + ["--compiled"])
        let interpreted = try runAdjoint(arguments + ["--json"])
        #expect(compiled.status == 0, "\(compiled.output)")
        #expect(compiled.output == interpreted.output, "\(file)")
        let exact = try runAdjoint(arguments + ["--exact", "--json"])
        #expect(exact.output.contains("[\"-378\", \"-340\", \"3002\", \"200\", \"1480\"]"), "\(exact.output)")
    }
    // A v of another shape, broadcast: the value's sum is the caller's, through the tangent called as written
    // (`AccumulatedProducts` made a copy that sums ∇f·v where it is made, for a v of x's shape only).
    let path = packageRoot.appendingPathComponent("benchmarks/workloads/W7_hvp.adj").path
    let broadcast = ["grad", path, "-f", "w7_gradient_dot", "--wrt", "x", "--arg", "x=[0.5, 0.7, 1.1, -0.3, 0.2]",
                     "--arg", "v=[2]"]
    let compiled = try runAdjoint(broadcast + ["--compiled"])
    let interpreted = try runAdjoint(broadcast + ["--json"])
    #expect(compiled.status == 0 && compiled.output == interpreted.output, "\(compiled.output)")
    #expect(interpreted.output.contains("\"value\": 689.6"), "\(interpreted.output)")
}

@Test func longChainsOfOneUseValuesAreNotOneExpression() throws {
    // Sixty terms summed: each partial sum is read once, so each could be written inline in the next, and the
    // whole sum was one line (65,000 characters in the benchmark's straight-line function, quadratic to build
    // and slow for swiftc). Nesting stops at `inlineDepth`; the compiled gradient is still the interpreter's.
    let terms = (1...60).map { "x * \($0).5" }.joined(separator: " + ")
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-chain-\(UUID().uuidString).adj")
    try "@differentiable\nfunc f(x: Real) -> Real {\n    return \(terms)\n}\n".write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift", "--no-runtime"])
    #expect(swift.status == 0)
    let generated = swift.output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
    let longest = generated.map(\.count).max() ?? 0
    #expect(longest < 300, "\(generated.first { $0.count == longest } ?? "")")
    let arguments = ["grad", url.path, "-f", "f", "--arg", "x=0.75"]
    let compiled = try runAdjoint(arguments + ["--compiled"])
    let interpreted = try runAdjoint(arguments + ["--json"])
    #expect(compiled.status == 0, "\(compiled.output)")
    #expect(compiled.output == interpreted.output)
}

@Test func squareDotIsOnePassAndEqualsTheInterpreter() throws {
    // The gradient of `c * dot(x, x)` makes the value and 2c·x in one pass (`squareDot`), summing in `dot`'s order:
    // the compiled gradient prints the interpreter's JSON bit for bit; a matrix takes the general path, with the
    // same result for a 1×1 matrix and the same error (toReal's, at its place) for a 2×2 one.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-square-\(UUID().uuidString).adj")
    try "@differentiable\nfunc f(x: Tensor) -> Real {\n    return 0.3 * dot(x, x)\n}\n"
        .write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift", "--no-runtime"])
    #expect(swift.output.contains("squareDot(x, head: "), "\(swift.output)")
    for x in ["[0.7, 1.1, 2.3, 0.9, 1.3]", "zeros(0)", "[[3.0]]", "[[1, 2], [3, 4]]"] {
        let arguments = ["grad", url.path, "-f", "f", "--arg", "x=\(x)"]
        let compiled = try runAdjoint(arguments + ["--compiled"])
        let interpreted = try runAdjoint(arguments + ["--json"])
        #expect(compiled.status == interpreted.status, "x = \(x): \(compiled.output) | \(interpreted.output)")
        if interpreted.status == 0 {
            #expect(compiled.output == interpreted.output, "x = \(x)")
        } else {
            #expect(compiled.output.contains(":3:") && compiled.output.contains("expected a Real"), "\(compiled.output)")
            #expect(interpreted.output.contains(":3:") && interpreted.output.contains("expected a Real"), "\(interpreted.output)")
        }
    }
}

@Test func branchArgumentsAreAssignedOneByOneInAnOrderThatReadsOldValues() throws {
    // A back edge passes values to a loop's variables: written as separate assignments, the variable read by
    // another assignment goes last (b = a before a = a2), and a swap, which no order serves, stays one tuple
    // assignment. The compiled gradient equals the interpreter's bit for bit.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-copies-\(UUID().uuidString).adj")
    try """
    func f(x: Real, y: Real) -> Real {
        var a = x
        var b = y
        var c = 1.0
        for i in 0..<5 {
            let t = a
            a = b * 0.5 + c
            b = t
            c = c * 0.9 - b
        }
        var u = a
        var v = b
        for i in 0..<3 {
            let w = u
            u = v
            v = w
        }
        return a * u - b * v + c
    }
    """.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let swift = try runAdjoint(["compile", url.path, "--emit", "swift", "--no-runtime"]).output
    let primal = try #require(swift.range(of: "public func f(").map { String(swift[$0.lowerBound...]) })
    let lines = primal.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let (b, a) = (try #require(lines.firstIndex(of: "b = a")), try #require(lines.firstIndex(of: "a = a2")))
    #expect(b < a, "\(primal)")
    #expect(lines.contains("(u, v) = (v, u)"), "\(primal)")
    let arguments = ["grad", url.path, "-f", "f", "--arg", "x=0.3", "--arg", "y=-1.7", "--head", "2.5"]
    let compiled = try runAdjoint(arguments + ["--compiled"])
    let interpreted = try runAdjoint(arguments + ["--json"])
    #expect(compiled.status == 0 && compiled.output == interpreted.output, "\(compiled.output) \(interpreted.output)")
}
