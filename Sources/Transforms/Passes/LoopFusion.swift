// Transforms stage: run a gradient's reverse loop inside the forward loop it mirrors.
//
// The fused gradient of `for i in a..<b { s += f(x[i], x[i + 1]) }` runs the forward loop,
// then a reverse loop over the same iterations counting down, which reads x again (a
// parameter is recomputed, not recorded) and adds into an adjoint that starts at zero:
//
//   forward: bb1(s, i, c) ... bb2: ...; br bb1(s', i + 1, c + 1)     exit bb3: x̄0 = zeroslike x
//   reverse: bb5(x̄, k): k > 0 ? bb6 : done     bb6: k' = k - 1; ...; x̄ = addat x̄, v, k'; br bb5(x̄, k')
//
// A person writes one loop, and so does this pass: the reverse body runs after the forward
// body, with k' = the forward iteration's counter, and the adjoint becomes a parameter of
// the forward header. Common subexpressions then read each x[i] once for both. A body may
// branch (W5: `if x[i] > 0`): each loop's body is then a region of blocks without a cycle,
// entered at one block and leaving by one back edge. The forward body records its branch
// decisions on a tape the reverse body pops; in one loop the pop follows the push of the
// same iteration, so it is the value pushed, and the tape goes. Legal when:
//
// - the reverse body reads nothing the forward loop computes: only values from before it,
//   its own counter, the adjoints it adds into (used only as the `addat` base), and pops of
//   tapes the forward body pushes once every iteration (each pop, in a block every reverse
//   iteration passes, the only pop of its tape);
// - every adjoint starts as zeros and takes at most two `addat`s per iteration, at distinct
//   offsets k' + c. Each element then receives at most two additions onto an exact zero, and
//   0 + a + b is 0 + b + a in floating point too: counting up gives the same bits;
// - nothing left of the reverse body can fail: after merging, its element reads and Int
//   arithmetic must all be the forward body's own (already checked at the same iteration),
//   its adds index elements the forward body read on every path, and the rest is arithmetic,
//   elementary functions and comparisons, which give NaN and never stop the program. So the
//   first error a run meets, if any, is the one it met before.
//
// Otherwise the function is left as it was. Runs after block merging, so that a body without
// branches is one block.
import AdjointIR

/// Fuses a reverse loop of accumulations into the forward loop over the same iterations.
public enum LoopFusion: FunctionPass {
    public static let name = "fuse-loops"

    public static func run(on function: inout Function) {
        // Each fusion removes a loop, so this ends.
        while let fused = fuseOne(function) { function = fused }
    }

    /// A loop body: blocks without a cycle, entered from the header at `entry` only, back to it from `latch` only.
    private struct Body {
        var entry: Int, latch: Int
        var blocks: Set<Int>
        /// The blocks every iteration passes (those dominating the latch).
        var everyIteration: Set<Int>
    }

    /// The two loops' blocks, as matched.
    private struct Match {
        var preheader: Int, forwardHeader: Int, forward: Body, forwardExit: Int
        var reverseHeader: Int, reverse: Body, reverseExit: BlockID
        /// The reverse header's counter position; the others carry adjoints.
        var counterPosition: Int
        /// The reverse body's k - 1, and the forward value that equals it at the same iteration.
        var reverseIndex: ValueID, forwardIndex: ValueID
        /// For each adjoint and each partial sum of it in the reverse body: the tensor its zeros are shaped like.
        var shapes: [ValueID: ValueID]
        /// Each pop of the reverse body, with the value the forward body pushes on its tape at the same iteration.
        var popped: [ValueID: ValueID]
        /// The tapes of those pops.
        var tapes: Set<Int>
        /// The element reads of the forward body on every path: tensor, then indices.
        var reads: Set<[ValueID]>
    }

    /// Where every value is defined: a block's parameter or an instruction of it.
    private struct Definitions {
        var block: [Int?]
        var instruction: [Instruction?]
        var uses: [Int]
        /// Where each tape is pushed and popped: (block, value pushed or popped).
        var pushes: [Int: [(block: Int, value: ValueID)]] = [:]
        var pops: [Int: [(block: Int, value: ValueID)]] = [:]

