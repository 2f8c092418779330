// Codegen stage: an indenting text buffer, so no emitter ever spaces lines by hand.

/// Accumulates Swift source one line at a time at the current indentation.
struct SwiftWriter {
    private(set) var text = ""
    private var depth = 0

    /// Appends one line (no line: an empty line).
    mutating func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : String(repeating: "    ", count: depth) + line + "\n"
    }

    /// Appends `open`, runs `body` one level deeper, then appends `close`.
    mutating func block(_ open: String, close: String = "}", _ body: (inout SwiftWriter) throws -> Void) rethrows {
        line(open)
        depth += 1
        try body(&self)
        depth -= 1
        line(close)
    }

    /// Appends `if condition { then } else { otherwise }`.
    mutating func ifElse(_ condition: String, then: (inout SwiftWriter) -> Void, else otherwise: (inout SwiftWriter) -> Void) {
        line("if \(condition) {")
        depth += 1
        then(&self)
        depth -= 1
        line("} else {")
        depth += 1
        otherwise(&self)
        depth -= 1
        line("}")
    }

    /// Appends a `///` or `//` comment, one line per line of `text`.
    mutating func comment(_ text: String, doc: Bool = false) {
        for part in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line((doc ? "/// " : "// ") + part)
        }
    }
}
