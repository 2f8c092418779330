// Transforms stage: remove what nothing uses.
//
// Pure instructions whose results are unused are deleted, and so are block
// parameters that no instruction or branch reads (with the arguments passed to
// them), until nothing changes. Instructions with effects (calls, tapes, `print`,
// random draws) stay even when their result is unused.
import AdjointIR

/// Deletes unused pure instructions and unused block parameters.
public enum DeadCode: FunctionPass {
    public static let name = "dead-code"

    public static func run(on function: inout Function) {
        var changed = true
        while changed {
            changed = false
            var uses = [Int](repeating: 0, count: function.valueTypes.count)
            for block in function.blocks {
                for i in block.instructions { for v in i.operands { uses[v.index] += 1 } }
                for v in block.terminator.operands { uses[v.index] += 1 }
            }
            for b in function.blocks.indices {
                let before = function.blocks[b].instructions.count
                function.blocks[b].instructions.removeAll { i in
                    guard let r = i.result, i.op.isPure else { return false }
                    return uses[r.index] == 0
                }
                changed = changed || function.blocks[b].instructions.count != before
            }
            // Parameters nobody reads (a parameter passed only to itself around a loop counts as unread).
            for b in function.blocks.indices.dropFirst() {
                let parameters = function.blocks[b].parameters
                let unused = parameters.indices.filter { j in
                    let p = parameters[j]
                    let selfUses = function.blocks[b].terminator.successors.filter { $0.block.index == b }
                        .reduce(0) { $0 + ($1.arguments.count > j && $1.arguments[j] == p ? 1 : 0) }
                    return uses[p.index] == selfUses
                }
                guard !unused.isEmpty else { continue }
                function.blocks[b].parameters = parameters.enumerated().filter { !unused.contains($0.offset) }.map(\.element)
                for p in function.blocks.indices {
                    function.blocks[p].terminator = function.blocks[p].terminator.droppingArguments(unused, to: BlockID(b))
                }
                changed = true
            }
        }
    }
}
