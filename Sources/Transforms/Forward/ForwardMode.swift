// Transforms stage, forward mode: the tangent function of a function.
//
//   @f.jvp.W(params..., tangents of the parameters in W) -> (value, tangent of the value)
//
// Forward mode is its own, simpler emitter (JVP beside VJP): the control flow of f
// is kept as it is, every block parameter that carries a derivative gets a tangent
// parameter beside it, and each active instruction is followed by its tangent rule.
// Calls go to the callee's tangent function; pushes and pops move tangents on tangent
// tapes beside the values, so the sweeps of a `grad` can be pushed forward too.
import AdjointBasic
import AdjointIR

extension DifferentiationContext {
    /// The name of `name`'s tangent function for the parameters at `wrt`, generated on first request.
    func tangents(of name: String, wrt: [Int]) throws -> String {
        let role = FunctionRole.tangent(SweepKey(of: name, wrt: wrt))
        let jvpName = role.sweepName!
        if function(named: jvpName) != nil { return jvpName }
        try rewriteGrads(in: name)
        guard let source = function(named: name) else {
            throw DifferentiationError.internal("no function @\(name)")
        }
        var jvp = try ForwardMode.generate(source: source, wrt: wrt, context: self, name: jvpName)
        jvp.role = role
        BlockParameterCleanup.run(on: &jvp)
        add(jvp)
        return jvpName
    }
}

/// Builds the tangent function of one function.
enum ForwardMode {
    static func generate(source: Function, wrt: [Int], context: DifferentiationContext, name: String) throws -> Function {
        let activity = ActivityInfo(source, wrt: wrt, hasTapeEffects: context.hasTapeEffects,
                                    isInertTape: { context.inertTapes.contains($0) })
        let result = source.resultType
        // Tangent names `dx`, made unlike every other parameter's (a tangent function's own tangents: `ddx`).
        var names = source.parameterNames
        for i in wrt {
            var tangentName = "d" + source.parameterNames[i]
            while names.contains(tangentName) { tangentName = "d" + tangentName }
            names.append(tangentName)
        }
        let builder = FunctionBuilder(
            name: name, parameterNames: names,
            parameterTypes: source.parameterTypes + wrt.map { source.parameterTypes[$0] },
            resultType: .tuple([result, result]), location: source.location)
        var e = TangentEmitter(context: context, builder: builder)
        let newParameters = e.builder.function.parameters
        for (i, p) in source.parameters.enumerated() { e.primal[p] = newParameters[i] }
        for (k, i) in wrt.enumerated() { e.tangent[source.parameters[i]] = newParameters[source.parameters.count + k] }

        let dominators = Dominators(source)
        let active = { (v: ValueID) in activity.isActive(v) }
        // One new block per reachable block: its parameters, then tangents of those that carry derivatives.
        var newBlock: [Int: BlockID] = [0: BlockID(0)]
        for id in dominators.reversePostOrder where id.index != 0 {
            let parameters = source.blocks[id.index].parameters
            let tangentTypes = parameters.filter(active).map { source.type(of: $0) }
            newBlock[id.index] = e.builder.makeBlock(parameters: parameters.map { source.type(of: $0) } + tangentTypes)
        }
        for id in dominators.reversePostOrder {
            let block = source.blocks[id.index]
            e.builder.insertionBlock = newBlock[id.index]!
            if id.index != 0 {
                let values = e.builder.parameters(of: newBlock[id.index]!)
                for (p, v) in zip(block.parameters, values) { e.primal[p] = v }
                for (p, v) in zip(block.parameters.filter(active), values.dropFirst(block.parameters.count)) {
                    e.tangent[p] = v
                }
            }
            for instruction in block.instructions {
                try forward(instruction, in: source, activity: activity, emitter: &e)
            }
            e.location = block.terminatorLocation
            func target(_ t: BranchTarget) -> BranchTarget {
                let parameters = source.blocks[t.block.index].parameters
                let tangents = zip(t.arguments, parameters).filter { active($0.1) }.map {
                    e.materialize($0.0, type: source.type(of: $0.1))
                }
                return BranchTarget(newBlock[t.block.index]!, t.arguments.map { e.primal[$0]! } + tangents)
            }
            switch block.terminator {
            case .branch(let t):
                let mapped = target(t)
                e.builder.terminate(.branch(mapped), at: block.terminatorLocation)
            case .condBranch(let c, let t, let f):
                let (mt, mf) = (target(t), target(f))
                e.builder.terminate(.condBranch(condition: e.primal[c]!, then: mt, else: mf), at: block.terminatorLocation)
            case .ret(let v):
                guard let v else { throw DifferentiationError.internal("void result", at: source.location) }
                let pair = e.emit(.tuple, [e.primal[v]!, e.materialize(v, type: result)], .tuple([result, result]))
                e.builder.terminate(.ret(pair), at: block.terminatorLocation)
            }
        }
        return e.builder.function
    }

