// Pass tests: each pass on a few lines of IR, verified before and after; the pipeline's
// order constraints; and the optimized corpus giving exactly the unoptimized results.
import Testing
import AdjointIR
@testable import AdjointTransforms
import AdjointInterpreter
import AdjointExact
import AdjointBasic
@testable import AdjointDriver

/// Parses IR, verifies it, runs one pass on every function, verifies again, and prints the result.
private func run(_ pass: any FunctionPass.Type, _ ir: String) throws -> String {
    var module = try IRParser.parse(ir)
    try Verifier.verify(module)
    for i in module.functions.indices { pass.run(on: &module.functions[i]) }
    try Verifier.verify(module)
    return IRPrinter.print(module)
}

@Test func simplifyFoldsIdentitiesAndConstants() throws {
    let out = try run(Simplify.self, """
    func @f(x: Real, t: Tensor) -> Real {
    bb0(%0: Real, %1: Tensor):
      %2 = const 0 : Real
      %3 = add %2, %0 : Real
      %4 = const 1 : Real
      %5 = mul %3, %4 : Real
      %6 = const 3 : Real
      %7 = sub %6, %4 : Real
      %8 = pow %5, %7 : Real
      %9 = neg %8 : Real
      %10 = neg %9 : Real
      %11 = mul %2, %10 : Real
      ret %11
    }
    """)
    // (add 0 x) => x, (mul x 1) => x, 3 - 1 => 2, (pow x 2) => (mul x x), (neg (neg x)) => x; 0 * x stays
    // (IEEE: 0 * inf is nan). Uses move to the simpler values; the instructions left unused are DeadCode's.
    #expect(out.contains("%5 = mul %0, %4 : Real"))
    #expect(out.contains("%7 = const 2 : Real"))
    #expect(out.contains("%8 = mul %0, %0 : Real"))
    #expect(out.contains("%11 = mul %2, %8 : Real"))
}

@Test func simplifyWritesPowersAndConversionsAsAPersonWould() throws {
    let out = try run(Simplify.self, """
    func @f(x: Real) -> Real {
    bb0(%0: Real):
      %1 = const 1 : Real
      %2 = pow %0, %1 : Real
      %3 = const 100 : Int
      %4 = itor %3 : Real
      %5 = mul %2, %4 : Real
      ret %5
    }
    """)
    // (pow x 1) => x; (itor 100) => 100 as a Real constant.
    #expect(out.contains("%4 = const 100 : Real"))
    #expect(out.contains("%5 = mul %0, %4 : Real"))
}

@Test func simplifyDropsFitsToTheSameShape() throws {
    let out = try run(Simplify.self, """
    func @f(x: Tensor, g: Real) -> Tensor {
    bb0(%0: Tensor, %1: Real):
      %2 = zeroslike %0 : Tensor
      %3 = const 0 : Int
      %4 = addat %2, %1, %3 : Tensor
      %5 = fit %4, %0 : Tensor
      ret %5
    }
    """)
    #expect(out.contains("ret %4"))
}

@Test func commonSubexpressionsMergePureOperations() throws {
    let out = try run(CommonSubexpressions.self, """
    func @f(x: Real) -> Real {
    bb0(%0: Real):
      %1 = mul %0, %0 : Real
      %2 = mul %0, %0 : Real
      %3 = add %1, %2 : Real
      %4 = istraining : Bool
      %5 = istraining : Bool
      condbr %4, bb1(%3), bb1(%1)
    bb1(%6: Real):
      ret %6
    }
    """)
    // The repeat goes at once (the printer numbers values afresh).
    #expect(out.components(separatedBy: "mul").count == 2, "one mul left")
    #expect(out.contains("= add %1, %1 : Real"))
    #expect(out.components(separatedBy: "istraining").count == 3, "state reads are never merged")
}

@Test func deadCodeKeepsEffects() throws {
    let out = try run(DeadCode.self, """
    func @f(x: Real) -> Real {
    bb0(%0: Real):
      %1 = mul %0, %0 : Real
      push $0 %0
      %2 = pop $0 : Real
      br bb1(%1, %0)
    bb1(%3: Real, %4: Real):
      ret %4
    }
    """)
    #expect(!out.contains("mul"))
    #expect(out.contains("push $0 %0") && out.contains("pop $0"))
    #expect(out.contains("bb1(%2: Real):"), "the unused parameter and its argument are gone")
}

