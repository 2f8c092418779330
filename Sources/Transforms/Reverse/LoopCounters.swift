// Transforms stage, reverse mode: loops whose trip count replaces a per-iteration branch trace.
//
// A loop header has two incoming edges, the entry and the back edge, so the general
// scheme would push one edge index per iteration. For a natural loop with one entry
// edge and one back edge the forward sweep instead counts iterations in an extra
// header parameter (0 on entry, k + 1 around the back edge), and each block the loop
// exits to receives the count and pushes it once. The reverse sweep pops the count
// when it re-enters the loop, carries it through the loop's reverse blocks, and at
// the header's reverse goes around again while it is positive: one tape entry per
// loop execution instead of one per iteration.
//
// A loop qualifies when every block it exits to is entered only from inside the loop
// (true of the exit joins lowering builds); otherwise the header stays an ordinary
// merge block with a per-iteration trace.
import AdjointIR

/// A loop whose trip count the forward sweep records.
struct CountedLoop {
    var header: BlockID
    /// Positions in the header's incoming-edge list.
    var entryEdge: Int
    var backEdge: Int
    /// The blocks of the natural loop, header included.
    var blocks: Set<Int>
    /// Blocks outside the loop that edges from inside it lead to.
    var exitTargets: [BlockID]
    var tape: Int
}

extension CountedLoop {
    /// The counted loops of a function, outermost first.
    static func find(in function: Function, incomingEdges: [[IncomingEdge]],
                     dominators: Dominators, makeTape: () -> Int) -> [CountedLoop] {
        var loops: [CountedLoop] = []
        let natural = Loops(function, dominators: dominators, incomingEdges: incomingEdges)
        for header in dominators.reversePostOrder where header.index != 0 {
            guard incomingEdges[header.index].count == 2, let back = natural.backEdges[header.index], back.count == 1,
                  let blocks = natural.blocks[header.index] else { continue }
            var exits: [BlockID] = []
            for b in blocks.sorted() {
                for target in function.blocks[b].terminator.successors where !blocks.contains(target.block.index) {
                    if !exits.contains(target.block) { exits.append(target.block) }
                }
            }
            let qualifies = exits.allSatisfy { exit in
                exit.index != 0 && incomingEdges[exit.index].allSatisfy { blocks.contains($0.from.index) }
            }
            guard qualifies else { continue }
            loops.append(CountedLoop(header: header, entryEdge: 1 - back[0], backEdge: back[0], blocks: blocks,
                                     exitTargets: exits, tape: makeTape()))
        }
        return loops.sorted { $0.blocks.count > $1.blocks.count }
    }
}
