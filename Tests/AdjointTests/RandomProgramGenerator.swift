// Random programs for the property tests of issue 8: a seeded generator of well-typed, terminating
// `.adj` programs, kept as a small AST of its own so that a failing program can be shrunk.
//
// Every program is `func f(x: Real, y: Real, t: Tensor) -> Real` (t has 3 elements) plus up to two
// helpers `func hK(a: Real, b: Tensor) -> Real|Tensor` that f (and later helpers) call, directly or
// through `grad(hK)` / `grad(hK, wrt: b)`. Statements: `let`/`var` of Reals, 3-vectors and 3×3
// matrices, assignments (`=`, `+=`, `-=`, `*=`, `/=`), indexed updates (`u[i] = ...`, `m[i, j] += ...`,
// `m[i] = ...` writing a row), `if`/`else if`/`else` on data, `for` loops with constant (or outer-loop)
// bounds of at most 3 trips, `while k < L && cond { k += 1 ... }` with a bounded counter, `break`,
// `continue` and early `return` at the end of an `if` block. Expressions: + - * on Reals and Tensors
// (Real–Tensor and [3,1]×[1,3] broadcasting, rank-0 `dot` results broadcast over vectors), division only
// by nonzero denominators (`e / (1.0 + d * d)` or a nonzero constant), integer powers, abs, relu,
// maximum/minimum, sum/mean/prod/max/min (with `axis:` and on slices), dot, reshape, transpose,
// indexing with in-range constants or loop counters, tensor literals, and — in about a third of the
// programs — sin, cos, tanh, sigmoid, exp and sqrt on safe arguments, so that Double paths are tested too.
//
// Termination: every loop has a constant trip bound. Range: every expression carries a rough bound on
// its magnitude (arguments are at most 2); values assigned to loop-carried variables are scaled by
// powers of two to keep within the variable's bound, so nothing grows without limit around a loop.
// The bound is a heuristic, not a proof: the tests reject (and redraw) the rare program whose value or
// gradient is still large, because finite differences cannot judge it.
import Foundation

/// SplitMix64: small, fast, seeded and the same on every platform.
struct SplitMix64: Sendable {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// One of the items, with probability proportional to its weight.
    mutating func weighted<T>(_ items: [(Int, T)]) -> T {
        let total = items.reduce(0) { $0 + max($1.0, 0) }
        var r = below(total)
        for (w, item) in items where w > 0 {
            if r < w { return item }
            r -= w
        }
        return items.last!.1
    }
}

// MARK: - The generator's AST

/// The static type of a generated expression; tensors carry their (fixed) shape.
enum GType: Hashable, Sendable {
    case real, int, bool
    case tensor([Int])

    static let vector = GType.tensor([3])
    static let matrix = GType.tensor([3, 3])

    var source: String {
        switch self {
        case .real: return "Real"
        case .int: return "Int"
        case .bool: return "Bool"
        case .tensor: return "Tensor"
        }
    }
}

/// A generated expression, its type and a rough bound on its magnitude (elementwise for tensors).
struct GExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(String)
        case name(String)
        case unary(String, GExpr)
        case binary(String, GExpr, GExpr)
        /// A call; the callee may be a `grad(...)` expression. One label per argument (`axis`).
        case call(String, [GExpr], labels: [String?])
        case index(GExpr, [GExpr])
        case slice(GExpr, Int, Int)
        case tensorLiteral([GExpr])
        /// `x.T`
        case transposed(GExpr)
    }

    var kind: Kind
    var type: GType
    var bound: Double = 1

    init(_ kind: Kind, _ type: GType, bound: Double = 1) {
        self.kind = kind
        self.type = type
        self.bound = bound
    }

    static func real(_ text: String) -> GExpr {
        GExpr(.literal(text), .real, bound: abs(Double(text) ?? 1))
    }

    static func int(_ value: Int) -> GExpr { GExpr(.literal("\(value)"), .int, bound: Double(abs(value))) }

    /// The expression as source text, fully parenthesized where precedence could matter.
    var text: String {
        switch kind {
        case .literal(let s), .name(let s): return s
        case .unary(let op, let e): return op + e.operandText
        case .binary(let op, let a, let b): return "\(a.operandText) \(op) \(b.operandText)"
        case .call(let callee, let args, let labels):
            return callee + "(" + zip(labels, args).map { ($0.map { "\($0): " } ?? "") + $1.text }
                .joined(separator: ", ") + ")"
        case .index(let base, let indices): return base.postfixText + "[" + indices.map(\.text).joined(separator: ", ") + "]"
        case .slice(let base, let a, let b): return base.postfixText + "[\(a)..<\(b)]"
        case .tensorLiteral(let elements): return "[" + elements.map(\.text).joined(separator: ", ") + "]"
        case .transposed(let e): return e.postfixText + ".T"
        }
    }

    /// As an operand of a unary or binary operator.
    var operandText: String {
        switch kind {
        case .binary, .unary: return "(\(text))"
        case .literal(let s) where s.hasPrefix("-"): return "(\(s))"
        default: return text
        }
    }

    /// As the base of an index, slice or `.T`.
    var postfixText: String {
        switch kind {
        case .name, .call, .tensorLiteral, .index: return text
        default: return "(\(text))"
        }
    }

    /// The direct subexpressions.
    var children: [GExpr] {
        switch kind {
        case .literal, .name: return []
        case .unary(_, let e), .slice(let e, _, _), .transposed(let e): return [e]
        case .binary(_, let a, let b): return [a, b]
        case .call(_, let args, _): return args
        case .index(let base, let indices): return [base] + indices
        case .tensorLiteral(let elements): return elements
        }
    }

    /// The same node with its subexpressions replaced (in `children` order).
    func with(children new: [GExpr]) -> GExpr {
        var copy = self
        switch kind {
        case .literal, .name: break
        case .unary(let op, _): copy.kind = .unary(op, new[0])
        case .slice(_, let a, let b): copy.kind = .slice(new[0], a, b)
        case .transposed: copy.kind = .transposed(new[0])
        case .binary(let op, _, _): copy.kind = .binary(op, new[0], new[1])
        case .call(let callee, _, let labels): copy.kind = .call(callee, new, labels: labels)
        case .index: copy.kind = .index(new[0], Array(new.dropFirst()))
        case .tensorLiteral: copy.kind = .tensorLiteral(new)
        }
        return copy
    }

    /// Every callee named in the expression (built-ins, helpers, `grad(...)`).
    var callees: [String] {
        var names: [String] = []
        if case .call(let callee, _, _) = kind { names.append(callee) }
        for child in children { names += child.callees }
        return names
    }
}

