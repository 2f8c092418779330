// Syntax stage: recursive-descent parser from tokens to the AST.
//
// Each parsing function is named after the rule of `grammar/adjoint.ebnf` it
// implements. Errors inside a statement are thrown as a `Diagnostic`; the statement
// loop records it and resynchronizes at the next statement boundary (a newline, `;`
// or `}`), as Crafting Interpreters' `synchronize` does, so one run reports several errors.
import AdjointBasic

/// Parses one source file; `parse` returns the AST and every syntax error found.
public struct Parser {
    private var tokens: [Token]
    private var position = 0
    private var diagnostics: [Diagnostic]
    /// Nesting of blocks and parentheses, bounded so deep input cannot overflow the stack.
    private var depth = 0
    public static let maximumDepth = 200
    /// The tallest expression tree accepted: chains such as `a + b + ...` or `x.T.T...` grow the tree
    /// without recursion in the parser, so `maximumDepth` alone does not bound it.
    public static let maximumExpressionHeight = 1000
    /// Where the lexer reported errors, and where an unterminated comment (which runs to the end) starts.
    private let lexicalErrors: [SourceLocation]
    private let unterminatedComment: SourceLocation?
    /// Where the construct being parsed began (a statement, or a function's header): a syntax error with
    /// a lexical error between this place and itself is that error's echo (a character skipped, a
    /// malformed number, a string that swallowed a ')'), and is not reported a second time.
    private var constructStart = SourceLocation(line: 1, column: 1)

    public init(text: String) {
        let lexed = Lexer.tokenize(text)
        tokens = lexed.tokens
        diagnostics = lexed.diagnostics
        lexicalErrors = lexed.diagnostics.map(\.location)
        unterminatedComment = lexed.diagnostics.first { $0.message == DiagnosticMessages.unterminatedComment }?.location
    }

    /// The file's functions and all lexical and syntax errors, in source order.
    public static func parse(_ text: String) -> (unit: SourceUnit, diagnostics: [Diagnostic]) {
        var parser = Parser(text: text)
        let unit = parser.file()
        let sorted = parser.diagnostics.enumerated().sorted {
            ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
        }.map(\.element)
        return (unit, sorted)
    }

    // MARK: - Declarations

    /// file := { function }
    mutating func file() -> SourceUnit {
        var functions: [FunctionDecl] = []
        while true {
            skipSeparators()
            if current.kind == .end { break }
            constructStart = current.location
            do {
                functions.append(try function())
            } catch let diagnostic as Diagnostic {
                report(diagnostic)
                synchronizeToFunction()
            } catch {
                fatalError("parser threw \(error)")
            }
        }
        return SourceUnit(functions: functions)
    }

    /// function := { attribute } 'func' name '(' [ params ] ')' [ '->' resultType ] block
    mutating func function() throws -> FunctionDecl {
        var differentiable: DifferentiableAttribute?
        var derivative: DerivativeAttribute?
        while current.kind == .attribute {
            switch try attribute() {
            case .differentiable(let a): differentiable = a
            case .derivative(let a): derivative = a
            }
            skipNewlines()
        }
        guard current.isKeyword("func") else {
            throw Diagnostic(at: current.location, DiagnosticMessages.expectedFunction(found: current.description))
        }
        let funcLocation = advance().location
        let name = try identifier(DiagnosticMessages.expectedFunctionName)
        try expect("(", DiagnosticMessages.expected("'('", after: "function name"))
        var parameters: [Parameter] = []
        if !current.isPunctuation(")") {
            repeat {
                parameters.append(try param())
            } while consume(",")
        }
        try expect(")", DiagnosticMessages.expected("')'", after: "parameters"))
        var result = ValueType.void
        var resultLocation: SourceLocation?
        if consume("->") {
            resultLocation = current.location
            result = try resultType()
        }
        let body = try block()
        return FunctionDecl(name: name, parameters: parameters, result: result, body: body,
                            differentiable: differentiable, derivative: derivative, location: funcLocation,
                            resultLocation: resultLocation)
    }

