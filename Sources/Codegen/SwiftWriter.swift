// Codegen stage: an indenting text buffer, so no emitter ever spaces lines by hand.

/// Accumulates Swift source one line at a time at the current indentation.
struct SwiftWriter {
    private(set) var text = ""
    private var depth = 0

    /// Appends one line (no line: an empty line).
    mutating func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : String(repeating: "    ", count: depth) + line + "\n"
    }

    /// Removes the last line when it is `line` at the current indentation (a `continue` that ends a loop's body).
    mutating func dropLastLine(_ line: String) {
        let last = String(repeating: "    ", count: depth) + line + "\n"
        if text.hasSuffix(last) { text.removeLast(last.count) }
    }

    /// Where the next line will start (for `dropUnusedLabel`).
    var position: String.Index { text.endIndex }

    /// Removes `label: ` from the line written at `start` when nothing after it names the label.
    mutating func dropUnusedLabel(_ label: String, ofLineAt start: String.Index) {
        guard let lineEnd = text[start...].firstIndex(of: "\n"), !text[lineEnd...].contains(" " + label + "\n"),
              let written = text[start..<lineEnd].range(of: label + ": ") else { return }
        text.removeSubrange(written)
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
