// Codegen stage: the Swift spelling of every IR operation (the op table's Swift column).
//
// Reals are Doubles and use Swift's operators and Foundation's functions; the
// runtime overloads the same names for Tensor, so `exp(x)` and `a * 2` read the same
// either way. Operations that can fail at run time take `at: Site(...)`, the `.adj`
// location their error names.
import AdjointBasic
import AdjointIR

extension SwiftFunctionEmitter {
    /// The Swift type of an IR type (a one-element tuple is its element).
    static func swiftType(_ type: ValueType) -> String {
        switch type {
        case .real: return "Double"
        case .int: return "Int"
        case .bool: return "Bool"
        case .tensor: return "Tensor"
        case .void: return "Void"
        case .tuple(let elements):
            return elements.count == 1 ? swiftType(elements[0]) : "(" + elements.map(swiftType).joined(separator: ", ") + ")"
        }
    }

    /// A Swift literal for an exact constant: the shortest Double text that reads back as the nearest Double.
    static func literal(_ constant: Constant) -> String {
        switch constant {
        case .int(let i): return "\(i)"
        case .bool(let b): return "\(b)"
        case .real(let n, let d):
            if let text = DecimalDigits.decimalText(numerator: n, denominator: d), let value = Double(text) {
                return value.description
            }
            return "(\(n).0 / \(d).0)"
        }
    }

    /// The Swift expression an instruction computes, or nil for instructions that are statements.
    /// `operands` spell the instruction's operands (a name, a literal, or `consume name`).
    func expression(_ instruction: Instruction, operands spelled: [String]) -> String? {
        let t = instruction.operands.map { function.type(of: $0) }
        // Literals alone leave an operator's type open, and Foundation's NSNumber and Decimal overloads make
        // `0.75 < 1.0` ambiguous to swiftc 6.3: the first operand's type is pinned.
        var x = spelled
        if instruction.operands.count >= 2, instruction.operands.allSatisfy(isLiteral), t[0] != .bool {
            x[0] = "(\(x[0]) as \(SwiftFunctionEmitter.swiftType(t[0])))"
        }
        let site = "at: \(siteText(instruction.location))"
        let bothTensors = t.count >= 2 && t[0] == .tensor && t[1] == .tensor
        func binary(_ symbol: String) -> String {
            bothTensors ? "elementwise(\(x[0]), \(x[1]), \(site)) { $0 \(symbol) $1 }" : "\(x[0]) \(symbol) \(x[1])"
        }
        func call(_ f: String) -> String {
            bothTensors ? "\(f)(\(x[0]), \(x[1]), \(site))" : "\(f)(\(x[0]), \(x[1]))"
        }
        func list(_ values: ArraySlice<String>) -> String { "[" + values.joined(separator: ", ") + "]" }
        switch instruction.op {
        case .const:
            guard case .constant(let c) = instruction.payload else { return nil }
            return SwiftFunctionEmitter.literal(c)
        case .add: return binary("+")
        case .sub: return binary("-")
        case .mul: return binary("*")
        case .div: return binary("/")
        case .rem: return "\(x[0]) % \(x[1])"
        case .pow: return call("pow")
        case .neg: return x[0].hasPrefix("-") ? "-(\(x[0]))" : "-\(x[0])"  // `--1.0` is no Swift
        case .not: return "!\(x[0])"
        case .eq: return "\(x[0]) == \(x[1])"
        case .ne: return "\(x[0]) != \(x[1])"
        case .lt: return "\(x[0]) < \(x[1])"
        case .le: return "\(x[0]) <= \(x[1])"
        case .gt: return "\(x[0]) > \(x[1])"
        case .ge: return "\(x[0]) >= \(x[1])"
        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
            return "\(instruction.op.spelling)(\(x[0]))"
        case .maximum, .minimum: return call(instruction.op.spelling)
        case .stepge: return call("stepGE")
        case .sum, .mean, .prod, .norm: return "\(x[0]).\(instruction.op.spelling)()"
        case .max, .min: return "\(x[0]).\(instruction.op.spelling)(\(site))"
        case .sumaxis: return "\(x[0]).sum(axis: \(x[1]), \(site))"
        case .meanaxis: return "\(x[0]).mean(axis: \(x[1]), \(site))"
        case .dot: return "dot(\(x[0]), \(x[1]), \(site))"
        case .transpose: return "\(x[0]).transposed()"
        case .reshape: return "\(x[0]).reshaped(\(list(x.dropFirst())), \(site))"
        case .size: return "\(x[0]).count"
        case .dim: return "\(x[0]).dim(\(x[1]), \(site))"
        case .index:
            let quoting = subscriptText(instruction).map { ", quoting: \($0)" } ?? ""
            if x.count == 2, let read = readSpans[instruction.operands[0]] {
                return "\(read.span).element(\(x[1]), rank: \(read.rank), \(site)\(quoting))"
            }
            return x.count <= 3 ? "\(x[0]).element(\(x.dropFirst().joined(separator: ", ")), \(site)\(quoting))"
                                : "\(x[0]).element(\(list(x.dropFirst())), \(site)\(quoting))"
        case .select:
            return "\(x[0]).selecting(\(selectionArguments(instruction, indices: x.dropFirst())), \(site))"
        case .setselect:
            return "\(x[0]).settingSelection(\(selectionArguments(instruction, indices: x.dropFirst(2))), to: \(x[1]), \(site))"
        case .addselect:
            return "\(x[0]).addingToSelection(\(selectionArguments(instruction, indices: x.dropFirst(2))), \(x[1]), \(site))"
        case .slice: return "\(x[0]).slice(\(x[1]), \(x[2]), \(site))"
        case .setindex: return "\(x[0]).setting(\(list(x.dropFirst(2))), to: \(x[1]), \(site))"
        case .setslice: return "\(x[0]).settingSlice(\(x[2]), \(x[3]), to: \(x[1]), \(site))"
        case .subtensor: return "\(x[0]).block(\(list(x.dropFirst())), \(site))"
        case .addat: return "\(x[0]).adding(\(x[1]), at: \(list(x.dropFirst(2))), site: \(siteText(instruction.location)))"
        case .tensor:
            guard case .shape(let shape) = instruction.payload else { return nil }
            if shape.count == 1 { return "Tensor(\(list(x[...])))" }
            return "Tensor.literal(\(shape), \(list(x[...])))"
        case .arange: return "Tensor.arange(\(x[0]), \(site))"
        case .zeros, .ones: return "Tensor.\(instruction.op.spelling)(\(list(x[...])), \(site))"
        case .full: return "Tensor.full(\(x[0]), \(list(x.dropFirst())), \(site))"
        case .zeroslike: return "Tensor.zeros(like: \(x[0]))"
        case .oneslike: return "Tensor.ones(like: \(x[0]))"
        case .randnormal: return "Tensor.randomNormal(\(list(x[...])), \(site))"
        case .randuniform: return "Tensor.randomUniform(\(list(x[...])), \(site))"
        case .itor: return "Double(\(x[0]))"
        case .ftoi: return "int(\(x[0]), \(site))"
        case .toreal: return "toReal(\(x[0]), \(site))"
        case .istraining: return "tapes.isTraining"
        case .fit:
            if t[0] == .real && t[1] == .real { return x[0] }
            return bothTensors ? "fit(\(x[0]), like: \(x[1]), \(site))" : "fit(\(x[0]), like: \(x[1]))"
        case .firsteq: return "firstEqualMask(\(x[0]), \(x[1]))"
        case .prodothers: return "productOfOthers(\(x[0]))"
        case .expanddims: return "\(x[0]).expandingDimensions(\(x[1]), \(site))"
        case .dotadja: return "dotAdjointA(\(x[0]), \(x[1]), \(x[2]), \(site))"
        case .dotadjb: return "dotAdjointB(\(x[0]), \(x[1]), \(x[2]), \(site))"
        case .reshapeas: return "\(x[0]).reshaped(like: \(x[1]), \(site))"
        case .sameshape: return "\(x[0]).hasShape(of: \(x[1]), rank: \(x[2]))"
        case .tuple: return x.count == 1 ? x[0] : "(" + x.joined(separator: ", ") + ")"
        case .extract:
            guard case .index(let i) = instruction.payload else { return nil }
            if case .tuple(let elements) = t[0], elements.count == 1 { return x[0] }
            return "\(x[0]).\(i)"
        case .pop:
            guard case .tape(let tape) = instruction.payload else { return nil }
            return byteTapes.contains(tape) ? "Int(\(tapeName(tape)).pop())" : "\(tapeName(tape)).pop()"
        case .call:
            guard case .callee(let callee) = instruction.payload else { return nil }
            let labels = module.function(named: callee)?.parameterNames ?? []
            var args = zip(labels, x).map { "\(SwiftFunctionEmitter.label($0)): \($1)" }
            if tapeUsers.contains(callee) { args.append("tapes: tapes") }
            return "\(naming.function(callee))(\(args.joined(separator: ", ")))"
        case .settraining, .print, .push, .grad:
            return nil
        }
    }

