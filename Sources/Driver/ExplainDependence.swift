// Driver stage: which values depend on the differentiated inputs, for `--explain` and `check`.
//
// Spec §9 counts a kink or a tie only where its operand depends on the differentiated
// inputs: `abs(c)` of a constant at 0 changes no derivative. The dependence is the
// varied half of reverse mode's activity analysis, on each forward sweep with the
// parameters its role says it differentiates (`f.fwd.0.2`). Other functions a sweep
// calls run as plain primal code because nothing they return is differentiated, so
// nothing in them counts.
import AdjointIR
import AdjointTransforms

enum ExplainDependence {
    /// For each forward sweep of `module`, the values that depend on its differentiated parameters.
    static func dependentValues(in module: Module) -> [String: Set<ValueID>] {
        let effects = tapeEffects(in: module)
        var dependent: [String: Set<ValueID>] = [:]
        for function in module.functions {
            guard case .forwardSweep(let key) = function.role else { continue }
            let wrt = key.wrt
            let activity = ActivityInfo(function, wrt: wrt.filter { $0 < function.parameters.count },
                                        hasTapeEffects: { effects.contains($0) })
            dependent[function.name] = activity.varied
        }
        return dependent
    }

    /// The functions that push or pop a tape, themselves or through a callee (a fixpoint over the call graph).
    private static func tapeEffects(in module: Module) -> Set<String> {
        var callers: [String: [String]] = [:]
        var work: [String] = []
        for function in module.functions {
            for block in function.blocks {
                for instruction in block.instructions {
                    if instruction.op == .push || instruction.op == .pop { work.append(function.name) }
                    if instruction.op == .call, case .callee(let callee) = instruction.payload {
                        callers[callee, default: []].append(function.name)
                    }
                }
            }
        }
        var effects = Set<String>()
        while let name = work.popLast() {
            guard effects.insert(name).inserted else { continue }
            work += callers[name] ?? []
        }
        return effects
    }
}
