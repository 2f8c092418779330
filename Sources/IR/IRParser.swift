// IR stage: read IR text (grammar/ir.ebnf) back into a `Module`.
//
// The parser exists so tests can start from IR text, as Swift AD's `.sil` tests
// do, and so every golden can be checked to round-trip. Value numbers are taken
// as written; the verifier, not the parser, checks that the result is well formed.
import AdjointBasic

/// A syntax error in IR text, with its line and column in that text.
public struct IRParseError: Error, CustomStringConvertible, Sendable {
    public var location: SourceLocation
    public var message: String
    public var description: String { "\(location): \(message)" }
}

/// Parses IR text produced by `IRPrinter`.
public struct IRParser {
    private enum Lexeme: Equatable {
        case word(String)      // func, opcode names, types, true/false, bbN
        case value(Int)        // %N
        case global(String)    // @name
        case number(String)    // 12, -3, 1/10, -3/4
        case string(String)
        case location(SourceLocation)  // !L:C
        case index(Int)        // #N
        case tape(Int)         // $N
        case symbol(String)    // ( ) , : -> { } [ ] =
        case newline
        case end
    }

    private var lexemes: [(Lexeme, SourceLocation)] = []
    private var position = 0

    public static func parse(_ text: String) throws -> Module {
        var parser = IRParser()
        try parser.lex(text)
        return try parser.module()
    }

    // MARK: - Grammar

    private mutating func module() throws -> Module {
        var functions: [Function] = []
        skipNewlines()
        while current != .end {
            functions.append(try function())
            skipNewlines()
        }
        return Module(functions: functions)
    }

    private mutating func function() throws -> Function {
        var wrt: [Int]?
        if current == .global("differentiable") {
            advance()
            try expect("(")
            var indices: [Int] = []
            while case .number(let n) = current, let i = Int(n) {
                indices.append(i)
                advance()
                if !consume(",") { break }
            }
            try expect(")")
            skipNewlines()
            wrt = indices
        }
        var derivative: String?
        if current == .global("derivative") {
            advance()
            try expect("(")
            guard case .global(let name) = current else { throw error("expected the derivative's name") }
            advance()
            try expect(")")
            skipNewlines()
            derivative = name
        }
        try expectWord("func")
        guard case .global(let name) = current else { throw error("expected function name") }
        advance()
        try expect("(")
        var names: [String] = []
        var types: [ValueType] = []
        while case .word(let n) = current {
            advance()
            try expect(":")
            names.append(n)
            types.append(try type())
            if !consume(",") { break }
        }
        try expect(")")
        try expect("->")
        let result = try type()
        let location = consumeLocation()
        try expect("{")
        skipNewlines()
        var function = Function(name: name, parameterNames: names, resultType: result, location: location,
                                differentiableParameters: wrt, role: FunctionRole(parsing: name))
        function.customDerivative = derivative
        var valueTypes: [Int: ValueType] = [:]
        while case .word(let w) = current, w.hasPrefix("bb") {
            function.blocks.append(try block(&valueTypes))
        }
        try expect("}")
        let count = (valueTypes.keys.max() ?? -1) + 1
        function.valueTypes = (0..<count).map { valueTypes[$0] ?? .void }
        guard function.parameterTypes == types else {
            throw error("parameters of @\(name) do not match its entry block")
        }
        return function
    }

    private mutating func block(_ types: inout [Int: ValueType]) throws -> Block {
        let id = try blockID()
        var block = Block(id: id)
        if consume("(") {
            while case .value(let n) = current {
                advance()
                try expect(":")
                types[n] = try type()
                block.parameters.append(ValueID(n))
                if !consume(",") { break }
            }
            try expect(")")
        }
        try expect(":")
        try expectNewline()
        while true {
            switch current {
            case .word("br"):
                advance()
                block.terminator = .branch(try target())
            case .word("condbr"):
                advance()
                let c = try value()
                try expect(",")
                let t = try target()
                try expect(",")
                block.terminator = .condBranch(condition: c, then: t, else: try target())
            case .word("ret"):
                advance()
                if case .value = current { block.terminator = .ret(try value()) } else { block.terminator = .ret(nil) }
            default:
                block.instructions.append(try instruction(&types))
                continue
            }
            block.terminatorLocation = consumeLocation()
            try expectNewline()
            return block
        }
    }

