// Codegen stage: an indenting text buffer, so no emitter ever spaces lines by hand.

/// Accumulates Swift source one line at a time at the current indentation.
struct SwiftWriter {
    private(set) var text = ""
    private(set) var depth = 0

    init(depth: Int = 0) { self.depth = depth }

    /// Appends what another writer wrote (one written apart, at this writer's depth).
    mutating func append(_ other: SwiftWriter) { text += other.text }

    /// Appends one line (no line: an empty line).
    mutating func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : String(repeating: "    ", count: depth) + line + "\n"
    }

    /// Removes the last line when it is `line` at the current indentation (a `continue` that ends a loop's body).
    @discardableResult
    mutating func dropLastLine(_ line: String) -> Bool {
        let last = String(repeating: "    ", count: depth) + line + "\n"
        guard text.hasSuffix(last) else { return false }
        text.removeLast(last.count)
        return true
    }

    /// Where the next line will start (for `dropLabel`).
    var position: String.Index { text.endIndex }

    /// Removes `label: ` from the start of the line written at `start` (a label nothing jumps to).
    mutating func dropLabel(_ label: String, ofLineAt start: String.Index) {
        guard let first = text[start...].firstIndex(where: { $0 != " " }), text[first...].hasPrefix(label + ": ") else { return }
        text.removeSubrange(first..<text.index(first, offsetBy: label.count + 2))
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
