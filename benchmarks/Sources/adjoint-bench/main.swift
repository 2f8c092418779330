// adjoint-bench: Adjoint's generated gradients beside hand-written Swift and Swift's built-in AD
// on the seven workloads of issue #9, the tape memory of W4 and W5, and the compiler's throughput.
//
//   swift run -c release --package-path benchmarks adjoint-bench [options]
//
//   --json                 also print, as the last line, one JSON object with every figure
//   --only W1,W3           run only these workloads (the tape and compile parts still run)
//   --batches N            batches per implementation (default 5; the median is reported)
//   --min-batch-ms MS      a batch runs enough calls to take at least this long (default 50)
//   --no-compile           skip the compiler-throughput part
//   --compile-sizes LIST   statements per generated program (default 1000,10000,100000)
//   --swiftc-sizes LIST    the sizes also built with swiftc -O (default 1000,10000)
//   --swiftc-timeout S     give up on one swiftc run after S seconds (default 300)
//   --profile W3           only call W3's Adjoint gradient for --seconds S (default 5), for `perf record`
//   --adjoint PATH         the adjoint CLI for the compile part (default: $ADJOINT, then the
//                          repository's .build/release/adjoint, then .build/debug/adjoint)
import Foundation

func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

// MARK: - Options

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
func flag(_ name: String) -> Bool { arguments.contains(name) }
func intList(_ text: String) -> [Int] { text.split(separator: ",").compactMap { Int($0) } }

let json = flag("--json")
if let b = option("--batches").flatMap(Int.init) { Harness.batches = max(1, b) }
if let ms = option("--min-batch-ms").flatMap(Double.init) { Harness.minimumBatchSeconds = ms / 1000 }
let only = option("--only").map { Set($0.uppercased().split(separator: ",").map(String.init)) }
let compileSizes = option("--compile-sizes").map(intList) ?? [1_000, 10_000, 100_000]
let swiftcSizes = Set(option("--swiftc-sizes").map(intList) ?? [1_000, 10_000])
let swiftcTimeout = option("--swiftc-timeout").flatMap(Double.init) ?? 300

// MARK: - The machine

