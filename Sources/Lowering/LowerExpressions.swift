// Lowering stage: expressions, built-in calls and implicit conversions.
import AdjointBasic
import AdjointSyntax
import AdjointSema
import AdjointIR

extension ASTToIR {
    /// Lowers an expression at the insertion block; nil when lowering failed (a diagnostic was recorded)
    /// or the code is unreachable.
    mutating func lowerExpression(_ expr: Expr) -> ValueID? {
        guard builder.isReachable else { return nil }
        let at = expr.location
        switch expr.kind {
        case .integer(let text):
            return constant(.int(Int(text)!), at: at)
        case .real(let text):
            guard let fraction = DecimalDigits.fraction(ofLiteral: text) else { return nil }
            return constant(.real(fraction), at: at)
        case .bool(let value):
            return constant(.bool(value), at: at)
        case .string:
            return nil  // Sema allows strings only as print arguments, which `lowerPrint` handles
        case .name(let name):
            guard let symbol = expr.symbol else { return nil }
            if let value = environment[ObjectIdentifier(symbol)] { return value }
            return symbol.role == .parameter ? parameterValues[name] : nil
        case .tensorLiteral:
            var leaves: [ValueID] = []
            var shape: [Int] = []
            guard flattenLiteral(expr, depth: 0, shape: &shape, into: &leaves) else { return nil }
            return builder.emit(.tensor, leaves, type: .tensor, payload: .shape(shape), at: at)
        case .unary(let op, let operand):
            guard let v = lowerExpression(operand) else { return nil }
            return builder.emit(op == .negate ? .neg : .not, [v], type: expr.type!, at: at)
        case .binary(let op, let left, let right):
            if op == .and || op == .or { return lowerShortCircuit(op, left, right, at: at) }
            guard let l = lowerExpression(left), let r = lowerExpression(right) else { return nil }
            return lowerBinary(op, l, left.type!, r, right.type!, resultType: expr.type!, at: at)
        case .call(let callee, let arguments):
            if let function = expr.callee {
                var args: [ValueID] = []
                for (argument, parameter) in zip(arguments, function.parameters) {
                    guard let v = lowerExpression(argument.value) else { return nil }
                    args.append(coerce(v, from: argument.value.type!, to: parameter.type, at: argument.value.location))
                }
                let result: ValueType? = function.result == .void ? nil : function.result
                let value = builder.emit(.call, args, type: result, payload: .callee(callee.name), at: callee.location)
                return value ?? (builder.isReachable ? constant(.bool(false), at: at) : nil)
            }
            return lowerBuiltin(Builtin(rawValue: callee.name)!, arguments, resultType: expr.type!, at: callee.location)
        case .gradCall(let function, let arguments):
            return lowerGradCall(function, arguments, resultType: expr.type!, at: at)
        case .index(let base, let indices):
            guard let b = lowerExpression(base), let idx = lowerIndices(indices) else { return nil }
            let payload = Payload.subscripted(ASTToIR.writtenSubscript(base, indices))
            // With a ':' the result is the part of the tensor the subscript selects.
            let isSelection = indices.contains(where: \.isWholeAxis)
            return builder.emit(isSelection ? .select : .index, [b] + idx, type: isSelection ? .tensor : .real,
                                payload: payload, at: at)
        case .wholeAxis:
            return nil  // Sema allows ':' only in an index list, which `.index` handles
        case .slice(let base, let from, let to):
            guard let b = lowerExpression(base), let f = lowerExpression(from), let t = lowerExpression(to) else { return nil }
            return builder.emit(.slice, [b, f, t], type: .tensor, at: at)
        case .transpose(let base):
            guard let b = lowerExpression(base) else { return nil }
            return builder.emit(.transpose, [b], type: .tensor, at: at)
        case .tuple(let elements):
            var parts: [ValueID] = []
            for element in elements {
                guard let v = lowerExpression(element) else { return nil }
                parts.append(v)
            }
            return builder.emit(.tuple, parts, type: expr.type!, at: at)
        }
    }

    /// The Int operands of a subscript: its indices other than ':'; nil when one failed to lower.
    mutating func lowerIndices(_ indices: [Expr]) -> [ValueID]? {
        let written = indices.filter { !$0.isWholeAxis }
        let values = written.compactMap { lowerExpression($0) }
        return values.count == written.count ? values : nil
    }

