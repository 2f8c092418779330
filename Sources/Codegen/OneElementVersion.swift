// Codegen stage: a second version of a function for a one-element tensor, on Doubles.
//
// The chapter's `while norm(b) < 1000 { b = b * 2 }` runs on a tensor of one
// element, and each `b * 2` makes a tensor: an allocation to do one multiply. When
// a function's only Tensor parameter holds one element and every tensor it makes
// comes from that parameter by elementwise arithmetic with Reals (so has the
// parameter's shape), the same computation runs on that element as a Double. The
// generated function starts with `if a.count == 1 { return fOneElement(...) }`, and
// the version below it builds a tensor only for what it returns: `fit(r, like: a)`,
// the value in the parameter's shape.
//
// Each operation is rewritten to the exact Double arithmetic the tensor runtime does
// for one element, so both versions give the same bits: `sum` is `0.0 + x` (the
// runtime sums from zero, and `0.0 + -0.0` is `+0.0`), `norm` is `sqrt(0.0 + x * x)`,
// `mean` divides that sum by 1, the mask of `max`'s adjoint is `(x ≥ v)·(v ≥ x)`. Generated Swift only: the IR, the interpreter and
// the exact engine never see this version.
import AdjointBasic
import AdjointIR

enum OneElementVersion {
    /// The spelling of the version's name in the IR: the function's name with this suffix.
    static let suffix = ".oneElement"

    /// The function a version is of (its name spells it), or nil when `function` is no version.
    static func base(of function: Function) -> String? {
        guard function.role == .synthesized, function.name.hasSuffix(suffix) else { return nil }
        return String(function.name.dropLast(suffix.count))
    }

    /// The module with each qualifying function's version after all the others (so the source's functions
    /// keep their Swift names: a version never takes `gOneElement` from a function the program named so), and
    /// by function name, the version's name and the Tensor parameter whose count picks it.
    static func adding(to module: Module) -> (Module, [String: (version: String, tensorParameter: Int)]) {
        var functions = module.functions
        var versions: [String: (version: String, tensorParameter: Int)] = [:]
        for function in module.functions {
            if let (version, k) = make(function) {
                functions.append(version)
                versions[function.name] = (version.name, k)
            }
        }
        return (Module(functions: functions), versions)
    }

    /// The version of `function` on the element of its Tensor parameter, and that parameter's index; nil when
    /// the function does not qualify (several or no Tensor parameters, a tensor that could have another shape,
    /// a call, a tape, or no tensor made at all, so nothing to save).
    static func make(_ function: Function) -> (version: Function, tensorParameter: Int)? {
        let tensorParameters = function.parameterTypes.indices.filter { function.parameterTypes[$0] == .tensor }
        guard tensorParameters.count == 1, let k = tensorParameters.first else { return nil }
        var makesTensor = false
        for block in function.blocks {
            for instruction in block.instructions {
                guard isSupported(instruction, in: function) else { return nil }
                if let result = instruction.result, function.type(of: result) == .tensor { makesTensor = true }
            }
        }
        guard makesTensor else { return nil }
        return (rewrite(function, tensorParameter: k), k)
    }

    /// Whether the instruction keeps every tensor in the parameter's shape and has a one-element form.
    private static func isSupported(_ instruction: Instruction, in function: Function) -> Bool {
        let touchesTensor = instruction.operands.contains { function.type(of: $0).containsTensor }
            || instruction.result.map { function.type(of: $0).containsTensor } == true
        switch instruction.op {
        case .add, .sub, .mul, .div, .pow, .neg, .maximum, .minimum, .stepge,
             .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor,
             .eq, .ne, .sum, .mean, .prod, .max, .min, .norm, .toreal, .fit, .reshapeas, .zeroslike, .oneslike,
             .size, .tuple, .extract, .firsteq, .prodothers:
            return true
        case .const, .lt, .le, .gt, .ge, .rem, .not, .itor, .ftoi, .print:
            return !touchesTensor
        default:
            // Calls, tapes and the training mode (the call's tapes hold it), indexing, `dot` (a rank-0 result),
            // construction: another shape, or more than this function.
            return false
        }
    }

