// Lowering stage: SSA construction from the checked AST, with block arguments.
//
// Variables live in an environment (symbol -> current SSA value) while a function
// is lowered. Where control flow joins, the join block takes one parameter per
// variable whose incoming values differ, and each incoming branch passes its own
// value; no phis and no memory. Loop headers cannot wait for their back edges, so
// they take a parameter for every variable the loop assigns (found by a scan of
// the body). Conversions Sema allowed implicitly (Int -> Real, a one-element Tensor
// -> Real) become explicit `itor` / `toreal` instructions here.
import AdjointBasic
import AdjointSyntax
import AdjointSema
import AdjointIR

/// Lowers a checked file to an IR module.
public struct ASTToIR {
    typealias Environment = [ObjectIdentifier: ValueID]

    var builder: FunctionBuilder
    var environment: Environment = [:]
    let functions: [String: FunctionDecl]
    /// Where `break` and `continue` go in the innermost loop.
    var loops: [LoopContext] = []
    var diagnostics: [Diagnostic] = []
    /// Functions synthesized for `grad` targets, shared across the module.
    let synthesized: SynthesizedFunctions

    /// A join block whose parameters are decided once all its incoming edges are known.
    struct JoinPoint {
        var block: BlockID
        var incoming: [(from: BlockID, environment: Environment)] = []
    }

    struct LoopContext {
        var breakJoin: JoinPoint
        /// The block `continue` jumps to and the symbols it passes, in parameter order.
        var continueBlock: BlockID
        var continueSymbols: [ObjectIdentifier]
        var continueJoin: JoinPoint?
    }

    /// Lowers every function of a checked unit; diagnostics are for constructs lowering cannot handle yet.
    public static func lower(_ checked: CheckedUnit) -> (module: Module, diagnostics: [Diagnostic]) {
        var module = Module()
        var diagnostics: [Diagnostic] = []
        let synthesized = SynthesizedFunctions()
        for decl in checked.unit.functions {
            var lowering = ASTToIR(decl: decl, functions: checked.functions, synthesized: synthesized)
            lowering.builder.function.customDerivative = checked.derivatives[decl.name.name]
            lowering.lowerBody(decl)
            diagnostics += lowering.diagnostics
            module.functions.append(lowering.builder.function)
        }
        module.functions += synthesized.functions
        return (module, diagnostics)
    }

    init(decl: FunctionDecl, functions: [String: FunctionDecl], synthesized: SynthesizedFunctions) {
        self.functions = functions
        self.synthesized = synthesized
        builder = FunctionBuilder(name: decl.name.name, parameterNames: decl.parameters.map(\.name.name),
                                  parameterTypes: decl.parameters.map(\.type), resultType: decl.result,
                                  location: decl.name.location)
        if let attribute = decl.differentiable {
            builder.function.differentiableParameters = attribute.wrt.map { names in
                names.compactMap { n in decl.parameters.firstIndex { $0.name.name == n.name } }
            } ?? decl.parameters.indices.filter { decl.parameters[$0].type.isDifferentiable }
        }
    }

    /// A lowering context for a function that has no source declaration (a synthesized `grad` target).
    init(synthesizedName: String, parameterNames: [String], parameterTypes: [ValueType], result: ValueType,
         functions: [String: FunctionDecl], synthesized: SynthesizedFunctions, location: SourceLocation) {
        self.functions = functions
        self.synthesized = synthesized
        builder = FunctionBuilder(name: synthesizedName, parameterNames: parameterNames, parameterTypes: parameterTypes,
                                  resultType: result, location: location, role: .synthesized)
    }

    mutating func lowerBody(_ decl: FunctionDecl) {
        parameterValues = Dictionary(uniqueKeysWithValues: zip(decl.parameters.map(\.name.name), builder.function.parameters))
        lowerBlock(decl.body)
        if builder.isReachable {
            builder.terminate(.ret(nil), at: decl.body.end)
        }
        builder.removeUnreachableBlocks()
    }

