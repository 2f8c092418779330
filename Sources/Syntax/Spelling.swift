// Syntax stage: an expression written back as source text.
//
// Run-time messages about an index quote it as the user wrote it (`m[t + 1]`) and show the
// form to write instead (`m[t + 1, :]`), so lowering keeps the spelling of subscripts.

extension Expr {
    /// Whether this is a `:` in an index list.
    public var isWholeAxis: Bool {
        if case .wholeAxis = kind { return true }
        return false
    }

    /// The expression in source form, with parentheses only where the tree needs them.
    public var spelling: String { spelled(precedence: 0) }

    private func spelled(precedence outer: Int) -> String {
        switch kind {
        case .integer(let text), .real(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .string(let text): return "\"\(text)\""
        case .name(let name): return name
        case .wholeAxis: return ":"
        case .tensorLiteral(let elements): return "[" + elements.map(\.spelling).joined(separator: ", ") + "]"
        case .unary(let op, let operand):
            return parenthesized(op.rawValue + operand.spelled(precedence: Expr.prefixPrecedence),
                                 Expr.prefixPrecedence, outer)
        case .binary(let op, let left, let right):
            let p = Expr.precedence(op)
            // Left-associative except '^': the operand on the other side needs one more level.
            let (l, r) = op == .power ? (p + 1, p) : (p, p + 1)
            return parenthesized("\(left.spelled(precedence: l)) \(op.rawValue) \(right.spelled(precedence: r))", p, outer)
        case .call(let callee, let arguments):
            let args = arguments.map { ($0.label.map { "\($0.name): " } ?? "") + $0.value.spelling }
            return "\(callee.name)(" + args.joined(separator: ", ") + ")"
        case .gradCall(let function, let arguments):
            return Expr.spelling(function) + "(" + arguments.map(\.value.spelling).joined(separator: ", ") + ")"
        case .index(let base, let indices):
            return base.spelled(precedence: Expr.postfixPrecedence) + "[" + indices.map(\.spelling).joined(separator: ", ") + "]"
        case .slice(let base, let from, let to):
            return base.spelled(precedence: Expr.postfixPrecedence) + "[\(from.spelling)..<\(to.spelling)]"
        case .transpose(let base):
            return base.spelled(precedence: Expr.postfixPrecedence) + ".T"
        case .tuple(let elements):
            return "(" + elements.map(\.spelling).joined(separator: ", ") + ")"
        }
    }

    /// `grad(f, wrt: x, head: h)`.
    private static func spelling(_ function: GradFunction) -> String {
        var parts: [String]
        switch function.target {
        case .named(let name): parts = [name.name]
        case .grad(let inner): parts = [spelling(inner)]
        }
        if let wrt = function.wrt { parts.append("wrt: " + wrt.map(\.name).joined(separator: ", ")) }
        if let head = function.head { parts.append("head: " + head.spelling) }
        return "grad(" + parts.joined(separator: ", ") + ")"
    }

    private func parenthesized(_ text: String, _ precedence: Int, _ outer: Int) -> String {
        precedence < outer ? "(\(text))" : text
    }

    private static let prefixPrecedence = 7
    private static let postfixPrecedence = 9

    private static func precedence(_ op: BinaryOperator) -> Int {
        switch op {
        case .or: return 1
        case .and: return 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return 3
        case .add, .subtract: return 4
        case .multiply, .divide, .remainder: return 5
        case .power: return 8
        }
    }
}
