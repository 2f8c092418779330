// Driver stage: what `adjoint compile --emit` can print.
import AdjointIR

/// An intermediate form the compiler can print (spec §9's `--emit`).
public enum Stage: String, CaseIterable, Sendable {
    /// The SSA IR after lowering and verification.
    case ir

    /// The text of this stage for a compilation.
    public func emit(_ compilation: Compilation) -> String {
        switch self {
        case .ir: return IRPrinter.print(compilation.module)
        }
    }
}