    private mutating func instruction(_ types: inout [Int: ValueType]) throws -> Instruction {
        var result: ValueID?
        if case .value(let n) = current {
            advance()
            try expect("=")
            result = ValueID(n)
        }
        guard case .word(let name) = current, let op = Opcode(rawValue: name) else {
            throw error("expected an opcode")
        }
        advance()
        var payload = Payload.none
        var operands: [ValueID] = []
        switch op {
        case .const:
            payload = .constant(try constant())
        case .call:
            guard case .global(let callee) = current else { throw error("expected callee") }
            advance()
            payload = .callee(callee)
            try expect("(")
            operands = try valueList(until: ")")
            try expect(")")
        case .grad:
            guard case .global(let callee) = current else { throw error("expected callee") }
            advance()
            try expect("[")
            var wrt: [Int] = []
            while case .number(let n) = current, let i = Int(n) {
                wrt.append(i)
                advance()
                if !consume(",") { break }
            }
            try expect("]")
            payload = .grad(callee: callee, wrt: wrt)
            operands = try valueList(until: nil)
        case .extract:
            guard case .index(let i) = current else { throw error("expected #index") }
            advance()
            payload = .index(i)
            operands = try valueList(until: nil)
        case .push, .pop:
            guard case .tape(let t) = current else { throw error("expected $tape") }
            advance()
            payload = .tape(t)
            operands = try valueList(until: nil)
        case .tensor:
            try expect("[")
            var shape: [Int] = []
            while case .number(let n) = current, let d = Int(n) {
                shape.append(d)
                advance()
                if !consume(",") { break }
            }
            try expect("]")
            payload = .shape(shape)
            operands = try valueList(until: nil)
        case .index, .select, .setselect, .addselect:
            // `index` carries its subscript when lowered from source; the others always do.
            if case .string(let base) = current {
                advance()
                try expect("[")
                var positions: [String] = []
                while case .string(let text) = current {
                    positions.append(text)
                    advance()
                    if !consume(",") { break }
                }
                try expect("]")
                payload = .subscripted(Subscript(base: base, positions: positions))
            }
            operands = try valueList(until: nil)
        case .print:
            var items: [PrintItem] = []
            loop: while true {
                switch current {
                case .string(let s): items.append(.text(s)); advance()
                case .value: items.append(.value); operands.append(try value())
                default: break loop
                }
                if !consume(",") { break }
            }
            payload = .print(items)
        default:
            operands = try valueList(until: nil)
        }
        if let result {
            try expect(":")
            types[result.index] = try type()
        }
        let location = consumeLocation()
        try expectNewline()
        return Instruction(result: result, op: op, operands: operands, payload: payload, location: location)
    }

    private mutating func constant() throws -> Constant {
        switch current {
        case .word("true"): advance(); return .bool(true)
        case .word("false"): advance(); return .bool(false)
        case .number(let text):
            advance()
            // A Real constant is told apart from an Int by the type after ':'; look ahead.
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if case .symbol(":") = current, position + 1 < lexemes.count, lexemes[position + 1].0 == .word("Real") {
                return .real(numerator: parts[0], denominator: parts.count > 1 ? parts[1] : "1")
            }
            guard parts.count == 1, let i = Int(text) else { throw error("malformed constant \(text)") }
            return .int(i)
        default:
            throw error("expected a constant")
        }
    }

    private mutating func valueList(until closer: String?) throws -> [ValueID] {
        var values: [ValueID] = []
        if let closer, current == .symbol(closer) { return values }
        guard case .value = current else { return values }
        repeat { values.append(try value()) } while consume(",")
        return values
    }

    private mutating func target() throws -> BranchTarget {
        let id = try blockID()
        var args: [ValueID] = []
        if consume("(") {
            args = try valueList(until: ")")
            try expect(")")
        }
        return BranchTarget(id, args)
    }

    private mutating func blockID() throws -> BlockID {
        guard case .word(let w) = current, w.hasPrefix("bb"), let n = Int(w.dropFirst(2)) else {
            throw error("expected a block name")
        }
        advance()
        return BlockID(n)
    }

    private mutating func value() throws -> ValueID {
        guard case .value(let n) = current else { throw error("expected a value") }
        advance()
        return ValueID(n)
    }

