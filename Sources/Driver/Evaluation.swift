// Driver stage: `adjoint eval`: evaluate one function at arguments given as source expressions.
//
// An `--arg P=EXPR` expression is any constant expression of the language. It is
// compiled by the same front end, as the body of a synthesized function whose
// result type is P's type (so an Int literal serves a Real parameter), and run by
// the same interpreter, sharing its random stream with the function's own draws.
import AdjointBasic
import AdjointSyntax
import AdjointSema
import AdjointIR
import AdjointLowering
import AdjointInterpreter
import AdjointExact

extension ValueType {
    /// "a Real", "an Int": the type as a noun in a sentence.
    var withArticle: String {
        let text = description
        return ("AEIOU".contains(text.first ?? "x") ? "an " : "a ") + text
    }
}

/// A value a command computed, in the engine that computed it (for the `Adjoint` library's `Value`).
public enum EngineValue: Sendable {
    case double(Value<Double>)
    case exact(Value<ExactReal>)

    init<S: Scalar>(_ value: Value<S>) {
        if let v = value as? Value<ExactReal> { self = .exact(v) } else { self = .double(value as! Value<Double>) }
    }
}

/// Which number type evaluates Reals.
public enum Engine: Sendable {
    case double, exact
}

/// Runs `body` with exact mode's size limit set to `bits` (the numerator or denominator of a rational past it
/// stops the run with an error); the limit holds for this task and thread only.
public func withExactLimit<T>(bits: Int, _ body: () throws -> T) throws -> T {
    guard bits > 0 else { throw DriverError.usage("--max-bits must be positive, got \(bits)") }
    return try ExactReal.$maximumBits.withValue(bits, operation: body)
}

/// The size limit of exact mode's rationals when none is given, in bits.
public let defaultExactLimitBits = ExactReal.maximumBits

/// What `eval` was asked to do.
public struct EvalRequest: Sendable {
    public var function: String
    public var arguments: [(name: String, expression: String)]
    public var seed: Int
    public var engine: Engine

    public init(function: String, arguments: [(name: String, expression: String)], seed: Int = 0, engine: Engine = .double) {
        self.function = function
        self.arguments = arguments
        self.seed = seed
        self.engine = engine
    }
}

/// The result of an evaluation: the value as `print` writes it and as JSON, and what the program printed.
public struct EvalResult: Sendable {
    /// The value itself (void for a function that returns nothing).
    public var value: EngineValue = .double(.void)
    public var printed: String
    public var json: String
    public var output: [String]
    /// True when the function returns nothing (nothing to print).
    public var isVoid: Bool
}

extension Compilation {
    /// Evaluates `request.function` in a plain call (`is_training()` false).
    public func evaluate(_ request: EvalRequest, output: @escaping (String) -> Void) throws -> EvalResult {
        switch request.engine {
        case .double: return try evaluate(request, as: Double.self, output: output)
        case .exact: return try evaluate(request, as: ExactReal.self, output: output)
        }
    }

    private func evaluate<S: Scalar>(_ request: EvalRequest, as: S.Type,
                                     output: @escaping (String) -> Void) throws -> EvalResult {
        let module = try differentiate()
        let function = try userFunction(request.function, in: module)
        var lines: [String] = []
        var interpreter = Interpreter<S>(module: module, seed: request.seed) { line in
            lines.append(line)
            output(line)
        }
        let arguments = try argumentValues(for: function, request.arguments, using: &interpreter)
        do {
            let value = try interpreter.call(function.name, arguments)
            if case .void = value { return EvalResult(printed: "", json: "null", output: lines, isVoid: true) }
            return EvalResult(value: EngineValue(value), printed: value.printed, json: value.jsonText, output: lines,
                              isVoid: false)
        } catch let error as RuntimeError {
            throw DriverError.user(error.diagnostic.rendered(in: file))
        }
    }

    /// Evaluates each `--arg` expression as a value of its parameter's type, in parameter order.
    func argumentValues<S: Scalar>(for function: Function, _ given: [(name: String, expression: String)],
                                   using interpreter: inout Interpreter<S>) throws -> [Value<S>] {
        for (name, _) in given where !function.parameterNames.contains(name) {
            throw noParameter(name, of: function)
        }
        var values: [Value<S>] = []
        for (name, type) in zip(function.parameterNames, function.parameterTypes) {
            guard let expression = given.last(where: { $0.name == name })?.expression else {
                throw DriverError.user("\(file.path): error: missing --arg \(name)=EXPR for parameter '\(name)' of '\(function.name)'\n")
            }
            values.append(try Compilation.constantValue(expression, type: type, name: name, interpreter: &interpreter))
        }
        return values
    }

    /// The value of a constant expression of the language, as a value of `type`.
    static func constantValue<S: Scalar>(_ expression: String, type: ValueType, name: String,
                                         interpreter: inout Interpreter<S>) throws -> Value<S> {
        // The expression follows `return ` on line 2; diagnostics are moved back onto the expression alone,
        // and one past its end when they point at what follows it.
        let text = "func __arg() -> \(type) {\nreturn \(expression)\n}\n"
        // Errors speak of the option (`--arg x`, `--head`), never of the function wrapped around it.
        let option = name.hasPrefix("--") ? name : "--arg \(name)"
        func fail(_ diagnostics: [Diagnostic]) -> DriverError {
            let shifted = diagnostics.map { d -> Diagnostic in
                var d = d
                let onExpression = d.location.line == 2 && d.location.column > 7
                d.location = SourceLocation(line: 1, column: onExpression ? d.location.column - 7
                                                                           : expression.unicodeScalars.count + 1)
                // What follows the option's text is the wrapper's `}`: say the option ended instead.
                if !onExpression, let found = d.message.range(of: ", found '") {
                    d.message = String(d.message[..<found.lowerBound]) + ", found the end of \(option)"
                }
                d.notes = []
                return d
            }
            return DriverError.user(DiagnosticList(shifted).rendered(in: SourceFile(path: option, text: expression)))
        }
        let (unit, syntaxErrors) = Parser.parse(text)
        if !syntaxErrors.isEmpty { throw fail(syntaxErrors) }
        let checked = TypeChecker.check(unit)
        if !checked.diagnostics.isEmpty {
            // A value of the wrong type: name both types, and how to write a one-element tensor.
            if checked.diagnostics.count == 1, case .returnValue(let value?)? = unit.functions.first?.body.statements.first?.kind,
               let got = value.type, got != type {
                let hint = type == .tensor && (got == .int || got == .real) ? " (write [\(expression)] for a one-element tensor)" : ""
                throw DriverError.user("error: \(option): expected \(type.withArticle), got \(got.withArticle)\(hint)\n")
            }
            throw fail(checked.diagnostics)
        }
        let (module, loweringErrors) = ASTToIR.lower(checked)
        if !loweringErrors.isEmpty { throw fail(loweringErrors) }
        var argumentInterpreter = Interpreter<S>(module: module, output: interpreter.output)
        argumentInterpreter.random = interpreter.random
        do {
            let value = try argumentInterpreter.call("__arg", [])
            interpreter.random = argumentInterpreter.random
            return value
        } catch let error as RuntimeError {
            throw fail([error.diagnostic])
        }
    }
}
