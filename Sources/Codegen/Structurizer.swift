// Codegen stage: turn a function's control-flow graph into nested Swift statements.
//
// Ramsey's "Beyond Relooper" (2022) translation for reducible graphs: walk the
// dominator tree; a block with a back edge into it becomes `while true`, every
// dominator-tree child that several edges reach (a merge) follows a labeled `do`
// block that is left with `break`, and any other successor is emitted inline. So
// `if`/`else`, `while` and `for` come out as Swift control flow, not a state machine.
//
// Reverse sweeps of loops with several exits are irreducible (the reversed loop has
// several entries). Those functions get a `switch` in a loop over block numbers
// instead, which is correct for any graph.
import AdjointIR

/// How a function's blocks nest in the generated Swift.
indirect enum StructuredCode {
    /// The block's own instructions, then its terminator.
    case block(BlockID, Terminator)
    /// `label: while true { body }`, re-entered by `continue label`.
    case loop(header: BlockID, body: StructuredCode)
    /// `label: do { body }` followed by the merge block's code; left early by `break label`.
    case merge(body: StructuredCode, then: BlockID, next: StructuredCode)
}

/// What a branch from one block to another becomes.
enum Jump {
    /// `continue` the loop headed by the target.
    case continueLoop(BlockID)
    /// `break` out of the block the target follows.
    case breakTo(BlockID)
    /// The target's code, inline.
    case inline(StructuredCode)
}

/// The structured form of one function, or nil when its graph is irreducible.
struct Structurizer {
    let function: Function
    let dominators: Dominators
    private var rpo: [Int: Int] = [:]
    private var mergeNodes: Set<Int> = []
    private var loopHeaders: Set<Int> = []
    private var children: [Int: [BlockID]] = [:]

    init?(_ function: Function) {
        self.function = function
        dominators = Dominators(function)
        for (i, b) in dominators.reversePostOrder.enumerated() { rpo[b.index] = i }
        var forwardIn: [Int: Int] = [:]
        for b in dominators.reversePostOrder {
            for t in function.blocks[b.index].terminator.successors {
                if rpo[t.block.index]! <= rpo[b.index]! {
                    // A retreating edge must be a back edge (its target dominates its source): reducible.
                    guard dominators.dominates(t.block, b) else { return nil }
                    loopHeaders.insert(t.block.index)
                } else {
                    forwardIn[t.block.index, default: 0] += 1
                }
            }
        }
        mergeNodes = Set(forwardIn.filter { $0.value > 1 }.map(\.key))
        for b in dominators.reversePostOrder where b.index != 0 {
            children[dominators.idom[b.index]!.index, default: []].append(b)
        }
    }

    func isLoopHeader(_ b: BlockID) -> Bool { loopHeaders.contains(b.index) }
    func isMerge(_ b: BlockID) -> Bool { mergeNodes.contains(b.index) }

    /// The code of the whole function.
    func structure() -> StructuredCode { tree(BlockID(0)) }

    /// The code of `x` and its dominator-tree subtree.
    private func tree(_ x: BlockID) -> StructuredCode {
        let merges = (children[x.index] ?? []).filter(isMerge).sorted { rpo[$0.index]! < rpo[$1.index]! }
        let code = within(x, merges[...])
        return isLoopHeader(x) ? .loop(header: x, body: code) : code
    }

    /// `x`'s code nested inside blocks for its merge children, the latest (outermost) last.
    private func within(_ x: BlockID, _ merges: ArraySlice<BlockID>) -> StructuredCode {
        guard let last = merges.last else { return .block(x, function.blocks[x.index].terminator) }
        return .merge(body: within(x, merges.dropLast()), then: last, next: tree(last))
    }

    /// What branching from `source` to `target` is.
    func jump(from source: BlockID, to target: BlockID) -> Jump {
        if rpo[target.index]! <= rpo[source.index]! { return .continueLoop(target) }
        if isMerge(target) { return .breakTo(target) }
        return .inline(tree(target))
    }
}
