// Transforms stage: merge a block into its only predecessor.
//
// A block entered by one edge, an unconditional `br` from a block that is not itself,
// runs right after that block and only then: its instructions and terminator move to
// the end of the predecessor, and its parameters become the values the branch passed.
// Straight-line code that the transforms split (the fused sweeps' seam, a reverse
// sweep's entry) is one block again, so the Swift it becomes declares each value where
// it is computed. Unreachable blocks are then dropped and blocks renumbered in order.
import AdjointIR

/// Merges chains of blocks that one edge joins.
public enum BlockMerging: FunctionPass {
    public static let name = "merge-blocks"

    public static func run(on function: inout Function) {
        var edges = Array(repeating: 0, count: function.blocks.count)
        for block in function.blocks {
            for t in block.terminator.successors { edges[t.block.index] += 1 }
        }
        let dominators = Dominators(function)
        // `owner[b]`: the block that now holds b's code; predecessors come first in reverse post-order.
        var owner = Array(function.blocks.indices)
        var replacement: [ValueID: ValueID] = [:]
        var merged = false
        for id in dominators.reversePostOrder where id.index != 0 && edges[id.index] == 1 {
            guard let predecessor = dominators.idom[id.index].map({ owner[$0.index] }), predecessor != id.index,
                  case .branch(let t) = function.blocks[predecessor].terminator, t.block == id else { continue }
            let block = function.blocks[id.index]
            for (p, a) in zip(block.parameters, t.arguments) { replacement[p] = a }
            function.blocks[predecessor].instructions += block.instructions
            function.blocks[predecessor].terminator = block.terminator
            function.blocks[predecessor].terminatorLocation = block.terminatorLocation
            function.blocks[id.index].instructions = []
            function.blocks[id.index].terminator = .ret(nil)
            owner[id.index] = predecessor
            merged = true
        }
        guard merged else { return }
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = replacement[v] { v = next }
            return v
        }
        for b in function.blocks.indices {
            for k in function.blocks[b].instructions.indices {
                function.blocks[b].instructions[k].operands = function.blocks[b].instructions[k].operands.map(resolve)
            }
            function.blocks[b].terminator = function.blocks[b].terminator.mappingOperands(resolve)
        }
        var builder = FunctionBuilder(existing: function)
        builder.removeUnreachableBlocks()
        function = builder.function
    }
}
