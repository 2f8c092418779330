// Property tests over random programs (issue 8), with a fixed seed so CI sees the same programs every run:
//
//   (a) exact reverse mode equals forward mode by the dot-product test ⟨ȳ, J ẋ⟩ = ⟨Jᵀȳ, ẋ⟩ on every rational
//       program (equality), and within `check`'s tolerance in Double on the others;
//   (b) gradients with and without the optimization pipeline are equal: exactly on rational programs,
//       bit for bit (the same JSON) in Double on the others, except that a zero whose sign differs is
//       counted rather than failed (see `optimizationKeepsTheSignOfZero`);
//   (c) the generated Swift (every program in one Swift program, one namespace each, built with
//       `swiftc -O`) computes the interpreter's gradients, to 1e-12 relative, and does not crash;
//   (d) central finite differences agree with the gradient (`check`'s second line), except where
//       `grad --explain` reports a one-sided point (a kink or a tie met exactly), where the derivative is
//       a convention and a difference quotient straddles it;
//   (e) on rational programs the exact engine and the Double engine agree (to 1e-9) where no tie is met.
//
// A failure is shrunk (RandomProgramGenerator.swift) and reported with the shrunk program; each one
// found is kept below as a regression test named after what it shows.
//
// A longer run: `Scripts/random-programs.sh N SEED` (ADJOINT_RANDOM_PROGRAMS=N ADJOINT_RANDOM_SEED=S).
import Foundation
import Testing
import AdjointBasic
import AdjointTransforms
@testable import AdjointDriver

/// The run: how many programs, from which seed (the environment overrides both, for the script).
enum RandomRun {
    static let environment = ProcessInfo.processInfo.environment
    /// CI's run: 80 programs of seed 2024.
    static let ciCount = 80, ciSeed: UInt64 = 2024
    static let count = Int(environment["ADJOINT_RANDOM_PROGRAMS"] ?? "") ?? ciCount
    static let seed = UInt64(environment["ADJOINT_RANDOM_SEED"] ?? "") ?? ciSeed
    /// How many of them go through generated Swift (all, by default: CI's 80 in one Swift program, whose
    /// `swiftc -O` build, about 45 s on two cores, dominates the file's time).
    static let compiledCount = Int(environment["ADJOINT_RANDOM_COMPILED"] ?? "") ?? count
    /// At most this many programs per Swift program.
    static let compiledChunk = Int(environment["ADJOINT_RANDOM_COMPILED_CHUNK"] ?? "") ?? 80
    /// The index of the first program (to reproduce one program of a long run: FIRST=i, PROGRAMS=1).
    static let first = Int(environment["ADJOINT_RANDOM_FIRST"] ?? "") ?? 0

    static func indices(_ count: Int, first: Int = first) -> [Int] { Array(first..<(first + count)) }

    /// How the one Swift program is built.
    static let swiftFlags = (environment["ADJOINT_RANDOM_SWIFTC_FLAGS"] ?? "-O").split(separator: " ").map(String.init)
    /// Shrink failures (the script may turn it off to survey many failures quickly).
    static let shrinks = environment["ADJOINT_RANDOM_SHRINK"] != "0"
}

enum RandomProperty: String, CaseIterable, Sendable {
    /// The program compiles and its gradient runs in Double, optimized and not (else the generator is wrong,
    /// or the compiler rejects or breaks a valid program).
    case wellFormed = "well-formed"
    case dotProduct = "dot-product test"
    case optimization = "optimized equals unoptimized"
    case finiteDifferences = "finite differences"
    case exactMatchesDouble = "exact equals Double"
    case compiled = "compiled equals interpreted"
}

struct RandomFinding: Error, Sendable, CustomStringConvertible {
    var property: RandomProperty
    var detail: String
    /// What a shrunk program must still show: the property and the kind of failure (an error's first line
    /// without its numbers, or the kind of mismatch).
    var signature: String
    var description: String { "\(property.rawValue): \(detail)" }

    init(property: RandomProperty, detail: String, kind: String? = nil) {
        self.property = property
        // Internal errors print whole functions of IR: the first lines say enough.
        self.detail = detail.count > 1500 ? String(detail.prefix(1500)) + " ..." : detail
        // The first line, and for an internal error the verifier's first complaint (its numbers left out).
        let lines = detail.split(separator: "\n").map(String.init)
        var text = lines.first ?? ""
        if text.contains("internal error"), let complaint = lines.dropFirst().first(where: { $0.contains("error:") }) {
            text += " " + complaint
        }
        signature = property.rawValue + ": " + (kind ?? String(text.filter { !$0.isNumber }))
    }
}