func machine() -> String {
    var cpu = "unknown CPU"
    if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let colon = line.firstIndex(of: ":") {
        cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var u = utsname()
    uname(&u)
    let system = withUnsafePointer(to: &u.sysname) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    let release = withUnsafePointer(to: &u.release) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    return "\(system) \(release), \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), "
        + String(format: "%.0f GiB", memory)
}

if let id = option("--profile")?.uppercased() {
    guard let w = Workloads.all().first(where: { $0.id.uppercased() == id.uppercased() }) else { log("no workload \(id)"); exit(2) }
    let seconds = option("--seconds").flatMap(Double.init) ?? 5
    let start = now()
    var calls = 0
    while now() - start < seconds { sink(w.adjoint.timed()); calls += 1 }
    log("\(id): \(calls) calls of Adjoint's gradient in \(String(format: "%.1f", now() - start)) s")
    exit(0)
}

let date = ISO8601DateFormatter().string(from: Date())
print("adjoint-bench \(date)")
print("machine: \(machine())")
print("single-threaded, float64; medians of \(Harness.batches) batches of at least \(Int(Harness.minimumBatchSeconds * 1000)) ms, implementations interleaved")
print("")

// MARK: - Agreement of the gradients

let workloads = Workloads.all().filter { only == nil || only!.contains($0.id.uppercased()) }
let tolerance = 1e-9

struct Agreement {
    let label: String
    let difference: Double
    var ok: Bool { difference <= tolerance }
}

var agreements: [String: [Agreement]] = [:]
// How long one call took in the check; a call that takes longer than a batch is its own warm-up.
nonisolated(unsafe) var checkSeconds: [String: Double] = [:]
func checked(_ w: Workload, _ i: Implementation) -> [Double] {
    let start = now()
    let flat = i.flat()
    checkSeconds[w.id + "/" + i.label] = now() - start
    return flat
}
print("Gradients agree (normwise relative difference of value and gradient from Adjoint's, tolerance 1e-9):")
for w in workloads {
    log("checking \(w.id) ...")
    let reference = checked(w, w.adjoint)
    var list: [Agreement] = []
    for other in [w.hand] + w.otherHand + (w.swiftAD.map { [$0] } ?? []) {
        list.append(Agreement(label: other.label, difference: relativeDifference(checked(w, other), reference)))
    }
    agreements[w.id] = list
    let text = list.map { "\($0.label) \(String(format: "%.1e", $0.difference)) \($0.ok ? "ok" : "DIFFERS")" }
    print("  \(w.id): " + text.joined(separator: "; ") + (w.swiftAD == nil ? "; Swift AD \(w.swiftADNote)" : ""))
}
print("")

// MARK: - Timing

struct Row {
    let workload: Workload
    let adjoint: Double
    let hand: Double
    let swiftAD: Double?
    let primal: Double
    let handPrimal: Double?
    let others: [(String, Double)]
    var adjointOverHand: Double { adjoint / hand }
    var swiftADOverAdjoint: Double? { swiftAD.map { $0 / adjoint } }
    var gradOverPrimal: Double { adjoint / primal }
    var met: Bool { adjointOverHand <= workload.target }
}

var rows: [Row] = []
for w in workloads {
    log("timing \(w.id) (\(w.title)) ...")
    var timed = [Timed(label: w.adjoint.label, run: w.adjoint.timed),
                 Timed(label: w.hand.label, run: w.hand.timed),
                 w.adjointPrimal]
    if let p = w.handPrimal { timed.append(p) }
    timed += w.otherHand.map { Timed(label: $0.label, run: $0.timed) }
    if let s = w.swiftAD { timed.append(Timed(label: s.label, run: s.timed)) }
    let results = Harness.measure(timed, knownSeconds: timed.map { checkSeconds[w.id + "/" + $0.label] })
    let per = Double(w.gradientsPerCall)
    func median(_ label: String) -> Double? { results.first { $0.label == label }.map { $0.median / per } }
    rows.append(Row(workload: w, adjoint: median(w.adjoint.label)!, hand: median(w.hand.label)!,
                    swiftAD: w.swiftAD.flatMap { median($0.label) }, primal: median(w.adjointPrimal.label)!,
                    handPrimal: w.handPrimal.flatMap { median($0.label) },
                    others: w.otherHand.map { ($0.label, median($0.label)!) }))
    let spread = results.map { r in
        String(format: "%@ %@ (%d calls/batch, batches %@)", r.label, formatTime(r.median / per), r.callsPerBatch,
               r.perCall.map { formatTime($0 / per) }.joined(separator: " "))
    }
    log("  " + spread.joined(separator: "\n  "))
}

var tableRows = [["workload", "Adjoint grad", "hand-written", "Adjoint/hand", "target", "met",
                  "Swift AD", "Swift AD/Adjoint", "Adjoint primal", "grad/primal"]]
for r in rows {
    tableRows.append([
        "\(r.workload.id) \(r.workload.title)",
        formatTime(r.adjoint), formatTime(r.hand), formatRatio(r.adjointOverHand),
        "≤ " + formatRatio(r.workload.target), r.met ? "yes" : "no",
        r.swiftAD.map(formatTime) ?? "cannot", r.swiftADOverAdjoint.map(formatRatio) ?? "cannot",
        formatTime(r.primal), formatRatio(r.gradOverPrimal),
    ])
}
print("Gradient times (per gradient, value included):")
print(table(tableRows))
print("")
print("Other hand-written references and primals (not in the ratios above):")
for r in rows {
    var parts: [String] = []
    if let hp = r.handPrimal {
        parts.append("hand-written primal \(formatTime(hp)) (hand grad/primal \(formatRatio(r.hand / hp)); Adjoint primal/hand primal \(formatRatio(r.primal / hp)))")
    }
    for (label, t) in r.others { parts.append("\(label) \(formatTime(t)) (Adjoint/it \(formatRatio(r.adjoint / t)))") }
    if !parts.isEmpty { print("  \(r.workload.id): " + parts.joined(separator: "; ")) }
}
print("  W2: one call differentiates at a = 0.37 and at a = −0.37; times are per gradient (half a call).")
print("  W7: Adjoint primal = the generated w7_gradient_dot, itself a gradient; Swift AD \(Workloads.w7().swiftADNote).")
print("")

// MARK: - Tape memory

log("measuring tape memory ...")
let tapeReports = TapeMemory.all()
print("Tape memory after the generated forward sweep (entries: count × stride, a Tensor entry is 16 B of references;")
print("tensor storage: the scalars of the distinct tensors the tapes keep alive, the inputs' left out):")
var tapeRows = [["workload", "bytes per unit", "entries", "tensor storage", "target", "met", "entries per unit by element type"]]
for t in tapeReports {
    let per = { (b: Int) in String(format: "%.2f B", Double(b) / Double(t.units)) }
    tapeRows.append([
        "\(t.id) per \(t.unit)", per(t.bytes), per(t.entryBytes), per(t.tensorStorageBytes), t.target,
        t.targetBytesPerUnit.isFinite ? (t.met ? "yes" : "no") : "-", t.breakdown,
    ])
}
print(table(tapeRows))
print("")

// MARK: - Compiler throughput

var compileReport: CompileReport?
if !flag("--no-compile") {
    compileReport = CompileThroughput.measure(adjointPath: option("--adjoint"), sizes: compileSizes,
                                              swiftcSizes: swiftcSizes, swiftcTimeout: swiftcTimeout, log: log)
}
if let c = compileReport {
    print("Compiler throughput (adjoint compile: \(c.adjointBuild) build, \(c.adjointPath); wall clock, one process per program):")
    var compileRows = [["program", "statements", "adjoint compile", "µs/statement", "swiftc -O (less runtime)", "µs/statement"]]
    for m in c.measurements {
        compileRows.append([
            m.shape.rawValue, "\(m.statements)",
            m.adjointSeconds.map(formatTime) ?? "failed: \(m.adjointError ?? "")",
            m.adjointMicrosecondsPerStatement.map { String(format: "%.1f", $0) } ?? "-",
            m.swiftcSeconds.map(formatTime) ?? m.swiftcNote,
            m.swiftcMicrosecondsPerStatement.map { String(format: "%.0f", $0) } ?? "-",
        ])
    }
    print(table(compileRows))
    if let rt = c.swiftcRuntimeSeconds {
        print("swiftc -O -wmo of the runtime alone: \(formatTime(rt)) (subtracted above)")
    }
    print("")
}

// MARK: - JSON

if json {
    let workloadsJSON: [JSON] = rows.map { r in
        .object([
            ("id", .string(r.workload.id)),
            ("adjoint_over_hand", .number(r.adjointOverHand)),
            ("swiftad_over_adjoint", r.swiftADOverAdjoint.map(JSON.number) ?? .string("cannot")),
            ("grad_over_primal", .number(r.gradOverPrimal)),
            ("target_adjoint_over_hand", .number(r.workload.target)),
            ("met", .bool(r.met)),
            ("adjoint_seconds", .number(r.adjoint)),
            ("hand_seconds", .number(r.hand)),
            ("swiftad_seconds", r.swiftAD.map(JSON.number) ?? .null),
            ("primal_seconds", .number(r.primal)),
            ("gradients_agree", .bool(agreements[r.workload.id]!.allSatisfy(\.ok))),
        ])
    }
    let tapesJSON: [JSON] = tapeReports.map { t in
        .object([("id", .string(t.id)), ("unit", .string(t.unit)), ("bytes_per_unit", .number(t.bytesPerUnit)),
                 ("entry_bytes_per_unit", .number(Double(t.entryBytes) / Double(t.units))),
                 ("tensor_storage_bytes_per_unit", .number(Double(t.tensorStorageBytes) / Double(t.units))),
                 ("target_bytes_per_unit", t.targetBytesPerUnit.isFinite ? .number(t.targetBytesPerUnit) : .null),
                 ("met", t.targetBytesPerUnit.isFinite ? .bool(t.met) : .null)])
    }
    var compileJSON: JSON = .null
    if let c = compileReport {
        compileJSON = .object([
            ("adjoint_build", .string(c.adjointBuild)),
            ("swiftc_runtime_seconds", c.swiftcRuntimeSeconds.map(JSON.number) ?? .null),
            ("programs", .array(c.measurements.map { m in
                .object([
                    ("shape", .string(m.shape.rawValue)), ("statements", .number(Double(m.statements))),
                    ("adjoint_seconds", m.adjointSeconds.map(JSON.number) ?? .null),
                    ("adjoint_us_per_statement", m.adjointMicrosecondsPerStatement.map(JSON.number) ?? .null),
                    ("swiftc_seconds", m.swiftcSeconds.map(JSON.number) ?? .null),
                    ("swiftc_us_per_statement", m.swiftcMicrosecondsPerStatement.map(JSON.number) ?? .null),
                ])
            })),
        ])
    }
    print(JSON.object([("date", .string(date)), ("machine", .string(machine())),
                       ("workloads", .array(workloadsJSON)), ("tape", .array(tapesJSON)),
                       ("compile", compileJSON)]).text)
}

let allAgree = agreements.values.allSatisfy { $0.allSatisfy(\.ok) }
exit(allAgree ? 0 : 1)
