// Transforms stage: adjoints in a loop as one multiply by a coefficient (statement-level preaccumulation).
//
// An adjoint is linear in the adjoints it comes from. Built one use at a time, the
// adjoint of `x = r * x * (1 - x)` comes out as `-(x̄ * (r * x)) + (x̄ * (1 - x)) * r`:
// three operations deep on x̄, and x̄ is what the reverse loop carries, so every
// iteration waits for all three. Written as a person does, `x̄ * (r * (1 - x) - r * x)`,
// the coefficient depends on primal values only and is computed beside the chain,
// which is one multiply deep (Tapenade preaccumulates each statement's partials the
// same way).
//
// In each block inside a loop of a reverse sweep, every Real value the heads reach
// through `+ - neg`, multiplication and division by a value they do not reach is
// rewritten, where something other than such arithmetic in its block reads it, as
// `Σ leaf · coefficient`: the leaves are the head-reached values it is built from
// (block parameters, values of other blocks, results of other operations), each
// coefficient is built from the values it was multiplied and divided by. This
// changes the rounding of the adjoint, never its exact value: the exact engine and
// the interpreter run the same IR, so they still agree with the compiled Swift.
import AdjointBasic
import AdjointIR

enum AdjointFactoring {
    /// A leaf's coefficient: a value (nil for one), negated or not.
    private struct Coefficient {
        var value: ValueID?
        var negative: Bool
    }

    /// The most leaves one adjoint is written over; beyond, it stays as built.
    static let maximumLeaves = 8

    /// Rewrites the reverse sweep `function`, whose head parameters are `heads`; whether it had a loop to rewrite.
    @discardableResult
    static func run(on function: inout Function, heads: [ValueID]) -> Bool {
        let loops = Loops(function)
        guard !loops.inAnyLoop.isEmpty else { return false }
        let reached = headReached(function, heads: heads)
        // Who reads each value: the linear arithmetic of its own block, or anything else.
        var readByOther = [Bool](repeating: false, count: function.valueTypes.count)
        var definingBlock = [Int](repeating: -1, count: function.valueTypes.count)
        for (b, block) in function.blocks.enumerated() {
            for instruction in block.instructions { if let r = instruction.result { definingBlock[r.index] = b } }
        }
        for (b, block) in function.blocks.enumerated() {
            for instruction in block.instructions {
                let linear = isLinear(instruction, in: function, reached: reached)
                for operand in instruction.operands where !linear || definingBlock[operand.index] != b {
                    readByOther[operand.index] = true
                }
            }
            for operand in block.terminator.operands { readByOther[operand.index] = true }
        }
        for b in function.blocks.indices where loops.inAnyLoop.contains(b) {
            rewrite(block: b, of: &function, reached: reached, readByOther: readByOther)
        }
        return true
    }

    /// The values the heads reach through any operation and block argument.
    private static func headReached(_ function: Function, heads: [ValueID]) -> [Bool] {
        var reached = [Bool](repeating: false, count: function.valueTypes.count)
        for h in heads { reached[h.index] = true }
        var changed = true
        while changed {
            changed = false
            for block in function.blocks {
                for instruction in block.instructions {
                    guard let r = instruction.result, !reached[r.index],
                          instruction.operands.contains(where: { reached[$0.index] }) else { continue }
                    reached[r.index] = true
                    changed = true
                }
                for target in block.terminator.successors {
                    let parameters = function.blocks[target.block.index].parameters
                    for (p, a) in zip(parameters, target.arguments) where reached[a.index] && !reached[p.index] {
                        reached[p.index] = true
                        changed = true
                    }
                }
            }
        }
        return reached
    }

    /// Whether the instruction is a Real linear in the head-reached operands it has (and has one).
    private static func isLinear(_ instruction: Instruction, in function: Function, reached: [Bool]) -> Bool {
        guard let r = instruction.result, function.type(of: r) == .real, reached[r.index] else { return false }
        let x = instruction.operands
        guard x.allSatisfy({ function.type(of: $0) == .real }) else { return false }
        switch instruction.op {
        case .add, .sub: return reached[x[0].index] && reached[x[1].index]
        case .neg: return true
        case .mul: return reached[x[0].index] != reached[x[1].index]
        case .div: return reached[x[0].index] && !reached[x[1].index]
        case .fit: return reached[x[0].index]
        default: return false
        }
    }

