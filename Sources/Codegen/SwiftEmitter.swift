// Codegen stage: a whole module as a Swift file.
//
// The file holds, in order: a header saying it is generated, the `.adj` file's name
// for runtime errors, the tapes the sweeps share, every source function as a
// `public func` with the same parameter names, for each `@differentiable` function
// its gradient function (`fGradient`, spec §10), then the generated sweeps. The
// runtime (Tensor, the tape, the generator) is emitted once per compilation, either
// appended to a single file or as AdjointRuntime.swift beside several.
import Foundation
import AdjointBasic
import AdjointIR

/// Emits Swift source for a differentiated module.
public enum SwiftEmitter {
    public struct Options: Sendable {
        /// Wrap everything in `enum NAME { ... }` (several programs in one test binary).
        public var namespace: String?
        /// Append the runtime (one self-contained file).
        public var includeRuntime: Bool
        /// Call `main()` at the end, after seeding the generator (a runnable program).
        public var entryPoint: Bool
        public var seed: Int
        /// Record for `--explain` (ExplainRuntime.swift): the values of each forward sweep that depend on the
        /// differentiated inputs. Nil: nothing is recorded.
        public var explain: [String: Set<ValueID>]?

        public init(namespace: String? = nil, includeRuntime: Bool = true, entryPoint: Bool = true, seed: Int = 0,
                    explain: [String: Set<ValueID>]? = nil) {
            self.namespace = namespace
            self.includeRuntime = includeRuntime
            self.entryPoint = entryPoint
            self.seed = seed
            self.explain = explain
        }
    }

    /// `count` pieces of text, piece k written by `write(k, &writer)` at `depth`, on every core; in order.
    static func writtenApart(_ count: Int, depth: Int,
                             _ write: @Sendable (Int, inout SwiftWriter) -> Void) -> [SwiftWriter] {
        concurrentMap(count) { k in
            var piece = SwiftWriter(depth: depth)
            write(k, &piece)
            return piece
        }
    }

    /// A parameter name as the argument label generated functions use.
    public static func argumentLabel(_ name: String) -> String { SwiftFunctionEmitter.label(name) }

    /// The runtime's Swift source, shipped as a resource of this module.
    public static func runtimeSource() throws -> String { try resource("AdjointRuntime") }

    /// What a program emitted with `Options.explain` records with, and `explainReport()` that prints it.
    public static func explainRuntimeSource() throws -> String { try resource("ExplainRuntime") }

    private static func resource(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "swift") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// One constant per distinct subscript text the module's element reads and selections quote, in order of first
    /// use: their errors quote the subscript as written, and an array literal of strings at every read (built only
    /// on the failure path, but type-checked and optimized at each) was a fifth of `swiftc`'s time on loop code.
    static func subscriptTexts(_ module: Module, naming: Naming)
        -> (names: [Subscript: String], declarations: [(name: String, text: Subscript)]) {
        var taken = Set(module.functions.map { naming.function($0.name) } + ["source"])
        var names: [Subscript: String] = [:], declarations: [(name: String, text: Subscript)] = []
        for function in module.functions {
            for block in function.blocks {
                for i in block.instructions {
                    guard case .subscripted(let s) = i.payload, names[s] == nil else { continue }
                    let base = s.base.filter { $0.isLetter || $0.isNumber || $0 == "_" }
                    var name = "\(base.first?.isLetter == true ? base : "value")Subscript\(declarations.count + 1)"
                    while !taken.insert(name).inserted { name += "_" }
                    names[s] = name
                    declarations.append((name, s))
                }
            }
        }
        return (names, declarations)
    }