    enum Attribute {
        case differentiable(DifferentiableAttribute)
        case derivative(DerivativeAttribute)
    }

    /// attribute := '@differentiable' [ '(' 'wrt' ':' name { ',' name } ')' ]
    ///            | '@derivative' '(' 'of' ':' name ')'
    mutating func attribute() throws -> Attribute {
        let token = advance()
        if token.text == "derivative" {
            try expect("(", DiagnosticMessages.expected("'('", after: "'@derivative'"))
            let label = try identifier(DiagnosticMessages.expected("'of'", after: "'@derivative('"))
            guard label.name == "of" else {
                throw Diagnostic(at: label.location, DiagnosticMessages.expected("'of'", after: "'@derivative('"))
            }
            try expect(":", DiagnosticMessages.expected("':'", after: "'of'"))
            let of = try identifier(DiagnosticMessages.expectedFunctionName)
            try expect(")", DiagnosticMessages.expected("')'", after: "attribute arguments"))
            return .derivative(DerivativeAttribute(of: of, location: token.location))
        }
        guard token.text == "differentiable" else {
            throw Diagnostic(at: token.location, DiagnosticMessages.unknownAttribute(token.text))
        }
        var wrt: [Identifier]?
        if consume("(") {
            let label = try identifier(DiagnosticMessages.expected("'wrt'", after: "'@differentiable('"))
            guard label.name == "wrt" else {
                throw Diagnostic(at: label.location, DiagnosticMessages.expected("'wrt'", after: "'@differentiable('"))
            }
            try expect(":", DiagnosticMessages.expected("':'", after: "'wrt'"))
            var names = [try identifier(DiagnosticMessages.expectedParameterName)]
            while consume(",") { names.append(try identifier(DiagnosticMessages.expectedParameterName)) }
            try expect(")", DiagnosticMessages.expected("')'", after: "attribute arguments"))
            wrt = names
        }
        return .differentiable(DifferentiableAttribute(wrt: wrt, location: token.location))
    }

    /// param := name ':' type
    mutating func param() throws -> Parameter {
        let name = try identifier(DiagnosticMessages.expectedParameterName)
        try expect(":", DiagnosticMessages.expected("':'", after: "parameter name"))
        let (type, location) = try type()
        return Parameter(name: name, type: type, typeLocation: location)
    }

    /// resultType := type | '(' type ',' type { ',' type } ')'
    mutating func resultType() throws -> ValueType {
        guard current.isPunctuation("(") else { return try type().type }
        advance()
        var elements = [try type().type]
        while consume(",") { elements.append(try type().type) }
        try expect(")", DiagnosticMessages.expected("')'", after: "tuple type"))
        guard elements.count >= 2 else {
            throw Diagnostic(at: current.location, DiagnosticMessages.expected("','", after: "the first element of a tuple type"))
        }
        return .tuple(elements)
    }

    /// type := 'Real' | 'Int' | 'Bool' | 'Tensor'
    mutating func type() throws -> (type: ValueType, location: SourceLocation) {
        let token = current
        guard token.kind == .identifier, let type = ValueType(name: token.text) else {
            throw Diagnostic(at: token.location, DiagnosticMessages.expectedType(found: token.description))
        }
        advance()
        return (type, token.location)
    }

    // MARK: - Statements

    /// block := '{' { statement } '}'
    mutating func block() throws -> CodeBlock {
        let open = current.location
        try expect("{", DiagnosticMessages.expected("'{'", after: nil))
        try enterNesting(at: open)
        defer { depth -= 1 }
        var statements: [Statement] = []
        while true {
            skipSeparators()
            if current.isPunctuation("}") { break }
            if current.kind == .end || current.isKeyword("func") {
                constructStart = current.location
                throw Diagnostic(at: current.location, DiagnosticMessages.expectedClosingBrace,
                                 notes: [.init(location: open, message: DiagnosticMessages.toMatchThisBrace)])
            }
            constructStart = current.location
            do {
                statements.append(try statement())
                try statementEnd()
            } catch let diagnostic as Diagnostic {
                // An unclosed block ends at `func` or the end of file: let the function report it once.
                if current.kind == .end || current.isKeyword("func") { throw diagnostic }
                report(diagnostic)
                synchronizeToStatement()
            }
        }
        let close = advance().location
        return CodeBlock(statements: statements, location: open, end: close)
    }

