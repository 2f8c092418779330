// Transforms stage, reverse mode: split a function into a forward sweep and a reverse sweep.
//
// For a function `f` and the parameters to differentiate, this builds two functions:
//
//   @f.fwd.M(params) -> R        f itself, recording on tapes what the reverse sweep needs
//   @f.rev.M(heads)  -> (grads)  the adjoints of the parameters in M, for the head(s) of R
//
// Control flow is replayed from a branch trace: every block with several incoming
// edges takes an extra Int parameter saying which edge it was entered by, and
// pushes it; its reverse block pops it and goes back along that edge. A function
// with several `ret`s records which one it left by. Values a reverse block reads
// (an operand of a multiplication, a loop counter's index) are pushed at the end of
// the forward block that uses them and popped at the start of its reverse block,
// so each loop iteration gets its own copy and LIFO order matches block for block.
//
// Adjoints are SSA values too. Every reverse block takes one parameter per adjoint
// live across its start (`blockKeys`: of the values read after its forward block, and
// of that block's branch arguments), and passes on those its predecessor's takes; the
// block parameter cleanup afterwards removes the parameters that only ever pass a value
// through. Within a block, adjoints stay symbolic (`AdjointValue`).
//
// Calls are split the same way: the forward sweep calls the callee's forward sweep,
// the reverse block calls its reverse sweep with the result's adjoint. So a callee's
// derivative is generated once per set of active arguments and reused, its forward
// code runs exactly once (a random draw or a `print` is not repeated), and a function
// that calls `grad` can itself be differentiated: its `push` and `pop` instructions
// get adjoints on shadow tapes.
import AdjointBasic
import AdjointIR

/// An error in differentiating: an operation without an adjoint rule.
public struct DifferentiationError: Error, CustomStringConvertible, Sendable {
    public var location: SourceLocation
    public var message: String
    /// A compiler bug (a function the transform itself should have made is missing), not the program's fault.
    public var isInternal = false
    public var description: String { message }

    /// An internal failure: reported with exit status 3 as "internal error".
    static func `internal`(_ message: String, at location: SourceLocation = .unknown) -> DifferentiationError {
        DifferentiationError(location: location, message: message, isInternal: true)
    }
}

/// Builds the forward and reverse sweeps of one function for one set of parameters.
struct ReverseMode {
    let source: Function
    let wrt: [Int]
    let context: DifferentiationContext
    let activity: ActivityInfo
    let inert: ActivityInfo
    let names: (forward: String, reverse: String)

    private var definingBlock: [Int: BlockID] = [:]
    private var incomingEdges: [[IncomingEdge]]
    private var reachable: [BlockID]
    private var returnBlocks: [BlockID] = []
    /// For each block, the adjoints its reverse block takes (see `computeBlockKeys`).
    private var blockKeys: [[AdjointKey]] = []
    /// Values pushed at the end of each forward block: (value, tape).
    private var recorded: [[(value: ValueID, tape: Int)]]
    private var traceTapes: [Int: Int] = [:]
    private var exitTape: Int?
    private var loops: [CountedLoop] = []
    /// What the reverse sweep computes again instead of recording.
    private var recomputation: Recomputation
    /// For each block, the counted loops containing it (indices into `loops`), outermost first.
    private var loopsOf: [[Int]]
    /// For each block, the counted loops it is an exit target of.
    private var exitsOf: [[Int]]
    /// How each call instruction (block, index) is differentiated: the callee's sweeps.
    private var splitCalls: [BlockPosition: (forward: String, reverse: String, wrt: [Int])] = [:]
    /// Calls of fused gradients differentiated forward over reverse, with the parameters each is the gradient in:
    /// the forward sweep calls the fused gradient itself, the reverse block its tangent function
    /// (`DifferentiationContext.tangentOfGradient`).
    private var gradientCalls: [BlockPosition: [Int]] = [:]

    struct BlockPosition: Hashable {
        var block: Int
        var index: Int
    }

