// Analysis tests: the natural loops and liveness the transforms and the code generator share, on
// hand-written IR whose answers can be read off the text.
import Testing
import AdjointIR

/// Nested loops: bb1 heads the outer loop (bb1..bb4), bb2 the inner one (bb2, bb3); bb6 is unreachable.
/// %0 (the tensor parameter) is read in the inner body and after both loops; %5 is carried by the outer loop.
private let nested = """
func @f(x: Tensor, n: Int) -> Tensor {
bb0(%0: Tensor, %1: Int):
  %2 = const 0 : Int
  br bb1(%2, %0)
bb1(%3: Int, %4: Tensor):
  %6 = lt %3, %1 : Bool
  condbr %6, bb2(%2, %4), bb5
bb2(%7: Int, %5: Tensor):
  %8 = lt %7, %1 : Bool
  condbr %8, bb3, bb4
bb3:
  %9 = addat %5, %0, %7 : Tensor
  %10 = const 1 : Int
  %11 = add %7, %10 : Int
  br bb2(%11, %9)
bb4:
  %12 = const 1 : Int
  %13 = add %3, %12 : Int
  br bb1(%13, %5)
bb5:
  %14 = mul %4, %4 : Tensor
  %15 = add %14, %0 : Tensor
  ret %15
bb6:
  br bb1(%2, %0)
}

"""

@Test func naturalLoopsNestAndLeaveUnreachableBlocksOut() throws {
    let function = try #require(try IRParser.parse(nested).functions.first)
    let loops = Loops(function)
    #expect(loops.blocks == [1: [1, 2, 3, 4], 2: [2, 3]])
    #expect(loops.inAnyLoop == [1, 2, 3, 4])
    #expect(loops.isHeader(BlockID(2)) && !loops.isHeader(BlockID(3)))
    // bb1's incoming edges from reachable blocks: the entry (bb0), then the back edge from bb4.
    #expect(loops.backEdges[1] == [1])
    #expect(function.incomingEdges()[1].count == 3)
}

@Test func livenessFollowsReadsBackToTheDefinition() throws {
    let function = try #require(try IRParser.parse(nested).functions.first)
    let liveness = Liveness(function)
    let x = ValueID(0), carried = ValueID(5), outer = ValueID(4), square = ValueID(14)
    // x is read in the inner body and at the end: live into every block but its own (bb0).
    #expect(!liveness.isLiveIn(x, 0))
    #expect((1...5).allSatisfy { liveness.isLiveIn(x, $0) })
    // The inner loop's tensor is live around the inner loop and into bb4, which passes it on; not after.
    #expect(liveness.isLiveIn(carried, 3) && liveness.isLiveIn(carried, 4))
    #expect(!liveness.isLiveIn(carried, 2) && !liveness.isLiveIn(carried, 5) && !liveness.isLiveIn(carried, 1))
    // The outer parameter is read where the inner loop starts and at the exit.
    #expect(liveness.isLiveOut(outer, 1) && !liveness.isLiveIn(outer, 1))
    // Last reads: %4 is read twice by one instruction (no single last read); %14 once, then it dies.
    #expect(!liveness.isLastRead(outer, in: 5, at: 0) && !liveness.isReadOnceAndDies(outer, in: 5))
    #expect(liveness.isLastRead(square, in: 5, at: 1) && liveness.isReadOnceAndDies(square, in: 5))
    // x's read in the inner body is not its last: the loop comes round and bb5 reads it again.
    #expect(!liveness.isLastRead(x, in: 3, at: 0))
    #expect(liveness.isLastRead(x, in: 5, at: 1))
}

@Test func livenessOnlyAnswersForTheValuesItWasAskedAbout() throws {
    let function = try #require(try IRParser.parse(nested).functions.first)
    let tensors = Liveness(function, values: { function.type(of: $0) == .tensor })
    // An Int it was not asked about is taken as live everywhere, and never as dying.
    #expect(tensors.isLiveIn(ValueID(3), 0))
    #expect(!tensors.isReadOnceAndDies(ValueID(13), in: 4))
}
