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
        // Flat tables indexed by value and parameter number, not dictionaries or arrays of arrays: this runs
        // on every sweep, and hashing, then allocating and freeing the small arrays, was most of its time.
        let blocks = function.blocks
        var replacement = [ValueID?](repeating: nil, count: function.valueTypes.count)
        var replaced = false
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = replacement[v.index] { v = next }
            return v
        }
        // Every block parameter is a slot: block b's parameter j is slot firstSlot[b] + j.
        var firstSlot = [Int](repeating: 0, count: blocks.count + 1)
        var edges = [Int](repeating: 0, count: blocks.count)
        for (b, block) in blocks.enumerated() {
            firstSlot[b + 1] = firstSlot[b] + block.parameters.count
            for target in block.terminator.successors { edges[target.block.index] += 1 }
        }
        let slots = firstSlot[blocks.count]
        var blockOf = [Int](repeating: 0, count: slots)
        for b in blocks.indices { for s in firstSlot[b]..<firstSlot[b + 1] { blockOf[s] = b } }
        // The arguments of block b's edges, edge by edge: edge e passes parameter j arguments[firstArgument[b] + e * P + j].
        var firstArgument = [Int](repeating: 0, count: blocks.count + 1)
        for b in blocks.indices { firstArgument[b + 1] = firstArgument[b] + edges[b] * blocks[b].parameters.count }
        var arguments = [ValueID](repeating: ValueID(0), count: firstArgument[blocks.count])
        // The slots each value is passed to, as linked lists (head, tail by value; next by entry).
        var head = [Int](repeating: -1, count: function.valueTypes.count)
        var tail = [Int](repeating: -1, count: function.valueTypes.count)
        var entrySlot: [Int] = [], entryNext: [Int] = []
        entrySlot.reserveCapacity(arguments.count)
        entryNext.reserveCapacity(arguments.count)
        func link(_ value: ValueID, _ slot: Int) {
            entrySlot.append(slot)
            entryNext.append(-1)
            let entry = entrySlot.count - 1
            if tail[value.index] >= 0 { entryNext[tail[value.index]] = entry } else { head[value.index] = entry }
            tail[value.index] = entry
        }
        var filled = [Int](repeating: 0, count: blocks.count)
        for block in blocks {
            for target in block.terminator.successors {
                let b = target.block.index, count = blocks[b].parameters.count
                let base = firstArgument[b] + filled[b] * count
                filled[b] += 1
                for (j, argument) in target.arguments.enumerated() where j < count {
                    arguments[base + j] = argument
                    link(argument, firstSlot[b] + j)
                }
            }
        }
        func argumentsOf(_ slot: Int) -> StrideTo<Int> {
            let b = blockOf[slot], count = blocks[b].parameters.count
            return stride(from: firstArgument[b] + slot - firstSlot[b], to: firstArgument[b + 1], by: Swift.max(count, 1))
        }
        var work: [Int] = []
        for b in blocks.indices.dropFirst().reversed() where edges[b] > 0 {
            for s in (firstSlot[b]..<firstSlot[b + 1]).reversed() { work.append(s) }
        }
        var removed = [Bool](repeating: false, count: slots)
        var moved: [Int] = []
        while let s = work.popLast() {
            guard !removed[s] else { continue }
            let b = blockOf[s]
            let parameter = blocks[b].parameters[s - firstSlot[b]]
            var other: ValueID? = nil
            var trivial = true
            for k in argumentsOf(s) {
                let v = resolve(arguments[k])
                if v == parameter || v == other { continue }
                if other == nil { other = v } else { trivial = false; break }
            }
            guard trivial, let value = other else { continue }
            replacement[parameter.index] = value
            replaced = true
            removed[s] = true
            // Whatever received the parameter now receives the value: check those parameters again.
            moved.removeAll(keepingCapacity: true)
            var entry = head[parameter.index]
            while entry >= 0 {
                moved.append(entrySlot[entry])
                entry = entryNext[entry]
            }
            if head[parameter.index] >= 0 {
                if tail[value.index] >= 0 { entryNext[tail[value.index]] = head[parameter.index] }
                else { head[value.index] = head[parameter.index] }
                tail[value.index] = tail[parameter.index]
                head[parameter.index] = -1
                tail[parameter.index] = -1
            }
            work += moved.reversed()
        }
        for (parameter, value, block, index) in redundantGroups(
            function, arguments: { b, j in argumentsOf(firstSlot[b] + j).map { resolve(arguments[$0]) } },
            removed: { b, j in removed[firstSlot[b] + j] }) {
            replacement[parameter.index] = value
            replaced = true
            removed[firstSlot[block] + index] = true
        }
        guard replaced else { return }
        var removedPositions = [Set<Int>](repeating: [], count: blocks.count)
        for s in 0..<slots where removed[s] { removedPositions[blockOf[s]].insert(s - firstSlot[blockOf[s]]) }
        for b in function.blocks.indices where !removedPositions[b].isEmpty {
            function.blocks[b].parameters = function.blocks[b].parameters.enumerated()
                .filter { !removedPositions[b].contains($0.offset) }.map(\.element)
        }
        for b in function.blocks.indices {
            for i in function.blocks[b].instructions.indices
            where function.blocks[b].instructions[i].operands.contains(where: { replacement[$0.index] != nil }) {
                function.blocks[b].instructions[i].operands = function.blocks[b].instructions[i].operands.map(resolve)
            }
            var terminator = function.blocks[b].terminator.mappingOperands(resolve)
            for target in Set(terminator.successors.map(\.block.index)) where !removedPositions[target].isEmpty {
                terminator = terminator.droppingArguments(removedPositions[target], to: BlockID(target))
            }
            function.blocks[b].terminator = terminator
        }
    }
}