    /// Parameter values by name; a parameter symbol is bound on first use.
    var parameterValues: [String: ValueID] = [:]
    var symbolOrder: [ObjectIdentifier: Int] = [:]
    var symbolNames: [ObjectIdentifier: String] = [:]
    /// Variables declared without a value (`var x: Real`): an `if` that assigns them on both branches
    /// must merge them although they had no value before it.
    var declaredWithoutValue: Set<ObjectIdentifier> = []

    // MARK: - Statements

    mutating func lowerBlock(_ block: CodeBlock) {
        for statement in block.statements {
            guard builder.isReachable else { return }  // code after return/break/continue never runs
            lowerStatement(statement)
        }
    }

    mutating func lowerStatement(_ statement: Statement) {
        switch statement.kind {
        case .letBinding(_, _, let value):
            guard let v = lowerExpression(value) else { return }
            if statement.declared.count == 1 {
                let symbol = statement.declared[0]
                bind(symbol, coerce(v, from: value.type!, to: symbol.type, at: value.location))
            } else {
                for (i, symbol) in statement.declared.enumerated() {
                    if let part = builder.emit(.extract, [v], type: symbol.type, payload: .index(i), at: value.location) {
                        bind(symbol, part)
                    }
                }
            }

        case .varDeclaration(_, _, let value):
            let symbol = statement.declared[0]
            if let value, let v = lowerExpression(value) {
                bind(symbol, coerce(v, from: value.type!, to: symbol.type, at: value.location))
            } else if value == nil {
                declaredWithoutValue.insert(ObjectIdentifier(symbol))
            }

        case .assignment(_, let indices, let op, let opLocation, let value):
            let symbol = statement.assigned!
            let key = ObjectIdentifier(symbol)
            guard var v = lowerExpression(value) else { return }
            var valueType = value.type!
            if indices.isEmpty {
                if let binary = op.binary, let old = environment[key] {
                    guard let combined = lowerBinary(binary, old, symbol.type, v, valueType,
                                                     resultType: binaryResultType(binary, symbol.type, valueType),
                                                     at: opLocation) else { return }
                    v = combined
                    valueType = binaryResultType(binary, symbol.type, valueType)
                }
                bind(symbol, coerce(v, from: valueType, to: symbol.type, at: value.location))
            } else if indices.contains(where: \.isWholeAxis) {
                guard let tensor = environment[key], let indexValues = lowerIndices(indices) else { return }
                if valueType == .int { v = coerce(v, from: .int, to: .real, at: value.location); valueType = .real }
                let name = Expr(.name(symbol.name), at: statement.location)
                let payload = Payload.subscripted(ASTToIR.writtenSubscript(name, indices))
                environment[key] = lowerSelectionUpdate(tensor, op, v, valueType, indexValues, payload, at: opLocation)
            } else {
                guard let tensor = environment[key] else { return }
                let indexValues = indices.compactMap { lowerExpression($0) }
                if valueType == .int { v = coerce(v, from: .int, to: .real, at: value.location); valueType = .real }
                if let binary = op.binary {
                    let name = Expr(.name(symbol.name), at: statement.location)
                    guard let old = builder.emit(.index, [tensor] + indexValues, type: .real,
                                                 payload: .subscripted(ASTToIR.writtenSubscript(name, indices)), at: opLocation),
                          let combined = lowerBinary(binary, old, .real, v, valueType,
                                                     resultType: binaryResultType(binary, .real, valueType),
                                                     at: opLocation) else { return }
                    v = combined
                }
                environment[key] = builder.emit(.setindex, [tensor, v] + indexValues, type: .tensor, at: opLocation)
            }

        case .ifElse(let condition, let then, let elseBlock):
            lowerIf(condition, then, elseBlock, at: statement.location)

        case .whileLoop(let condition, let body):
            lowerWhile(condition, body, at: statement.location)

        case .forLoop(_, let from, let to, let inclusive, let body):
            lowerFor(statement.declared[0], from, to, inclusive, body, at: statement.location)

        case .returnValue(let value):
            var result: ValueID?
            if case .tuple(let elements)? = value?.kind, case .tuple(let types) = builder.function.resultType {
                // `return (a, b)`: each element converted to its place in the result type.
                var parts: [ValueID] = []
                for (element, type) in zip(elements, types) {
                    guard let v = lowerExpression(element) else { return }
                    parts.append(coerce(v, from: element.type!, to: type, at: element.location))
                }
                result = builder.emit(.tuple, parts, type: builder.function.resultType, at: value!.location)
            } else if let value {
                guard let v = lowerExpression(value) else { return }
                result = coerce(v, from: value.type!, to: builder.function.resultType, at: value.location)
            }
            builder.terminate(.ret(result), at: statement.location)

        case .breakLoop:
            guard let from = builder.insertionBlock else { return }
            builder.terminate(.branch(BranchTarget(loops[loops.count - 1].breakJoin.block)), at: statement.location)
            loops[loops.count - 1].breakJoin.incoming.append((from, environment))

        case .continueLoop:
            jumpToContinue(at: statement.location)

        case .expression(let expr):
            _ = lowerExpression(expr)
        }
    }