/// What one program's checks did, for the run's summary.
struct RandomTally: Sendable {
    var programs = 0, rational = 0, exactDotTests = 0, finiteDifferenceChecks = 0, kinkSkips = 0
    var exactDoubleChecks = 0, redrawn = 0, statements = 0, signedZeroDifferences = 0
    /// Issue 15's property: inputs where --explain reports a non-smooth point, and components of finite
    /// differences that agree, that disagree explained (a point or a change of path), and unexplained.
    var inputsOnKinks = 0, componentsAgreeing = 0, componentsExplained = 0, componentsUnexplained = 0
    /// Exact evaluations stopped by exact mode's size limit (`--max-bits`).
    var exactSizeLimits = 0
    /// Double gradients where optimizing changed the last bits only (≤ 1e-12 relative): merging a value read
    /// several times sums its adjoint's contributions before adding them, a reassociation.
    var roundingDifferences = 0

    static func + (a: RandomTally, b: RandomTally) -> RandomTally {
        RandomTally(programs: a.programs + b.programs, rational: a.rational + b.rational,
                    exactDotTests: a.exactDotTests + b.exactDotTests,
                    finiteDifferenceChecks: a.finiteDifferenceChecks + b.finiteDifferenceChecks,
                    kinkSkips: a.kinkSkips + b.kinkSkips, exactDoubleChecks: a.exactDoubleChecks + b.exactDoubleChecks,
                    redrawn: a.redrawn + b.redrawn, statements: a.statements + b.statements,
                    signedZeroDifferences: a.signedZeroDifferences + b.signedZeroDifferences,
                    inputsOnKinks: a.inputsOnKinks + b.inputsOnKinks,
                    componentsAgreeing: a.componentsAgreeing + b.componentsAgreeing,
                    componentsExplained: a.componentsExplained + b.componentsExplained,
                    componentsUnexplained: a.componentsUnexplained + b.componentsUnexplained,
                    exactSizeLimits: a.exactSizeLimits + b.exactSizeLimits,
                    roundingDifferences: a.roundingDifferences + b.roundingDifferences)
    }
}

extension GProgram {
    func request(_ engine: Engine, explain: Bool = false) -> GradRequest {
        GradRequest(function: "f", arguments: arguments, engine: engine, explain: explain)
    }

    func compilation(_ options: DifferentiationOptions = DifferentiationOptions()) throws -> Compilation {
        try Compilation(SourceFile(path: "random.adj", text: source), options: options)
    }
}

