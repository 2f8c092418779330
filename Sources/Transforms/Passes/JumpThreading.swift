// Transforms stage: remove blocks that only branch on.
//
// A block with no parameters and no instructions that ends in `br T(args)` is
// skipped: its predecessors branch to T directly. The arguments are defined in
// blocks that dominate it, hence also its predecessors. Unreachable blocks are
// then dropped and blocks renumbered in order.
import AdjointIR

/// Threads jumps through empty blocks.
public enum JumpThreading: FunctionPass {
    public static let name = "jump-threading"

    public static func run(on function: inout Function) {
        var forward: [Int: BranchTarget] = [:]
        for block in function.blocks where block.id.index != 0 && block.parameters.isEmpty && block.instructions.isEmpty {
            if case .branch(let t) = block.terminator, t.block != block.id { forward[block.id.index] = t }
        }
        guard !forward.isEmpty else { return }
        func resolve(_ t: BranchTarget) -> BranchTarget {
            var t = t
            var steps = 0
            while t.arguments.isEmpty, let next = forward[t.block.index], steps < forward.count {
                t = next
                steps += 1
            }
            return t
        }
        for b in function.blocks.indices {
            function.blocks[b].terminator = function.blocks[b].terminator.mappingTargets(resolve)
        }
        var builder = FunctionBuilder(existing: function)
        builder.removeUnreachableBlocks()
        function = builder.function
    }
}