    /// The subscript as written, which run-time errors about it quote.
    static func writtenSubscript(_ base: Expr, _ indices: [Expr]) -> Subscript {
        Subscript(base: base.spelling, positions: indices.map(\.spelling))
    }

    mutating func constant(_ c: Constant, at location: SourceLocation) -> ValueID? {
        builder.emit(.const, [], type: c.type, payload: .constant(c), at: location)
    }

    /// Makes the conversions Sema allows implicitly explicit: Int -> Real (`itor`), Tensor -> Real (`toreal`).
    mutating func coerce(_ value: ValueID, from: ValueType, to: ValueType, at location: SourceLocation) -> ValueID {
        switch (from, to) {
        case (.int, .real):
            // A named Int (`let p = 15`) keeps its type: it may be used again as an Int or converted again.
            let isNamed = builder.function.valueNames[value.index] != nil
            if !isNamed, let literal = builder.foldIntegerLiteralToReal(value) { return literal }
            return builder.emit(.itor, [value], type: .real, at: location) ?? value
        case (.tensor, .real): return builder.emit(.toreal, [value], type: .real, at: location) ?? value
        case (.tuple(let fromElements), .tuple(let toElements)) where fromElements != toElements:
            // Converted element by element (`return (1, x)` from a function returning `(Real, Real)`).
            var parts: [ValueID] = []
            for (i, (f, t)) in zip(fromElements, toElements).enumerated() {
                guard let part = builder.emit(.extract, [value], type: f, payload: .index(i), at: location) else { return value }
                parts.append(coerce(part, from: f, to: t, at: location))
            }
            return builder.emit(.tuple, parts, type: to, at: location) ?? value
        default: return value
        }
    }

    /// The type of `left op right` after promotion, as Sema computed it for expressions.
    func binaryResultType(_ op: BinaryOperator, _ left: ValueType, _ right: ValueType) -> ValueType {
        if op.isComparison || op == .and || op == .or { return .bool }
        if left == .tensor || right == .tensor { return .tensor }
        if op == .remainder || (left == .int && right == .int && op != .divide && op != .power) { return .int }
        return .real
    }

    /// `left op right` with Int operands promoted where the operation is on Reals.
    mutating func lowerBinary(_ op: BinaryOperator, _ l: ValueID, _ lt: ValueType, _ r: ValueID, _ rt: ValueType,
                              resultType: ValueType, at location: SourceLocation) -> ValueID? {
        var l = l, r = r
        let operandsAreInt = lt == .int && rt == .int && resultType != .real && resultType != .tensor
        if !operandsAreInt, op != .equal || lt != rt, op != .notEqual || lt != rt {
            if lt == .int { l = coerce(l, from: .int, to: .real, at: location) }
            if rt == .int { r = coerce(r, from: .int, to: .real, at: location) }
        }
        let opcode: Opcode
        switch op {
        case .add: opcode = .add
        case .subtract: opcode = .sub
        case .multiply: opcode = .mul
        case .divide: opcode = .div
        case .remainder: opcode = .rem
        case .power: opcode = .pow
        case .equal: opcode = .eq
        case .notEqual: opcode = .ne
        case .less: opcode = .lt
        case .lessEqual: opcode = .le
        case .greater: opcode = .gt
        case .greaterEqual: opcode = .ge
        case .and, .or: fatalError("short-circuit operators are lowered by lowerShortCircuit")
        }
        return builder.emit(opcode, [l, r], type: resultType, at: location)
    }

    /// `a && b` and `a || b` as branches, so the right side runs only when it decides the result.
    private mutating func lowerShortCircuit(_ op: BinaryOperator, _ left: Expr, _ right: Expr,
                                            at location: SourceLocation) -> ValueID? {
        guard let l = lowerExpression(left) else { return nil }
        let rightBlock = builder.makeBlock()
        let join = builder.makeBlock(parameters: [.bool])
        let result = builder.parameters(of: join)[0]
        let target = BranchTarget(join, [l])
        builder.terminate(.condBranch(condition: l,
                                      then: op == .and ? BranchTarget(rightBlock) : target,
                                      else: op == .and ? target : BranchTarget(rightBlock)), at: location)
        builder.insertionBlock = rightBlock
        guard let r = lowerExpression(right) else { return nil }
        builder.terminate(.branch(BranchTarget(join, [r])), at: location)
        builder.insertionBlock = join
        return result
    }

