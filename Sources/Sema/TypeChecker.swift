// Sema stage: names, types and flow checks over the AST.
//
// The checker resolves every name to a `Symbol`, gives every expression its static
// type (spec §3: Int converts to Real implicitly, never the reverse; a Tensor converts
// to a Real where one is expected, checked at run time to hold one element), and
// checks, per function: arity and argument types, definite assignment, a return on
// every path, assignment only to `var`s, `break`/`continue` inside loops, and the
// `grad` forms of §7. Errors are collected; a bad statement does not stop the rest.
import AdjointBasic
import AdjointSyntax

/// The result of checking a file: the annotated AST and the diagnostics, in source order.
public struct CheckedUnit {
    public let unit: SourceUnit
    public let functions: [String: FunctionDecl]
    /// The custom derivative of each function that has one (f -> d, spec §7).
    public let derivatives: [String: String]
    public let diagnostics: [Diagnostic]
}

/// Checks a parsed file and annotates its AST in place.
public struct TypeChecker {
    private var functions: [String: FunctionDecl] = [:]
    private var diagnostics: [Diagnostic] = []
    private var scopes: [[String: Symbol]] = []
    private var loopDepth = 0
    private var current: FunctionDecl!
    /// Symbols whose value is known assigned on every path to here; nil when here is unreachable.
    private var assigned: Set<ObjectIdentifier>? = []
    /// Symbols declared `var s = <integer literal>`, for the "declare it with 0.0" suggestion.
    private var integerLiteralDeclarations: [ObjectIdentifier: (location: SourceLocation, text: String)] = [:]
    /// Names declared by a statement that failed to check, whose type is unknown: a use of one is an echo
    /// of that error and is not reported again.
    private var poisoned: Set<ObjectIdentifier> = []
    /// Symbols made only to recover from errors; kept alive so their `ObjectIdentifier`s stay unique.
    private var recoveredSymbols: [Symbol] = []

    /// Thrown instead of a diagnostic when the error was already reported (a use of a poisoned name).
    private struct AlreadyReported: Error {}

    public init() {}

    /// Checks every function of the unit.
    public static func check(_ unit: SourceUnit) -> CheckedUnit {
        var checker = TypeChecker()
        for function in unit.functions {
            if checker.functions[function.name.name] != nil {
                checker.diagnostics.append(Diagnostic(at: function.name.location,
                                                      DiagnosticMessages.duplicateFunction(function.name.name)))
            } else {
                checker.functions[function.name.name] = function
            }
        }
        for function in unit.functions { checker.checkFunction(function) }
        checker.diagnostics += RecursionCheck.cycles(in: unit, functions: checker.functions)
        let custom = CustomDerivatives.check(unit, functions: checker.functions)
        checker.diagnostics += custom.diagnostics
        let sorted = checker.diagnostics.enumerated().sorted {
            ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
        }.map(\.element)
        return CheckedUnit(unit: unit, functions: checker.functions, derivatives: custom.derivatives, diagnostics: sorted)
    }

    // MARK: - Functions and statements