    /// The function with every tensor value a Real (its element), returning tensors in the parameter's shape.
    private static func rewrite(_ function: Function, tensorParameter k: Int) -> Function {
        var f = function
        f.name = function.name + suffix
        f.role = .synthesized
        f.differentiableParameters = nil
        f.customDerivative = nil
        f.valueTypes = function.valueTypes.map { $0.replacingTensor(by: .real) }
        // The parameter stays a Tensor; its element takes its value number, so every use reads the element.
        let element = function.parameters[k]
        let parameter = f.makeValue(.tensor)
        f.blocks[0].parameters[k] = parameter
        f.valueNames[element.index] = function.parameterNames[k] + "Element"
        var aliases: [ValueID: ValueID] = [:]
        func real(_ literal: String, at location: SourceLocation) -> (Instruction, ValueID) {
            let value = f.makeValue(.real)
            return (Instruction(result: value, op: .const, operands: [],
                                payload: .constant(.real(numerator: literal, denominator: "1")), location: location), value)
        }
        for b in f.blocks.indices {
            var out: [Instruction] = []
            if b == 0 {
                out.append(Instruction(result: element, op: .toreal, operands: [parameter], location: function.location))
            }
            for instruction in f.blocks[b].instructions {
                let x = instruction.operands.first
                let wasTensor = x.map { function.type(of: $0) == .tensor } ?? false
                var rewritten = instruction
                // `s = 0.0 + x`: the runtime's sum of one element, from zero.
                func sumFromZero(_ operand: ValueID, into result: ValueID) {
                    let (zero, z) = real("0", at: instruction.location)
                    out.append(zero)
                    out.append(Instruction(result: result, op: .add, operands: [z, operand], location: instruction.location))
                }
                switch instruction.op {
                case .sum where wasTensor:
                    sumFromZero(x!, into: instruction.result!)
                    continue
                case .mean where wasTensor:
                    let s = f.makeValue(.real)
                    sumFromZero(x!, into: s)
                    let (one, o) = real("1", at: instruction.location)
                    out.append(one)
                    rewritten = Instruction(result: instruction.result, op: .div, operands: [s, o], location: instruction.location)
                case .prod where wasTensor:
                    let (one, o) = real("1", at: instruction.location)
                    out.append(one)
                    rewritten = Instruction(result: instruction.result, op: .mul, operands: [o, x!], location: instruction.location)
                case .norm where wasTensor:
                    let square = f.makeValue(.real), s = f.makeValue(.real)
                    out.append(Instruction(result: square, op: .mul, operands: [x!, x!], location: instruction.location))
                    sumFromZero(square, into: s)
                    rewritten = Instruction(result: instruction.result, op: .sqrt, operands: [s], location: instruction.location)
                case .fit where wasTensor && function.type(of: instruction.operands[1]) == .real:
                    // A tensor adjoint summed down to a Real.
                    sumFromZero(x!, into: instruction.result!)
                    continue
                case .max where wasTensor, .min where wasTensor, .toreal, .fit, .reshapeas:
                    // One element is its own largest, its own Real, and already in the shape of the other.
                    aliases[instruction.result!] = x!
                    continue
                case .zeroslike, .oneslike:
                    let (constant, c) = real(instruction.op == .zeroslike ? "0" : "1", at: instruction.location)
                    out.append(constant)
                    aliases[instruction.result!] = c
                    continue
                case .firsteq:
                    // The mask of the first element equal to v: 1 where x == v (x ≥ v and v ≥ x; NaN gives 0).
                    let v = instruction.operands[1]
                    let up = f.makeValue(.real), down = f.makeValue(.real)
                    out.append(Instruction(result: up, op: .stepge, operands: [x!, v], location: instruction.location))
                    out.append(Instruction(result: down, op: .stepge, operands: [v, x!], location: instruction.location))
                    rewritten = Instruction(result: instruction.result, op: .mul, operands: [up, down], location: instruction.location)
                case .prodothers:
                    // The product of no other elements.
                    let (one, o) = real("1", at: instruction.location)
                    out.append(one)
                    aliases[instruction.result!] = o
                    continue
                case .size:
                    rewritten = Instruction(result: instruction.result, op: .const, operands: [],
                                            payload: .constant(.int(1)), location: instruction.location)
                default:
                    break
                }
                out.append(rewritten)
            }
            // What the function returns keeps its type: each tensor in it is made in the parameter's shape.
            if case .ret(let value?) = f.blocks[b].terminator, function.type(of: value).containsTensor {
                let location = f.blocks[b].terminatorLocation
                func restore(_ value: ValueID, _ type: ValueType) -> ValueID {
                    switch type {
                    case .tensor:
                        let t = f.makeValue(.tensor)
                        out.append(Instruction(result: t, op: .fit, operands: [value, parameter], location: location))
                        return t
                    case .tuple(let types) where type.containsTensor:
                        let parts = types.enumerated().map { i, partType -> ValueID in
                            let part = f.makeValue(partType.replacingTensor(by: .real))
                            out.append(Instruction(result: part, op: .extract, operands: [value], payload: .index(i),
                                                   location: location))
                            return restore(part, partType)
                        }
                        let tuple = f.makeValue(type)
                        out.append(Instruction(result: tuple, op: .tuple, operands: parts, location: location))
                        return tuple
                    default:
                        return value
                    }
                }
                f.blocks[b].terminator = .ret(restore(value, function.type(of: value)))
            }
            f.blocks[b].instructions = out
        }
        return substituting(aliases, in: f)
    }

    /// Every read of a value in `aliases` reads what it stands for instead.
    private static func substituting(_ aliases: [ValueID: ValueID], in function: Function) -> Function {
        guard !aliases.isEmpty else { return function }
        func resolve(_ v: ValueID) -> ValueID {
            var v = v
            while let next = aliases[v] { v = next }
            return v
        }
        func target(_ t: BranchTarget) -> BranchTarget { BranchTarget(t.block, t.arguments.map(resolve)) }
        var f = function
        for b in f.blocks.indices {
            for i in f.blocks[b].instructions.indices {
                f.blocks[b].instructions[i].operands = f.blocks[b].instructions[i].operands.map(resolve)
            }
            switch f.blocks[b].terminator {
            case .branch(let t): f.blocks[b].terminator = .branch(target(t))
            case .condBranch(let c, let t, let e):
                f.blocks[b].terminator = .condBranch(condition: resolve(c), then: target(t), else: target(e))
            case .ret(let v): f.blocks[b].terminator = .ret(v.map(resolve))
            }
        }
        return f
    }
}

extension ValueType {
    /// Whether a value of this type holds a tensor (is one, or is a tuple with one).
    var containsTensor: Bool {
        switch self {
        case .tensor: return true
        case .tuple(let parts): return parts.contains { $0.containsTensor }
        default: return false
        }
    }

    /// This type with every Tensor in it replaced by `type`.
    func replacingTensor(by type: ValueType) -> ValueType {
        switch self {
        case .tensor: return type
        case .tuple(let parts): return .tuple(parts.map { $0.replacingTensor(by: type) })
        default: return self
        }
    }
}
