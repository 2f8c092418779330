// Syntax stage: turn source text into tokens.
//
// The lexer decides which newlines end statements (spec §2): a newline counts
// only outside `( )` and `[ ]` and when the line did not end with a binary operator
// or a comma. Braces reopen statement context, so `{ ... }` inside parentheses
// (only possible in erroneous input) does not swallow every later newline.
import AdjointBasic

/// Splits a source file into tokens, collecting lexical errors instead of stopping at the first.
public struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private var tokens: [Token] = []
    private var diagnostics: [Diagnostic] = []
    /// Open delimiters; a newline is significant when the innermost is `{` or none.
    private var delimiters: [String] = []

    public init(text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// All tokens of the text, ending with `.end`, and the lexical errors found.
    public static func tokenize(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(text: text)
        lexer.run()
        return (lexer.tokens, lexer.diagnostics)
    }

    private mutating func run() {
        while let c = peek() {
            let start = here
            switch c {
            case " ", "\t", "\r":
                advance()
            case "\n":
                advance()
                emitNewline(at: start)
            case "/" where peek(1) == "/":
                while let d = peek(), d != "\n" { advance() }
            case "/" where peek(1) == "*":
                skipBlockComment(from: start)
            case "\"":
                lexString(from: start)
            case "@":
                advance()
                let name = takeWhile(isIdentifierContinue)
                if name.isEmpty {
                    diagnostics.append(Diagnostic(at: start, DiagnosticMessages.expectedAttributeName))
                } else {
                    tokens.append(Token(.attribute, name, at: start))
                }
            case _ where isDigit(c) || (c == "." && peek(1).map(isDigit) == true && !lastTokenEndsOperand):
                lexNumber(from: start)
            case _ where isIdentifierStart(c):
                let name = takeWhile(isIdentifierContinue)
                tokens.append(Token(Token.keywords.contains(name) ? .keyword : .identifier, name, at: start))
            default:
                lexPunctuation(from: start, c)
            }
        }
        emitNewline(at: here)
        tokens.append(Token(.end, "", at: here))
    }

    // MARK: - Pieces

    private mutating func lexPunctuation(from start: SourceLocation, _ c: Unicode.Scalar) {
        for p in Token.punctuation where matches(p) {
            for _ in p.unicodeScalars { advance() }
            tokens.append(Token(.punctuation, p, at: start))
            switch p {
            case "(", "[", "{": delimiters.append(p)
            case ")", "]":
                if let last = delimiters.last, last != "{" { delimiters.removeLast() }
            case "}":
                while let last = delimiters.popLast(), last != "{" {}
            default: break
            }
            return
        }
        advance()
        diagnostics.append(Diagnostic(at: start, DiagnosticMessages.unexpectedCharacter(String(c))))
    }

    /// Numbers: `42`, `0.5`, `.5`, `2.`, `1e-3`, `2.5e+4`. In `0..<n` the number ends before the dots,
    /// and in `4.reshape` before the dot of the method call.
    private mutating func lexNumber(from start: SourceLocation) {
        var text = takeWhile(isDigit)
        var isReal = false
        if peek() == ".", peek(1) != ".", !(peek(1).map(isIdentifierStart) ?? false) {
            advance()
            text += "." + takeWhile(isDigit)
            isReal = true
        }
        if let e = peek(), e == "e" || e == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if peek(signed ? 2 : 1).map(isDigit) == true {
                advance()
                text += "e"
                if signed { text += String(peek()!); advance() }
                text += takeWhile(isDigit)
                isReal = true
            }
        }
        // A bad number still becomes a number token (its value never used: the file has an error), so the
        // parser does not report the hole it would leave as a second error.
        let placeholder = Token(isReal ? .real : .integer, "0", at: start)
        if let next = peek(), isIdentifierStart(next) {
            let rest = takeWhile(isIdentifierContinue)
            diagnostics.append(Diagnostic(at: start, DiagnosticMessages.malformedNumber(text + rest)))
            tokens.append(placeholder)
            return
        }
        if isReal, DecimalDigits.fraction(ofLiteral: text) == nil {
            diagnostics.append(Diagnostic(at: start, DiagnosticMessages.numberTooLarge))
            tokens.append(placeholder)
            return
        }
        if !isReal, Int(text) == nil {
            diagnostics.append(Diagnostic(at: start, DiagnosticMessages.integerTooLarge(text)))
            tokens.append(placeholder)
            return
        }
        tokens.append(Token(isReal ? .real : .integer, text, at: start))
    }

    private mutating func lexString(from start: SourceLocation) {
        advance()
        var value = ""
        while let c = peek(), c != "\n" {
            let escapeStart = here  // an invalid escape is reported at its backslash
            advance()
            if c == "\"" {
                tokens.append(Token(.string, value, at: start))
                return
            }
            if c == "\\" {
                switch peek() {
                case "n": value += "\n"
                case "\"": value += "\""
                case "\\": value += "\\"
                case "t": value += "\t"
                default:
                    diagnostics.append(Diagnostic(at: escapeStart, DiagnosticMessages.invalidEscape))
                }
                if peek() != nil, peek() != "\n" { advance() }
            } else {
                value.unicodeScalars.append(c)
            }
        }
        diagnostics.append(Diagnostic(at: start, DiagnosticMessages.unterminatedString))
        tokens.append(Token(.string, value, at: start))
    }

    /// Skips a `/* ... */` comment; comments nest.
    private mutating func skipBlockComment(from start: SourceLocation) {
        var depth = 0
        while let c = peek() {
            if c == "/", peek(1) == "*" {
                depth += 1; advance(); advance()
            } else if c == "*", peek(1) == "/" {
                depth -= 1; advance(); advance()
                if depth == 0 { return }
            } else {
                advance()
            }
        }
        diagnostics.append(Diagnostic(at: start, DiagnosticMessages.unterminatedComment))
    }

    private mutating func emitNewline(at location: SourceLocation) {
        if let open = delimiters.last, open != "{" { return }
        guard let last = tokens.last else { return }
        if last.kind == .newline { return }
        if last.kind == .punctuation, Token.continuesLine.contains(last.text) { return }
        if last.isPunctuation("{") || last.isPunctuation(";") { return }
        tokens.append(Token(.newline, "\n", at: location))
    }

    // MARK: - Characters

    private var here: SourceLocation { SourceLocation(line: line, column: column) }

    /// A `.` right after an operand (`x.5` is not a number) is a member access.
    private var lastTokenEndsOperand: Bool {
        guard let last = tokens.last else { return false }
        switch last.kind {
        case .identifier, .integer, .real: return true
        case .punctuation: return last.text == ")" || last.text == "]"
        default: return false
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private func matches(_ text: String) -> Bool {
        for (i, s) in text.unicodeScalars.enumerated() where peek(i) != s { return false }
        return true
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func takeWhile(_ predicate: (Unicode.Scalar) -> Bool) -> String {
        var out = String.UnicodeScalarView()
        while let c = peek(), predicate(c) {
            out.append(c)
            advance()
        }
        return String(out)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }
    private func isIdentifierContinue(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) }
}
