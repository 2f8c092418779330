// Sema stage: the built-in functions of spec §6 and their type rules.
//
// One entry per built-in; `Builtin.type(arguments:)` is the whole type rule. Lowering
// maps each case to an IR opcode, so adding a built-in means one case here and one there.
import AdjointBasic
import AdjointSyntax

/// A built-in function of the language (spec §6).
public enum Builtin: String, CaseIterable, Sendable {
    // Elementwise on Real or Tensor.
    case exp, log, sin, cos, tan, tanh, sqrt, abs, sigmoid, relu, sign, floor
    case pow, maximum, minimum
    // Reductions; `max`/`min` with two arguments mean `maximum`/`minimum`.
    case sum, mean, prod, max, min, norm
    // Linear algebra and shape.
    case dot, transpose, reshape, size, dim
    // Construction.
    case arange, zeros, ones, full, zeros_like, ones_like, random_normal, random_uniform
    // Conversion and the rest.
    case int, real, is_training, print

    /// The elementwise functions `grad` accepts directly (`grad(sin)`).
    public static let differentiableElementwise: Set<Builtin> = [
        .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor,
    ]

    /// One argument as Sema sees it: its label, static type and location.
    public struct ArgumentInfo {
        public var label: String?
        public var type: ValueType
        public var location: SourceLocation
    }

    /// The result type of a call with these arguments, or the diagnostic that rejects it.
    func resultType(_ args: [ArgumentInfo], at location: SourceLocation) throws -> ValueType {
        let name = rawValue
        func count(_ allowed: ClosedRange<Int>, _ text: String) throws {
            guard allowed.contains(args.count) else {
                throw Diagnostic(at: location, DiagnosticMessages.argumentCount(name, expected: text, got: args.count))
            }
        }
        func require(_ i: Int, _ accepted: [ValueType], _ text: String) throws {
            let got = args[i].type
            guard accepted.contains(got) else {
                throw Diagnostic(at: args[i].location,
                                 DiagnosticMessages.argumentType(name, position: i + 1, expected: text, got: got.description))
            }
        }
        func noLabels(except allowed: [Int: String] = [:]) throws {
            for (i, arg) in args.enumerated() {
                if let label = arg.label, allowed[i] != label {
                    throw Diagnostic(at: arg.location, DiagnosticMessages.unknownLabel(label, function: name))
                }
            }
        }
        let numeric: [ValueType] = [.int, .real, .tensor]
        switch self {
        case .exp, .log, .sin, .cos, .tan, .tanh, .sqrt, .abs, .sigmoid, .relu, .sign, .floor:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, numeric, "Real or Tensor")
            return args[0].type == .tensor ? .tensor : .real
        case .pow, .maximum, .minimum:
            try count(2...2, "2 arguments"); try noLabels()
            try require(0, numeric, "Real or Tensor"); try require(1, numeric, "Real or Tensor")
            return args.contains { $0.type == .tensor } ? .tensor : .real
        case .max, .min:
            try count(1...2, "1 or 2 arguments"); try noLabels()
            if args.count == 2 { return try (self == .max ? Builtin.maximum : .minimum).resultType(args, at: location) }
            try require(0, [.tensor], "a Tensor")
            return .real
        case .sum, .mean:
            try count(1...2, "1 argument (and 'axis:')")
            try noLabels(except: [1: "axis"])
            try require(0, [.tensor], "a Tensor")
            if args.count == 2 {
                guard args[1].label == "axis" else {
                    throw Diagnostic(at: args[1].location, DiagnosticMessages.expected("'axis:' label", after: nil))
                }
                try require(1, [.int], "an Int")
                return .tensor
            }
            return .real
        case .prod, .norm:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.tensor], "a Tensor")
            return .real
        case .dot:
            try count(2...2, "2 arguments"); try noLabels()
            try require(0, [.tensor], "a Tensor"); try require(1, [.tensor], "a Tensor")
            return .tensor
        case .transpose, .zeros_like, .ones_like:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.tensor], "a Tensor")
            return .tensor
        case .reshape:
            try count(2...64, "a Tensor and at least one dimension"); try noLabels()
            try require(0, [.tensor], "a Tensor")
            for i in 1..<args.count { try require(i, [.int], "an Int") }
            return .tensor
        case .size:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.tensor], "a Tensor")
            return .int
        case .dim:
            try count(2...2, "2 arguments"); try noLabels()
            try require(0, [.tensor], "a Tensor"); try require(1, [.int], "an Int")
            return .int
        case .arange:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.int], "an Int")
            return .tensor
        case .zeros, .ones, .random_normal, .random_uniform:
            try count(1...64, "at least one dimension"); try noLabels()
            for i in args.indices { try require(i, [.int], "an Int") }
            return .tensor
        case .full:
            try count(2...64, "a value and at least one dimension"); try noLabels()
            try require(0, [.int, .real], "Real")
            for i in 1..<args.count { try require(i, [.int], "an Int") }
            return .tensor
        case .int:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.int, .real], "Real")
            return .int
        case .real:
            try count(1...1, "1 argument"); try noLabels()
            try require(0, [.int, .real], "Int")
            return .real
        case .is_training:
            try count(0...0, "no arguments")
            return .bool
        case .print:
            try noLabels()
            for (i, arg) in args.enumerated() where arg.type == .void {
                throw Diagnostic(at: args[i].location, DiagnosticMessages.argumentType(
                    name, position: i + 1, expected: "a value", got: "Void"))
            }
            return .void
        }
    }
}