/// A generated statement.
indirect enum GStmt: Sendable {
    case declare(String, mutable: Bool, annotation: GType?, GExpr)
    case assign(String, op: String, GExpr)
    case assignIndex(String, [GExpr], op: String, GExpr)
    case ifElse(GExpr, [GStmt], [GStmt]?)
    /// `for NAME in FROM..<TO` (or `...`).
    case forLoop(String, GExpr, GExpr, inclusive: Bool, [GStmt])
    /// `var COUNTER = 0; while COUNTER < LIMIT && COND { COUNTER += 1; BODY }` (or `COND && COUNTER < LIMIT`).
    case whileLoop(counter: String, limit: Int, GExpr, counterFirst: Bool, [GStmt])
    case breakLoop
    case continueLoop
    case returnValue(GExpr)

    func lines(indent: String) -> [String] {
        let inner = indent + "    "
        func body(_ statements: [GStmt]) -> [String] { statements.flatMap { $0.lines(indent: inner) } }
        switch self {
        case .declare(let name, let mutable, let annotation, let value):
            return ["\(indent)\(mutable ? "var" : "let") \(name)\(annotation.map { ": \($0.source)" } ?? "") = \(value.text)"]
        case .assign(let name, let op, let value):
            return ["\(indent)\(name) \(op) \(value.text)"]
        case .assignIndex(let name, let indices, let op, let value):
            return ["\(indent)\(name)[\(indices.map(\.text).joined(separator: ", "))] \(op) \(value.text)"]
        case .ifElse(let condition, let then, let otherwise):
            var out = ["\(indent)if \(condition.text) {"] + body(then)
            if let otherwise {
                if otherwise.count == 1, case .ifElse = otherwise[0] {
                    var chained = otherwise[0].lines(indent: indent)
                    chained[0] = "\(indent)} else " + chained[0].dropFirst(indent.count)
                    return out + chained
                }
                out += ["\(indent)} else {"] + body(otherwise)
            }
            return out + ["\(indent)}"]
        case .forLoop(let name, let from, let to, let inclusive, let statements):
            return ["\(indent)for \(name) in \(from.operandText)\(inclusive ? "..." : "..<")\(to.operandText) {"]
                + body(statements) + ["\(indent)}"]
        case .whileLoop(let counter, let limit, let condition, let counterFirst, let statements):
            let bound = "\(counter) < \(limit)"
            let test: String
            if case .literal("true") = condition.kind {
                test = bound
            } else {
                test = counterFirst ? "\(bound) && \(condition.operandText)" : "\(condition.operandText) && \(bound)"
            }
            return ["\(indent)var \(counter) = 0", "\(indent)while \(test) {", "\(inner)\(counter) += 1"]
                + body(statements) + ["\(indent)}"]
        case .breakLoop: return ["\(indent)break"]
        case .continueLoop: return ["\(indent)continue"]
        case .returnValue(let value): return ["\(indent)return \(value.text)"]
        }
    }

    /// The expressions the statement holds itself (not those of nested blocks).
    var expressions: [GExpr] {
        switch self {
        case .declare(_, _, _, let e), .assign(_, _, let e), .returnValue(let e): return [e]
        case .assignIndex(_, let indices, _, let e): return indices + [e]
        case .ifElse(let c, _, _): return [c]
        case .forLoop(_, let a, let b, _, _): return [a, b]
        case .whileLoop(_, _, let c, _, _): return [c]
        case .breakLoop, .continueLoop: return []
        }
    }

    /// The nested blocks.
    var blocks: [[GStmt]] {
        switch self {
        case .ifElse(_, let then, let otherwise): return [then] + (otherwise.map { [$0] } ?? [])
        case .forLoop(_, _, _, _, let body), .whileLoop(_, _, _, _, let body): return [body]
        default: return []
        }
    }
}

struct GParameter: Sendable {
    var name: String
    var type: GType
}

struct GFunction: Sendable {
    var name: String
    var parameters: [GParameter]
    var result: GType
    var body: [GStmt]

    var text: String {
        let params = parameters.map { "\($0.name): \($0.type.source)" }.joined(separator: ", ")
        return (["func \(name)(\(params)) -> \(result.source) {"] + body.flatMap { $0.lines(indent: "    ") } + ["}"])
            .joined(separator: "\n")
    }
}

/// A generated program: helpers first, then `f`, and the arguments to differentiate `f` at.
struct GProgram: Sendable, CustomStringConvertible {
    init(functions: [GFunction], arguments: [(name: String, expression: String)], seed: UInt64, index: Int) {
        self.functions = functions
        self.arguments = arguments
        self.seed = seed
        self.index = index
    }

    /// A program given as text, with its arguments.
    init(source: String, arguments: [(String, String)]) {
        self.init(functions: [], arguments: arguments.map { (name: $0.0, expression: $0.1) }, seed: 0, index: 0)
        rawSource = source
    }

    var functions: [GFunction]
    var arguments: [(name: String, expression: String)]
    /// Where it came from: the run's seed and the program's index in the run.
    var seed: UInt64
    var index: Int

    /// A program kept as text (a regression test's): shrinking does not apply to it.
    var rawSource: String? = nil

    var source: String { rawSource ?? functions.map(\.text).joined(separator: "\n\n") + "\n" }

    /// No sin/exp/...: every operation stays in the rationals (`norm` appears only in conditions).
    var isRational: Bool {
        let text = source
        return !["sin(", "cos(", "tan(", "tanh(", "exp(", "log(", "sqrt(", "sigmoid("].contains { text.contains($0) }
    }

    /// What shrinking decreases: statements and expression nodes, then text, then non-default arguments.
    var measure: Int {
        let plain = arguments.filter { $0.expression != "1.0" && $0.expression != "[1.0, 2.0, 3.0]" }.count
        return size * 100_000 + source.count * 10 + plain
    }

    var argumentText: String { arguments.map { "--arg '\($0.name)=\($0.expression)'" }.joined(separator: " ") }

    var description: String { "// seed \(seed), program \(index): \(argumentText)\n" + source }

    /// The number of statements and expression nodes: what shrinking makes smaller.
    var size: Int {
        func count(_ e: GExpr) -> Int { 1 + e.children.reduce(0) { $0 + count($1) } }
        func count(_ s: [GStmt]) -> Int {
            s.reduce(0) { $0 + 4 + $1.expressions.reduce(0) { $0 + count($1) } + $1.blocks.reduce(0) { $0 + count($1) } }
        }
        return functions.reduce(0) { $0 + 8 + count($1.body) }
    }
}

extension GStmt {
    /// Every expression of the statement and of its nested blocks.
    var allExpressions: [GExpr] { expressions + blocks.flatMap { $0.flatMap(\.allExpressions) } }
}

// MARK: - The generator

struct RandomProgramGenerator {
    struct Options: Sendable {
        /// The share of programs that may use sin, exp, tanh, ... (the rest stay rational).
        var transcendentalShare = 0.35
        /// The weight of `grad(hK)(...)` among compound expressions (about 40 in all): second derivatives.
        var nestedGradWeight = 1
        var maxHelpers = 2
        var maxExpressionDepth = 3
        var maxStatementDepth = 3
    }

    private struct Variable {
        var name: String
        var type: GType
        var mutable: Bool
        var bound: Double
        /// The loop depth of the declaration: assigned at a deeper loop depth, the value is loop-carried.
        var loopDepth: Int
        /// Int variables (loop counters): the values they take.
        var range: ClosedRange<Int>?
    }

    private var rng: SplitMix64
    private let options: Options
    private var scopes: [[Variable]] = []
    private var loopDepth = 0
    private var nameCounter = 0
    /// The helpers generated so far; `gradable` ones may stand in `grad(...)`: differentiating their derivative
    /// again must not meet `dot` or `prod` ("a derivative of 'dot' or 'prod' cannot be differentiated again yet").
    private var helpers: [(function: GFunction, bound: Double, gradable: Bool)] = []
    private var transcendental = false
    /// The inner links of a call chain (its last link is among `helpers`).
    private var chainFunctions: [GFunction] = []
    /// Constants that f compares its parameters x and y with (`x == 0.5`): arguments are often drawn from them.
    private var thresholds: [String: [String]] = [:]
    private var statementsLeft = 0
    private var inMain = false

    init(seed: UInt64, options: Options = Options()) {
        rng = SplitMix64(seed: seed)
        self.options = options
    }

    /// The program of a run's seed and index (the same on every machine).
    static func program(seed: UInt64, index: Int, attempt: Int = 0, options: Options = Options()) -> GProgram {
        let mixed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(attempt) &* 0x8CB9_2BA7_2F3D_8DD7
        var generator = RandomProgramGenerator(seed: mixed, options: options)
        var program = generator.generate()
        program.seed = seed
        program.index = index
        return program
    }

