// Transforms stage, reverse mode: the module pass that makes `grad` instructions runnable.
//
// Each `%t = grad @f [wrt] args..., head` becomes
//
//   %old = settraining true          is_training() is true in the forward sweep
//   %v   = call @f.fwd.W(args...)
//          settraining %old
//   %g   = call @f.rev.W(head, args...)
//   %t   = tuple %v, (extract %g)...
//
// and the sweeps of f (and of every function they call with active arguments) are
// generated once per set of differentiated parameters; where no value needs a tape the
// two are one fused function. Functions are rewritten before they are differentiated,
// so `grad` of a function that itself calls `grad` differentiates what the inner one
// became: the tangent of a fused gradient is its adjoint (forward over reverse,
// `tangentOfGradient`), else the inner sweeps, tapes included, are reversed again.
import AdjointBasic
import AdjointIR

/// Settings of the derivative transforms.
public struct DifferentiationOptions: Sendable {
    /// Run `Pipeline.standard` after differentiation (tests turn it off to compare results).
    public var optimize: Bool
    /// Runs on the differentiated module before anything else reads it. Nil in every real compilation; tests
    /// inject a deliberately wrong derivative here (Tests/AdjointTests/Faults.swift) to see the checks catch it,
    /// so no fault lives in the rules themselves.
    public var rewrite: (@Sendable (inout Module) -> Void)?
    /// Verify the IR after every pass (`compile --verify-each`; debug builds always do).
    public var verifyEach: Bool
    /// Print the IR after the passes named (`compile --print-after PASS`).
    public var printAfter: PassPrinting
    /// Fuse the sweeps of a `grad` into one function where no value needs a tape (`SweepFusion`). Off where
    /// `--explain` records the path, which tells the forward sweep's kinks from the reverse sweep's by function.
    public var fusesSweeps: Bool

    public init(optimize: Bool = true, rewrite: (@Sendable (inout Module) -> Void)? = nil, verifyEach: Bool = false,
                printAfter: PassPrinting = PassPrinting(), fusesSweeps: Bool = true) {
        self.fusesSweeps = fusesSweeps
        self.optimize = optimize
        self.rewrite = rewrite
        self.verifyEach = verifyEach
        self.printAfter = printAfter
    }
}

/// Replaces every `grad` instruction of a module with calls of generated forward and reverse sweeps.
public enum Differentiate {
    public static let name = "differentiate"

    /// Rewrites every `grad`; `also` names more sweeps to generate, `tangents` tangent functions.
    public static func run(on module: Module, also: [SweepKey] = [], tangents: [SweepKey] = [],
                           options: DifferentiationOptions = DifferentiationOptions()) throws -> Module {
        let context = DifferentiationContext(module, options: options)
        for function in module.functions { try context.rewriteGrads(in: function.name) }
        for key in also { _ = try context.gradient(of: key.function, wrt: key.wrt) }
        for key in tangents { _ = try context.tangents(of: key.function, wrt: key.wrt) }
        var result = context.module
        if options.optimize { GradientCallMerging.run(on: &result) }
        UnreadResults.run(on: &result)
        if options.optimize { AccumulatedProducts.run(on: &result) }
        options.rewrite?(&result)
        return result
    }
}

/// What the generation of all sweeps of one module shares: the module, tape numbers, shadow tapes
/// and the sweeps already generated.
final class DifferentiationContext {
    private(set) var module: Module
    private var index: [String: Int] = [:]
    private var nextTape = 0
    private var shadows: [Int: Int] = [:]
    private var tangentTapes: [Int: Int] = [:]
    /// Tapes that carry values no parameter can influence (`real(i)` of a loop counter, say): their pops
    /// are constants to every later derivative, so they get no shadow tape.
    private(set) var inertTapes: Set<Int> = []

    func markInert(_ tape: Int) { inertTapes.insert(tape) }
    private var generated: [SweepKey: (forward: String, reverse: String)] = [:]
    /// The fused function of each key's sweeps, or nil where they cannot be fused.
    private var fused: [SweepKey: String?] = [:]
    private var trainingModeReaders: [String: Bool] = [:]
    private var customDerivativeReachers: [String: Bool] = [:]
    private lazy var customDerivatives = Set(module.functions.compactMap(\.customDerivative))
    /// `tangentOfGradient`'s answers, by fused gradient.
    private var gradientTangents: [String: [Int]?] = [:]
    private var rewritten: Set<String> = []
    private var tapeEffects: [String: Bool] = [:]
    private var definitions: [String: [ValueID: Instruction]] = [:]

    let options: DifferentiationOptions