    /// statement := letStatement | varStatement | ifStatement | whileStatement | forStatement
    ///            | returnStatement | 'break' | 'continue' | assignmentOrCall
    mutating func statement() throws -> Statement {
        let token = current
        if token.kind == .keyword {
            switch token.text {
            case "let": return try letStatement()
            case "var": return try varStatement()
            case "if": return try ifStatement()
            case "while": return try whileStatement()
            case "for": return try forStatement()
            case "return": return try returnStatement()
            case "break": advance(); return Statement(.breakLoop, at: token.location)
            case "continue": advance(); return Statement(.continueLoop, at: token.location)
            default: break
            }
        }
        return try assignmentOrCall()
    }

    /// letStatement := 'let' pattern [ ':' type ] '=' expression
    /// pattern := name | '(' name { ',' name } ')'
    mutating func letStatement() throws -> Statement {
        let location = advance().location
        var names: [Identifier] = []
        if consume("(") {
            repeat {
                names.append(try identifier(DiagnosticMessages.expectedVariableName))
            } while consume(",")
            try expect(")", DiagnosticMessages.expected("')'", after: "names"))
        } else {
            names.append(try identifier(DiagnosticMessages.expectedVariableName))
        }
        var type: ValueType?
        if consume(":") { type = try self.type().type }
        try expect("=", DiagnosticMessages.expected("'='", after: "'let \(names.map(\.name).joined(separator: ", "))'"))
        let value = try expression()
        return Statement(.letBinding(names: names, type: type, value: value), at: location)
    }

    /// varStatement := 'var' name [ ':' type ] [ '=' expression ]
    mutating func varStatement() throws -> Statement {
        let location = advance().location
        let name = try identifier(DiagnosticMessages.expectedVariableName)
        var type: ValueType?
        if consume(":") { type = try self.type().type }
        var value: Expr?
        if consume("=") { value = try expression() }
        if type == nil, value == nil {
            throw Diagnostic(at: name.location, DiagnosticMessages.variableNeedsTypeOrValue(name.name))
        }
        return Statement(.varDeclaration(name: name, type: type, value: value), at: location)
    }

    /// ifStatement := 'if' expression block [ 'else' ( block | ifStatement ) ]
    mutating func ifStatement() throws -> Statement {
        let location = advance().location
        let condition = try expression()
        let then = try block()
        // `}` and `else` on separate lines still make one statement, as in Swift.
        if current.kind == .newline, peek(1).isKeyword("else") { advance() }
        var elseBlock: CodeBlock?
        if current.isKeyword("else") {
            advance()
            if current.isKeyword("if") {
                // An `else if` chain nests in the AST, so it counts toward the nesting limit.
                try enterNesting(at: current.location)
                defer { depth -= 1 }
                let nested = try ifStatement()
                elseBlock = CodeBlock(statements: [nested], location: nested.location, end: nested.location)
            } else {
                elseBlock = try block()
            }
        }
        return Statement(.ifElse(condition: condition, then: then, else: elseBlock), at: location)
    }

    /// whileStatement := 'while' expression block
    mutating func whileStatement() throws -> Statement {
        let location = advance().location
        let condition = try expression()
        return Statement(.whileLoop(condition: condition, body: try block()), at: location)
    }