@Test func jumpThreadingSkipsEmptyBlocks() throws {
    let out = try run(JumpThreading.self, """
    func @f(c: Bool, x: Real) -> Real {
    bb0(%0: Bool, %1: Real):
      condbr %0, bb1, bb2
    bb1:
      br bb3(%1)
    bb2:
      br bb1
    bb3(%2: Real):
      ret %2
    }
    """)
    // Both arms go straight to the former bb3, now bb1; the empty blocks are gone.
    #expect(out.contains("condbr %0, bb1(%1), bb1(%1)"))
    #expect(!out.contains("bb2"))
}

@Test func pipelineOrder() {
    let names = Pipeline.standard.map { $0.name }
    // Simplify before CSE, because CSE only merges instructions that look identical; dead code after
    // both, because they leave unused instructions behind; jump threading once blocks are empty, and block
    // merging once the blocks that only branch on are gone; loop fusion last, since it matches loop bodies of
    // one block.
    #expect(names.first == Simplify.name)
    #expect(names.firstIndex(of: CommonSubexpressions.name)! < names.firstIndex(of: DeadCode.name)!)
    #expect(names.dropLast(2).last == JumpThreading.name)
    #expect(names.dropLast().last == BlockMerging.name)
    #expect(names.last == LoopFusion.name)
}

@Test("optimized and unoptimized gradients are equal, exactly", arguments: reverseModeCorpus.filter(\.rational))
func optimizationKeepsExactResults(c: GradCase) throws {
    let request = c.request(.exact)
    let optimized = try Compilation(SourceFile(path: "test.adj", text: c.source)).gradient(request) { _ in }
    let plain = try Compilation(SourceFile(path: "test.adj", text: c.source),
                                options: DifferentiationOptions(optimize: false)).gradient(request) { _ in }
    #expect(optimized.json == plain.json)
}

@Test func adjointFactoringLeavesOneMultiplyOnTheLoopCarriedAdjoint() throws {
    // The reverse loop of x = r * x * (1 - x), as reverse mode builds it: x̄ arrives as %4 and leaves as
    // -(x̄ * (r * x)) + (x̄ * (1 - x)) * r, three operations deep on x̄. Factored, x̄ leaves as x̄ times a
    // coefficient of r and x alone; r̄ (%5) as r̄ + x̄ * ((1 - x) * x). Outside loops nothing changes.
    var module = try IRParser.parse("""
    func @g(h: Real, r: Real, x: Real, n: Int) -> (Real, Real) {
    bb0(%0: Real, %1: Real, %2: Real, %3: Int):
      %30 = mul %0, %2 : Real
      %31 = mul %30, %1 : Real
      %32 = const 0 : Real
      br bb1(%31, %32, %3)
    bb1(%4: Real, %5: Real, %6: Int):
      %7 = const 0 : Int
      %8 = gt %6, %7 : Bool
      condbr %8, bb2, bb3
    bb2:
      %9 = const 1 : Real
      %10 = sub %9, %2 : Real
      %11 = mul %4, %10 : Real
      %12 = mul %11, %2 : Real
      %13 = add %5, %12 : Real
      %14 = mul %1, %2 : Real
      %15 = mul %4, %14 : Real
      %16 = neg %15 : Real
      %17 = mul %11, %1 : Real
      %18 = add %16, %17 : Real
      %19 = const 1 : Int
      %20 = sub %6, %19 : Int
      br bb1(%18, %13, %20)
    bb3:
      %21 = tuple %4, %5 : (Real, Real)
      ret %21
    }
    """)
    try Verifier.verify(module)
    let built = module
    #expect(AdjointFactoring.run(on: &module.functions[0], heads: [module.functions[0].parameters[0]]))
    DeadCode.run(on: &module.functions[0])
    try Verifier.verify(module)
    let f = module.functions[0]
    let body = f.blocks[2]
    guard case .branch(let back) = body.terminator else { Issue.record("no back edge"); return }
    let definitions = Dictionary(uniqueKeysWithValues: body.instructions.compactMap { i in i.result.map { ($0, i) } })
    // x̄ out: one multiply whose other operand does not read x̄ at all.
    let xbar = try #require(definitions[back.arguments[0]])
    #expect(xbar.op == .mul && xbar.operands[0] == ValueID(4), "\(IRPrinter.print(module))")
    func reads(_ v: ValueID, _ target: ValueID) -> Bool {
        v == target || (definitions[v]?.operands.contains { reads($0, target) } ?? false)
    }
    #expect(!reads(xbar.operands[1], ValueID(4)))
    // r̄ out: r̄ plus x̄ times a coefficient of x alone.
    let rbar = try #require(definitions[back.arguments[1]])
    #expect(rbar.op == .add && rbar.operands[0] == ValueID(5))
    let term = try #require(definitions[rbar.operands[1]])
    #expect(term.op == .mul && term.operands[0] == ValueID(4) && !reads(term.operands[1], ValueID(4)))
    // The entry block, in no loop, keeps its own arithmetic.
    #expect(f.blocks[0].instructions.map(\.op) == [.mul, .mul, .const])
    // The same numbers, exactly, over three trips from h = 1, r = 7/2, x = 1/3 (the exact engine).
    let arguments: [Value<ExactReal>] = [.real(ExactReal(1)), .real(try ExactReal(numerator: "7", denominator: "2")),
                                         .real(try ExactReal(numerator: "1", denominator: "3")), .int(3)]
    var before = Interpreter<ExactReal>(module: built, output: { _ in })
    var after = Interpreter<ExactReal>(module: module, output: { _ in })
    let expected = "\(try before.call("g", arguments))"
    #expect("\(try after.call("g", arguments))" == expected)
    #expect("\(expected)".contains("/"), "\(expected)")
}