        init(_ function: Function) {
            block = Array(repeating: nil, count: function.valueTypes.count)
            instruction = Array(repeating: nil, count: function.valueTypes.count)
            uses = Array(repeating: 0, count: function.valueTypes.count)
            for (b, candidate) in function.blocks.enumerated() {
                for p in candidate.parameters { block[p.index] = b }
                for i in candidate.instructions {
                    if let r = i.result { block[r.index] = b; instruction[r.index] = i }
                    for o in i.operands { uses[o.index] += 1 }
                    if case .tape(let t) = i.payload {
                        if i.op == .push { pushes[t, default: []].append((b, i.operands[0])) }
                        if i.op == .pop, let r = i.result { pops[t, default: []].append((b, r)) }
                    }
                }
                for o in candidate.terminator.operands { uses[o.index] += 1 }
            }
        }

        func intConstant(_ v: ValueID) -> Int? {
            guard let i = instruction[v.index], i.op == .const, case .constant(.int(let c)) = i.payload else { return nil }
            return c
        }
    }

    private static func fuseOne(_ function: Function) -> Function? {
        // Most functions have no adjoint of zeros to add into: nothing to match.
        guard function.blocks.contains(where: { $0.instructions.contains { $0.op == .zeroslike } }) else { return nil }
        let definitions = Definitions(function)
        let predecessors = function.predecessors()
        let dominators = Dominators(function)
        for h in function.blocks.indices {
            if let match = matchLoops(reverseHeader: h, function, definitions, predecessors, dominators),
               let fused = fuse(match, function) {
                return fused
            }
        }
        return nil
    }

    /// The body of the loop at `header` entered at `entry`, when it is a region without a cycle and one back edge.
    private static func body(header: Int, entry: Int, _ function: Function, _ predecessors: [[BlockID]],
                             _ dominators: Dominators) -> Body? {
        guard entry != header, predecessors[entry].map(\.index) == [header] else { return nil }
        var blocks: Set<Int> = [entry], work = [entry], latch: Int? = nil
        while let b = work.popLast() {
            for target in function.blocks[b].terminator.successors {
                let next = target.block.index
                if next == header {
                    // One block goes back, by an unconditional branch.
                    guard latch == nil, case .branch = function.blocks[b].terminator else { return nil }
                    latch = b
                } else if blocks.insert(next).inserted {
                    guard predecessors[next].allSatisfy({ $0.index != header }) else { return nil }
                    work.append(next)
                }
            }
        }
        guard let latch else { return nil }
        // Entered only at `entry`, and without a cycle: every block is reached from `entry` in an order that
        // visits each block after all its predecessors.
        var waiting = [Int: Int](), ready = [entry], ordered = 0
        for b in blocks where b != entry {
            guard predecessors[b].allSatisfy({ blocks.contains($0.index) }) else { return nil }
            waiting[b] = predecessors[b].count
        }
        while let b = ready.popLast() {
            ordered += 1
            for target in function.blocks[b].terminator.successors where target.block.index != header {
                let next = target.block.index
                waiting[next]! -= 1
                if waiting[next] == 0 { ready.append(next) }
            }
        }
        guard ordered == blocks.count else { return nil }
        let everyIteration = blocks.filter { dominators.dominates(BlockID($0), BlockID(latch)) }
        return Body(entry: entry, latch: latch, blocks: blocks, everyIteration: everyIteration)
    }

