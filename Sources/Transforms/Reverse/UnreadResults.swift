// Transforms stage, after differentiation: the parts of a fused gradient's tangent that no call reads.
//
// Forward over reverse calls the tangent of a fused gradient for one part of its result, the tangent of
// the gradient; the value, the gradient itself and the value's tangent come back unread. Each part no
// call reads is returned as a zero instead, so dead code removes the work that made it (a loop's
// running sum, an adjoint buffer filled and written element by element). Only these tangents are
// rewritten: the compiler makes them and alone calls them, so every caller is in the module.
import AdjointBasic
import AdjointIR

enum UnreadResults {
    static func run(on module: inout Module) {
        let candidates = Set(module.functions.compactMap { f -> String? in
            guard case .tangent(let key) = f.role, case .vjp? = module.function(named: key.function)?.role else { return nil }
            return f.name
        })
        guard !candidates.isEmpty else { return }
        // The parts read of each candidate's result, as paths of tuple indices ([] is the whole result).
        var read: [String: Set<[Int]>] = [:]
        for f in module.functions {
            var extracts: [ValueID: [(index: Int, result: ValueID)]] = [:]
            var wholeUses = Set<ValueID>()
            var calls: [(callee: String, result: ValueID)] = []
            for block in f.blocks {
                for i in block.instructions {
                    if i.op == .extract, case .index(let k) = i.payload, let r = i.result {
                        extracts[i.operands[0], default: []].append((k, r))
                    } else {
                        wholeUses.formUnion(i.operands)
                    }
                    if i.op == .call, case .callee(let callee) = i.payload, candidates.contains(callee), let r = i.result {
                        calls.append((callee, r))
                    }
                }
                wholeUses.formUnion(block.terminator.operands)
            }
            func paths(_ v: ValueID, _ prefix: [Int]) -> [[Int]] {
                if wholeUses.contains(v) { return [prefix] }
                return (extracts[v] ?? []).flatMap { paths($0.result, prefix + [$0.index]) }
            }
            for call in calls { read[call.callee, default: []].formUnion(paths(call.result, [])) }
        }
        for k in module.functions.indices where candidates.contains(module.functions[k].name) {
            zeroUnread(in: &module.functions[k], read: read[module.functions[k].name] ?? [])
        }
    }

    /// Rewrites each `ret` of `f` to return zeros in the parts outside `read`.
    private static func zeroUnread(in f: inout Function, read: Set<[Int]>) {
        guard !read.contains([]) else { return }
        var definitions: [ValueID: Instruction] = [:]
        for block in f.blocks {
            for i in block.instructions { if let r = i.result { definitions[r] = i } }
        }
        for b in f.blocks.indices {
            guard case .ret(let v?) = f.blocks[b].terminator else { continue }
            var added: [Instruction] = []
            func emit(_ op: Opcode, _ operands: [ValueID], _ type: ValueType, _ payload: Payload = .none) -> ValueID {
                let r = f.makeValue(type)
                added.append(Instruction(result: r, op: op, operands: operands, payload: payload, location: .unknown))
                return r
            }
            func zero(_ type: ValueType) -> ValueID? {
                switch type {
                case .real: return emit(.const, [], .real, .constant(.real(numerator: "0", denominator: "1")))
                case .tensor:
                    guard let z = zero(.real) else { return nil }
                    return emit(.tensor, [z], .tensor, .shape([]))
                case .tuple(let parts):
                    var zeros: [ValueID] = []
                    for part in parts {
                        guard let z = zero(part) else { return nil }
                        zeros.append(z)
                    }
                    return emit(.tuple, zeros, type)
                default: return nil
                }
            }
            /// `value` at `path` with its unread parts zero; nil where it stays as it is.
            func rewritten(_ value: ValueID, at path: [Int]) -> ValueID? {
                if read.contains(where: { path.starts(with: $0) }) { return nil }
                guard read.contains(where: { $0.starts(with: path) }) else { return zero(f.type(of: value)) }
                guard let tuple = definitions[value], tuple.op == .tuple, case .tuple(let types) = f.type(of: value) else {
                    return nil
                }
                let parts = tuple.operands.enumerated().map { k, part in rewritten(part, at: path + [k]) }
                guard parts.contains(where: { $0 != nil }) else { return nil }
                let operands = zip(tuple.operands, parts).map { $1 ?? $0 }
                return emit(.tuple, operands, .tuple(types))
            }
            guard let result = rewritten(v, at: []) else { continue }
            f.blocks[b].instructions += added
            f.blocks[b].terminator = .ret(result)
        }
    }
}
