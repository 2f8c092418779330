// Transforms stage: local rewrites that fold constants and remove identities.
//
// Each rule is one line under its pattern. Rules never change a value: only
// rewrites that hold in IEEE arithmetic too are here (so `x * 0` is not folded:
// it is NaN for x = inf). A rewritten instruction's uses are redirected; the dead
// instruction is left for DeadCode.
//
//   (add x 0) => x          (add 0 x) => x          (sub x 0) => x
//   (mul x 1) => x          (mul 1 x) => x          (div x 1) => x
//   (neg (neg x)) => x
//   (pow x 1) => x          (pow x 2) => (mul x x)   correctly rounded both, so equal in IEEE too
//   (itor c) => c           an Int constant as a Real: `Double(100)` is written `100.0`
//   (extract #k (tuple x0 x1 ...)) => xk
//   (fit a like) => a       when a already has like's shape (also a loop-carried a: an adjoint
//                           accumulated around a loop keeps the shape it started with)
//   (fit (mul (fit h y) b) a) => (fit (mul h b) a)    h Real, y = a op b: the adjoint of sum(a * b)
//                           is h·b fitted to a, without h broadcast to y's shape first (also div)
//   (op c1 c2) => c         Int add/sub/mul and integer-valued Real add/sub/mul, without overflow
//
// Scalars before broadcasting, for op in add, sub, mul, div with a Real c and a value read once:
//   (op (fit h like) c) => (fit (op h c) like)     h Real: one Double operation, not a tensor's worth
//   (toreal (op t c)) => (op (toreal t) c)          t Tensor: no one-element tensor is made for the result
// (and the mirrored forms). Each element of a broadcast Real is that Real, and a Real operand keeps
// the tensor's shape, so the values, and the error of a tensor with more than one element, are the same.
import AdjointBasic
import AdjointIR

/// Folds constants and algebraic identities.
public enum Simplify: FunctionPass {
    public static let name = "simplify"
    /// The operations the scalar-before-broadcast rules move onto a Real.
    static let arithmetic: Set<Opcode> = [.add, .sub, .mul, .div]

