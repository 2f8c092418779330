// docs/REFERENCE.md, the user's language reference, reproduced: every `$ adjoint ...` session in it
// prints what the tool prints, so that the reference cannot go stale.
import Testing

@Test("REFERENCE sessions print what the tool prints")
func referenceSessionsAreReproduced() throws {
    #expect(try reproduceSessions(of: "docs/REFERENCE.md") >= 70)
}
