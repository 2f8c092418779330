// Codegen stage: every identifier the generated Swift uses, made in one place.
//
// Source functions keep their names. Generated sweeps get readable Swift names
// (`f.fwd.0` becomes `fForward0`, `f.rev.0.1` `fReverse0_1`, `f.jvp.0` `fTangent0`).
// Values take the name of the source variable they hold when there is one, made
// unique with a number, and `v12` otherwise; names never collide with Swift keywords
// or with the runtime.
import AdjointIR

/// Swift names for the functions and values of one module.
struct Naming: Sendable {
    private var functionNames: [String: String] = [:]

    static let reserved: Set<String> = [
        "as", "break", "case", "catch", "class", "continue", "default", "defer", "do", "else", "enum", "extension",
        "fallthrough", "false", "for", "func", "guard", "if", "import", "in", "init", "inout", "is", "let", "nil",
        "operator", "private", "protocol", "public", "repeat", "return", "self", "Self", "static", "struct", "subscript",
        "super", "switch", "throw", "throws", "true", "try", "typealias", "var", "where", "while", "internal", "open",
        "fileprivate", "any", "some", "Type", "Tensor", "Site", "Tape", "print", "isTraining", "dot", "fit", "int",
        "toReal", "elementwise", "maximum", "minimum", "sign", "relu", "sigmoid", "exp", "log", "sin", "cos", "tan",
        "tanh", "sqrt", "abs", "floor", "pow", "source", "main", "tapes", "TensorShape", "MatrixProduct",
        "dotAdjointA", "dotAdjointB", "dotAdjointOfSquare", "elementUpdateFailure", "runtimeError",
    ]

    init(_ module: Module) {
        var used = Set<String>()
        var baseNames: [String: String] = [:]
        for f in module.functions {
            let base = Naming.swiftName(for: f, sourceOf: { baseNames[$0] })
            baseNames[f.name] = base
            var name = base
            if f.name == "main" { name = "main" } else if Naming.reserved.contains(name) { name += "_" }
            while used.contains(name) { name += "_" }
            used.insert(name)
            functionNames[f.name] = name
        }
    }

    func function(_ irName: String) -> String { functionNames[irName] ?? irName }

    /// A sweep is named after its function and role (`fForward0_1`, `fReverse`, `fTangent0`); `source`
    /// gives the name of a function made earlier in the module.
    static func swiftName(for function: Function, sourceOf source: (String) -> String?) -> String {
        if let base = OneElementVersion.base(of: function).flatMap(source) { return base + "OneElement" }
        guard let key = function.role.sweep else { return swiftName(forFunction: function.name) }
        let kind: String
        switch function.role {
        case .forwardSweep: kind = "Forward"
        case .reverseSweep: kind = "Reverse"
        case .vjp: kind = "ValueAndGradient"
        default: kind = "Tangent"
        }
        return (source(key.function) ?? swiftName(forFunction: key.function)) + kind
            + key.wrt.map(String.init).joined(separator: "_")
    }

    /// A name of the IR text in Swift: `sin.Real` → `sinReal`, `grad.f.0` → `gradF0`, `f.fwd.0.1` → `fForward0_1`.
    static func swiftName(forFunction name: String) -> String {
        var parts = name.split(separator: ".").map(String.init)
        var out = parts.removeFirst()
        var indices: [String] = []
        for part in parts {
            switch part {
            case "fwd": out += "Forward"
            case "rev": out += "Reverse"
            case "jvp": out += "Tangent"
            case "vjp": out += "ValueAndGradient"
            case "grad": out += "Gradient"
            case "none": break
            case _ where part.allSatisfy(\.isNumber):
                indices.append(part)
                continue
            default: out += part.prefix(1).uppercased() + part.dropFirst()
            }
            if !indices.isEmpty {
                out += indices.joined(separator: "_")
                indices = []
            }
        }
        out += indices.joined(separator: "_")
        return out.filter { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// The name of value number `index` that no source variable gave a name.
    static func defaultName(_ index: Int) -> String { "v\(index)" }

    /// Unique Swift names for a function's values, by value number: source names where known, nil for `vN`
    /// (or `vN` itself where a source name could collide with it); and the set of the names that are not `vN`
    /// (the only ones another name can collide with).
    static func valueNames(_ function: Function, parameters: [String]) -> (names: [String?], chosen: Set<String>) {
        var names = [String?](repeating: nil, count: function.valueTypes.count)
        var used = Set<String>(parameters)
        for (p, name) in zip(function.parameters, parameters) { names[p.index] = name }
        // The suffix each hint's search starts from: every lower one is taken already (`s`, `s2`, ... for the
        // many SSA values of one variable, found in one step each, not by counting up from 1 every time).
        var nextSuffix: [String: Int] = [:]
        for (index, hint) in function.valueNames.sorted(by: { $0.key < $1.key }) where names[index] == nil {
            var name = hint
            if reserved.contains(name) { name += "_" }
            var n = nextSuffix[hint] ?? 1
            if n > 1 { name = "\(hint)\(n)" }
            while used.contains(name) {
                n += 1
                name = "\(hint)\(n)"
            }
            nextSuffix[hint] = n
            used.insert(name)
            names[index] = name
        }
        // `vN` differs from every other `vM`: only a source name can be taken already. Where none has that form
        // (almost always), the rest stay nil and read as `vN` (see `defaultName`): no string made per value.
        let vNames = used.contains { name in
            name.first == "v" && name.dropFirst().contains(where: \.isNumber)
                && name.dropFirst().allSatisfy { $0.isNumber || $0 == "_" }
        }
        guard vNames else { return (names, used) }
        return (names.indices.map { index in
            if let name = names[index] { return name }
            var name = defaultName(index)
            while used.contains(name) { name += "_" }
            if name.hasSuffix("_") { used.insert(name) }
            return name
        }, used)
    }
}