    private mutating func checkFunction(_ function: FunctionDecl) {
        current = function
        scopes = [[:]]
        assigned = []
        loopDepth = 0
        for parameter in function.parameters {
            if scopes[0][parameter.name.name] != nil {
                diagnostics.append(Diagnostic(at: parameter.name.location,
                                              DiagnosticMessages.duplicateParameter(parameter.name.name)))
                continue
            }
            let symbol = Symbol(name: parameter.name.name, type: parameter.type, role: .parameter,
                                location: parameter.name.location)
            scopes[0][parameter.name.name] = symbol
            assigned?.insert(ObjectIdentifier(symbol))
        }
        if let attribute = function.differentiable, let wrt = attribute.wrt {
            for (i, name) in wrt.enumerated() {
                if wrt[..<i].contains(where: { $0.name == name.name }) {
                    diagnostics.append(Diagnostic(at: name.location, DiagnosticMessages.duplicateWrt(name.name)))
                    continue
                }
                guard let parameter = function.parameters.first(where: { $0.name.name == name.name }) else {
                    diagnostics.append(Diagnostic(at: name.location,
                                                  DiagnosticMessages.noSuchParameter(name.name, function: function.name.name)))
                    continue
                }
                if !parameter.type.isDifferentiable {
                    diagnostics.append(Diagnostic(at: name.location, DiagnosticMessages.wrtNotDifferentiable(
                        name.name, parameter.type.description)))
                }
            }
        }
        if function.differentiable != nil, !function.result.isDifferentiable {
            diagnostics.append(Diagnostic(at: function.name.location, DiagnosticMessages.gradOfNonDifferentiableResult(
                function.name.name, function.result.description)))
        } else if let attribute = function.differentiable, attribute.wrt == nil,
                  !function.parameters.contains(where: { $0.type.isDifferentiable }) {
            diagnostics.append(Diagnostic(at: function.name.location,
                                          DiagnosticMessages.noDifferentiableParameter(function.name.name)))
        }
        checkBlock(function.body, newScope: false)
        if assigned != nil, function.result != .void {
            diagnostics.append(Diagnostic(at: function.body.end, DiagnosticMessages.missingReturn(
                function.name.name, function.result.description)))
        }
    }

    private mutating func checkBlock(_ block: CodeBlock, newScope: Bool = true) {
        if newScope { scopes.append([:]) }
        for statement in block.statements {
            do {
                try checkStatement(statement)
            } catch {
                record(error)
                recover(after: statement)
            }
        }
        if newScope { scopes.removeLast() }
    }

    /// Keeps a diagnostic; an `AlreadyReported` echo is dropped.
    private mutating func record(_ error: Error) {
        switch error {
        case let diagnostic as Diagnostic: diagnostics.append(diagnostic)
        case is AlreadyReported: break
        default: fatalError("type checker threw \(error)")
        }
    }

    /// After a statement failed to check, puts things as if it had worked, so its error is not echoed by
    /// later statements: its names are declared (with their declared type, or poisoned when the type is
    /// unknown), and a failed `return`, `break` or `continue` still ends the path.
    private mutating func recover(after statement: Statement) {
        func declareAfterError(_ name: Identifier, type: ValueType?, role: Symbol.Role) {
            guard scopes[scopes.count - 1][name.name] == nil else { return }
            let symbol = Symbol(name: name.name, type: type ?? .void, role: role, location: name.location)
            recoveredSymbols.append(symbol)
            scopes[scopes.count - 1][name.name] = symbol
            assigned?.insert(ObjectIdentifier(symbol))
            if type == nil { poisoned.insert(ObjectIdentifier(symbol)) }
        }
        switch statement.kind {
        case .letBinding(let names, let type, _):
            for name in names { declareAfterError(name, type: names.count == 1 ? type : nil, role: .constant) }
        case .varDeclaration(let name, let type, _):
            declareAfterError(name, type: type, role: .variable)
        case .returnValue, .breakLoop, .continueLoop:
            assigned = nil
        default:
            break
        }
    }