    public static func run(on function: inout Function) {
        // Where each value is defined, and what replaces it: tables by value number (no hashing).
        var place = [(block: Int, index: Int)?](repeating: nil, count: function.valueTypes.count)
        for (b, block) in function.blocks.enumerated() {
            for (k, i) in block.instructions.enumerated() { if let r = i.result { place[r.index] = (b, k) } }
        }
        // The integral constants (Int, or Real p/1) and the rank-0 tensor literals' elements, by value number:
        // asked for at almost every instruction, so read from a table, not parsed from the payload each time.
        var integers = [Int?](repeating: nil, count: function.valueTypes.count)
        var scalarTensors = [ValueID?](repeating: nil, count: function.valueTypes.count)
        for block in function.blocks {
            for i in block.instructions {
                guard let r = i.result else { continue }
                if i.op == .const, case .constant(let c) = i.payload {
                    switch c {
                    case .int(let value): integers[r.index] = value
                    case .real(let n, "1"): integers[r.index] = Int(n)
                    default: break
                    }
                } else if i.op == .tensor, case .shape([]) = i.payload {
                    scalarTensors[r.index] = i.operands[0]
                }
            }
        }
        var replacement = [ValueID?](repeating: nil, count: function.valueTypes.count)
        var replaced = false
        var uses = [Int](repeating: 0, count: function.valueTypes.count)
        for block in function.blocks {
            for v in block.instructions.flatMap(\.operands) + block.terminator.operands { uses[v.index] += 1 }
        }
        /// Instructions made by the scalar-before-broadcast rules, by block: each goes before the
        /// instruction at its index (inserted once the walk is done).
        var inserted: [Int: [(before: Int, instruction: Instruction)]] = [:]
        func makeValue(_ type: ValueType) -> ValueID {
            let v = function.makeValue(type)
            place.append(nil)
            integers.append(nil)
            scalarTensors.append(nil)
            replacement.append(nil)
            uses.append(0)
            return v
        }
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = replacement[v.index] { v = next }
            return v
        }
        /// The instruction defining `v` as it is now (rewrites in place are seen at once).
        func definition(_ v: ValueID) -> Instruction? {
            place[v.index].map { function.blocks[$0.block].instructions[$0.index] }
        }
        func integer(_ v: ValueID) -> Int? {
            // A rank-0 tensor literal of a constant (reverse mode's shared zero) counts as that constant.
            if let element = scalarTensors[v.index] { return integer(resolve(element)) }
            return integers[v.index]
        }
        lazy var witnesses = ShapeWitnesses.of(function)  // only where a shape is asked for
        /// The value whose shape `v` is known to have (through fits, in-place-style updates and zeros_like,
        /// and around loops).
        func shapeSource(_ v: ValueID) -> ValueID {
            guard let d = definition(v) else { return witnesses[v].map { shapeSource(resolve($0)) } ?? v }
            switch d.op {
            case .fit, .reshapeas: return shapeSource(resolve(d.operands[1]))
            case .addat, .setindex, .setslice, .setselect, .addselect: return shapeSource(resolve(d.operands[0]))
            case .zeroslike, .oneslike: return shapeSource(resolve(d.operands[0]))
            default: return witnesses[v].map { shapeSource(resolve($0)) } ?? v
            }
        }
        typealias Operation = (op: Opcode, operands: [ValueID])
        /// The scalar-before-broadcast rules: the Real operation to do first, and the instruction's new form
        /// around its result.
        func scalarBeforeBroadcast(_ i: Instruction) -> (inner: Operation, outer: (ValueID) -> Operation)? {
            guard i.op == .toreal || arithmetic.contains(i.op), let r = i.result,
                  function.type(of: r) == .tensor || i.op == .toreal else { return nil }
            let x = i.operands
            if i.op == .toreal {
                // (toreal (op t c)) => (op (toreal t) c)
                guard let d = definition(x[0]), arithmetic.contains(d.op), uses[x[0].index] == 1 else { return nil }
                let operands = d.operands.map(resolve)
                guard let t = operands.firstIndex(where: { function.type(of: $0) == .tensor }),
                      function.type(of: operands[1 - t]) == .real else { return nil }
                return ((.toreal, [operands[t]]), { inner in
                    var outer = operands
                    outer[t] = inner
                    return (d.op, outer)
                })
            }
            // (op (fit h like) c) => (fit (op h c) like)
            guard arithmetic.contains(i.op), x.count == 2 else { return nil }
            for f in 0..<2 {
                guard let d = definition(x[f]), d.op == .fit, uses[x[f].index] == 1,
                      function.type(of: x[f]) == .tensor, function.type(of: d.operands[0]) == .real,
                      function.type(of: x[1 - f]) == .real else { continue }
                var operands = x
                operands[f] = resolve(d.operands[0])
                let like = resolve(d.operands[1])
                return ((i.op, operands), { inner in (.fit, [inner, like]) })
            }
            return nil
        }
        /// The adjoint of `a` in y = a op b (op `*` or `/`) where ȳ is a Real h broadcast to y's shape:
        /// fit(fit(h, like: y) op b, like: a) is fit(h op b, like: a). y's shape is the broadcast of a's and
        /// b's, so fitting h op b to a's shape broadcasts it up to y's and sums down just as the first form,
        /// element for element in the same order; the tensor of y's shape is never made. Returns where the
        /// product is and its new form.
        func headBeforeBroadcast(_ v: ValueID, like a: ValueID) -> (at: (block: Int, index: Int), product: Instruction)? {
            guard uses[v.index] == 1, let at = place[v.index], let product = definition(v), [.mul, .div].contains(product.op),
                  let head = definition(resolve(product.operands[0])), head.op == .fit,
                  function.type(of: head.operands[0]) == .real,
                  let y = definition(resolve(head.operands[1])), y.op.isBroadcastingBinary, y.operands.count == 2
            else { return nil }
            let b = resolve(product.operands[1]), operands = y.operands.map(resolve)
            guard function.type(of: b) == .tensor, let k = operands.firstIndex(of: b),
                  shapeSource(operands[1 - k]) == shapeSource(a) else { return nil }
            var rewritten = product
            rewritten.operands = [resolve(head.operands[0]), b]
            return (at, rewritten)
        }
        for b in function.blocks.indices {
            for k in function.blocks[b].instructions.indices {
                var instruction = function.blocks[b].instructions[k]
                if replaced, instruction.operands.contains(where: { replacement[$0.index] != nil }) {
                    instruction.operands = instruction.operands.map(resolve)
                    function.blocks[b].instructions[k] = instruction
                }
                guard let r = instruction.result else { continue }
                let x = instruction.operands
                let type = function.type(of: r)
                func same(_ v: ValueID) -> Bool { function.type(of: v) == type }
                var result: ValueID?
                switch instruction.op {
                case .add:
                    if integer(x[1]) == 0, same(x[0]) { result = x[0] }                                 // (add x 0) => x
                    else if integer(x[0]) == 0, same(x[1]) { result = x[1] }                            // (add 0 x) => x
                case .sub:
                    if integer(x[1]) == 0, same(x[0]) { result = x[0] }                                 // (sub x 0) => x
                case .mul:
                    if integer(x[1]) == 1, same(x[0]) { result = x[0] }                                 // (mul x 1) => x
                    else if integer(x[0]) == 1, same(x[1]) { result = x[1] }                            // (mul 1 x) => x
                case .div:
                    if integer(x[1]) == 1, same(x[0]) { result = x[0] }                                 // (div x 1) => x
                case .neg:
                    if let d = definition(x[0]), d.op == .neg { result = resolve(d.operands[0]) }      // (neg (neg x)) => x
                case .fit:
                    if same(x[0]), shapeSource(x[0]) == shapeSource(x[1]) { result = x[0] }             // (fit a like) => a
                    else if let (at, product) = headBeforeBroadcast(x[0], like: x[1]) {               // (fit (op (fit h y) b) a)
                        let old = function.blocks[at.block].instructions[at.index].operands[0]       //   => (fit (op h b) a)
                        uses[old.index] -= 1
                        uses[product.operands[0].index] += 1
                        function.blocks[at.block].instructions[at.index] = product
                    }
                case .pow:
                    if integer(x[1]) == 1, same(x[0]) { result = x[0] }                                 // (pow x 1) => x
                    else if integer(x[1]) == 2, same(x[0]) {                                            // (pow x 2) => (mul x x)
                        instruction.op = .mul
                        instruction.operands = [x[0], x[0]]
                        function.blocks[b].instructions[k] = instruction
                        continue  // `x` names the old operands; the next run of this pass folds a constant product
                    }
                case .zeroslike, .oneslike:
                    // (zeroslike (zeroslike x)) => (zeroslike x): the shape from where it comes, so the tensor in
                    // between can go (not through a fit, whose failure would go with it).
                    var source = x[0]
                    while let d = definition(source), [.zeroslike, .oneslike].contains(d.op) { source = resolve(d.operands[0]) }
                    if source != x[0], function.type(of: source) == .tensor {
                        uses[x[0].index] -= 1
                        uses[source.index] += 1
                        instruction.operands = [source]
                        function.blocks[b].instructions[k] = instruction
                        continue
                    }
                case .extract:
                    if let d = definition(x[0]), d.op == .tuple, case .index(let k) = instruction.payload,   // (extract #k (tuple ...)) => xk
                       k < d.operands.count, same(d.operands[k]) { result = resolve(d.operands[k]) }
                case .itor:
                    if let d = definition(x[0]), d.op == .const, case .constant(.int(let i)) = d.payload { // (itor c) => c
                        instruction.op = .const
                        instruction.operands = []
                        instruction.payload = .constant(.real(numerator: "\(i)", denominator: "1"))
                        function.blocks[b].instructions[k] = instruction
                        integers[r.index] = i
                        continue
                    }
                default:
                    break
                }
                if let result {
                    replacement[r.index] = result
                    replaced = true
                    continue
                }
                if let rewrite = scalarBeforeBroadcast(instruction) {
                    // The Real operation goes first, under a value of its own; this instruction becomes the outer one.
                    let inner = makeValue(.real)
                    inserted[b, default: []].append((k, Instruction(result: inner, op: rewrite.inner.op,
                                                                   operands: rewrite.inner.operands,
                                                                   location: instruction.location)))
                    uses[inner.index] = 1
                    (instruction.op, instruction.operands) = rewrite.outer(inner)
                    function.blocks[b].instructions[k] = instruction
                    continue
                }
                // (op c1 c2) => c
                if [.add, .sub, .mul].contains(instruction.op), let a = integer(x[0]), let c = integer(x[1]),
                   type == .int || type == .real {
                    let (value, overflow): (Int, Bool)
                    switch instruction.op {
                    case .add: (value, overflow) = a.addingReportingOverflow(c)
                    case .sub: (value, overflow) = a.subtractingReportingOverflow(c)
                    default: (value, overflow) = a.multipliedReportingOverflow(by: c)
                    }
                    guard !overflow else { continue }
                    instruction.op = .const
                    instruction.operands = []
                    instruction.payload = .constant(type == .int ? .int(value) : .real(numerator: "\(value)", denominator: "1"))
                    function.blocks[b].instructions[k] = instruction
                    integers[r.index] = value
                }
            }
        }
        for (b, additions) in inserted {
            var instructions: [Instruction] = []
            var next = 0
            for (k, instruction) in function.blocks[b].instructions.enumerated() {
                while next < additions.count, additions[next].before == k {
                    instructions.append(additions[next].instruction)
                    next += 1
                }
                instructions.append(instruction)
            }
            function.blocks[b].instructions = instructions
        }
        // Uses in blocks placed before the definitions they read (loop bodies after their headers) are
        // redirected here, once every replacement is known.
        guard replaced else { return }
        for b in function.blocks.indices {
            for k in function.blocks[b].instructions.indices
            where function.blocks[b].instructions[k].operands.contains(where: { replacement[$0.index] != nil }) {
                function.blocks[b].instructions[k].operands = function.blocks[b].instructions[k].operands.map(resolve)
            }
            function.blocks[b].terminator = function.blocks[b].terminator.mappingOperands(resolve)
        }
    }
}
