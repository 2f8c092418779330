// The `adjoint` executable: argument parsing only; everything else is in AdjointDriver.
//
// Exit statuses (spec §9): 0 success, 1 an error in the user's program or inputs,
// 2 a malformed command line, 3 an internal error. swift-argument-parser's own
// usage errors would exit 64, so they are caught and mapped to 2 here.
import ArgumentParser
import AdjointDriver
import Foundation

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

    @Option(name: .customLong("emit"), help: "What to write: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: String = Stage.swift.rawValue

    @Flag(help: "Swift without the runtime and without a call of main(), for a module that adds both.")
    var noRuntime = false

    @Option(name: .short, help: "Write to this file, or, for Swift, this directory (NAME.swift per input and AdjointRuntime.swift).")
    var output: String?

    func run() throws {
        guard let stage = Stage(rawValue: emit) else {
            throw DriverError.usage("--emit \(emit) is not available; this version emits: "
                                    + Stage.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if stage == .runtime {
            try writeOutput(try Compilation.runtimeFile(), to: output)
            return
        }
        guard !files.isEmpty else { throw DriverError.usage("no input files") }
        let compilations = try files.map { try Compilation(path: $0) }
        if stage == .swift, noRuntime {
            guard compilations.count == 1 else { throw DriverError.usage("--no-runtime takes one input") }
            try writeOutput(try compilations[0].swiftSource(includeRuntime: false, entryPoint: false), to: output)
            return
        }
        if stage == .swift, let output, !output.hasSuffix(".swift") {
            try writeSwiftDirectory(compilations, to: output)
            return
        }
        if stage == .swift, compilations.count > 1 {
            throw DriverError.usage("several inputs compile to a directory: give -o DIR")
        }
        var text = ""
        for compilation in compilations { text += try stage.emit(compilation) }
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
        let compilation = try Compilation(path: file)
        guard compilation.module.function(named: "main") != nil else {
            throw DriverError.user("\(file): error: no function named 'main' to run\n")
        }
        if exact {
            _ = try withExactLimit(bits: limit.maxBits) {
                try compilation.evaluate(EvalRequest(function: "main", arguments: [], seed: seed, engine: .exact)) {
                    print($0)
                }
            }
            return
        }
        let status = try compilation.runCompiled(seed: seed)
        if status != 0 { throw DriverError.user("") }
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
        let request = EvalRequest(function: function, arguments: try parseArguments(program.arguments),
                                  seed: program.seed, engine: program.engine)
        let compilation = try Compilation(path: file)
        let result = try withExactLimit(bits: program.limit.maxBits) {
            try compilation.evaluate(request, output: programOutput(json: json))
        }
        if json {
            print("{\"value\": \(result.json)}")
        } else if !result.isVoid {
            print(result.printed)
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
        if let names, names.isEmpty || names.contains("") { throw DriverError.usage("--wrt expects P,Q,...") }
        let request = GradRequest(function: function, arguments: try parseArguments(program.arguments), wrt: names,
                                  head: head, seed: program.seed, engine: program.engine, explain: explain)
        let compilation = try Compilation(path: file)
        if compiled {
            guard !program.exact else {
                throw DriverError.usage("--compiled runs Double code: it cannot be combined with --exact")
            }
            let (json, report) = try compilation.gradientCompiled(request)
            print(json)
            if let report {
                FileHandle.standardError.write(Data(report.rendered(function: function, engine: "compiled").utf8))
            }
            return
        }
        let result = try withExactLimit(bits: program.limit.maxBits) {
            try compilation.gradient(request, output: programOutput(json: json))
        }
        if json {
            print(result.json)
        } else {
            print("value: \(result.value.printed)")
            for gradient in result.gradients { print("d/d\(gradient.name): \(gradient.printed)") }
        }
        if let report = result.explanation {
            FileHandle.standardError.write(Data(report.rendered(function: function,
                                                                engine: program.exact ? "exact" : "double").utf8))
        }
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
        let compilation = try Compilation(path: file)
        let request = CheckRequest(function: function, arguments: try parseArguments(arguments), seed: seed)
        let lines = try withExactLimit(bits: limit.maxBits) { try compilation.check(request) }
        if json {
            print("{\"checks\": [" + lines.map(\.json).joined(separator: ", ") + "], "
                  + "\"passed\": \(lines.allSatisfy(\.passed))}")
        } else {
            for line in lines { print(line) }
        }
        if lines.contains(where: { !$0.passed }) {
            throw DriverError.user("")
        }
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
        let compilation = try Compilation(path: file)
        let svg = try compilation.plot(PlotRequest(function: function, from: from, to: to, points: n,
                                                   derivative: derivative))
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
    var maxBits: Int = defaultExactLimitBits
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

    var engine: Engine { exact ? .exact : .double }
}

/// Splits `P=EXPR` arguments; anything else is a malformed command line.
func parseArguments(_ raw: [String]) throws -> [(name: String, expression: String)] {
    try raw.map { text in
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw DriverError.usage("--arg expects P=EXPR, got '\(text)'")
        }
        return (String(text[..<equals]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: equals)...]))
    }
}

/// Writes NAME.swift for each input and AdjointRuntime.swift into a directory (created if missing).
func writeSwiftDirectory(_ compilations: [Compilation], to directory: String) throws {
    var seen: [String: String] = [:]
    for compilation in compilations {
        for function in compilation.lowered.functions {
            if let other = seen[function.name] {
                throw DriverError.user("\(compilation.file.path): error: function '\(function.name)' is also defined in \(other)\n")
            }
            seen[function.name] = compilation.file.path
        }
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw DriverError.user("\(directory): error: cannot create directory: \(error.localizedDescription)\n")
    }
    for compilation in compilations {
        let name = URL(fileURLWithPath: compilation.file.path).deletingPathExtension().lastPathComponent
        try writeOutput(try compilation.swiftSource(includeRuntime: false, entryPoint: false),
                        to: directory + "/" + name + ".swift")
    }
    try writeOutput(try Compilation.runtimeFile(), to: directory + "/AdjointRuntime.swift")
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
        throw DriverError.user("\(path): error: cannot write output: \(error.localizedDescription)\n")
    }
}

func exit(with error: Error) -> Never {
    if let error = error as? DriverError {
        FileHandle.standardError.write(Data(error.description.utf8))
        exit(error.exitStatus)
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
        } catch let error as DriverError {
            exit(with: error)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(with: error)  // help and usage errors the parser reports late
        } catch {
            // Anything else escaping a command is a compiler bug, never the user's fault.
            exit(with: DriverError.internalError("\(error)"))
        }
    }
}