    private mutating func checkStatement(_ statement: Statement) throws {
        switch statement.kind {
        case .letBinding(let names, let declaredType, let value):
            let type = try checkExpression(value, allowTuple: names.count > 1)
            if names.count == 1 {
                if case .tuple(let elements) = type {
                    throw Diagnostic(at: value.start, DiagnosticMessages.tupleCount(expected: 1, got: elements.count))
                }
                let symbolType = try declaredType.map { try convert(value, from: type, to: $0, name: names[0].name) } ?? type
                statement.declared = [try declare(names[0], type: symbolType, role: .constant)]
            } else {
                guard case .tuple(let elements) = type, elements.count == names.count else {
                    let got: Int
                    if case .tuple(let elements) = type { got = elements.count } else { got = 1 }
                    throw Diagnostic(at: value.start, DiagnosticMessages.tupleCount(expected: names.count, got: got))
                }
                statement.declared = try zip(names, elements).map { try declare($0, type: $1, role: .constant) }
            }
            statement.declared.forEach { assigned?.insert(ObjectIdentifier($0)) }

        case .varDeclaration(let name, let declaredType, let value):
            var type = declaredType
            if let value {
                let valueType = try checkExpression(value)
                if case .tuple(let elements) = valueType {
                    throw Diagnostic(at: value.start, DiagnosticMessages.tupleCount(expected: 1, got: elements.count))
                }
                if let declaredType {
                    _ = try convert(value, from: valueType, to: declaredType, name: name.name)
                } else {
                    type = valueType
                }
            }
            let symbol = try declare(name, type: type!, role: .variable)
            statement.declared = [symbol]
            if let value {
                assigned?.insert(ObjectIdentifier(symbol))
                if declaredType == nil, case .integer(let text) = value.kind {
                    integerLiteralDeclarations[ObjectIdentifier(symbol)] = (value.location, text)
                }
            }

        case .assignment(let target, let indices, let op, let opLocation, let value):
            let symbol = try lookup(target)
            statement.assigned = symbol
            guard symbol.role == .variable else {
                throw Diagnostic(at: target.location, DiagnosticMessages.assignToConstant(
                    target.name, role: symbol.role == .parameter ? "parameter" : "constant"))
            }
            let valueType = try checkExpression(value)
            if op != .assign || !indices.isEmpty { try requireAssigned(symbol, at: target.location) }
            if indices.isEmpty {
                var resultType = valueType
                if let binary = op.binary {
                    resultType = try binaryType(binary, symbol.type, valueType, at: opLocation)
                }
                try checkStore(value, resultType, into: symbol)
            } else {
                guard symbol.type == .tensor else {
                    throw Diagnostic(at: target.location, DiagnosticMessages.mustBe(
                        "indexed value", expected: "Tensor", got: symbol.type.description))
                }
                try checkIndices(indices)
                guard [.int, .real, .tensor].contains(valueType) else {
                    throw Diagnostic(at: value.start, DiagnosticMessages.typeMismatch(
                        "\(target.name)[...]", expected: "Real or Tensor", got: valueType.description))
                }
            }
            assigned?.insert(ObjectIdentifier(symbol))

        case .ifElse(let condition, let then, let elseBlock):
            do { try requireBool(condition) } catch { record(error) }
            let before = assigned
            checkBlock(then)
            let afterThen = assigned
            assigned = before
            if let elseBlock { checkBlock(elseBlock) }
            assigned = TypeChecker.merge(afterThen, assigned)

        case .whileLoop(let condition, let body):
            do { try requireBool(condition) } catch { record(error) }
            let before = assigned
            loopDepth += 1
            checkBlock(body)
            loopDepth -= 1
            // `while true` without `break` never falls through.
            if case .bool(true) = condition.kind, !TypeChecker.containsBreak(body) {
                assigned = nil
            } else {
                assigned = before
            }

        case .forLoop(let variable, let from, let to, _, let body):
            do { try requireInt(from, "range bound") } catch { record(error) }
            do { try requireInt(to, "range bound") } catch { record(error) }
            let before = assigned
            scopes.append([:])
            let symbol = try declare(variable, type: .int, role: .constant)
            statement.declared = [symbol]
            assigned?.insert(ObjectIdentifier(symbol))
            loopDepth += 1
            checkBlock(body)
            loopDepth -= 1
            scopes.removeLast()
            assigned = before

        case .returnValue(let value):
            let result = current.result
            if let value {
                let type = try checkExpression(value, allowTuple: true)
                guard result != .void else {
                    throw Diagnostic(at: value.start, DiagnosticMessages.returnValueInVoidFunction)
                }
                guard TypeChecker.isConvertible(type, to: result) else {
                    throw Diagnostic(at: value.start, DiagnosticMessages.returnType(
                        expected: result.description, got: type.description))
                }
            } else if result != .void {
                throw Diagnostic(at: statement.location, DiagnosticMessages.returnWithoutValue)
            }
            assigned = nil

        case .breakLoop, .continueLoop:
            let isBreak: Bool
            if case .breakLoop = statement.kind { isBreak = true } else { isBreak = false }
            guard loopDepth > 0 else {
                throw Diagnostic(at: statement.location, isBreak ? DiagnosticMessages.breakOutsideLoop
                                                                 : DiagnosticMessages.continueOutsideLoop)
            }
            assigned = nil

        case .expression(let expr):
            _ = try checkExpression(expr, allowVoid: true)
        }
    }