    init(source: Function, wrt: [Int], context: DifferentiationContext, names: (forward: String, reverse: String)) throws {
        self.source = source
        self.wrt = wrt
        self.context = context
        self.names = names
        activity = ActivityInfo(source, wrt: wrt, hasTapeEffects: context.hasTapeEffects,
                                isInertTape: { context.inertTapes.contains($0) })
        // What no parameter at all can influence: recorded copies of these are constants to later derivatives.
        inert = ActivityInfo(source, wrt: source.parameterTypes.indices.filter { source.parameterTypes[$0].carriesDerivatives },
                             hasTapeEffects: context.hasTapeEffects, isInertTape: { context.inertTapes.contains($0) })
        recorded = Array(repeating: [], count: source.blocks.count)
        loopsOf = Array(repeating: [], count: source.blocks.count)
        exitsOf = Array(repeating: [], count: source.blocks.count)
        let dominators = Dominators(source)
        reachable = dominators.reversePostOrder
        incomingEdges = source.incomingEdges(reachable: dominators.isReachable)
        for block in source.blocks where dominators.isReachable(block.id) {
            for p in block.parameters { definingBlock[p.index] = block.id }
            for i in block.instructions { if let r = i.result { definingBlock[r.index] = block.id } }
            if case .ret = block.terminator { returnBlocks.append(block.id) }
        }
        loops = CountedLoop.find(in: source, incomingEdges: incomingEdges, dominators: dominators,
                                 makeTape: context.makeTape)
        for (l, loop) in loops.enumerated() {
            for b in loop.blocks { loopsOf[b].append(l) }
            for exit in loop.exitTargets { exitsOf[exit.index].append(l) }
        }
        let context = context
        recomputation = Recomputation(source, loops: loops, incomingEdges: incomingEdges,
                                      definition: { [source] in context.definition(of: $0, in: source) })
        try planCalls()
        blockKeys = computeBlockKeys()
    }

    private func countedLoop(headedBy block: BlockID) -> Int? { loops.firstIndex { $0.header == block } }

    // MARK: - Planning

    /// Decides which calls are split into the callee's sweeps: those whose result is active or that move
    /// differentiable values through tapes (which must be mirrored in the reverse sweep to stay balanced).
    private mutating func planCalls() throws {
        for id in reachable {
            let block = source.blocks[id.index]
            for (k, instruction) in block.instructions.enumerated() where instruction.op == .call {
                guard case .callee(let name) = instruction.payload, let callee = context.function(named: name) else { continue }
                let resultActive = instruction.result.map(activity.isActive) ?? false
                guard resultActive || context.hasTapeEffects(name) else { continue }
                if let gradientWRT = context.tangentOfGradient(name) {
                    gradientCalls[BlockPosition(block: block.id.index, index: k)] = gradientWRT
                    continue
                }
                let mask = instruction.operands.indices.filter {
                    callee.parameterTypes[$0].carriesDerivatives && activity.isActive(instruction.operands[$0])
                }
                let sweeps = try context.derivatives(of: name, wrt: mask)
                splitCalls[BlockPosition(block: block.id.index, index: k)] = (sweeps.forward, sweeps.reverse, mask)
            }
        }
    }

    /// For each reachable block, the adjoints that its reverse block takes and that its predecessors' reverse
    /// blocks are passed: those of the active values live out of the block (read on some path after it) and of
    /// its branch arguments (their adjoints arrive from the successors' reverse blocks). An adjoint is carried
    /// only where it can be nonzero, so a function of many loops does not pass every loop's adjoints through
    /// every block.
    private func computeBlockKeys() -> [[AdjointKey]] {
        let liveness = Liveness(source, values: activity.isActive)
        var liveOut = [Set<ValueID>](repeating: [], count: source.blocks.count)
        for id in reachable {
            let block = source.blocks[id.index]
            for target in block.terminator.successors {
                for a in target.arguments where activity.isActive(a) { liveOut[id.index].insert(a) }
            }
            let defined = block.parameters + block.instructions.compactMap(\.result)
            for v in defined {
                for live in liveness.blocksLiveIn(v) ?? [] {
                    for edge in incomingEdges[live] { liveOut[edge.from.index].insert(v) }
                }
            }
        }
        return liveOut.map { values in values.flatMap { source.adjointKeys(of: $0) }.sorted() }
    }

    // MARK: - Generation

    /// The forward and reverse sweeps.
    mutating func generate() throws -> (forward: Function, reverse: Function) {
        let reverse = try buildReverse()
        let forward = buildForward()
        return (forward, reverse)
    }

    /// A block entered by several edges whose choice the trace records (counted loop headers are not).
    private func isMerge(_ block: BlockID) -> Bool {
        block.index != 0 && incomingEdges[block.index].count > 1 && countedLoop(headedBy: block) == nil
    }

    private mutating func traceTape(_ block: BlockID) -> Int {
        if let t = traceTapes[block.index] { return t }
        let t = context.makeTape()
        traceTapes[block.index] = t
        return t
    }