@Test func simplifyDoesScalarArithmeticBeforeBroadcasting() throws {
    // `toReal(2 * dot(x, x))` and the adjoint `fit(h, like: dot(x, x)) * 2`, as reverse mode builds them for
    // `2 * dot(x, x)`: each Real operation on a one-element tensor becomes a Double operation, with the
    // tensor made (or read) once around it.
    var module = try IRParser.parse("""
    func @f(x: Tensor, h: Real) -> (Real, Tensor) {
    bb0(%0: Tensor, %1: Real):
      %2 = dot %0, %0 : Tensor
      %3 = const 2 : Real
      %4 = mul %3, %2 : Tensor
      %5 = toreal %4 : Real
      %6 = fit %1, %2 : Tensor
      %7 = mul %6, %3 : Tensor
      %8 = tuple %5, %7 : (Real, Tensor)
      ret %8
    }
    """)
    try Verifier.verify(module)
    let built = module
    Simplify.run(on: &module.functions[0])
    DeadCode.run(on: &module.functions[0])
    try Verifier.verify(module)
    let f = module.functions[0]
    let text = IRPrinter.print(module)
    // No arithmetic is left on a tensor: the Real head is doubled, then broadcast; the value is read out, then doubled.
    let arithmetic = f.blocks[0].instructions.filter { [.mul, .toreal, .fit].contains($0.op) }
    #expect(arithmetic.allSatisfy { $0.op != .mul || $0.result.map(f.type(of:)) == .real }, "\(text)")
    #expect(arithmetic.map(\.op) == [.toreal, .mul, .mul, .fit], "\(text)")
    // The same values, exactly, and the same error when dot(x, x) is a matrix (toReal's, at its place).
    func results(_ module: Module, _ x: Tensor<ExactReal>) -> String {
        var interpreter = Interpreter<ExactReal>(module: module, output: { _ in })
        do { return "\(try interpreter.call("f", [.tensor(x), .real(try ExactReal(numerator: "3", denominator: "7"))]))" }
        catch { return "error: \(error)" }
    }
    let third = try ExactReal(numerator: "1", denominator: "3")
    let vector = Tensor([third, ExactReal(2)])
    let matrix = try Tensor(shape: [2, 2], scalars: [third, ExactReal(2), ExactReal(1), third])
    #expect(results(module, vector) == results(built, vector))
    #expect(results(built, vector).contains("/"))
    #expect(results(module, matrix) == results(built, matrix))
    #expect(results(built, matrix).contains("error"))
}