    init(_ module: Module, options: DifferentiationOptions = DifferentiationOptions()) {
        self.module = module
        self.options = options
        for (i, f) in module.functions.enumerated() { index[f.name] = i }
        // New tapes never reuse a number the module already has.
        for f in module.functions {
            for b in f.blocks {
                for i in b.instructions { if case .tape(let t) = i.payload { nextTape = max(nextTape, t + 1) } }
            }
        }
    }

    func function(named name: String) -> Function? { index[name].map { module.functions[$0] } }

    func makeTape() -> Int {
        nextTape += 1
        return nextTape - 1
    }

    /// The tape carrying adjoints back along tape `t` when code that uses `t` is differentiated.
    func shadowTape(of t: Int) -> Int {
        if let s = shadows[t] { return s }
        let s = makeTape()
        shadows[t] = s
        return s
    }

    /// The instruction defining `value` in `function`, nil for block parameters.
    func definition(of value: ValueID, in function: Function) -> Instruction? {
        if definitions[function.name] == nil {
            var map: [ValueID: Instruction] = [:]
            for b in function.blocks {
                for i in b.instructions { if let r = i.result { map[r] = i } }
            }
            definitions[function.name] = map
        }
        return definitions[function.name]![value]
    }

    /// Whether calling the function pushes or pops differentiable values (its own code or a callee's).
    func hasTapeEffects(_ name: String) -> Bool {
        if let known = tapeEffects[name] { return known }
        tapeEffects[name] = false
        guard let f = function(named: name) else { return false }
        var effects = false
        for b in f.blocks {
            for i in b.instructions {
                switch i.op {
                case .push, .pop:
                    guard case .tape(let t) = i.payload, !inertTapes.contains(t) else { break }
                    let v = i.op == .push ? i.operands[0] : i.result!
                    effects = effects || f.type(of: v).carriesDerivatives
                case .call: if case .callee(let callee) = i.payload { effects = effects || hasTapeEffects(callee) }
                default: break
                }
            }
        }
        tapeEffects[name] = effects
        return effects
    }

    /// The forward and reverse sweeps of `name` for the parameters at `wrt`, generated on first request.
    func derivatives(of name: String, wrt: [Int]) throws -> (forward: String, reverse: String) {
        let key = SweepKey(of: name, wrt: wrt)
        if let names = generated[key] { return names }
        try rewriteGrads(in: name)
        guard let fusedSource = function(named: name) else {
            throw DifferentiationError.internal("no function @\(name)")
        }
        let source = splittingFusedCalls(in: fusedSource)
        // The definitions ReverseMode looks up are the split form's while it runs, the module's afterwards.
        definitions[name] = nil
        defer { definitions[name] = nil }
        let roles = (forward: FunctionRole.forwardSweep(key), reverse: FunctionRole.reverseSweep(key))
        let names = (forward: roles.forward.sweepName!, reverse: roles.reverse.sweepName!)
        var forward: Function, reverse: Function
        if let custom = source.customDerivative {
            // f's derivative is given by hand: its sweeps call f and then d (spec §7).
            try rewriteGrads(in: custom)
            guard let derivative = function(named: custom) else { throw DifferentiationError.internal("no function @\(custom)") }
            (forward, reverse) = CustomDerivativeSweeps.generate(for: source, derivative: derivative, wrt: wrt,
                                                                 context: self, names: names)
        } else {
            var mode = try ReverseMode(source: source, wrt: wrt, context: self, names: names)
            (forward, reverse) = try mode.generate()
        }
        (forward.role, reverse.role) = roles
        BlockParameterCleanup.run(on: &forward)
        BlockParameterCleanup.run(on: &reverse)
        if options.optimize {
            // Optimized now, before a `grad` of a function calling `grad` differentiates these sweeps in turn:
            // a head that only passes around a loop is the parameter again, an induction variable's step is a
            // constant again, so the second-order sweep computes them again instead of recording them.
            for pass in Pipeline.standard {
                pass.run(on: &forward)
                pass.run(on: &reverse)
            }
            BlockParameterCleanup.run(on: &forward)
            BlockParameterCleanup.run(on: &reverse)
            // The heads come first, then the primal parameters.
            let heads = reverse.parameters.prefix(reverse.parameters.count - source.parameters.count)
            if AdjointFactoring.run(on: &reverse, heads: Array(heads)) {
                for pass in Pipeline.standard { pass.run(on: &reverse) }
            }
            if heads.count == 1, HeadScaling.run(on: &reverse, head: heads.first!, isLinear: isLinearInItsHeads) {
                for pass in Pipeline.standard { pass.run(on: &reverse) }
            }
        }
        add(forward)
        add(reverse)
        generated[key] = names
        return names
    }

