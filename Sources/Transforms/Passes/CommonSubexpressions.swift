// Transforms stage: compute each pure expression once on every path.
//
// Value numbering over the dominator tree: a second instruction with the same
// opcode, operands and payload as one in the same block or a dominating block
// reuses its result (`x[i]` read in the condition and again in each branch is read
// once). Only pure operations take part: nothing that reads or changes state
// (calls, tapes, `print`, random draws, `is_training`), since two of those are not one.
//
// Run before differentiation too (`Pipeline.beforeDifferentiation`), so that the
// derivative does the same work however the program spells a read: there it leaves
// alone the operations with a non-smooth point and the comparisons, whose every
// occurrence `--explain` reports at its own place.
import AdjointIR

/// Merges repeated pure instructions along the dominator tree.
public enum CommonSubexpressions: FunctionPass {
    public static let name = "common-subexpressions"

    /// An instruction's opcode, operands and payload as plain numbers, cheap to hash and copy (the table holds
    /// one per pure instruction of the function): two operands inline (most instructions have at most two), a
    /// subscript as which of its positions index an axis, and the rest (more operands, a constant) as the number
    /// of its first occurrence in `Extras`.
    struct Key: Hashable {
        var op: Opcode
        var positions: UInt8 = 0
        var extra: Int32 = -1
        var first = -1, second = -1
        var axes: UInt64 = 0

        /// One word into the hasher (SipHash per word is most of the cost of a lookup); `==` compares every field.
        func hash(into hasher: inout Hasher) {
            var mixed = UInt64(UInt(bitPattern: first)) &* 0x9E37_79B9_7F4A_7C15
            mixed ^= UInt64(UInt(bitPattern: second)) &* 0xC2B2_AE3D_27D4_EB4F
            mixed ^= UInt64(UInt32(bitPattern: extra)) &* 0x1656_67B1_9E37_79F9
            mixed ^= axes &* 0x27D4_EB2F_1656_67C5 ^ UInt64(positions) << 56 ^ UInt64(withUnsafeBytes(of: op) { $0[0] }) << 40
            hasher.combine(mixed)
        }

        init(_ op: Opcode, _ operands: [ValueID], _ payload: Payload, _ extras: inout Extras) {
            self.op = op
            if operands.count > 0 { first = operands[0].index }
            if operands.count > 1 { second = operands[1].index }
            var payload = payload
            // A subscript's spelling is only for error messages: `x[j]` and `x[i]` with j = i read one element.
            if case .subscripted(let s) = payload, s.indexesAxis.count < 64 {
                positions = UInt8(s.indexesAxis.count)
                for (k, indexes) in s.indexesAxis.enumerated() where indexes { axes |= 1 << UInt64(k) }
                payload = .none
            }
            if operands.count > 2 || payload != .none {
                extra = extras.number(Extra(more: Array(operands.dropFirst(2)), payload: payload))
            }
        }
    }

    /// Operands past the second and a payload, numbered in order of first occurrence.
    struct Extra: Hashable {
        var more: [ValueID]
        var payload: Payload
    }

    struct Extras {
        private var numbers: [Extra: Int32] = [:]

        mutating func number(_ extra: Extra) -> Int32 {
            if let n = numbers[extra] { return n }
            let n = Int32(numbers.count)
            numbers[extra] = n
            return n
        }
    }

    public static func run(on function: inout Function) { run(on: &function, keepingPoints: false) }

    /// `keepingPoints`: leave instructions with a non-smooth point, and comparisons, unmerged.
    public static func run(on function: inout Function, keepingPoints: Bool) {
        let dominators = Dominators(function)
        var children = [[Int]](repeating: [], count: function.blocks.count)
        for b in dominators.reversePostOrder where b.index != 0 {
            if let parent = dominators.idom[b.index] { children[parent.index].append(b.index) }
        }
        var replacement = [ValueID?](repeating: nil, count: function.valueTypes.count)
        var replaced = false
        var seen: [Key: ValueID] = [:]
        var extras = Extras()
        // Depth-first over the dominator tree; each block's additions are undone when its subtree is done.
        var work: [(block: Int, leaving: Bool)] = [(0, false)]
        var added: [[Key]] = Array(repeating: [], count: function.blocks.count)
        // A merged instruction goes at once: the one it repeats ran first on every path with the same
        // operands, so even a read the program wrote (kept by dead-code removal for its bounds check)
        // has nothing left to check.
        var merged = [[Int]](repeating: [], count: function.blocks.count)
        while let (b, leaving) = work.popLast() {
            if leaving {
                for key in added[b] { seen[key] = nil }
                continue
            }
            work.append((b, true))
            for k in function.blocks[b].instructions.indices {
                if replaced, function.blocks[b].instructions[k].operands.contains(where: { replacement[$0.index] != nil }) {
                    function.blocks[b].instructions[k].operands = function.blocks[b].instructions[k].operands.map {
                        replacement[$0.index] ?? $0
                    }
                }
                let op = function.blocks[b].instructions[k].op
                // Two tensors of zeros are two buffers: an adjoint and its tangent each start as one and are updated
                // in place, and sharing one makes the first update copy it.
                guard let r = function.blocks[b].instructions[k].result, op.isPure, op != .zeroslike else { continue }
                if keepingPoints, op.nonSmoothPoint != nil || op.isComparison { continue }
                // `a * b` and `b * a` are one value: IEEE addition and multiplication commute exactly, of Reals,
                // Ints and tensors alike (the adjoint of `100 * a * a` builds both).
                let operands = function.blocks[b].instructions[k].operands
                let commutes = (op == .add || op == .mul) && operands.count == 2 && operands[1] < operands[0]
                let key = Key(op, commutes ? [operands[1], operands[0]] : operands, function.blocks[b].instructions[k].payload,
                              &extras)
                if let earlier = seen[key] {
                    if function.type(of: earlier) == function.type(of: r) {
                        replacement[r.index] = earlier
                        replaced = true
                        merged[b].append(k)
                    }
                } else {
                    seen[key] = r
                    added[b].append(key)
                }
            }
            for child in children[b].reversed() { work.append((child, false)) }
        }
        guard replaced else { return }
        for b in function.blocks.indices where !merged[b].isEmpty {
            // One pass that keeps the rest (removing each at its index moved the block's tail every time).
            let drop = Set(merged[b])
            function.blocks[b].instructions = function.blocks[b].instructions.enumerated()
                .filter { !drop.contains($0.offset) }.map(\.element)
        }
        for b in function.blocks.indices {
            for k in function.blocks[b].instructions.indices
            where function.blocks[b].instructions[k].operands.contains(where: { replacement[$0.index] != nil }) {
                function.blocks[b].instructions[k].operands = function.blocks[b].instructions[k].operands.map {
                    replacement[$0.index] ?? $0
                }
            }
            function.blocks[b].terminator = function.blocks[b].terminator.mappingOperands { replacement[$0.index] ?? $0 }
        }
    }
}

/// The same pass, leaving every non-smooth point where the program wrote it: run before differentiation.
public enum CommonSubexpressionsKeepingPoints: FunctionPass {
    public static let name = "common-subexpressions-keeping-points"
    public static func run(on function: inout Function) { CommonSubexpressions.run(on: &function, keepingPoints: true) }
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
