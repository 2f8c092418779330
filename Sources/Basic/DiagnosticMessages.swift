// Basic stage: the text of every user diagnostic, in one place.
//
// Messages are lowercase, end without a period and say what was expected
// ("expected ')' after arguments"), one phrasing per family, as swift-syntax does.
// Members are alphabetical; tests assert these texts, so a change here is visible.

/// Every message the front end, Sema and the engines show a user.
public enum DiagnosticMessages {
    public static func argumentCount(_ name: String, expected: String, got: Int) -> String {
        "'\(name)' takes \(expected), but \(got) \(got == 1 ? "was" : "were") given"
    }
    public static func argumentType(_ name: String, position: Int, expected: String, got: String) -> String {
        "argument \(position) of '\(name)' must be \(expected), not \(got)"
    }
    public static func assignToConstant(_ name: String, role: String) -> String {
        "cannot assign to \(role) '\(name)'; declare a copy with 'var'"
    }
    public static func binaryOperandTypes(_ op: String, _ left: String, _ right: String) -> String {
        "operator '\(op)' cannot combine \(left) and \(right)"
    }
    public static let breakOutsideLoop = "'break' outside a loop"
    public static let cannotAssignToExpression = "cannot assign to this expression; expected a name or an indexed name"
    public static let chainedComparison = "comparison operators cannot be chained; use '&&'"
    public static func conditionNotBool(_ got: String) -> String { "condition must be Bool, not \(got)" }
    public static let continueOutsideLoop = "'continue' outside a loop"
    public static func duplicateFunction(_ name: String) -> String { "function '\(name)' is defined twice" }
    public static func duplicateGradOption(_ label: String) -> String { "'\(label):' is given twice in 'grad'" }
    public static func duplicateParameter(_ name: String) -> String { "parameter '\(name)' is declared twice" }
    public static func duplicateWrt(_ name: String) -> String { "'\(name)' is named twice in 'wrt:'" }
    public static func emptyTensorLiteral() -> String { "a tensor literal needs at least one element" }
    public static func expected(_ what: String, after: String?, found: String? = nil) -> String {
        "expected \(what)" + (after.map { " after \($0)" } ?? "") + (found.map { ", found \($0)" } ?? "")
    }
    public static let expectedAttributeName = "expected attribute name after '@'"
    public static let expectedClosingBrace = "expected '}' to end the block"
    public static func expectedExpression(found: String) -> String { "expected expression, found \(found)" }
    public static func expectedFunction(found: String) -> String { "expected 'func', found \(found)" }
    public static let expectedFunctionName = "expected function name after 'func'"
    public static let expectedGradOption = "expected 'wrt:' or 'head:' in 'grad'"
    public static let expectedGradTarget = "expected a function name in 'grad'"
    public static let expectedMemberName = "expected method name after '.'"
    public static let expectedParameterName = "expected parameter name"
    public static func expectedStatementEnd(found: String) -> String {
        "expected newline or ';' after statement, found \(found)"
    }
    public static func expectedType(found: String) -> String {
        "expected type 'Real', 'Int', 'Bool' or 'Tensor', found \(found)"
    }
    public static let expectedVariableName = "expected variable name"
    public static let expressionTooComplex = "expression is too long or too deeply nested; split it into several statements"
    /// `MESSAGE, found TOKEN`: an expectation and the token met instead.
    public static func found(_ expectation: String, _ token: String) -> String { "\(expectation), found \(token)" }
    public static let gradNeedsArguments = "expected '(' with arguments after 'grad(...)'"
    public static func gradOfNonDifferentiableResult(_ name: String, _ type: String) -> String {
        "cannot differentiate '\(name)': its result is \(type), not Real or Tensor"
    }
    public static func gradOfTuple(_ name: String, _ type: String) -> String {
        "cannot differentiate '\(name)': its result is a tuple \(type), not Real or Tensor"
    }
    public static func gradTargetNotDifferentiable(_ name: String) -> String {
        "'\(name)' cannot be differentiated; 'grad' takes a user function or an elementwise built-in"
    }
    public static func headType(expected: String, got: String) -> String {
        "head must be \(expected) (the result type), not \(got)"
    }
    public static func integerTooLarge(_ text: String) -> String { "integer literal '\(text)' does not fit in 64 bits" }
    public static let invalidEscape = "invalid escape in string; use \\\", \\\\, \\n or \\t"
    public static func malformedNumber(_ text: String) -> String { "malformed number '\(text)'" }
    public static func missingReturn(_ name: String, _ type: String) -> String {
        "missing return in '\(name)', which returns \(type)"
    }
    /// `index must be Int, not Real`: a value in a place that takes one type.
    public static func mustBe(_ what: String, expected: String, got: String) -> String {
        "\(what) must be \(expected), not \(got)"
    }
    public static let nestingTooDeep = "nesting too deep"
    public static func noDifferentiableParameter(_ name: String) -> String {
        "cannot differentiate '\(name)': it has no Real or Tensor parameter"
    }
    public static func noSuchFunction(_ name: String) -> String { "no function named '\(name)'" }
    public static func derivativeOfBuiltin(_ name: String) -> String {
        "'\(name)' is a built-in function; '@derivative(of:)' names a function of this program"
    }
    public static func derivativeOfNonDifferentiableResult(_ name: String, _ type: String) -> String {
        "'\(name)' returns \(type); only a function returning Real or Tensor can have a custom derivative"
    }
    public static func secondDerivative(_ name: String, first: String) -> String {
        "'\(name)' already has a custom derivative, '\(first)'"
    }
    public static func derivativeSignature(_ name: String, of function: String, expected: String) -> String {
        "custom derivative '\(name)' of '\(function)' must have the signature \(expected): "
            + "'\(function)'s parameters, then the head, returning the gradient of each Real and Tensor parameter"
    }
    public static func derivativeRecursion(_ name: String, of function: String, through target: String) -> String {
        "recursion through custom derivative '\(name)': it differentiates '\(target)', whose reverse sweep "
            + "calls '\(name)' again for '\(function)'"
    }
    public static func noSuchParameter(_ name: String, function: String) -> String {
        "'\(function)' has no parameter named '\(name)'"
    }
    public static let numberTooLarge = "number literal is too large (at most 1000 digits and exponent 1000)"
    public static func callsNestedTooDeeply(callee: String, limit: Int) -> String {
        "calls nested too deeply: '\(callee)' already starts a chain of \(limit) nested calls, the most a program may have"
    }
    public static func recursionNotSupported(_ cycle: String) -> String {
        "recursion is not supported: \(cycle)"
    }
    public static func redeclaration(_ name: String) -> String { "'\(name)' is already declared in this scope" }
    public static func returnType(expected: String, got: String) -> String {
        "cannot return \(got) from a function that returns \(expected)"
    }
    public static let returnValueInVoidFunction = "this function returns nothing; remove the value"
    public static let returnWithoutValue = "missing return value"
    public static let stringOutsidePrint = "string literals are allowed only as 'print' arguments"
    public static let tensorLiteralRagged = "rows of a tensor literal must have the same shape"
    public static func tensorLiteralElement(_ got: String) -> String { "tensor literal elements must be Real, not \(got)" }
    public static let toMatchThisBrace = "to match this '{'"
    public static func tupleCount(expected: Int, got: Int) -> String {
        "this pattern binds \(expected) \(expected == 1 ? "name" : "names"), but the value has \(got) \(got == 1 ? "element" : "elements")"
    }
    public static func typeMismatch(_ name: String, expected: String, got: String) -> String {
        "cannot assign \(got) to '\(name)' of type \(expected)"
    }
    public static func unaryOperandType(_ op: String, _ got: String) -> String { "operator '\(op)' cannot take \(got)" }
    public static func undefinedName(_ name: String) -> String { "undefined name '\(name)'" }
    public static func unexpectedCharacter(_ c: String) -> String { "unexpected character '\(c)'" }
    public static let tupleNotAllowedHere =
        "a tuple can only be returned, or destructured with 'let (a, b) = ...'; it cannot be stored or passed"
    public static func unknownAttribute(_ name: String) -> String { "unknown attribute '@\(name)'" }
    public static func unknownLabel(_ label: String, function: String) -> String {
        "'\(function)' has no argument labelled '\(label)'"
    }
    public static func uninitialized(_ name: String) -> String { "'\(name)' is read before it is assigned" }
    public static let unterminatedComment = "unterminated comment"
    public static let unterminatedString = "unterminated string literal"
    public static let unusedExpression = "unused expression; only a call can stand alone as a statement"
    public static func variableNeedsTypeOrValue(_ name: String) -> String {
        "'var \(name)' needs a type or an initial value"
    }
    public static func voidValue(_ name: String) -> String { "'\(name)' returns nothing; its result cannot be used" }
    public static func wrtNotDifferentiable(_ name: String, _ type: String) -> String {
        "cannot differentiate with respect to '\(name)': it is \(type), not Real or Tensor"
    }
    public static func intAccumulatesReal(_ name: String) -> String {
        "'\(name)' is an Int (declared from an integer literal) and cannot hold a Real; declare it with '0.0'"
    }
}

extension DiagnosticMessages {
    public static let innerGradHead = "an inner 'grad' cannot take 'head:'; give the head to the outermost 'grad'"
    public static let wholeAxisInSlice = "':' takes a whole axis and cannot be a slice bound; write x[a..<b] or x[i, :]"
    public static let wholeAxisOutsideIndex = "':' stands only for a whole axis in an index, as in m[i, :]"
}
