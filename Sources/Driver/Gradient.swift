// Driver stage: `adjoint grad`: a function's value and gradient at given arguments.
//
// The driver adds one function to the lowered module,
//
//   func @grad.driver(params..., head) -> (value, gradients...) { ret grad @f [wrt] params..., head }
//
// so the gradient goes through exactly the path a `grad` in a program takes:
// reverse mode, verification, and the interpreter in Double or exactly.
import AdjointBasic
import AdjointIR
import AdjointInterpreter
import AdjointExact

/// What `grad` was asked to do.
public struct GradRequest: Sendable {
    public var function: String
    public var arguments: [(name: String, expression: String)]
    /// Parameter names to differentiate; nil means every Real and Tensor parameter.
    public var wrt: [String]?
    /// The head gradient as a constant expression; nil means `ones_like` of the result.
    public var head: String?
    public var seed: Int
    public var engine: Engine
    /// Record the path taken and the kinks met (`--explain`).
    public var explain: Bool

    public init(function: String, arguments: [(name: String, expression: String)], wrt: [String]? = nil,
                head: String? = nil, seed: Int = 0, engine: Engine = .double, explain: Bool = false) {
        self.explain = explain
        self.function = function
        self.arguments = arguments
        self.wrt = wrt
        self.head = head
        self.seed = seed
        self.engine = engine
    }
}

/// A gradient evaluation: the value and each gradient, printed and as JSON.
public struct GradResult: Sendable {
    public var value: (printed: String, json: String)
    public var gradients: [(name: String, printed: String, json: String)]
    /// The value and the gradients themselves, in the same order.
    public var values: [EngineValue] = []
    public var output: [String]
    /// With `explain`: the path and the one-sided points.
    public var explanation: ExplainReport?

    /// `{"value": V, "gradient": {"x": V, ...}}` as spec §9 fixes it, plus `"explain"` when explained.
    public var json: String {
        let entries = gradients.map { "\"\($0.name)\": \($0.json)" }.joined(separator: ", ")
        let explain = explanation.map { ", \"explain\": \($0.json)" } ?? ""
        return "{\"value\": \(value.json), \"gradient\": {\(entries)}\(explain)}"
    }
}

extension Compilation {
    /// Evaluates `request.function` and its gradient.
    public func gradient(_ request: GradRequest, output: @escaping (String) -> Void) throws -> GradResult {
        switch request.engine {
        case .double: return try gradient(request, as: Double.self, output: output)
        case .exact: return try gradient(request, as: ExactReal.self, output: output)
        }
    }

    private func gradient<S: Scalar>(_ request: GradRequest, as: S.Type,
                                     output: @escaping (String) -> Void) throws -> GradResult {
        let target = try userFunction(request.function, in: lowered)
        guard target.resultType == .real || target.resultType == .tensor else {
            throw DriverError.user("\(file.path): error: cannot differentiate '\(target.name)': its result is \(target.resultType), not Real or Tensor\n")
        }
        let wrt = try wrtIndices(request.wrt, of: target)
        let driver = Compilation.gradDriver(named: "grad.driver", for: target, wrt: wrt)
        let differentiated = try differentiate(DifferentiationRequests(drivers: [driver], explains: request.explain))
        return try gradient(request, as: S.self, target: target, wrt: wrt, driver: driver.name, in: differentiated,
                            output: output)
    }

    /// The gradient by a driver (`gradDriver`) of a module already differentiated.
    func gradient<S: Scalar>(_ request: GradRequest, as: S.Type, target: Function, wrt: [Int], driver driverName: String,
                             in differentiated: Module, output: @escaping (String) -> Void) throws -> GradResult {

        var lines: [String] = []
        var interpreter = Interpreter<S>(module: differentiated, seed: request.seed) { line in
            lines.append(line)
            output(line)
        }
        var arguments = try argumentValues(for: target, request.arguments, using: &interpreter)
        // Reverse sweeps restate the forward sweep's kinks (their `sign` and masks): only the rest is recorded.
        let reverseSweeps = Set(differentiated.functions.filter(\.role.isReverseSweep).map(\.name))
        let recorder = request.explain
            ? ExplainRecorder(records: { !reverseSweeps.contains($0) }, dependent: ExplainDependence.dependentValues(in: differentiated))
            : nil
        interpreter.explain = recorder
        arguments.append(try headValue(request.head, for: target, arguments: arguments, using: &interpreter))
        let result: Value<S>
        do {
            result = try interpreter.call(driverName, arguments)
        } catch let error as RuntimeError {
            throw DriverError.user(error.diagnostic.rendered(in: file))
        }
        if let tape = interpreter.tapes.first(where: { !$0.value.isEmpty }) {
            throw DriverError.internalError("tape \(tape.key) holds \(tape.value.count) values after the gradient")
        }
        guard case .tuple(let parts) = result, parts.count == wrt.count + 1 else {
            throw DriverError.internalError("the gradient driver returned \(result.printed)")
        }
        return GradResult(value: (parts[0].printed, parts[0].jsonText),
                          gradients: zip(wrt, parts.dropFirst()).map { (target.parameterNames[$0], $1.printed, $1.jsonText) },
                          values: parts.map(EngineValue.init), output: lines,
                          explanation: recorder.map { recorder in
                              var report = ExplainReport(recorder, file: file)
                              report.customDerivatives = customDerivatives(reachableFrom: target.name)
                              return report
                          })
    }