    /// The forward sweep: the source function with branch-trace and value recording added.
    private mutating func buildForward() -> Function {
        var f = source
        f.name = names.forward
        f.differentiableParameters = nil
        // New block parameters, in the order edges pass them: the trace index, the exit counts, the header count.
        var counter: [Int: ValueID] = [:]
        for id in reachable {
            var pushes: [Instruction] = []
            if isMerge(id) {
                let which = f.makeValue(.int)
                f.blocks[id.index].parameters.append(which)
                pushes.append(Instruction(result: nil, op: .push, operands: [which], payload: .tape(traceTape(id)),
                                          location: .unknown))
            }
            for l in exitsOf[id.index] {
                let count = f.makeValue(.int)
                f.blocks[id.index].parameters.append(count)
                // Counts go under the trace index: the reverse pops the trace first, then enters the loop.
                pushes.insert(Instruction(result: nil, op: .push, operands: [count], payload: .tape(loops[l].tape),
                                          location: .unknown), at: 0)
            }
            if let l = countedLoop(headedBy: id) {
                counter[l] = f.makeValue(.int)
                f.blocks[id.index].parameters.append(counter[l]!)
            }
            f.blocks[id.index].instructions.insert(contentsOf: pushes, at: 0)
        }
        for id in reachable {
            let original = source.blocks[id.index]
            var block = f.blocks[id.index]
            // Calls whose derivative is needed run the callee's forward sweep.
            for k in original.instructions.indices {
                guard let split = splitCalls[BlockPosition(block: id.index, index: k)] else { continue }
                let shifted = k + (isMerge(id) ? 1 : 0) + exitsOf[id.index].count
                block.instructions[shifted].payload = .callee(split.forward)
            }
            for (value, tape) in recorded[id.index] {
                block.instructions.append(Instruction(result: nil, op: .push, operands: [value], payload: .tape(tape),
                                                      location: .unknown))
            }
            // Tell each successor what it records: which edge this is, loop counts on exit, the header count.
            var successors = block.terminator.successors
            for k in successors.indices {
                let target = successors[k].block
                let edge = incomingEdges[target.index].firstIndex { $0.from == id && $0.successor == k }!
                func constant(_ n: Int) -> ValueID {
                    let v = f.makeValue(.int)
                    block.instructions.append(Instruction(result: v, op: .const, operands: [], payload: .constant(.int(n)),
                                                          location: .unknown))
                    return v
                }
                if isMerge(target) { successors[k].arguments.append(constant(edge)) }
                for l in exitsOf[target.index] { successors[k].arguments.append(counter[l]!) }
                if let l = countedLoop(headedBy: target) {
                    if edge == loops[l].entryEdge {
                        successors[k].arguments.append(constant(0))
                    } else {
                        let next = f.makeValue(.int)
                        block.instructions.append(Instruction(result: next, op: .add, operands: [counter[l]!, constant(1)],
                                                              payload: .none, location: .unknown))
                        successors[k].arguments.append(next)
                    }
                }
            }
            switch block.terminator {
            case .branch: block.terminator = .branch(successors[0])
            case .condBranch(let c, _, _): block.terminator = .condBranch(condition: c, then: successors[0], else: successors[1])
            case .ret:
                if let exitTape, let exit = returnBlocks.firstIndex(of: id) {
                    let index = f.makeValue(.int)
                    block.instructions.append(Instruction(result: index, op: .const, operands: [],
                                                          payload: .constant(.int(exit)), location: .unknown))
                    block.instructions.append(Instruction(result: nil, op: .push, operands: [index], payload: .tape(exitTape),
                                                          location: .unknown))
                }
            }
            f.blocks[id.index] = block
        }
        return f
    }

