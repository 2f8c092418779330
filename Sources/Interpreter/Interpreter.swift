// Interpreter stage: run IR directly, over Double or over exact rationals.
//
// This is the oracle every later stage is checked against, so it is written to be
// obviously right rather than fast: a frame is an array of optional values indexed
// by value number, blocks bind their parameters from the branch arguments, and each
// instruction is one case of `evaluate` (Evaluate.swift).
import AdjointBasic
import AdjointIR

/// Evaluates the functions of a module; one instance carries the random stream and the `print` sink.
public struct Interpreter<S: Scalar> {
    public let module: Module
    public var random: RandomGenerator
    /// Receives every line `print` writes, without its newline.
    public var output: (String) -> Void
    /// `is_training()`: true while a gradient's forward sweep runs.
    public var isTraining = false
    /// The tapes of reverse-mode code: one stack per tape id. Every gradient leaves them empty.
    public var tapes: [Int: [Value<S>]] = [:]
    /// Set by `grad --explain`: receives branch outcomes, loop runs and kinks. Nil costs nothing.
    public var explain: ExplainRecorder?
    /// Loop headers of each function (blocks with a back edge), computed only when explaining.
    private var loopHeaders: [String: (headers: Set<Int>, dominators: Dominators)] = [:]
    private var functionsByName: [String: Function]

    public init(module: Module, seed: Int = 0, output: @escaping (String) -> Void = { Swift.print($0) }) {
        self.module = module
        self.random = RandomGenerator(seed: seed)
        self.output = output
        functionsByName = Dictionary(module.functions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Calls a function by name with argument values of its parameter types.
    public mutating func call(_ name: String, _ arguments: [Value<S>]) throws -> Value<S> {
        guard let function = functionsByName[name] else {
            throw RuntimeError(at: .unknown, "no function named '\(name)'")
        }
        return try run(function, arguments)
    }

    /// For a division in a derivative sweep, the source operation whose derivative it is when that derivative
    /// divides by its operand or result (`sqrt'(x) = 1 / (2·sqrt(x))`, `log'(x) = 1 / x`): found as the
    /// operation at the same source location in the function differentiated (followed down through sweeps
    /// of sweeps). Exact mode then names `sqrt'(0)`, as the language asks, instead of a bare division.
    private func differentiatedOperation(at instruction: Instruction, in function: Function) -> String? {
        guard [Opcode.div, .pow].contains(instruction.op), instruction.location.isKnown else { return nil }
        let named: Set<Opcode> = [.sqrt, .log, .norm]
        var key = function.role.sweep
        for _ in 0..<8 {
            guard let k = key, let source = functionsByName[k.function] else { return nil }
            for block in source.blocks {
                if let i = block.instructions.first(where: { $0.location == instruction.location && named.contains($0.op) }) {
                    return i.op.spelling
                }
            }
            key = source.role.sweep
        }
        return nil
    }

    private mutating func run(_ function: Function, _ arguments: [Value<S>]) throws -> Value<S> {
        var frame = [Value<S>?](repeating: nil, count: function.valueTypes.count)
        var block = function.blocks[0]
        var incoming = arguments
        let explaining = explain.map { $0.records(function.name) } ?? false
        while true {
            for (parameter, value) in zip(block.parameters, incoming) { frame[parameter.index] = value }
            for instruction in block.instructions {
                let operands = instruction.operands.map { frame[$0.index]! }
                let result: Value<S>
                do {
                    if instruction.op == .call, case .callee(let name) = instruction.payload {
                        guard let callee = functionsByName[name] else {
                            throw RuntimeError(at: instruction.location, "no function named '\(name)'")
                        }
                        result = try run(callee, operands)
                    } else {
                        result = try evaluate(instruction, operands, resultType: instruction.result.map(function.type))
                    }
                } catch let error as ScalarError {
                    if let name = differentiatedOperation(at: instruction, in: function), error.message == "division by zero" {
                        let at = name == "norm" ? "undefined at the zero vector" : "infinite at 0"
                        throw RuntimeError(at: instruction.location, "\(name)'(0): the derivative of \(name) is \(at)")
                    }
                    throw RuntimeError(at: instruction.location, error.message)
                } catch let error as TensorError {
                    throw RuntimeError(at: instruction.location, error.message)
                }
                if let r = instruction.result { frame[r.index] = result }
                if explaining { try recordKinks(instruction, operands, result, in: function.name) }
            }
            func take(_ target: BranchTarget) -> (Block, [Value<S>]) {
                (function.blocks[target.block.index], target.arguments.map { frame[$0.index]! })
            }
            switch block.terminator {
            case .branch(let target):
                let from = block.id
                (block, incoming) = take(target)
                if explaining { noteEntry(function, from: from, to: block) }
            case .condBranch(let condition, let then, let otherwise):
                guard case .bool(let c) = frame[condition.index]! else {
                    throw RuntimeError(at: block.terminatorLocation, "internal: branch condition is not Bool")
                }
                if explaining, block.terminatorLocation.isKnown { explain!.branch(at: block.terminatorLocation, taken: c) }
                let from = block.id
                (block, incoming) = take(c ? then : otherwise)
                if explaining { noteEntry(function, from: from, to: block) }
            case .ret(let value):
                return value.map { frame[$0.index]! } ?? .void
            }
        }
    }

    /// Tells the recorder when a loop header is entered from outside its loop (a new run of the loop).
    private mutating func noteEntry(_ function: Function, from: BlockID, to block: Block) {
        if loopHeaders[function.name] == nil {
            let dominators = Dominators(function)
            var headers = Set<Int>()
            for b in function.blocks {
                for t in b.terminator.successors where dominators.dominates(t.block, b.id) { headers.insert(t.block.index) }
            }
            loopHeaders[function.name] = (headers, dominators)
        }
        let (headers, dominators) = loopHeaders[function.name]!
        guard headers.contains(block.id.index), !dominators.dominates(block.id, from),
              case .condBranch = block.terminator, block.terminatorLocation.isKnown else { return }
        explain!.enterLoop(at: block.terminatorLocation)
    }
}
