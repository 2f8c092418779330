// The gradient of a loop does the work a person would write: no tensor made and no tensor copied
// per iteration, however the program spells its reads (issue 13). Deterministic, not a timing: the
// runtime compiled with `-D ADJOINT_COUNTING` counts the tensors it makes and the in-place updates
// that had to copy a shared buffer first, and each gradient must count the same at n = 100 as at
// n = 10,000.
import Foundation
import Testing
@testable import AdjointDriver

/// Each loop workload of the benchmark suite, and the same computation spelled as a new user might.
private let loopPrograms: [(name: String, source: String, call: @Sendable (Int) -> String)] = [
    ("W3 as benchmarked", try! String(contentsOf: packageRoot.appendingPathComponent("benchmarks/workloads/W3_rosenbrock.adj"),
                                      encoding: .utf8), { n in "w3_rosenbrockGradient(x: input(\(n)))" }),
    ("W3 reading x[i] once", """
     @differentiable
     func w3_once(x: Tensor) -> Real {
         var s = 0.0
         for i in 0..<size(x) - 1 {
             let xi = x[i]
             let a = x[i + 1] - xi * xi
             s += 100 * a * a + (1 - xi) * (1 - xi)
         }
         return s
     }
     """, { n in "w3_onceGradient(x: input(\(n)))" }),
    ("W3 in one expression", """
     @differentiable
     func w3_inline(x: Tensor) -> Real {
         var s = 0.0
         for i in 0..<size(x) - 1 {
             s += 100 * (x[i + 1] - x[i] ^ 2) ^ 2 + (1 - x[i]) ^ 2
         }
         return s
     }
     """, { n in "w3_inlineGradient(x: input(\(n)))" }),
    ("W4 as benchmarked", try! String(contentsOf: packageRoot.appendingPathComponent("benchmarks/workloads/W4_logistic.adj"),
                                      encoding: .utf8), { n in "w4_logisticGradient(x0: 0.3, r: 3.2, n: \(n))" }),
    ("W5 as benchmarked", try! String(contentsOf: packageRoot.appendingPathComponent("benchmarks/workloads/W5_piecewise.adj"),
                                      encoding: .utf8), { n in "w5_piecewiseGradient(x: input(\(n)))" }),
    ("W5 reading x[i] in each branch", """
     @differentiable
     func w5_reread(x: Tensor) -> Real {
         var s = 0.0
         for i in 0..<size(x) {
             if x[i] > 0 {
                 s += x[i] * x[i]
             } else {
                 s -= sin(x[i])
             }
         }
         return s
     }
     """, { n in "w5_rereadGradient(x: input(\(n)))" }),
    ("W5 writing into a tensor", """
     @differentiable
     func w5_update(x: Tensor) -> Real {
         var y = zeros_like(x)
         for i in 0..<size(x) {
             if x[i] > 0 {
                 y[i] = x[i] * x[i]
             } else {
                 y[i] = -sin(x[i])
             }
         }
         return sum(y)
     }
     """, { n in "w5_updateGradient(x: input(\(n)))" }),
    ("W7 as benchmarked", try! String(contentsOf: packageRoot.appendingPathComponent("benchmarks/workloads/W7_hvp.adj"),
                                      encoding: .utf8), { n in "w7_gradient_dotGradient(x: input(\(n)), v: Tensor(Array(repeating: 1.0, count: \(n))))" }),
    // The primal makes tensors itself here (a row, a product): its gradient may make a bounded number more
    // per iteration (checked below), and copies none.
    ("rows with ':'", """
     @differentiable
     func row_sums(m: Tensor) -> Real {
         var s = 0.0
         for i in 0..<dim(m, 0) {
             s += sum(m[i, :] * m[i, :])
         }
         return s
     }
     """, { n in "row_sumsGradient(m: input(\(n)).reshaped(\(n), 1))" }),
]

