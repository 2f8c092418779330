// The fuzz target: arbitrary bytes through the whole pipeline.
//
//   parse -> check -> lower -> verify -> reverse and forward mode -> optimize -> verify -> emit Swift
//
// A user error (any diagnostic) is a fine outcome; an internal error (a verifier failure, a pass
// failure) or a crash is a bug, so it stops the fuzzer with the input written out. Built and run by
// Scripts/fuzz.sh with `swift build -c release --sanitize=fuzzer --package-path fuzz`, where
// libFuzzer supplies `main`; in an ordinary build this file defines no top-level code and the
// program does nothing.
import AdjointBasic
import AdjointDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let compilation = try Compilation(SourceFile(path: "fuzz.adj", text: text))
        for stage in [Stage.adjointIR, .tangentIR, .swift] { _ = try stage.emit(compilation) }
    } catch let error as DriverError {
        if case .internalError(let message) = error { fatalError("internal error: \(message)") }
    } catch {
        fatalError("unexpected error: \(error)")
    }
    return 0
}
