// Transforms stage, after differentiation: a fused gradient's call and its tangent's call are one call.
//
// Forward over reverse (`tangentOfGradient`) leaves the gradient of `sum(grad(f)(x) * v)` calling f's
// fused gradient for (f(x), ∇f(x)) in the forward part, then its tangent along the gradient's adjoint
// h·v for H·(h·v). The tangent computes (f(x), ∇f(x)) too, as its primal part: one loop can give both,
// as a person writes the Hessian-vector product. So where the tangent's call follows the gradient's in
// the same block with the same arguments, and its direction can be computed before the gradient's call,
// the tangent is called there instead and the gradient's result is the tangent's primal part.
//
// The direction may read the gradient's results for their shape only (the `like` of a fit): a fused
// gradient's part for a parameter has that parameter's shape, so the argument stands in for it. The
// rest of the direction must be operations that cannot fail (fits, and arithmetic with at most one
// tensor operand), so computing it earlier changes no error a run meets; and the gradient must neither
// print nor draw random numbers, so that one call does what the two did.
import AdjointBasic
import AdjointIR

enum GradientCallMerging {
    static func run(on module: inout Module) {
        var gradients: [String: (parameters: Int, wrt: [Int])] = [:]
        var tangents: [String: (gradient: String, resultType: ValueType)] = [:]
        for f in module.functions {
            if case .vjp(let key) = f.role { gradients[f.name] = (f.parameters.count, key.wrt) }
        }
        for f in module.functions {
            if case .tangent(let key) = f.role, gradients[key.function] != nil {
                tangents[f.name] = (key.function, f.resultType)
            }
        }
        guard !tangents.isEmpty else { return }
        // A gradient whose function prints or draws random numbers is called as written: one call for two
        // would print once, or draw once.
        var effects = Set<String>(), changedEffects = true
        while changedEffects {
            changedEffects = false
            for f in module.functions where !effects.contains(f.name) {
                let hasEffects = f.blocks.contains { $0.instructions.contains { i in
                    if case .callee(let callee) = i.payload, effects.contains(callee) { return true }
                    return [.print, .randnormal, .randuniform, .settraining, .istraining].contains(i.op)
                } }
                if hasEffects { effects.insert(f.name); changedEffects = true }
            }
        }
        tangents = tangents.filter { !effects.contains($0.key) && !effects.contains($0.value.gradient) }
        for k in module.functions.indices {
            var changed = false
            for b in module.functions[k].blocks.indices {
                while merge(in: &module.functions[k], block: b, gradients, tangents) { changed = true }
            }
            if changed {
                for pass in Pipeline.standard { pass.run(on: &module.functions[k]) }
            }
        }
    }

    /// Merges one pair of calls in block `b`; false when there is none to merge.
    private static func merge(in f: inout Function, block b: Int, _ gradients: [String: (parameters: Int, wrt: [Int])],
                              _ tangents: [String: (gradient: String, resultType: ValueType)]) -> Bool {
        let instructions = f.blocks[b].instructions
        for (late, call) in instructions.enumerated() {
            guard call.op == .call, case .callee(let name) = call.payload, let tangent = tangents[name],
                  let gradient = gradients[tangent.gradient], let tangentResult = call.result,
                  case .tuple(let halves) = tangent.resultType, halves.count == 2 else { continue }
            let arguments = Array(call.operands.prefix(gradient.parameters))
            guard let early = instructions[..<late].firstIndex(where: {
                $0.op == .call && $0.payload == .callee(tangent.gradient) && $0.operands == arguments
            }), let gradientResult = instructions[early].result, f.type(of: gradientResult) == halves[0] else { continue }

            // What stands in for each part of the gradient's result read for its shape: the parameter's argument.
            var parts: [ValueID: ValueID] = [:]
            for i in instructions[early..<late] where i.op == .extract && i.operands == [gradientResult] {
                if case .index(let k) = i.payload, k >= 1, k <= gradient.wrt.count, let r = i.result {
                    parts[r] = arguments[gradient.wrt[k - 1]]
                }
            }
            // The instructions between the calls that the direction needs, and their operands as moved.
            var position: [ValueID: Int] = [:]
            for k in (early + 1)..<late { if let r = instructions[k].result { position[r] = k } }
            var needed = Set<Int>(), work = Array(call.operands.dropFirst(gradient.parameters))
            var rewritten: [Int: Instruction] = [:]
            var movable = true
            while movable, let v = work.popLast() {
                guard let k = position[v], !needed.contains(k) else {
                    movable = v != gradientResult && parts[v] == nil
                    continue
                }
                needed.insert(k)
                var i = instructions[k]
                let tensors = i.operands.filter { (v: ValueID) -> Bool in f.type(of: v) == .tensor }.count
                switch i.op {
                case .fit:
                    if let stand = parts[i.operands[1]] { i.operands[1] = stand }
                case .const: break
                case .add, .sub, .mul, .div, .neg: movable = tensors <= 1
                default: movable = false
                }
                rewritten[k] = i
                work += i.operands
            }
            guard movable else { continue }

            // The direction first, then the tangent where the gradient was called, its primal part the gradient's result.
            var merged = Array(instructions[..<early])
            merged += needed.sorted().map { rewritten[$0]! }
            merged.append(call)
            merged.append(Instruction(result: gradientResult, op: .extract, operands: [tangentResult], payload: .index(0),
                                      location: instructions[early].location))
            for k in (early + 1)..<late where !needed.contains(k) { merged.append(instructions[k]) }
            merged.append(contentsOf: instructions[(late + 1)...])
            f.blocks[b].instructions = merged
            return true
        }
        return false
    }
}