    /// The reverse sweep: one reverse block per forward block, entered from the exits, leaving at the entry.
    private mutating func buildReverse() throws -> Function {
        let headTypes = ReverseMode.components(of: source.resultType)
        let gradientTypes = wrt.map { source.parameterTypes[$0] }
        // The heads, then the primal arguments: constants of the whole call, read again instead of recorded.
        let headNames = ReverseMode.headNames(headTypes.count, avoiding: source.parameterNames)
        var b = FunctionBuilder(name: names.reverse, parameterNames: headNames + source.parameterNames,
                                parameterTypes: headTypes + source.parameterTypes, resultType: .tuple(gradientTypes),
                                location: source.location)
        let heads = Array(b.function.parameters.prefix(headTypes.count))
        let primalParameters = Array(b.function.parameters.dropFirst(headTypes.count))
        let zeroReal = b.emit(.const, [], type: .real, payload: .constant(.real(numerator: "0", denominator: "1")),
                              at: .unknown)!
        let zeroTensor = b.emit(.tensor, [zeroReal], type: .tensor, payload: .shape([]), at: .unknown)!
        let zeros = Zeros(real: zeroReal, tensor: zeroTensor)

        // One reverse block per reachable forward block, each taking the adjoints live across it.
        var reverseBlock: [Int: BlockID] = [:]
        for id in reachable {
            reverseBlock[id.index] = b.makeBlock(parameters: blockKeys[id.index].map { source.type(ofAdjoint: $0) }
                                                 + loopsOf[id.index].map { _ in ValueType.int })
        }
        // Nothing runs after a `ret`: the reverse blocks of the return blocks take no adjoints.
        if returnBlocks.count == 1 {
            b.terminate(.branch(BranchTarget(reverseBlock[returnBlocks[0].index]!, [])), at: .unknown)
        } else {
            let tape = context.makeTape()
            exitTape = tape
            let which = b.emit(.pop, [], type: .int, payload: .tape(tape), at: .unknown)!
            dispatch(&b, on: which, to: returnBlocks.map { reverseBlock[$0.index]! }, arguments: [])
        }

        for id in reachable {
            let block = source.blocks[id.index]
            let start = reverseBlock[id.index]!
            b.insertionBlock = start
            let keys = blockKeys[id.index]
            let counts = Dictionary(uniqueKeysWithValues: zip(loopsOf[id.index],
                                                              b.parameters(of: start).dropFirst(keys.count)))
            var emitter = AdjointEmitter(source: source, activity: activity, context: context, zeros: zeros,
                                         block: id, builder: b, recomputation: recomputation,
                                         primalParameters: primalParameters, loopCounts: counts)
            // The emitter holds the function now: `b` lets go of it, so the emitter's appends do not copy the
            // whole function (once per block, which made reverse mode quadratic in the number of blocks).
            b = FunctionBuilder(existing: Function(name: "", parameterNames: [], resultType: .void))
            let influenced = inert.varied
            emitter.isInfluenced = { influenced.contains($0) }
            for (key, parameter) in zip(keys, emitter.builder.parameters(of: start)) {
                emitter.adjoints[key] = .value(parameter)
            }
            if case .ret(let v?) = block.terminator, activity.isActive(v) {
                for (component, key) in source.adjointKeys(of: v).enumerated() {
                    emitter.accumulate(key, emitter.fitTo(heads[min(component, heads.count - 1)], key: key))
                }
            }
            for k in block.instructions.indices.reversed() {
                let position = BlockPosition(block: id.index, index: k)
                try emitter.reverse(block.instructions[k], splitCall: splitCalls[position].map { ($0.reverse, $0.wrt) },
                                    gradientCall: gradientCalls[position])
            }
            if id.index == 0 {
                // Back at the entry: return the parameters' adjoints, shaped like the parameters.
                let gradients = wrt.map { emitter.finalAdjoint(of: source.parameters[$0]) }
                let result = emitter.builder.emit(.tuple, gradients, type: .tuple(gradientTypes), at: .unknown)!
                emitter.builder.terminate(.ret(result), at: .unknown)
            } else if incomingEdges[id.index].count == 1 {
                transfer(&emitter, along: incomingEdges[id.index][0], into: id, counts: counts, reverseBlock: reverseBlock)
            } else {
                let edgeBlocks = incomingEdges[id.index].map { _ in emitter.builder.makeBlock() }
                if let l = countedLoop(headedBy: id) {
                    // Around again while iterations remain, else out through the entry edge.
                    let zero = emitter.builder.emit(.const, [], type: .int, payload: .constant(.int(0)), at: .unknown)!
                    let more = emitter.builder.emit(.gt, [counts[l]!, zero], type: .bool, at: .unknown)!
                    emitter.builder.terminate(.condBranch(condition: more, then: BranchTarget(edgeBlocks[loops[l].backEdge]),
                                                          else: BranchTarget(edgeBlocks[loops[l].entryEdge])), at: .unknown)
                } else {
                    // Pop the edge this block was entered by, and go back along it.
                    let which = emitter.builder.emit(.pop, [], type: .int, payload: .tape(traceTape(id)), at: .unknown)!
                    dispatch(&emitter.builder, on: which, to: edgeBlocks, arguments: [])
                }
                let atDispatch = emitter.adjoints
                for (edge, edgeBlock) in zip(incomingEdges[id.index], edgeBlocks) {
                    emitter.adjoints = atDispatch
                    emitter.builder.insertionBlock = edgeBlock
                    transfer(&emitter, along: edge, into: id, counts: counts, reverseBlock: reverseBlock)
                }
            }
            // The values this reverse block reads are popped first, in the reverse order of their pushes.
            recorded[id.index] = emitter.recorded
            let pops = emitter.recorded.reversed().map { entry in
                Instruction(result: emitter.poppedCopy[entry.value]!, op: .pop, operands: [], payload: .tape(entry.tape),
                            location: .unknown)
            }
            b = emitter.builder
            b.function.blocks[start.index].instructions.insert(contentsOf: pops, at: 0)
        }
        return b.function
    }