    mutating func generate() -> GProgram {
        transcendental = rng.chance(options.transcendentalShare)
        let helperCount = rng.weighted([(5, 0), (4, 1), (3, 2)])
        for k in 0..<min(helperCount, options.maxHelpers) {
            let (function, bound) = helper(named: "h\(k + 1)")
            let text = function.text
            let gradable = !text.contains("dot(") && !text.contains("prod(")
                && helpers.allSatisfy { $0.gradable || !text.contains($0.function.name + "(") }
            helpers.append((function, bound, gradable))
        }
        // Now and then a chain of helpers, each calling the one before, of random depth (compilers and
        // interpreters follow a call chain on the machine's stack).
        if rng.chance(0.08) {
            let depth = rng.int(in: 2...24)
            for k in 1...depth {
                let a = GExpr(.name("a"), .real, bound: 4), b = GExpr(.name("b"), .vector, bound: 4)
                let inner: GExpr = k == 1
                    ? binary("*", GExpr(.call("sum", [b], labels: [nil]), .real, bound: 12), .real("0.25"), type: .real)
                    : GExpr(.call("c\(k - 1)", [binary("*", a, .real("0.5"), type: .real), b], labels: [nil, nil]), .real, bound: 8)
                let body = [GStmt.returnValue(binary("+", inner, binary("*", a, .real("0.25"), type: .real), type: .real))]
                let chain = GFunction(name: "c\(k)", parameters: [GParameter(name: "a", type: .real),
                                                                   GParameter(name: "b", type: .vector)],
                                      result: .real, body: body)
                if k == depth { helpers.append((chain, 8, true)) } else { chainFunctions.append(chain) }
            }
        }
        let main = mainFunction()
        return GProgram(functions: chainFunctions + helpers.map(\.function) + [main], arguments: arguments(), seed: 0, index: 0)
    }

    // MARK: Functions

    private mutating func helper(named name: String) -> (GFunction, Double) {
        let result: GType = rng.chance(0.6) ? .real : .vector
        scopes = [[Variable(name: "a", type: .real, mutable: false, bound: 4, loopDepth: 0),
                   Variable(name: "b", type: .vector, mutable: false, bound: 4, loopDepth: 0)]]
        loopDepth = 0
        nameCounter = 0
        inMain = false
        statementsLeft = rng.int(in: 1...5)
        var body = block(depth: 1, count: statementsLeft, topLevel: true)
        let value = scaled(resultExpression(result), to: 64)
        body.append(.returnValue(value))
        let function = GFunction(name: name, parameters: [GParameter(name: "a", type: .real), GParameter(name: "b", type: .vector)],
                                 result: result, body: body)
        return (function, value.bound)
    }

    private mutating func mainFunction() -> GFunction {
        scopes = [[Variable(name: "x", type: .real, mutable: false, bound: 2, loopDepth: 0),
                   Variable(name: "y", type: .real, mutable: false, bound: 2, loopDepth: 0),
                   Variable(name: "t", type: .vector, mutable: false, bound: 2, loopDepth: 0)]]
        loopDepth = 0
        nameCounter = 0
        inMain = true
        statementsLeft = rng.int(in: 4...14)
        var body = block(depth: 1, count: statementsLeft, topLevel: true)
        body.append(.returnValue(resultExpression(.real)))
        return GFunction(name: "f", parameters: [GParameter(name: "x", type: .real), GParameter(name: "y", type: .real),
                                                 GParameter(name: "t", type: .vector)],
                         result: .real, body: body)
    }

    /// The result: a few live variables combined, so the gradient flows through most of the body.
    private mutating func resultExpression(_ type: GType) -> GExpr {
        let live = scopes.flatMap { $0 }.filter { $0.type != .int && $0.type != .bool }
        var terms: [GExpr] = []
        // A Fisher–Yates shuffle of our own: the standard library's may draw differently in another release.
        var order = live
        for i in order.indices.reversed() where i > 0 { order.swapAt(i, rng.below(i + 1)) }
        for v in order.prefix(rng.int(in: 1...3)) {
            let ref = GExpr(.name(v.name), v.type, bound: v.bound)
            switch (type, v.type) {
            case (.real, .real), (.vector, .vector), (.vector, .real): terms.append(ref)
            case (.real, .tensor(let shape)):
                terms.append(GExpr(.call(rng.pick(["sum", "mean", "max"]), [ref], labels: [nil]), .real,
                                   bound: v.bound * Double(shape.reduce(1, *))))
            case (.vector, .tensor):
                terms.append(GExpr(.call("sum", [ref, .int(rng.below(2))], labels: [nil, "axis"]), .vector, bound: 3 * v.bound))
            default: break
            }
        }
        terms.append(type == .real ? real(depth: 2) : tensor(depth: 2))
        var result = terms[0]
        for term in terms.dropFirst() {
            let op = rng.weighted([(6, "+"), (2, "-"), (1, "*")])
            let resultType: GType = result.type == .vector || term.type == .vector ? .vector : .real
            result = binary(op, result, term, type: resultType)
        }
        if result.type != type { result = binary("*", result, tensor(depth: 0), type: .vector) }
        return result
    }

    // MARK: Statements

    private mutating func block(depth: Int, count: Int, topLevel: Bool = false) -> [GStmt] {
        scopes.append([])
        var statements: [GStmt] = []
        for _ in 0..<max(count, 1) {
            statements.append(statement(depth: depth))
            if !topLevel && statementsLeft <= 0 { break }
        }
        scopes.removeLast()
        return statements
    }

    private var variables: [Variable] { scopes.flatMap { $0 } }

    /// `let pK = 3`: Int constants with a name (loop and while counters are not among them).
    private var intLets: [Variable] { variables.filter { $0.type == .int && $0.name.hasPrefix("p") } }

    private mutating func fresh(_ prefix: String) -> String {
        nameCounter += 1
        return "\(prefix)\(nameCounter)"
    }

    private mutating func declare(_ variable: Variable) { scopes[scopes.count - 1].append(variable) }

    private mutating func statement(depth: Int) -> GStmt {
        statementsLeft -= 1
        let mutableReals = variables.filter { $0.mutable && $0.type == .real }
        let mutableTensors = variables.filter { $0.mutable && $0.type != .real && $0.type != .int }
        let nested = depth < options.maxStatementDepth && statementsLeft > 0
        let choice = rng.weighted([
            (5, 0), (4, 1), (1, 2),                                        // declarations: Real, vector, matrix
            (mutableReals.isEmpty ? 0 : 5, 3),                             // assignment
            (mutableTensors.isEmpty ? 0 : 4, 4),                           // indexed update
            (nested ? 4 : 0, 5),                                           // if
            (nested && loopDepth < 2 ? 3 : 0, 6),                          // for
            (nested && loopDepth < 2 ? 2 : 0, 7),                          // while
            (1, 8),                                                        // an Int let, used as a Real
        ])
        switch choice {
        case 0:
            let value = scaled(real(depth: rng.int(in: 1...options.maxExpressionDepth)), to: 64)
            let name = fresh("r")
            let mutable = rng.chance(0.7)
            declare(Variable(name: name, type: .real, mutable: mutable, bound: max(value.bound, 1), loopDepth: loopDepth))
            return .declare(name, mutable: mutable, annotation: nil, value)
        case 1:
            // Sometimes a rank-0 `dot` converted by an annotation: `let r: Real = dot(u, v)`.
            if rng.chance(0.12) {
                let value = dotProduct()
                let name = fresh("r")
                declare(Variable(name: name, type: .real, mutable: false, bound: value.bound, loopDepth: loopDepth))
                return .declare(name, mutable: false, annotation: .real, value)
            }
            let value = scaled(tensor(depth: rng.int(in: 1...options.maxExpressionDepth)), to: 64)
            let name = fresh("u")
            let mutable = rng.chance(0.7)
            declare(Variable(name: name, type: .vector, mutable: mutable, bound: max(value.bound, 1), loopDepth: loopDepth))
            return .declare(name, mutable: mutable, annotation: nil, value)
        case 2:
            let value = scaled(matrix(depth: 2), to: 64)
            let name = fresh("m")
            declare(Variable(name: name, type: .matrix, mutable: true, bound: max(value.bound, 1), loopDepth: loopDepth))
            return .declare(name, mutable: true, annotation: nil, value)
        case 3:
            return assignment(to: rng.pick(mutableReals))
        case 4:
            return indexedUpdate(of: rng.pick(mutableTensors))
        case 5:
            return ifStatement(depth: depth)
        case 6:
            return forLoop(depth: depth)
        case 7:
            return whileLoop(depth: depth)
        default:
            let value = rng.int(in: 1...4)
            let name = fresh("p")
            declare(Variable(name: name, type: .int, mutable: false, bound: Double(value), loopDepth: loopDepth))
            return .declare(name, mutable: false, annotation: nil, .int(value))
        }
    }