    /// forStatement := 'for' name 'in' expression ( '..<' | '...' ) expression block
    mutating func forStatement() throws -> Statement {
        let location = advance().location
        let variable = try identifier(DiagnosticMessages.expectedVariableName)
        guard current.isKeyword("in") else {
            throw Diagnostic(at: current.location, DiagnosticMessages.expected("'in'", after: "loop variable", found: current.description))
        }
        advance()
        let from = try additive()
        let inclusive: Bool
        if consume("..<") {
            inclusive = false
        } else if consume("...") {
            inclusive = true
        } else {
            throw Diagnostic(at: current.location, DiagnosticMessages.expected("'..<' or '...'", after: "range start", found: current.description))
        }
        let to = try additive()
        return Statement(.forLoop(variable: variable, from: from, to: to, inclusive: inclusive, body: try block()),
                         at: location)
    }

    /// returnStatement := 'return' [ expression ]
    mutating func returnStatement() throws -> Statement {
        let location = advance().location
        if isStatementEnd { return Statement(.returnValue(nil), at: location) }
        return Statement(.returnValue(try expression()), at: location)
    }

    /// assignmentOrCall := expression [ assignOp expression ]
    /// The left side of an assignment must be a name or an indexed name; a lone expression must be a call.
    mutating func assignmentOrCall() throws -> Statement {
        let location = current.location
        let target = try expression()
        let opToken = current
        if opToken.kind == .punctuation, let op = AssignmentOperator(rawValue: opToken.text) {
            advance()
            let value = try expression()
            switch target.kind {
            case .name(let name):
                return Statement(.assignment(target: Identifier(name, at: target.location), indices: [],
                                             op: op, opLocation: opToken.location, value: value), at: location)
            case .index(let base, let indices):
                if case .name(let name) = base.kind {
                    return Statement(.assignment(target: Identifier(name, at: base.location), indices: indices,
                                                 op: op, opLocation: opToken.location, value: value), at: location)
                }
            default: break
            }
            throw Diagnostic(at: target.start, DiagnosticMessages.cannotAssignToExpression)
        }
        switch target.kind {
        case .call, .gradCall:
            return Statement(.expression(target), at: location)
        default:
            throw Diagnostic(at: target.start, DiagnosticMessages.unusedExpression)
        }
    }

    // MARK: - Expressions

    /// expression := orExpression
    mutating func expression() throws -> Expr {
        try enterNesting(at: current.location)
        defer { depth -= 1 }
        return try orExpression()
    }

    /// orExpression := andExpression { '||' andExpression }
    mutating func orExpression() throws -> Expr {
        var left = try andExpression()
        while current.isPunctuation("||") {
            let op = advance()
            left = try bounded(Expr(.binary(.or, left, try andExpression()), at: op.location))
        }
        return left
    }

    /// andExpression := comparison { '&&' comparison }
    mutating func andExpression() throws -> Expr {
        var left = try comparison()
        while current.isPunctuation("&&") {
            let op = advance()
            left = try bounded(Expr(.binary(.and, left, try comparison()), at: op.location))
        }
        return left
    }

    /// comparison := additive [ ( '==' | '!=' | '<' | '<=' | '>' | '>=' ) additive ]   (non-associative)
    mutating func comparison() throws -> Expr {
        let left = try additive()
        guard let op = binaryOperator(in: [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual]) else {
            return left
        }
        let opToken = advance()
        let result = try bounded(Expr(.binary(op, left, try additive()), at: opToken.location))
        if binaryOperator(in: [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual]) != nil {
            throw Diagnostic(at: current.location, DiagnosticMessages.chainedComparison)
        }
        return result
    }

    /// additive := multiplicative { ( '+' | '-' ) multiplicative }
    mutating func additive() throws -> Expr {
        var left = try multiplicative()
        while let op = binaryOperator(in: [.add, .subtract]) {
            let opToken = advance()
            left = try bounded(Expr(.binary(op, left, try multiplicative()), at: opToken.location))
        }
        return left
    }

