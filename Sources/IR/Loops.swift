// IR stage: the natural loops of a function, for reverse mode's trip counters and the code generator.
//
// An edge whose target dominates its source is a back edge; its natural loop is the
// target (the header) and every block that reaches the source without passing the
// header. Back edges to one header make one loop. Unreachable blocks belong to none.

/// The natural loops of one function, by header.
public struct Loops: Sendable {
    /// The blocks of each loop, header included, by the header's index.
    public let blocks: [Int: Set<Int>]
    /// For each loop header, the positions of its back edges in its incoming-edge list (`Function.incomingEdges`).
    public let backEdges: [Int: [Int]]
    /// Every block that is in some loop.
    public let inAnyLoop: Set<Int>

    public init(_ function: Function, dominators: Dominators, incomingEdges: [[IncomingEdge]]) {
        var blocks: [Int: Set<Int>] = [:]
        var backEdges: [Int: [Int]] = [:]
        for header in dominators.reversePostOrder {
            let edges = incomingEdges[header.index]
            let back = edges.indices.filter { dominators.dominates(header, edges[$0].from) }
            guard !back.isEmpty else { continue }
            var loop: Set<Int> = [header.index]
            var work = back.map { edges[$0].from }
            while let b = work.popLast() {
                guard loop.insert(b.index).inserted else { continue }
                work += incomingEdges[b.index].map(\.from).filter { !loop.contains($0.index) }
            }
            blocks[header.index] = loop
            backEdges[header.index] = back
        }
        self.blocks = blocks
        self.backEdges = backEdges
        inAnyLoop = blocks.values.reduce(into: Set<Int>()) { $0.formUnion($1) }
    }

    public init(_ function: Function) {
        let dominators = Dominators(function)
        self.init(function, dominators: dominators, incomingEdges: function.incomingEdges(reachable: dominators.isReachable))
    }

    /// Whether `block` heads a loop.
    public func isHeader(_ block: BlockID) -> Bool { blocks[block.index] != nil }
}