    private static func rewrite(block b: Int, of function: inout Function, reached: [Bool], readByOther: [Bool]) {
        var out: [Instruction] = []
        // Each linear value of the block over its leaves, in the order the leaves were met.
        var combination: [ValueID: [(leaf: ValueID, coefficient: Coefficient)]] = [:]
        var constants: [String: ValueID] = [:]
        func emit(_ op: Opcode, _ operands: [ValueID], at location: SourceLocation) -> ValueID {
            let v = function.makeValue(.real)
            out.append(Instruction(result: v, op: op, operands: operands, location: location))
            return v
        }
        func constant(_ literal: String) -> ValueID {
            if let c = constants[literal] { return c }
            let v = function.makeValue(.real)
            out.append(Instruction(result: v, op: .const, operands: [],
                                   payload: .constant(.real(numerator: literal, denominator: "1")), location: .unknown))
            constants[literal] = v
            return v
        }
        func terms(_ v: ValueID) -> [(leaf: ValueID, coefficient: Coefficient)] {
            combination[v] ?? [(v, Coefficient(value: nil, negative: false))]
        }
        /// The coefficient as a value with its sign in it.
        func signed(_ c: Coefficient, at location: SourceLocation) -> ValueID {
            let magnitude = c.value ?? constant("1")
            return c.negative ? emit(.neg, [magnitude], at: location) : magnitude
        }
        func sum(_ a: [(leaf: ValueID, coefficient: Coefficient)], _ b: [(leaf: ValueID, coefficient: Coefficient)],
                 at location: SourceLocation) -> [(leaf: ValueID, coefficient: Coefficient)] {
            var result = a
            for (leaf, c) in b {
                if let k = result.firstIndex(where: { $0.leaf == leaf }) {
                    let d = result[k].coefficient
                    let value: ValueID
                    if d.negative == c.negative {
                        value = emit(.add, [d.value ?? constant("1"), c.value ?? constant("1")], at: location)
                    } else {
                        // -p + q, or p + -q: q - p, or p - q.
                        let (p, q) = d.negative ? (d, c) : (c, d)
                        value = emit(.sub, [q.value ?? constant("1"), p.value ?? constant("1")], at: location)
                        result[k].coefficient = Coefficient(value: value, negative: false)
                        continue
                    }
                    result[k].coefficient = Coefficient(value: value, negative: d.negative)
                } else {
                    result.append((leaf, c))
                }
            }
            return result
        }
        for instruction in function.blocks[b].instructions {
            guard isLinear(instruction, in: function, reached: reached), let r = instruction.result else {
                out.append(instruction)
                continue
            }
            let x = instruction.operands, at = instruction.location
            var combined: [(leaf: ValueID, coefficient: Coefficient)]
            switch instruction.op {
            case .add: combined = sum(terms(x[0]), terms(x[1]), at: at)
            case .sub: combined = sum(terms(x[0]), terms(x[1]).map { ($0.leaf, Coefficient(value: $0.coefficient.value,
                                                                                        negative: !$0.coefficient.negative)) }, at: at)
            case .neg: combined = terms(x[0]).map { ($0.leaf, Coefficient(value: $0.coefficient.value, negative: !$0.coefficient.negative)) }
            case .mul, .div:
                let (adjoint, factor) = reached[x[0].index] ? (x[0], x[1]) : (x[1], x[0])
                combined = terms(adjoint).map { leaf, c in
                    let value: ValueID
                    if instruction.op == .div {
                        value = emit(.div, [c.value ?? constant("1"), factor], at: at)
                    } else {
                        value = c.value.map { emit(.mul, [$0, factor], at: at) } ?? factor
                    }
                    return (leaf, Coefficient(value: value, negative: c.negative))
                }
            default:
                combined = terms(x[0])  // fit of a Real to a Real: itself
            }
            guard combined.count <= maximumLeaves else {
                out.append(instruction)
                continue
            }
            combination[r] = combined
            guard readByOther[r.index] else {
                out.append(instruction)  // read only by the arithmetic above it, which no longer needs it
                continue
            }
            // Σ leaf · coefficient, positive terms first, into the value's own number.
            let ordered = combined.filter { !$0.coefficient.negative } + combined.filter { $0.coefficient.negative }
            var total: ValueID? = nil
            for (k, (leaf, c)) in ordered.enumerated() {
                let last = k == ordered.count - 1
                /// The instruction into the value's own number when it is the last, else into a new value.
                func finish(_ op: Opcode, _ operands: [ValueID]) {
                    if last {
                        out.append(Instruction(result: r, op: op, operands: operands, location: at))
                    } else {
                        total = emit(op, operands, at: at)
                    }
                }
                if total == nil, !c.negative {
                    if let coefficient = c.value {
                        finish(.mul, [leaf, coefficient])
                    } else if last {
                        finish(.fit, [leaf, leaf])  // the leaf itself (a fit of a Real to a Real, which Simplify drops)
                    } else {
                        total = leaf
                    }
                    continue
                }
                let term = c.value.map { emit(.mul, [leaf, $0], at: at) } ?? leaf
                if let sum = total {
                    finish(c.negative ? .sub : .add, [sum, term])
                } else {
                    finish(.neg, [term])  // every term negative: the first one negated
                }
            }
        }
        function.blocks[b].instructions = out
    }
}
