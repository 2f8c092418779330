// Sema stage: `@derivative(of: f)` declarations (spec §7, custom derivatives).
//
// A function `d` marked `@derivative(of: f)` gives f's vector-Jacobian product by hand:
// it takes f's parameters (same names, types, order) and then `head` of f's result type,
// and returns the gradient of each Real and Tensor parameter of f, in order (a tuple when
// there are several). Reverse mode calls d wherever it would differentiate a call of f.
// This file checks the declarations and gives the map f -> d that lowering records.
import AdjointBasic
import AdjointSyntax

enum CustomDerivatives {
    /// The custom derivative of each function that has one (f -> d), and the errors found.
    static func check(_ unit: SourceUnit, functions: [String: FunctionDecl]) -> (derivatives: [String: String],
                                                                                 diagnostics: [Diagnostic]) {
        var derivatives: [String: String] = [:]
        var diagnostics: [Diagnostic] = []
        for d in unit.functions {
            guard let attribute = d.derivative, functions[d.name.name] === d else { continue }
            let name = attribute.of
            guard let f = functions[name.name] else {
                let message = Builtin(rawValue: name.name) != nil
                    ? DiagnosticMessages.derivativeOfBuiltin(name.name)
                    : NearestName.withSuggestion(DiagnosticMessages.noSuchFunction(name.name), for: name.name,
                                                 among: functions.keys)
                diagnostics.append(Diagnostic(at: name.location, message))
                continue
            }
            let declaredAt = Diagnostic.Note(location: f.name.location, message: "'\(f.name.name)' is declared here")
            guard f.result == .real || f.result == .tensor else {
                diagnostics.append(Diagnostic(at: name.location, DiagnosticMessages.derivativeOfNonDifferentiableResult(
                    f.name.name, f.result.description), notes: [declaredAt]))
                continue
            }
            let gradients = f.parameters.map(\.type).filter(\.isDifferentiable)
            guard !gradients.isEmpty else {
                diagnostics.append(Diagnostic(at: name.location, DiagnosticMessages.noDifferentiableParameter(f.name.name),
                                              notes: [declaredAt]))
                continue
            }
            if let first = derivatives[f.name.name] {
                let firstAt = functions[first]!.derivative!.location
                diagnostics.append(Diagnostic(at: attribute.location, DiagnosticMessages.secondDerivative(
                    f.name.name, first: first), notes: [.init(location: firstAt, message: "the first is '\(first)', here")]))
                continue
            }
            let expected = expectedSignature(of: f, gradients: gradients)
            let actual = d.parameters.map { "\($0.name.name): \($0.type)" }
            if actual != expected.parameters || d.result != expected.result {
                let wanted = "(" + expected.parameters.joined(separator: ", ") + ") -> \(expected.result)"
                diagnostics.append(Diagnostic(at: d.name.location, DiagnosticMessages.derivativeSignature(
                    d.name.name, of: f.name.name, expected: wanted), notes: [declaredAt]))
                continue
            }
            derivatives[f.name.name] = d.name.name
        }
        diagnostics += recursion(through: derivatives, unit: unit, functions: functions)
        return (derivatives, diagnostics)
    }

    /// f's parameters, then `head` of f's result type; the result is one gradient per Real and Tensor parameter.
    static func expectedSignature(of f: FunctionDecl, gradients: [ValueType]) -> (parameters: [String], result: ValueType) {
        var head = "head"
        while f.parameters.contains(where: { $0.name.name == head }) { head += "_" }
        let parameters = f.parameters.map { "\($0.name.name): \($0.type)" } + ["\(head): \(f.result)"]
        return (parameters, gradients.count == 1 ? gradients[0] : .tuple(gradients))
    }

    /// A derivative `d` of `f` that differentiates (with `grad`, itself or through the functions it calls)
    /// code that calls `f`: the reverse sweep of that code calls `d` again, without end.
    private static func recursion(through derivatives: [String: String], unit: SourceUnit,
                                  functions: [String: FunctionDecl]) -> [Diagnostic] {
        guard !derivatives.isEmpty else { return [] }
        var callsOf: [String: [RecursionCheck.Call]] = [:]
        for function in unit.functions where callsOf[function.name.name] == nil {
            callsOf[function.name.name] = RecursionCheck.calls(in: function, functions: functions)
        }
        /// Every function reachable from `start` (itself included), following calls, and `grad`s too when asked.
        func reachable(from start: String, throughGrad: Bool) -> Set<String> {
            var seen: Set<String> = [start]
            var work = [start]
            while let name = work.popLast() {
                for call in callsOf[name] ?? [] where (throughGrad || !call.isGrad) && seen.insert(call.callee).inserted {
                    work.append(call.callee)
                }
            }
            return seen
        }
        var diagnostics: [Diagnostic] = []
        for (f, d) in derivatives.sorted(by: { $0.key < $1.key }) {
            let reached = reachable(from: d, throughGrad: true)
            let differentiated = reached.sorted().flatMap { name in (callsOf[name] ?? []).filter(\.isGrad) }
            if let site = differentiated.first(where: { reachable(from: $0.callee, throughGrad: false).contains(f) }) {
                diagnostics.append(Diagnostic(at: functions[d]!.derivative!.location, DiagnosticMessages.derivativeRecursion(
                    d, of: f, through: site.callee), notes: [.init(location: site.location,
                                                                   message: "'\(site.callee)' is differentiated here")]))
            }
        }
        return diagnostics
    }
}