    /// multiplicative := prefix { ( '*' | '/' | '%' ) prefix }
    mutating func multiplicative() throws -> Expr {
        var left = try prefix()
        while let op = binaryOperator(in: [.multiply, .divide, .remainder]) {
            let opToken = advance()
            left = try bounded(Expr(.binary(op, left, try prefix()), at: opToken.location))
        }
        return left
    }

    /// prefix := ( '-' | '!' ) prefix | power
    mutating func prefix() throws -> Expr {
        if current.isPunctuation("-") || current.isPunctuation("!") {
            let opToken = advance()
            try enterNesting(at: opToken.location)
            defer { depth -= 1 }
            let operand = try prefix()
            return Expr(.unary(opToken.text == "-" ? .negate : .not, operand), at: opToken.location)
        }
        return try power()
    }

    /// power := postfix [ '^' prefix ]   (right-associative; `-x^2` is `-(x^2)`, `x ^ -2` is `x ^ (-2)`)
    mutating func power() throws -> Expr {
        let base = try postfix()
        guard current.isPunctuation("^") else { return base }
        let opToken = advance()
        try enterNesting(at: opToken.location)
        defer { depth -= 1 }
        return Expr(.binary(.power, base, try prefix()), at: opToken.location)
    }

    /// postfix := primary { '[' indexOrSlice ']' | '.' 'T' | '.' name '(' [ arguments ] ')' }
    mutating func postfix() throws -> Expr {
        var expr = try primary()
        while true {
            if current.isPunctuation("[") {
                let open = advance().location
                expr = try bounded(try indexOrSlice(expr, at: open))
            } else if current.isPunctuation(".") {
                advance()
                let member = try identifier(DiagnosticMessages.expectedMemberName)
                if member.name == "T", !current.isPunctuation("(") {
                    expr = try bounded(Expr(.transpose(expr), at: member.location))
                    continue
                }
                try expect("(", DiagnosticMessages.expected("'('", after: "method name '\(member.name)'"))
                var args = [Argument(label: nil, value: expr)]
                args += try arguments()
                expr = try bounded(Expr(.call(callee: member, arguments: args), at: member.location))
            } else {
                return expr
            }
        }
    }

    /// indexOrSlice := expression '..<' expression | index { ',' index }
    mutating func indexOrSlice(_ base: Expr, at open: SourceLocation) throws -> Expr {
        let first = try index()
        if current.isPunctuation("..<") {
            // A slice's bounds are Ints; `:` means a whole axis and has no place in one.
            if case .wholeAxis = first.kind { throw Diagnostic(at: first.location, DiagnosticMessages.wholeAxisInSlice) }
            advance()
            let end = try expression()
            try expect("]", DiagnosticMessages.expected("']'", after: "slice"))
            return Expr(.slice(base, from: first, to: end), at: open)
        }
        var indices = [first]
        while consume(",") { indices.append(try index()) }
        try expect("]", DiagnosticMessages.expected("']'", after: "index"))
        return Expr(.index(base, indices), at: open)
    }

    /// index := expression | ':'   (`:` takes the whole axis)
    mutating func index() throws -> Expr {
        if current.isPunctuation(":") { return Expr(.wholeAxis, at: advance().location) }
        return try expression()
    }

