// Transforms stage: run a gradient's reverse loop inside the forward loop it mirrors.
//
// The fused gradient of `for i in a..<b { s += f(x[i], x[i + 1]) }` runs the forward loop,
// then a reverse loop over the same iterations counting down, which reads x again (a
// parameter is recomputed, not recorded) and adds into an adjoint that starts at zero:
//
//   forward: bb1(s, i, c) ... bb2: ...; br bb1(s', i + 1, c + 1)     exit bb3: x̄0 = zeroslike x
//   reverse: bb5(x̄, k): k > 0 ? bb6 : done     bb6: k' = k - 1; ...; x̄ = addat x̄, v, k'; br bb5(x̄, k')
//
// A person writes one loop, and so does this pass: the reverse body moves into the forward
// body, with k' = the forward iteration's counter, and the adjoint becomes a parameter of
// the forward header. Common subexpressions then read each x[i] once for both. Legal when:
//
// - the reverse body reads nothing the forward loop computes: only values from before it,
//   its own counter, and the adjoints it adds into (used only as the `addat` base);
// - every adjoint starts as zeros and takes at most two `addat`s per iteration, at distinct
//   offsets k' + c. Each element then receives at most two additions onto an exact zero, and
//   0 + a + b is 0 + b + a in floating point too: counting up gives the same bits;
// - nothing left of the reverse body can fail: after merging, its element reads and Int
//   arithmetic must all be the forward body's own (already checked at the same iteration),
//   its adds index elements the forward body read, and the rest is + - * on Reals. So the
//   first error a run meets, if any, is the one it met before.
//
// Otherwise the function is left as it was. Runs after block merging: it matches loops whose
// body is one block.
import AdjointIR

/// Fuses a reverse loop of accumulations into the forward loop over the same iterations.
public enum LoopFusion: FunctionPass {
    public static let name = "fuse-loops"

    public static func run(on function: inout Function) {
        // Each fusion removes a loop, so this ends.
        while let fused = fuseOne(function) { function = fused }
    }

    /// The two loops' blocks, as matched.
    private struct Match {
        var preheader: Int, forwardHeader: Int, forwardBody: Int, forwardExit: Int
        var reverseHeader: Int, reverseBody: Int, reverseExit: BlockID
        /// The reverse header's counter position; the others carry adjoints.
        var counterPosition: Int
        /// The reverse body's k - 1, and the forward value that equals it at the same iteration.
        var reverseIndex: ValueID, forwardIndex: ValueID
        /// For each adjoint and each partial sum of it in the reverse body: the tensor its zeros are shaped like.
        var shapes: [ValueID: ValueID]
    }

    /// Where every value is defined: a block's parameter or an instruction of it.
    private struct Definitions {
        var block: [Int?]
        var instruction: [Instruction?]
        var uses: [Int]

