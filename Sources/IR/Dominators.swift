// IR stage: the dominator tree, for the verifier and for transforms that place code.
//
// Computed with the iterative algorithm of Cooper, Harvey and Kennedy over a
// reverse post-order; functions here are small, so simplicity wins over speed.

/// Immediate dominators and reachability of one function's blocks.
public struct Dominators: Sendable {
    /// `idom[b]` is b's immediate dominator; the entry's is itself; nil for unreachable blocks.
    public let idom: [BlockID?]
    /// Reachable blocks in reverse post-order (entry first).
    public let reversePostOrder: [BlockID]

    public init(_ function: Function) {
        let count = function.blocks.count
        var order: [BlockID] = []
        var visited = Array(repeating: false, count: count)
        // Iterative DFS so deep control flow cannot overflow the stack.
        var stack: [(BlockID, Int)] = [(BlockID(0), 0)]
        visited[0] = count > 0
        while let (block, next) = stack.popLast() {
            let successors = function.blocks[block.index].terminator.successors
            if next < successors.count {
                stack.append((block, next + 1))
                let s = successors[next].block
                if s.index < count, !visited[s.index] {
                    visited[s.index] = true
                    stack.append((s, 0))
                }
            } else {
                order.append(block)
            }
        }
        reversePostOrder = order.reversed()
        var rpoIndex = Array(repeating: -1, count: count)
        for (i, b) in reversePostOrder.enumerated() { rpoIndex[b.index] = i }
        let predecessors = function.predecessors()
        var idom = [BlockID?](repeating: nil, count: count)
        if count > 0 { idom[0] = BlockID(0) }
        var changed = true
        while changed {
            changed = false
            for b in reversePostOrder.dropFirst() {
                var newIdom: BlockID?
                for p in predecessors[b.index] where idom[p.index] != nil {
                    guard let current = newIdom else { newIdom = p; continue }
                    var x = p, y = current
                    while x != y {
                        while rpoIndex[x.index] > rpoIndex[y.index] { x = idom[x.index]! }
                        while rpoIndex[y.index] > rpoIndex[x.index] { y = idom[y.index]! }
                    }
                    newIdom = x
                }
                if idom[b.index] != newIdom {
                    idom[b.index] = newIdom
                    changed = true
                }
            }
        }
        self.idom = idom
    }

    public func isReachable(_ block: BlockID) -> Bool { idom[block.index] != nil }

    /// Whether `a` dominates `b` (every block dominates itself).
    public func dominates(_ a: BlockID, _ b: BlockID) -> Bool {
        var x = b
        while true {
            if x == a { return true }
            guard let up = idom[x.index], up != x else { return false }
            x = up
        }
    }
}