    // MARK: - Flow helpers

    /// The symbols assigned on both paths; an unreachable path (nil) contributes nothing.
    private static func merge(_ a: Set<ObjectIdentifier>?, _ b: Set<ObjectIdentifier>?) -> Set<ObjectIdentifier>? {
        guard let a else { return b }
        guard let b else { return a }
        return a.intersection(b)
    }

    private static func containsBreak(_ block: CodeBlock) -> Bool {
        block.statements.contains { statement in
            switch statement.kind {
            case .breakLoop: return true
            case .ifElse(_, let then, let elseBlock): return containsBreak(then) || elseBlock.map(containsBreak) == true
            default: return false  // a nested loop's break belongs to that loop
            }
        }
    }

    private func requireAssigned(_ symbol: Symbol, at location: SourceLocation) throws {
        guard let assigned else { return }  // unreachable code reads nothing
        guard assigned.contains(ObjectIdentifier(symbol)) else {
            throw Diagnostic(at: location, DiagnosticMessages.uninitialized(symbol.name))
        }
    }

    // MARK: - Names

    private mutating func declare(_ name: Identifier, type: ValueType, role: Symbol.Role) throws -> Symbol {
        if scopes[scopes.count - 1][name.name] != nil {
            throw Diagnostic(at: name.location, DiagnosticMessages.redeclaration(name.name))
        }
        let symbol = Symbol(name: name.name, type: type, role: role, location: name.location)
        scopes[scopes.count - 1][name.name] = symbol
        return symbol
    }

    private func lookup(_ name: Identifier) throws -> Symbol {
        for scope in scopes.reversed() {
            if let symbol = scope[name.name] {
                if poisoned.contains(ObjectIdentifier(symbol)) { throw AlreadyReported() }
                return symbol
            }
        }
        let visible = scopes.flatMap(\.keys)
        throw Diagnostic(at: name.location, NearestName.withSuggestion(DiagnosticMessages.undefinedName(name.name),
                                                                       for: name.name, among: visible))
    }

    /// Every function a call may name: the file's own and the built-ins.
    private var callableNames: [String] { Array(functions.keys) + Builtin.allCases.map(\.rawValue) }

    // MARK: - Types

    /// Whether a value of type `from` may stand where `to` is expected (spec §3 and the Tensor→Real rule).
    public static func isConvertible(_ from: ValueType, to: ValueType) -> Bool {
        if case .tuple(let fromElements) = from, case .tuple(let toElements) = to {
            return fromElements.count == toElements.count && zip(fromElements, toElements).allSatisfy(isConvertible)
        }
        return from == to || (from == .int && to == .real) || (from == .tensor && to == .real)
    }

    private func convert(_ value: Expr, from: ValueType, to: ValueType, name: String) throws -> ValueType {
        guard TypeChecker.isConvertible(from, to: to) else {
            throw Diagnostic(at: value.start, DiagnosticMessages.typeMismatch(
                name, expected: to.description, got: from.description))
        }
        return to
    }

    /// Checks that a value of `type` may be stored into `symbol`, with the `0.0` suggestion for Int accumulators.
    private func checkStore(_ value: Expr, _ type: ValueType, into symbol: Symbol) throws {
        if TypeChecker.isConvertible(type, to: symbol.type) { return }
        if symbol.type == .int, type == .real || type == .tensor,
           let literal = integerLiteralDeclarations[ObjectIdentifier(symbol)] {
            throw Diagnostic(at: value.start, DiagnosticMessages.intAccumulatesReal(symbol.name),
                             notes: [.init(location: literal.location, message: "'\(symbol.name)' is declared here")],
                             fixIts: [FixIt(location: literal.location, length: literal.text.count,
                                            replacement: literal.text + ".0")])
        }
        throw Diagnostic(at: value.start, DiagnosticMessages.typeMismatch(
            symbol.name, expected: symbol.type.description, got: type.description))
    }

