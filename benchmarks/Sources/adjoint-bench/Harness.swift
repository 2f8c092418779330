// Timing: batches of calls, implementations interleaved, medians.
import Foundation

/// Seconds on the monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// The optimizer sees neither through these (no inlining, no optimization), so the work whose
// results flow into `sink` is never removed and inputs read through `opaque` are never hoisted.
nonisolated(unsafe) var sinkValue = 0.0

@_optimize(none) @inline(never)
func sink(_ x: Double) { sinkValue += x }

@_optimize(none) @inline(never)
func opaque<T>(_ x: T) -> T { x }

/// One implementation of a workload under the clock: `run` makes one call and returns a number
/// drawn from its result (the value plus a gradient element), which the harness sinks.
struct Timed {
    let label: String
    let run: () -> Double
}

struct Timing {
    let label: String
    /// Seconds per call in each batch, in batch order.
    let perCall: [Double]
    let callsPerBatch: Int
    var median: Double { perCall.sorted()[perCall.count / 2] }
}

enum Harness {
    nonisolated(unsafe) static var batches = 5
    nonisolated(unsafe) static var minimumBatchSeconds = 0.05

    @inline(never)
    static func batch(_ calls: Int, _ body: () -> Double) -> Double {
        let start = now()
        var acc = 0.0
        for _ in 0..<calls { acc += body() }
        let elapsed = now() - start
        sink(acc)
        return elapsed
    }

    /// How many calls make a batch of at least `minimumBatchSeconds` (1 when one call takes longer).
    static func calibrate(_ body: () -> Double) -> Int {
        var calls = 1
        while true {
            let t = batch(calls, body)
            if t >= minimumBatchSeconds { return calls }
            let estimate = t > 0 ? Int((Double(calls) * minimumBatchSeconds * 1.2 / t).rounded(.up)) : calls * 10
            calls = max(calls * 2, min(estimate, calls * 100))
        }
    }

    /// Runs every implementation `batches` times, interleaved (batch b runs them all, starting at a
    /// rotating one), after calibrating each; returns the per-call times.
    /// `knownSeconds`: a call's time measured before (in the agreement check); an implementation
    /// whose call took over a second is not run again to calibrate (one call per batch).
    static func measure(_ implementations: [Timed], knownSeconds: [Double?]) -> [Timing] {
        let calls = implementations.indices.map { i in
            if let known = knownSeconds[i], known >= max(1, minimumBatchSeconds) { return 1 }
            return calibrate(implementations[i].run)
        }
        var perCall = Array(repeating: [Double](), count: implementations.count)
        for b in 0..<batches {
            for k in 0..<implementations.count {
                let i = (k + b) % implementations.count
                perCall[i].append(batch(calls[i], implementations[i].run) / Double(calls[i]))
            }
        }
        return implementations.indices.map {
            Timing(label: implementations[$0].label, perCall: perCall[$0], callsPerBatch: calls[$0])
        }
    }
}

// MARK: - Checking gradients against each other

/// max |a − b| / max(max |b|, tiny): the normwise relative difference of two flat gradients.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "gradients of different sizes: \(a.count) and \(b.count)")
    var diff = 0.0, scale = 0.0
    for i in a.indices {
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    if diff == 0 { return 0 }
    return diff / max(scale, Double.leastNormalMagnitude)
}

// MARK: - Formatting

func formatTime(_ seconds: Double) -> String {
    if seconds < 1e-6 { return String(format: "%.1f ns", seconds * 1e9) }
    if seconds < 1e-3 { return String(format: "%.2f µs", seconds * 1e6) }
    if seconds < 1 { return String(format: "%.2f ms", seconds * 1e3) }
    return String(format: "%.2f s", seconds)
}

func formatRatio(_ r: Double) -> String {
    if r >= 100 { return String(format: "%.0f×", r) }
    if r >= 10 { return String(format: "%.1f×", r) }
    return String(format: "%.2f×", r)
}

/// Pads each column of rows to a common width (the first column left-aligned, the others right).
func table(_ rows: [[String]]) -> String {
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
    return rows.map { row in
        row.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return c == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

// MARK: - JSON

indirect enum JSON {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    var text: String {
        switch self {
        case .number(let x):
            if !x.isFinite { return "null" }
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return String(format: "%.6g", x)
        case .string(let s):
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let fields):
            return "{" + fields.map { JSON.string($0.0).text + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }
}