extension BlockParameterCleanup {
    /// Each strongly connected group of the remaining parameters (linked by one passing another as an
    /// argument) that receives a single value from outside the group: its parameters, with that value and
    /// their places (Tarjan's SCCs). `incoming` holds the arguments already resolved.
    static func redundantGroups(_ function: Function, arguments incoming: (Int, Int) -> [ValueID],
                                removed: (Int, Int) -> Bool)
        -> [(parameter: ValueID, value: ValueID, block: Int, index: Int)] {
        // The remaining parameters, numbered; each one's arguments, and those that are parameters too.
        var nodes: [(parameter: ValueID, block: Int, index: Int)] = []
        var number = [Int](repeating: -1, count: function.valueTypes.count)
        for (b, block) in function.blocks.enumerated().dropFirst() {
            for (j, p) in block.parameters.enumerated() where !removed(b, j) {
                number[p.index] = nodes.count
                nodes.append((p, b, j))
            }
        }
        guard !nodes.isEmpty else { return [] }
        let arguments = nodes.map { incoming($0.block, $0.index) }
        let successors = arguments.map { $0.compactMap { number[$0.index] >= 0 ? number[$0.index] : nil } }
        // Tarjan's algorithm with an explicit stack.
        var order = [Int](repeating: -1, count: nodes.count), low = [Int](repeating: 0, count: nodes.count)
        var onStack = [Bool](repeating: false, count: nodes.count)
        var stack: [Int] = [], components: [[Int]] = []
        var counter = 0
        for root in nodes.indices where order[root] < 0 {
            var frames: [(node: Int, next: Int)] = [(root, 0)]
            order[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let (node, next) = frames.last {
                if next < successors[node].count {
                    frames[frames.count - 1].next += 1
                    let s = successors[node][next]
                    if order[s] < 0 {
                        order[s] = counter; low[s] = counter; counter += 1
                        stack.append(s); onStack[s] = true
                        frames.append((s, 0))
                    } else if onStack[s] {
                        low[node] = min(low[node], order[s])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last?.node { low[parent] = min(low[parent], low[node]) }
                if low[node] == order[node] {
                    var component: [Int] = []
                    while let top = stack.popLast() {
                        onStack[top] = false
                        component.append(top)
                        if top == node { break }
                    }
                    if component.count > 1 { components.append(component) }
                }
            }
        }
        var redundant: [(parameter: ValueID, value: ValueID, block: Int, index: Int)] = []
        for component in components {
            let members = Set(component.map { nodes[$0].parameter })
            let outside = Set(component.flatMap { arguments[$0] }.filter { !members.contains($0) })
            guard outside.count == 1, let value = outside.first else { continue }
            for k in component { redundant.append((nodes[k].parameter, value, nodes[k].block, nodes[k].index)) }
        }
        return redundant
    }
}

extension Terminator {
    /// The terminator with the arguments at `positions` removed from every edge to `target`.
    func droppingArguments(_ positions: Set<Int>, to target: BlockID) -> Terminator {
        mappingTargets { t in
            guard t.block == target else { return t }
            return BranchTarget(t.block, t.arguments.enumerated().filter { !positions.contains($0.offset) }.map(\.element))
        }
    }
}
