// Transforms stage, reverse mode: a `grad` whose sweeps need no tape becomes one function.
//
//   @f.vjp.W(params..., head) -> (value, gradients in W...)
//
// The forward sweep records a value on a tape so that the reverse sweep, a separate
// function, can read it. Where every tape of the forward sweep is pushed once per call
// (outside loops, in a block every run passes) the value can simply stay where it is: the
// fused function runs the forward sweep's blocks, then the reverse sweep's, and each pop
// reads the value its push recorded, as an SSA value that dominates it. A person writing
// the gradient of straight-line code does the same: one function, locals, no tape.
//
// A tape pushed in a loop can stay a tape only until `LoopFusion` runs the reverse loop
// inside the forward one: then each iteration's pop reads what the same iteration pushed,
// and the pair is that value again (W5's branch decisions). So `keepingTapesInLoops` leaves
// those pushes and pops in the fused function, and the caller keeps the result only when
// the passes leave none.
//
// Calls the sweeps make to other functions' sweeps keep their own tapes, so the fused
// function still takes the call's tapes when a callee records. Sweeps that read the
// training mode are left apart: the reverse sweep runs outside training mode, and one
// function cannot switch between them without the tapes that carry the flag.
import AdjointIR

enum SweepFusion {
    /// The fused function of `forward` and `reverse`, or nil when a tape must stay a tape.
    static func fuse(forward: Function, reverse: Function, key: SweepKey, keepingTapesInLoops: Bool = false,
                     readsTrainingMode: (String) -> Bool) -> Function? {
        guard let (pushed, inLoops) = valuesPushedOnce(by: forward),
              inLoops.isEmpty || keepingTapesInLoops && loopsCarryOnlyAdjointsAndCounts(reverse),
              popsEachOnce(reverse, from: pushed, inLoops: inLoops),
              // One head, then the primal parameters, as `grad` passes them.
              reverse.parameters.count == forward.parameters.count + 1,
              case .tuple(let gradientTypes) = reverse.resultType,
              !readsTrainingMode(forward.name), !readsTrainingMode(reverse.name) else { return nil }
        var fused = forward
        fused.role = .vjp(key)
        fused.name = FunctionRole.vjp(key).sweepName!
        fused.parameterNames = forward.parameterNames + [reverse.parameterNames[0]]
        fused.resultType = .tuple([forward.resultType] + gradientTypes)
        fused.differentiableParameters = nil
        fused.customDerivative = nil
        let head = fused.makeValue(reverse.type(of: reverse.parameters[0]))
        fused.blocks[0].parameters.append(head)

        // The reverse sweep's values and blocks come after the forward sweep's.
        let valueOffset = fused.valueTypes.count
        let blockOffset = fused.blocks.count
        fused.valueTypes += reverse.valueTypes
        for (index, name) in reverse.valueNames { fused.valueNames[index + valueOffset] = name }
        var replacement: [ValueID: ValueID] = [:]
        for block in reverse.blocks {
            for instruction in block.instructions where instruction.op == .pop {
                guard case .tape(let t) = instruction.payload, !inLoops.contains(t), let r = instruction.result else { continue }
                replacement[ValueID(r.index + valueOffset)] = pushed[t]!
            }
        }
        func moved(_ v: ValueID) -> ValueID {
            let shifted = ValueID(v.index + valueOffset)
            return replacement[shifted] ?? shifted
        }
        func target(_ t: BranchTarget) -> BranchTarget {
            BranchTarget(BlockID(t.block.index + blockOffset), t.arguments.map(moved))
        }

        // The forward sweep's return goes on to the reverse sweep's entry, with the head and the arguments.
        var primalValue: ValueID? = nil
        for b in fused.blocks.indices {
            fused.blocks[b].instructions.removeAll {
                guard $0.op == .push, case .tape(let t) = $0.payload else { return false }
                return !inLoops.contains(t)
            }
            if case .ret(let y) = fused.blocks[b].terminator {
                primalValue = y
                fused.blocks[b].terminator = .branch(BranchTarget(BlockID(blockOffset), [head] + forward.parameters))
            }
        }
        guard let primalValue else { return nil }
        for block in reverse.blocks {
            var copy = Block(id: BlockID(block.id.index + blockOffset), parameters: block.parameters.map(moved),
                             terminatorLocation: block.terminatorLocation)
            // A pop of a tape pushed once is the value pushed; one of a tape pushed in a loop stays.
            for var instruction in block.instructions
            where instruction.op != .pop || instruction.result.map({ replacement[ValueID($0.index + valueOffset)] == nil }) ?? true {
                instruction.operands = instruction.operands.map(moved)
                instruction.result = instruction.result.map(moved)
                copy.instructions.append(instruction)
            }
            switch block.terminator {
            case .branch(let t): copy.terminator = .branch(target(t))
            case .condBranch(let c, let t, let e):
                copy.terminator = .condBranch(condition: moved(c), then: target(t), else: target(e))
            case .ret(let g):
                // (value, gradients...) as `grad` gives them.
                guard let g = g.map(moved) else { return nil }
                let at = block.terminatorLocation
                let parts = gradientTypes.enumerated().map { k, type -> ValueID in
                    let part = fused.makeValue(type)
                    copy.instructions.append(Instruction(result: part, op: .extract, operands: [g], payload: .index(k), location: at))
                    return part
                }
                let result = fused.makeValue(fused.resultType)
                copy.instructions.append(Instruction(result: result, op: .tuple, operands: [primalValue] + parts, location: at))
                copy.terminator = .ret(result)
            }
            fused.blocks.append(copy)
        }
        return fused
    }