    /// Along the forward edge `from -> block`: the adjoints of `block`'s parameters flow to the branch
    /// arguments, then control goes to the predecessor's reverse block with the crossing adjoints.
    private func transfer(_ emitter: inout AdjointEmitter, along edge: IncomingEdge, into block: BlockID,
                          counts: [Int: ValueID], reverseBlock: [Int: BlockID]) {
        let target = source.blocks[edge.from.index].terminator.successors[edge.successor]
        let parameters = source.blocks[block.index].parameters
        // Take the parameters' adjoints first: this instance of the parameters is done (around a loop the
        // previous iteration's starts from zero), and an argument may be a parameter itself.
        let incoming = parameters.map { p in source.adjointKeys(of: p).map { emitter.adjoints[$0] ?? .zero } }
        for p in parameters { for key in source.adjointKeys(of: p) { emitter.adjoints[key] = .zero } }
        for (argument, adjoints) in zip(target.arguments, incoming) where activity.isActive(argument) {
            for (key, adjoint) in zip(source.adjointKeys(of: argument), adjoints) {
                if case .value(let a) = adjoint { emitter.accumulate(key, a) }
            }
        }
        var arguments = blockKeys[edge.from.index].map { emitter.materializePassed($0) }
        // The predecessor's loop counts: carried within a loop, one less around a back edge, popped on entering.
        for l in loopsOf[edge.from.index] {
            if let count = counts[l] {
                if block == loops[l].header {
                    let one = emitter.builder.emit(.const, [], type: .int, payload: .constant(.int(1)), at: .unknown)!
                    arguments.append(emitter.builder.emit(.sub, [count, one], type: .int, at: .unknown)!)
                } else {
                    arguments.append(count)
                }
            } else {
                arguments.append(emitter.builder.emit(.pop, [], type: .int, payload: .tape(loops[l].tape), at: .unknown)!)
            }
        }
        emitter.builder.terminate(.branch(BranchTarget(reverseBlock[edge.from.index]!, arguments)), at: .unknown)
    }

    /// Branches to `targets[which]` with a chain of comparisons (most merges have two edges: one `condbr`).
    private func dispatch(_ b: inout FunctionBuilder, on which: ValueID, to targets: [BlockID], arguments: [ValueID]) {
        for (i, target) in targets.enumerated() {
            if i == targets.count - 1 {
                b.terminate(.branch(BranchTarget(target, arguments)), at: .unknown)
                break
            }
            let index = b.emit(.const, [], type: .int, payload: .constant(.int(i)), at: .unknown)!
            let isThis = b.emit(.eq, [which, index], type: .bool, at: .unknown)!
            let next = b.makeBlock()
            b.terminate(.condBranch(condition: isThis, then: BranchTarget(target, arguments), else: BranchTarget(next)),
                        at: .unknown)
            b.insertionBlock = next
        }
    }

    /// The reverse sweep's head parameters, `head0`, `head1`, ..., each made unlike the primal parameters' names.
    static func headNames(_ count: Int, avoiding parameterNames: [String]) -> [String] {
        (0..<count).map { k in
            var name = "head\(k)"
            while parameterNames.contains(name) { name += "_" }
            return name
        }
    }

    /// The head types of a result: one per component of a tuple.
    static func components(of type: ValueType) -> [ValueType] {
        if case .tuple(let elements) = type { return elements }
        return [type]
    }
}

/// The zero adjoints every reverse block shares: defined once in the reverse sweep's entry.
struct Zeros {
    var real: ValueID
    var tensor: ValueID

    func of(_ type: ValueType) -> ValueID { type == .tensor ? tensor : real }
}