/// Random loop programs (seeded, so the test is the same every run): a loop over `x` whose body reads
/// `x[i]` and its neighbours in expressions of random shape, keeps Reals across iterations, branches on
/// the data, and sometimes writes or adds into a tensor of x's shape; the gradient must make and copy as
/// many tensors at n = 100 as at n = 10,000, like the workloads.
private func randomLoopPrograms(count: Int, seed: UInt64) -> [(name: String, source: String, call: @Sendable (Int) -> String)] {
    var state = seed
    func below(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
    func pick(_ choices: [String]) -> String { choices[below(choices.count)] }
    return (0..<count).map { k in
        let name = "random_loop\(k)"
        var scalars = ["s"]
        let reads = ["x[i]", "x[i - 1]", "x[i + 1]"]
        /// An expression of the reads, the Reals so far and constants, at most `depth` operations deep.
        func expression(_ depth: Int) -> String {
            if depth == 0 || below(4) == 0 {
                return below(3) == 0 ? pick(scalars.map { "(0.5 * \($0))" } + ["0.5", "2.0"]) : pick(reads)
            }
            switch below(6) {
            case 0: return "(\(expression(depth - 1)) + \(expression(depth - 1)))"
            case 1: return "(\(expression(depth - 1)) - \(expression(depth - 1)))"
            case 2, 3: return "\(expression(depth - 1)) * \(expression(depth - 1))"
            case 4: return "\(pick(["sin", "tanh", "cos"]))(\(expression(depth - 1)))"
            default: return "\(expression(depth - 1)) ^ 2"
            }
        }
        let writes = below(2) == 0
        var body: [String] = []
        for j in 0..<(1 + below(3)) {
            switch below(4) {
            case 0:
                body.append("let a\(j) = \(expression(2))")
                scalars.append("a\(j)")
            case 1:
                body += ["if \(pick(reads)) > \(pick(["0.9", "1.0", "1.2"])) {", "    s += \(expression(2))",
                         "} else {", "    s -= \(expression(2))", "}"]
            case 2 where writes:
                body.append("y[i\(pick(["", " - 1", " + 1"]))] \(pick(["=", "+="])) \(expression(2))")
            default:
                body.append("s = 0.5 * s + \(expression(2))")
            }
        }
        body.append("s += \(expression(1)) * 0.001")
        let source = (["@differentiable", "func \(name)(x: Tensor) -> Real {", "    var s = 0.0"]
            + (writes ? ["    var y = zeros_like(x)"] : [])
            + ["    for i in 1..<size(x) - 1 {"] + body.map { "        " + $0 } + ["    }",
               "    return s\(writes ? " + sum(y * y)" : "")", "}"]).joined(separator: "\n")
        return ("random loop \(k)", source, { n in "\(name)Gradient(x: input(\(n)))" })
    }
}

/// The programs whose primal makes tensors in its loop, with the call of the primal.
private let primalCalls: [String: @Sendable (Int) -> String] = [
    "rows with ':'": { n in "row_sums(m: input(\(n)).reshaped(\(n), 1))" },
]

@Test func loopGradientsMakeAndCopyNoTensorPerIteration() throws {
    var declarations = "import Foundation\n"
    var statements = """
    func input(_ n: Int) -> Tensor { Tensor((0..<n).map { 0.5 + 0.0001 * Double($0) }) }
    extension Tensor { func reshaped(_ a: Int, _ b: Int) -> Tensor { Tensor(shape: [a, b], scalars: scalars) } }

    """
    let programs = loopPrograms + randomLoopPrograms(count: 12, seed: 2026)
    for (i, program) in programs.enumerated() {
        let compilation = try compile(program.source, path: "program\(i).adj")
        declarations += try compilation.swiftSource(includeRuntime: false, entryPoint: false, namespace: "Program\(i)") + "\n"
        for n in [100, 10_000] {
            let primal = primalCalls[program.name].map { call in
                "StorageCounters.reset()\n_ = Program\(i).\(call(n))\nlet primal\(i)_\(n) = StorageCounters.tensors\n"
            } ?? "let primal\(i)_\(n) = 0\n"
            statements += primal + """
            StorageCounters.reset()
            _ = Program\(i).\(program.call(n))
            print(\(i), \(n), StorageCounters.tensors, StorageCounters.copies, primal\(i)_\(n))

            """
        }
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-counting-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var paths: [String] = []
    for (name, text) in [("programs.swift", declarations), ("runtime.swift", try Compilation.runtimeFile()),
                         ("main.swift", statements)] {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        paths.append(url.path)
    }
    let binary = directory.appendingPathComponent("counting")
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments:
        ["swiftc", "-O", "-wmo", "-suppress-warnings", "-D", "ADJOINT_COUNTING"] + paths + ["-o", binary.path], errors: true)
    try #require(status == 0, "\(output.prefix(3000))")
    let (runStatus, printed) = try SwiftBuild.capture(binary, errors: true)
    try #require(runStatus == 0, "\(printed.prefix(3000))")
    let rows = printed.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
    try #require(rows.count == 2 * programs.count, "\(printed)")
    for (i, program) in programs.enumerated() {
        let small = rows[2 * i], large = rows[2 * i + 1]
        if primalCalls[program.name] != nil {
            // Per iteration the primal makes its row (the product is summed without a tensor: sumOfProducts) and the
            // gradient at most four: the row and the product again, recorded (the product for its shape, which
            // the adjoint fits to), then h times the row and the row's adjoint.
            let primalPerIteration = Double(large[4] - small[4]) / 9_900, gradientPerIteration = Double(large[2] - small[2]) / 9_900
            #expect(primalPerIteration == 1 && gradientPerIteration <= 4,
                    "\(program.name): \(gradientPerIteration) tensors per iteration, the primal \(primalPerIteration)")
        } else {
            #expect(small[2] == large[2], "\(program.name): \(small[2]) tensors made at n = 100, \(large[2]) at n = 10,000")
        }
        #expect(small[3] == large[3], "\(program.name): \(small[3]) copies at n = 100, \(large[3]) at n = 10,000")
    }
}