    /// `x[..., :, ...] op= v`: `=` replaces the selected part, `+=` and `-=` add to it in place of
    /// reading it first, `*=` and `/=` combine the part read with `v` and write the result back.
    private mutating func lowerSelectionUpdate(_ tensor: ValueID, _ op: AssignmentOperator, _ value: ValueID,
                                               _ valueType: ValueType, _ indices: [ValueID], _ payload: Payload,
                                               at location: SourceLocation) -> ValueID? {
        switch op {
        case .assign:
            return builder.emit(.setselect, [tensor, value] + indices, type: .tensor, payload: payload, at: location)
        case .add, .subtract:
            guard let added = op == .add ? value : builder.emit(.neg, [value], type: valueType, at: location) else { return nil }
            return builder.emit(.addselect, [tensor, added] + indices, type: .tensor, payload: payload, at: location)
        case .multiply, .divide:
            guard let old = builder.emit(.select, [tensor] + indices, type: .tensor, payload: payload, at: location),
                  let combined = lowerBinary(op.binary!, old, .tensor, value, valueType, resultType: .tensor, at: location)
            else { return nil }
            return builder.emit(.setselect, [tensor, combined] + indices, type: .tensor, payload: payload, at: location)
        }
    }

    private mutating func lowerIf(_ condition: Expr, _ then: CodeBlock, _ elseBlock: CodeBlock?, at location: SourceLocation) {
        guard let c = lowerExpression(condition), let from = builder.insertionBlock else { return }
        let thenBlock = builder.makeBlock()
        let elseTarget = elseBlock != nil ? builder.makeBlock() : nil
        var join = JoinPoint(block: builder.makeBlock())
        builder.terminate(.condBranch(condition: c, then: BranchTarget(thenBlock),
                                      else: BranchTarget(elseTarget ?? join.block)), at: location)
        let before = environment
        let merged = Set(before.keys).union(declaredWithoutValue)
        if elseTarget == nil { join.incoming.append((from, before)) }

        builder.insertionBlock = thenBlock
        lowerBlock(then)
        jump(to: &join, at: then.end)

        if let elseBlock, let elseTarget {
            environment = before
            builder.insertionBlock = elseTarget
            lowerBlock(elseBlock)
            jump(to: &join, at: elseBlock.end)
        }
        seal(join, keys: merged)
    }

    private mutating func lowerWhile(_ condition: Expr, _ body: CodeBlock, at location: SourceLocation) {
        let carried = loopCarried(body, extra: [])
        let header = enterLoopHeader(carried, at: location)
        let scope = environment
        guard let c = lowerExpression(condition), let conditionEnd = builder.insertionBlock else { return }
        let bodyBlock = builder.makeBlock()
        var exit = JoinPoint(block: builder.makeBlock())
        exit.incoming.append((conditionEnd, environment))
        builder.terminate(.condBranch(condition: c, then: BranchTarget(bodyBlock), else: BranchTarget(exit.block)),
                          at: location)
        // With `continue`, the body's end and each `continue` meet at a latch, so the header keeps one back
        // edge (reverse mode then records the trip count instead of a per-iteration trace).
        let latch = ASTToIR.containsContinue(body) ? JoinPoint(block: builder.makeBlock()) : nil
        loops.append(LoopContext(breakJoin: exit, continueBlock: header, continueSymbols: carried, continueJoin: latch))
        builder.insertionBlock = bodyBlock
        lowerBlock(body)
        jumpToContinue(at: body.end)
        let context = loops.removeLast()
        exit = context.breakJoin
        if let latch = context.continueJoin {
            seal(latch, keys: Set(scope.keys))
            if builder.isReachable {
                builder.terminate(.branch(BranchTarget(header, carried.map { environment[$0]! })), at: body.end)
            }
        }
        seal(exit, keys: Set(scope.keys))
    }