    /// What a `grad` of `name` for `wrt` calls: the fused function where the sweeps fuse, else both sweeps.
    func gradient(of name: String, wrt: [Int]) throws -> (fused: String?, forward: String, reverse: String) {
        let key = SweepKey(of: name, wrt: wrt)
        let sweeps = try derivatives(of: name, wrt: wrt)
        if let known = fused[key] { return (known, sweeps.forward, sweeps.reverse) }
        var result: String? = nil
        if options.fusesSweeps, let forward = function(named: sweeps.forward), let reverse = function(named: sweeps.reverse),
           var function = SweepFusion.fuse(forward: forward, reverse: reverse, key: key, keepingTapesInLoops: options.optimize,
                                           readsTrainingMode: readsTrainingMode) {
            BlockParameterCleanup.run(on: &function)
            if options.optimize {
                for pass in Pipeline.standard { pass.run(on: &function) }
                BlockParameterCleanup.run(on: &function)
            }
            // A tape pushed in a loop is gone where LoopFusion ran the reverse loop inside the forward one;
            // where one is left the sweeps stay apart.
            let keepsATape = function.blocks.contains { $0.instructions.contains { $0.op == .push || $0.op == .pop } }
            if !keepsATape {
                add(function)
                result = function.name
            }
        }
        fused[key] = result
        return (result, sweeps.forward, sweeps.reverse)
    }

    /// For a fused gradient `(f(x), h·∇f(x))` whose adjoint is its tangent (forward over reverse), the
    /// parameters it is the gradient in; nil where that does not apply. The Jacobian of h·∇f in x is h times
    /// the Hessian, which is symmetric, so the adjoint reverse over reverse computes, x̄ = v̄·∇f + h·H·ḡ and
    /// h̄ = ⟨∇f, ḡ⟩ (v̄ and ḡ the adjoints of the value and the gradient), is the tangent of the fused gradient
    /// along x' = ḡ, h' = v̄: one pass of the fused loop with tangents beside it, and no tape (h' is left out
    /// where v̄ is zero, as it is when nothing reads the value). It applies when the gradient is in every
    /// parameter of f that has one (else the other parameters' rows of the Hessian are missing), f's result
    /// and its head have one type, and no custom derivative is reached (a hand-written VJP need not have a
    /// symmetric Jacobian, and spec §7 has nested `grad` differentiate its body in reverse).
    func tangentOfGradient(_ name: String) -> [Int]? {
        if let known = gradientTangents[name] { return known }
        gradientTangents[name] = .some(nil)
        guard let fusedGradient = function(named: name), case .vjp(let key) = fusedGradient.role,
              let f = function(named: key.function),
              key.wrt == f.parameterTypes.indices.filter({ f.parameterTypes[$0].carriesDerivatives }),
              [ValueType.real, .tensor].contains(f.resultType),
              fusedGradient.parameterTypes == f.parameterTypes + [f.resultType],
              !reachesCustomDerivative(name) else { return nil }
        gradientTangents[name] = key.wrt
        return key.wrt
    }

    /// Whether `function` calls a custom derivative, directly or through a callee.
    private func callsCustomDerivative(_ function: Function) -> Bool {
        function.blocks.contains { block in
            block.instructions.contains { i in
                guard i.op == .call, case .callee(let callee) = i.payload else { return false }
                return reachesCustomDerivative(callee)
            }
        }
    }

    /// Whether a reverse sweep's gradients are linear in its heads alone: no adjoint comes in from a shadow
    /// tape (the reverse of a sweep that pushed, in a second-order gradient), itself or through a callee, and
    /// no custom derivative (a user's function of its head) is reached.
    private func isLinearInItsHeads(_ function: Function) -> Bool {
        !callsCustomDerivative(function) && !popsShadowTape(function)
    }

    /// Whether `function` pops a shadow tape, itself or through a callee.
    private func popsShadowTape(_ function: Function) -> Bool {
        let shadowTapes = Set(shadows.values)
        func pops(_ f: Function, visited: inout Set<String>) -> Bool {
            f.blocks.contains { block in
                block.instructions.contains { i in
                    switch i.payload {
                    case .tape(let t): return i.op == .pop && shadowTapes.contains(t)
                    case .callee(let callee):
                        guard visited.insert(callee).inserted, let g = self.function(named: callee) else { return false }
                        return pops(g, visited: &visited)
                    default: return false
                    }
                }
            }
        }
        var visited: Set<String> = [function.name]
        return pops(function, visited: &visited)
    }

    /// Whether `name` or a function it calls is some function's custom derivative (false while being asked).
    private func reachesCustomDerivative(_ name: String) -> Bool {
        if let known = customDerivativeReachers[name] { return known }
        customDerivativeReachers[name] = false
        guard let f = function(named: name) else { return false }
        let reaches = customDerivatives.contains(name) || callsCustomDerivative(f)
        customDerivativeReachers[name] = reaches
        return reaches
    }

