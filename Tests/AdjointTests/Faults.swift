// Test-only faults: deliberately wrong derivatives, injected into the differentiated module through
// `DifferentiationOptions.rewrite`, so that tests can see `check`, the dot-product test and shrinking
// catch a wrong rule. Nothing here is part of the compiler.
import AdjointBasic
import AdjointIR
import AdjointTransforms

extension DifferentiationOptions {
    /// The adjoint of `sin` gets the wrong sign: in every reverse sweep, the `cos` computed at a `sin` of the
    /// primal function is negated (the tangent code, forward mode's, stays right).
    static var sinAdjointSign: DifferentiationOptions {
        DifferentiationOptions(rewrite: { module in
            let sinLocations = Dictionary(grouping: module.functions.flatMap { f in
                f.blocks.flatMap(\.instructions).filter { $0.op == .sin }.map { (f.name, $0.location) }
            }, by: \.0).mapValues { Set($0.map(\.1)) }
            for k in module.functions.indices {
                // A reverse sweep, or the fused sweeps whose reverse half it is.
                let key: SweepKey
                switch module.functions[k].role {
                case .reverseSweep(let sweep), .vjp(let sweep): key = sweep
                default: continue
                }
                guard let sites = sinLocations[key.function] else { continue }
                negateCos(at: sites, in: &module.functions[k])
            }
        })
    }

    /// Replaces each `%r = cos ...` at one of `sites` by `%r = neg %c` after `%c = cos ...`.
    private static func negateCos(at sites: Set<SourceLocation>, in function: inout Function) {
        for b in function.blocks.indices {
            var instructions: [Instruction] = []
            for instruction in function.blocks[b].instructions {
                guard instruction.op == .cos, sites.contains(instruction.location), let r = instruction.result else {
                    instructions.append(instruction)
                    continue
                }
                let c = function.makeValue(function.type(of: r))
                var cos = instruction
                cos.result = c
                instructions.append(cos)
                instructions.append(Instruction(result: r, op: .neg, operands: [c], location: instruction.location))
            }
            function.blocks[b].instructions = instructions
        }
    }
}
