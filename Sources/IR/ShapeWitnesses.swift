// IR stage, analysis: which Tensor values have the same shape as another on every run.
//
// An update (`addat`, `setindex`, ...), a `zeroslike`, an elementwise operation or a broadcast
// with a Real keeps its operand's shape; a loop-carried tensor keeps the shape of what enters
// the loop when every back edge passes such an update of it. Reverse mode reads the shape of
// an adjoint from its witness instead of recording it; `Simplify` drops a `fit` of a tensor to
// its witness; the Swift emitter skips the bounds check of an element add at an index that a
// read of the witness already checked.

/// For each Tensor value whose shape is always another value's, that value (the witness).
public enum ShapeWitnesses {
    /// The operand whose shape an operation's Tensor result always has, if any. A broadcasting binary
    /// operation of a Tensor and a Real has the Tensor's shape (a Real broadcasts to any shape unchanged).
    public static func shapeKeepingOperand(_ instruction: Instruction, in function: Function) -> ValueID? {
        switch instruction.op {
        case .addat, .setindex, .setslice, .setselect, .addselect, .zeroslike, .oneslike, .neg:
            return instruction.operands[0]
        case .fit, .reshapeas:
            return instruction.operands[1]
        case _ where instruction.op.isBroadcastingBinary && instruction.operands.count == 2:
            let (a, b) = (function.type(of: instruction.operands[0]), function.type(of: instruction.operands[1]))
            if a == .tensor && b == .real { return instruction.operands[0] }
            if a == .real && b == .tensor { return instruction.operands[1] }
            return nil
        default:
            return instruction.op.isElementwiseUnary ? instruction.operands[0] : nil
        }
    }

    /// Shape witnesses by an optimistic fixpoint: a block parameter whose incoming arguments all have one
    /// witness has that witness too (around a loop, the back edge's argument is the parameter updated).
    public static func of(_ function: Function, incomingEdges: [[IncomingEdge]]) -> [ValueID: ValueID] {
        // A function without tensors (scalar code) has nothing to witness.
        guard function.valueTypes.contains(.tensor) else { return [:] }
        enum Fact: Equatable { case unknown, witness(ValueID) }
        var fact = ValueTable<Fact>(count: function.valueTypes.count)
        func known(_ v: ValueID) -> Fact { fact[v] ?? .witness(v) }
        // Optimistic start: every parameter and every shape-keeping result is unknown until its inputs say.
        for block in function.blocks {
            if block.id.index != 0 {
                for p in block.parameters where function.type(of: p) == .tensor { fact[p] = .unknown }
            }
            for instruction in block.instructions {
                if let r = instruction.result, function.type(of: r) == .tensor,
                   let operand = shapeKeepingOperand(instruction, in: function), function.type(of: operand) == .tensor {
                    fact[r] = .unknown
                }
            }
        }
        var changed = true
        while changed {
            changed = false
            for block in function.blocks {
                if block.id.index != 0 {
                    for (j, p) in block.parameters.enumerated() where function.type(of: p) == .tensor
                        && known(p) != .witness(p) {
                        // A parameter's fact only rises: unknown, one witness, itself (two witnesses met).
                        var merged = Fact.unknown
                        for edge in incomingEdges[block.id.index] {
                            let argument = function.blocks[edge.from.index].terminator.successors[edge.successor].arguments[j]
                            let incoming = known(argument)
                            guard incoming != .unknown, incoming != .witness(p) else { continue }
                            merged = merged == .unknown || merged == incoming ? incoming : .witness(p)
                        }
                        if merged != known(p) {
                            fact[p] = known(p) == .unknown ? merged : .witness(p)
                            changed = true
                        }
                    }
                }
                for instruction in block.instructions {
                    guard let r = instruction.result, function.type(of: r) == .tensor,
                          let operand = shapeKeepingOperand(instruction, in: function),
                          function.type(of: operand) == .tensor else { continue }
                    let new = known(operand)
                    if new != known(r) {
                        fact[r] = new
                        changed = true
                    }
                }
            }
        }
        var witnesses: [ValueID: ValueID] = [:]
        for index in function.valueTypes.indices {
            let v = ValueID(index)
            if case .witness(let w)? = fact[v], w != v { witnesses[v] = w }
        }
        return witnesses
    }

    /// Shape witnesses of a function on its own.
    public static func of(_ function: Function) -> [ValueID: ValueID] {
        of(function, incomingEdges: function.incomingEdges())
    }
}