    /// The Swift text of `module`, compiled from `source`; `gradients` lists the `@differentiable`
    /// functions with the names of their forward and reverse sweeps.
    public static func emit(_ module: Module, source: SourceFile, gradients: [GradientAPI], options: Options) throws -> String {
        var module = reachable(module, gradients: gradients)
        // `--explain` records by value number in the functions it was given: no second versions there.
        var versions: [String: (version: String, tensorParameter: Int)] = [:]
        if options.explain == nil { (module, versions) = OneElementVersion.adding(to: module) }
        var w = SwiftWriter()
        let fileName = URL(fileURLWithPath: source.path).lastPathComponent
        w.comment("Generated by Adjoint from \(fileName); do not edit.")
        w.line("import Foundation")
        w.line()
        let naming = Naming(module)
        let staticPrefix = options.namespace == nil ? "" : "static "
        let body: (inout SwiftWriter) -> Void = { w in
            w.line("\(options.namespace == nil ? "private " : "static ")let source: StaticString = \(SwiftFunctionEmitter.stringLiteral(fileName))")
            let subscripts = subscriptTexts(module, naming: naming)
            for (name, s) in subscripts.declarations {
                w.line("\(options.namespace == nil ? "private " : "static ")let \(name) = \(SwiftFunctionEmitter.subscriptText(s))")
            }
            let bytes = byteTapes(module)
            let tapes = tapeTypes(module)
            let users = tapeUsers(module)
            let tapesType = tapesTypeName(fileName)
            if !users.isEmpty {
                emitTapesClass(tapesType, tapes: tapes, byteTapes: bytes, into: &w)
            }
            let sourceNames = Set(gradients.map(\.function))
            let generated = module.functions.filter { $0.role != .primal }
            // Reverse sweeps restate their forward sweep's kinks: they record nothing. Sendable: the generated
            // sweeps are written on every core.
            let (explain, module, versions) = (options.explain, module, versions)
            let emitter: @Sendable (Function) -> SwiftFunctionEmitter = { function in
                var e = SwiftFunctionEmitter(function: function, module: module, naming: naming, source: source,
                                             sourceName: "source", byteTapes: bytes, tapeUsers: users, tapesType: tapesType,
                                             explain: explain.flatMap { function.role.isReverseSweep ? nil : ($0[function.name] ?? []) })
                e.oneElementVersion = versions[function.name]
                e.subscriptNames = subscripts.names
                return e
            }
            for function in module.functions where function.role == .primal {
                w.line()
                var e = emitter(function)
                if e.takesTapes {
                    emitTapesWrapper(function, naming: naming, tapesType: tapesType, access: "public " + staticPrefix, into: &w)
                    w.line()
                }
                e.emit(into: &w, access: "public " + staticPrefix)
                if sourceNames.contains(function.name), let api = gradients.first(where: { $0.function == function.name }) {
                    w.line()
                    // The head's name: the reverse sweep's first parameter, the fused function's last.
                    let reverseParameters = api.fused.flatMap { module.function(named: $0)?.parameterNames.suffix(1) }.map(Array.init)
                        ?? module.function(named: api.reverse)?.parameterNames ?? []
                    emitGradientFunction(api, function, reverseParameters: reverseParameters, naming: naming,
                                         tapesType: tapesType, tapeUsers: users,
                                         access: "public " + staticPrefix, into: &w)
                }
            }
            if !generated.isEmpty {
                w.line()
                w.comment("MARK: - Generated sweeps: forward sweeps record on tapes, reverse sweeps replay them backwards.")
            }
            // Each sweep's text depends on the module alone, so the sweeps are written apart, on every core, and
            // joined in order: the same file, in less time on a large program.
            let pieces = writtenApart(generated.count, depth: w.depth) { k, w in
                let function = generated[k]
                w.line()
                if let base = OneElementVersion.base(of: function) {
                    w.comment("`\(naming.function(base))` on the element of its one-element Tensor parameter: no tensor per operation.")
                }
                var e = emitter(function)
                if e.takesTapes, function.role.sweep == nil {
                    // A driver the tool adds (`grad.driver`) is called like a source function.
                    emitTapesWrapper(function, naming: naming, tapesType: tapesType, access: staticPrefix, into: &w)
                    w.line()
                }
                e.emit(into: &w, access: staticPrefix)
            }
            for piece in pieces { w.append(piece) }
        }
        if let namespace = options.namespace {
            w.block("public enum \(namespace) {") { w in body(&w) }
        } else {
            body(&w)
        }
        if options.includeRuntime {
            w.line()
            w.comment("MARK: - Adjoint runtime")
            for line in try runtimeSource().split(separator: "\n", omittingEmptySubsequences: false) {
                w.line(String(line))
            }
        }
        if options.entryPoint, options.namespace == nil,
           let main = module.function(named: "main"), main.parameterTypes.isEmpty {
            w.line()
            if options.seed != 0 { w.line("seedRandom(\(options.seed))") }
            w.line("main()")
        }
        return w.text
    }