/// The numbers of a gradient's JSON in order: Doubles, `"inf"`/`"nan"`, and exact `"p/q"` as the Double nearest.
func randomJSONNumbers(_ json: String) -> [Double] {
    var out: [Double] = []
    let scalars = Array(json.unicodeScalars)
    var i = 0
    func double(_ text: String) -> Double {
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default: break
        }
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2 else { return Double(text) ?? .nan }
        // p/q with p and q of any length: leading digits and powers of ten.
        func split(_ s: String) -> (Double, Int) {
            let negative = s.hasPrefix("-")
            let digits = negative ? String(s.dropFirst()) : s
            let lead = Double(digits.prefix(18))!
            return (negative ? -lead : lead, max(digits.count - 18, 0))
        }
        let (p, e) = split(parts[0]), (q, f) = split(parts[1])
        return p / q * pow(10, Double(e - f))
    }
    while i < scalars.count {
        let c = scalars[i]
        if c == "\"" {
            var j = i + 1
            while j < scalars.count, scalars[j] != "\"" { j += 1 }
            let text = String(String.UnicodeScalarView(scalars[(i + 1)..<min(j, scalars.count)]))
            if text != "value" && text != "gradient" && !["x", "y", "t"].contains(text) { out.append(double(text)) }
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

/// Whether two lists of numbers agree within a relative tolerance (NaN with NaN, infinities exactly).
func randomSameNumbers(_ x: [Double], _ y: [Double], relative: Double) -> Bool {
    guard x.count == y.count else { return false }
    return zip(x, y).allSatisfy { p, q in
        if p.isNaN || q.isNaN { return p.isNaN && q.isNaN }
        if p.isInfinite || q.isInfinite { return p == q }
        return Swift.abs(p - q) <= relative * Swift.max(1, Swift.abs(p), Swift.abs(q))
    }
}

enum RandomPrograms {
    /// Whether an error is exact mode's size limit, which stops a run on purpose.
    static func isExactSizeLimit(_ error: Error) -> Bool { "\(error)".contains("past the limit of") }

    /// A generated program that does not compile or fails at run time is the generator's fault.
    struct GeneratorBug: Error, CustomStringConvertible {
        var description: String
    }

    /// Program `index` of the run: the first draw whose value and gradient are finite and at most 1e4 in
    /// magnitude (finite differences cannot judge larger ones); the rest are redrawn. A draw that does not
    /// compile or run is not redrawn: it is a finding.
    static func program(seed: UInt64, index: Int) -> (program: GProgram, redrawn: Int, finding: RandomFinding?) {
        var last = RandomProgramGenerator.program(seed: seed, index: index)
        for attempt in 0..<50 {
            let program = RandomProgramGenerator.program(seed: seed, index: index, attempt: attempt)
            last = program
            switch wellFormed(program) {
            case .failure(let finding): return (program, attempt, finding)
            case .success(let json):
                let numbers = randomJSONNumbers(json)
                if numbers.allSatisfy({ $0.isFinite && Swift.abs($0) <= 1e4 }) { return (program, attempt, nil) }
            }
        }
        return (last, 50, RandomFinding(property: .wellFormed, detail: "50 draws were all out of range"))
    }

    /// The optimized Double gradient's JSON, when the program compiles and its gradient runs in Double with
    /// and without the optimization pipeline (which may drop a call whose result is unused, and its error).
    static func wellFormed(_ program: GProgram, options: DifferentiationOptions = DifferentiationOptions())
        -> Result<String, RandomFinding> {
        let compilation: Compilation
        do {
            compilation = try program.compilation(options)
        } catch {
            return .failure(RandomFinding(property: .wellFormed, detail: "does not compile: \(error)"))
        }
        do {
            var plain = options
            plain.optimize = false
            _ = try program.compilation(plain).gradient(program.request(.double)) { _ in }
            return .success(try compilation.gradient(program.request(.double)) { _ in }.json)
        } catch {
            return .failure(RandomFinding(property: .wellFormed, detail: "fails in Double: \(error)"))
        }
    }

    /// The findings of properties (a), (b), (d), (e) on one program (`only`: just that property).
    static func findings(_ program: GProgram, only: RandomProperty? = nil,
                         options: DifferentiationOptions = DifferentiationOptions(),
                         tally: inout RandomTally) -> [RandomFinding] {
        var out: [RandomFinding] = []
        func wanted(_ p: RandomProperty) -> Bool { only == nil || only == p }
        if case .failure(let finding) = wellFormed(program, options: options) {
            return wanted(.wellFormed) ? [finding] : []
        }
        if only == .wellFormed { return [] }
        let rational = program.isRational
        guard let compilation = try? program.compilation(options) else { return [] }
        tally.programs += 1
        if rational { tally.rational += 1 }

        var checkLines: [CheckLine]? = nil
        if wanted(.dotProduct) || wanted(.finiteDifferences) {
            do {
                checkLines = try compilation.check(CheckRequest(function: "f", arguments: program.arguments))
            } catch {
                out.append(RandomFinding(property: .dotProduct, detail: "check throws: \(error)"))
            }
        }
        // (a) The dot-product test: exact on rational programs.
        if wanted(.dotProduct), let dot = checkLines?.first(where: { $0.check.hasPrefix("dot-product test") }) {
            if rational && dot.check != "dot-product test (exact)" {
                // `check` runs the test in Double when exact mode stops, as it does by design past its size limit.
                do {
                    _ = try compilation.gradient(program.request(.exact)) { _ in }
                    out.append(RandomFinding(property: .dotProduct, detail: "a rational program left the rationals: \(dot)",
                                             kind: "left the rationals"))
                } catch where RandomPrograms.isExactSizeLimit(error) {
                    tally.exactSizeLimits += 1
                } catch {
                    out.append(RandomFinding(property: .dotProduct, detail: "a rational program left the rationals: \(dot) "
                                             + "(\(error))", kind: "left the rationals"))
                }
                if !dot.passed { out.append(RandomFinding(property: .dotProduct, detail: "\(dot)", kind: "unequal")) }
            } else if !dot.passed {
                out.append(RandomFinding(property: .dotProduct, detail: "\(dot)", kind: "unequal"))
            }
            if dot.check == "dot-product test (exact)" { tally.exactDotTests += 1 }
        }
        // One-sided points met at the arguments (in Double, and exactly on rational programs).
        var kinkCount: Int? = nil
        func kinks() -> Int {
            if let kinkCount { return kinkCount }
            var count = 0
            for engine in rational ? [Engine.double, .exact] : [.double] {
                count += (try? compilation.gradient(program.request(engine, explain: true)) { _ in })?.explanation?.oneSidedPoints ?? 0
            }
            kinkCount = count
            return count
        }
        // (d) Finite differences: every component agrees, or `check` explains why it cannot (a non-smooth point
        // that --explain reports, or a path that changes within the step). No unexplained disagreement.
        if wanted(.finiteDifferences), let lines = checkLines?.filter({ $0.check.hasPrefix("finite differences") }),
           let fd = lines.first {
            let explained = lines.dropFirst().reduce(0) { $0 + $1.excluded.count }
            let compared = Int(fd.detail.split(separator: " ").dropLast().last ?? "") ?? 0
            if kinks() > 0 { tally.inputsOnKinks += 1 }
            tally.componentsExplained += explained
            if fd.passed {
                tally.finiteDifferenceChecks += 1
                tally.componentsAgreeing += compared
                if explained > 0 { tally.kinkSkips += 1 }
            } else {
                tally.componentsUnexplained += 1
                out.append(RandomFinding(property: .finiteDifferences,
                                         detail: "\(fd) (no non-smooth point reported, the path unchanged)", kind: "unequal"))
            }
        }
        // (b) Optimized and unoptimized gradients: exactly equal (a zero's sign is counted, not failed: see the
        // regression test `optimizationKeepsTheSignOfZero`). In Double, common subexpressions merged before
        // differentiation reassociate an adjoint's sum: the last bits may differ (counted, ≤ 1e-12 relative).
        if wanted(.optimization) {
            let engine: Engine = rational ? .exact : .double
            do {
                let optimized = try compilation.gradient(program.request(engine)) { _ in }.json
                var plainOptions = options
                plainOptions.optimize = false
                let plain = try program.compilation(plainOptions).gradient(program.request(engine)) { _ in }.json
                if optimized != plain {
                    if randomSameNumbers(randomJSONNumbers(optimized), randomJSONNumbers(plain), relative: 0) {
                        tally.signedZeroDifferences += 1
                    } else if engine == .double,
                              randomSameNumbers(randomJSONNumbers(optimized), randomJSONNumbers(plain), relative: 1e-12) {
                        tally.roundingDifferences += 1
                    } else {
                        out.append(RandomFinding(property: .optimization, detail: "optimized \(optimized), unoptimized \(plain)",
                                                 kind: "unequal"))
                    }
                }
            } catch {
                // Rationals past exact mode's size limit (nested helpers square their way there) stop the run
                // by design: nothing to compare, not a finding.
                if RandomPrograms.isExactSizeLimit(error) { tally.exactSizeLimits += 1 } else {
                    out.append(RandomFinding(property: .optimization, detail: "throws: \(error)"))
                }
            }
        }
        // (e) Exact and Double agree on rational programs where no tie decides the path.
        if wanted(.exactMatchesDouble) && rational {
            do {
                let exact = try compilation.gradient(program.request(.exact)) { _ in }.json
                let double = try compilation.gradient(program.request(.double)) { _ in }.json
                if !randomSameNumbers(randomJSONNumbers(exact), randomJSONNumbers(double), relative: 1e-9) {
                    if kinks() == 0 {
                        out.append(RandomFinding(property: .exactMatchesDouble, detail: "exact \(exact), double \(double)",
                                                 kind: "unequal"))
                    }
                } else {
                    tally.exactDoubleChecks += 1
                }
            } catch {
                if RandomPrograms.isExactSizeLimit(error) { tally.exactSizeLimits += 1 } else {
                    out.append(RandomFinding(property: .exactMatchesDouble, detail: "throws: \(error)"))
                }
            }
        }
        return out
    }

    /// The smallest program that still shows the finding (the same property and kind of failure).
    static func shrink(_ program: GProgram, _ finding: RandomFinding,
                       options: DifferentiationOptions = DifferentiationOptions()) -> GProgram {
        program.shrunk { candidate in
            var tally = RandomTally()
            return findings(candidate, only: finding.property, options: options, tally: &tally)
                .contains { $0.signature == finding.signature }
        }
    }
}

/// Collects results from worker threads.
private final class Collector: @unchecked Sendable {
    struct Entry {
        var index: Int
        var program: GProgram
        var finding: RandomFinding
        var shrunk: GProgram
        var shrunkDetail: String
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var tally = RandomTally()

    func add(_ entry: Entry) {
        lock.lock(); defer { lock.unlock() }
        entries.append(entry)
    }

    private var shrinks: [String: Int] = [:]

    /// Whether to shrink a finding: the first two of each kind (a long run meets the same bug many times).
    func shouldShrink(_ finding: RandomFinding) -> Bool {
        lock.lock(); defer { lock.unlock() }
        shrinks[finding.signature, default: 0] += 1
        return shrinks[finding.signature]! <= 2
    }

    func add(_ t: RandomTally) {
        lock.lock(); defer { lock.unlock() }
        tally = tally + t
    }

    var results: ([Entry], RandomTally) {
        lock.lock(); defer { lock.unlock() }
        return (entries.sorted { $0.index < $1.index }, tally)
    }
}

// MARK: - The properties over the run

@Test("random programs: dot-product test, optimization, finite differences, exact vs Double")
func randomProgramProperties() throws {
    let start = Date()
    let collector = Collector()
    let seed = RandomRun.seed
    // Two workers (or as many cores as there are); each program is independent.
    let indices = RandomRun.indices(RandomRun.count)
    DispatchQueue.concurrentPerform(iterations: indices.count) { k in
        let index = indices[k]
        let (program, redrawn, invalid) = RandomPrograms.program(seed: seed, index: index)
        var tally = RandomTally()
        tally.redrawn = redrawn
        tally.statements = program.source.split(separator: "\n").count
        let found = invalid.map { [$0] } ?? RandomPrograms.findings(program, tally: &tally)
        collector.add(tally)
        for finding in found {
            let small = RandomRun.shrinks && collector.shouldShrink(finding) ? RandomPrograms.shrink(program, finding) : program
            var ignored = RandomTally()
            let shrunkFinding = RandomPrograms.findings(small, only: finding.property, tally: &ignored).first
            collector.add(.init(index: index, program: program, finding: finding, shrunk: small,
                                shrunkDetail: shrunkFinding?.detail ?? ""))
        }
    }
    let (found, tally) = collector.results
    for entry in found {
        Issue.record("""
            \(entry.finding.property.rawValue) fails on seed \(seed) program \(entry.index):
            \(entry.finding.detail)
            shrunk (\(entry.shrunk.argumentText)): \(entry.shrunkDetail)
            \(entry.shrunk.source)
            original:
            \(entry.program)
            """)
    }
    let seconds = Date().timeIntervalSince(start)
    print("random programs: seed \(seed), \(RandomRun.count) programs (\(tally.rational) rational, \(tally.redrawn) redrawn, "
          + "\(tally.statements) lines), \(tally.exactDotTests) exact dot-product tests, "
          + "\(tally.finiteDifferenceChecks) finite-difference checks (\(tally.kinkSkips) with components not comparable), "
          + "\(tally.inputsOnKinks) inputs on kinks, finite-difference components: \(tally.componentsAgreeing) agree, "
          + "\(tally.componentsExplained) not comparable (explained), \(tally.componentsUnexplained) unexplained disagreements; "
          + "\(tally.exactDoubleChecks) exact-vs-Double checks, \(tally.signedZeroDifferences) optimizations flipping a zero's sign, "
          + "\(tally.roundingDifferences) changing a Double's last bits, "
          + "\(tally.exactSizeLimits) exact evaluations stopped at the size limit; "
          + "\(found.count) failures in \(Set(found.map(\.index)).count) programs; \(String(format: "%.1f", seconds)) s")
}

// MARK: - Compiled equals interpreted

/// Builds Swift sources into one program (`swiftc -O` unless told otherwise) and runs it once per `runs` entry
/// (its command-line arguments), as long as `runs` asks for more; a failed build is returned as it is.
private func buildAndRunRandom(_ files: [String: String], name: String,
                               runs: (_ previous: (status: Int32, output: String)?) -> [String]?)
    throws -> (built: Bool, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-random-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { if RandomRun.environment["ADJOINT_RANDOM_KEEP"] == nil { try? FileManager.default.removeItem(at: directory) } }
    var paths: [String] = []
    for (file, text) in files.sorted(by: { $0.key < $1.key }) {
        let url = directory.appendingPathComponent(file)
        try text.write(to: url, atomically: true, encoding: .utf8)
        paths.append(url.path)
    }
    let binary = directory.appendingPathComponent(name)
    let (status, output) = try SwiftBuild.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                                  arguments: ["swiftc"] + RandomRun.swiftFlags + ["-suppress-warnings"] + paths
                                                      + ["-o", binary.path],
                                                  errors: true)
    guard status == 0 else { return (false, output) }
    var previous: (status: Int32, output: String)? = nil
    while let arguments = runs(previous) {
        previous = try SwiftBuild.capture(binary, arguments: arguments, errors: true)
    }
    return (true, "")
}

/// Compiles programs into one Swift program (each in its namespace) and returns, per program, nil when the
/// compiled gradient equals the interpreter's (to 1e-12 relative), or what differs. A program whose generated
/// Swift does not build is found from swiftc's messages, reported, and left out of a second build; one whose
/// compiled gradient crashes is reported, and the run goes on from the next program.
private func compiledMismatches(_ programs: [GProgram]) throws -> [String?] {
    var results = [String?](repeating: nil, count: programs.count)
    var excluded = Set<Int>()
    for _ in 0..<3 {
        // main.swift runs the programs from the index its argument gives, printing as it goes.
        var declarations = "import Foundation\n", statements = "import Foundation\nsetvbuf(stdout, nil, _IOLBF, 0)\n"
            + "let first = Int(CommandLine.arguments.dropFirst().first ?? \"0\") ?? 0\n"
        var expected: [Int: String] = [:]
        var firstLine: [(line: Int, index: Int)] = []
        for (i, program) in programs.enumerated() where !excluded.contains(i) {
            do {
                let compilation = try program.compilation()
                let request = program.request(.double)
                let driver = try compilation.gradientDriver(request, namespace: "Random\(i)")
                expected[i] = try compilation.gradient(request) { _ in }.json
                firstLine.append((declarations.filter { $0 == "\n" }.count + 1, i))
                declarations += driver.declarations.replacingOccurrences(of: "import Foundation\n", with: "") + "\n"
                statements += "if first <= \(i) {\nprint(\"=== \(i)\")\n" + driver.statements + "}\n"
            } catch {
                results[i] = "no Swift: \(error)"
                excluded.insert(i)
            }
        }
        var sections: [Int: String] = [:]
        let (built, buildOutput) = try buildAndRunRandom(
            ["cases.swift": declarations, "runtime.swift": try Compilation.runtimeFile(), "main.swift": statements],
            name: "random") { previous in
            guard let previous else { return ["0"] }
            var last: Int? = nil
            for section in previous.output.components(separatedBy: "=== ").dropFirst() {
                let lines = section.split(separator: "\n", omittingEmptySubsequences: false)
                guard let i = Int(lines.first ?? "") else { continue }
                last = i
                sections[i] = lines.dropFirst().first { $0.hasPrefix("{\"value\"") }.map(String.init)
            }
            guard previous.status != 0, let crashed = last else { return nil }
            // The program that was running when the process stopped: report it, go on after it.
            let trace = previous.output.components(separatedBy: "=== \(crashed)\n").last ?? ""
            results[crashed] = "the compiled gradient stops with status \(previous.status):\n"
                + trace.split(separator: "\n").prefix(8).joined(separator: "\n")
            sections[crashed] = nil
            guard let next = expected.keys.filter({ $0 > crashed }).min() else { return nil }
            return ["\(next)"]
        }
        if !built {
            // `cases.swift:LINE:COL: error: ...`: the program whose declarations hold LINE.
            var blamed = Set<Int>()
            for line in buildOutput.split(separator: "\n") where line.contains("cases.swift:") && line.contains("error:") {
                guard let range = line.range(of: "cases.swift:"),
                      let number = Int(line[range.upperBound...].prefix { $0.isNumber }),
                      let owner = firstLine.last(where: { $0.line <= number }) else { continue }
                blamed.insert(owner.index)
                results[owner.index] = (results[owner.index] ?? "the generated Swift does not build:") + "\n" + line
            }
            if blamed.isEmpty { throw RandomFinding(property: .compiled, detail: String(buildOutput.prefix(4000))) }
            excluded.formUnion(blamed)
            continue
        }
        for (i, json) in expected where results[i] == nil {
            guard let line = sections[i] else {
                results[i] = "no output"
                continue
            }
            if !randomSameNumbers(randomJSONNumbers(line), randomJSONNumbers(json), relative: 1e-12) {
                results[i] = "compiled \(line), interpreted \(json)"
            }
        }
        return results
    }
    return results
}

@Test("random programs: compiled Swift equals the interpreter")
func randomProgramsCompiledEqualInterpreted() throws {
    let start = Date()
    let seed = RandomRun.seed
    // The valid programs of the run (an invalid one is the other test's finding), built in chunks.
    let programs = RandomRun.indices(RandomRun.compiledCount).map { RandomPrograms.program(seed: seed, index: $0) }
        .filter { $0.finding == nil }.map(\.program)
    var mismatches: [String?] = []
    for chunk in stride(from: 0, to: programs.count, by: RandomRun.compiledChunk) {
        mismatches += try compiledMismatches(Array(programs[chunk..<min(chunk + RandomRun.compiledChunk, programs.count)]))
    }
    var failures = 0
    var kinds: [String: Int] = [:]
    for (program, mismatch) in zip(programs, mismatches) {
        guard let mismatch else { continue }
        failures += 1
        // Shrinking builds one Swift program per candidate: a few dozen at most, for the first two of a kind.
        let kind = String((mismatch.split(separator: "\n").first ?? "").prefix(40).filter { !$0.isNumber })
        kinds[kind, default: 0] += 1
        var builds = 0
        let small = RandomRun.shrinks && kinds[kind]! <= 2 ? program.shrunk(limit: 40) { candidate in
            builds += 1
            guard case .success = RandomPrograms.wellFormed(candidate) else { return false }
            return ((try? compiledMismatches([candidate]))?.first ?? nil) != nil
        } : program
        Issue.record("""
            compiled differs from interpreted on seed \(seed) program \(program.index): \(mismatch)
            shrunk (\(small.argumentText)), after \(builds) builds:
            \(small.source)
            original:
            \(program)
            """)
    }
    print("random programs compiled: seed \(seed), \(programs.count) programs in \((programs.count + RandomRun.compiledChunk - 1) / RandomRun.compiledChunk) Swift program(s) "
          + "(swiftc \(RandomRun.swiftFlags.joined(separator: " "))); \(failures) failures; "
          + String(format: "%.1f s", Date().timeIntervalSince(start)))
}

// MARK: - The generator and the shrinker themselves

@Test func randomProgramsAreDeterministic() {
    let a = RandomProgramGenerator.program(seed: 7, index: 3)
    let b = RandomProgramGenerator.program(seed: 7, index: 3)
    let c = RandomProgramGenerator.program(seed: 7, index: 4)
    #expect(a.source == b.source && a.argumentText == b.argumentText)
    #expect(a.source != c.source)
}

@Test func randomProgramsCoverTheGrammar() throws {
    // Over 300 programs of the CI run's seed (drawing is cheap), every construct the generator knows appears.
    let texts = (0..<300).map { RandomProgramGenerator.program(seed: RandomRun.ciSeed, index: $0).source }
    let all = texts.joined(separator: "\n")
    for construct in ["while ", "for ", "...", "break", "continue", "} else {", "} else if", "return", "func h1",
                      "grad(h", "[0] =", "+=", "*=", "/=", "u", "axis: ", "dot(", "reshape(", ".T", "transpose(",
                      "maximum(", "minimum(", "relu(", "abs(", "prod(", "^ 2", "^ 3", "^ (-2)", "sin(", "exp(",
                      "tanh(", "norm(", ": Real = dot", "..<size(", "real(i", "% 2) == 0", "[1..<", "full(",
                      // Issue 18's nets: Int lets used as Reals, literal-only and Int-let conditions, == and != on
                      // differentiated values, call chains, ranges at the edge of Int.
                      "let p", " * p", "if 0.", "if p", "== x", "!= ", "0.0 == (", "func c2(", "c1(a * 0.5, b)",
                      "...9223372036854775807", "..<9223372036854775807"] {
        #expect(all.contains(construct), "no program has \(construct)")
    }
    let rational = (0..<RandomRun.ciCount).filter { RandomProgramGenerator.program(seed: RandomRun.ciSeed, index: $0).isRational }
    #expect(rational.count > RandomRun.ciCount / 2)
}

@Test func shrinkingFindsASmallProgramForAWrongAdjoint() throws {
    // A test-only fault makes sin's adjoint wrong (the tangent stays right): the dot-product test fails on
    // every program that differentiates through sin, and shrinking leaves little more than the sin.
    let faulty = DifferentiationOptions.sinAdjointSign
    var tally = RandomTally()
    let failing = try #require((0..<200).lazy.compactMap { index -> GProgram? in
        let program = RandomProgramGenerator.program(seed: 99, index: index)
        guard program.source.contains("sin(") else { return nil }
        let found = RandomPrograms.findings(program, only: .dotProduct, options: faulty, tally: &tally)
        return found.contains { $0.property == .dotProduct } ? program : nil
    }.first)
    let finding = try #require(RandomPrograms.findings(failing, only: .dotProduct, options: faulty, tally: &tally).first)
    let small = RandomPrograms.shrink(failing, finding, options: faulty)
    #expect(small.source.contains("sin("))
    #expect(small.size < failing.size)
    #expect(small.source.split(separator: "\n").count <= 4, "shrunk to:\n\(small.source)")
    // The same program passes with the right rule.
    #expect(RandomPrograms.findings(small, only: .dotProduct, tally: &tally).isEmpty)
}

