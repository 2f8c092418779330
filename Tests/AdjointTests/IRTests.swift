// IR tests: hand-written IR parses, verifies and prints back identically; bad IR is
// rejected by the verifier with the invariant it breaks.
import Testing
import AdjointIR

private let wellFormed = """
func @f(x: Real, y: Real) -> Real !1:6 {
bb0(%0: Real, %1: Real):
  %2 = mul %0, %1 : Real !2:11
  %3 = const 1/2 : Real
  %4 = lt %2, %3 : Bool !3:10
  condbr %4, bb1(%2), bb1(%0) !3:5
bb1(%5: Real):
  print "value", %5 !4:5
  ret %5 !5:5
}

"""

@Test func handWrittenIRRoundTrips() throws {
    let module = try IRParser.parse(wellFormed)
    try Verifier.verify(module)
    #expect(IRPrinter.print(module) == wellFormed)
}

/// Replaces `old` in the well-formed function and returns the verifier's messages.
private func verifierErrors(_ ir: String) throws -> String {
    let module = try IRParser.parse(ir)
    do {
        try Verifier.verify(module)
        return ""
    } catch {
        return "\(error)"
    }
}

@Test(arguments: [
    // Use before definition in the same block.
    ("%2 = mul %0, %1 : Real !2:11", "%2 = mul %0, %3 : Real !2:11", "%3 is used before its definition"),
    // Operand types that give another result type.
    ("%2 = mul %0, %1 : Real !2:11", "%2 = mul %0, %1 : Tensor !2:11", "do not give result type Tensor"),
    // Too few operands for the op table.
    ("%2 = mul %0, %1 : Real !2:11", "%2 = mul %0 : Real !2:11", "takes 2...2 operands, has 1"),
    // Branch arguments that do not match the target's parameters.
    ("condbr %4, bb1(%2), bb1(%0)", "condbr %4, bb1(%2), bb1", "passes 0 arguments for 1 parameters"),
    // A condition that is not Bool.
    ("condbr %4, bb1(%2), bb1(%0)", "condbr %2, bb1(%2), bb1(%0)", "is not Bool"),
    // A constant of the wrong type.
    ("%3 = const 1/2 : Real", "%3 = const true : Real", "constant true is not of type Real"),
    // Returning nothing from a Real function.
    ("ret %5 !5:5", "ret !5:5", "returns Void from a function of type Real"),
    // A branch to the entry block.
    ("condbr %4, bb1(%2), bb1(%0)", "condbr %4, bb1(%2), bb0(%0, %1)", "branch to the entry block"),
])
func verifierRejects(old: String, new: String, message: String) throws {
    let errors = try verifierErrors(wellFormed.replacingOccurrences(of: old, with: new))
    #expect(errors.contains(message), "expected '\(message)' in: \(errors)")
}

@Test func definitionsMustDominateUses() throws {
    let ir = """
    func @g(c: Bool) -> Real {
    bb0(%0: Bool):
      condbr %0, bb1, bb2
    bb1:
      %1 = const 1 : Real
      br bb3
    bb2:
      br bb3
    bb3:
      ret %1
    }
    """
    #expect(try verifierErrors(ir).contains("definition of %1 in bb1 does not dominate this use"))
}

@Test func callsAreCheckedAgainstTheCallee() throws {
    let ir = """
    func @h(x: Real) -> Real {
    bb0(%0: Real):
      ret %0
    }

    func @k() -> Real {
    bb0:
      %0 = const 1 : Int
      %1 = call @h(%0) : Real
      ret %1
    }
    """
    #expect(try verifierErrors(ir).contains("arguments do not match the parameters of @h"))
}

@Test func parserRejectsMalformedText() {
    #expect(throws: IRParseError.self) { try IRParser.parse("func @f() -> Real {\nbb0:\n  %1 = frobnicate : Real\n  ret %1\n}\n") }
    #expect(throws: IRParseError.self) { try IRParser.parse("func @f( -> Real {") }
}

@Test func tapesMustPairUp() throws {
    let orphan = """
    func @f(x: Real) -> Real {
    bb0(%0: Real):
      push $3 %0
      ret %0
    }
    """
    #expect(try verifierErrors(orphan).contains("tape 3 is pushed in @f and never popped"))
    let mismatched = """
    func @f(x: Real) -> Real {
    bb0(%0: Real):
      push $3 %0
      ret %0
    }

    func @g() -> Tensor {
    bb0:
      %0 = pop $3 : Tensor
      ret %0
    }
    """
    #expect(try verifierErrors(mismatched).contains("pushed as Real in @f but popped as Tensor in @g"))
}

@Test func aSweepsRoleIsDataThatItsNameSpells() throws {
    let key = SweepKey(of: "f", wrt: [0, 2])
    #expect(FunctionRole.forwardSweep(key).sweepName == "f.fwd.0.2")
    #expect(FunctionRole.reverseSweep(SweepKey(of: "f", wrt: [])).sweepName == "f.rev.none")
    #expect(FunctionRole(parsing: "f.rev.0.2") == .reverseSweep(key))
    #expect(FunctionRole(parsing: "f.jvp.none") == .tangent(SweepKey(of: "f", wrt: [])))
    // A sweep of a sweep (grad of a function that calls grad), and names that only look like sweeps.
    #expect(FunctionRole(parsing: "g.rev.0.fwd.1") == .forwardSweep(SweepKey(of: "g.rev.0", wrt: [1])))
    #expect(FunctionRole(parsing: "f") == .primal)
    #expect(FunctionRole(parsing: "sin.Real") == .synthesized)
    #expect(FunctionRole(parsing: "grad.f.0") == .synthesized)
    #expect(FunctionRole(parsing: "f.fwd.x") == .synthesized)
}