    /// `fGradient(params..., head: R? = nil) -> (value: R, p: P, ...)`: the gradient as spec §10 names it.
    /// The sweeps in `tapeUsers` take the call's tapes, of class `tapesType`.
    static func emitGradientFunction(_ api: GradientAPI, _ function: Function, reverseParameters: [String],
                                     naming: Naming, tapesType: String,
                                     tapeUsers: Set<String>, access: String, into w: inout SwiftWriter) {
        let parameters = zip(function.parameterNames, function.parameterTypes).map {
            "\(SwiftFunctionEmitter.label($0)): \(SwiftFunctionEmitter.swiftType($1))"
        }
        let result = SwiftFunctionEmitter.swiftType(function.resultType)
        let fields = ["value: \(result)"] + api.wrt.map {
            "\(SwiftFunctionEmitter.label(function.parameterNames[$0])): \(SwiftFunctionEmitter.swiftType(function.parameterTypes[$0]))"
        }
        let names = api.wrt.map { function.parameterNames[$0] }.joined(separator: ", ")
        w.comment("The value of `\(function.name)` and its gradient with respect to \(names), by reverse mode.\n"
                  + "A nil head means ones_like of the result (the sum of its elements is differentiated).", doc: true)
        let signature = "\(access)func \(naming.function(function.name))Gradient(\(parameters.joined(separator: ", ")), "
            + "head: \(result)? = nil) -> (\(fields.joined(separator: ", ")))"
        w.block(signature + " {") { w in
            var arguments = function.parameterNames.map { "\(SwiftFunctionEmitter.label($0)): \(SwiftFunctionEmitter.label($0))" }
            let defaultHead = function.resultType == .tensor ? "Tensor.literal([], [1.0])" : "1.0"
            // The reverse sweep takes the head (named apart from the parameters), then the arguments.
            let headLabel = reverseParameters.first ?? "head0"
            var reverseArguments = ["\(SwiftFunctionEmitter.label(headLabel)): head ?? \(defaultHead)"] + arguments
            if let fused = api.fused {
                // One call: the fused function takes the arguments, then the head.
                var fusedArguments = arguments + [reverseArguments[0]]
                if tapeUsers.contains(fused) {
                    w.line("let tapes = \(tapesType)()")
                    fusedArguments.append("tapes: tapes")
                }
                w.line("let result = \(naming.function(fused))(\(fusedArguments.joined(separator: ", ")))")
                w.line("return (" + (0...api.wrt.count).map { "result.\($0)" }.joined(separator: ", ") + ")")
                return
            }
            let forwardTakesTapes = tapeUsers.contains(api.forward)
            if forwardTakesTapes || tapeUsers.contains(api.reverse) {
                // This call's tapes: is_training() is true while the forward sweep runs.
                w.line("let tapes = \(tapesType)()")
                if forwardTakesTapes {
                    w.line("tapes.isTraining = true")
                    arguments.append("tapes: tapes")
                }
                if tapeUsers.contains(api.reverse) { reverseArguments.append("tapes: tapes") }
            }
            w.line("let value = \(naming.function(api.forward))(\(arguments.joined(separator: ", ")))")
            if forwardTakesTapes { w.line("tapes.isTraining = false") }
            w.line("let gradients = \(naming.function(api.reverse))(\(reverseArguments.joined(separator: ", ")))")
            let parts = api.wrt.count == 1 ? ["gradients"] : api.wrt.indices.map { "gradients.\($0)" }
            w.line("return (value, \(parts.joined(separator: ", ")))")
        }
    }

    /// The module without the generated functions nothing calls: sweeps a fused function replaced.
    static func reachable(_ module: Module, gradients: [GradientAPI]) -> Module {
        var index: [String: Int] = [:]
        for (k, f) in module.functions.enumerated() { index[f.name] = k }
        var work = module.functions.filter { $0.role == .primal || $0.role == .synthesized }.map(\.name)
        for api in gradients { work += api.fused.map { [$0] } ?? [api.forward, api.reverse] }
        var kept = Set<String>()
        while let name = work.popLast() {
            guard kept.insert(name).inserted, let k = index[name] else { continue }
            for block in module.functions[k].blocks {
                for instruction in block.instructions {
                    if case .callee(let callee) = instruction.payload, !kept.contains(callee) { work.append(callee) }
                }
            }
        }
        return Module(functions: module.functions.filter { kept.contains($0.name) })
    }

    /// The public face of a source function that runs gradients inside: it makes the call's tapes.
    static func emitTapesWrapper(_ function: Function, naming: Naming, tapesType: String, access: String,
                                 into w: inout SwiftWriter) {
        let parameters = zip(function.parameterNames, function.parameterTypes).map {
            "\(SwiftFunctionEmitter.label($0)): \(SwiftFunctionEmitter.swiftType($1))"
        }
        let result = function.resultType == .void ? "" : " -> \(SwiftFunctionEmitter.swiftType(function.resultType))"
        let arguments = function.parameterNames.map { "\(SwiftFunctionEmitter.label($0)): \(SwiftFunctionEmitter.label($0))" }
            + ["tapes: \(tapesType)()"]
        let name = naming.function(function.name)
        w.block("\(access)func \(name)(\(parameters.joined(separator: ", ")))\(result) {") { w in
            w.line("\(name)(\(arguments.joined(separator: ", ")))")
        }
    }