    /// primary := integer | real | 'true' | 'false' | string | name | call | gradCall
    ///          | tensorLiteral | '(' expression ')'
    mutating func primary() throws -> Expr {
        let token = current
        switch token.kind {
        case .integer:
            advance()
            return Expr(.integer(token.text), at: token.location)
        case .real:
            advance()
            return Expr(.real(token.text), at: token.location)
        case .string:
            advance()
            return Expr(.string(token.text), at: token.location)
        case .keyword where token.text == "true" || token.text == "false":
            advance()
            return Expr(.bool(token.text == "true"), at: token.location)
        case .identifier:
            advance()
            if token.text == "grad", current.isPunctuation("(") {
                let function = try gradFunction(at: token.location)
                try expect("(", DiagnosticMessages.gradNeedsArguments)
                return Expr(.gradCall(function, arguments: try arguments()), at: token.location)
            }
            if consume("(") {
                return Expr(.call(callee: Identifier(token.text, at: token.location), arguments: try arguments()),
                            at: token.location)
            }
            return Expr(.name(token.text), at: token.location)
        case .punctuation where token.text == "(":
            advance()
            let inner = try expression()
            if current.isPunctuation(",") {
                // `(a, b)`: a tuple, which Sema accepts only as a returned value.
                var elements = [inner]
                while consume(",") { elements.append(try expression()) }
                try expect(")", DiagnosticMessages.expected("')'", after: "tuple elements"))
                return Expr(.tuple(elements), at: token.location)
            }
            try expect(")", DiagnosticMessages.expected("')'", after: "expression"))
            inner.openParenthesis = token.location  // the outermost '(' wins: it is set last
            return inner
        case .punctuation where token.text == "[":
            return try tensorLiteral()
        case .punctuation where token.text == ":":
            throw Diagnostic(at: token.location, DiagnosticMessages.wholeAxisOutsideIndex)
        default:
            throw Diagnostic(at: token.location, DiagnosticMessages.expectedExpression(found: token.description))
        }
    }

    /// tensorLiteral := '[' [ expression { ',' expression } [ ',' ] ] ']'
    mutating func tensorLiteral() throws -> Expr {
        let open = advance().location
        try enterNesting(at: open)
        defer { depth -= 1 }
        var elements: [Expr] = []
        while !current.isPunctuation("]") {
            elements.append(try expression())
            if !consume(",") { break }
        }
        try expect("]", DiagnosticMessages.expected("']'", after: "tensor elements"))
        return Expr(.tensorLiteral(elements), at: open)
    }

    /// gradFunction := 'grad' '(' ( gradFunction | name ) { ',' ( 'wrt' ':' name { ',' name } | 'head' ':' expression ) } ')'
    mutating func gradFunction(at location: SourceLocation) throws -> GradFunction {
        try expect("(", DiagnosticMessages.expected("'('", after: "'grad'"))
        try enterNesting(at: location)
        defer { depth -= 1 }
        let name = try identifier(DiagnosticMessages.expectedGradTarget)
        let target: GradFunction.Target
        if name.name == "grad", current.isPunctuation("(") {
            target = .grad(try gradFunction(at: name.location))
        } else {
            target = .named(name)
        }
        var wrt: [Identifier]?
        var head: Expr?
        while consume(",") {
            let label = try identifier(DiagnosticMessages.expectedGradOption)
            try expect(":", DiagnosticMessages.expected("':'", after: "'\(label.name)'"))
            switch label.name {
            case "wrt" where wrt == nil:
                var names = [try identifier(DiagnosticMessages.expectedParameterName)]
                // `wrt: p, q, head: h`: a name followed by ':' starts the next option.
                while current.isPunctuation(","), peek(1).kind == .identifier, !peek(2).isPunctuation(":") {
                    advance()
                    names.append(try identifier(DiagnosticMessages.expectedParameterName))
                }
                wrt = names
            case "head" where head == nil:
                head = try expression()
            case "wrt", "head":
                throw Diagnostic(at: label.location, DiagnosticMessages.duplicateGradOption(label.name))
            default:
                throw Diagnostic(at: label.location, DiagnosticMessages.expectedGradOption)
            }
        }
        try expect(")", DiagnosticMessages.expected("')'", after: "'grad' options"))
        return GradFunction(target: target, wrt: wrt, head: head, location: location)
    }

    /// arguments := [ argument { ',' argument } ] ')'     argument := [ name ':' ] expression
    mutating func arguments() throws -> [Argument] {
        var args: [Argument] = []
        if consume(")") { return args }
        repeat {
            var label: Identifier?
            if current.kind == .identifier, peek(1).isPunctuation(":") {
                label = Identifier(current.text, at: current.location)
                advance()
                advance()
            }
            args.append(Argument(label: label, value: try expression()))
        } while consume(",")
        try expect(")", DiagnosticMessages.expected("')'", after: "arguments"))
        return args
    }

