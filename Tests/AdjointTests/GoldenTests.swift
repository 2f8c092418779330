// Golden tests: the IR of every example and test input, checked in beside it as NAME.ir,
// must match what the compiler prints, and must round-trip through the IR parser.
// Set ADJOINT_UPDATE_GOLDENS=1 to rewrite the .ir files after an intended change.
import Foundation
import Testing
import AdjointIR
@testable import AdjointDriver

private let goldenInputs = adjFiles(in: "examples") + adjFiles(in: "Tests/AdjointTests/Golden")

@Test("IR golden matches and round-trips", arguments: goldenInputs.map(\.lastPathComponent))
func irGolden(name: String) throws {
    let url = goldenInputs.first { $0.lastPathComponent == name }!
    let compilation = try Compilation(path: url.path)
    let printed = IRPrinter.print(compilation.lowered)
    let goldenURL = url.deletingPathExtension().appendingPathExtension("ir")
    if ProcessInfo.processInfo.environment["ADJOINT_UPDATE_GOLDENS"] == "1" {
        try printed.write(to: goldenURL, atomically: true, encoding: .utf8)
    }
    let golden = try String(contentsOf: goldenURL, encoding: .utf8)
    #expect(printed == golden, "IR of \(name) differs from \(goldenURL.lastPathComponent)")

    let parsed = try IRParser.parse(golden)
    try Verifier.verify(parsed)
    #expect(IRPrinter.print(parsed) == golden, "IR of \(name) does not round-trip")
}

@Test("programs print their // expect: lines", arguments: adjFiles(in: "Tests/AdjointTests/Golden").map(\.lastPathComponent))
func expectedOutput(name: String) throws {
    let url = packageRoot.appendingPathComponent("Tests/AdjointTests/Golden/\(name)")
    let source = try String(contentsOf: url, encoding: .utf8)
    let result = try evaluate(source, "main")
    let lines = result.output.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines == expectations(in: source))
}