// MARK: - Regression tests: failures the random programs found, shrunk

/// The findings of properties (a), (b), (d), (e) on a program kept as text.
private func regressionFindings(_ source: String, _ arguments: [(String, String)]) -> [RandomFinding] {
    var tally = RandomTally()
    return RandomPrograms.findings(GProgram(source: source, arguments: arguments), tally: &tally)
}

// Each test below holds a program the random programs found failing, shrunk (and then trimmed by hand).
// The first two were fixed in f0f09ea; the last two fail until the compiler is fixed.

private let vectorArguments = [("x", "1.0"), ("y", "1.0"), ("t", "[1.0, 2.0, 3.0]")]

@Test("forward mode: the tangent of a broadcasting operation has the result's shape", arguments: [
    // seed 2024, program 28: `check` stops with "dot of shapes [3] and [1, 3]": the tangent of
    // `reshape(t, 3, 1) + ones(1, 3)` is t's tangent as a [3, 1] column, not broadcast to [3, 3], so `.T` gives [1, 3].
    "func f(x: Real, y: Real, t: Tensor) -> Real {\n    return sum(dot(t, (reshape(t, 3, 1) + ones(1, 3)).T))\n}\n",
    // The same with a Real: the tangent of `x + zeros(3)` stays a Real, and `dot` of it fails IR verification.
    "func f(x: Real, y: Real, t: Tensor) -> Real {\n    return sum(dot(x + zeros(3), t) * t)\n}\n",
    // Found in a helper, `func h2(a: Real, b: Tensor) -> Tensor { return b + a }` called with a constant b: the
    // tangent of `b + a` is a's, a Real, so `@h.jvp.0` returns (Tensor, Real) for its (Tensor, Tensor) result.
    "func h(a: Real, b: Tensor) -> Tensor {\n    return b + a\n}\n\nfunc f(x: Real, y: Real, t: Tensor) -> Real {\n    return sum(h(x, ones(3)) * t)\n}\n",
])
func tangentOfBroadcastHasTheResultShape(source: String) {
    let found = regressionFindings(source, vectorArguments)
    #expect(found.isEmpty, "\(found.map(\.description).joined(separator: "\n"))")
}

