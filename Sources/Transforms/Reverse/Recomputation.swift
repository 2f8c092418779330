// Transforms stage, reverse mode: what the reverse sweep computes again instead of recording.
//
// The to-be-recorded analysis, done once per function before either sweep is built.
// A primal value the reverse sweep reads is recorded on a tape only when it cannot be
// had more cheaply (Tapenade's "recompute instead of record"):
//
//   - the function's parameters are constants of the whole call: the reverse sweep
//     takes them as arguments, so `x` of `x[i]` or of a shape is never taped;
//   - an Int induction variable (`i` of `for i in a..<b`: a counted loop's header
//     parameter entered with `a` and stepped by a constant) is `a + step·k`, where
//     k is the trip counter the reverse sweep already carries;
//   - a cheap scalar operation (an element read, `+ - *`, a comparison, Int
//     arithmetic) whose operands are all available again is emitted again.
//
// A chain of cheap operations may end in one value that must be recorded (the
// logistic map's `x` in `r·x·(1 − x)`): recording that leaf and recomputing the rest
// costs no more than recording the value, and the leaf serves every other value
// computed from it. What is recorded, then, is what no rule above gives back.
//
// Many adjoint rules read a primal tensor only for its shape (`fit` of an adjoint to
// its operand's shape). A loop-carried tensor updated in place (an adjoint being
// accumulated, `x[i] = v` in a loop) keeps one shape on every iteration: its shape
// witness, a value with the same shape on every run, is where the chain of updates
// started, often a parameter. Reading the witness instead of the tensor keeps a
// second-order sweep from recording the whole first-order adjoint every iteration.
import AdjointIR

/// An Int header parameter that advances by a constant each time around its counted loop.
struct InductionVariable {
    /// Index into the function's counted loops.
    var loop: Int
    /// The value entering the loop.
    var start: ValueID
    var step: Int
}

/// The facts the reverse sweep's recomputation rests on, for one source function.
struct Recomputation {
    /// Induction variables by header parameter.
    private(set) var inductionVariables: [ValueID: InductionVariable] = [:]
    /// The function's parameters by value: the reverse sweep receives them.
    let parameterIndex: [ValueID: Int]
    /// For a Tensor value, another with its shape on every run, where that is a different value.
    private(set) var shapeWitnesses: [ValueID: ValueID] = [:]

    /// A value with the shape of `v` on every run: `v` itself, or where its chain of shape-keeping updates began.
    func shapeWitness(_ v: ValueID) -> ValueID { shapeWitnesses[v] ?? v }

    /// Operations cheaper to compute again than to push and pop: scalar, pure, a few cycles.
    static let cheap: Set<Opcode> = [
        .const, .add, .sub, .mul, .neg, .index, .itor, .size, .dim, .sign, .floor, .ftoi, .rem,
        .eq, .ne, .lt, .le, .gt, .ge, .not, .stepge, .maximum, .minimum, .abs, .relu,
    ]

    /// How long a chain of operations may be computed again for one value.
    static let maximumDepth = 8

    init(_ function: Function, loops: [CountedLoop], incomingEdges: [[IncomingEdge]],
         definition: (ValueID) -> Instruction?) {
        parameterIndex = Dictionary(uniqueKeysWithValues: function.parameters.enumerated().map { ($1, $0) })
        for (l, loop) in loops.enumerated() {
            let header = function.blocks[loop.header.index]
            let entry = incomingEdges[loop.header.index][loop.entryEdge]
            let back = incomingEdges[loop.header.index][loop.backEdge]
            let entryArguments = function.blocks[entry.from.index].terminator.successors[entry.successor].arguments
            let backArguments = function.blocks[back.from.index].terminator.successors[back.successor].arguments
            for (j, p) in header.parameters.enumerated() where function.type(of: p) == .int && j < backArguments.count {
                guard let step = Recomputation.constantStep(of: backArguments[j], from: p, definition: definition) else {
                    continue
                }
                inductionVariables[p] = InductionVariable(loop: l, start: entryArguments[j], step: step)
            }
        }
        shapeWitnesses = ShapeWitnesses.of(function, incomingEdges: incomingEdges)
    }

    /// `c` when `next` is `p + c`, `c + p` or `p - c` for an Int constant c.
    private static func constantStep(of next: ValueID, from p: ValueID, definition: (ValueID) -> Instruction?) -> Int? {
        guard let d = definition(next), [.add, .sub].contains(d.op), d.operands.count == 2 else { return nil }
        func constant(_ v: ValueID) -> Int? {
            guard let c = definition(v), c.op == .const, case .constant(.int(let n)) = c.payload else { return nil }
            return n
        }
        if d.operands[0] == p, let c = constant(d.operands[1]) { return d.op == .add ? c : -c }
        if d.op == .add, d.operands[1] == p, let c = constant(d.operands[0]) { return c }
        return nil
    }
}