    // MARK: - Token helpers

    /// Records a syntax error unless a lexical error already explains it: one between the start of the
    /// construct and the error, or an unterminated comment before it (it swallowed the rest of the file).
    private mutating func report(_ diagnostic: Diagnostic) {
        if let comment = unterminatedComment, comment <= diagnostic.location { return }
        if lexicalErrors.contains(where: { constructStart <= $0 && $0 <= diagnostic.location }) { return }
        diagnostics.append(diagnostic)
    }

    /// A node built by a loop (an operator chain, a postfix chain), checked against the height limit.
    private func bounded(_ expr: Expr) throws -> Expr {
        guard expr.height <= Parser.maximumExpressionHeight else {
            throw Diagnostic(at: expr.location, DiagnosticMessages.expressionTooComplex)
        }
        return expr
    }

    private var current: Token { tokens[position] }

    private func peek(_ offset: Int) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func consume(_ punctuation: String) -> Bool {
        guard current.isPunctuation(punctuation) else { return false }
        advance()
        return true
    }

    /// Consumes `punctuation`, or reports `message` and the token found instead (a newline or the end of
    /// the file is invisible under the caret, so it is named).
    private mutating func expect(_ punctuation: String, _ message: String) throws {
        guard consume(punctuation) else {
            throw Diagnostic(at: current.location, DiagnosticMessages.found(message, current.description))
        }
    }

    private mutating func identifier(_ message: String) throws -> Identifier {
        guard current.kind == .identifier else {
            throw Diagnostic(at: current.location, DiagnosticMessages.found(message, current.description))
        }
        let token = advance()
        return Identifier(token.text, at: token.location)
    }

    private func binaryOperator(in candidates: [BinaryOperator]) -> BinaryOperator? {
        guard current.kind == .punctuation, let op = BinaryOperator(rawValue: current.text),
              candidates.contains(op) else { return nil }
        return op
    }

    private var isStatementEnd: Bool {
        current.kind == .newline || current.kind == .end || current.isPunctuation(";") || current.isPunctuation("}")
    }

    /// After a statement: a newline, `;`, or the block's closing brace.
    private mutating func statementEnd() throws {
        guard isStatementEnd else {
            throw Diagnostic(at: current.location, DiagnosticMessages.expectedStatementEnd(found: current.description))
        }
    }

    private mutating func enterNesting(at location: SourceLocation) throws {
        depth += 1
        if depth > Parser.maximumDepth {
            depth -= 1
            throw Diagnostic(at: location, DiagnosticMessages.nestingTooDeep)
        }
    }

    private mutating func skipSeparators() {
        while current.kind == .newline || current.isPunctuation(";") { advance() }
    }

    private mutating func skipNewlines() {
        while current.kind == .newline { advance() }
    }

    /// Skips to the next statement boundary after an error: past a newline or `;`, or up to a `}` that
    /// closes the current block (braces opened while skipping are balanced).
    private mutating func synchronizeToStatement() {
        var braces = 0
        while current.kind != .end {
            if current.isPunctuation("{") { braces += 1 }
            if current.isPunctuation("}") {
                if braces == 0 { return }
                braces -= 1
            }
            if braces == 0, current.kind == .newline || current.isPunctuation(";") {
                advance()
                return
            }
            if braces == 0, current.isKeyword("func") { return }
            advance()
        }
    }

    /// Skips to the next top-level `func` (or attribute) after an error outside any function body.
    private mutating func synchronizeToFunction() {
        while current.kind != .end, !current.isKeyword("func"), current.kind != .attribute {
            advance()
        }
        if current.kind == .end { return }
        // A `func` at the error's own position would loop forever: step past it.
        if position > 0, tokens[position - 1].isKeyword("func") { advance() }
    }
}