@Test func thirdDerivativeThroughATensorFunction() throws {
    // seed 2024, program 59: differentiating a function that calls `grad` of a function that calls `grad`,
    // with Tensor arguments, fails IR verification in `@h1.rev.0.fwd.none.rev.none` ("operand types [Tensor,
    // (Tensor)] do not give result type Tensor"). With Reals the same nesting works (grad(grad(grad(...)))).
    let source = """
    func h1(b: Tensor) -> Real {
        return sum(b * b * b * b)
    }

    func h2(b: Tensor) -> Real {
        return sum(grad(h1)(b))
    }

    func f(t: Tensor) -> Real {
        return sum(grad(h2)(t))
    }
    """
    let found = regressionFindings(source, [("t", "[1.0, 2.0, 3.0]")])
    #expect(found.isEmpty, "\(found.map(\.description).joined(separator: "\n"))")
    // f(t) = Σ 12 t², so the gradient is 24 t.
    let result = try? compile(source).gradient(GradRequest(function: "f", arguments: [("t", "[1, 2, 3]")], engine: .exact)) { _ in }
    #expect(result?.gradients.first?.json == "[\"24\", \"48\", \"72\"]")
}

@Test func optimizationKeepsTheSignOfZero() throws {
    // seed 2024, program 4: min sends the adjoint to the constant 0.0, so x's gradient is a zero; the
    // unoptimized sweep computes +0.0 (0 + -0), the optimized one -0.0 (Simplify's `add 0, v => v` is not
    // exact for v = -0.0). The random-program property counts such differences instead of failing on them.
    // Without the `if` both sweeps give -0.0: the adjoints meeting at the return's merge block are what differ.
    let source = "func f(x: Real, y: Real) -> Real {\n    if true {\n        return y * min(0.0, x)\n    }\n    return x\n}\n"
    let request = GradRequest(function: "f", arguments: [("x", "1"), ("y", "-2")])
    let optimized = try compile(source).gradient(request) { _ in }.json
    let plain = try Compilation(SourceFile(path: "test.adj", text: source), options: DifferentiationOptions(optimize: false))
        .gradient(request) { _ in }.json
    // Simplify's `(add 0 x) => x` turns 0 + -0.0 into -0.0: the optimized zero may differ in sign, never in value
    // (exact results are equal, see PassTests). Compare the numbers, with a zero of either sign equal to zero.
    #expect(optimized.replacingOccurrences(of: "-0.0", with: "0.0") == plain.replacingOccurrences(of: "-0.0", with: "0.0"))
}

