// What `grad --compiled --explain` records while the generated gradient runs: the branches
// and loop runs of every sweep but the reverse ones, and each non-smooth point met where an
// operand depends on the differentiated inputs. Emitted only into that command's program,
// which prints `explainReport()` after the gradient for the `adjoint` CLI to read back.

struct ExplainSiteKey: Hashable, Comparable {
    let line: Int
    let column: Int
    static func < (a: ExplainSiteKey, b: ExplainSiteKey) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

struct ExplainBranchSite {
    var taken = 0
    var notTaken = 0
    var trips: [Int] = []
    var run: Int? = nil
}

struct ExplainKinkSite {
    var operation: String
    var convention: String
    var count: Int
}

nonisolated(unsafe) var explainBranchSites: [ExplainSiteKey: ExplainBranchSite] = [:]
nonisolated(unsafe) var explainKinkSites: [ExplainSiteKey: ExplainKinkSite] = [:]

/// A loop header entered from outside its loop: a new run starts.
func explainEnterLoop(_ line: Int, _ column: Int) {
    let key = ExplainSiteKey(line: line, column: column)
    explainFinishRun(key)
    explainBranchSites[key, default: ExplainBranchSite()].run = 0
}

/// A conditional branch went one way; at a loop header `taken` is one more iteration.
func explainBranch(_ line: Int, _ column: Int, taken: Bool) {
    let key = ExplainSiteKey(line: line, column: column)
    var site = explainBranchSites[key, default: ExplainBranchSite()]
    if taken { site.taken += 1 } else { site.notTaken += 1 }
    if let run = site.run {
        if taken {
            site.run = run + 1
        } else {
            site.trips.append(run)
            site.run = nil
        }
    }
    explainBranchSites[key] = site
}

private func explainFinishRun(_ key: ExplainSiteKey) {
    guard let run = explainBranchSites[key]?.run else { return }
    explainBranchSites[key]!.trips.append(run)
    explainBranchSites[key]!.run = nil
}

func explainKink(_ line: Int, _ column: Int, _ operation: String, _ convention: String, _ count: Int) {
    guard count > 0 else { return }
    let key = ExplainSiteKey(line: line, column: column)
    explainKinkSites[key, default: ExplainKinkSite(operation: operation, convention: convention, count: 0)].count += count
}

func explainZeros(_ x: Double) -> Int { x == 0 ? 1 : 0 }
func explainZeros(_ x: Tensor) -> Int { x.scalars.filter { $0 == 0 }.count }
func explainIntegers(_ x: Double) -> Int { x.rounded(.down) == x ? 1 : 0 }
func explainIntegers(_ x: Tensor) -> Int { x.scalars.filter { $0.rounded(.down) == $0 }.count }

/// Equal elements of two operands, a one-element operand standing for each element of the other.
func explainTies(_ a: [Double], _ b: [Double]) -> Int {
    var ties = 0
    for i in 0..<max(a.count, b.count) where a[a.count == 1 ? 0 : i] == b[b.count == 1 ? 0 : i] { ties += 1 }
    return ties
}
func explainTies(_ a: Double, _ b: Double) -> Int { a == b ? 1 : 0 }
func explainTies(_ a: Tensor, _ b: Tensor) -> Int { explainTies(a.scalars, b.scalars) }
func explainTies(_ a: Double, _ b: Tensor) -> Int { explainTies([a], b.scalars) }
func explainTies(_ a: Tensor, _ b: Double) -> Int { explainTies(a.scalars, [b]) }

/// `max`/`min` of a tensor: a tie when more than one element attains the result.
func explainExtreme(_ line: Int, _ column: Int, _ operation: String, _ convention: String, _ x: Tensor, _ extreme: Double) {
    let attaining = x.scalars.filter { $0 == extreme }.count
    explainKink(line, column, "\(operation) (\(attaining) elements attain it)", convention, attaining > 1 ? 1 : 0)
}

/// The record, one line a site: `site LINE COLUMN TAKEN NOT_TAKEN TRIPS` and `kink LINE COLUMN COUNT<tab>OPERATION<tab>CONVENTION`.
func explainReport() -> String {
    for key in Array(explainBranchSites.keys) { explainFinishRun(key) }
    var out = ""
    for (key, site) in explainBranchSites.sorted(by: { $0.key < $1.key }) {
        out += "site \(key.line) \(key.column) \(site.taken) \(site.notTaken) \(site.trips.map(String.init).joined(separator: ","))\n"
    }
    for (key, kink) in explainKinkSites.sorted(by: { $0.key < $1.key }) {
        out += "kink \(key.line) \(key.column) \(kink.count)\t\(kink.operation)\t\(kink.convention)\n"
    }
    return out
}
