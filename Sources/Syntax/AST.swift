// Syntax stage: the abstract syntax tree the parser builds and Sema annotates.
//
// Nodes are classes so that semantic analysis can attach its facts (types, the
// symbol a name refers to) in place; the parser leaves those fields nil.
import AdjointBasic

/// A whole `.adj` file: its functions in source order.
public final class SourceUnit {
    public let functions: [FunctionDecl]
    public init(functions: [FunctionDecl]) { self.functions = functions }
}

/// `@differentiable(wrt: ...)` on a function; `wrt` nil means every Real and Tensor parameter.
public struct DifferentiableAttribute: Sendable {
    public var wrt: [Identifier]?
    public var location: SourceLocation
}

/// `@derivative(of: f)` on a function `d`: d gives f's vector-Jacobian product by hand (spec §7).
public struct DerivativeAttribute: Sendable {
    public var of: Identifier
    public var location: SourceLocation
    public init(of: Identifier, location: SourceLocation) {
        self.of = of
        self.location = location
    }
}

/// A name together with where it was written.
public struct Identifier: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation
    public init(_ name: String, at location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public struct Parameter: Sendable {
    public var name: Identifier
    public var type: ValueType
    public var typeLocation: SourceLocation
}

/// `func name(params) -> result { body }`.
public final class FunctionDecl {
    public let name: Identifier
    public let parameters: [Parameter]
    public let result: ValueType
    public let body: CodeBlock
    public let differentiable: DifferentiableAttribute?
    /// Set when this function is a custom derivative of another.
    public let derivative: DerivativeAttribute?
    /// Where `func` was written.
    public let location: SourceLocation
    /// Where the result type was written (the function's name when it has none).
    public let resultLocation: SourceLocation

    public init(name: Identifier, parameters: [Parameter], result: ValueType, body: CodeBlock,
                differentiable: DifferentiableAttribute?, derivative: DerivativeAttribute? = nil,
                location: SourceLocation, resultLocation: SourceLocation? = nil) {
        self.name = name
        self.parameters = parameters
        self.result = result
        self.body = body
        self.differentiable = differentiable
        self.derivative = derivative
        self.location = location
        self.resultLocation = resultLocation ?? name.location
    }
}

/// `{ statements }`; `end` is where the closing brace stands.
public final class CodeBlock {
    public let statements: [Statement]
    public let location: SourceLocation
    public let end: SourceLocation
    public init(statements: [Statement], location: SourceLocation, end: SourceLocation) {
        self.statements = statements
        self.location = location
        self.end = end
    }
}

/// The compound-assignment operators; `=` is `.assign`.
public enum AssignmentOperator: String, Sendable {
    case assign = "=", add = "+=", subtract = "-=", multiply = "*=", divide = "/="

    /// The binary operator a compound assignment applies (`+=` applies `+`).
    public var binary: BinaryOperator? {
        switch self {
        case .assign: return nil
        case .add: return .add
        case .subtract: return .subtract
        case .multiply: return .multiply
        case .divide: return .divide
        }
    }
}

/// A statement; `location` is its first token.
public final class Statement {
    public enum Kind {
        case letBinding(names: [Identifier], type: ValueType?, value: Expr)
        case varDeclaration(name: Identifier, type: ValueType?, value: Expr?)
        /// `target[indices] op= value`; `indices` empty for a plain variable.
        case assignment(target: Identifier, indices: [Expr], op: AssignmentOperator, opLocation: SourceLocation, value: Expr)
        case ifElse(condition: Expr, then: CodeBlock, else: CodeBlock?)
        case whileLoop(condition: Expr, body: CodeBlock)
        case forLoop(variable: Identifier, from: Expr, to: Expr, inclusive: Bool, body: CodeBlock)
        case returnValue(Expr?)
        case breakLoop
        case continueLoop
        case expression(Expr)
    }

    public let kind: Kind
    public let location: SourceLocation
    /// Set by Sema: the symbols this statement declares (let, var, for).
    public var declared: [Symbol] = []
    /// Set by Sema: the symbol an assignment writes.
    public var assigned: Symbol?

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or = "||", and = "&&"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "^"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}

public enum UnaryOperator: String, Sendable {
    case negate = "-", not = "!"
}

/// A labelled or unlabelled call argument: `x`, `axis: 1`.
public struct Argument {
    public var label: Identifier?
    public var value: Expr
}

/// `grad(f, wrt: p, q, head: h)`: the function being differentiated and the options.
public final class GradFunction {
    public enum Target {
        case named(Identifier)
        case grad(GradFunction)
    }
    public let target: Target
    public let wrt: [Identifier]?
    public let head: Expr?
    public let location: SourceLocation
    /// Set by Sema: parameter indices being differentiated, in `wrt` order.
    public var wrtIndices: [Int] = []
    /// Set by Sema: the signature of the function being differentiated.
    public var targetSignature: FunctionSignature?

    public init(target: Target, wrt: [Identifier]?, head: Expr?, location: SourceLocation) {
        self.target = target
        self.wrt = wrt
        self.head = head
        self.location = location
    }
}

/// An expression; `location` is the place a diagnostic about it points to.
public final class Expr {
    public enum Kind {
        case integer(String)
        case real(String)
        case bool(Bool)
        case string(String)
        case name(String)
        case tensorLiteral([Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        case call(callee: Identifier, arguments: [Argument])
        case gradCall(GradFunction, arguments: [Argument])
        /// `base[i, j]`; an index may be `.wholeAxis`, which makes the result a Tensor.
        case index(Expr, [Expr])
        /// `:` in an index list: the whole axis (the parser makes it nowhere else).
        case wholeAxis
        case slice(Expr, from: Expr, to: Expr)
        case transpose(Expr)
        /// `(a, b)`: only as a returned value (spec §7: tuples are not stored or passed).
        case tuple([Expr])
    }

    public let kind: Kind
    public let location: SourceLocation
    /// Set by Sema.
    public var type: ValueType?
    /// Set by Sema for `.name`: what the name refers to.
    public var symbol: Symbol?
    /// Set by Sema for `.call`: the user function called, nil for a builtin. Weak: the `SourceUnit` owns
    /// every function, and strong links along a long call chain would make releasing it recurse deeply.
    public weak var callee: FunctionDecl?

    /// The height of the tree below this node (a leaf is 1). The parser bounds it, so the recursive
    /// passes after it (Sema, lowering, even releasing the tree) cannot overflow the stack.
    public let height: Int
    /// Set by the parser when the expression was written in parentheses: where the outermost `(` stands.
    public var openParenthesis: SourceLocation?

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
        self.height = 1 + (Expr.children(of: kind).lazy.map(\.height).max() ?? 0)
    }

    /// The direct subexpressions of a node, in source order.
    public static func children(of kind: Kind) -> [Expr] {
        switch kind {
        case .integer, .real, .bool, .string, .name, .wholeAxis: return []
        case .tensorLiteral(let elements): return elements
        case .unary(_, let operand): return [operand]
        case .binary(_, let left, let right): return [left, right]
        case .call(_, let arguments): return arguments.map(\.value)
        case .gradCall(let function, let arguments):
            var heads: [Expr] = []
            var g: GradFunction? = function
            while let current = g {
                if let head = current.head { heads.append(head) }
                if case .grad(let inner) = current.target { g = inner } else { g = nil }
            }
            return heads + arguments.map(\.value)
        case .index(let base, let indices): return [base] + indices
        case .slice(let base, let from, let to): return [base, from, to]
        case .transpose(let base): return [base]
        case .tuple(let elements): return elements
        }
    }

    /// The first character of the expression as written: where a diagnostic about the expression as a
    /// whole points (a mistyped initializer or argument), while `location` is the node's own place
    /// (a binary operation's operator, a call's callee name, an index's `[`).
    public var start: SourceLocation {
        var expr = self
        while true {
            if let open = expr.openParenthesis { return open }
            switch expr.kind {
            case .binary(_, let left, _): expr = left
            case .index(let base, _), .slice(let base, _, _), .transpose(let base): expr = base
            case .call(_, let arguments):
                // `x.name(args)` is `name(x, args)`: the receiver comes first in the source.
                guard let receiver = arguments.first, receiver.label == nil,
                      receiver.value.location < expr.location else { return expr.location }
                expr = receiver.value
            default: return expr.location
            }
        }
    }
}

/// A local variable, constant or parameter, created by Sema.
public final class Symbol {
    public enum Role { case parameter, constant, variable }
    public let name: String
    public let type: ValueType
    public let role: Role
    public let location: SourceLocation
    public init(name: String, type: ValueType, role: Role, location: SourceLocation) {
        self.name = name
        self.type = type
        self.role = role
        self.location = location
    }
}

/// A function's parameter and result types, for user functions and `grad` targets alike.
public struct FunctionSignature: Sendable, Equatable {
    public var name: String
    public var parameterNames: [String]
    public var parameters: [ValueType]
    public var result: ValueType
    public init(name: String, parameterNames: [String], parameters: [ValueType], result: ValueType) {
        self.name = name
        self.parameterNames = parameterNames
        self.parameters = parameters
        self.result = result
    }
}