    func binaryType(_ op: BinaryOperator, _ left: ValueType, _ right: ValueType,
                    at location: SourceLocation) throws -> ValueType {
        let numeric: Set<ValueType> = [.int, .real, .tensor]
        let mismatch = Diagnostic(at: location, DiagnosticMessages.binaryOperandTypes(
            op.rawValue, left.description, right.description))
        switch op {
        case .and, .or:
            guard left == .bool, right == .bool else { throw mismatch }
            return .bool
        case .equal, .notEqual:
            if left == right, left != .void, !isTuple(left) { return .bool }
            if [left, right].allSatisfy({ $0 == .int || $0 == .real }) { return .bool }
            throw mismatch
        case .less, .lessEqual, .greater, .greaterEqual:
            guard [left, right].allSatisfy({ $0 == .int || $0 == .real }) else { throw mismatch }
            return .bool
        case .remainder:
            guard left == .int, right == .int else { throw mismatch }
            return .int
        case .add, .subtract, .multiply, .divide, .power:
            guard numeric.contains(left), numeric.contains(right) else { throw mismatch }
            if left == .tensor || right == .tensor { return .tensor }
            if op == .divide || op == .power { return .real }
            return left == .int && right == .int ? .int : .real
        }
    }

    private func isTuple(_ type: ValueType) -> Bool {
        if case .tuple = type { return true }
        return false
    }

    // MARK: - Expressions

    private mutating func requireBool(_ expr: Expr) throws {
        let type = try checkExpression(expr)
        guard type == .bool else {
            throw Diagnostic(at: expr.start, DiagnosticMessages.conditionNotBool(type.description))
        }
    }

    private mutating func requireInt(_ expr: Expr, _ what: String) throws {
        let type = try checkExpression(expr)
        guard type == .int else {
            throw Diagnostic(at: expr.start, DiagnosticMessages.mustBe(what, expected: "Int", got: type.description))
        }
    }

    /// Each index is an Int or a ':' (a whole axis).
    private mutating func checkIndices(_ indices: [Expr]) throws {
        for index in indices where !index.isWholeAxis { try requireInt(index, "index") }
    }

    /// Types an expression and records the type on the node.
    @discardableResult
    mutating func checkExpression(_ expr: Expr, allowVoid: Bool = false, allowTuple: Bool = false) throws -> ValueType {
        if case .tuple(let elements) = expr.kind {
            // A tuple is written only where it is returned or destructured (spec §7).
            guard allowTuple else { throw Diagnostic(at: expr.location, DiagnosticMessages.tupleNotAllowedHere) }
            let type = ValueType.tuple(try elements.map { element in
                let t = try checkExpression(element)
                if case .tuple = t { throw Diagnostic(at: element.start, DiagnosticMessages.tupleNotAllowedHere) }
                return t
            })
            expr.type = type
            return type
        }
        let type = try expressionType(expr)
        if type == .void, !allowVoid {
            var name = "this call"
            if case .call(let callee, _) = expr.kind { name = callee.name }
            throw Diagnostic(at: expr.location, DiagnosticMessages.voidValue(name))
        }
        expr.type = type
        return type
    }

