// Transforms stage: what a pass is, and the pipeline that runs them.
//
// A pass rewrites one function in place. `Pipeline.standard` lists the passes in
// order, top to bottom; the constraints between them are checked by a unit test.
// In debug and test builds the verifier runs after every pass, and a failure names
// the pass (a compiler bug, reported as an internal error).
import AdjointIR

/// A transformation of one function.
public protocol FunctionPass: Sendable {
    /// The pass's name everywhere: file, type and flag (`dead-code`).
    static var name: String { get }
    static func run(on function: inout Function)
}

/// An ordered list of passes.
public enum Pipeline {
    /// The optimizations run after reverse and forward mode, read top to bottom.
    public static let standard: [any FunctionPass.Type] = [
        Simplify.self,              // fold constants and identities, so equal values look equal
        CommonSubexpressions.self,  // x[i] * ȳ computed once for both operands of x[i] * x[i]
        Simplify.self,              // identities exposed by merging (add of a value to itself stays)
        DeadCode.self,              // drop what the rewrites left unused
        JumpThreading.self,         // drop blocks that only branch on
        BlockMerging.self,          // straight-line code split in blocks is one block again
        LoopFusion.self,            // a reverse loop over the forward loop's iterations runs inside it
    ]

    /// Run on the lowered program before any derivative is built: the same work however a read is spelled.
    public static let beforeDifferentiation: [any FunctionPass.Type] = [
        CommonSubexpressionsKeepingPoints.self,  // x[i] read three times is read once, and differentiated once
    ]

    /// A pass failed verification afterwards: a compiler bug in that pass.
    public struct Failure: Error, CustomStringConvertible {
        public var pass: String
        public var underlying: Error
        public var description: String { "after \(pass): \(underlying)" }
    }

    /// Runs the passes over every function of the module but those `skipping` names; verifies after each pass
    /// when `verifyEach`, and hands the module to `printAfter` after each pass it names (`compile --print-after PASS`).
    public static func run(_ passes: [any FunctionPass.Type], on module: inout Module, verifyEach: Bool,
                           printAfter: PassPrinting = PassPrinting(),
                           skipping: (Function) -> Bool = { _ in false }) throws {
        let indices = module.functions.indices.filter { !skipping(module.functions[$0]) }
        for pass in passes {
            for i in indices { pass.run(on: &module.functions[i]) }
            if verifyEach {
                do { try Verifier.verify(module) } catch { throw Failure(pass: pass.name, underlying: error) }
            }
            printAfter.after(pass.name, module)
        }
    }

    /// Every name `--print-after` accepts: the passes of both pipelines, and differentiation itself.
    public static var passNames: [String] {
        var names: [String] = []
        for pass in beforeDifferentiation where !names.contains(pass.name) { names.append(pass.name) }
        names.append(Differentiate.name)
        for pass in standard where !names.contains(pass.name) { names.append(pass.name) }
        return names
    }
}

/// Which passes to print the IR after, and where the text goes (`compile --print-after PASS`, as LLVM's
/// `-print-after`): for following a miscompile to the pass that made it.
public struct PassPrinting: Sendable {
    public var passes: Set<String>
    public var output: @Sendable (String) -> Void

    public init(passes: Set<String> = [], output: @escaping @Sendable (String) -> Void = { _ in }) {
        self.passes = passes
        self.output = output
    }

    /// Prints the module when `pass` is one asked for.
    public func after(_ pass: String, _ module: Module) {
        guard passes.contains(pass) else { return }
        output("// IR after \(pass)\n" + IRPrinter.print(module))
    }
}