    /// Whether a loop body has a `continue` of its own (not one of a nested loop).
    private static func containsContinue(_ block: CodeBlock) -> Bool {
        block.statements.contains { statement in
            switch statement.kind {
            case .continueLoop: return true
            case .ifElse(_, let then, let elseBlock): return containsContinue(then) || elseBlock.map(containsContinue) == true
            default: return false
            }
        }
    }

    private mutating func lowerFor(_ variable: Symbol, _ from: Expr, _ to: Expr, _ inclusive: Bool, _ body: CodeBlock,
                                   at location: SourceLocation) {
        guard let start = lowerExpression(from), let end = lowerExpression(to) else { return }
        // `a...Int.max` must stop after its last iteration without stepping past Int.max: unless the end is a
        // constant below Int.max, the latch leaves the loop when the counter has reached the end.
        let mayEndAtIntMax = inclusive && builder.integerConstant(end).map { $0 == Int.max } != false
        let counter = ObjectIdentifier(variable)
        bind(variable, start)
        let carried = loopCarried(body, extra: [counter])
        let header = enterLoopHeader(carried, at: location)
        let scope = environment
        guard let i = environment[counter],
              let c = builder.emit(inclusive ? .le : .lt, [i, end], type: .bool, at: location),
              let conditionEnd = builder.insertionBlock else { return }
        let bodyBlock = builder.makeBlock()
        var exit = JoinPoint(block: builder.makeBlock())
        exit.incoming.append((conditionEnd, environment))
        builder.terminate(.condBranch(condition: c, then: BranchTarget(bodyBlock), else: BranchTarget(exit.block)),
                          at: location)
        // `continue` and the end of the body meet at the latch, which steps the counter.
        let latch = JoinPoint(block: builder.makeBlock())
        loops.append(LoopContext(breakJoin: exit, continueBlock: latch.block, continueSymbols: [],
                                 continueJoin: latch))
        builder.insertionBlock = bodyBlock
        lowerBlock(body)
        jumpToContinue(at: body.end)
        let context = loops.removeLast()
        exit = context.breakJoin
        seal(context.continueJoin!, keys: Set(scope.keys))
        if mayEndAtIntMax, builder.isReachable, let i = environment[counter],
           let isLast = builder.emit(.eq, [i, end], type: .bool, at: location), let latchEnd = builder.insertionBlock {
            let step = builder.makeBlock()
            exit.incoming.append((latchEnd, environment))
            // No source location: `--explain` counts the loop's header test alone, once per iteration.
            builder.terminate(.condBranch(condition: isLast, then: BranchTarget(exit.block), else: BranchTarget(step)),
                              at: .unknown)
            builder.insertionBlock = step
        }
        if builder.isReachable, let i = environment[counter],
           let one = builder.emit(.const, [], type: .int, payload: .constant(.int(1)), at: location),
           let next = builder.emit(.add, [i, one], type: .int, at: location) {
            environment[counter] = next
            builder.terminate(.branch(BranchTarget(header, carried.map { environment[$0]! })), at: location)
        }
        environment.removeValue(forKey: counter)
        seal(exit, keys: Set(scope.keys).subtracting([counter]))
    }

    // MARK: - Joins

    /// Branches from the insertion block to a join, remembering the environment it brings.
    private mutating func jump(to join: inout JoinPoint, at location: SourceLocation) {
        guard let from = builder.insertionBlock else { return }
        builder.terminate(.branch(BranchTarget(join.block)), at: location)
        join.incoming.append((from, environment))
    }

