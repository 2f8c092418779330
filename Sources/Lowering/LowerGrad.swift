// Lowering stage: `grad(f, wrt: ..., head: ...)(args)` as a `grad` instruction.
//
//   %t = grad @f [wrt...] args..., head : (value, gradient...)
//
// The reverse-mode pass later replaces each `grad` instruction by calls of the
// generated forward and reverse sweeps. A `grad` target that is not a user function
// gets a synthesized one: `@sin.Real(x: Real) -> Real` for an elementwise built-in,
// `@grad.f.0(x...)` returning the gradient for an inner `grad(f)`, so nesting
// (`grad(grad(sin))`) is just `grad` of an ordinary function.
import AdjointBasic
import AdjointSyntax
import AdjointSema
import AdjointIR

/// Functions lowering creates for `grad` targets, shared by all functions of a module.
final class SynthesizedFunctions {
    var functions: [Function] = []
    func contains(_ name: String) -> Bool { functions.contains { $0.name == name } }
}

extension ASTToIR {
    mutating func lowerGradCall(_ function: GradFunction, _ arguments: [Argument], resultType: ValueType,
                                at location: SourceLocation) -> ValueID? {
        guard let signature = function.targetSignature else { return nil }
        let callee = gradTarget(function, parameterTypes: signature.parameters, result: signature.result)
        var args: [ValueID] = []
        for (argument, type) in zip(arguments, signature.parameters) {
            guard let v = lowerExpression(argument.value) else { return nil }
            args.append(coerce(v, from: argument.value.type!, to: type, at: argument.value.location))
        }
        var head: ValueID?
        if let headExpr = function.head {
            guard let h = lowerExpression(headExpr) else { return nil }
            head = fitHead(h, from: headExpr.type!, to: signature.result, at: headExpr.location)
        } else {
            guard let one = constant(.real(numerator: "1", denominator: "1"), at: location) else { return nil }
            head = fitHead(one, from: .real, to: signature.result, at: location)
        }
        guard let head else { return nil }
        return emitGrad(callee: callee, wrt: function.wrtIndices, arguments: args, head: head,
                        parameterTypes: signature.parameters, result: signature.result, at: location)
    }

    /// `grad @callee` and the gradient (one wrt) or a tuple of gradients (several).
    private mutating func emitGrad(callee: String, wrt: [Int], arguments: [ValueID], head: ValueID,
                                   parameterTypes: [ValueType], result: ValueType, at location: SourceLocation) -> ValueID? {
        let gradients = wrt.map { parameterTypes[$0] }
        guard let t = builder.emit(.grad, arguments + [head], type: .tuple([result] + gradients),
                                   payload: .grad(callee: callee, wrt: wrt), at: location) else { return nil }
        let parts = gradients.enumerated().compactMap { i, type in
            builder.emit(.extract, [t], type: type, payload: .index(i + 1), at: location)
        }
        if parts.count == 1 { return parts[0] }
        return builder.emit(.tuple, parts, type: .tuple(gradients), at: location)
    }

    /// The head as a value of the result's type: a Real (or Int) head of a Tensor result becomes a
    /// rank-0 tensor that the reverse sweep broadcasts to the result's shape (spec §7).
    private mutating func fitHead(_ h: ValueID, from: ValueType, to result: ValueType,
                                  at location: SourceLocation) -> ValueID? {
        let real = coerce(h, from: from, to: from == .int ? .real : from, at: location)
        if result == .tensor, from != .tensor {
            return builder.emit(.tensor, [real], type: .tensor, payload: .shape([]), at: location)
        }
        return real
    }

    /// The IR function `grad` differentiates, synthesizing it for built-ins and inner `grad`s.
    private mutating func gradTarget(_ function: GradFunction, parameterTypes: [ValueType], result: ValueType) -> String {
        switch function.target {
        case .named(let name):
            if functions[name.name] != nil { return name.name }
            // An elementwise built-in, at the element type of this call.
            let type = parameterTypes[0]
            let synthesizedName = "\(name.name).\(type)"
            if !synthesized.contains(synthesizedName) {
                var b = FunctionBuilder(name: synthesizedName, parameterNames: ["x"], parameterTypes: [type],
                                        resultType: type, location: name.location, role: .synthesized)
                let y = b.emit(Opcode(rawValue: name.name)!, b.function.parameters, type: type, at: name.location)
                b.terminate(.ret(y), at: name.location)
                synthesized.functions.append(b.function)
            }
            return synthesizedName
        case .grad(let inner):
            // grad(g) as a function of g's parameters, returning the gradient of its first wrt parameter.
            let innerSignature = inner.targetSignature!
            let innerCallee = gradTarget(inner, parameterTypes: innerSignature.parameters, result: innerSignature.result)
            let synthesizedName = "grad.\(innerCallee).\(inner.wrtIndices.map(String.init).joined(separator: "."))"
            if !synthesized.contains(synthesizedName) {
                var nested = ASTToIR(synthesizedName: synthesizedName, parameterNames: innerSignature.parameterNames,
                                     parameterTypes: innerSignature.parameters, result: result,
                                     functions: functions, synthesized: synthesized, location: inner.location)
                let params = nested.builder.function.parameters
                var head = nested.constant(.real(numerator: "1", denominator: "1"), at: inner.location)
                if let h = head { head = nested.fitHead(h, from: .real, to: innerSignature.result, at: inner.location) }
                let gradient = head.flatMap { head in
                    nested.emitGrad(callee: innerCallee, wrt: inner.wrtIndices, arguments: params, head: head,
                                    parameterTypes: innerSignature.parameters, result: innerSignature.result,
                                    at: inner.location)
                }
                nested.builder.terminate(.ret(gradient), at: inner.location)
                synthesized.functions.append(nested.builder.function)
            }
            return synthesizedName
        }
    }
}
