// Transforms stage: remove block parameters that only ever receive one value.
//
// A parameter whose incoming arguments are all the same value v (or the parameter
// itself, around a loop) is v: every use is rewritten to v and the parameter and
// its arguments are dropped (Braun et al.'s trivial-phi removal). Reverse mode
// relies on it: its reverse blocks pass every crossing adjoint along, and most of
// those parameters turn out to carry one value. Requires verified IR; keeps it so.
import AdjointBasic
import AdjointIR

/// Removes trivial block parameters until none is left.
public enum BlockParameterCleanup {
    public static let name = "block-parameter-cleanup"

    public static func run(on function: inout Function) {
        var replacement: [ValueID: ValueID] = [:]
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = replacement[v] { v = next }
            return v
        }
        var changed = true
        while changed {
            changed = false
            var incoming: [[[ValueID]]] = function.blocks.map { Array(repeating: [], count: $0.parameters.count) }
            var hasEdges = Array(repeating: false, count: function.blocks.count)
            for block in function.blocks {
                for target in block.terminator.successors {
                    hasEdges[target.block.index] = true
                    for (j, argument) in target.arguments.enumerated() where j < incoming[target.block.index].count {
                        incoming[target.block.index][j].append(resolve(argument))
                    }
                }
            }
            for b in function.blocks.indices.dropFirst() where hasEdges[b] {
                var removed: [Int] = []
                for (j, parameter) in function.blocks[b].parameters.enumerated() {
                    let others = Set(incoming[b][j]).subtracting([parameter])
                    if others.count == 1 {
                        replacement[parameter] = others.first!
                        removed.append(j)
                    }
                }
                guard !removed.isEmpty else { continue }
                changed = true
                function.blocks[b].parameters = function.blocks[b].parameters.enumerated()
                    .filter { !removed.contains($0.offset) }.map(\.element)
                let target = BlockID(b)
                for p in function.blocks.indices {
                    function.blocks[p].terminator = function.blocks[p].terminator.droppingArguments(removed, to: target)
                }
                break  // incoming lists are stale now; recompute
            }
        }
        guard !replacement.isEmpty else { return }
        for b in function.blocks.indices {
            for i in function.blocks[b].instructions.indices {
                function.blocks[b].instructions[i].operands = function.blocks[b].instructions[i].operands.map(resolve)
            }
            function.blocks[b].terminator = function.blocks[b].terminator.mappingOperands(resolve)
        }
    }
}

extension Terminator {
    /// The terminator with the arguments at `positions` removed from every edge to `target`.
    func droppingArguments(_ positions: [Int], to target: BlockID) -> Terminator {
        func drop(_ t: BranchTarget) -> BranchTarget {
            guard t.block == target else { return t }
            return BranchTarget(t.block, t.arguments.enumerated().filter { !positions.contains($0.offset) }.map(\.element))
        }
        switch self {
        case .branch(let t): return .branch(drop(t))
        case .condBranch(let c, let t, let e): return .condBranch(condition: c, then: drop(t), else: drop(e))
        case .ret: return self
        }
    }

    /// The terminator with every operand passed through `f`.
    func mappingOperands(_ f: (ValueID) -> ValueID) -> Terminator {
        func map(_ t: BranchTarget) -> BranchTarget { BranchTarget(t.block, t.arguments.map(f)) }
        switch self {
        case .branch(let t): return .branch(map(t))
        case .condBranch(let c, let t, let e): return .condBranch(condition: f(c), then: map(t), else: map(e))
        case .ret(let v): return .ret(v.map(f))
        }
    }
}