    /// Collects the leaves of a nested tensor literal in row-major order, converted to Real.
    private mutating func flattenLiteral(_ expr: Expr, depth: Int, shape: inout [Int], into leaves: inout [ValueID]) -> Bool {
        guard case .tensorLiteral(let elements) = expr.kind else {
            guard let v = lowerExpression(expr) else { return false }
            leaves.append(coerce(v, from: expr.type!, to: .real, at: expr.location))
            return true
        }
        if shape.count == depth { shape.append(elements.count) }
        for element in elements {
            guard flattenLiteral(element, depth: depth + 1, shape: &shape, into: &leaves) else { return false }
        }
        return true
    }

    // MARK: - Built-ins

    private mutating func lowerBuiltin(_ builtin: Builtin, _ arguments: [Argument], resultType: ValueType,
                                       at location: SourceLocation) -> ValueID? {
        if builtin == .print { return lowerPrint(arguments, at: location) }
        var args: [ValueID] = []
        var types: [ValueType] = []
        for argument in arguments {
            guard let v = lowerExpression(argument.value) else { return nil }
            args.append(v)
            types.append(argument.value.type!)
        }
        /// Converts Int arguments to Real for operations on Reals.
        func real(_ i: Int) -> ValueID { coerce(args[i], from: types[i], to: types[i] == .int ? .real : types[i], at: location) }
        let t: ValueType = resultType
        switch builtin {
        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
            return builder.emit(Opcode(rawValue: builtin.rawValue)!, [real(0)], type: t, at: location)
        case .pow, .maximum, .minimum:
            return builder.emit(Opcode(rawValue: builtin.rawValue)!, [real(0), real(1)], type: t, at: location)
        case .max, .min:
            if args.count == 2 {
                return builder.emit(builtin == .max ? .maximum : .minimum, [real(0), real(1)], type: t, at: location)
            }
            return builder.emit(builtin == .max ? .max : .min, args, type: t, at: location)
        case .sum, .mean:
            if args.count == 2 {
                return builder.emit(builtin == .sum ? .sumaxis : .meanaxis, args, type: t, at: location)
            }
            return builder.emit(builtin == .sum ? .sum : .mean, args, type: t, at: location)
        case .prod, .norm, .dot, .transpose, .reshape, .size, .dim, .arange, .zeros, .ones:
            return builder.emit(Opcode(rawValue: builtin.rawValue)!, args, type: t, at: location)
        case .full:
            return builder.emit(.full, [real(0)] + args.dropFirst(), type: t, at: location)
        case .zeros_like: return builder.emit(.zeroslike, args, type: t, at: location)
        case .ones_like: return builder.emit(.oneslike, args, type: t, at: location)
        case .random_normal: return builder.emit(.randnormal, args, type: t, at: location)
        case .random_uniform: return builder.emit(.randuniform, args, type: t, at: location)
        case .int: return types[0] == .int ? args[0] : builder.emit(.ftoi, args, type: .int, at: location)
        case .real: return types[0] == .real ? args[0] : builder.emit(.itor, args, type: .real, at: location)
        case .is_training: return builder.emit(.istraining, [], type: .bool, at: location)
        case .print: return nil
        }
    }

    private mutating func lowerPrint(_ arguments: [Argument], at location: SourceLocation) -> ValueID? {
        var items: [PrintItem] = []
        var values: [ValueID] = []
        for argument in arguments {
            if case .string(let text) = argument.value.kind {
                items.append(.text(text))
                continue
            }
            guard let v = lowerExpression(argument.value) else { return nil }
            items.append(.value)
            values.append(v)
        }
        builder.emit(.print, values, type: nil, payload: .print(items), at: location)
        // `print` has no value; callers only use it as a statement, so any placeholder works.
        return builder.isReachable ? values.first ?? constant(.bool(false), at: location) : nil
    }
}