    /// Copies one instruction and emits its tangent.
    private static func forward(_ instruction: Instruction, in source: Function, activity: ActivityInfo,
                                emitter e: inout TangentEmitter) throws {
        e.location = instruction.location
        let operands = instruction.operands.map { e.primal[$0]! }
        let type = instruction.result.map { source.type(of: $0) }
        switch instruction.op {
        case .call:
            guard case .callee(let name) = instruction.payload, let callee = e.context.function(named: name) else { break }
            let resultActive = instruction.result.map(activity.isActive) ?? false
            guard resultActive || e.context.hasTapeEffects(name), let type else { break }
            let mask = instruction.operands.indices.filter {
                callee.parameterTypes[$0].carriesDerivatives && e.tangent[instruction.operands[$0]] != nil
            }
            let jvp = try e.context.tangents(of: name, wrt: mask)
            let tangents = mask.map { e.materialize(instruction.operands[$0], type: callee.parameterTypes[$0]) }
            let pair = e.emit(.call, operands + tangents, .tuple([type, type]), payload: .callee(jvp))
            e.primal[instruction.result!] = e.emit(.extract, [pair], type, payload: .index(0))
            e.tangent[instruction.result!] = e.emit(.extract, [pair], type, payload: .index(1))
            return
        case .push:
            guard case .tape(let tape) = instruction.payload else { break }
            e.builder.emit(.push, operands, type: nil, payload: instruction.payload, at: instruction.location)
            let valueType = source.type(of: instruction.operands[0])
            if valueType.carriesDerivatives, !e.context.inertTapes.contains(tape) {
                let t = e.materialize(instruction.operands[0], type: valueType)
                e.builder.emit(.push, [t], type: nil, payload: .tape(e.context.tangentTape(of: tape)), at: instruction.location)
            }
            return
        case .pop:
            guard case .tape(let tape) = instruction.payload, let r = instruction.result, let type else { break }
            e.primal[r] = e.emit(.pop, [], type, payload: instruction.payload)
            if type.carriesDerivatives, !e.context.inertTapes.contains(tape) {
                e.tangent[r] = e.emit(.pop, [], type, payload: .tape(e.context.tangentTape(of: tape)))
            }
            return
        default:
            break
        }
        let y = e.builder.emit(instruction.op, operands, type: type, payload: instruction.payload, at: instruction.location)
        guard let r = instruction.result, let y, let type else { return }
        e.primal[r] = y
        if activity.isActive(r) {
            var t = try e.tangent(of: instruction, result: y, type: type,
                                  sourceTypes: instruction.operands.map { source.type(of: $0) })
            // One operand's tangent alone has that operand's shape (a Real, a column): give it the result's.
            if instruction.op.isBroadcastingBinary, type == .tensor, let tangent = t {
                t = e.emit(.fit, [tangent, y], .tensor)
            }
            e.tangent[r] = t
        }
    }
}
