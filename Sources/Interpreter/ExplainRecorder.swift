// Interpreter stage: what `grad --explain` reports, gathered while the interpreter runs.
//
// The recorder sees each conditional branch (which way it went, and for loop
// headers how many iterations each run of the loop made) and each kink or tie that
// makes the derivative one-sided: abs, relu and sign at 0, floor and int at an integer,
// ties in max/min/maximum/minimum, sqrt at 0, and a comparison decided on equality,
// each where its operand depends on the differentiated inputs.
// In exact mode ties are exact; in float mode they are exact Double equality.
// The interpreter holds an optional recorder, so without `--explain` nothing is counted.
import AdjointBasic
import AdjointIR

/// The facts of one evaluation's path and its one-sided points, keyed by source location.
public final class ExplainRecorder: @unchecked Sendable {
    /// How a conditional branch at one source location went.
    public struct BranchSite: Sendable, Equatable {
        public var taken = 0
        public var notTaken = 0
        /// For a loop header: iterations of each run of the loop, in order.
        public var tripCounts: [Int] = []
        var currentRun: Int?
    }

    /// A kink or tie met at one source location.
    public struct Kink: Sendable, Equatable {
        public var operation: String
        public var convention: String
        public var count: Int
    }

    public private(set) var branches: [SourceLocation: BranchSite] = [:]
    public private(set) var kinks: [SourceLocation: Kink] = [:]
    /// Decides whether code of a function is recorded (the driver leaves reverse sweeps out: their
    /// `sign` and masks restate the forward sweep's kinks).
    public let records: @Sendable (String) -> Bool
    /// The values of each recorded function that depend on the differentiated inputs: a kink or a tie counts
    /// only where its operand does (spec §9). Nil: every value counts.
    public let dependent: [String: Set<ValueID>]?

    public init(records: @escaping @Sendable (String) -> Bool = { _ in true }, dependent: [String: Set<ValueID>]? = nil) {
        self.records = records
        self.dependent = dependent
    }

    /// Whether a value of `function` depends on the differentiated inputs.
    func dependsOnInputs(_ value: ValueID, in function: String) -> Bool {
        guard let dependent else { return true }
        return dependent[function]?.contains(value) ?? false
    }

    /// A loop header was entered from outside the loop: a new run starts.
    func enterLoop(at location: SourceLocation) {
        finishRun(at: location)
        branches[location, default: BranchSite()].currentRun = 0
    }

    /// A conditional branch went one way; in a loop header `taken` means another iteration.
    func branch(at location: SourceLocation, taken: Bool) {
        var site = branches[location, default: BranchSite()]
        if taken { site.taken += 1 } else { site.notTaken += 1 }
        if let run = site.currentRun {
            if taken {
                site.currentRun = run + 1
            } else {
                site.tripCounts.append(run)
                site.currentRun = nil
            }
        }
        branches[location] = site
    }

    /// Closes runs left open by a `break` or `return` (call once the evaluation is over).
    public func finish() {
        for location in branches.keys { finishRun(at: location) }
    }

    private func finishRun(at location: SourceLocation) {
        guard let run = branches[location]?.currentRun else { return }
        branches[location]!.tripCounts.append(run)
        branches[location]!.currentRun = nil
    }

    func kink(at location: SourceLocation, operation: String, convention: String, count: Int = 1) {
        guard count > 0 else { return }
        kinks[location, default: Kink(operation: operation, convention: convention, count: 0)].count += count
    }

    /// The number of one-sided points met.
    public var oneSidedPoints: Int { kinks.values.reduce(0) { $0 + $1.count } }
}