/// W3's fused gradient as reverse mode and the passes before loop fusion leave it: the forward loop (bb1, bb2),
/// then the reverse loop (bb5, bb6) reading x again and adding into zeros at k' and k' + 1.
private let rosenbrockSweeps = """
    func @g(x: Tensor, head0: Real) -> (Real, Tensor) {
    bb0(%0: Tensor, %1: Real):
      %2 = const 0 : Real
      %3 = const 0 : Int
      %4 = size %0 : Int
      %5 = const 1 : Int
      %6 = sub %4, %5 : Int
      br bb1(%2, %3, %3)
    bb1(%7: Real, %8: Int, %9: Int):
      %10 = lt %8, %6 : Bool
      condbr %10, bb2, bb3
    bb2:
      %11 = add %8, %5 : Int
      %12 = index "x" ["i + 1"] %0, %11 : Real
      %13 = index "x" ["i"] %0, %8 : Real
      %14 = mul %13, %13 : Real
      %15 = sub %12, %14 : Real
      %16 = const 1 : Real
      %17 = sub %16, %13 : Real
      %18 = const 100 : Real
      %19 = mul %18, %15 : Real
      %20 = mul %19, %15 : Real
      %21 = mul %17, %17 : Real
      %22 = add %20, %21 : Real
      %23 = add %7, %22 : Real
      %24 = add %9, %5 : Int
      br bb1(%23, %11, %24)
    bb3:
      %25 = zeroslike %0 : Tensor
      br bb5(%25, %9)
    bb4:
      %26 = tuple %7, %27 : (Real, Tensor)
      ret %26
    bb5(%27: Tensor, %28: Int):
      %29 = gt %28, %3 : Bool
      condbr %29, bb6, bb4
    bb6:
      %30 = sub %28, %5 : Int
      %31 = const 1 : Real
      %32 = index "x" ["i"] %0, %30 : Real
      %33 = sub %31, %32 : Real
      %34 = add %33, %33 : Real
      %35 = add %30, %5 : Int
      %36 = index "x" ["i + 1"] %0, %35 : Real
      %37 = mul %32, %32 : Real
      %38 = sub %36, %37 : Real
      %39 = const 100 : Real
      %40 = mul %39, %38 : Real
      %41 = add %40, %40 : Real
      %42 = mul %1, %41 : Real
      %43 = mul %41, %32 : Real
      %44 = add %34, %43 : Real
      %45 = add %44, %43 : Real
      %46 = mul %1, %45 : Real
      %47 = neg %46 : Real
      %48 = addat %27, %47, %30 : Tensor
      %49 = addat %48, %42, %35 : Tensor
      br bb5(%49, %30)
    }
"""

/// Runs `g` of the module on x with the head 1: the result, or the error, as text.
private func runG<S: Scalar>(_ module: Module, _ x: Tensor<S>, _ one: S) -> String {
    var interpreter = Interpreter<S>(module: module, output: { _ in })
    do { return "\(try interpreter.call("g", [.tensor(x), .real(one)]))" } catch { return "error: \(error)" }
}

