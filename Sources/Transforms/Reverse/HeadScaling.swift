// Transforms stage, after differentiation: a Real head multiplied once per gradient, not in every iteration.
//
// A reverse sweep is linear in its head: every adjoint is a sum of partials times adjoints it comes
// from, and the head is where they start. Where the head is read inside a loop (W3's adjoints are
// `head * coefficient`, two multiplies per iteration), the sweep is run with a head of one and each
// gradient it returns is multiplied by the head at the end: one multiply per gradient (none copied for a
// head of one, the default, as `Tensor * Double` returns its tensor unchanged). The exact value is the
// same; the rounding of a head other than one moves, and the interpreter runs this IR as the compiled Swift
// does. The caller says whether the sweep is linear in its head alone: not where adjoints also come from a
// shadow tape (a second-order sweep), nor where a custom derivative, the user's function of its head, is
// reached.
import AdjointBasic
import AdjointIR

enum HeadScaling {
    /// Rewrites `function`, a reverse sweep whose only head is `head`; whether it did. `isLinear` (a walk of the
    /// call graph) is asked only of a sweep that reads a Real head in a loop.
    static func run(on function: inout Function, head: ValueID, isLinear: (Function) -> Bool) -> Bool {
        guard function.type(of: head) == .real, readInALoop(head, in: function) else { return false }
        // Each return's gradients, as the operands of the tuple the return's block makes.
        var tuples: [(block: Int, position: Int)] = []
        for (b, block) in function.blocks.enumerated() {
            guard case .ret(let v?) = block.terminator else { continue }
            guard let position = block.instructions.lastIndex(where: { $0.result == v }),
                  block.instructions[position].op == .tuple,
                  block.instructions[position].operands.allSatisfy({ [.real, .tensor].contains(function.type(of: $0)) })
            else { return false }
            tuples.append((b, position))
        }
        guard !tuples.isEmpty, isLinear(function) else { return false }
        let one = function.makeValue(.real)
        function.replaceUses(of: head, with: one)
        for (b, position) in tuples {
            var scaled: [Instruction] = []
            var gradients = function.blocks[b].instructions[position].operands
            for k in gradients.indices {
                let r = function.makeValue(function.type(of: gradients[k]))
                scaled.append(Instruction(result: r, op: .mul, operands: [gradients[k], head], location: .unknown))
                gradients[k] = r
            }
            function.blocks[b].instructions[position].operands = gradients
            function.blocks[b].instructions.insert(contentsOf: scaled, at: position)
        }
        function.blocks[0].instructions.insert(
            Instruction(result: one, op: .const, operands: [], payload: .constant(.real(numerator: "1", denominator: "1")),
                        location: .unknown), at: 0)
        return true
    }

    /// Whether an instruction or a branch in some loop reads `value`.
    private static func readInALoop(_ value: ValueID, in function: Function) -> Bool {
        let loops = Loops(function)
        return loops.inAnyLoop.contains { b in
            let block = function.blocks[b]
            return block.instructions.contains { $0.operands.contains(value) } || block.terminator.operands.contains(value)
        }
    }
}