    /// Updates the bound of a variable after an assignment; a loop-carried variable keeps its bound.
    private mutating func raiseBound(_ name: String, to bound: Double) {
        for s in scopes.indices {
            if let i = scopes[s].firstIndex(where: { $0.name == name }) {
                scopes[s][i].bound = max(scopes[s][i].bound, bound)
            }
        }
    }

    private mutating func assignment(to v: Variable) -> GStmt {
        let carried = loopDepth > v.loopDepth
        let op = rng.weighted([(4, "="), (4, "+="), (2, "-="), (1, "*="), (1, "/=")])
        var value = real(depth: rng.int(in: 1...options.maxExpressionDepth))
        switch op {
        case "=":
            value = scaled(value, to: carried ? v.bound : 64)
            if !carried { raiseBound(v.name, to: value.bound) }
        case "+=", "-=":
            value = scaled(value, to: carried ? v.bound / 4 : 64)
            if !carried { raiseBound(v.name, to: v.bound + value.bound) }
        case "*=":
            value = scaled(value, to: carried ? 1 : 4)
            if !carried { raiseBound(v.name, to: v.bound * max(value.bound, 1)) }
        default:
            // Divide by at least 1: `v /= 1.0 + e * e`.
            let e = scaled(value, to: 8)
            value = binary("+", .real("1.0"), binary("*", e, e, type: .real), type: .real)
        }
        return .assign(v.name, op: op, value)
    }

    private mutating func indexedUpdate(of v: Variable) -> GStmt {
        let carried = loopDepth > v.loopDepth
        guard case .tensor(let shape) = v.type else { fatalError("not a tensor") }
        var indices = shape.map { index(below: $0) }
        // A matrix row can be written whole (`m[i] = r`), but only with `=`.
        let row = shape.count == 2 && rng.chance(0.25)
        if row { indices.removeLast() }
        let op = row ? "=" : rng.weighted([(4, "="), (3, "+="), (1, "-="), (1, "*=")])
        var value = real(depth: rng.int(in: 1...options.maxExpressionDepth))
        switch op {
        case "=":
            value = scaled(value, to: carried ? v.bound : 64)
            if !carried { raiseBound(v.name, to: value.bound) }
        case "+=", "-=":
            value = scaled(value, to: carried ? v.bound / 4 : 64)
            if !carried { raiseBound(v.name, to: v.bound + value.bound) }
        default:
            value = scaled(value, to: carried ? 1 : 4)
            if !carried { raiseBound(v.name, to: v.bound * max(value.bound, 1)) }
        }
        return .assignIndex(v.name, indices, op: op, value)
    }

    /// An index in 0..<n: a constant, or an Int variable (a loop counter) whose values all fit.
    private mutating func index(below n: Int) -> GExpr {
        let counters = variables.filter { v in v.range.map { $0.lowerBound >= 0 && $0.upperBound < n } ?? false }
        if !counters.isEmpty && rng.chance(0.5) {
            let v = rng.pick(counters)
            return GExpr(.name(v.name), .int, bound: Double(v.range!.upperBound))
        }
        return .int(rng.below(n))
    }

    private mutating func ifStatement(depth: Int) -> GStmt {
        let condition = boolean(depth: 2)
        var then = block(depth: depth + 1, count: rng.int(in: 1...3))
        // Leave a loop or the function from the end of a block.
        if loopDepth > 0 && rng.chance(0.35) {
            then.append(rng.chance(0.5) ? .breakLoop : .continueLoop)
        } else if inMain && rng.chance(0.08) {
            then.append(.returnValue(resultExpression(.real)))
        }
        var otherwise: [GStmt]? = nil
        if rng.chance(0.45) {
            if depth + 1 < options.maxStatementDepth && rng.chance(0.25) {
                otherwise = [ifStatement(depth: depth + 1)]
            } else {
                otherwise = block(depth: depth + 1, count: rng.int(in: 1...2))
            }
        }
        return .ifElse(condition, then, otherwise)
    }

    private mutating func forLoop(depth: Int) -> GStmt {
        let name = fresh("i")
        let from: GExpr, to: GExpr, range: ClosedRange<Int>
        var inclusive = false
        let outerCounters = variables.filter { $0.range != nil && $0.range!.lowerBound >= 0 && $0.range!.upperBound <= 2 }
        if let outer = outerCounters.last, rng.chance(0.3) {
            // A triangular loop: `for j in i..<3`, whose trip count changes with the outer counter.
            from = GExpr(.name(outer.name), .int, bound: 2)
            to = .int(3)
            range = outer.range!.lowerBound...2
        } else if rng.chance(0.06) {
            // At the edge of Int: `Int.max - 2...Int.max` runs 3 times and must stop without overflow.
            let trips = rng.int(in: 1...3)
            inclusive = rng.chance(0.7)
            from = .int(Int.max - trips + (inclusive ? 1 : 0))
            to = .int(Int.max)
            loopDepth += 1
            // The counter is too large to index with or convert: it is in scope but not a counter.
            scopes.append([Variable(name: name, type: .int, mutable: false, bound: Double(Int.max), loopDepth: loopDepth)])
            let body = block(depth: depth + 1, count: rng.int(in: 1...3))
            scopes.removeLast()
            loopDepth -= 1
            return .forLoop(name, from, to, inclusive: inclusive, body)
        } else {
            let lo = rng.weighted([(3, 0), (1, 1)])
            switch rng.below(4) {
            case 0:
                inclusive = true
                let hi = rng.int(in: lo...2)
                from = .int(lo); to = .int(hi); range = lo...hi
            case 1:
                from = .int(lo); to = GExpr(.call("size", [GExpr(.name(inMain ? "t" : "b"), .vector, bound: 2)], labels: [nil]), .int, bound: 3)
                range = lo...2
            default:
                let hi = rng.int(in: (lo + 1)...3)
                from = .int(lo); to = .int(hi); range = lo...(hi - 1)
            }
        }
        loopDepth += 1
        scopes.append([Variable(name: name, type: .int, mutable: false, bound: 2, loopDepth: loopDepth, range: range)])
        let body = block(depth: depth + 1, count: rng.int(in: 1...3))
        scopes.removeLast()
        loopDepth -= 1
        return .forLoop(name, from, to, inclusive: inclusive, body)
    }