@Test func loopFusionRunsTheReverseLoopInsideTheForwardLoop() throws {
    let built = try IRParser.parse(rosenbrockSweeps)
    var module = built
    LoopFusion.run(on: &module.functions[0])
    try Verifier.verify(module)
    let f = module.functions[0]
    let text = IRPrinter.print(module)
    // One loop; x[i] and x[i + 1] read once each, for the value and the adjoint both.
    #expect(f.blocks.filter { if case .condBranch = $0.terminator { true } else { false } }.count == 1, "\(text)")
    #expect(f.blocks.flatMap(\.instructions).filter { $0.op == .index }.count == 2, "\(text)")
    // The same bits in Double (the adds to each element commute: two onto an exact zero), the same exact
    // values, and the same errors: none of the loop's own for a one-element x, x[i]'s for a matrix.
    let doubles = Tensor([0.5, -0.37, 1.24, 0.11, -2.5, 0.73, 1.9])
    #expect(runG(module, doubles, 1.0) == runG(built, doubles, 1.0))
    let exact = Tensor([ExactReal(1), try ExactReal(numerator: "-2", denominator: "3"), ExactReal(5), ExactReal(0)])
    #expect(runG(module, exact, ExactReal(1)) == runG(built, exact, ExactReal(1)))
    #expect(runG(built, exact, ExactReal(1)).contains("/"))
    for x in [Tensor([2.0]), Tensor<Double>([]), try Tensor(shape: [2, 2], scalars: [1.0, 2, 3, 4])] {
        #expect(runG(module, x, 1.0) == runG(built, x, 1.0))
    }
    #expect(runG(built, try Tensor(shape: [2, 2], scalars: [1.0, 2, 3, 4]), 1.0).contains("error"))
}

@Test func loopFusionLeavesLoopsWhoseOrderCouldShow() throws {
    // A third add per element (at k' + 2, an element the forward body reads): three additions onto zero
    // round differently in the other order.
    let thirdAdd = rosenbrockSweeps
        .replacingOccurrences(of: "  %24 = add %9, %5 : Int", with: """
          %24 = add %9, %5 : Int
          %70 = const 2 : Int
          %71 = add %8, %70 : Int
          %72 = index "x" ["i + 2"] %0, %71 : Real
        """)
        .replacingOccurrences(of: "  br bb5(%49, %30)", with: """
          %60 = const 2 : Int
          %61 = add %30, %60 : Int
          %62 = addat %49, %42, %61 : Tensor
          br bb5(%62, %30)
        """)
    // The reverse body reads x[i, i], which the forward body does not: it could fail first.
    let unreadElement = rosenbrockSweeps
        .replacingOccurrences(of: "  %48 = addat %27, %47, %30", with: """
          %62 = index %0, %30, %30 : Real
          %48 = addat %27, %62, %30
        """)
    // The reverse body reads a value of the forward loop.
    let forwardValue = rosenbrockSweeps.replacingOccurrences(of: "%46 = mul %1, %45", with: "%46 = mul %7, %45")
    for source in [thirdAdd, unreadElement, forwardValue] {
        var module = try IRParser.parse(source)
        try Verifier.verify(module)
        let before = module
        LoopFusion.run(on: &module.functions[0])
        #expect(module == before, "\(IRPrinter.print(module))")
    }
}

@Test func reverseBlocksTakeOnlyTheAdjointsLiveAcrossThem() throws {
    // Ten loops in a row: each reverse block takes the adjoints of what is read after its forward block (x, y
    // and the running s), not every loop's carried values, before any cleanup. With one list for the whole
    // function every reverse block here took 23, and BlockParameterCleanup spent a tenth of a loop-heavy
    // compile removing them.
    let loops = (0..<10).map { k in
        "    for i in 0..<size(x) {\n        s = s * x[i] + y * 0.\(k + 1)\n    }"
    }.joined(separator: "\n")
    let source = "func f(x: Tensor, y: Real) -> Real {\n    var s = y\n\(loops)\n    return s\n}\n"
    let compilation = try compile(source)
    let function = try #require(compilation.lowered.functions.first { $0.name == "f" })
    let context = DifferentiationContext(compilation.lowered)
    var mode = try ReverseMode(source: function, wrt: [0, 1], context: context, names: ("f.fwd", "f.rev"))
    let reverse = try mode.generate().reverse
    let widest = reverse.blocks.map(\.parameters.count).max() ?? 0
    // x, y, s and a loop count at most, plus the block arguments of a loop header (its s and i).
    #expect(widest <= 6, "a reverse block takes \(widest) parameters")
    #expect(reverse.blocks.count > 30)
}

