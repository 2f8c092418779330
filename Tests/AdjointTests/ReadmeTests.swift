// The README's listings, reproduced: every `$ adjoint ...` session, the IR and adjoint IR of the chapter's
// `g`, and the generated Swift shown, so that no listing can go stale (issue 17). `reproduceSessions(of:)`
// also checks docs/REFERENCE.md's sessions (ReferenceTests.swift).
import Foundation
import Testing
import AdjointBasic
@testable import AdjointDriver

/// The fenced code blocks of a markdown file of the package (by default the README), in order,
/// without their fences.
func markdownBlocks(_ file: String = "README.md") throws -> [String] {
    let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
    var blocks: [String] = []
    var current: [Substring]? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("```") {
            if let lines = current { blocks.append(lines.joined(separator: "\n") + "\n") }
            current = current == nil ? [] : nil
        } else {
            current?.append(line)
        }
    }
    return blocks
}

/// The README's fenced code blocks.
private func readmeBlocks() throws -> [String] {
    try markdownBlocks("README.md")
}

/// Splits a command line as a POSIX shell would for the simple forms the README uses: words, and
/// single-quoted strings taken literally.
private func shellWords(_ line: String) -> [String] {
    var words: [String] = []
    var word = ""
    var quoted = false
    var inWord = false
    for c in line {
        if c == "'" { quoted.toggle(); inWord = true; continue }
        if c == " " && !quoted {
            if inWord { words.append(word) }
            word = ""
            inWord = false
            continue
        }
        word.append(c)
        inWord = true
    }
    if inWord { words.append(word) }
    return words
}

@Test("README shell sessions print what the tool prints")
func readmeSessionsAreReproduced() throws {
    #expect(try reproduceSessions(of: "README.md") >= 5)
}

/// Runs every shell session of a markdown file of the package (a fenced block whose first line starts
/// with `$ `) and expects each command to print exactly the lines that follow it, stdout then stderr.
/// `$ cat FILE` writes the lines that follow it to FILE, `$ echo $?` expects the previous command's exit
/// status; a trailing backslash continues a command. Each session runs in a scratch folder of its own
/// that sees the package's `examples` and `Tests`. Returns the number of sessions.
@discardableResult
func reproduceSessions(of file: String) throws -> Int {
    let sessions = try markdownBlocks(file).filter { $0.hasPrefix("$ ") }
    for session in sessions {
        // A scratch folder that sees the repository's examples and tests, and the files `$ cat` shows.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for folder in ["examples", "Tests"] {
            try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(folder),
                                                       withDestinationURL: packageRoot.appendingPathComponent(folder))
        }
        // Commands (continued by a trailing backslash) and the lines each prints.
        var steps: [(command: String, output: [String])] = []
        var continuing = false
        for line in session.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if continuing {
                steps[steps.count - 1].command += " " + line.trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("$ ") {
                steps.append((String(line.dropFirst(2)), []))
            } else {
                steps[steps.count - 1].output.append(String(line))
            }
            continuing = steps.last?.command.hasSuffix("\\") == true && line.hasSuffix("\\")
            if continuing { steps[steps.count - 1].command.removeLast() }
        }
        var status: Int32 = 0
        for step in steps {
            let expected = step.output.map { $0 + "\n" }.joined()
            let words = shellWords(step.command)
            switch words.first {
            case "cat":
                try expected.write(to: directory.appendingPathComponent(words[1]), atomically: true, encoding: .utf8)
            case "echo":
                #expect(expected == "\(status)\n", "\(file): \(step.command)")
            case "swift":
                // `swift run --package-path examples/LinearRegression`: a package build of its own, which CI
                // runs; its own tests check the training it prints.
                #expect(step.command.contains("--package-path examples/"), "\(file): \(step.command)")
            default:
                #expect(words.first == "adjoint", "\(file): \(step.command)")
                let (code, output) = try runAdjoint(Array(words.dropFirst()), in: directory)
                status = code
                #expect(output == expected, "\(file): \(step.command)")
            }
        }
    }
    return sessions.count
}

@Test("README IR, adjoint IR and Swift listings come from the tool")
func readmeListingsAreReproduced() throws {
    let compilation = try Compilation(path: packageRoot.appendingPathComponent("examples/chapter_control_flow.adj").path)
    let ir = try Stage.ir.emit(compilation)
    let adjointIR = try Stage.adjointIR.emit(compilation)
    let swift = try compilation.swiftSource()
    var checked = 0
    for block in try readmeBlocks() {
        // IR (not `.adj` source): `func @name` or an attribute with parameter numbers, `@differentiable(0)`.
        if block.hasPrefix("func @") || (block.hasPrefix("@differentiable(") && block.dropFirst(16).first?.isNumber == true) {
            #expect(ir.contains(block) || adjointIR.contains(block), "\(block.prefix(200))")
            checked += 1
        } else if block.hasPrefix("public func ") {
            // A whole function, or a signature alone.
            #expect(swift.contains(block) || swift.contains(block.trimmingCharacters(in: .newlines) + " {"),
                    "\(block.prefix(200))")
            checked += 1
        }
    }
    // The generated W3 gradient of "Measured" (its sweeps fused), as `benchmarks/generate.sh` compiles the
    // workload (the file path is relative there, so the quoted sites read the same).
    let w3 = try Compilation(SourceFile(path: "W3_rosenbrock.adj", text: String(contentsOf:
        packageRoot.appendingPathComponent("benchmarks/workloads/W3_rosenbrock.adj"), encoding: .utf8)))
    let w3Swift = try w3.swiftSource(includeRuntime: false, entryPoint: false)
    for block in try readmeBlocks() where block.hasPrefix("func w3_rosenbrockValueAndGradient0") {
        #expect(w3Swift.contains(block), "\(block.prefix(200))")
        checked += 1
    }
    #expect(checked >= 5)
    // The example in "Two commands".
    let blocks = try readmeBlocks()
    let example = try #require(blocks.first { $0.hasPrefix("swift run adjoint grad") })
    let lines = example.split(separator: "\n")
    let (_, output) = try runAdjoint(shellWords(String(lines[0].dropFirst("swift run adjoint ".count))), in: packageRoot)
    #expect("# " + output == String(lines[1]) + "\n")
}

@Test("README programs and their outputs are the examples'")
func readmeProgramsAreTheExamples() throws {
    let examples = packageRoot.appendingPathComponent("examples")
    let names = try FileManager.default.contentsOfDirectory(atPath: examples.path)
    func joined(_ suffixes: [String]) throws -> String {
        try names.filter { n in suffixes.contains { n.hasSuffix($0) } }.sorted()
            .map { try String(contentsOf: examples.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }
    let sources = try joined([".adj"]), outputs = try joined([".out"])
    var checked = 0
    for block in try readmeBlocks() {
        // Chapter programs (the examples' own text, which the example tests run) and what they print.
        let isProgram = block.hasPrefix("@differentiable\n") || block.hasPrefix("@differentiable(wrt:")
            || (block.hasPrefix("// ") && block.contains("\nfunc "))
        let isOutput = block.hasPrefix("[[") || block.hasPrefix("in main,")
        if isProgram {
            // An example's text, or a program of its own that compiles and whose main() runs.
            if !sources.contains(block) {
                let compilation = try compile(block, path: "readme.adj")
                if compilation.lowered.function(named: "main") != nil {
                    _ = try compilation.evaluate(EvalRequest(function: "main", arguments: [])) { _ in }
                }
            }
            checked += 1
        } else if isOutput {
            #expect(outputs.contains(block), "\(block.prefix(200))")
            checked += 1
        }
    }
    #expect(checked >= 8)
}
