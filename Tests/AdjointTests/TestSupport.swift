// Test support: locating the package's files and compiling source text in memory.
import Foundation
import AdjointBasic
@testable import AdjointDriver

/// The package root, found from this file's path (tests never read ../shared).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `.adj` files of a folder of the package, sorted by name.
func adjFiles(in folder: String) -> [URL] {
    let directory = packageRoot.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".adj") }.sorted().map { directory.appendingPathComponent($0) }
}

/// Compiles source text; a user error comes back as its rendered text.
func compile(_ source: String, path: String = "test.adj") throws -> Compilation {
    try Compilation(SourceFile(path: path, text: source))
}

/// The rendered diagnostics of source text that must not compile.
func diagnostics(of source: String) -> String? {
    do {
        _ = try compile(source)
        return nil
    } catch let error as DriverError {
        return error.description
    } catch {
        return "unexpected error \(error)"
    }
}

/// Evaluates a function of source text; returns the printed value and the program's own output lines.
func evaluate(_ source: String, _ function: String, _ arguments: [(String, String)] = [],
              engine: Engine = .double, seed: Int = 0) throws -> EvalResult {
    let request = EvalRequest(function: function, arguments: arguments.map { (name: $0.0, expression: $0.1) },
                              seed: seed, engine: engine)
    return try compile(source).evaluate(request) { _ in }
}

/// The `// expect:` lines of a source file, in order.
func expectations(in source: String, prefix: String = "// expect: ") -> [String] {
    source.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { $0.hasPrefix(prefix) }
        .map { String($0.dropFirst(prefix.count)) }
}

/// The built `adjoint` executable: beside the test binary, or in the package's debug build folder.
func adjointExecutable() throws -> URL {
    let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [besideTests, besideTests.deletingLastPathComponent(),
                      packageRoot.appendingPathComponent(".build/debug")].map { $0.appendingPathComponent("adjoint") }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile)
    }
    return found
}

/// Runs `adjoint` with arguments (in `directory`, if given); returns the exit status and stdout followed by stderr.
func runAdjoint(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = try adjointExecutable()
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self) + String(decoding: stderr, as: UTF8.self))
}

/// The chapter's while/if function g (D2L 2.5.3), shared by the tests that need it.
let chapterControlFlowSource = """
func g(a: Tensor) -> Tensor {
    var b = a * 2
    while norm(b) < 1000 {
        b = b * 2
    }
    var c = b
    if sum(b) <= 0 {
        c = 100 * b
    }
    return c
}
"""