/// W5's sweeps as SweepFusion leaves them when a loop keeps a tape, after the passes before loop fusion: the
/// forward loop (bb1 to bb5) pushes each branch decision, the reverse loop (bb8 to bb12) pops it to choose its branch.
private let piecewiseSweeps = """
    func @g(x: Tensor, head0: Real) -> (Real, Tensor) {
    bb0(%0: Tensor, %1: Real):
      %2 = const 0 : Real
      %3 = const 0 : Int
      %4 = size %0 : Int
      br bb1(%2, %3, %3)
    bb1(%5: Real, %6: Int, %7: Int):
      %8 = lt %6, %4 : Bool
      condbr %8, bb2, bb6
    bb2:
      %9 = index "x" ["i"] %0, %6 : Real
      %10 = gt %9, %2 : Bool
      condbr %10, bb3, bb4
    bb3:
      %11 = mul %9, %9 : Real
      %12 = add %5, %11 : Real
      br bb5(%12, %3)
    bb4:
      %13 = sin %9 : Real
      %14 = sub %5, %13 : Real
      %15 = const 1 : Int
      br bb5(%14, %15)
    bb5(%16: Real, %17: Int):
      push $1 %17
      %18 = const 1 : Int
      %19 = add %6, %18 : Int
      %20 = add %7, %18 : Int
      br bb1(%16, %19, %20)
    bb6:
      %21 = zeroslike %0 : Tensor
      br bb8(%21, %7)
    bb7:
      %22 = tuple %5, %23 : (Real, Tensor)
      ret %22
    bb8(%23: Tensor, %24: Int):
      %25 = gt %24, %3 : Bool
      condbr %25, bb12, bb7
    bb9(%26: Real):
      %27 = addat %23, %26, %36 : Tensor
      br bb8(%27, %36)
    bb10:
      %28 = index "x" ["i"] %0, %36 : Real
      %29 = cos %28 : Real
      %30 = mul %1, %29 : Real
      %31 = neg %30 : Real
      br bb9(%31)
    bb11:
      %32 = index "x" ["i"] %0, %36 : Real
      %33 = add %32, %32 : Real
      %34 = mul %1, %33 : Real
      br bb9(%34)
    bb12:
      %35 = const 1 : Int
      %36 = sub %24, %35 : Int
      %37 = pop $1 : Int
      %38 = eq %37, %3 : Bool
      condbr %38, bb11, bb10
    }
"""

@Test func loopFusionReadsABranchDecisionWhereItIsMade() throws {
    let built = try IRParser.parse(piecewiseSweeps)
    var module = built
    LoopFusion.run(on: &module.functions[0])
    try Verifier.verify(module)
    let instructions = module.functions[0].blocks.flatMap(\.instructions), text = IRPrinter.print(module)
    // One loop, no tape, x[i] read once: the reverse branch tests the decision the forward branch made.
    #expect(!instructions.contains { $0.op == .push || $0.op == .pop }, "\(text)")
    #expect(instructions.filter { $0.op == .index }.count == 1, "\(text)")
    #expect(instructions.filter { $0.op == .gt || $0.op == .lt }.count == 2, "\(text)")
    // The same bits and the same errors: both branches taken, none, one element, x[i] of a matrix.
    for x in [Tensor([0.5, -0.37, 1.24, -0.11, -2.5, 0.73, 0.0]), Tensor([-2.0]), Tensor<Double>([]),
              try Tensor(shape: [2, 2], scalars: [1.0, 2, 3, 4])] {
        #expect(runG(module, x, 1.0) == runG(built, x, 1.0))
    }
    #expect(runG(built, Tensor([0.5, -0.37]), 1.0).contains("-0.9"))
    #expect(runG(built, try Tensor(shape: [2, 2], scalars: [1.0, 2, 3, 4]), 1.0).contains("error"))
}

