// Driver stage: the report of `grad --explain`, as data, as text and as JSON.
//
// Sites are listed in source order with `LINE:COL`; a site's kind (`if`, `while`,
// `for`, `&&`, `||`) is read from the source at that location. Trip counts print as
// one number when the loop ran once, else as min/median/max over its runs.
import AdjointBasic
import AdjointInterpreter

/// What one gradient evaluation went through: its branches and loops, and where it is one-sided.
public struct ExplainReport: Sendable {
    public struct Site: Sendable, Equatable {
        public var location: SourceLocation
        public var kind: String
        public var taken: Int
        public var notTaken: Int
        /// Iterations of each run, for loops.
        public var tripCounts: [Int]
    }

    public struct OneSided: Sendable, Equatable {
        public var location: SourceLocation
        public var operation: String
        public var convention: String
        public var count: Int
    }

    public var sites: [Site]
    public var kinks: [OneSided]
    /// The custom derivatives the gradient used (spec §7): where one applies, the derivative is the one it
    /// gives, so the kinks of its function's body do not apply and are not listed.
    public var customDerivatives: [String] = []

    public var oneSidedPoints: Int { kinks.reduce(0) { $0 + $1.count } }

    public var verdict: String {
        oneSidedPoints == 0 ? "the gradient is exact and two-sided"
            : "the gradient is one-sided at \(oneSidedPoints) point\(oneSidedPoints == 1 ? "" : "s") (listed above)"
    }

    init(_ recorder: ExplainRecorder, file: SourceFile) {
        recorder.finish()
        sites = recorder.branches.keys.sorted().map { location in
            let site = recorder.branches[location]!
            return Site(location: location, kind: ExplainReport.kind(at: location, in: file), taken: site.taken,
                        notTaken: site.notTaken, tripCounts: site.tripCounts)
        }
        kinks = recorder.kinks.keys.sorted().map { location in
            let k = recorder.kinks[location]!
            return OneSided(location: location, operation: k.operation, convention: k.convention, count: k.count)
        }
    }

    /// The report from what a compiled gradient printed (`explainReport()` of ExplainRuntime.swift):
    /// `site LINE COLUMN TAKEN NOT_TAKEN TRIPS` and `kink LINE COLUMN COUNT<tab>OPERATION<tab>CONVENTION` lines.
    init(recorded lines: [String], file: SourceFile) throws {
        sites = []
        kinks = []
        for line in lines {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4, let l = Int(fields[1]), let c = Int(fields[2]) else {
                throw DriverError.internalError("unreadable explain record: \(line)")
            }
            let location = SourceLocation(line: l, column: c)
            if fields[0] == "site", fields.count == 6, let taken = Int(fields[3]), let notTaken = Int(fields[4]) {
                sites.append(Site(location: location, kind: ExplainReport.kind(at: location, in: file), taken: taken,
                                  notTaken: notTaken, tripCounts: fields[5].split(separator: ",").compactMap { Int($0) }))
            } else if fields[0] == "kink" {
                let rest = fields[3...].joined(separator: " ").split(separator: "\t", omittingEmptySubsequences: false)
                guard rest.count == 3, let count = Int(rest[0]) else {
                    throw DriverError.internalError("unreadable explain record: \(line)")
                }
                kinks.append(OneSided(location: location, operation: String(rest[1]), convention: String(rest[2]), count: count))
            } else {
                throw DriverError.internalError("unreadable explain record: \(line)")
            }
        }
    }

    /// The keyword or operator at a location: `if`, `while`, `for`, `&&`, `||`.
    static func kind(at location: SourceLocation, in file: SourceFile) -> String {
        guard let line = file.line(location.line) else { return "branch" }
        let rest = line.unicodeScalars.dropFirst(location.column - 1)
        for word in ["if", "while", "for", "&&", "||"] where String(String.UnicodeScalarView(rest)).hasPrefix(word) {
            return word
        }
        return "branch"
    }

    static func times(_ n: Int) -> String { n == 1 ? "1 time" : "\(n) times" }

    /// The report as `grad --explain` writes it to stderr.
    public func rendered(function: String, engine: String) -> String {
        var out = "explain: \(function) (\(engine))\n  branches and loops:\n"
        if sites.isEmpty { out += "    none\n" }
        for site in sites {
            out += "    \(site.location)  \(site.kind): "
            if site.kind == "while" || site.kind == "for" {
                let counts = site.tripCounts.sorted()
                if counts.count == 1 {
                    out += "\(counts[0]) iteration\(counts[0] == 1 ? "" : "s")"
                } else if let low = counts.first, let high = counts.last {
                    out += "\(counts.count) runs, iterations min \(low) / median \(counts[counts.count / 2]) / max \(high)"
                } else {
                    out += "never entered"
                }
                out += "\n"
            } else {
                out += "taken \(ExplainReport.times(site.taken)), not taken \(ExplainReport.times(site.notTaken))\n"
            }
        }
        out += "  kinks and ties:\n"
        if kinks.isEmpty { out += "    none\n" }
        for k in kinks {
            out += "    \(k.location)  \(k.operation): \(k.convention), \(ExplainReport.times(k.count))\n"
        }
        if !customDerivatives.isEmpty {
            out += "  custom derivatives (the derivative is the one each gives):\n"
            for d in customDerivatives { out += "    \(d)\n" }
        }
        return out + "  verdict: \(verdict)\n"
    }

    /// The `"explain"` object of `--json --explain`.
    public var json: String {
        let siteTexts = sites.map { s in
            "{\"location\": \(jsonString(s.location.description)), \"kind\": \(jsonString(s.kind)), \"taken\": \(s.taken), "
                + "\"not_taken\": \(s.notTaken), \"trip_counts\": [\(s.tripCounts.map(String.init).joined(separator: ", "))]}"
        }
        let kinkTexts = kinks.map { k in
            "{\"location\": \(jsonString(k.location.description)), \"operation\": \(jsonString(k.operation)), "
                + "\"convention\": \(jsonString(k.convention)), \"count\": \(k.count)}"
        }
        return "{\"sites\": [\(siteTexts.joined(separator: ", "))], \"kinks\": [\(kinkTexts.joined(separator: ", "))], "
            + "\"custom_derivatives\": [\(customDerivatives.map(jsonString).joined(separator: ", "))], "
            + "\"one_sided_points\": \(oneSidedPoints), \"verdict\": \(jsonString(verdict))}"
    }
}

extension Compilation {
    /// "custom derivative 'd' (LINE:COL) of 'f'" for each function with one that `name` calls, itself included.
    func customDerivatives(reachableFrom name: String) -> [String] {
        var seen: Set<String> = [name]
        var work = [name]
        var found: [String] = []
        while let next = work.popLast() {
            guard let f = lowered.function(named: next) else { continue }
            if let d = f.customDerivative, let derivative = lowered.function(named: d) {
                found.append("custom derivative '\(d)' (\(derivative.location)) of '\(f.name)'")
            }
            for block in f.blocks {
                for instruction in block.instructions {
                    switch instruction.payload {
                    case .callee(let callee), .grad(let callee, _):
                        if seen.insert(callee).inserted { work.append(callee) }
                    default: break
                    }
                }
            }
        }
        return found.sorted()
    }
}