@Test func compiledLoopWithAnUpdateAfterABranchRuns() throws {
    // seed 1, programs 101, 489 and 785 of a 1000-program run: the compiled gradient crashes (signal 11,
    // a bad pointer in swift_release) when the generated Swift is built with `swiftc -O` without `-wmo`
    // (with -Onone, -O -wmo, or as one file, it runs). The forward sweep says `v12 = consume u2`, where v12
    // is loop-carried and u2 is assigned on both arms of the `if`; swiftc 6.3.1 miscompiles that (a pure
    // Swift reproducer of the same shape crashes too), and without the `consume` the program runs.
    let source = """
    func f(x: Real, y: Real, t: Tensor) -> Real {
        var u = t
        for i in 0...2 {
            if y > 1.5 {
                u[i] = y
            }
            u[i] = x
        }
        return sum(u)
    }
    """
    let program = GProgram(source: source, arguments: [("x", "-1.0"), ("y", "-1.25"), ("t", "[1.1, 1.1, -1.5]")])
    let mismatch = try compiledMismatches([program]).first ?? nil
    #expect(mismatch == nil, "\(mismatch ?? "")")
}

@Test func compiledLoopWithABranchAfterAnUpdateRuns() throws {
    // seed 1, programs 141 and 489 of a 1000-program run, still crashing (signal 11 in swift_release) after
    // 5b29109 and 29236af, built with `swiftc -O` without `-wmo`: the mirror image of the test above. The
    // forward sweep holds `u * x` in a function-level `var u2` (it is read on both arms of the `if`) and
    // says `var v12 = consume u2` on one arm and `(u3, v19) = (u2, 0)` on the other, inside the loop; the
    // same swiftc 6.3.1 miscompile as above, for a moved value that is not a block parameter.
    let source = """
    func f(x: Real, y: Real, t: Tensor) -> Real {
        var u = t
        for i in 0..<3 {
            u = u * x
            if y > 1.5 {
                u[0] = y
            }
        }
        return sum(u)
    }
    """
    let program = GProgram(source: source, arguments: [("x", "-1.0"), ("y", "-1.25"), ("t", "[1.1, 1.1, -1.5]")])
    let mismatch = try compiledMismatches([program]).first ?? nil
    #expect(mismatch == nil, "\(mismatch ?? "")")
}
