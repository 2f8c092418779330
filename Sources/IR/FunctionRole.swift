// IR stage: what a function is, as data.
//
// A function is the user's code, a helper the compiler made, or one sweep of a
// differentiated function. Passes and the code generator ask the role; the name
// (`f.fwd.0.2`, `f.rev.0.2`, `f.jvp.0`) is only how the IR text and the generated
// Swift spell it, and the IR parser reads the role back from that spelling.

/// The function and parameter set a sweep differentiates.
public struct SweepKey: Hashable, Sendable, CustomStringConvertible {
    public var function: String
    /// Parameter indices, increasing.
    public var wrt: [Int]

    public init(of function: String, wrt: [Int]) {
        self.function = function
        self.wrt = wrt
    }

    /// `0.2`, or `none` for no parameters: the suffix of the sweeps' names.
    public var suffix: String { wrt.isEmpty ? "none" : wrt.map(String.init).joined(separator: ".") }

    public var description: String { "\(function) wrt \(suffix)" }
}

/// What a function is.
public enum FunctionRole: Hashable, Sendable {
    /// A function of the source program.
    case primal
    /// A function the compiler made to call like a source one: a built-in at one type (`sin.Real`,
    /// the target of `grad(sin)`) or a command's gradient driver (`grad.driver`).
    case synthesized
    /// The augmented forward sweep: the value, recording on tapes what the reverse sweep needs.
    case forwardSweep(SweepKey)
    /// The reverse sweep: the adjoints of the parameters in the key, for the head(s) of the result.
    case reverseSweep(SweepKey)
    /// Forward mode: the value and its tangent for tangents of the parameters in the key.
    case tangent(SweepKey)
    /// The forward and reverse sweeps in one function, where no value needs a tape between them:
    /// the value and the adjoints of the parameters in the key, for a head.
    case vjp(SweepKey)

    /// The sweep's function and parameters, or nil for a primal or synthesized function.
    public var sweep: SweepKey? {
        switch self {
        case .primal, .synthesized: return nil
        case .forwardSweep(let key), .reverseSweep(let key), .tangent(let key), .vjp(let key): return key
        }
    }

    public var isReverseSweep: Bool {
        if case .reverseSweep = self { return true }
        return false
    }

    /// The spelling of a sweep's name in the IR text: `f.fwd.0.2`, `f.rev.none`, `f.jvp.1`, `f.vjp.0`.
    public var sweepName: String? {
        switch self {
        case .primal, .synthesized: return nil
        case .forwardSweep(let key): return "\(key.function).fwd.\(key.suffix)"
        case .reverseSweep(let key): return "\(key.function).rev.\(key.suffix)"
        case .tangent(let key): return "\(key.function).jvp.\(key.suffix)"
        case .vjp(let key): return "\(key.function).vjp.\(key.suffix)"
        }
    }

    /// The role a name spells (the IR parser's inverse of `sweepName`). A source name has no dot, so
    /// any other dotted name is a synthesized function.
    public init(parsing name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for k in parts.indices.dropFirst().reversed() {
            let tail = parts[(k + 1)...]
            let wrt = tail == ["none"] ? [] : tail.compactMap { Int($0) }
            guard !tail.isEmpty, tail == ["none"] || wrt.count == tail.count else { continue }
            let key = SweepKey(of: parts[..<k].joined(separator: "."), wrt: wrt)
            switch parts[k] {
            case "fwd": self = .forwardSweep(key); return
            case "rev": self = .reverseSweep(key); return
            case "jvp": self = .tangent(key); return
            case "vjp": self = .vjp(key); return
            default: continue
            }
        }
        self = name.contains(".") ? .synthesized : .primal
    }
}