    private mutating func whileLoop(depth: Int) -> GStmt {
        let counter = fresh("k")
        let limit = rng.int(in: 1...4)
        let condition = rng.chance(0.2) ? GExpr(.literal("true"), .bool) : boolean(depth: 1)
        // The counter is declared before the loop, in the enclosing scope (it is not an index: no range).
        declare(Variable(name: counter, type: .int, mutable: false, bound: Double(limit), loopDepth: loopDepth))
        loopDepth += 1
        let body = block(depth: depth + 1, count: rng.int(in: 1...3))
        loopDepth -= 1
        return .whileLoop(counter: counter, limit: limit, condition, counterFirst: rng.chance(0.5), body)
    }

    // MARK: Expressions

    private mutating func binary(_ op: String, _ a: GExpr, _ b: GExpr, type: GType) -> GExpr {
        let bound: Double
        switch op {
        case "+", "-": bound = a.bound + b.bound
        case "*": bound = a.bound * b.bound
        case "/": bound = a.bound            // only ever by 1 + d*d, or a constant of magnitude >= 1... see divide
        default: bound = max(a.bound, b.bound)
        }
        return GExpr(.binary(op, a, b), type, bound: bound)
    }

    /// `e / 2^m`, small enough for `limit`; e itself when it already is.
    private func scaled(_ e: GExpr, to limit: Double) -> GExpr {
        guard e.bound > limit, limit > 0 else { return e }
        var power = 1.0
        while e.bound / power > limit { power *= 2 }
        return GExpr(.binary("/", e, .real(String(format: "%.1f", power))), e.type, bound: e.bound / power)
    }

    /// A safe divisor: `1.0 + d * d`, or a nonzero constant; returns the divisor and the factor the bound grows by.
    private mutating func divisor() -> (GExpr, Double) {
        if rng.chance(0.6) {
            let d = scaled(real(depth: 1), to: 8)
            return (binary("+", .real("1.0"), binary("*", d, d, type: .real), type: .real), 1)
        }
        let c = rng.pick(["2.0", "4.0", "-2.0", "0.5", "3.0", "10.0", "-0.25"])
        return (.real(c), 1 / abs(Double(c)!))
    }

    private mutating func constant() -> GExpr {
        .real(rng.pick(["0.5", "1.0", "2.0", "0.25", "1.5", "3.0", "0.1", "0.75", "-1.0", "-0.5", "-2.0", "0.0"]))
    }

    private mutating func realLeaf() -> GExpr {
        let reals = variables.filter { $0.type == .real }
        let tensors = variables.filter { if case .tensor = $0.type { return true } else { return false } }
        let counters = variables.filter { $0.range != nil }
        switch rng.weighted([(6, 0), (2, 1), (3, 2), (counters.isEmpty ? 0 : 1, 3)]) {
        case 0:
            let v = rng.pick(reals)
            return GExpr(.name(v.name), .real, bound: v.bound)
        case 1:
            return constant()
        case 2:
            let v = rng.pick(tensors)
            guard case .tensor(let shape) = v.type else { fatalError() }
            return GExpr(.index(GExpr(.name(v.name), v.type, bound: v.bound), shape.map { index(below: $0) }), .real, bound: v.bound)
        default:
            let v = rng.pick(counters)
            return GExpr(.call("real", [GExpr(.name(v.name), .int, bound: v.bound)], labels: [nil]), .real, bound: v.bound)
        }
    }

    private mutating func real(depth: Int) -> GExpr {
        if depth <= 0 || rng.chance(0.2) { return realLeaf() }
        let d = depth - 1
        let helperReal = helpers.filter { $0.function.result == .real }
        let gradableReal = helperReal.filter(\.gradable)
        switch rng.weighted([
            (10, 0),                                          // + - *
            (3, 1),                                           // division
            (2, 2),                                           // integer powers
            (2, 3),                                           // negation, abs, relu
            (3, 4),                                           // maximum/minimum
            (5, 5),                                           // reductions
            (1, 6),                                           // sum(u * v), an inner product
            (2, 7),                                           // index of a tensor expression
            (helperReal.isEmpty ? 0 : 3, 8),                  // helper call
            (transcendental ? 4 : 0, 9),                      // sin, exp, ...
            (gradableReal.isEmpty ? 0 : options.nestedGradWeight, 10),  // grad of a helper
            (intLets.isEmpty ? 0 : 2, 11),                    // an Int let where a Real is expected
        ]) {
        case 0:
            let op = rng.weighted([(4, "+"), (3, "-"), (4, "*")])
            return binary(op, real(depth: d), real(depth: d), type: .real)
        case 1:
            let (den, factor) = divisor()
            let num = real(depth: d)
            return GExpr(.binary("/", num, den), .real, bound: num.bound * factor)
        case 2:
            let base = scaled(real(depth: d), to: 4)
            switch rng.below(4) {
            case 0: return GExpr(.binary("^", base, .int(2)), .real, bound: base.bound * base.bound)
            case 1: return GExpr(.binary("^", base, .int(3)), .real, bound: pow(base.bound, 3))
            case 2: return GExpr(.call("pow", [base, .int(2)], labels: [nil, nil]), .real, bound: base.bound * base.bound)
            default:
                // A negative power of a positive denominator: (1 + e*e)^-1.
                let e = scaled(real(depth: d), to: 4)
                return GExpr(.binary("^", binary("+", .real("1.0"), binary("*", e, e, type: .real), type: .real), .int(-2)),
                             .real, bound: 1)
            }
        case 3:
            let e = real(depth: d)
            let op = rng.pick(["-", "abs", "relu"])
            return op == "-" ? GExpr(.unary("-", e), .real, bound: e.bound) : GExpr(.call(op, [e], labels: [nil]), .real, bound: e.bound)
        case 4:
            let a = real(depth: d), b = real(depth: d)
            return GExpr(.call(rng.pick(["maximum", "minimum", "max", "min"]), [a, b], labels: [nil, nil]), .real,
                         bound: max(a.bound, b.bound))
        case 5:
            let v = tensor(depth: d)
            switch rng.below(8) {
            case 0: return GExpr(.call("sum", [v], labels: [nil]), .real, bound: 3 * v.bound)
            case 1: return GExpr(.call("mean", [v], labels: [nil]), .real, bound: v.bound)
            case 2:
                let small = scaled(v, to: 3)
                return GExpr(.call("prod", [small], labels: [nil]), .real, bound: pow(small.bound, 3))
            case 3: return GExpr(.call("max", [v], labels: [nil]), .real, bound: v.bound)
            case 4: return GExpr(.call("min", [v], labels: [nil]), .real, bound: v.bound)
            case 5: return GExpr(.call("sum", [GExpr(.call("abs", [v], labels: [nil]), .vector, bound: v.bound)], labels: [nil]),
                                 .real, bound: 3 * v.bound)
            case 6:
                let lo = rng.below(3), hi = rng.int(in: (lo + 1)...3)
                return GExpr(.call(rng.pick(["sum", "mean"]), [GExpr(.slice(v, lo, hi), .tensor([hi - lo]), bound: v.bound)],
                                   labels: [nil]), .real, bound: 3 * v.bound)
            default:
                let m = matrix(depth: d)
                return GExpr(.call(rng.pick(["sum", "max", "mean"]), [m], labels: [nil]), .real, bound: 9 * m.bound)
            }
        case 6:
            let a = tensor(depth: d), b = tensor(depth: d)
            return GExpr(.call("sum", [binary("*", a, b, type: .vector)], labels: [nil]), .real, bound: 3 * a.bound * b.bound)
        case 7:
            let v = tensor(depth: d)
            return GExpr(.index(v, [index(below: 3)]), .real, bound: v.bound)
        case 8:
            return helperCall(rng.pick(helperReal), depth: d)
        case 11:
            // `x * p + p`: the same Int converted to a Real at each use.
            let p = rng.pick(intLets)
            let ref = GExpr(.name(p.name), .real, bound: p.bound)
            let e = real(depth: d)
            let op = rng.pick(["+", "-", "*"])
            return rng.chance(0.5) ? binary(op, e, ref, type: .real) : binary(op, ref, e, type: .real)
        case 9:
            let e = real(depth: d)
            switch rng.below(6) {
            case 0: return GExpr(.call("sin", [e], labels: [nil]), .real, bound: 1)
            case 1: return GExpr(.call("cos", [e], labels: [nil]), .real, bound: 1)
            case 2: return GExpr(.call("tanh", [e], labels: [nil]), .real, bound: 1)
            case 3: return GExpr(.call("sigmoid", [e], labels: [nil]), .real, bound: 1)
            case 4:
                let small = scaled(e, to: 8)
                return GExpr(.call("sqrt", [binary("+", .real("1.0"), binary("*", small, small, type: .real), type: .real)],
                                   labels: [nil]), .real, bound: 1 + small.bound)
            default:
                // exp of something in [-1/2, 1/2]: e / (1 + e*e).
                let small = scaled(e, to: 8)
                let arg = GExpr(.binary("/", small, binary("+", .real("1.0"), binary("*", small, small, type: .real), type: .real)),
                                .real, bound: 0.5)
                return GExpr(.call("exp", [arg], labels: [nil]), .real, bound: 2)
            }
        default:
            let h = rng.pick(gradableReal)
            let call = helperCall(h, depth: d)
            guard case .call(_, let args, _) = call.kind else { fatalError() }
            if h.function.result == .real && rng.chance(0.7) {
                return GExpr(.call("grad(\(h.function.name))", args, labels: [nil, nil]), .real, bound: 16 * max(h.bound, 1))
            }
            return GExpr(.call("sum", [GExpr(.call("grad(\(h.function.name), wrt: b)", args, labels: [nil, nil]), .vector,
                                             bound: 16 * max(h.bound, 1))], labels: [nil]),
                         .real, bound: 48 * max(h.bound, 1))
        }
    }