        init(_ function: Function) {
            block = Array(repeating: nil, count: function.valueTypes.count)
            instruction = Array(repeating: nil, count: function.valueTypes.count)
            uses = Array(repeating: 0, count: function.valueTypes.count)
            for (b, candidate) in function.blocks.enumerated() {
                for p in candidate.parameters { block[p.index] = b }
                for i in candidate.instructions {
                    if let r = i.result { block[r.index] = b; instruction[r.index] = i }
                    for o in i.operands { uses[o.index] += 1 }
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
        for h in function.blocks.indices {
            if let match = matchLoops(reverseHeader: h, function, definitions, predecessors),
               let fused = fuse(match, function) {
                return fused
            }
        }
        return nil
    }

    private static func matchLoops(reverseHeader h: Int, _ function: Function, _ definitions: Definitions,
                                   _ predecessors: [[BlockID]]) -> Match? {
        // The reverse header: `k > 0 ? body : exit`, entered from the forward loop's exit and its own body.
        let header = function.blocks[h]
        guard header.instructions.count == 1, let test = header.instructions.first, test.op == .gt,
              case .condBranch(let condition, let bodyTarget, let exitTarget) = header.terminator,
              condition == test.result, bodyTarget.arguments.isEmpty, exitTarget.arguments.isEmpty,
              let counterPosition = header.parameters.firstIndex(of: test.operands[0]),
              definitions.intConstant(test.operands[1]) == 0,
              predecessors[h].count == 2 else { return nil }
        let body = bodyTarget.block.index
        guard body != h, predecessors[body].map(\.index) == [h],
              case .branch(let back) = function.blocks[body].terminator, back.block.index == h,
              let entry = predecessors[h].first(where: { $0.index != body })?.index,
              case .branch(let into) = function.blocks[entry].terminator else { return nil }
        let counter = header.parameters[counterPosition]
        // k' = k - 1, passed back as k; k read nowhere else.
        let reverseIndex = back.arguments[counterPosition]
        guard definitions.block[reverseIndex.index] == body, let step = definitions.instruction[reverseIndex.index],
              step.op == .sub, step.operands[0] == counter, definitions.intConstant(step.operands[1]) == 1,
              definitions.uses[counter.index] == 2 else { return nil }

        // The forward loop: `entry` is its exit, reached only from its header, and holds only the adjoints' zeros.
        let forwardHeader = predecessors[entry].first?.index ?? -1
        guard predecessors[entry].count == 1, forwardHeader != h,
              case .condBranch(_, let forwardBodyTarget, let forwardExitTarget) = function.blocks[forwardHeader].terminator,
              forwardExitTarget.block.index == entry, forwardExitTarget.arguments.isEmpty,
              forwardBodyTarget.arguments.isEmpty else { return nil }
        let forwardBody = forwardBodyTarget.block.index
        guard forwardBody != forwardHeader, forwardBody != entry, predecessors[forwardBody].map(\.index) == [forwardHeader],
              case .branch(let forwardBack) = function.blocks[forwardBody].terminator,
              forwardBack.block.index == forwardHeader, predecessors[forwardHeader].count == 2,
              let preheader = predecessors[forwardHeader].first(where: { $0.index != forwardBody })?.index,
              case .branch(let forwardInto) = function.blocks[preheader].terminator,
              Set([preheader, forwardHeader, forwardBody, entry]).count == 4,
              Set([preheader, forwardHeader, forwardBody, entry]).isDisjoint(with: [h, body]) else { return nil }
        let inside: Set<Int> = [forwardHeader, forwardBody, entry, h, body]
        for i in function.blocks[entry].instructions {
            guard i.op == .zeroslike, i.operands.allSatisfy({ !inside.contains(definitions.block[$0.index] ?? -1) })
            else { return nil }
        }

        // The reverse counter starts at the forward loop's trip count: a forward parameter from 0 up by 1.
        let forwardParameters = function.blocks[forwardHeader].parameters
        func stepsByOne(_ position: Int) -> Bool {
            let next = forwardBack.arguments[position]
            guard let add = definitions.instruction[next.index], definitions.block[next.index] == forwardBody,
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
        var shapes: [ValueID: ValueID] = [:]
        for position in header.parameters.indices where position != counterPosition {
            let start = into.arguments[position]
            guard definitions.block[start.index] == entry, let zeros = definitions.instruction[start.index],
                  zeros.op == .zeroslike else { return nil }
            var value = header.parameters[position]
            var offsets: Set<Int> = []
            while value != back.arguments[position] {
                shapes[value] = zeros.operands[0]
                let users = function.blocks[body].instructions.filter { $0.operands.contains(value) }
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
        // The rest of the reverse body reads only its own values and what comes before the forward loop.
        let exit = exitTarget.block.index
        guard !inside.contains(exit), exit != preheader else { return nil }
        for i in function.blocks[body].instructions where i.result != reverseIndex {
            guard i.op.isPure else { return nil }
            for (n, o) in i.operands.enumerated() where o != reverseIndex {
                if shapes[o] != nil {
                    guard i.op == .addat, n == 0 else { return nil }
                } else if let home = definitions.block[o.index], home != body, inside.contains(home) {
                    return nil
                }
            }
        }
        return Match(preheader: preheader, forwardHeader: forwardHeader, forwardBody: forwardBody, forwardExit: entry,
                     reverseHeader: h, reverseBody: body, reverseExit: exitTarget.block, counterPosition: counterPosition,
                     reverseIndex: reverseIndex, forwardIndex: forwardIndex, shapes: shapes)
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
              case .branch(let back) = f.blocks[m.reverseBody].terminator else { return nil }
        let adjoints = reverseHeader.parameters.indices.filter { $0 != m.counterPosition }

        // The zeros move before the forward loop; the adjoints become the forward header's parameters.
        f.blocks[m.preheader].instructions += f.blocks[m.forwardExit].instructions
        f.blocks[m.forwardExit].instructions = []
        f.blocks[m.forwardHeader].parameters += adjoints.map { reverseHeader.parameters[$0] }
        f.blocks[m.preheader].terminator = appending(adjoints.map { into.arguments[$0] },
                                                     to: f.blocks[m.preheader].terminator, m.forwardHeader)
        // The reverse body follows the forward body, counting with it.
        var moved = Set<ValueID>()
        for var i in f.blocks[m.reverseBody].instructions where i.result != m.reverseIndex {
            i.operands = i.operands.map { $0 == m.reverseIndex ? m.forwardIndex : $0 }
            if let r = i.result { moved.insert(r) }
            f.blocks[m.forwardBody].instructions.append(i)
        }
        let backArguments = adjoints.map { back.arguments[$0] == m.reverseIndex ? m.forwardIndex : back.arguments[$0] }
        f.blocks[m.forwardBody].terminator = appending(backArguments, to: f.blocks[m.forwardBody].terminator,
                                                       m.forwardHeader)
        guard case .condBranch(let c, let t, _) = f.blocks[m.forwardHeader].terminator else { return nil }
        f.blocks[m.forwardHeader].terminator = .condBranch(condition: c, then: t, else: BranchTarget(m.reverseExit))
        var builder = FunctionBuilder(existing: f)
        builder.removeUnreachableBlocks()
        f = builder.function
        CommonSubexpressions.run(on: &f)
        DeadCode.run(on: &f)

        // What is left of the reverse body: arithmetic on Reals, and adds at elements the forward body read.
        guard let fusedBody = f.blocks.first(where: { $0.instructions.contains { $0.result.map(moved.contains) ?? false } })
        else { return f }
        var read: Set<[ValueID]> = []
        for i in fusedBody.instructions where i.op == .index && !(i.result.map(moved.contains) ?? false) {
            read.insert(i.operands)
        }
        for i in fusedBody.instructions {
            guard let r = i.result, moved.contains(r) else { continue }
            switch i.op {
            case .const: continue
            case .add, .sub, .mul, .neg: guard f.type(of: r) == .real else { return nil }
            case .addat:
                guard let shape = m.shapes[i.operands[0]], read.contains([shape, i.operands[2]]) else { return nil }
            default: return nil
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