@Test func loopFusionLeavesATapeItCannotPair() throws {
    // The pop sits in one branch of the reverse body: not every iteration reads the tape.
    let popInABranch = piecewiseSweeps
        .replacingOccurrences(of: "  %37 = pop $1 : Int\n", with: "")
        .replacingOccurrences(of: "%38 = eq %37, %3", with: "%38 = eq %36, %3")
        .replacingOccurrences(of: "  %32 = index", with: "  %37 = pop $1 : Int\n  %32 = index")
    // The forward body pushes its decision twice an iteration.
    let pushedTwice = piecewiseSweeps.replacingOccurrences(of: "  push $1 %17\n", with: "  push $1 %17\n  push $1 %17\n")
    // The reverse body reads the forward loop's running sum, its last value in the loops apart.
    let forwardValue = piecewiseSweeps.replacingOccurrences(of: "%30 = mul %1, %29", with: "%30 = mul %5, %29")
    for source in [popInABranch, pushedTwice, forwardValue] {
        var module = try IRParser.parse(source)
        try Verifier.verify(module)
        let before = module
        LoopFusion.run(on: &module.functions[0])
        #expect(module == before, "\(IRPrinter.print(module))")
    }
}

@Test func aHeadIsNotBroadcastBeforeItMultiplies() throws {
    // The adjoint of sum(a * b) in a: fit(fit(h, like: a * b) * b, like: a) is fit(h * b, like: a). The same
    // values, in Double bit for bit, for every way the shapes broadcast: equal, b a row under a matrix a, a a
    // column against a row b (each broadcast up, then summed down), a a matrix against b a matrix.
    var module = try IRParser.parse("""
    func @f(a: Tensor, b: Tensor, h: Real) -> Tensor {
    bb0(%0: Tensor, %1: Tensor, %2: Real):
      %3 = mul %0, %1 : Tensor
      %4 = fit %2, %3 : Tensor
      %5 = mul %4, %1 : Tensor
      %6 = fit %5, %0 : Tensor
      ret %6
    }
    """)
    let built = module
    Simplify.run(on: &module.functions[0])
    DeadCode.run(on: &module.functions[0])
    try Verifier.verify(module)
    let text = IRPrinter.print(module)
    #expect(!module.functions[0].blocks[0].instructions.contains { $0.op == .fit && module.functions[0].type(of: $0.operands[0]) == .real },
            "\(text)")
    func results(_ module: Module, _ a: Tensor<Double>, _ b: Tensor<Double>) -> String {
        var interpreter = Interpreter<Double>(module: module, output: { _ in })
        do { return "\(try interpreter.call("f", [.tensor(a), .tensor(b), .real(0.37)]))" } catch { return "error: \(error)" }
    }
    let shapes: [([Int], [Int])] = [([3], [3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([2, 3], [2, 3]), ([3], [2, 3])]
    for (sa, sb) in shapes {
        let a = try Tensor(shape: sa, scalars: (0..<sa.reduce(1, *)).map { 0.1 + 0.7 * Double($0) })
        let b = try Tensor(shape: sb, scalars: (0..<sb.reduce(1, *)).map { 1.3 - 0.45 * Double($0) })
        #expect(results(module, a, b) == results(built, a, b), "\(sa) \(sb)")
    }
    // (Shapes that do not broadcast fail at a * b in the forward sweep, before any adjoint is computed.)
}

/// A callee that builds t from zeros by adds at elements (one per branch of a loop) and a caller that reads it
/// only as `sum(t * w)`; `readsT` makes the loop read t as well.
private func accumulatedProductModule(readsT: Bool) -> String {
    """
    func @acc(x: Tensor, n: Int) -> (Real, Tensor) {
    bb0(%0: Tensor, %1: Int):
      %2 = zeroslike %0 : Tensor
      %3 = const 0 : Int
      %4 = const 0 : Real
      br bb1(%3, %2, %4)
    bb1(%5: Int, %6: Tensor, %7: Real):
      %8 = lt %5, %1 : Bool
      condbr %8, bb2, bb6
    bb2:
      %9 = index %0, %5 : Real
      %10 = const 2 : Int
      %11 = rem %5, %10 : Int
      %12 = eq %11, %3 : Bool
      \(readsT ? "%30 = index %6, %5 : Real" : "%30 = const 1 : Real")
      %31 = add %7, %30 : Real
      condbr %12, bb3, bb4
    bb3:
      %13 = mul %9, %9 : Real
      %14 = addat %6, %13, %5 : Tensor
      br bb5(%14)
    bb4:
      %15 = neg %9 : Real
      %16 = addat %6, %15, %5 : Tensor
      br bb5(%16)
    bb5(%17: Tensor):
      %18 = const 1 : Int
      %19 = add %5, %18 : Int
      br bb1(%19, %17, %31)
    bb6:
      %20 = tuple %7, %6 : (Real, Tensor)
      ret %20
    }

    func @g(x: Tensor, w: Tensor, n: Int) -> Real {
    bb0(%0: Tensor, %1: Tensor, %2: Int):
      %3 = call @acc(%0, %2) : (Real, Tensor)
      %4 = extract #1 %3 : Tensor
      %5 = extract #0 %3 : Real
      %6 = mul %4, %1 : Tensor
      %7 = sum %6 : Real
      %8 = add %7, %5 : Real
      ret %8
    }
    """
}

@Test func aTensorOnlySummedWithWeightsIsAccumulatedWhereItIsMade() throws {
    // sum(t * w) of a t built by adds at elements is Σ (each add times w[i]): the call goes to a copy of the
    // callee that takes w and never makes t, where w has t's shape and rank; else the copy calls the callee.
    var module = try IRParser.parse(accumulatedProductModule(readsT: false))
    try Verifier.verify(module)
    let built = module
    AccumulatedProducts.run(on: &module)
    try Verifier.verify(module)
    let copy = try #require(module.function(named: "acc.summed.1"), "\(IRPrinter.print(module))")
    #expect(copy.resultType == .tuple([.real, .real]))
    #expect(module.function(named: "g")!.blocks[0].instructions.allSatisfy { $0.op != .mul && $0.op != .sum })
    // The copy's own blocks make no tensor: only its fallback reaches `acc` (which still makes t).
    let instructions = copy.blocks.flatMap(\.instructions)
    #expect(!instructions.contains { $0.op == .addat }, "\(IRPrinter.print(copy))")
    #expect(instructions.filter { $0.op == .call }.count == 1)

    func results(_ module: Module, _ x: [Int], _ w: Tensor<ExactReal>, _ n: Int) -> String {
        var interpreter = Interpreter<ExactReal>(module: module, output: { _ in })
        let third = try! ExactReal(numerator: "1", denominator: "3")
        let xs = Tensor(x.map { try! ExactReal($0) * third })
        do { return "\(try interpreter.call("g", [.tensor(xs), .tensor(w), .int(n)]))" } catch { return "error: \(error)" }
    }
    let w3 = Tensor([ExactReal(2), ExactReal(-1), try ExactReal(numerator: "5", denominator: "7")])
    let cases: [([Int], Tensor<ExactReal>, Int)] = [
        ([1, 2, 3], w3, 3),                                   // the copy's sum: (1/9)·2 − (2/3)·(−1) + 1·(5/7) + 3
        ([1, 2, 3], Tensor([ExactReal(2)]), 3),               // w broadcast: the callee and the caller's product
        ([1, 2, 3], Tensor([ExactReal(2), ExactReal(1)]), 3), // shapes that do not broadcast: the product's error
        ([1, 2, 3], w3, 4),                                   // t[3] out of range: the add's error, read of w[3]'s now
        ([1, 2, 3], Tensor([ExactReal(2), ExactReal(1)]), 4), // both: the callee's error comes first, as written
        ([1, 2, 3], try Tensor(shape: [3, 1], scalars: [ExactReal(1), ExactReal(2), ExactReal(3)]), 3), // [3]·[3, 1] is 3×3
    ]
    for (x, w, n) in cases {
        #expect(results(module, x, w, n) == results(built, x, w, n), "x \(x), w \(w.shape), n \(n)")
    }
    #expect(results(built, [1, 2, 3], w3, 3).contains("/"))
    #expect(results(built, [1, 2, 3], w3, 4).contains("out of range"))

    // A t the loop also reads is left as written.
    var reading = try IRParser.parse(accumulatedProductModule(readsT: true))
    AccumulatedProducts.run(on: &reading)
    try Verifier.verify(reading)
    #expect(reading.functions.map(\.name) == ["acc", "g"])
}
