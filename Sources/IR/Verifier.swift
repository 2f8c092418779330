// IR stage: the verifier, run after every pass in debug and test builds.
//
// A verifier failure is a compiler bug, never a user error. It collects every
// problem, each naming the function, block and instruction, and reprints the
// function with `// error:` under the offending line.

import AdjointBasic

/// Checks the invariants of well-formed IR:
///
/// 1. Every function has an entry block `bb0`, block `i` is `blocks[i]`, and no branch targets the entry.
/// 2. Every value is defined exactly once (a block parameter or one instruction's result) and has a type.
/// 3. Every instruction's operand count matches the op table, and its operand types give its result type
///    (`Opcode.resultType`); `const` carries a constant of its result type; `call` names a function of the
///    module with matching argument and result types; `tensor` has as many operands as its shape has elements.
/// 4. Every block ends in exactly one terminator (by construction of `Block`); branch targets exist, and
///    their arguments match the target's parameters in number and type; a `condbr` condition is Bool.
/// 5. `ret` returns a value of the function's result type, and none in a Void function.
/// 6. Definitions dominate uses: a use in block B sees B's parameters, earlier results of B, and values
///    defined in blocks that dominate B (checked in reachable blocks).
/// 7. Tapes pair up across the module: every tape that is pushed is popped somewhere and every tape that
///    is popped is pushed somewhere, always with one element type. (That pushes and pops balance on every
///    path follows from how reverse mode mirrors blocks; the interpreter also checks that every tape is
///    empty after each gradient.)
public enum Verifier {
    /// One problem, located in the function's text.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var function: String
        public var messages: [String]
        public var description: String {
            "IR verification failed in @\(function):\n" + messages.map { "  error: \($0)" }.joined(separator: "\n")
        }
    }

    /// Verifies every function (apart, on every core); throws the first function's failures.
    public static func verify(_ module: Module) throws {
        let signatures = Signatures(module)
        let failures = concurrentMap(module.functions.count) { k -> Failure? in
            do {
                try verify(module.functions[k], in: signatures)
                return nil
            } catch {
                return error as? Failure ?? Failure(function: module.functions[k].name, messages: ["\(error)"])
            }
        }
        if let first = failures.lazy.compactMap({ $0 }).first { throw first }
        try verifyTapes(module)
    }

    /// Invariant 7: pushes and pops of each tape pair up, with one element type.
    static func verifyTapes(_ module: Module) throws {
        var pushed: [Int: (type: ValueType, function: String)] = [:]
        var popped: [Int: (type: ValueType, function: String)] = [:]
        var errors: [String] = []
        for function in module.functions {
            for block in function.blocks {
                for instruction in block.instructions {
                    guard case .tape(let tape) = instruction.payload else { continue }
                    let isPush = instruction.op == .push
                    guard let v = isPush ? instruction.operands.first : instruction.result else { continue }
                    let type = function.type(of: v)
                    let seen = isPush ? pushed[tape] : popped[tape]
                    if let seen, seen.type != type {
                        errors.append("tape \(tape) carries \(seen.type) in @\(seen.function) and \(type) in @\(function.name)")
                    }
                    if isPush { pushed[tape] = (type, function.name) } else { popped[tape] = (type, function.name) }
                }
            }
        }
        for (tape, push) in pushed.sorted(by: { $0.key < $1.key }) {
            guard let pop = popped[tape] else {
                errors.append("tape \(tape) is pushed in @\(push.function) and never popped"); continue
            }
            if pop.type != push.type {
                errors.append("tape \(tape) is pushed as \(push.type) in @\(push.function) but popped as \(pop.type) in @\(pop.function)")
            }
        }
        for (tape, pop) in popped.sorted(by: { $0.key < $1.key }) where pushed[tape] == nil {
            errors.append("tape \(tape) is popped in @\(pop.function) and never pushed")
        }
        if !errors.isEmpty { throw Failure(function: "(module)", messages: errors) }
    }

    /// The parameter and result types of every function of a module, by name.
    public struct Signatures: Sendable {
        var byName: [String: (parameters: [ValueType], result: ValueType)] = [:]

        public init(_ module: Module) {
            for f in module.functions where byName[f.name] == nil { byName[f.name] = (f.parameterTypes, f.resultType) }
        }

        func function(named name: String) -> (parameterTypes: [ValueType], resultType: ValueType)? {
            byName[name].map { ($0.parameters, $0.result) }
        }
    }

    public static func verify(_ function: Function, in module: Signatures) throws {
        var errors: [String] = []
        // What failed is described only when something fails: formatting it for every instruction was most of
        // the verifier's time.
        func fail(_ block: BlockID, _ what: @autoclosure () -> String, _ message: @autoclosure () -> String) {
            errors.append("\(block), \(what()): \(message())")
        }
        guard !function.blocks.isEmpty else {
            throw Failure(function: function.name, messages: ["function has no blocks"])
        }
        // 1, 2: ids and single definitions.
        var definedIn = [BlockID?](repeating: nil, count: function.valueTypes.count)
        var position = [Int](repeating: -1, count: function.valueTypes.count)
        func define(_ v: ValueID, _ block: BlockID, _ index: Int) {
            guard v.index >= 0, v.index < definedIn.count else {
                fail(block, "\(v)", "value has no type"); return
            }
            if definedIn[v.index] != nil { fail(block, "\(v)", "value is defined twice") }
            if function.valueTypes[v.index] == .void { fail(block, "\(v)", "value has type Void") }
            definedIn[v.index] = block
            position[v.index] = index
        }
        for (i, block) in function.blocks.enumerated() {
            if block.id.index != i { fail(block.id, "header", "block is stored at index \(i)") }
            block.parameters.forEach { define($0, block.id, -1) }
            for (k, instruction) in block.instructions.enumerated() {
                if let r = instruction.result { define(r, block.id, k) }
            }
        }
        let dominators = Dominators(function)
        func type(_ v: ValueID) -> ValueType? {
            v.index >= 0 && v.index < function.valueTypes.count ? function.valueTypes[v.index] : nil
        }
        func checkUse(_ v: ValueID, in block: BlockID, at index: Int, _ what: @autoclosure () -> String) {
            guard v.index >= 0, v.index < definedIn.count, let home = definedIn[v.index] else {
                fail(block, what(), "\(v) is not defined"); return
            }
            guard dominators.isReachable(block) else { return }
            if home == block {
                if position[v.index] >= index { fail(block, what(), "\(v) is used before its definition") }
            } else if !dominators.dominates(home, block) {
                fail(block, what(), "definition of \(v) in \(home) does not dominate this use")
            }
        }
        func checkTarget(_ t: BranchTarget, from block: BlockID) {
            guard t.block.index > 0, t.block.index < function.blocks.count else {
                fail(block, "branch", t.block.index == 0 ? "branch to the entry block" : "no block \(t.block)")
                return
            }
            let parameters = function.blocks[t.block.index].parameters
            guard parameters.count == t.arguments.count else {
                fail(block, "branch to \(t.block)", "passes \(t.arguments.count) arguments for \(parameters.count) parameters")
                return
            }
            for (a, p) in zip(t.arguments, parameters) where type(a) != type(p) {
                fail(block, "branch to \(t.block)", "argument \(a) has type \(type(a).map(\.description) ?? "?"), parameter \(p) has \(type(p).map(\.description) ?? "?")")
            }
        }
        // 3-6.
        for block in function.blocks {
            for (k, instruction) in block.instructions.enumerated() {
                func what() -> String { "instruction \(k) (\(instruction.op.spelling))" }
                for operand in instruction.operands { checkUse(operand, in: block.id, at: k, what()) }
                let operandTypes = instruction.operands.compactMap { type($0) }
                let resultType = instruction.result.flatMap { type($0) } ?? ValueType.void
                switch instruction.op {
                case .const:
                    guard case .constant(let c) = instruction.payload, instruction.operands.isEmpty else {
                        fail(block.id, what(), "const needs a constant and no operands"); continue
                    }
                    if c.type != resultType { fail(block.id, what(), "constant \(c) is not of type \(resultType)") }
                case .call:
                    guard case .callee(let name) = instruction.payload, let callee = module.function(named: name) else {
                        fail(block.id, what(), "call of an unknown function"); continue
                    }
                    if callee.parameterTypes != operandTypes {
                        fail(block.id, what(), "arguments do not match the parameters of @\(name)")
                    }
                    if callee.resultType != resultType {
                        fail(block.id, what(), "result type \(resultType) differs from @\(name)'s \(callee.resultType)")
                    }
                case .grad:
                    guard case .grad(let name, let wrt) = instruction.payload, let callee = module.function(named: name) else {
                        fail(block.id, what(), "grad of an unknown function"); continue
                    }
                    let expected = callee.parameterTypes + [callee.resultType]
                    if operandTypes != expected {
                        fail(block.id, what(), "operands \(operandTypes) do not match @\(name)'s parameters and head \(expected)")
                    }
                    let gradients = wrt.compactMap { $0 < callee.parameterTypes.count ? callee.parameterTypes[$0] : nil }
                    if resultType != .tuple([callee.resultType] + gradients) || gradients.count != wrt.count {
                        fail(block.id, what(), "result type \(resultType) is not (value, gradients) of @\(name)")
                    }
                case .extract:
                    guard case .index(let i) = instruction.payload, operandTypes.count == 1,
                          case .tuple(let elements) = operandTypes[0], i >= 0, i < elements.count else {
                        fail(block.id, what(), "extract needs a tuple operand and an index in range"); continue
                    }
                    if elements[i] != resultType { fail(block.id, what(), "component \(i) is not of type \(resultType)") }
                case .pop:
                    guard case .tape = instruction.payload, instruction.operands.isEmpty, resultType != .void else {
                        fail(block.id, what(), "pop needs a tape, no operands and a result"); continue
                    }
                default:
                    if instruction.op == .push, case .tape = instruction.payload {} else if instruction.op == .push {
                        fail(block.id, what(), "push needs a tape")
                    }
                    guard instruction.op.arity.contains(instruction.operands.count) else {
                        fail(block.id, what(), "takes \(instruction.op.arity) operands, has \(instruction.operands.count)")
                        continue
                    }
                    let expected = instruction.op.resultType(operandTypes)
                    if expected == nil || expected != resultType {
                        fail(block.id, what(), "operand types \(operandTypes) do not give result type \(resultType)")
                    }
                    if instruction.op == .tensor {
                        guard case .shape(let shape) = instruction.payload,
                              shape.reduce(1, *) == instruction.operands.count else {
                            fail(block.id, what(), "tensor shape does not match its element count"); continue
                        }
                    }
                    if instruction.op == .select || instruction.op == .setselect || instruction.op == .addselect
                        || instruction.op == .index {
                        let leading = instruction.op == .select || instruction.op == .index ? 1 : 2
                        let indexOperands = instruction.operands.count - leading
                        switch instruction.payload {
                        case .subscripted(let s) where s.indexCount == indexOperands
                            && (instruction.op != .index || s.indexCount == s.positions.count): break
                        case .none where instruction.op == .index: break
                        default: fail(block.id, what(), "subscript does not match its \(indexOperands) index operands")
                        }
                    }
                    if instruction.op == .print {
                        guard case .print(let items) = instruction.payload,
                              items.filter({ $0 == .value }).count == instruction.operands.count else {
                            fail(block.id, what(), "print items do not match its operands"); continue
                        }
                    }
                }
            }
            let end = block.instructions.count
            block.terminator.operands.forEach { checkUse($0, in: block.id, at: end, "terminator") }
            switch block.terminator {
            case .branch(let t):
                checkTarget(t, from: block.id)
            case .condBranch(let c, let t, let e):
                if type(c) != .bool { fail(block.id, "condbr", "condition \(c) is not Bool") }
                checkTarget(t, from: block.id)
                checkTarget(e, from: block.id)
            case .ret(let v):
                let returned = v.flatMap { type($0) } ?? ValueType.void
                if returned != function.resultType {
                    fail(block.id, "ret", "returns \(returned) from a function of type \(function.resultType)")
                }
            }
        }
        if !errors.isEmpty {
            throw Failure(function: function.name, messages: errors + ["in:\n" + IRPrinter.print(function)])
        }
    }
}