    private mutating func jumpToContinue(at location: SourceLocation) {
        guard builder.isReachable else { return }
        let context = loops[loops.count - 1]
        if var latch = context.continueJoin {
            jump(to: &latch, at: location)
            loops[loops.count - 1].continueJoin = latch
        } else {
            let args = context.continueSymbols.map { environment[$0]! }
            builder.terminate(.branch(BranchTarget(context.continueBlock, args)), at: location)
        }
    }

    /// Gives the join block a parameter for each variable of `keys` whose incoming values differ, patches
    /// every incoming branch to pass them, and continues lowering in the join block (unreachable if no edges).
    private mutating func seal(_ join: JoinPoint, keys: Set<ObjectIdentifier>) {
        guard !join.incoming.isEmpty else {
            builder.insertionBlock = nil
            return
        }
        var merged: Environment = [:]
        var varying: [ObjectIdentifier] = []
        for key in keys.sorted(by: { orderKey($0) < orderKey($1) }) {
            let values = join.incoming.compactMap { $0.environment[key] }
            guard values.count == join.incoming.count else { continue }  // not assigned on every path
            if Set(values).count == 1 {
                merged[key] = values[0]
            } else {
                varying.append(key)
            }
        }
        for key in varying {
            let type = builder.function.type(of: join.incoming[0].environment[key]!)
            merged[key] = builder.addParameter(to: join.block, type: type)
            if let name = symbolNames[key] { builder.function.valueNames[merged[key]!.index] = name }
        }
        for edge in join.incoming {
            builder.setArguments(from: edge.from, to: join.block, varying.map { edge.environment[$0]! })
        }
        environment = merged
        builder.insertionBlock = join.block
    }

    /// Branches into a new loop header that takes the carried variables as parameters, and moves there.
    private mutating func enterLoopHeader(_ carried: [ObjectIdentifier], at location: SourceLocation) -> BlockID {
        let header = builder.makeBlock()
        let args = carried.map { environment[$0]! }
        builder.terminate(.branch(BranchTarget(header, args)), at: location)
        for (key, arg) in zip(carried, args) {
            environment[key] = builder.addParameter(to: header, type: builder.function.type(of: arg))
            if let name = symbolNames[key] { builder.function.valueNames[environment[key]!.index] = name }
        }
        builder.insertionBlock = header
        return header
    }

    /// The variables, already defined here, that a loop body assigns: they change from one iteration to the next.
    private func loopCarried(_ body: CodeBlock, extra: [ObjectIdentifier]) -> [ObjectIdentifier] {
        var assigned = Set(extra)
        ASTToIR.collectAssigned(body, into: &assigned)
        return assigned.filter { environment[$0] != nil }.sorted { orderKey($0) < orderKey($1) }
    }

    private static func collectAssigned(_ block: CodeBlock, into set: inout Set<ObjectIdentifier>) {
        for statement in block.statements {
            switch statement.kind {
            case .assignment: set.insert(ObjectIdentifier(statement.assigned!))
            case .ifElse(_, let then, let elseBlock):
                collectAssigned(then, into: &set)
                if let elseBlock { collectAssigned(elseBlock, into: &set) }
            case .whileLoop(_, let body), .forLoop(_, _, _, _, let body):
                collectAssigned(body, into: &set)
            default: break
            }
        }
    }

    /// A deterministic order for symbols (the order lowering first bound them), so goldens never depend on hashing.
    private func orderKey(_ key: ObjectIdentifier) -> Int { symbolOrder[key] ?? Int.max }

    /// Binds a symbol to a value in the environment, numbering symbols in order of first binding.
    mutating func bind(_ symbol: Symbol, _ value: ValueID) {
        let key = ObjectIdentifier(symbol)
        symbolNames[key] = symbol.name
        if symbolOrder[key] == nil { symbolOrder[key] = symbolOrder.count }
        environment[key] = value
        if builder.function.valueNames[value.index] == nil { builder.function.valueNames[value.index] = symbol.name }
    }
}
