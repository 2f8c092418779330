// IR stage: where values are live, and which read of a value is its last.
//
// A value is live into a block when some path from the block's start reads it before
// the block that defines it runs again. It is found for each value by walking back from
// the blocks that read it to the one that defines it (path exploration, as in Boissinot
// et al.'s SSA liveness), so the work is the size of the live ranges, not blocks times
// values. The arguments of a branch are read by the block that branches.
//
// The code generator asks it when a tensor's storage can move on or be released: at the
// last read on every path, and only there.

/// Live-in blocks of the values asked for, and the reads of every value in each block.
public struct Liveness: Sendable {
    /// The reads of one value in one block.
    struct Reads: Sendable {
        /// Operands reading the value in the block, terminator included.
        var count = 0
        /// The position of the last read (an instruction index; the terminator's is `instructions.count`).
        var last = 0
        /// Operands reading the value at `last` (an `add %x, %x` reads it twice).
        var atLast = 0
    }

    private let reads: [[ValueID: Reads]]
    private let successors: [[Int]]
    /// For each value asked for, the blocks it is live into.
    private let liveIn: [ValueID: Set<Int>]

    /// Liveness of the values `include` accepts; other values are taken as live everywhere.
    public init(_ function: Function, values include: (ValueID) -> Bool = { _ in true }) {
        var reads = [[ValueID: Reads]](repeating: [:], count: function.blocks.count)
        var definingBlock: [ValueID: Int] = [:]
        for block in function.blocks {
            let b = block.id.index
            for p in block.parameters where include(p) { definingBlock[p] = b }
            // Only the values asked for: the queries answer false for the rest (no `liveIn`), and a function of
            // 100,000 Reals and no tensors needs no table at all.
            func read(_ v: ValueID, at position: Int) {
                guard include(v) else { return }
                var r = reads[b][v] ?? Reads()
                r.count += 1
                if r.count == 1 || r.last != position { r.atLast = 0 }
                r.last = position
                r.atLast += 1
                reads[b][v] = r
            }
            for (k, instruction) in block.instructions.enumerated() {
                for v in instruction.operands { read(v, at: k) }
                if let r = instruction.result, include(r) { definingBlock[r] = b }
            }
            for v in block.terminator.operands { read(v, at: block.instructions.count) }
        }
        let predecessors = function.predecessors()
        var readers: [ValueID: [Int]] = [:]
        for (b, values) in reads.enumerated() {
            for v in values.keys where include(v) { readers[v, default: []].append(b) }
        }
        var liveIn: [ValueID: Set<Int>] = [:]
        for (v, blocks) in readers {
            guard let home = definingBlock[v] else { continue }
            var live = Set<Int>()
            var work = blocks.filter { $0 != home }
            while let b = work.popLast() {
                guard live.insert(b).inserted else { continue }
                work += predecessors[b].map(\.index).filter { $0 != home && !live.contains($0) }
            }
            liveIn[v] = live
        }
        // A value that is defined but never read is live nowhere.
        for v in definingBlock.keys where include(v) && liveIn[v] == nil { liveIn[v] = [] }
        self.reads = reads
        self.liveIn = liveIn
        successors = function.blocks.map { $0.terminator.successors.map(\.block.index) }
    }

    /// Whether a path from the start of `block` reads `v` before `v` is defined again.
    public func isLiveIn(_ v: ValueID, _ block: Int) -> Bool {
        liveIn[v].map { $0.contains(block) } ?? true
    }

    /// The blocks `v` is live into; nil for a value not asked for.
    public func blocksLiveIn(_ v: ValueID) -> Set<Int>? { liveIn[v] }

    /// Whether a path from the end of `block` reads `v` before `v` is defined again.
    public func isLiveOut(_ v: ValueID, _ block: Int) -> Bool {
        successors[block].contains { isLiveIn(v, $0) }
    }

    /// Whether `block` reads `v` exactly once (one operand) and nothing reads it after that on any path.
    public func isReadOnceAndDies(_ v: ValueID, in block: Int) -> Bool {
        guard liveIn[v] != nil, let r = reads[block][v], r.count == 1 else { return false }
        return !isLiveOut(v, block)
    }

    /// Whether the read of `v` at `position` in `block` (one operand) is its last on every path.
    public func isLastRead(_ v: ValueID, in block: Int, at position: Int) -> Bool {
        guard liveIn[v] != nil, let r = reads[block][v], r.last == position, r.atLast == 1 else { return false }
        return !isLiveOut(v, block)
    }
}
