// Compiler throughput: generated `.adj` programs of about 1k, 10k and 100k statements, in three
// shapes, timed through `adjoint compile` (one process per program, wall clock, so the figure
// includes starting the CLI) and, for the sizes that fit in a few minutes, `swiftc -O -wmo` of the
// generated Swift beside the runtime (less the time to compile the runtime alone).
//
// Shapes (every function @differentiable, so each compile also differentiates it):
// - straight-line: functions of 100 statements (99 `let`s mixing + - * /, sin, exp, tanh, each
//   reading the two before it, and a `return`);
// - straight-line, one function: the same statements in a single function, which shows whether a
//   pass is superlinear in a function's size;
// - loop-heavy: functions of 102 statements: `var s`, ten blocks of a `for` over a tensor whose
//   body holds an `if`/`else` and a counted `while`, and a `return` (statements inside loops and
//   branches count one each, as do the `for`, `if` and `while` themselves).
import Foundation

enum ProgramShape: String, CaseIterable {
    case straight = "straight-line"
    case straightOneFunction = "straight-line, one function"
    case loops = "loop-heavy"
}

struct GeneratedProgram {
    let shape: ProgramShape
    let statements: Int
    let source: String
}

enum ProgramGenerator {
    static func straightFunction(_ name: String, statements: Int) -> String {
        var lines = ["@differentiable", "func \(name)(x: Real, y: Real) -> Real {",
                     "    let t0 = x * y + 1", "    let t1 = x - y"]
        let lets = max(statements - 1, 2)
        for j in 2..<lets {
            let a = "t\(j - 1)", b = "t\(j - 2)"
            switch j % 5 {
            case 0: lines.append("    let t\(j) = \(a) * \(b) + 0.5")
            case 1: lines.append("    let t\(j) = sin(\(a)) - \(b)")
            case 2: lines.append("    let t\(j) = \(a) / (1 + \(b) * \(b))")
            case 3: lines.append("    let t\(j) = exp(-\(a) * \(a)) + x")
            default: lines.append("    let t\(j) = tanh(\(a)) * y - \(b)")
            }
        }
        lines.append("    return t\(lets - 1) + t\(lets / 2)")
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    static let loopBlocks = 10
    static var loopFunctionStatements: Int { 2 + 10 * loopBlocks }

    static func loopFunction(_ name: String) -> String {
        var lines = ["@differentiable", "func \(name)(x: Tensor, y: Real) -> Real {", "    var s = y"]
        for k in 0..<loopBlocks {
            lines += [
                "    for i in 0..<size(x) {",
                "        let a = x[i] * s + 0.\(k + 1)",
                "        if a > 0 {",
                "            s += sin(a)",
                "        } else {",
                "            s -= a * a",
                "        }",
                "        var j = 0",
                "        while j < 3 {",
                "            s = s * 0.5 + a",
                "            j += 1",
                "        }",
                "        s = s / (1 + s * s)",
                "    }",
            ]
        }
        lines += ["    return s", "}"]
        return lines.joined(separator: "\n")
    }

    static func program(_ shape: ProgramShape, statements: Int) -> GeneratedProgram {
        switch shape {
        case .straight:
            let functions = max(1, statements / 100)
            let text = (0..<functions).map { straightFunction("s\($0)", statements: 100) }.joined(separator: "\n\n")
            return GeneratedProgram(shape: shape, statements: functions * 100, source: text + "\n")
        case .straightOneFunction:
            return GeneratedProgram(shape: shape, statements: statements,
                                    source: straightFunction("s0", statements: statements) + "\n")
        case .loops:
            let functions = max(1, Int((Double(statements) / Double(loopFunctionStatements)).rounded()))
            let text = (0..<functions).map { loopFunction("l\($0)") }.joined(separator: "\n\n")
            return GeneratedProgram(shape: shape, statements: functions * loopFunctionStatements, source: text + "\n")
        }
    }
}

struct CompileMeasurement {
    let shape: ProgramShape
    let statements: Int
    let adjointSeconds: Double?
    let adjointError: String?
    /// swiftc -O -wmo of the generated file and the runtime, less the runtime alone; nil when skipped.
    let swiftcSeconds: Double?
    let swiftcNote: String
    var adjointMicrosecondsPerStatement: Double? { adjointSeconds.map { $0 * 1e6 / Double(statements) } }
    var swiftcMicrosecondsPerStatement: Double? { swiftcSeconds.map { $0 * 1e6 / Double(statements) } }
}

struct CompileReport {
    let adjointPath: String
    let adjointBuild: String
    let swiftcRuntimeSeconds: Double?
    let measurements: [CompileMeasurement]
}

enum CompileThroughput {
    /// Runs a command; returns its wall-clock seconds, or the reason it failed.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) -> Result<Double, CompileFailure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // stderr goes to a file, so a chatty compiler can never block on a full pipe.
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("adjoint-bench-stderr-\(ProcessInfo.processInfo.processIdentifier).txt").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        guard let errors = FileHandle(forWritingAtPath: errorPath) else {
            return .failure(CompileFailure(message: "cannot write \(errorPath)"))
        }
        defer { try? errors.close() }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let start = now()
        do { try process.run() } catch { return .failure(CompileFailure(message: "cannot run \(executable): \(error)")) }
        while process.isRunning {
            if now() - start > timeout {
                process.terminate()
                process.waitUntilExit()
                return .failure(CompileFailure(message: "over the \(Int(timeout)) s limit"))
            }
            usleep(500)
        }
        let elapsed = now() - start
        if process.terminationStatus != 0 {
            let text = ((try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
                .split(separator: "\n").prefix(3).joined(separator: " | ")
            return .failure(CompileFailure(message: "exit \(process.terminationStatus): \(text)"))
        }
        return .success(elapsed)
    }

    struct CompileFailure: Error { let message: String }

    static func findExecutable(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The Adjoint CLI: `--adjoint PATH`, else $ADJOINT, else the repository's release build, else
    /// its debug build (the repository is found from this source file's path).
    static func findAdjoint(_ explicit: String?) -> (path: String, build: String)? {
        if let p = explicit ?? ProcessInfo.processInfo.environment["ADJOINT"] {
            return (p, p.contains("/release/") ? "release" : (p.contains("/debug/") ? "debug" : "given"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for build in ["release", "debug"] {
            let p = root.appendingPathComponent(".build/\(build)/adjoint").path
            if FileManager.default.isExecutableFile(atPath: p) { return (p, build) }
        }
        return nil
    }

    static func measure(adjointPath explicit: String?, sizes: [Int], swiftcSizes: Set<Int>,
                        swiftcTimeout: Double, log: (String) -> Void) -> CompileReport? {
        guard let (adjoint, build) = findAdjoint(explicit) else {
            log("compile throughput: no adjoint CLI found (build it: swift build -c release --product adjoint)")
            return nil
        }
        let swiftc = findExecutable("swiftc")
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("adjoint-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let runtime = dir.appendingPathComponent("AdjointRuntime.swift").path
        var runtimeSeconds: Double?
        if case .success = run(adjoint, ["compile", "--emit", "runtime", "-o", runtime], timeout: 60), let swiftc {
            log("compile throughput: swiftc -O of the runtime alone ...")
            if case .success(let t) = run(swiftc, swiftcArguments([runtime], dir.appendingPathComponent("rt.o").path),
                                          timeout: swiftcTimeout) {
                runtimeSeconds = t
            }
        }
        var results: [CompileMeasurement] = []
        for shape in ProgramShape.allCases {
            for size in sizes {
                let program = ProgramGenerator.program(shape, statements: size)
                let name = "p_\(shape == .straight ? "s" : shape == .loops ? "l" : "o")\(size)"
                let adj = dir.appendingPathComponent("\(name).adj").path
                let swift = dir.appendingPathComponent("\(name).swift").path
                try? program.source.write(toFile: adj, atomically: true, encoding: .utf8)
                log("compile throughput: adjoint compile, \(shape.rawValue), \(program.statements) statements ...")
                let compiled = run(adjoint, ["compile", adj, "--no-runtime", "-o", swift], timeout: 600)
                var adjointSeconds: Double?, adjointError: String?
                switch compiled {
                case .success(let t): adjointSeconds = t
                case .failure(let f): adjointError = f.message
                }
                var swiftcSeconds: Double?
                var note = ""
                if adjointSeconds == nil {
                    note = "no Swift (adjoint compile failed)"
                } else if swiftc == nil || runtimeSeconds == nil {
                    note = "swiftc not found"
                } else if !swiftcSizes.contains(size) {
                    note = "not run (--swiftc-sizes)"
                } else if shape == .straightOneFunction, size > swiftcSizes.min()! {
                    note = "not run (one function: smallest size only)"
                } else {
                    log("compile throughput: swiftc -O, \(shape.rawValue), \(program.statements) statements ...")
                    switch run(swiftc!, swiftcArguments([swift, runtime], dir.appendingPathComponent("\(name).o").path),
                               timeout: swiftcTimeout) {
                    case .success(let t): swiftcSeconds = max(0, t - runtimeSeconds!)
                    case .failure(let f): note = f.message
                    }
                }
                results.append(CompileMeasurement(shape: shape, statements: program.statements,
                                                  adjointSeconds: adjointSeconds, adjointError: adjointError,
                                                  swiftcSeconds: swiftcSeconds, swiftcNote: note))
            }
        }
        return CompileReport(adjointPath: adjoint, adjointBuild: build, swiftcRuntimeSeconds: runtimeSeconds,
                             measurements: results)
    }

    /// As `adjoint run` builds a program: optimized, whole module; an object file, not linked.
    static func swiftcArguments(_ files: [String], _ output: String) -> [String] {
        ["-O", "-wmo", "-parse-as-library", "-module-name", "Generated", "-c"] + files + ["-o", output]
    }
}