    /// The runtime's `SubscriptText` for a subscript written in the source, which rank errors quote: the file's
    /// constant for it where there is one.
    func subscriptText(_ instruction: Instruction) -> String? {
        guard case .subscripted(let s) = instruction.payload else { return nil }
        if let constant = subscriptNames[s] { return constant }
        return Self.subscriptText(s)
    }

    /// `SubscriptText(base, [positions])` for `s`.
    static func subscriptText(_ s: Subscript) -> String {
        let positions = s.positions.map(SwiftFunctionEmitter.stringLiteral).joined(separator: ", ")
        return "SubscriptText(\(SwiftFunctionEmitter.stringLiteral(s.base)), [\(positions)])"
    }

    /// `mask, [indices], SubscriptText(...)`: which axes a `select`-family op indexes, its Int operands
    /// and its spelling (an autoclosure in the runtime, built only when the rank is wrong).
    func selectionArguments(_ instruction: Instruction, indices: ArraySlice<String>) -> String {
        guard case .subscripted(let s) = instruction.payload else { preconditionFailure("a selection without its subscript") }
        let mask = "[" + s.indexesAxis.map { $0 ? "true" : "false" }.joined(separator: ", ") + "]"
        return "\(mask), [\(indices.joined(separator: ", "))], \(subscriptText(instruction)!)"
    }

    /// A parameter name usable as a Swift argument label.
    static func label(_ name: String) -> String {
        name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !name.isEmpty ? name : "p"
    }
}