    private mutating func expressionType(_ expr: Expr) throws -> ValueType {
        switch expr.kind {
        case .integer: return .int
        case .real: return .real
        case .bool: return .bool
        case .string:
            throw Diagnostic(at: expr.location, DiagnosticMessages.stringOutsidePrint)
        case .name(let name):
            let symbol = try lookup(Identifier(name, at: expr.location))
            try requireAssigned(symbol, at: expr.location)
            expr.symbol = symbol
            return symbol.type
        case .tensorLiteral:
            _ = try tensorLiteralShape(expr)
            return .tensor
        case .unary(let op, let operand):
            let type = try checkExpression(operand)
            switch (op, type) {
            case (.negate, .int), (.negate, .real), (.negate, .tensor), (.not, .bool): return type
            default:
                throw Diagnostic(at: expr.location, DiagnosticMessages.unaryOperandType(op.rawValue, type.description))
            }
        case .binary(let op, let left, let right):
            let l = try checkExpression(left)
            let r = try checkExpression(right)
            return try binaryType(op, l, r, at: expr.location)
        case .call(let callee, let arguments):
            return try callType(expr, callee: callee, arguments: arguments)
        case .gradCall(let function, let arguments):
            // An elementwise built-in is differentiated at the type of its argument (Real or Tensor).
            var elementType = ValueType.real
            if let first = arguments.first, try checkExpression(first.value) == .tensor { elementType = .tensor }
            let signature = try gradSignature(function, elementType: elementType)
            try checkArguments(arguments, against: signature, at: expr.location)
            return signature.result
        case .index(let base, let indices):
            try requireTensor(base, "indexed value")
            try checkIndices(indices)
            // A ':' takes a whole axis, so the result keeps at least one axis.
            return indices.contains(where: \.isWholeAxis) ? .tensor : .real
        case .wholeAxis:
            throw Diagnostic(at: expr.location, DiagnosticMessages.wholeAxisOutsideIndex)
        case .slice(let base, let from, let to):
            try requireTensor(base, "sliced value")
            try requireInt(from, "slice bound")
            try requireInt(to, "slice bound")
            return .tensor
        case .transpose(let base):
            try requireTensor(base, "operand of '.T'")
            return .tensor
        case .tuple:
            throw Diagnostic(at: expr.location, DiagnosticMessages.tupleNotAllowedHere)
        }
    }

    private mutating func requireTensor(_ expr: Expr, _ what: String) throws {
        let type = try checkExpression(expr)
        guard type == .tensor else {
            throw Diagnostic(at: expr.start, DiagnosticMessages.mustBe(what, expected: "Tensor", got: type.description))
        }
    }

    /// The shape of a (possibly nested) tensor literal; its leaves must be Real (or Int).
    private mutating func tensorLiteralShape(_ expr: Expr) throws -> [Int] {
        guard case .tensorLiteral(let elements) = expr.kind else {
            let type = try checkExpression(expr)
            guard type == .int || type == .real else {
                throw Diagnostic(at: expr.start, DiagnosticMessages.tensorLiteralElement(type.description))
            }
            return []
        }
        guard let first = elements.first else {
            throw Diagnostic(at: expr.location, DiagnosticMessages.emptyTensorLiteral())
        }
        let rowShape = try tensorLiteralShape(first)
        for element in elements.dropFirst() where try tensorLiteralShape(element) != rowShape {
            throw Diagnostic(at: element.start, DiagnosticMessages.tensorLiteralRagged)
        }
        expr.type = .tensor
        return [elements.count] + rowShape
    }

    private mutating func callType(_ expr: Expr, callee: Identifier, arguments: [Argument]) throws -> ValueType {
        if let function = functions[callee.name] {
            expr.callee = function
            let signature = TypeChecker.signature(of: function)
            try checkArguments(arguments, against: signature, at: callee.location)
            return function.result
        }
        guard let builtin = Builtin(rawValue: callee.name) else {
            throw Diagnostic(at: callee.location, NearestName.withSuggestion(DiagnosticMessages.noSuchFunction(callee.name),
                                                                             for: callee.name, among: callableNames))
        }
        var infos: [Builtin.ArgumentInfo] = []
        for argument in arguments {
            if builtin == .print, case .string = argument.value.kind {
                infos.append(.init(label: argument.label?.name, type: .bool, location: argument.value.start))
                continue
            }
            let type = try checkExpression(argument.value, allowVoid: builtin == .print)
            infos.append(.init(label: argument.label?.name, type: type, location: argument.value.start))
        }
        return try builtin.resultType(infos, at: callee.location)
    }