    private mutating func helperCall(_ h: (function: GFunction, bound: Double, gradable: Bool), depth: Int) -> GExpr {
        // The Real argument is sometimes a rank-0 `dot`, converted at the call.
        let a = rng.chance(0.1) ? scaled(dotProduct(), to: 4) : scaled(real(depth: depth), to: 4)
        let b = scaled(tensor(depth: depth), to: 4)
        return GExpr(.call(h.function.name, [a, b], labels: [nil, nil]), h.function.result, bound: h.bound)
    }

    /// A rank-0 (or [1, 1]) tensor from `dot` or `sum(v, axis: 0)`: a Tensor (statically) that converts to a
    /// Real where one is expected.
    private mutating func dotProduct(rankZero: Bool = false) -> GExpr {
        let a = tensor(depth: 1), b = tensor(depth: 1)
        if rng.chance(0.2) {
            return GExpr(.call(rng.pick(["sum", "mean"]), [binary("*", a, b, type: .vector), .int(0)], labels: [nil, "axis"]),
                         .tensor([]), bound: 3 * a.bound * b.bound)
        }
        if !rankZero && rng.chance(0.25) {
            let row = GExpr(.call("reshape", [a, .int(1), .int(3)], labels: [nil, nil, nil]), .tensor([1, 3]), bound: a.bound)
            let column = GExpr(.call("reshape", [b, .int(3), .int(1)], labels: [nil, nil, nil]), .tensor([3, 1]), bound: b.bound)
            return GExpr(.call("dot", [row, column], labels: [nil, nil]), .tensor([1, 1]), bound: 3 * a.bound * b.bound)
        }
        return GExpr(.call("dot", [a, b], labels: [nil, nil]), .tensor([]), bound: 3 * a.bound * b.bound)
    }

    private mutating func tensorLeaf() -> GExpr {
        let vectors = variables.filter { $0.type == .vector }
        switch rng.weighted([(8, 0), (2, 1), (1, 2), (1, 3)]) {
        case 0:
            let v = rng.pick(vectors)
            return GExpr(.name(v.name), .vector, bound: v.bound)
        case 1:
            let elements = (0..<3).map { _ in rng.chance(0.5) ? realLeaf() : constant() }
            return GExpr(.tensorLiteral(elements), .vector, bound: elements.map(\.bound).max()!)
        case 2:
            return rng.chance(0.5) ? GExpr(.call("ones", [.int(3)], labels: [nil]), .vector, bound: 1)
                : GExpr(.call("arange", [.int(3)], labels: [nil]), .vector, bound: 2)
        default:
            let r = realLeaf()
            return GExpr(.call("full", [r, .int(3)], labels: [nil, nil]), .vector, bound: r.bound)
        }
    }

    private mutating func tensor(depth: Int) -> GExpr {
        if depth <= 0 || rng.chance(0.2) { return tensorLeaf() }
        let d = depth - 1
        let helperTensor = helpers.filter { $0.function.result == .vector }
        switch rng.weighted([
            (8, 0),                                  // tensor op tensor
            (6, 1),                                  // tensor op real, real op tensor
            (3, 2),                                  // division
            (3, 3),                                  // negation, abs, relu, square
            (3, 4),                                  // maximum/minimum
            (2, 5),                                  // dot(...) * v: rank-0 broadcasting
            (3, 6),                                  // from a matrix: sum/mean over an axis, matrix-vector dot
            (helperTensor.isEmpty ? 0 : 3, 7),       // helper call
            (transcendental ? 3 : 0, 8),
            (helpers.contains(where: \.gradable) ? options.nestedGradWeight : 0, 9),
        ]) {
        case 0:
            let op = rng.weighted([(4, "+"), (3, "-"), (4, "*")])
            return binary(op, tensor(depth: d), tensor(depth: d), type: .vector)
        case 1:
            let op = rng.weighted([(4, "+"), (3, "-"), (4, "*")])
            let v = tensor(depth: d), r = real(depth: d)
            return rng.chance(0.5) ? binary(op, v, r, type: .vector) : binary(op, r, v, type: .vector)
        case 2:
            let num = tensor(depth: d)
            if rng.chance(0.5) {
                let den = scaled(tensor(depth: d), to: 8)
                return GExpr(.binary("/", num, binary("+", .real("1.0"), binary("*", den, den, type: .vector), type: .vector)),
                             .vector, bound: num.bound)
            }
            let (den, factor) = divisor()
            return GExpr(.binary("/", num, den), .vector, bound: num.bound * factor)
        case 3:
            let e = tensor(depth: d)
            switch rng.below(4) {
            case 0: return GExpr(.unary("-", e), .vector, bound: e.bound)
            case 1: return GExpr(.call("abs", [e], labels: [nil]), .vector, bound: e.bound)
            case 2: return GExpr(.call("relu", [e], labels: [nil]), .vector, bound: e.bound)
            default:
                let small = scaled(e, to: 4)
                return GExpr(.binary("^", small, .int(2)), .vector, bound: small.bound * small.bound)
            }
        case 4:
            let a = tensor(depth: d)
            let b = rng.chance(0.6) ? tensor(depth: d) : real(depth: d)
            let (first, second) = rng.chance(0.5) ? (a, b) : (b, a)
            return GExpr(.call(rng.pick(["maximum", "minimum"]), [first, second], labels: [nil, nil]), .vector,
                         bound: max(a.bound, b.bound))
        case 5:
            // Only a rank-0 result keeps the vector's shape ([1, 1] * [3] is [1, 3]).
            let p = dotProduct(rankZero: true), v = tensor(depth: d)
            return binary("*", p, v, type: .vector)
        case 6:
            let m = matrix(depth: d)
            switch rng.below(3) {
            case 0:
                return GExpr(.call(rng.pick(["sum", "mean"]), [m, .int(rng.below(2))], labels: [nil, "axis"]), .vector,
                             bound: 3 * m.bound)
            case 1:
                let v = tensor(depth: d)
                return GExpr(.call("dot", [m, v], labels: [nil, nil]), .vector, bound: 3 * m.bound * v.bound)
            default:
                let v = tensor(depth: d)
                return GExpr(.call("dot", [v, m], labels: [nil, nil]), .vector, bound: 3 * m.bound * v.bound)
            }
        case 7:
            return helperCall(rng.pick(helperTensor), depth: d)
        case 8:
            let e = tensor(depth: d)
            switch rng.below(4) {
            case 0: return GExpr(.call("sin", [e], labels: [nil]), .vector, bound: 1)
            case 1: return GExpr(.call("tanh", [e], labels: [nil]), .vector, bound: 1)
            case 2: return GExpr(.call("sigmoid", [e], labels: [nil]), .vector, bound: 1)
            default:
                let small = scaled(e, to: 8)
                let arg = GExpr(.binary("/", small, binary("+", .real("1.0"), binary("*", small, small, type: .vector), type: .vector)),
                                .vector, bound: 0.5)
                return GExpr(.call("exp", [arg], labels: [nil]), .vector, bound: 2)
            }
        default:
            let h = rng.pick(helpers.filter(\.gradable))
            let call = helperCall(h, depth: d)
            guard case .call(_, let args, _) = call.kind else { fatalError() }
            return GExpr(.call("grad(\(h.function.name), wrt: b)", args, labels: [nil, nil]), .vector, bound: 16 * max(h.bound, 1))
        }
    }