    /// Each tape the forward sweep pushes, with the value pushed, when every push is the only one of its tape and
    /// sits in a block that every run passes (one that dominates the only return); and the tapes pushed in loops.
    private static func valuesPushedOnce(by forward: Function) -> (once: [Int: ValueID], inLoops: Set<Int>)? {
        let returns = forward.blocks.filter { if case .ret = $0.terminator { return true } else { return false } }
        guard returns.count == 1 else { return nil }
        let dominators = Dominators(forward)
        let loops = Loops(forward, dominators: dominators,
                          incomingEdges: forward.incomingEdges(reachable: dominators.isReachable))
        var pushed: [Int: ValueID] = [:], inLoops = Set<Int>()
        for block in forward.blocks {
            for instruction in block.instructions where instruction.op == .push || instruction.op == .pop {
                guard instruction.op == .push, case .tape(let t) = instruction.payload, pushed[t] == nil,
                      !inLoops.contains(t) else { return nil }
                if loops.inAnyLoop.contains(block.id.index) {
                    inLoops.insert(t)
                } else {
                    guard dominators.dominates(block.id, returns[0].id) else { return nil }
                    pushed[t] = instruction.operands[0]
                }
            }
        }
        return (pushed, inLoops)
    }

    /// Whether each loop of the (optimized) reverse sweep carries one Int, its count, and Tensors only: what
    /// `LoopFusion` can run inside a forward loop. Where one carries a Real (the adjoint of a running product) or
    /// nests another loop, its tape stays, and the passes over a fused copy would be wasted work.
    private static func loopsCarryOnlyAdjointsAndCounts(_ reverse: Function) -> Bool {
        let dominators = Dominators(reverse)
        var headers = Set<Int>()
        for block in reverse.blocks where dominators.isReachable(block.id) {
            for target in block.terminator.successors where dominators.dominates(target.block, block.id) {
                headers.insert(target.block.index)
            }
        }
        return headers.allSatisfy { h in
            let types = reverse.blocks[h].parameters.map { reverse.type(of: $0) }
            return types.filter { $0 == .int }.count == 1 && types.allSatisfy { $0 == .int || $0 == .tensor }
        }
    }

    /// Whether the reverse sweep pops only tapes the forward sweep pushed, each pushed once at most once, and
    /// pushes nothing.
    private static func popsEachOnce(_ reverse: Function, from pushed: [Int: ValueID], inLoops: Set<Int>) -> Bool {
        var popped = Set<Int>()
        for block in reverse.blocks {
            for instruction in block.instructions where instruction.op == .push || instruction.op == .pop {
                guard instruction.op == .pop, case .tape(let t) = instruction.payload else { return false }
                guard !inLoops.contains(t) else { continue }
                guard pushed[t] != nil, popped.insert(t).inserted else { return false }
            }
        }
        return true
    }
}
