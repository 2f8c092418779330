// Sema stage: reject recursion at compile time.
//
// Spec §4 allows recursion to be rejected with a clear error. Adjoint rejects it:
// the reverse sweep of a recursive call would need a tape per activation, and
// generated gradients stay simple loops and calls without it. This check finds every
// cycle of the call graph (calls and `grad` targets) and reports it once, at the
// first call that closes it.
import AdjointBasic
import AdjointSyntax

/// Finds call cycles among the user functions of a file, and call chains too long to compile.
enum RecursionCheck {
    /// The longest chain of nested calls a program may have. Differentiation, the interpreters and the
    /// generated code follow a call chain with the machine's stack; this bound keeps every engine far from
    /// its end (a chain of 2,400 calls overflowed the 8 MB stack in a debug build of `grad`).
    static let maximumCallDepth = 500

    static func cycles(in unit: SourceUnit, functions: [String: FunctionDecl]) -> [Diagnostic] {
        var edges: [String: [(callee: String, location: SourceLocation)]] = [:]
        for function in unit.functions {
            edges[function.name.name] = calls(in: function, functions: functions).map { ($0.callee, $0.location) }
        }
        var diagnostics: [Diagnostic] = []
        var state: [String: Int] = [:]   // 1 on the stack, 2 done
        // The number of nested calls a function starts, itself included (functions on a cycle are not counted).
        var depth: [String: Int] = [:]
        var tooDeep: Diagnostic? = nil
        // A depth-first search with an explicit stack (a long call chain must not overflow the real one):
        // each frame is a function and the index of its next call to follow.
        var stack: [(name: String, next: Int)] = []
        for function in unit.functions where state[function.name.name] == nil {
            state[function.name.name] = 1
            stack.append((function.name.name, 0))
            while let (name, next) = stack.last {
                let calls = edges[name] ?? []
                guard next < calls.count else {
                    stack.removeLast()
                    state[name] = 2
                    var deepest = 0
                    for (callee, location) in calls {
                        let d = depth[callee] ?? 0
                        if d == maximumCallDepth && tooDeep == nil {
                            tooDeep = Diagnostic(at: location, DiagnosticMessages.callsNestedTooDeeply(
                                callee: callee, limit: maximumCallDepth))
                        }
                        deepest = max(deepest, d)
                    }
                    depth[name] = deepest + 1
                    continue
                }
                stack[stack.count - 1].next += 1
                let (callee, location) = calls[next]
                if state[callee] == 1 {
                    var cycle = (stack.map(\.name).drop(while: { $0 != callee }) + [callee]).map { "'\($0)'" }
                    if cycle.count > 8 { cycle = cycle.prefix(3) + ["..."] + cycle.suffix(3) }  // keep the line short
                    diagnostics.append(Diagnostic(at: location, DiagnosticMessages.recursionNotSupported(
                        cycle.joined(separator: " calls "))))
                } else if state[callee] == nil {
                    state[callee] = 1
                    stack.append((callee, 0))
                }
            }
        }
        // Depth matters only in a program without recursion (functions on a cycle have no depth).
        return diagnostics.isEmpty ? (tooDeep.map { [$0] } ?? []) : diagnostics
    }

    /// A call of a user function, or a `grad` of one (whose reverse sweep runs that function's derivative).
    struct Call {
        var callee: String
        var location: SourceLocation
        var isGrad: Bool
    }

    /// The user functions a function calls or differentiates, in source order.
    static func calls(in function: FunctionDecl, functions: [String: FunctionDecl]) -> [Call] {
        var calls: [Call] = []
        collectCalls(function.body, into: &calls)
        return calls.filter { functions[$0.callee] != nil }
    }

    private static func collectCalls(_ block: CodeBlock, into calls: inout [Call]) {
        for statement in block.statements {
            switch statement.kind {
            case .letBinding(_, _, let value): collectCalls(value, into: &calls)
            case .varDeclaration(_, _, let value): if let value { collectCalls(value, into: &calls) }
            case .assignment(_, let indices, _, _, let value):
                indices.forEach { collectCalls($0, into: &calls) }
                collectCalls(value, into: &calls)
            case .ifElse(let condition, let then, let elseBlock):
                collectCalls(condition, into: &calls)
                collectCalls(then, into: &calls)
                if let elseBlock { collectCalls(elseBlock, into: &calls) }
            case .whileLoop(let condition, let body):
                collectCalls(condition, into: &calls)
                collectCalls(body, into: &calls)
            case .forLoop(_, let from, let to, _, let body):
                collectCalls(from, into: &calls)
                collectCalls(to, into: &calls)
                collectCalls(body, into: &calls)
            case .returnValue(let value): if let value { collectCalls(value, into: &calls) }
            case .expression(let expr): collectCalls(expr, into: &calls)
            case .breakLoop, .continueLoop: break
            }
        }
    }

    private static func collectCalls(_ expr: Expr, into calls: inout [Call]) {
        switch expr.kind {
        case .integer, .real, .bool, .string, .name, .wholeAxis: break
        case .tensorLiteral(let elements): elements.forEach { collectCalls($0, into: &calls) }
        case .unary(_, let operand): collectCalls(operand, into: &calls)
        case .binary(_, let l, let r): collectCalls(l, into: &calls); collectCalls(r, into: &calls)
        case .call(let callee, let arguments):
            calls.append(Call(callee: callee.name, location: callee.location, isGrad: false))
            arguments.forEach { collectCalls($0.value, into: &calls) }
        case .gradCall(let function, let arguments):
            var target = function
            while case .grad(let inner) = target.target { target = inner }
            if case .named(let name) = target.target { calls.append(Call(callee: name.name, location: name.location, isGrad: true)) }
            var g: GradFunction? = function
            while let current = g {
                if let head = current.head { collectCalls(head, into: &calls) }
                if case .grad(let inner) = current.target { g = inner } else { g = nil }
            }
            arguments.forEach { collectCalls($0.value, into: &calls) }
        case .index(let base, let indices):
            collectCalls(base, into: &calls)
            indices.forEach { collectCalls($0, into: &calls) }
        case .slice(let base, let from, let to):
            [base, from, to].forEach { collectCalls($0, into: &calls) }
        case .transpose(let base): collectCalls(base, into: &calls)
        case .tuple(let elements): elements.forEach { collectCalls($0, into: &calls) }
        }
    }
}
