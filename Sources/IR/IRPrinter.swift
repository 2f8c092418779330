// IR stage: the textual form of IR (grammar/ir.ebnf).
//
// The printer is deterministic: values are renumbered densely in order of
// definition (block parameters, then instruction results, block by block), so
// goldens do not churn when a pass leaves holes. `IRParser` reads this text back;
// print -> parse -> print is the identity, which every golden test checks.
import AdjointBasic

/// Prints modules and functions as IR text.
public enum IRPrinter {
    public static func print(_ module: Module) -> String {
        module.functions.map { print($0) }.joined(separator: "\n")
    }

    public static func print(_ function: Function) -> String {
        var number: [Int: Int] = [:]
        for block in function.blocks {
            for p in block.parameters { number[p.index] = number.count }
            for i in block.instructions { if let r = i.result { number[r.index] = number.count } }
        }
        func v(_ id: ValueID) -> String { number[id.index].map { "%\($0)" } ?? "%?\(id.index)" }
        func target(_ t: BranchTarget) -> String {
            t.arguments.isEmpty ? "\(t.block)" : "\(t.block)(" + t.arguments.map(v).joined(separator: ", ") + ")"
        }
        func loc(_ l: SourceLocation) -> String { l.isKnown ? " !\(l)" : "" }

        var out = ""
        if let wrt = function.differentiableParameters {
            out += "@differentiable(" + wrt.map(String.init).joined(separator: ", ") + ")\n"
        }
        if let derivative = function.customDerivative {
            out += "@derivative(@\(derivative))\n"
        }
        let params = zip(function.parameterNames, function.parameterTypes).map { "\($0): \($1)" }
        out += "func @\(function.name)(" + params.joined(separator: ", ") + ") -> \(function.resultType)"
        out += loc(function.location) + " {\n"
        for block in function.blocks {
            out += "\(block.id)"
            if !block.parameters.isEmpty {
                out += "(" + block.parameters.map { "\(v($0)): \(function.type(of: $0))" }.joined(separator: ", ") + ")"
            }
            out += ":\n"
            for instruction in block.instructions {
                out += "  "
                if let r = instruction.result { out += "\(v(r)) = " }
                out += instruction.op.spelling
                var operands = instruction.operands.map(v)
                switch instruction.payload {
                case .none: break
                case .constant(let c): out += " \(c)"
                case .callee(let name): out += " @\(name)"; operands = ["(" + operands.joined(separator: ", ") + ")"]
                case .shape(let shape): out += " [" + shape.map(String.init).joined(separator: ", ") + "]"
                case .grad(let callee, let wrt): out += " @\(callee) [" + wrt.map(String.init).joined(separator: ", ") + "]"
                case .index(let i): out += " #\(i)"
                case .tape(let t): out += " $\(t)"
                case .subscripted(let s):
                    out += " " + quote(s.base) + " [" + s.positions.map(quote).joined(separator: ", ") + "]"
                case .print(let items):
                    var values = operands.makeIterator()
                    operands = items.map { item in
                        switch item {
                        case .text(let s): return quote(s)
                        case .value: return values.next() ?? "%?"
                        }
                    }
                }
                if case .callee = instruction.payload {
                    out += operands[0]
                } else if !operands.isEmpty {
                    out += " " + operands.joined(separator: ", ")
                }
                if let r = instruction.result { out += " : \(function.type(of: r))" }
                out += loc(instruction.location) + "\n"
            }
            switch block.terminator {
            case .branch(let t): out += "  br \(target(t))"
            case .condBranch(let c, let t, let e): out += "  condbr \(v(c)), \(target(t)), \(target(e))"
            case .ret(let value): out += "  ret" + (value.map { " \(v($0))" } ?? "")
            }
            out += loc(block.terminatorLocation) + "\n"
        }
        return out + "}\n"
    }

    /// A string in double quotes with `\"`, `\\`, `\n` and `\t` escaped.
    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
