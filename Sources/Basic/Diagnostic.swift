// Basic stage: user-facing diagnostics and how they are rendered.
//
// A diagnostic is a value (severity, location, message, notes, fix-its), as in
// swift-syntax. Rendering follows spec §9: `FILE:LINE:COL: error: MESSAGE`, then the
// source line and a caret under the first character of what is wrong.

/// How serious a diagnostic is; runtime errors come from evaluation, not compilation.
public enum Severity: String, Sendable {
    case error = "error"
    case runtimeError = "runtime error"
    case note = "note"
}

/// A suggested edit that fixes a diagnostic: replace the text at a location.
public struct FixIt: Sendable, Equatable {
    public var location: SourceLocation
    public var length: Int
    public var replacement: String

    public init(location: SourceLocation, length: Int, replacement: String) {
        self.location = location
        self.length = length
        self.replacement = replacement
    }
}

/// One message for the user, tied to a location in a file.
public struct Diagnostic: Error, Sendable, Equatable {
    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    public var notes: [Note]
    public var fixIts: [FixIt]

    /// A secondary message with a location of its own.
    public struct Note: Sendable, Equatable {
        public var location: SourceLocation
        public var message: String

        public init(location: SourceLocation, message: String) {
            self.location = location
            self.message = message
        }
    }

    public init(_ severity: Severity = .error, at location: SourceLocation, _ message: String,
                notes: [Note] = [], fixIts: [FixIt] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
        self.fixIts = fixIts
    }

    /// `FILE:LINE:COL: error: MESSAGE`, the source line and a caret, then each note the same way.
    public func rendered(in file: SourceFile) -> String {
        var out = Diagnostic.renderOne(path: file.path, file: file, location: location,
                                       severity: severity.rawValue, message: message)
        for note in notes {
            out += Diagnostic.renderOne(path: file.path, file: file, location: note.location,
                                        severity: Severity.note.rawValue, message: note.message)
        }
        return out
    }

    /// The most columns of a source line a diagnostic shows.
    static let maximumShownColumns = 160

    private static func renderOne(path: String, file: SourceFile, location: SourceLocation,
                                  severity: String, message: String) -> String {
        guard location.isKnown else { return "\(path): \(severity): \(message)\n" }
        var out = "\(path):\(location.line):\(location.column): \(severity): \(message)\n"
        if let line = file.line(location.line) {
            // A very long line is shown as a window around the column, marked with "...".
            let scalars = Array(line.unicodeScalars)
            let column = max(0, location.column - 1)
            let start = scalars.count > maximumShownColumns ? max(0, min(column - maximumShownColumns / 2,
                                                                         scalars.count - maximumShownColumns)) : 0
            let end = min(scalars.count, start + maximumShownColumns)
            let lead = start > 0 ? "..." : ""
            out += lead + String(String.UnicodeScalarView(scalars[start..<end])) + (end < scalars.count ? "..." : "") + "\n"
            // Keep tabs so the caret lines up under tab-indented source.
            let prefix = scalars[start..<min(max(start, column), end)]
            out += String(repeating: " ", count: lead.count)
                + String(String.UnicodeScalarView(prefix.map { $0 == "\t" ? "\t" : " " })) + "^\n"
        }
        return out
    }
}

/// The diagnostics of one compilation, in the order they were found.
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public func rendered(in file: SourceFile) -> String {
        diagnostics.map { $0.rendered(in: file) }.joined()
    }
}
