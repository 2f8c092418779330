// Driver stage: what `adjoint compile --emit` can print.
import AdjointIR

/// An intermediate form the compiler can print (spec §9's `--emit`).
public enum Stage: String, CaseIterable, Sendable {
    /// Standalone Swift: the functions, their gradient functions and the runtime (spec §10).
    case swift
    /// The runtime alone, for builds that compile several generated files together (no input needed).
    case runtime
    /// The SSA IR after lowering and verification.
    case ir
    /// The IR after reverse mode: `grad` replaced, and the forward and reverse sweeps of every
    /// `@differentiable` function generated.
    case adjointIR = "adjoint-ir"
    /// The IR with the tangent function (forward mode) of every `@differentiable` function.
    case tangentIR = "tangent-ir"

    /// The text of this stage for a compilation.
    public func emit(_ compilation: Compilation) throws -> String {
        switch self {
        case .swift: return try compilation.swiftSource()
        case .runtime: return try Compilation.runtimeFile()
        case .ir: return IRPrinter.print(compilation.lowered)
        case .adjointIR:
            let keys = DifferentiationRequests.differentiableFunctions(of: compilation.lowered)
            return IRPrinter.print(try compilation.differentiate(DifferentiationRequests(sweeps: keys)))
        case .tangentIR:
            let keys = DifferentiationRequests.differentiableFunctions(of: compilation.lowered)
            return IRPrinter.print(try compilation.differentiate(DifferentiationRequests(tangents: keys)))
        }
    }
}