    private mutating func type() throws -> ValueType {
        if consume("(") {
            var elements: [ValueType] = []
            repeat { elements.append(try type()) } while consume(",")
            try expect(")")
            return .tuple(elements)
        }
        guard case .word(let w) = current else { throw error("expected a type") }
        advance()
        if w == "Void" { return .void }
        guard let t = ValueType(name: w) else { throw error("unknown type \(w)") }
        return t
    }

    // MARK: - Lexing

    private var current: Lexeme { lexemes[position].0 }

    private mutating func advance() { if position < lexemes.count - 1 { position += 1 } }

    private mutating func consume(_ symbol: String) -> Bool {
        guard current == .symbol(symbol) else { return false }
        advance()
        return true
    }

    private mutating func consumeLocation() -> SourceLocation {
        guard case .location(let l) = current else { return .unknown }
        advance()
        return l
    }

    private mutating func expect(_ symbol: String) throws {
        guard consume(symbol) else { throw error("expected '\(symbol)'") }
    }

    private mutating func expectWord(_ word: String) throws {
        guard current == .word(word) else { throw error("expected '\(word)'") }
        advance()
    }

    private mutating func expectNewline() throws {
        guard current == .newline || current == .end else { throw error("expected end of line") }
        skipNewlines()
    }

    private mutating func skipNewlines() { while current == .newline { advance() } }

    private func error(_ message: String) -> IRParseError {
        IRParseError(location: lexemes[position].1, message: message)
    }

    private mutating func lex(_ text: String) throws {
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1, column = 1
        func here() -> SourceLocation { SourceLocation(line: line, column: column) }
        func step() { if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }; i += 1 }
        func isWordChar(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
        }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        func take(_ predicate: (Unicode.Scalar) -> Bool) -> String {
            var s = String.UnicodeScalarView()
            while i < chars.count, predicate(chars[i]) { s.append(chars[i]); step() }
            return String(s)
        }
        while i < chars.count {
            let c = chars[i], start = here()
            if c == " " || c == "\t" || c == "\r" { step(); continue }
            if c == "\n" { lexemes.append((.newline, start)); step(); continue }
            if c == "/" && i + 1 < chars.count && chars[i + 1] == "/" {
                while i < chars.count, chars[i] != "\n" { step() }
                continue
            }
            if c == "%" {
                step()
                guard let n = Int(take(isDigit)) else { throw IRParseError(location: start, message: "expected value number") }
                lexemes.append((.value(n), start))
            } else if c == "@" {
                step()
                lexemes.append((.global(take { isWordChar($0) || $0 == "." }), start))
            } else if c == "#" || c == "$" {
                step()
                guard let n = Int(take(isDigit)) else { throw IRParseError(location: start, message: "expected a number") }
                lexemes.append((c == "#" ? .index(n) : .tape(n), start))
            } else if c == "!" {
                step()
                let l = Int(take(isDigit)) ?? 0
                guard i < chars.count, chars[i] == ":" else { throw IRParseError(location: start, message: "expected location") }
                step()
                lexemes.append((.location(SourceLocation(line: l, column: Int(take(isDigit)) ?? 0)), start))
            } else if isDigit(c) || (c == "-" && i + 1 < chars.count && isDigit(chars[i + 1])) {
                var s = ""
                if c == "-" { s = "-"; step() }
                s += take(isDigit)
                if i < chars.count, chars[i] == "/" { step(); s += "/" + take(isDigit) }
                lexemes.append((.number(s), start))
            } else if c == "\"" {
                step()
                var s = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        step()
                        switch chars[i] {
                        case "n": s += "\n"
                        case "t": s += "\t"
                        default: s.unicodeScalars.append(chars[i])
                        }
                    } else {
                        s.unicodeScalars.append(chars[i])
                    }
                    step()
                }
                guard i < chars.count else { throw IRParseError(location: start, message: "unterminated string") }
                step()
                lexemes.append((.string(s), start))
            } else if isWordChar(c) {
                lexemes.append((.word(take(isWordChar)), start))
            } else if c == "-" && i + 1 < chars.count && chars[i + 1] == ">" {
                step(); step()
                lexemes.append((.symbol("->"), start))
            } else if "(),:{}[]=".unicodeScalars.contains(c) {
                step()
                lexemes.append((.symbol(String(c)), start))
            } else {
                throw IRParseError(location: start, message: "unexpected character '\(c)'")
            }
        }
        lexemes.append((.end, here()))
    }
}
