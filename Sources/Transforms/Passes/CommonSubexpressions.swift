// Transforms stage: compute each pure expression once per block.
//
// Local value numbering: within a block, a second instruction with the same
// opcode, operands and payload as an earlier one reuses its result. Only pure
// operations take part: nothing that reads or changes state (calls, tapes,
// `print`, random draws, `is_training`), since two of those are not one.
import AdjointIR

/// Merges repeated pure instructions within each block.
public enum CommonSubexpressions: FunctionPass {
    public static let name = "common-subexpressions"

    struct Key: Hashable {
        var op: Opcode
        var operands: [ValueID]
        var payload: Payload
    }

    public static func run(on function: inout Function) {
        var replacement: [ValueID: ValueID] = [:]
        for b in function.blocks.indices {
            var seen: [Key: ValueID] = [:]
            for k in function.blocks[b].instructions.indices {
                var instruction = function.blocks[b].instructions[k]
                instruction.operands = instruction.operands.map { replacement[$0] ?? $0 }
                function.blocks[b].instructions[k] = instruction
                guard let r = instruction.result, instruction.op.isPure else { continue }
                let key = Key(op: instruction.op, operands: instruction.operands, payload: instruction.payload)
                if let earlier = seen[key], function.type(of: earlier) == function.type(of: r) {
                    replacement[r] = earlier
                } else {
                    seen[key] = r
                }
            }
        }
        guard !replacement.isEmpty else { return }
        for b in function.blocks.indices {
            for k in function.blocks[b].instructions.indices {
                function.blocks[b].instructions[k].operands = function.blocks[b].instructions[k].operands.map {
                    replacement[$0] ?? $0
                }
            }
            function.blocks[b].terminator = function.blocks[b].terminator.mappingOperands { replacement[$0] ?? $0 }
        }
    }
}

extension Opcode {
    /// Whether the result depends only on the operands and nothing else happens: safe to merge or drop.
    public var isPure: Bool {
        switch self {
        case .print, .call, .grad, .randnormal, .randuniform, .push, .pop, .settraining, .istraining: return false
        default: return true
        }
    }
}