    /// Whether `name` reads or sets the training mode, itself or through a callee (false while being asked,
    /// so recursion ends).
    func readsTrainingMode(_ name: String) -> Bool {
        if let known = trainingModeReaders[name] { return known }
        trainingModeReaders[name] = false
        guard let f = function(named: name) else { return false }
        let reads = f.blocks.contains { block in
            block.instructions.contains { i in
                if i.op == .istraining || i.op == .settraining { return true }
                if i.op == .call, case .callee(let callee) = i.payload { return readsTrainingMode(callee) }
                return false
            }
        }
        trainingModeReaders[name] = reads
        return reads
    }

    /// The tape that carries tangents beside the values of tape `t` in forward mode.
    func tangentTape(of t: Int) -> Int {
        if let s = tangentTapes[t] { return s }
        let s = makeTape()
        tangentTapes[t] = s
        return s
    }

    func add(_ f: Function) {
        index[f.name] = module.functions.count
        module.functions.append(f)
    }

    /// Rewrites the `grad` instructions of one function into calls of sweeps (once per function).
    func rewriteGrads(in name: String) throws {
        guard !rewritten.contains(name), let position = index[name] else { return }
        rewritten.insert(name)
        var f = module.functions[position]
        for b in f.blocks.indices {
            guard f.blocks[b].instructions.contains(where: { $0.op == .grad }) else { continue }
            var instructions: [Instruction] = []
            for instruction in f.blocks[b].instructions {
                guard instruction.op == .grad, case .grad(let callee, let wrt) = instruction.payload,
                      let result = instruction.result else {
                    instructions.append(instruction)
                    continue
                }
                let sweeps = try gradient(of: callee, wrt: wrt)
                if let fused = sweeps.fused {
                    // One call gives (value, gradients...), the `grad`'s own result.
                    instructions.append(Instruction(result: result, op: .call, operands: instruction.operands,
                                                    payload: .callee(fused), location: instruction.location))
                    continue
                }
                instructions += splitGradient(instruction, of: function(named: callee)!, wrt: wrt,
                                              sweeps: (sweeps.forward, sweeps.reverse), in: &f)
            }
            f.blocks[b].instructions = instructions
        }
        module.functions[position] = f
        definitions[name] = nil
    }

    /// A `grad` (or a call of a fused gradient, whose operands are the same) as the two sweeps: the forward one in
    /// training mode, then the reverse one, and their results as the tuple (value, gradients...).
    private func splitGradient(_ instruction: Instruction, of target: Function, wrt: [Int],
                               sweeps: (forward: String, reverse: String), in f: inout Function) -> [Instruction] {
        var instructions: [Instruction] = []
        let at = instruction.location
        func add(_ op: Opcode, _ operands: [ValueID], _ type: ValueType?, _ payload: Payload = .none) -> ValueID? {
            let r = type.map { f.makeValue($0) }
            instructions.append(Instruction(result: r, op: op, operands: operands, payload: payload, location: at))
            return r
        }
        let on = add(.const, [], .bool, .constant(.bool(true)))!
        let old = add(.settraining, [on], .bool)!
        let arguments = Array(instruction.operands.dropLast())
        let value = add(.call, arguments, target.resultType, .callee(sweeps.forward))!
        _ = add(.settraining, [old], .bool)
        let gradientTypes = wrt.map { target.parameterTypes[$0] }
        let gradients = add(.call, [instruction.operands.last!] + arguments, .tuple(gradientTypes),
                            .callee(sweeps.reverse))!
        let parts = gradientTypes.enumerated().map { add(.extract, [gradients], $1, .index($0))! }
        instructions.append(Instruction(result: instruction.result, op: .tuple, operands: [value] + parts, location: at))
        return instructions
    }

    /// `function` with each call of a fused gradient made through the two sweeps again, unless reverse mode
    /// differentiates it forward over reverse (`tangentOfGradient`). A function that is itself differentiated is
    /// differentiated in that form: the second-order sweeps then record through the first-order sweeps' tapes,
    /// one value per iteration, instead of differentiating the fused function's loops.
    func splittingFusedCalls(in function: Function) -> Function {
        var f = function
        for b in f.blocks.indices {
            var instructions: [Instruction] = []
            for instruction in f.blocks[b].instructions {
                guard instruction.op == .call, case .callee(let callee) = instruction.payload,
                      case .vjp(let key)? = self.function(named: callee)?.role, let sweeps = generated[key],
                      tangentOfGradient(callee) == nil else {
                    instructions.append(instruction)
                    continue
                }
                instructions += splitGradient(instruction, of: self.function(named: key.function)!, wrt: key.wrt,
                                              sweeps: sweeps, in: &f)
            }
            f.blocks[b].instructions = instructions
        }
        return f
    }
}