    private static func matchLoops(reverseHeader h: Int, _ function: Function, _ definitions: Definitions,
                                   _ predecessors: [[BlockID]], _ dominators: Dominators) -> Match? {
        // The reverse header: `k > 0 ? body : exit`, entered from the forward loop's exit and its own body.
        let header = function.blocks[h]
        guard header.instructions.count == 1, let test = header.instructions.first, test.op == .gt,
              case .condBranch(let condition, let bodyTarget, let exitTarget) = header.terminator,
              condition == test.result, bodyTarget.arguments.isEmpty, exitTarget.arguments.isEmpty,
              let counterPosition = header.parameters.firstIndex(of: test.operands[0]),
              definitions.intConstant(test.operands[1]) == 0,
              predecessors[h].count == 2,
              let reverse = body(header: h, entry: bodyTarget.block.index, function, predecessors, dominators),
              case .branch(let back) = function.blocks[reverse.latch].terminator,
              let entry = predecessors[h].first(where: { $0.index != reverse.latch })?.index,
              !reverse.blocks.contains(entry),
              case .branch(let into) = function.blocks[entry].terminator else { return nil }
        let counter = header.parameters[counterPosition]
        // k' = k - 1 where the body starts, passed back as k; k read nowhere else.
        let reverseIndex = back.arguments[counterPosition]
        guard definitions.block[reverseIndex.index] == reverse.entry, let step = definitions.instruction[reverseIndex.index],
              step.op == .sub, step.operands[0] == counter, definitions.intConstant(step.operands[1]) == 1,
              definitions.uses[counter.index] == 2 else { return nil }

        // The forward loop: `entry` is its exit, reached only from its header, and holds only the adjoints' zeros.
        let forwardHeader = predecessors[entry].first?.index ?? -1
        guard predecessors[entry].count == 1, forwardHeader != h,
              case .condBranch(_, let forwardBodyTarget, let forwardExitTarget) = function.blocks[forwardHeader].terminator,
              forwardExitTarget.block.index == entry, forwardExitTarget.arguments.isEmpty,
              forwardBodyTarget.arguments.isEmpty,
              let forward = body(header: forwardHeader, entry: forwardBodyTarget.block.index, function, predecessors,
                                 dominators),
              case .branch(let forwardBack) = function.blocks[forward.latch].terminator,
              predecessors[forwardHeader].count == 2,
              let preheader = predecessors[forwardHeader].first(where: { $0.index != forward.latch })?.index,
              case .branch(let forwardInto) = function.blocks[preheader].terminator else { return nil }
        let outside: Set<Int> = [preheader, forwardHeader, entry, h]
        guard outside.count == 4, forward.blocks.isDisjoint(with: outside), reverse.blocks.isDisjoint(with: outside),
              forward.blocks.isDisjoint(with: reverse.blocks) else { return nil }
        let inside = outside.subtracting([preheader]).union(forward.blocks).union(reverse.blocks)
        for i in function.blocks[entry].instructions {
            guard i.op == .zeroslike || i.op == .const, i.operands.allSatisfy({ !inside.contains(definitions.block[$0.index] ?? -1) })
            else { return nil }
        }

        // The reverse counter starts at the forward loop's trip count: a forward parameter from 0 up by 1.
        let forwardParameters = function.blocks[forwardHeader].parameters
        func stepsByOne(_ position: Int) -> Bool {
            let next = forwardBack.arguments[position]
            guard let add = definitions.instruction[next.index], forward.blocks.contains(definitions.block[next.index] ?? -1),
                  add.op == .add, add.operands[0] == forwardParameters[position] else { return false }
            return definitions.intConstant(add.operands[1]) == 1
        }
        guard let tripPosition = forwardParameters.firstIndex(of: into.arguments[counterPosition]),
              definitions.intConstant(forwardInto.arguments[tripPosition]) == 0, stepsByOne(tripPosition)
        else { return nil }
        // The induction variable the body already indexes with, when one runs in step with the count.
        let forwardIndex = forwardParameters.indices.first {
            $0 != tripPosition && definitions.intConstant(forwardInto.arguments[$0]) == 0 && stepsByOne($0)
        }.map { forwardParameters[$0] } ?? forwardParameters[tripPosition]

        // Every other reverse parameter is an adjoint: zeros, then a chain of at most two adds at distinct offsets.
        let reverseInstructions = reverse.blocks.flatMap { function.blocks[$0].instructions }
        var shapes: [ValueID: ValueID] = [:]
        for position in header.parameters.indices where position != counterPosition {
            let start = into.arguments[position]
            guard definitions.block[start.index] == entry, let zeros = definitions.instruction[start.index],
                  zeros.op == .zeroslike else { return nil }
            var value = header.parameters[position]
            var offsets: Set<Int> = []
            while value != back.arguments[position] {
                shapes[value] = zeros.operands[0]
                let users = reverseInstructions.filter { $0.operands.contains(value) }
                guard users.count == 1, let add = users.first, add.op == .addat, add.operands.count == 3,
                      add.operands[0] == value, add.operands[1] != value, add.operands[2] != value,
                      function.type(of: add.operands[1]) == .real,
                      let offset = offset(of: add.operands[2], from: reverseIndex, definitions),
                      offsets.insert(offset).inserted, let next = add.result,
                      // Intermediate sums are read only by the next add or the back edge.
                      value == header.parameters[position] || definitions.uses[value.index] == 1
                else { return nil }
                value = next
            }
            guard offsets.count <= 2, value == header.parameters[position] || definitions.uses[value.index] == 1
            else { return nil }
        }
        // Each pop reads what the forward body pushed at the same iteration: one push and one pop of its tape,
        // each in a block its loop's every iteration passes.
        var popped: [ValueID: ValueID] = [:], tapes = Set<Int>()
        for i in reverseInstructions where i.op == .pop {
            guard case .tape(let t) = i.payload, let r = i.result,
                  let pops = definitions.pops[t], pops.count == 1, reverse.everyIteration.contains(pops[0].block),
                  let pushes = definitions.pushes[t], pushes.count == 1, forward.everyIteration.contains(pushes[0].block)
            else { return nil }
            popped[r] = pushes[0].value
            tapes.insert(t)
        }
        // The rest of the reverse body reads only its own values and what comes before the forward loop (or
        // between the loops, which moves before it); its
        // branches pass no adjoint on, but the back edge.
        let exit = exitTarget.block.index
        guard !inside.contains(exit), exit != preheader else { return nil }
        for b in reverse.blocks {
            for i in function.blocks[b].instructions where i.result != reverseIndex && i.op != .pop {
                guard i.op.isPure else { return nil }
                for (n, o) in i.operands.enumerated() where o != reverseIndex && popped[o] == nil {
                    if shapes[o] != nil {
                        guard i.op == .addat, n == 0 else { return nil }
                    } else if let home = definitions.block[o.index], !reverse.blocks.contains(home), home != entry,
                              inside.contains(home) {
                        return nil
                    }
                }
            }
            // The back edge passes k' and each adjoint's last sum, as checked above.
            guard b != reverse.latch else { continue }
            for o in function.blocks[b].terminator.operands where popped[o] == nil {
                if let home = definitions.block[o.index], !reverse.blocks.contains(home), home != entry, inside.contains(home) {
                    return nil
                }
                if shapes[o] != nil { return nil }
            }
        }
        var reads: Set<[ValueID]> = []
        for b in forward.everyIteration {
            for i in function.blocks[b].instructions where i.op == .index { reads.insert(i.operands) }
        }
        return Match(preheader: preheader, forwardHeader: forwardHeader, forward: forward, forwardExit: entry,
                     reverseHeader: h, reverse: reverse, reverseExit: exitTarget.block, counterPosition: counterPosition,
                     reverseIndex: reverseIndex, forwardIndex: forwardIndex, shapes: shapes, popped: popped,
                     tapes: tapes, reads: reads)
    }

