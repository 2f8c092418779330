// Syntax stage: the tokens the lexer produces and the parser consumes.
import AdjointBasic

/// One lexical token with its text and the location of its first character.
public struct Token: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case identifier
        case keyword
        case integer        // `42`
        case real           // `0.1`, `.5`, `2.`, `1e-3`: text kept exactly
        case string         // text is the decoded contents
        case attribute      // `@differentiable`: text without the `@`
        case punctuation    // operators and delimiters
        case newline
        case end
    }

    public var kind: Kind
    public var text: String
    public var location: SourceLocation

    public init(_ kind: Kind, _ text: String, at location: SourceLocation) {
        self.kind = kind
        self.text = text
        self.location = location
    }

    public static let keywords: Set<String> = [
        "func", "let", "var", "if", "else", "while", "for", "in", "return", "break", "continue", "true", "false",
    ]

    /// Punctuation longest first, so the lexer can take the first that matches.
    static let punctuation: [String] = [
        "..<", "...", "->", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=",
        "+", "-", "*", "/", "%", "^", "<", ">", "=", "!", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".",
    ]

    /// Tokens after which a newline does not end the statement: binary operators and the comma (spec §2).
    static let continuesLine: Set<String> = [
        "..<", "...", "->", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=",
        "+", "-", "*", "/", "%", "^", "<", ">", "=", ",",
    ]

    public func isPunctuation(_ text: String) -> Bool { kind == .punctuation && self.text == text }
    public func isKeyword(_ text: String) -> Bool { kind == .keyword && self.text == text }

    /// How diagnostics quote the token: `'('`, `newline`, `end of file`.
    public var description: String {
        switch kind {
        case .newline: return "newline"
        case .end: return "end of file"
        case .string: return "string literal"
        case .attribute: return "'@\(text)'"
        default: return "'\(text)'"
        }
    }
}