    private mutating func checkArguments(_ arguments: [Argument], against signature: FunctionSignature,
                                         at location: SourceLocation) throws {
        let n = signature.parameters.count
        guard arguments.count == n else {
            throw Diagnostic(at: location, DiagnosticMessages.argumentCount(
                signature.name, expected: "\(n) argument\(n == 1 ? "" : "s")", got: arguments.count))
        }
        for (i, argument) in arguments.enumerated() {
            if let label = argument.label, label.name != signature.parameterNames[i] {
                throw Diagnostic(at: label.location, DiagnosticMessages.unknownLabel(label.name, function: signature.name))
            }
            let type = try checkExpression(argument.value)
            guard TypeChecker.isConvertible(type, to: signature.parameters[i]) else {
                throw Diagnostic(at: argument.value.start, DiagnosticMessages.argumentType(
                    signature.name, position: i + 1, expected: signature.parameters[i].description, got: type.description))
            }
        }
    }

    static func signature(of function: FunctionDecl) -> FunctionSignature {
        FunctionSignature(name: function.name.name, parameterNames: function.parameters.map(\.name.name),
                          parameters: function.parameters.map(\.type), result: function.result)
    }

    // MARK: - grad

    /// The signature of `grad(f, ...)` as a function: f's parameters, and the gradient as its result.
    private mutating func gradSignature(_ function: GradFunction, elementType: ValueType) throws -> FunctionSignature {
        let target: FunctionSignature
        switch function.target {
        case .named(let name):
            if let decl = functions[name.name] {
                target = TypeChecker.signature(of: decl)
            } else if let builtin = Builtin(rawValue: name.name), Builtin.differentiableElementwise.contains(builtin) {
                // Elementwise built-ins work on Real; a Tensor argument is handled by the same rule, elementwise.
                target = FunctionSignature(name: name.name, parameterNames: ["x"], parameters: [elementType],
                                           result: elementType)
            } else if Builtin(rawValue: name.name) != nil {
                throw Diagnostic(at: name.location, DiagnosticMessages.gradTargetNotDifferentiable(name.name))
            } else {
                throw Diagnostic(at: name.location, NearestName.withSuggestion(DiagnosticMessages.noSuchFunction(name.name),
                                                                               for: name.name, among: callableNames))
            }
        case .grad(let inner):
            if let head = inner.head {
                throw Diagnostic(at: head.location, DiagnosticMessages.innerGradHead)
            }
            target = try gradSignature(inner, elementType: elementType)
        }
        if case .tuple = target.result {
            throw Diagnostic(at: function.location, DiagnosticMessages.gradOfTuple(target.name, target.result.description))
        }
        guard target.result.isDifferentiable else {
            throw Diagnostic(at: function.location, DiagnosticMessages.gradOfNonDifferentiableResult(
                target.name, target.result.description))
        }
        var indices: [Int] = []
        for name in function.wrt ?? [] {
            guard let i = target.parameterNames.firstIndex(of: name.name) else {
                throw Diagnostic(at: name.location, DiagnosticMessages.noSuchParameter(name.name, function: target.name))
            }
            guard target.parameters[i].isDifferentiable else {
                throw Diagnostic(at: name.location, DiagnosticMessages.wrtNotDifferentiable(
                    name.name, target.parameters[i].description))
            }
            guard !indices.contains(i) else {
                throw Diagnostic(at: name.location, DiagnosticMessages.duplicateWrt(name.name))
            }
            indices.append(i)
        }
        if function.wrt == nil {
            guard let first = target.parameters.first else {
                throw Diagnostic(at: function.location, DiagnosticMessages.noDifferentiableParameter(target.name))
            }
            guard first.isDifferentiable else {
                throw Diagnostic(at: function.location, DiagnosticMessages.wrtNotDifferentiable(
                    target.parameterNames[0], first.description))
            }
            indices = [0]
        }
        if let head = function.head {
            let type = try checkExpression(head)
            let fits = TypeChecker.isConvertible(type, to: target.result) || (target.result == .tensor && type != .bool)
            guard fits, type != .bool else {
                throw Diagnostic(at: head.start, DiagnosticMessages.headType(
                    expected: target.result.description, got: type.description))
            }
        }
        function.wrtIndices = indices
        function.targetSignature = target
        let gradients = indices.map { target.parameters[$0] }
        return FunctionSignature(name: "grad(\(target.name))", parameterNames: target.parameterNames,
                                 parameters: target.parameters,
                                 result: gradients.count == 1 ? gradients[0] : .tuple(gradients))
    }
}