    /// `k'`, `k' + c` or `k' - c` as the offset from k', or nil.
    private static func offset(of index: ValueID, from k: ValueID, _ definitions: Definitions) -> Int? {
        if index == k { return 0 }
        guard let i = definitions.instruction[index.index], i.operands.count == 2 else { return nil }
        switch i.op {
        case .add where i.operands[0] == k: return definitions.intConstant(i.operands[1])
        case .add where i.operands[1] == k: return definitions.intConstant(i.operands[0])
        case .sub where i.operands[0] == k: return definitions.intConstant(i.operands[1]).map { -$0 }
        default: return nil
        }
    }

    /// The function with the reverse loop inside the forward one, or nil when something of the reverse body
    /// could still fail after merging.
    private static func fuse(_ m: Match, _ function: Function) -> Function? {
        var f = function
        let reverseHeader = f.blocks[m.reverseHeader]
        guard case .branch(let into) = f.blocks[m.forwardExit].terminator,
              case .branch(let back) = f.blocks[m.reverse.latch].terminator,
              case .branch(let forwardBack) = f.blocks[m.forward.latch].terminator else { return nil }
        let adjoints = reverseHeader.parameters.indices.filter { $0 != m.counterPosition }

        // The zeros (and constants) move before the forward loop; the adjoints become the forward header's parameters.
        f.blocks[m.preheader].instructions += f.blocks[m.forwardExit].instructions
        f.blocks[m.forwardExit].instructions = []
        f.blocks[m.forwardHeader].parameters += adjoints.map { reverseHeader.parameters[$0] }
        f.blocks[m.preheader].terminator = appending(adjoints.map { into.arguments[$0] },
                                                     to: f.blocks[m.preheader].terminator, m.forwardHeader)
        // The reverse body follows the forward body, counting with it and reading its pushes where it popped them.
        func replaced(_ v: ValueID) -> ValueID { v == m.reverseIndex ? m.forwardIndex : m.popped[v] ?? v }
        var moved = Set<ValueID>()
        for b in m.reverse.blocks {
            var instructions: [Instruction] = []
            for var i in f.blocks[b].instructions where i.result != m.reverseIndex && i.op != .pop {
                i.operands = i.operands.map(replaced)
                if let r = i.result { moved.insert(r) }
                instructions.append(i)
            }
            f.blocks[b].instructions = instructions
            f.blocks[b].terminator = f.blocks[b].terminator.mappingOperands(replaced)
        }
        for b in m.forward.blocks {
            f.blocks[b].instructions.removeAll {
                guard $0.op == .push, case .tape(let t) = $0.payload else { return false }
                return m.tapes.contains(t)
            }
        }
        f.blocks[m.forward.latch].terminator = .branch(BranchTarget(BlockID(m.reverse.entry)))
        let backArguments = forwardBack.arguments + adjoints.map { replaced(back.arguments[$0]) }
        f.blocks[m.reverse.latch].terminator = .branch(BranchTarget(BlockID(m.forwardHeader), backArguments))
        guard case .condBranch(let c, let t, _) = f.blocks[m.forwardHeader].terminator else { return nil }
        f.blocks[m.forwardHeader].terminator = .condBranch(condition: c, then: t, else: BranchTarget(m.reverseExit))
        var builder = FunctionBuilder(existing: f)
        builder.removeUnreachableBlocks()
        f = builder.function
        CommonSubexpressions.run(on: &f)
        DeadCode.run(on: &f)
        BlockMerging.run(on: &f)

        // What is left of the reverse body: arithmetic, elementary functions and comparisons, and adds at elements
        // the forward body read.
        for block in f.blocks {
            for i in block.instructions {
                guard let r = i.result, moved.contains(r) else { continue }
                switch i.op {
                case .const, .not: continue
                case .add, .sub, .mul, .neg, .div,
                     .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
                    guard f.type(of: r) == .real else { return nil }
                case .eq, .ne, .lt, .le, .gt, .ge:
                    guard i.operands.allSatisfy({ [.real, .int, .bool].contains(f.type(of: $0)) }) else { return nil }
                case .addat:
                    guard let shape = m.shapes[i.operands[0]], m.reads.contains([shape, i.operands[2]]) else { return nil }
                default: return nil
                }
            }
        }
        return f
    }

    private static func appending(_ arguments: [ValueID], to terminator: Terminator, _ header: Int) -> Terminator {
        guard case .branch(var t) = terminator, t.block.index == header else { return terminator }
        t.arguments += arguments
        return .branch(t)
    }
}
