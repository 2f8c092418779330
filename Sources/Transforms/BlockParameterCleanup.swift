// Transforms stage: remove block parameters that only ever receive one value.
//
// A parameter whose incoming arguments are all the same value v (or the parameter
// itself, around a loop) is v: every use is rewritten to v and the parameter and
// its arguments are dropped (Braun et al.'s trivial-phi removal). So is a group of
// parameters that pass values only among themselves and receive one value v from
// outside (a strongly connected component of parameters, Braun et al.'s section
// 3.2): a loop with a branch in it carries such a group for an adjoint that is
// always zero. Reverse mode relies on both: its reverse blocks pass every crossing
// adjoint along, and most of those parameters turn out to carry one value.
// Requires verified IR; keeps it so.
import AdjointBasic
import AdjointIR

/// Removes trivial block parameters until none is left.
public enum BlockParameterCleanup {
    public static let name = "block-parameter-cleanup"

    /// A worklist over parameters, linear in the function's size up to the replacements' chains: a parameter
    /// is checked again only when one of the values passed to it is replaced.
    public static func run(on function: inout Function) {
        var replacement: [ValueID: ValueID] = [:]
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = replacement[v] { v = next }
            return v
        }
        // The arguments each parameter receives, and the parameters each value is passed to.
        var incoming: [[[ValueID]]] = function.blocks.map { Array(repeating: [], count: $0.parameters.count) }
        var receivers: [ValueID: [(block: Int, position: Int)]] = [:]
        var hasEdges = Array(repeating: false, count: function.blocks.count)
        for block in function.blocks {
            for target in block.terminator.successors {
                let b = target.block.index
                hasEdges[b] = true
                for (j, argument) in target.arguments.enumerated() where j < incoming[b].count {
                    incoming[b][j].append(argument)
                    receivers[argument, default: []].append((b, j))
                }
            }
        }
        var work: [(block: Int, position: Int)] = []
        for b in function.blocks.indices.dropFirst().reversed() where hasEdges[b] {
            for j in function.blocks[b].parameters.indices.reversed() { work.append((b, j)) }
        }
        var removed: [Set<Int>] = Array(repeating: [], count: function.blocks.count)
        while let (b, j) = work.popLast() {
            guard !removed[b].contains(j) else { continue }
            let parameter = function.blocks[b].parameters[j]
            var other: ValueID? = nil
            var trivial = true
            for argument in incoming[b][j] {
                let v = resolve(argument)
                if v == parameter || v == other { continue }
                if other == nil { other = v } else { trivial = false; break }
            }
            guard trivial, let value = other else { continue }
            replacement[parameter] = value
            removed[b].insert(j)
            // Whatever received the parameter now receives the value: check those parameters again.
            let moved = receivers.removeValue(forKey: parameter) ?? []
            receivers[value, default: []] += moved
            work += moved.reversed()
        }
        let resolvedIncoming = incoming.map { $0.map { $0.map(resolve) } }
        for (parameter, value, block, index) in redundantGroups(function, incoming: resolvedIncoming, removed: removed) {
            replacement[parameter] = value
            removed[block].insert(index)
        }
        guard !replacement.isEmpty else { return }
        for b in function.blocks.indices where !removed[b].isEmpty {
            function.blocks[b].parameters = function.blocks[b].parameters.enumerated()
                .filter { !removed[b].contains($0.offset) }.map(\.element)
        }
        for b in function.blocks.indices {
            for i in function.blocks[b].instructions.indices {
                function.blocks[b].instructions[i].operands = function.blocks[b].instructions[i].operands.map(resolve)
            }
            var terminator = function.blocks[b].terminator.mappingOperands(resolve)
            for target in Set(terminator.successors.map(\.block.index)) where !removed[target].isEmpty {
                terminator = terminator.droppingArguments(removed[target], to: BlockID(target))
            }
            function.blocks[b].terminator = terminator
        }
    }
}

extension BlockParameterCleanup {
    /// Each strongly connected group of the remaining parameters (linked by one passing another as an
    /// argument) that receives a single value from outside the group: its parameters, with that value and
    /// their places (Tarjan's SCCs). `incoming` holds the arguments already resolved.
    static func redundantGroups(_ function: Function, incoming: [[[ValueID]]], removed: [Set<Int>])
        -> [(parameter: ValueID, value: ValueID, block: Int, index: Int)] {
        var position: [ValueID: (block: Int, index: Int)] = [:]
        for (b, block) in function.blocks.enumerated().dropFirst() {
            for (j, p) in block.parameters.enumerated() where !removed[b].contains(j) { position[p] = (b, j) }
        }
        func arguments(_ p: ValueID) -> [ValueID] {
            let (b, j) = position[p]!
            return incoming[b][j]
        }
        // Tarjan's algorithm with an explicit stack: the parameters a parameter receives are its successors.
        var order: [ValueID: Int] = [:], low: [ValueID: Int] = [:]
        var onStack: Set<ValueID> = [], stack: [ValueID] = [], components: [[ValueID]] = []
        var counter = 0
        for root in position.keys.sorted(by: { $0.index < $1.index }) where order[root] == nil {
            var frames: [(node: ValueID, next: Int)] = [(root, 0)]
            order[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack.insert(root)
            while let (node, next) = frames.last {
                let successors = arguments(node).filter { position[$0] != nil }
                if next < successors.count {
                    frames[frames.count - 1].next += 1
                    let s = successors[next]
                    if order[s] == nil {
                        order[s] = counter; low[s] = counter; counter += 1
                        stack.append(s); onStack.insert(s)
                        frames.append((s, 0))
                    } else if onStack.contains(s) {
                        low[node] = min(low[node]!, order[s]!)
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last?.node { low[parent] = min(low[parent]!, low[node]!) }
                if low[node] == order[node] {
                    var component: [ValueID] = []
                    while let top = stack.popLast() {
                        onStack.remove(top)
                        component.append(top)
                        if top == node { break }
                    }
                    components.append(component)
                }
            }
        }
        var redundant: [(parameter: ValueID, value: ValueID, block: Int, index: Int)] = []
        for component in components where component.count > 1 {
            let members = Set(component)
            let outside = Set(component.flatMap(arguments).filter { !members.contains($0) })
            guard outside.count == 1, let value = outside.first else { continue }
            for p in component { redundant.append((p, value, position[p]!.block, position[p]!.index)) }
        }
        return redundant
    }
}

extension Terminator {
    /// The terminator with the arguments at `positions` removed from every edge to `target`.
    func droppingArguments(_ positions: Set<Int>, to target: BlockID) -> Terminator {
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
