// The `adjoint` executable: argument parsing only, on the `Adjoint` library (the one packages
// use in their tests), so the tool and the library say the same things.
//
// Exit statuses (spec §9): 0 success, 1 an error in the user's program or inputs,
// 2 a malformed command line, 3 an internal error. swift-argument-parser's own
// usage errors would exit 64, so they are caught and mapped to 2 here.
import ArgumentParser
import Adjoint
import Foundation

/// Why the command stops: a message for stderr (may be empty) and the exit status.
struct Failure: Error {
    var message: String
    var exitStatus: Int32

    /// A malformed command line (exit status 2).
    static func usage(_ message: String) -> Failure { Failure(message: "error: \(message)", exitStatus: 2) }
    /// Something wrong with the program or its inputs (exit status 1).
    static func user(_ message: String) -> Failure { Failure(message: message, exitStatus: 1) }
    /// The library's error, as the library words it.
    init(_ error: AdjointError) { self.init(message: error.description, exitStatus: error.exitStatus) }
    init(message: String, exitStatus: Int32) {
        self.message = message
        self.exitStatus = exitStatus
    }
}

/// Runs a library call; its errors become this command's failure.
func library<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as AdjointError { throw Failure(error) }
}

struct Adjoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjoint",
        abstract: "A source-to-source differentiation compiler for the Adjoint language.",
        subcommands: [Compile.self, Run.self, Eval.self, Grad.self, Check.self, Plot.self])
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile .adj files to Swift, or print an intermediate form.")

    @Argument(help: "The .adj files to compile.")
    var files: [String] = []

    @Option(name: .customLong("emit"), help: "What to write: \(Program.Form.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: String = Program.Form.swift.rawValue

    @Flag(help: "Swift without the runtime and without a call of main(), for a module that adds both.")
    var noRuntime = false

    @Option(name: .short, help: "Write to this file, or, for Swift, this directory (NAME.swift per input and AdjointRuntime.swift).")
    var output: String?

    @Flag(help: "Run the IR verifier after every pass (a failure names the pass: a compiler bug).")
    var verifyEach = false

    @Option(help: "Print the IR to stderr after this pass (repeatable): a pass of the optimization pipeline, or differentiate.")
    var printAfter: [String] = []

    func run() throws {
        guard let form = Program.Form(rawValue: emit) else {
            throw Failure.usage("--emit \(emit) is not available; this version emits: "
                                + Program.Form.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if form == .runtime {
            try writeOutput(try library { try Program.runtimeSource() }, to: output)
            return
        }
        guard !files.isEmpty else { throw Failure.usage("no input files") }
        let programs = try files.map { path in
            try library {
                try Program(path: path, verifyEach: verifyEach, printAfter: printAfter) { text in
                    FileHandle.standardError.write(Data(text.utf8))
                }
            }
        }
        if form == .swift, noRuntime {
            guard programs.count == 1 else { throw Failure.usage("--no-runtime takes one input") }
            try writeOutput(try library { try programs[0].swiftSource(includeRuntime: false, entryPoint: false) }, to: output)
            return
        }
        if form == .swift, let output, !output.hasSuffix(".swift") {
            try writeSwiftDirectory(programs, to: output)
            return
        }
        if form == .swift, programs.count > 1 {
            throw Failure.usage("several inputs compile to a directory: give -o DIR")
        }
        var text = ""
        for program in programs { text += try library { try program.emit(form) } }
        try writeOutput(text, to: output)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run main(): as Swift compiled with swiftc -O, or exactly with --exact.")

    @Argument(help: "The .adj file.")
    var file: String

    @Flag(help: "Evaluate with exact rationals (GMP) instead of compiling.")
    var exact = false

    @Option(help: "The seed of random_normal and random_uniform.")
    var seed: Int = 0

    @OptionGroup var limit: ExactLimitOption

    func run() throws {
        let program = try library { try Program(path: file) }
        guard program.functionNames.contains("main") else {
            throw Failure.user("\(file): error: no function named 'main' to run")
        }
        if exact {
            _ = try library {
                try program.evaluate("main", orderedArguments: [], exact: true, seed: seed, maxBits: limit.maxBits) { print($0) }
            }
            return
        }
        let status = try library { try program.runCompiled(seed: seed) }
        if status != 0 { throw Failure.user("") }
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate one function of an .adj file.")

    @Argument(help: "The .adj file.")
    var file: String

    @Option(name: .short, help: "The function to evaluate.")
    var function: String

    @OptionGroup var program: ProgramOptions

    @Flag(help: "Print {\"value\": V} as JSON; the program's own output goes to stderr.")
    var json = false

    func run() throws {
        let arguments = try parseArguments(program.arguments)
        let source = try library { try Program(path: file) }
        let value = try library {
            try source.evaluate(function, orderedArguments: arguments, exact: program.exact, seed: program.seed,
                                maxBits: program.limit.maxBits, output: programOutput(json: json))
        }
        if json {
            print("{\"value\": \(value.isVoid ? "null" : value.description)}")
        } else if !value.isVoid {
            print(value.printed)
        }
    }
}

struct Grad: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate one function and its gradient.")

    @Argument(help: "The .adj file.")
    var file: String

    @Option(name: .short, help: "The function to differentiate.")
    var function: String

    @Option(help: "The parameters to differentiate, comma-separated (default: every Real and Tensor parameter).")
    var wrt: String?

    @Option(help: "The head gradient (default: ones_like of the result).")
    var head: String?

    @OptionGroup var program: ProgramOptions

    @Flag(help: "Print {\"value\": V, \"gradient\": {...}} as JSON; the program's own output goes to stderr.")
    var json = false

    @Flag(help: "Report to stderr the branches and loops taken and every kink or tie met.")
    var explain = false

    @Flag(help: "Run the generated Swift (compiled with swiftc -O) instead of the interpreter.")
    var compiled = false

    func run() throws {
        let names = wrt.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let names, names.isEmpty || names.contains("") { throw Failure.usage("--wrt expects P,Q,...") }
        let arguments = try parseArguments(program.arguments)
        let source = try library { try Program(path: file) }
        if compiled {
            guard !program.exact else {
                throw Failure.usage("--compiled runs Double code: it cannot be combined with --exact")
            }
            let (json, report) = try library {
                try source.compiledGradient(function, orderedArguments: arguments, wrt: names, head: head,
                                            seed: program.seed, explain: explain)
            }
            print(json)
            if let report { FileHandle.standardError.write(Data(report.utf8)) }
            return
        }
        let result = try library {
            try source.gradient(function, orderedArguments: arguments, wrt: names, head: head, exact: program.exact,
                                seed: program.seed, explain: explain, maxBits: program.limit.maxBits,
                                output: programOutput(json: json))
        }
        if json {
            print(result.json)
        } else {
            print("value: \(result.value.printed)")
            for (name, value) in result.components { print("d/d\(name): \(value.printed)") }
        }
        if let report = result.explanation { FileHandle.standardError.write(Data(report.utf8)) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check derivatives: forward against reverse mode (dot-product test) and finite differences.")

    @Argument(help: "The .adj file.")
    var file: String

    @Option(name: .short, help: "The function to check (default: every @differentiable function).")
    var function: String?

    @Option(name: .customLong("arg"), help: "A parameter's value as P=EXPR; Reals without one get random rationals.")
    var arguments: [String] = []

    @Option(help: "The seed of the random arguments and directions.")
    var seed: Int = 0

    @OptionGroup var limit: ExactLimitOption

    @Flag(help: "Print {\"checks\": [...], \"passed\": B} as JSON, each check with its status, points and excluded components.")
    var json = false

    func run() throws {
        let program = try library { try Program(path: file) }
        let given = try parseArguments(arguments)
        let report = try library { try program.check(function, orderedArguments: given, seed: seed, maxBits: limit.maxBits) }
        if json {
            print(report.json)
        } else {
            for line in report.lines { print(line) }
        }
        if !report.passed { throw Failure.user("") }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a Real -> Real function (and with --derivative its derivative, by the adjoint) as SVG.")

    @Argument(help: "The .adj file.")
    var file: String

    @Option(name: .short, help: "The function to draw.")
    var function: String

    @Option(parsing: .unconditional, help: "The left end of the x range.")
    var from: Double

    @Option(parsing: .unconditional, help: "The right end of the x range.")
    var to: Double

    @Option(name: .short, help: "How many points to sample.")
    var n: Int = 200

    @Flag(help: "Also draw the derivative, computed by reverse mode.")
    var derivative = false

    @Option(name: .short, help: "The SVG file to write.")
    var output: String

    func run() throws {
        let program = try library { try Program(path: file) }
        let svg = try library { try program.plot(function, from: from, to: to, points: n, derivative: derivative) }
        try writeOutput(svg, to: output)
    }
}

/// Where the program's own `print` lines go: stdout, or stderr when stdout holds JSON.
func programOutput(json: Bool) -> (String) -> Void {
    { line in
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
    }
}

/// `--max-bits`: exact mode's size limit, for every command that may compute exactly.
struct ExactLimitOption: ParsableArguments {
    @Option(name: .customLong("max-bits"), help: "The most bits a rational's numerator or denominator may reach in exact mode.")
    var maxBits: Int = Program.defaultMaxBits
}

/// The options every evaluating command shares: arguments, engine, seed and exact mode's limit.
struct ProgramOptions: ParsableArguments {
    @Option(name: .customLong("arg"), help: "A parameter's value as P=EXPR, EXPR any constant expression.")
    var arguments: [String] = []

    @Flag(help: "Evaluate with exact rationals (GMP) instead of Double.")
    var exact = false

    @Option(help: "The seed of random_normal and random_uniform.")
    var seed: Int = 0

    @OptionGroup var limit: ExactLimitOption
}

/// Splits `P=EXPR` arguments; anything else is a malformed command line.
func parseArguments(_ raw: [String]) throws -> [(name: String, expression: String)] {
    try raw.map { text in
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw Failure.usage("--arg expects P=EXPR, got '\(text)'")
        }
        return (String(text[..<equals]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: equals)...]))
    }
}

/// Writes NAME.swift for each input and AdjointRuntime.swift into a directory (created if missing).
func writeSwiftDirectory(_ programs: [Program], to directory: String) throws {
    var seen: [String: String] = [:]
    for program in programs {
        for name in program.functionNames {
            if let other = seen[name] {
                throw Failure.user("\(program.path): error: function '\(name)' is also defined in \(other)")
            }
            seen[name] = program.path
        }
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw Failure.user("\(directory): error: cannot create directory: \(error.localizedDescription)")
    }
    for program in programs {
        let name = URL(fileURLWithPath: program.path).deletingPathExtension().lastPathComponent
        try writeOutput(try library { try program.swiftSource(includeRuntime: false, entryPoint: false) },
                        to: directory + "/" + name + ".swift")
    }
    try writeOutput(try library { try Program.runtimeSource() }, to: directory + "/AdjointRuntime.swift")
}

/// Writes to a file atomically (never a half-written file), or to stdout without `-o`.
func writeOutput(_ text: String, to path: String?) throws {
    guard let path else {
        print(text, terminator: "")
        return
    }
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw Failure.user("\(path): error: cannot write output: \(error.localizedDescription)")
    }
}

func exit(with error: Error) -> Never {
    if let failure = error as? Failure {
        if !failure.message.isEmpty { FileHandle.standardError.write(Data((failure.message + "\n").utf8)) }
        exit(failure.exitStatus)
    }
    let code = Adjoint.exitCode(for: error)
    if code == .success {
        print(Adjoint.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((Adjoint.fullMessage(for: error) + "\n").utf8))
    exit(2)
}

/// The entry point, as a type rather than top-level code, so the target also builds as a library
/// (`--sanitize=fuzzer` builds every executable with `-parse-as-library`).
@main
enum AdjointMain {
    static func main() {
        let command: ParsableCommand
        do {
            command = try Adjoint.parseAsRoot()
        } catch {
            exit(with: error)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let failure as Failure {
            exit(with: failure)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(with: error)  // help and usage errors the parser reports late
        } catch {
            // Anything else escaping a command is a compiler bug, never the user's fault.
            exit(with: Failure(message: "internal error: \(error)", exitStatus: 3))
        }
    }
}