    /// The class of one call's tapes: one per tape number, and the training flag.
    static func emitTapesClass(_ name: String, tapes: [(Int, ValueType)], byteTapes: Set<Int>, into w: inout SwiftWriter) {
        w.comment("The tapes of one call (a gradient, or a function that runs one), made when it starts and passed\n"
                  + "to every sweep: calls on several threads share nothing.", doc: true)
        w.block("final class \(name): TapeSet {") { w in
            w.line("@exclusivity(unchecked) var isTraining = false")
            for (tape, type) in tapes {
                let element = byteTapes.contains(tape) ? "UInt8" : SwiftFunctionEmitter.swiftType(type)
                w.line("@exclusivity(unchecked) var tape\(tape) = Tape<\(element)>()")
            }
            w.line()
            w.line("var statistics: [TapeStatistics] { [\(tapes.map { "tape\($0.0).statistics" }.joined(separator: ", "))] }")
            let buffers = tapes.filter { $0.1 == .tensor }.map { "tape\($0.0).tensorBuffers()" }
            w.line("var tensorBuffers: [(address: UInt, bytes: Int)] { \(buffers.isEmpty ? "[]" : buffers.joined(separator: " + ")) }")
        }
        w.line()
    }

    /// `loss.adj` → `LossTapes`: the tapes class, named after the file so that several generated files
    /// can share one module.
    static func tapesTypeName(_ fileName: String) -> String {
        let stem = fileName.hasSuffix(".adj") ? String(fileName.dropLast(4)) : fileName
        var name = String(stem.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        if let first = name.first, first.isLetter { name = first.uppercased() + name.dropFirst() } else { name = "T" + name }
        return name + "Tapes"
    }

    /// The functions that touch the call's tapes or training flag, or call one that does: they take the tapes.
    static func tapeUsers(_ module: Module) -> Set<String> {
        var users = Set<String>()
        var callers: [String: Set<String>] = [:]
        for f in module.functions {
            for b in f.blocks {
                for i in b.instructions {
                    switch i.op {
                    case .push, .pop, .settraining, .istraining: users.insert(f.name)
                    case .call: if case .callee(let callee) = i.payload { callers[callee, default: []].insert(f.name) }
                    default: break
                    }
                }
            }
        }
        var work = Array(users)
        while let f = work.popLast() {
            for caller in callers[f] ?? [] where users.insert(caller).inserted { work.append(caller) }
        }
        return users
    }

    /// Tapes of small Int codes (a branch trace, which `ret` was taken): every push is a constant in 0...255,
    /// or a block parameter that only such constants reach. They hold one byte per entry, not eight.
    static func byteTapes(_ module: Module) -> Set<Int> {
        var candidates: Set<Int> = []
        var excluded: Set<Int> = []
        for f in module.functions {
            var constant: [ValueID: Int] = [:]
            var incoming: [ValueID: [ValueID]] = [:]
            for b in f.blocks {
                for i in b.instructions where i.op == .const {
                    if case .constant(.int(let n)) = i.payload, let r = i.result { constant[r] = n }
                }
                for t in b.terminator.successors {
                    for (arg, p) in zip(t.arguments, f.blocks[t.block.index].parameters) { incoming[p, default: []].append(arg) }
                }
            }
            func small(_ v: ValueID) -> Bool {
                if let n = constant[v] { return (0...255).contains(n) }
                guard let args = incoming[v], !args.isEmpty else { return false }
                return args.allSatisfy { constant[$0].map { (0...255).contains($0) } ?? false }
            }
            for b in f.blocks {
                for i in b.instructions where i.op == .push {
                    guard case .tape(let t) = i.payload, f.type(of: i.operands[0]) == .int else { continue }
                    if small(i.operands[0]) { candidates.insert(t) } else { excluded.insert(t) }
                }
            }
        }
        return candidates.subtracting(excluded)
    }

    /// The element type of every tape the module pushes to or pops from.
    static func tapeTypes(_ module: Module) -> [(Int, ValueType)] {
        var types: [Int: ValueType] = [:]
        for f in module.functions {
            for b in f.blocks {
                for i in b.instructions {
                    guard case .tape(let t) = i.payload else { continue }
                    if i.op == .push { types[t] = f.type(of: i.operands[0]) }
                    if i.op == .pop, let r = i.result { types[t] = f.type(of: r) }
                }
            }
        }
        return types.sorted { $0.key < $1.key }
    }
}

/// A `@differentiable` function and the sweeps behind its gradient function.
public struct GradientAPI: Sendable {
    public var function: String
    public var wrt: [Int]
    public var forward: String
    public var reverse: String
    /// The two sweeps in one function (`SweepFusion`), which the gradient function calls instead when there is one.
    public var fused: String?

    public init(function: String, wrt: [Int], forward: String, reverse: String, fused: String? = nil) {
        self.function = function
        self.wrt = wrt
        self.forward = forward
        self.reverse = reverse
        self.fused = fused
    }
}