    /// The head gradient: `text` as a value of the result's type, or a Real that broadcasts over a Tensor result
    /// (spec §7); none given, ones. A Tensor head must have the result's shape, found by a plain evaluation of
    /// the function at the arguments (with the same draws), so a mismatch names `--head`, not an adjoint.
    func headValue<S: Scalar>(_ text: String?, for target: Function, arguments: [Value<S>],
                              using interpreter: inout Interpreter<S>) throws -> Value<S> {
        guard let text else {
            return target.resultType == .tensor ? .tensor(Tensor([S.one]).reshapedToScalar()) : .real(S.one)
        }
        guard target.resultType == .tensor else {
            return try Compilation.constantValue(text, type: target.resultType, name: "--head", interpreter: &interpreter)
        }
        let head: Tensor<S>
        do {
            guard case .tensor(let t) = try Compilation.constantValue(text, type: .tensor, name: "--head",
                                                                      interpreter: &interpreter) else {
                throw DriverError.internalError("--head of type Tensor gave another value")
            }
            head = t
        } catch {
            guard case .real(let r) = try? Compilation.constantValue(text, type: .real, name: "--head",
                                                                     interpreter: &interpreter) else { throw error }
            return .tensor(Tensor([r]).reshapedToScalar())
        }
        guard head.scalars.count != 1 else { return .tensor(head) }
        var plain = interpreter
        plain.output = { _ in }
        plain.explain = nil
        plain.isTraining = true
        if case .tensor(let result) = try? plain.call(target.name, arguments), result.shape != head.shape {
            throw DriverError.user("error: --head: shape \(head.shape) does not match the result of '\(target.name)', "
                                   + "shape \(result.shape) (give a Real, or a tensor of that shape)\n")
        }
        return .tensor(head)
    }

    /// A constant expression (the language's, as `--arg` takes) evaluated on its own, exactly or in Double:
    /// a Tensor when it starts with `[`, else a Real, a Tensor, a Bool or an Int, the first that fits.
    public static func constant(_ text: String, exact: Bool) throws -> EngineValue {
        func value<S: Scalar>(as: S.Type) throws -> EngineValue {
            let module = Module(functions: [])
            var interpreter = Interpreter<S>(module: module, output: { _ in })
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let types: [ValueType] = trimmed.hasPrefix("[") ? [.tensor] : [.real, .tensor, .bool, .int]
            var failure: Error? = nil
            for type in types {
                do {
                    return EngineValue(try constantValue(text, type: type, name: "value", interpreter: &interpreter))
                } catch {
                    if failure == nil { failure = error }
                }
            }
            throw failure!
        }
        return exact ? try value(as: ExactReal.self) : try value(as: Double.self)
    }

    /// The parameter indices to differentiate: the named ones; else those of `@differentiable(wrt: ...)`
    /// (spec §7: the attribute is the default `--wrt` everywhere); else every Real and Tensor parameter.
    func wrtIndices(_ names: [String]?, of function: Function) throws -> [Int] {
        guard let names else {
            return function.differentiableParameters
                ?? function.parameterTypes.indices.filter { function.parameterTypes[$0].isDifferentiable }
        }
        return try names.map { name in
            guard let i = function.parameterNames.firstIndex(of: name) else {
                throw noParameter(name, of: function)
            }
            guard function.parameterTypes[i].isDifferentiable else {
                let message = DiagnosticMessages.wrtNotDifferentiable(name, function.parameterTypes[i].description)
                // At the parameter's declaration, when the function is the source's.
                if let declared = checked.functions[function.name]?.parameters.first(where: { $0.name.name == name }) {
                    throw DriverError.user(Diagnostic(at: declared.name.location, message).rendered(in: file))
                }
                throw DriverError.user("\(file.path): error: \(message)\n")
            }
            return i
        }
    }

    /// `@name(params..., head) -> (value, gradients...)` returning `grad @f [wrt] params..., head`.
    static func gradDriver(named name: String, for target: Function, wrt: [Int]) -> Function {
        var b = FunctionBuilder(name: name, parameterNames: target.parameterNames + ["head"],
                                parameterTypes: target.parameterTypes + [target.resultType],
                                resultType: .tuple([target.resultType] + wrt.map { target.parameterTypes[$0] }),
                                location: target.location, role: .synthesized)
        let result = b.emit(.grad, b.function.parameters, type: b.function.resultType,
                            payload: .grad(callee: target.name, wrt: wrt), at: target.location)
        b.terminate(.ret(result), at: target.location)
        return b.function
    }
}

extension Tensor {
    /// The one element as a rank-0 tensor, which broadcasts to any shape.
    func reshapedToScalar() -> Tensor {
        var copy = self
        copy.shape = []
        return copy
    }
}