    /// A 3×3 matrix: an outer product or a broadcast sum of vectors, a matrix variable, or a transpose.
    private mutating func matrix(depth: Int) -> GExpr {
        let matrices = variables.filter { $0.type == .matrix }
        if !matrices.isEmpty && rng.chance(0.4) {
            let v = rng.pick(matrices)
            let ref = GExpr(.name(v.name), .matrix, bound: v.bound)
            return rng.chance(0.3) ? GExpr(.transposed(ref), .matrix, bound: v.bound) : ref
        }
        let a = tensor(depth: max(depth - 1, 0)), b = tensor(depth: max(depth - 1, 0))
        let column = GExpr(.call("reshape", [a, .int(3), .int(1)], labels: [nil, nil, nil]), .tensor([3, 1]), bound: a.bound)
        switch rng.below(4) {
        case 0:
            let row = GExpr(.call("reshape", [b, .int(1), .int(3)], labels: [nil, nil, nil]), .tensor([1, 3]), bound: b.bound)
            return binary("*", column, row, type: .matrix)
        case 1:
            return binary(rng.pick(["+", "-"]), column, b, type: .matrix)
        case 2:
            let m = binary("*", column, b, type: .matrix)
            return GExpr(.call("transpose", [m], labels: [nil]), .matrix, bound: m.bound)
        default:
            let row = GExpr(.call("reshape", [b, .int(1), .int(3)], labels: [nil, nil, nil]), .tensor([1, 3]), bound: b.bound)
            return GExpr(.transposed(binary("+", column, row, type: .matrix)), .matrix, bound: a.bound + b.bound)
        }
    }

    private mutating func boolean(depth: Int) -> GExpr {
        let counters = variables.filter { $0.range != nil }
        switch rng.weighted([(8, 0), (3, 1), (depth > 0 ? 3 : 0, 2), (counters.isEmpty ? 0 : 2, 3), (1, 4), (1, 5), (2, 6)]) {
        case 0:
            let op = rng.weighted([(3, "<"), (2, "<="), (3, ">"), (2, ">="), (1, "=="), (1, "!=")])
            return GExpr(.binary(op, real(depth: 2), real(depth: 1)), .bool)
        case 1:
            let v = tensor(depth: 1)
            let reduction = rng.pick(["sum", "max", "min", "norm", "mean"])
            return GExpr(.binary(rng.pick(["<", ">"]), GExpr(.call(reduction, [v], labels: [nil]), .real), constant()), .bool)
        case 2:
            let op = rng.pick(["&&", "||"])
            return GExpr(.binary(op, boolean(depth: depth - 1), boolean(depth: depth - 1)), .bool)
        case 3:
            let v = rng.pick(counters)
            let ref = GExpr(.name(v.name), .int)
            return rng.chance(0.5)
                ? GExpr(.binary("==", GExpr(.binary("%", ref, .int(2)), .int), .int(0)), .bool)
                : GExpr(.binary(rng.pick(["<", ">", "=="]), ref, .int(rng.int(in: 0...2))), .bool)
        case 5:
            // Decided before the program runs: literals alone, or a named Int against a literal.
            let op = rng.pick(["<", "<=", ">", ">=", "==", "!="])
            if let p = intLets.last, rng.chance(0.4) {
                return GExpr(.binary(op, GExpr(.name(p.name), .int), .int(rng.int(in: 0...4))), .bool)
            }
            return GExpr(.binary(op, constant(), constant()), .bool)
        case 6:
            // `==` or `!=` between values that depend on the inputs, which the arguments often make equal.
            let reals = variables.filter { $0.type == .real }
            let a = rng.pick(reals), b = rng.pick(reals)
            let left = GExpr(.name(a.name), .real, bound: a.bound)
            var right: GExpr = rng.chance(0.3) ? .real("0.0") : GExpr(.name(b.name), .real, bound: b.bound)
            if inMain, a.name == "x" || a.name == "y", rng.chance(0.4) {
                // `x == c`, and the arguments often make x exactly c.
                let c = rng.pick(RandomProgramGenerator.argumentValues)
                thresholds[a.name, default: []].append(c)
                right = .real(c)
            }
            let difference = rng.chance(0.3) ? binary("-", left, right, type: .real) : nil
            let op = rng.pick(["==", "!="])
            return difference.map { GExpr(.binary(op, .real("0.0"), $0), .bool) } ?? GExpr(.binary(op, left, right), .bool)
        default:
            return GExpr(.unary("!", boolean(depth: max(depth - 1, 0))), .bool)
        }
    }

    // MARK: Arguments

    static let argumentValues = ["0.5", "-0.5", "1.0", "-1.0", "0.25", "-0.75", "1.5", "-1.25", "2.0", "-2.0", "0.3", "-0.7",
                                 "1.1", "0.0", "0.125", "-1.5", "0.6", "1.75"]

    private mutating func arguments() -> [(name: String, expression: String)] {
        let values = RandomProgramGenerator.argumentValues
        var x = rng.pick(values), y = rng.pick(values)
        var t = (0..<3).map { _ in rng.pick(values) }
        // Now and then the same value twice, so ties and kinks are met.
        if rng.chance(0.15) { y = x }
        if rng.chance(0.15) { t[rng.below(3)] = x }
        if rng.chance(0.1) { x = "0.0" }
        // Integer-valued inputs (floor and int jump there), and inputs on the thresholds the program compares with.
        if rng.chance(0.1) { x = rng.pick(["1.0", "2.0", "-1.0", "-2.0"]) }
        if let cs = thresholds["x"], rng.chance(0.6) { x = rng.pick(cs) }
        if let cs = thresholds["y"], rng.chance(0.6) { y = rng.pick(cs) }
        return [("x", x), ("y", y), ("t", "[" + t.joined(separator: ", ") + "]")]
    }
}

// MARK: - Shrinking

