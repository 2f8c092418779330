// Transforms stage: remove what nothing uses.
//
// Pure instructions whose results are unused are deleted, and so are block
// parameters that no instruction or branch reads (with the arguments passed to
// them), until nothing changes. Instructions with effects (calls, tapes, `print`,
// random draws) stay even when their result is unused, and so does an element or
// part read the program wrote (`let y = v[5]`, its subscript kept in the payload):
// an index out of range is a run-time error whether or not the value is used.
import AdjointIR

/// Deletes unused pure instructions and unused block parameters.
public enum DeadCode: FunctionPass {
    public static let name = "dead-code"

    /// A subscript the program wrote, which may fail: kept for its check even when its value is unused.
    static func isWrittenRead(_ i: Instruction) -> Bool {
        guard i.op == .index || i.op == .select, case .subscripted = i.payload else { return false }
        return true
    }

    /// Marks what is live from the instructions with effects and the terminators, then sweeps the rest: linear
    /// in the function's size (a parameter is live only when an argument read as live reaches it).
    public static func run(on function: inout Function) {
        var live = [Bool](repeating: false, count: function.valueTypes.count)
        // Tables by value number (dictionaries hashed every value of every function).
        var definition = [(block: Int, index: Int)?](repeating: nil, count: function.valueTypes.count)
        var parameterPosition = [(block: Int, position: Int)?](repeating: nil, count: function.valueTypes.count)
        for (b, block) in function.blocks.enumerated() {
            for (j, p) in block.parameters.enumerated() { parameterPosition[p.index] = (b, j) }
            for (k, i) in block.instructions.enumerated() { if let r = i.result { definition[r.index] = (b, k) } }
        }
        let predecessors = function.predecessors()
        var work: [ValueID] = []
        func markLive(_ v: ValueID) {
            guard !live[v.index] else { return }
            live[v.index] = true
            work.append(v)
        }
        for block in function.blocks {
            for i in block.instructions where !i.op.isPure || i.result == nil || isWrittenRead(i) {
                i.operands.forEach(markLive)
            }
            switch block.terminator {
            case .condBranch(let c, _, _): markLive(c)
            case .ret(let v?): markLive(v)
            default: break
            }
        }
        for p in function.blocks.first?.parameters ?? [] { markLive(p) }
        while let v = work.popLast() {
            if let (b, k) = definition[v.index] {
                function.blocks[b].instructions[k].operands.forEach(markLive)
            } else if let (b, j) = parameterPosition[v.index] {
                // A live parameter makes live what every edge passes to it.
                for p in Set(predecessors[b].map(\.index)) {
                    for target in function.blocks[p].terminator.successors where target.block.index == b {
                        if j < target.arguments.count { markLive(target.arguments[j]) }
                    }
                }
            }
        }
        for b in function.blocks.indices {
            function.blocks[b].instructions.removeAll { i in
                guard let r = i.result, i.op.isPure, !isWrittenRead(i) else { return false }
                return !live[r.index]
            }
        }
        for b in function.blocks.indices.dropFirst() {
            let parameters = function.blocks[b].parameters
            let unused = Set(parameters.indices.filter { !live[parameters[$0].index] })
            guard !unused.isEmpty else { continue }
            function.blocks[b].parameters = parameters.enumerated().filter { !unused.contains($0.offset) }.map(\.element)
            for p in Set(predecessors[b].map(\.index)) {
                function.blocks[p].terminator = function.blocks[p].terminator.droppingArguments(unused, to: BlockID(b))
            }
        }
    }
}