extension GProgram {
    /// Every program one step smaller: a function, a statement or a block removed, a block inlined,
    /// a loop made shorter, an expression replaced by a constant, a parameter or one of its parts.
    /// Candidates may not compile; the caller's predicate rejects those.
    func shrinkCandidates() -> [GProgram] {
        var out: [GProgram] = []
        // Drop a helper (callers must no longer use it).
        for i in functions.indices.dropLast() {
            var copy = self
            copy.functions.remove(at: i)
            out.append(copy)
        }
        // Statement-level edits first (bigger steps), then expression edits.
        for i in functions.indices {
            for body in GProgram.statementVariants(functions[i].body) {
                var copy = self
                copy.functions[i].body = body
                out.append(copy)
            }
        }
        for i in functions.indices {
            let parameters = functions[i].parameters
            for body in GProgram.expressionVariants(functions[i].body, parameters: parameters) {
                var copy = self
                copy.functions[i].body = body
                out.append(copy)
            }
        }
        // Simpler arguments.
        for k in arguments.indices {
            let simple = arguments[k].name == "t" ? "[1.0, 2.0, 3.0]" : "1.0"
            if arguments[k].expression != simple {
                var copy = self
                copy.arguments[k].expression = simple
                out.append(copy)
            }
        }
        return out
    }

    private static func statementVariants(_ block: [GStmt]) -> [[GStmt]] {
        var out: [[GStmt]] = []
        for (i, s) in block.enumerated() {
            var removed = block
            removed.remove(at: i)
            out.append(removed)
            // Two neighbours at once (a declaration and its only use).
            if i + 1 < block.count {
                var two = block
                two.removeSubrange(i...(i + 1))
                out.append(two)
            }
            func replace(_ with: [GStmt]) { var b = block; b.replaceSubrange(i...i, with: with); out.append(b) }
            switch s {
            case .ifElse(let c, let then, let otherwise):
                replace(then)
                if let otherwise {
                    replace(otherwise)
                    replace([.ifElse(c, then, nil)])
                }
                for v in statementVariants(then) { replace([.ifElse(c, v, otherwise)]) }
                if let otherwise { for v in statementVariants(otherwise) { replace([.ifElse(c, then, v)]) } }
            case .forLoop(let name, let from, let to, let inclusive, let body):
                replace(body.filter { if case .breakLoop = $0 { return false }; if case .continueLoop = $0 { return false }; return true })
                if case .literal(let hi) = to.kind, case .literal(let lo) = from.kind, let h = Int(hi), let l = Int(lo),
                   h > l + (inclusive ? 0 : 1) {
                    replace([.forLoop(name, from, .int(inclusive ? l : l + 1), inclusive: inclusive, body)])
                }
                for v in statementVariants(body) { replace([.forLoop(name, from, to, inclusive: inclusive, v)]) }
            case .whileLoop(let counter, let limit, let c, let counterFirst, let body):
                if limit > 1 { replace([.whileLoop(counter: counter, limit: 1, c, counterFirst: counterFirst, body)]) }
                if case .literal("true") = c.kind {} else {
                    replace([.whileLoop(counter: counter, limit: limit, GExpr(.literal("true"), .bool), counterFirst: counterFirst, body)])
                }
                for v in statementVariants(body) { replace([.whileLoop(counter: counter, limit: limit, c, counterFirst: counterFirst, v)]) }
            default:
                break
            }
        }
        return out
    }

    /// Replacements of one expression node in a block (recursively into nested blocks).
    private static func expressionVariants(_ block: [GStmt], parameters: [GParameter]) -> [[GStmt]] {
        var out: [[GStmt]] = []
        for (i, s) in block.enumerated() {
            func replace(_ with: GStmt) { var b = block; b[i] = with; out.append(b) }
            let exprs = s.expressions
            for (k, e) in exprs.enumerated() {
                for v in expressionVariants(e, parameters: parameters) {
                    var new = exprs
                    new[k] = v
                    replace(s.with(expressions: new))
                }
            }
            let blocks = s.blocks
            for (k, b) in blocks.enumerated() {
                for v in expressionVariants(b, parameters: parameters) {
                    var new = blocks
                    new[k] = v
                    replace(s.with(blocks: new))
                }
            }
        }
        return out
    }

    /// One node of the expression replaced: by a constant or a parameter of its type, or by a child of its type.
    private static func expressionVariants(_ e: GExpr, parameters: [GParameter]) -> [GExpr] {
        var out: [GExpr] = []
        let isLeaf = e.children.isEmpty
        switch e.type {
        case .real:
            if !(isLeaf && e.text == "1.0") { out.append(.real("1.0")) }
            if !(isLeaf && e.text == "0.0") { out.append(.real("0.0")) }
            if !isLeaf { for p in parameters where p.type == .real { out.append(GExpr(.name(p.name), .real)) } }
        case .bool:
            if e.text != "true" { out.append(GExpr(.literal("true"), .bool)) }
            if e.text != "false" { out.append(GExpr(.literal("false"), .bool)) }
        case .tensor(let shape) where shape == [3]:
            if !isLeaf {
                for p in parameters where p.type == .vector { out.append(GExpr(.name(p.name), .vector)) }
                out.append(GExpr(.call("ones", [.int(3)], labels: [nil]), .vector))
            }
        case .tensor(let shape) where shape.isEmpty:
            out.append(.real("1.0"))
        case .tensor(let shape):
            if !isLeaf { out.append(GExpr(.call("ones", shape.map { .int($0) }, labels: shape.map { _ in nil }), e.type)) }
        case .int:
            break
        }
        // Hoist a child of the same type (or a Real child where a Real is expected).
        for child in e.children where child.type == e.type && e.type != .int {
            out.append(child)
        }
        let children = e.children
        for (k, child) in children.enumerated() {
            for v in expressionVariants(child, parameters: parameters) {
                var new = children
                new[k] = v
                out.append(e.with(children: new))
            }
        }
        return out
    }

    /// Greedy shrinking: take the first one-step-smaller candidate that still fails, until none does
    /// (or `limit` candidates have been tried). `stillFails` must return false for programs that do not compile.
    func shrunk(limit: Int = 4000, stillFails: (GProgram) -> Bool) -> GProgram {
        var current = self
        var tried = 0
        var progress = true
        while progress && tried < limit {
            progress = false
            for candidate in current.shrinkCandidates() where candidate.measure < current.measure {
                tried += 1
                if stillFails(candidate) {
                    current = candidate
                    progress = true
                    break
                }
                if tried >= limit { break }
            }
        }
        return current
    }
}

extension GStmt {
    func with(expressions new: [GExpr]) -> GStmt {
        switch self {
        case .declare(let n, let m, let a, _): return .declare(n, mutable: m, annotation: a, new[0])
        case .assign(let n, let op, _): return .assign(n, op: op, new[0])
        case .returnValue: return .returnValue(new[0])
        case .assignIndex(let n, _, let op, _): return .assignIndex(n, Array(new.dropLast()), op: op, new.last!)
        case .ifElse(_, let t, let o): return .ifElse(new[0], t, o)
        case .forLoop(let n, _, _, let inc, let b): return .forLoop(n, new[0], new[1], inclusive: inc, b)
        case .whileLoop(let c, let l, _, let first, let b): return .whileLoop(counter: c, limit: l, new[0], counterFirst: first, b)
        case .breakLoop, .continueLoop: return self
        }
    }

    func with(blocks new: [[GStmt]]) -> GStmt {
        switch self {
        case .ifElse(let c, _, let o): return .ifElse(c, new[0], o == nil ? nil : new[1])
        case .forLoop(let n, let a, let b, let inc, _): return .forLoop(n, a, b, inclusive: inc, new[0])
        case .whileLoop(let c, let l, let e, let first, _): return .whileLoop(counter: c, limit: l, e, counterFirst: first, new[0])
        default: return self
        }
    }
}

/// The smallest program one-step edits reach from `program` while `stillFails` holds (greedy; see `shrunk`).
func shrink(_ program: GProgram, limit: Int = 4000, stillFails: (GProgram) -> Bool) -> GProgram {
    program.shrunk(limit: limit, stillFails: stillFails)
}
