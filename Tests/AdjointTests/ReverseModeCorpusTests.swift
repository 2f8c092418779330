// Reverse-mode corpus: small differentiable functions, each checked three ways.
//
//  (a) the Double gradient against central finite differences of the function itself, evaluated
//      in Double at perturbed arguments (the head, explicit or ones_like, contracts a Tensor result);
//  (b) where the math allows, against a gradient derived by hand (exact strings, or Doubles);
//  (c) on a rational path, the exact (GMP) gradient against the Double one, to 1e-12 relative.
//
// Beside the corpus: kinks and ties (spec §6), nested `grad`, `is_training()`, the tapes being
// empty after every gradient, and the three checks of the autograd chapter through the JSON API.
import Foundation
import Testing
import AdjointIR
@testable import AdjointDriver

// MARK: - Arguments

/// One argument of a corpus function: its value, kept as numbers so that it can be perturbed.
struct CorpusArgument: Sendable {
    enum Kind: Sendable { case real, tensor, int, bool }
    var name: String
    var kind: Kind
    var shape: [Int]
    var values: [Double]
    var text: String

    static func real(_ name: String, _ value: Double) -> CorpusArgument {
        CorpusArgument(name: name, kind: .real, shape: [], values: [value], text: "\(value)")
    }

    /// A tensor given as a literal, `[[1, 2], [3, 4]]`.
    static func tensor(_ name: String, _ literal: String) -> CorpusArgument {
        let (shape, values) = parseTensorLiteral(literal)
        return CorpusArgument(name: name, kind: .tensor, shape: shape, values: values,
                              text: formatTensorLiteral(shape: shape, values: values))
    }

    static func int(_ name: String, _ value: Int) -> CorpusArgument {
        CorpusArgument(name: name, kind: .int, shape: [], values: [], text: "\(value)")
    }

    static func bool(_ name: String, _ value: Bool) -> CorpusArgument {
        CorpusArgument(name: name, kind: .bool, shape: [], values: [], text: "\(value)")
    }

    var isDifferentiable: Bool { kind == .real || kind == .tensor }

    /// The same argument with element `index` replaced.
    func replacing(_ index: Int, with value: Double) -> CorpusArgument {
        var copy = self
        copy.values[index] = value
        copy.text = kind == .real ? "\(value)" : formatTensorLiteral(shape: shape, values: copy.values)
        return copy
    }
}

/// Parses a tensor literal of numbers (`[[1, -2.5], [3e-1, 4]]`) into its shape and row-major elements.
private func parseTensorLiteral(_ text: String) -> (shape: [Int], values: [Double]) {
    indirect enum Node { case number(Double), list([Node]) }
    let characters = Array(text)
    var i = 0
    func skipSpace() { while i < characters.count, characters[i] == " " || characters[i] == "\n" { i += 1 } }
    func parse() -> Node {
        skipSpace()
        if characters[i] == "[" {
            i += 1
            var items: [Node] = []
            skipSpace()
            while characters[i] != "]" {
                items.append(parse())
                skipSpace()
                if characters[i] == "," { i += 1 }
                skipSpace()
            }
            i += 1
            return .list(items)
        }
        var token = ""
        while i < characters.count, !",] \n".contains(characters[i]) {
            token.append(characters[i])
            i += 1
        }
        guard let value = Double(token) else { fatalError("bad number '\(token)' in tensor literal \(text)") }
        return .number(value)
    }
    let root = parse()
    var shape: [Int] = []
    var node = root
    while case .list(let items) = node {
        shape.append(items.count)
        guard let first = items.first else { break }
        node = first
    }
    var values: [Double] = []
    func flatten(_ node: Node) {
        switch node {
        case .number(let value): values.append(value)
        case .list(let items): items.forEach(flatten)
        }
    }
    flatten(root)
    precondition(values.count == shape.reduce(1, *), "ragged tensor literal \(text)")
    return (shape, values)
}

/// Writes a tensor as a literal with every element at full precision (a Double's description round-trips).
private func formatTensorLiteral(shape: [Int], values: [Double]) -> String {
    func write(_ axis: Int, _ offset: Int) -> String {
        if axis == shape.count { return "\(values[offset])" }
        let stride = shape[(axis + 1)...].reduce(1, *)
        return "[" + (0..<shape[axis]).map { write(axis + 1, offset + $0 * stride) }.joined(separator: ", ") + "]"
    }
    return write(0, 0)
}

// MARK: - JSON values

/// The leaves of a JSON value (a number, a string, or nested arrays of them), in order, without quotes.
private func jsonLeaves(_ json: String) -> [String] {
    json.split(whereSeparator: { "[],".contains($0) })
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
        .map { $0.hasPrefix("\"") && $0.hasSuffix("\"") ? String($0.dropFirst().dropLast()) : $0 }
}

/// One leaf as a Double: a JSON number, `"inf"`, `"-inf"`, `"nan"`, or an exact `"p/q"` / `"p"`.
private func leafValue(_ leaf: String) -> Double {
    switch leaf {
    case "inf": return .infinity
    case "-inf": return -.infinity
    case "nan": return .nan
    default: break
    }
    if let slash = leaf.firstIndex(of: "/") {
        guard let p = Double(leaf[..<slash]), let q = Double(leaf[leaf.index(after: slash)...]) else {
            fatalError("bad rational '\(leaf)'")
        }
        return p / q
    }
    guard let value = Double(leaf) else { fatalError("bad JSON number '\(leaf)'") }
    return value
}

/// The numbers of a JSON value, flattened row-major.
private func jsonNumbers(_ json: String) -> [Double] { jsonLeaves(json).map(leafValue) }

/// `a` and `b` agree to `relative` (with an absolute floor of `relative` times `floor`).
private func agrees(_ a: Double, _ b: Double, relative: Double, floor: Double = 1e-3) -> Bool {
    if a == b { return true }
    return abs(a - b) <= relative * max(abs(a), abs(b), floor)
}

// MARK: - Corpus cases

struct GradCase: Sendable, CustomTestStringConvertible {
    var name: String
    var source: String
    var function: String
    var arguments: [CorpusArgument]
    var wrt: [String]?
    var head: String?
    /// No sin/exp/log/...: the exact engine must agree with Double.
    var rational: Bool
    /// Hand-derived exact gradients, per parameter, flattened row-major.
    var exact: [String: [String]]?
    /// Hand-derived Double gradients, per parameter, flattened row-major.
    var expected: [String: [Double]]?
    /// False at kinks and ties, where a one-sided derivative is the convention, not the limit.
    var finiteDifferences: Bool
    /// True where the function reads `is_training()`, so a plain call computes something else.
    var plainCallDiffers: Bool

    init(_ name: String, _ source: String, function: String = "f", _ arguments: [CorpusArgument],
         wrt: [String]? = nil, head: String? = nil, rational: Bool = false,
         exact: [String: [String]]? = nil, expected: [String: [Double]]? = nil,
         finiteDifferences: Bool = true, plainCallDiffers: Bool = false) {
        self.name = name
        self.source = source
        self.function = function
        self.arguments = arguments
        self.wrt = wrt
        self.head = head
        self.rational = rational || exact != nil
        self.exact = exact
        self.expected = expected
        self.finiteDifferences = finiteDifferences
        self.plainCallDiffers = plainCallDiffers
    }

    var testDescription: String { name }

    /// The parameters differentiated: `wrt`, or every Real and Tensor parameter in order.
    var differentiated: [String] { wrt ?? arguments.filter(\.isDifferentiable).map(\.name) }

    func request(_ engine: Engine, arguments: [CorpusArgument]? = nil) -> GradRequest {
        GradRequest(function: function, arguments: (arguments ?? self.arguments).map { (name: $0.name, expression: $0.text) },
                    wrt: wrt, head: head, engine: engine)
    }
}

// Values used by hand-derived Double gradients.
private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
private func softmax(_ x: [Double]) -> [Double] {
    let e = x.map { exp($0) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
}

// MARK: Straight-line arithmetic

private let arithmeticCases: [GradCase] = [
    GradCase("real + and -", """
    func f(x: Real, y: Real) -> Real {
        return x + y - 3 * x + 2
    }
    """, [.real("x", 1.5), .real("y", -2)], exact: ["x": ["-2"], "y": ["1"]]),

    // f = xy/(x+y): ∂x = y²/(x+y)², ∂y = x²/(x+y)².
    GradCase("real * and /", """
    func f(x: Real, y: Real) -> Real {
        return x * y / (x + y)
    }
    """, [.real("x", 2), .real("y", 3)], exact: ["x": ["9/25"], "y": ["4/25"]]),

    // 3x² - 4x - 2x⁻³ at 2: 12 - 8 - 1/4.
    GradCase("integer powers", """
    func f(x: Real) -> Real {
        return x ^ 3 - 2 * x ^ 2 + x ^ -2
    }
    """, [.real("x", 2)], exact: ["x": ["15/4"]]),

    // -x^2 is -(x^2): ∂x = -2x - y, ∂y = -x.
    GradCase("unary minus", """
    func f(x: Real, y: Real) -> Real {
        return -x ^ 2 + -(x * y)
    }
    """, [.real("x", 3), .real("y", 0.5)], exact: ["x": ["-13/2"], "y": ["-3"]]),

    // n + 2nx - 1/x² at n = 3, x = 1/2; the Int parameter is not differentiated.
    GradCase("Int promotes to Real", """
    func f(x: Real, n: Int) -> Real {
        return x * n + n / 2 + real(n) * x * x + 1 / x
    }
    """, [.real("x", 0.5), .int("n", 3)], exact: ["x": ["2"]]),

    // y = (x² - 3x)/2 + 1: y' = (2x - 3)/2.
    GradCase("compound assignment on a Real", """
    func f(x: Real) -> Real {
        var y = x
        y *= x
        y -= 3 * x
        y /= 2
        y += 1
        return y
    }
    """, [.real("x", 2.5)], exact: ["x": ["1"]]),

    // ∂x = y - 1/y + 2, ∂y = x + x/y².
    GradCase("Tensor elementwise arithmetic", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(x * y - x / y + 2 * x)
    }
    """, [.tensor("x", "[1, 2, 3]"), .tensor("y", "[2, 4, 0.5]")],
         exact: ["x": ["7/2", "23/4", "1/2"], "y": ["5/4", "17/8", "15"]]),

    GradCase("Tensor power", """
    func f(x: Tensor) -> Real {
        return sum(x ^ 3)
    }
    """, [.tensor("x", "[1, -2, 0.5]")], exact: ["x": ["3", "12", "3/4"]]),

    // Default head = ones_like: the gradient of Σ(1 - x²) is -2x.
    GradCase("Tensor result with the default head", """
    func f(x: Tensor) -> Tensor {
        return -x * x + 1
    }
    """, [.tensor("x", "[[1, 2], [3, 4]]")], exact: ["x": ["-2", "-4", "-6", "-8"]]),

    // t = (x² + x)/2 - 1: t' = x + 1/2.
    GradCase("compound assignment on a Tensor", """
    func f(x: Tensor) -> Real {
        var t = x
        t *= x
        t += x
        t /= 2
        t -= 1
        return sum(t)
    }
    """, [.tensor("x", "[1, -1, 0.25]")], exact: ["x": ["3/2", "-1/2", "3/4"]]),

    // ∂x = 1/s + s; ∂s = Σ(-x/s² + x).
    GradCase("Tensor and Real both differentiated", """
    func f(x: Tensor, s: Real) -> Real {
        return sum(x / s + s * x)
    }
    """, [.tensor("x", "[1, 2]"), .real("s", 2)], exact: ["x": ["5/2", "5/2"], "s": ["9/4"]]),
]

// MARK: Built-in functions

private let builtinCases: [GradCase] = [
    GradCase("exp", """
    func f(x: Real) -> Real {
        return exp(2 * x)
    }
    """, [.real("x", 0.3)], expected: ["x": [2 * exp(0.6)]]),

    GradCase("log", """
    func f(x: Real) -> Real {
        return log(x * x + 1)
    }
    """, [.real("x", 0.5)], expected: ["x": [0.8]]),

    GradCase("sin", """
    func f(x: Real) -> Real {
        return sin(x) * x
    }
    """, [.real("x", 0.7)], expected: ["x": [cos(0.7) * 0.7 + sin(0.7)]]),

    GradCase("cos", """
    func f(x: Real) -> Real {
        return cos(x ^ 2)
    }
    """, [.real("x", 1.1)], expected: ["x": [-sin(1.1 * 1.1) * 2.2]]),

    GradCase("tan", """
    func f(x: Real) -> Real {
        return tan(x)
    }
    """, [.real("x", 0.4)], expected: ["x": [1 / (cos(0.4) * cos(0.4))]]),

    GradCase("tanh of a Tensor", """
    func f(x: Tensor) -> Real {
        return sum(tanh(x))
    }
    """, [.tensor("x", "[-0.5, 0.2, 1.3]")],
         expected: ["x": [-0.5, 0.2, 1.3].map { 1 - tanh($0) * tanh($0) }]),

    GradCase("sqrt of non-squares", """
    func f(x: Tensor) -> Real {
        return sum(sqrt(x))
    }
    """, [.tensor("x", "[2, 0.5, 3]")], expected: ["x": [2, 0.5, 3].map { 1 / (2 * sqrt($0)) }]),

    // d(√x · x) = 3/2 √x, rational at squares.
    GradCase("sqrt of squares (exact)", """
    func f(x: Tensor) -> Real {
        return sum(sqrt(x) * x)
    }
    """, [.tensor("x", "[4, 0.25, 9]")], exact: ["x": ["3", "3/4", "9/2"]]),

    GradCase("abs", """
    func f(x: Tensor) -> Real {
        return sum(abs(x) * 3)
    }
    """, [.tensor("x", "[-1.5, 2, 0.25]")], exact: ["x": ["-3", "3", "3"]]),

    GradCase("sigmoid of a Real", """
    func f(x: Real) -> Real {
        return sigmoid(x)
    }
    """, [.real("x", 0.3)], expected: ["x": [sigmoid(0.3) * (1 - sigmoid(0.3))]]),

    GradCase("sigmoid of a Tensor with a head", """
    func f(x: Tensor) -> Tensor {
        return sigmoid(x)
    }
    """, [.tensor("x", "[-1, 0, 2]")], head: "[1, 2, 3]",
         expected: ["x": [(-1.0, 1.0), (0, 2), (2, 3)].map { $0.1 * sigmoid($0.0) * (1 - sigmoid($0.0)) }]),

    // d(relu(x)·x) = relu'(x)·x + relu(x).
    GradCase("relu", """
    func f(x: Tensor) -> Real {
        return sum(relu(x) * x)
    }
    """, [.tensor("x", "[-1, 2, 3]")], exact: ["x": ["0", "4", "6"]]),

    // sign' = 0: d(sign(x)·x²) = sign(x)·2x.
    GradCase("sign", """
    func f(x: Tensor) -> Real {
        return sum(sign(x) * x ^ 2)
    }
    """, [.tensor("x", "[-2, 3]")], exact: ["x": ["4", "6"]]),

    GradCase("floor", """
    func f(x: Real) -> Real {
        return floor(x) * x
    }
    """, [.real("x", 2.5)], exact: ["x": ["2"]]),

    GradCase("pow with both operands differentiated", """
    func f(x: Real, y: Real) -> Real {
        return pow(x, y)
    }
    """, [.real("x", 1.5), .real("y", 2.5)],
         expected: ["x": [2.5 * pow(1.5, 1.5)], "y": [pow(1.5, 2.5) * log(1.5)]]),

    GradCase("pow with an integer exponent (exact)", """
    func f(x: Real, y: Real) -> Real {
        return pow(x, 2) * y
    }
    """, [.real("x", 1.5), .real("y", -2)], exact: ["x": ["-6"], "y": ["9/4"]]),

    GradCase("pow of Tensors", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(pow(x, y))
    }
    """, [.tensor("x", "[1.5, 2]"), .tensor("y", "[2, 0.5]")],
         expected: ["x": [2 * 1.5, 0.5 / sqrt(2.0)], "y": [2.25 * log(1.5), sqrt(2.0) * log(2.0)]]),

    GradCase("Tensor ^ non-integer Real", """
    func f(x: Tensor) -> Real {
        return sum(x ^ 1.5)
    }
    """, [.tensor("x", "[1, 4, 2.25]")], expected: ["x": [1.5, 3, 2.25]]),

    GradCase("maximum", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(maximum(x, y))
    }
    """, [.tensor("x", "[1, 5, -1]"), .tensor("y", "[2, 3, -4]")],
         exact: ["x": ["0", "1", "1"], "y": ["1", "0", "0"]]),

    GradCase("minimum", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(minimum(x, y * 2))
    }
    """, [.tensor("x", "[1, 5, -1]"), .tensor("y", "[2, 3, -4]")],
         exact: ["x": ["1", "1", "0"], "y": ["0", "0", "2"]]),

    // Σx = 12, mean = 3: ∂(sum·mean) = mean + sum/4 = 6.
    GradCase("sum and mean", """
    func f(x: Tensor) -> Real {
        return sum(x) * mean(x)
    }
    """, [.tensor("x", "[1, 2, 3, 6]")], exact: ["x": ["6", "6", "6", "6"]]),

    GradCase("prod", """
    func f(x: Tensor) -> Real {
        return prod(x)
    }
    """, [.tensor("x", "[2, 3, 0.5]")], exact: ["x": ["3/2", "1", "6"]]),

    GradCase("prod with a zero element", """
    func f(x: Tensor) -> Real {
        return prod(x)
    }
    """, [.tensor("x", "[2, 0, 4]")], exact: ["x": ["0", "8", "0"]]),

    GradCase("max reduction", """
    func f(x: Tensor) -> Real {
        return max(x) * 2
    }
    """, [.tensor("x", "[1, 7, 3]")], exact: ["x": ["0", "2", "0"]]),

    GradCase("min reduction of a matrix", """
    func f(x: Tensor) -> Real {
        return min(x)
    }
    """, [.tensor("x", "[[4, -1], [2, 8]]")], exact: ["x": ["0", "1", "0", "0"]]),

    // norm([3, 4]) = 5 is rational, and so is x / norm(x).
    GradCase("norm with a rational value (exact)", """
    func f(x: Tensor) -> Real {
        return norm(x)
    }
    """, [.tensor("x", "[3, 4]")], exact: ["x": ["3/5", "4/5"]]),

    // d norm³ = 3 norm · x, norm = √5.
    GradCase("norm", """
    func f(x: Tensor) -> Real {
        return norm(x) ^ 3
    }
    """, [.tensor("x", "[1, 2]")], expected: ["x": [3 * sqrt(5.0), 6 * sqrt(5.0)]]),

    // Column sums c = [5, 7, 9]; ∂ Σc² = 2c in every row.
    GradCase("sum(axis: 0)", """
    func f(x: Tensor) -> Real {
        return sum(sum(x, axis: 0) ^ 2)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]")], exact: ["x": ["10", "14", "18", "10", "14", "18"]]),

    // Row sums r = [6, 15]; ∂ Σr² = 2r along each row.
    GradCase("sum(axis: 1)", """
    func f(x: Tensor) -> Real {
        return sum(sum(x, axis: 1) ^ 2)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]")], exact: ["x": ["12", "12", "12", "30", "30", "30"]]),

    // Column means m = [5/2, 7/2, 9/2]; ∂ Σm² = 2m/2 = m.
    GradCase("mean(axis: 0)", """
    func f(x: Tensor) -> Real {
        return sum(mean(x, axis: 0) ^ 2)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]")],
         exact: ["x": ["5/2", "7/2", "9/2", "5/2", "7/2", "9/2"]]),

    // Row means m = [2, 5]; ∂ Σm² = 2m/3.
    GradCase("mean(axis: 1)", """
    func f(x: Tensor) -> Real {
        return sum(mean(x, axis: 1) ^ 2)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]")],
         exact: ["x": ["4/3", "4/3", "4/3", "10/3", "10/3", "10/3"]]),

    GradCase("sum(axis: 0) of a vector is a Real", """
    func f(x: Tensor) -> Real {
        return sum(x, axis: 0) * 3
    }
    """, [.tensor("x", "[1, -2, 5]")], exact: ["x": ["3", "3", "3"]]),

    // Removing axis 1 of a 2×2×2 tensor: ∂x[i, j, k] = head[i, k].
    GradCase("sum(axis: 1) of a rank-3 tensor with a head", """
    func f(x: Tensor) -> Tensor {
        return sum(x, axis: 1)
    }
    """, [.tensor("x", "[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]")], head: "[[1, 2], [3, 4]]",
         exact: ["x": ["1", "2", "1", "2", "3", "4", "3", "4"]]),

    GradCase("dot of two vectors", """
    func f(x: Tensor, y: Tensor) -> Real {
        return dot(x, y)
    }
    """, [.tensor("x", "[1, 2, 3]"), .tensor("y", "[4, 5, 6]")],
         exact: ["x": ["4", "5", "6"], "y": ["1", "2", "3"]]),

    // ∂a = h bᵀ, ∂b = aᵀ h.
    GradCase("dot of two matrices with a head", """
    func f(a: Tensor, b: Tensor) -> Tensor {
        return dot(a, b)
    }
    """, [.tensor("a", "[[1, 2, 3], [4, 5, 6]]"), .tensor("b", "[[1, 0], [2, 1], [-1, 3]]")],
         head: "[[1, 2], [3, 4]]",
         exact: ["a": ["1", "4", "5", "3", "10", "9"], "b": ["13", "18", "17", "24", "21", "30"]]),

    // y = a v with the default head: ∂a[i, j] = v[j], ∂v[j] = Σᵢ a[i, j].
    GradCase("dot of a matrix and a vector", """
    func f(a: Tensor, v: Tensor) -> Tensor {
        return dot(a, v)
    }
    """, [.tensor("a", "[[1, 2], [3, 4], [5, 6]]"), .tensor("v", "[0.5, -1]")],
         exact: ["a": ["1/2", "-1", "1/2", "-1", "1/2", "-1"], "v": ["9", "12"]]),

    // y = v a with head h: ∂v[i] = Σⱼ a[i, j] h[j], ∂a[i, j] = v[i] h[j].
    GradCase("dot of a vector and a matrix with a head", """
    func f(v: Tensor, a: Tensor) -> Tensor {
        return dot(v, a)
    }
    """, [.tensor("v", "[1, -2, 0.5]"), .tensor("a", "[[1, 2], [3, 4], [5, 6]]")], head: "[1, 10]",
         exact: ["v": ["21", "43", "65"], "a": ["1", "10", "-2", "-20", "1/2", "5"]]),

    GradCase("transpose", """
    func f(x: Tensor, w: Tensor) -> Real {
        return sum(transpose(x) * w)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]"), .tensor("w", "[[1, 2], [3, 4], [5, 6]]")],
         exact: ["x": ["1", "3", "5", "2", "4", "6"], "w": ["1", "4", "2", "5", "3", "6"]]),

    GradCase(".T with a head", """
    func f(x: Tensor) -> Tensor {
        return x.T * 2
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]")], head: "[[1, 2], [3, 4], [5, 6]]",
         exact: ["x": ["2", "6", "10", "4", "8", "12"]]),

    GradCase(".T of a vector is the vector", """
    func f(x: Tensor) -> Real {
        return sum(x.T * x)
    }
    """, [.tensor("x", "[1, 2]")], exact: ["x": ["2", "4"]]),

    GradCase("reshape", """
    func f(x: Tensor, w: Tensor) -> Real {
        return sum(reshape(x, 3, 2) * w)
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]"), .tensor("w", "[[1, -1], [2, -2], [3, -3]]")],
         exact: ["x": ["1", "-1", "2", "-2", "3", "-3"], "w": ["1", "2", "3", "4", "5", "6"]]),

    GradCase("method reshape with a head", """
    func f(x: Tensor) -> Tensor {
        return x.reshape(2, 2) ^ 2
    }
    """, [.tensor("x", "[1, 2, 3, 4]")], head: "[[1, 0], [0, 1]]", exact: ["x": ["2", "0", "0", "8"]]),

    // A one-element Tensor where a Real is expected: 2 x·x, gradient 4x.
    GradCase("rank-0 dot converts to Real", """
    func f(x: Tensor) -> Real {
        return 2 * dot(x, x)
    }
    """, [.tensor("x", "[1, 2, 3]")], exact: ["x": ["4", "8", "12"]]),

    // The same with a 1×1 matrix: dot is 1×1, not rank 0, so the generated Real-head adjoint
    // (`dotAdjointOfSquare(h, like: y, x)`) takes its general path.
    GradCase("1×1 matrix dot converts to Real", """
    func f(x: Tensor) -> Real {
        return 2 * dot(x, x)
    }
    """, [.tensor("x", "[[3]]")], exact: ["x": ["12"]]),

    // The gradient of log Σ exp is softmax.
    GradCase("log-sum-exp", """
    func f(x: Tensor) -> Real {
        return log(sum(exp(x)))
    }
    """, [.tensor("x", "[1, 2, -0.5]")], expected: ["x": softmax([1, 2, -0.5])]),

    GradCase("log and exp of a Tensor with a head", """
    func f(x: Tensor) -> Tensor {
        return log(x) * exp(x)
    }
    """, [.tensor("x", "[0.5, 2]")], head: "[1, -1]",
         expected: ["x": [exp(0.5) * (1 / 0.5 + log(0.5)), -exp(2.0) * (1 / 2.0 + log(2.0))]]),

    GradCase("a sigmoid layer", """
    func f(w: Tensor, x: Tensor, b: Tensor) -> Real {
        return sum(sigmoid(dot(w, x) + b))
    }
    """, [.tensor("w", "[[0.1, -0.2, 0.3], [0.5, 0.4, -0.6]]"), .tensor("x", "[1, 2, -1]"),
          .tensor("b", "[0.25, -0.5]")]),

    // Mean squared error of a linear model, differentiated in w only: ∂w = 2/3 aᵀ(a w - y).
    GradCase("mean squared error, wrt the weights", """
    func f(a: Tensor, w: Tensor, y: Tensor) -> Real {
        return mean((dot(a, w) - y) ^ 2)
    }
    """, [.tensor("a", "[[1, 2], [3, 4], [5, 6]]"), .tensor("w", "[0.5, -1]"), .tensor("y", "[1, 0, 2]")],
         wrt: ["w"], exact: ["w": ["-25", "-32"]]),

    // Random draws are constants: the gradient is the drawn vector (FD and exact agree on it).
    GradCase("random_normal is a constant", """
    func f(x: Tensor) -> Real {
        return sum(x * random_normal(3))
    }
    """, [.tensor("x", "[1, 2, 3]")], rational: true),

    GradCase("arange, ones_like and zeros_like are constants", """
    func f(x: Tensor) -> Real {
        return sum(x * arange(3) + ones_like(x) * x + zeros_like(x))
    }
    """, [.tensor("x", "[5, -1, 2]")], exact: ["x": ["1", "2", "3"]]),

    GradCase("int and real conversions", """
    func f(x: Real) -> Real {
        return x * real(int(x))
    }
    """, [.real("x", 2.75)], exact: ["x": ["2"]]),

    // Σx/4 + 2·x[0, 0].
    GradCase("size and dim", """
    func f(x: Tensor) -> Real {
        return sum(x) / size(x) + dim(x, 1) * x[0, 0]
    }
    """, [.tensor("x", "[[1, 2], [3, 4]]")], exact: ["x": ["9/4", "1/4", "1/4", "1/4"]]),
]

// MARK: Indexing, updates, literals, full

private let indexingCases: [GradCase] = [
    GradCase("x[i]", """
    func f(x: Tensor) -> Real {
        return x[0] * x[2] + x[1]
    }
    """, [.tensor("x", "[2, 3, 5]")], exact: ["x": ["5", "1", "2"]]),

    GradCase("x[i] with an Int parameter", """
    func f(x: Tensor, i: Int) -> Real {
        return x[i] * x[i] + x[i + 1]
    }
    """, [.tensor("x", "[1, 2, 3]"), .int("i", 1)], exact: ["x": ["0", "4", "1"]]),

    GradCase("x[i, j]", """
    func f(x: Tensor) -> Real {
        return x[0, 1] * x[1, 0] - x[1, 1]
    }
    """, [.tensor("x", "[[1, 2], [3, 4]]")], exact: ["x": ["0", "3", "2", "-1"]]),

    // x1·x0 + x2·x1.
    GradCase("slices of a vector", """
    func f(x: Tensor) -> Real {
        return sum(x[1..<3] * x[0..<2])
    }
    """, [.tensor("x", "[1, 2, 3, 4]")], exact: ["x": ["2", "4", "2", "0"]]),

    GradCase("slices of a matrix", """
    func f(x: Tensor) -> Real {
        return sum(x[0..<1] * x[1..<2])
    }
    """, [.tensor("x", "[[1, 2], [3, 4]]")], exact: ["x": ["3", "4", "1", "2"]]),

    // y[i] = (i + 1) x[i]²: ∂x[i] = 2 (i + 1) x[i].
    GradCase("y[i] = ... in a loop", """
    func f(x: Tensor) -> Tensor {
        var y = zeros(3)
        for i in 0..<3 {
            y[i] = x[i] * x[i] * real(i + 1)
        }
        return y
    }
    """, [.tensor("x", "[1, 2, 3]")], exact: ["x": ["2", "8", "18"]]),

    // Σy = x0 + x1(1 + x0) + x2(1 + x1(1 + x0)).
    GradCase("y[i] += ... in a loop", """
    func f(x: Tensor) -> Real {
        var y = x
        for i in 1..<size(x) {
            y[i] += y[i - 1] * x[i]
        }
        return sum(y)
    }
    """, [.tensor("x", "[1, 2, 3]")], exact: ["x": ["9", "8", "5"]]),

    // y[1] = s² written across the row: ∂x is 1 on row 0 only, ∂s = 2 · 2s.
    GradCase("a row update broadcasts a Real", """
    func f(x: Tensor, s: Real) -> Tensor {
        var y = x
        y[1] = s * s
        return y
    }
    """, [.tensor("x", "[[1, 2], [3, 4]]"), .real("s", 1.5)], exact: ["x": ["1", "1", "0", "0"], "s": ["6"]]),

    // y = a v by loops, head h: ∂a[i, j] = h[i] v[j], ∂v[j] = Σᵢ h[i] a[i, j].
    GradCase("y[i] += a[i, j] * v[j] in nested loops", """
    func f(a: Tensor, v: Tensor) -> Tensor {
        var y = zeros(dim(a, 0))
        for i in 0..<dim(a, 0) {
            for j in 0..<dim(a, 1) {
                y[i] += a[i, j] * v[j]
            }
        }
        return y
    }
    """, [.tensor("a", "[[1, 2, 3], [4, 5, 6]]"), .tensor("v", "[1, 0, -1]")], head: "[1, 2]",
         exact: ["a": ["1", "0", "-1", "2", "0", "-2"], "v": ["9", "12", "15"]]),

    // y = [5, 3·x1, x2]: the overwritten x0 gets nothing.
    GradCase("an overwritten element has no gradient", """
    func f(x: Tensor) -> Real {
        var y = x
        y[0] = 5
        y[1] = y[1] * 3
        return sum(y * y)
    }
    """, [.tensor("x", "[1, 2, 3]")], exact: ["x": ["0", "36", "6"]]),

    // x + 2xy: ∂x = 1 + 2y, ∂y = 2x.
    GradCase("tensor literal with differentiable elements", """
    func f(x: Real, y: Real) -> Real {
        return sum([x, x * y, 0] * [1, 2, 3])
    }
    """, [.real("x", 1.5), .real("y", -2)], exact: ["x": ["-3"], "y": ["3"]]),

    // [x + 2, y + 2xy] with the default head.
    GradCase("nested tensor literal through dot", """
    func f(x: Real, y: Real) -> Tensor {
        return dot([[x, 1], [y, x * y]], [1, 2])
    }
    """, [.real("x", 0.5), .real("y", 3)], exact: ["x": ["7"], "y": ["2"]]),

    // Head [1, 2, 3]: 1 + 2 · 2x.
    GradCase("Real to Tensor literal with a head", """
    func f(x: Real) -> Tensor {
        return [x, x ^ 2, 3]
    }
    """, [.real("x", 0.25)], head: "[1, 2, 3]", exact: ["x": ["2"]]),

    // Σ x²·w: ∂x = 2x Σw, ∂w = x².
    GradCase("full(v, n)", """
    func f(x: Real, w: Tensor) -> Real {
        return sum(full(x * x, 3) * w)
    }
    """, [.real("x", 1.5), .tensor("w", "[1, 2, 3]")], exact: ["x": ["18"], "w": ["9/4", "9/4", "9/4"]]),

    GradCase("full(v, d0, d1)", """
    func f(x: Real) -> Real {
        return sum(full(x, 2, 3) * x)
    }
    """, [.real("x", 0.5)], exact: ["x": ["6"]]),
]

// MARK: Broadcasting

private let broadcastingCases: [GradCase] = [
    // m + r = [[2, 2, 2], [5, 5, 5]]; ∂r sums 2(m + r) over rows.
    GradCase("matrix + row vector", """
    func f(m: Tensor, r: Tensor) -> Real {
        return sum((m + r) ^ 2)
    }
    """, [.tensor("m", "[[1, 2, 3], [4, 5, 6]]"), .tensor("r", "[1, 0, -1]")],
         exact: ["m": ["4", "4", "4", "10", "10", "10"], "r": ["14", "14", "14"]]),

    GradCase("Real + Tensor", """
    func f(s: Real, x: Tensor) -> Real {
        return sum((s + x) * x)
    }
    """, [.real("s", 0.5), .tensor("x", "[1, 2, 3]")], exact: ["s": ["6"], "x": ["5/2", "9/2", "13/2"]]),

    GradCase("matrix * column vector", """
    func f(m: Tensor, c: Tensor) -> Real {
        return sum(m * c)
    }
    """, [.tensor("m", "[[1, 2, 3], [4, 5, 6]]"), .tensor("c", "[[2], [-1]]")],
         exact: ["m": ["2", "2", "2", "-1", "-1", "-1"], "c": ["6", "15"]]),

    // An outer product by broadcasting [2, 1] against [3].
    GradCase("column * row broadcast to a matrix", """
    func f(c: Tensor, r: Tensor) -> Tensor {
        return c * r
    }
    """, [.tensor("c", "[[1], [2]]"), .tensor("r", "[1, 2, 3]")],
         exact: ["c": ["6", "6"], "r": ["3", "3", "3"]]),

    // ∂r[j] = -Σᵢ m[i, j] / r[j]².
    GradCase("matrix / row vector", """
    func f(m: Tensor, r: Tensor) -> Real {
        return sum(m / r)
    }
    """, [.tensor("m", "[[1, 2], [3, 4]]"), .tensor("r", "[2, 4]")],
         exact: ["m": ["1/2", "1/4", "1/2", "1/4"], "r": ["-1", "-3/8"]]),

    GradCase("Real - Tensor", """
    func f(s: Real, x: Tensor) -> Real {
        return sum(s - x * s)
    }
    """, [.real("s", 0.5), .tensor("x", "[1, 2, 3]")], exact: ["s": ["-3"], "x": ["-1/2", "-1/2", "-1/2"]]),
]

// MARK: Control flow and calls

private let piecewise = """
func f(x: Real) -> Real {
    if x < 0 {
        return -x * x
    } else if x < 1 {
        return x ^ 3
    } else {
        return 2 * x
    }
}
"""

private let squareUntil100 = """
func f(x: Real) -> Real {
    var y = x
    while y < 100 {
        y = y * y + 1
    }
    return y
}
"""

private let chapterG = chapterControlFlowSource

private let controlFlowCases: [GradCase] = [
    GradCase("if/else chain, first branch", piecewise, [.real("x", -2)], exact: ["x": ["4"]]),
    GradCase("if/else chain, middle branch", piecewise, [.real("x", 0.5)], exact: ["x": ["3/4"]]),
    GradCase("if/else chain, last branch", piecewise, [.real("x", 3)], exact: ["x": ["2"]]),

    // 2 → 5 → 26 → 677: (2·26)(2·5)(2·2).
    GradCase("while with a data-dependent trip count (3 trips)", squareUntil100, [.real("x", 2)],
             exact: ["x": ["2080"]]),
    // -3 → 10 → 101: (2·10)(2·(-3)).
    GradCase("while with a data-dependent trip count (2 trips)", squareUntil100, [.real("x", -3)],
             exact: ["x": ["-120"]]),

    // 0.74 doubles 11 times (2^12 in all); a negative input also takes the if (×100).
    GradCase("chapter g, positive", chapterG, function: "g", [.tensor("a", "[0.37]")], exact: ["a": ["4096"]]),
    GradCase("chapter g, negative", chapterG, function: "g", [.tensor("a", "[-0.37]")], exact: ["a": ["409600"]]),
    // b = 2a·2^k = [3, 1]·2^k stops at k = 9 (2^9·√10 ≈ 1619; the norm is irrational, compared exactly):
    // g = 2^10 a.
    GradCase("chapter g, irrational norm", chapterG, function: "g", [.tensor("a", "[1.5, 0.5]")],
             exact: ["a": ["1024", "1024"]]),

    // t = aₙ x with a = 1, 2.5, 4.75: |x|² = 5, so the loop stops when 5a² ≥ 50.
    GradCase("while on a Tensor reduction with && and a counter", """
    func f(x: Tensor) -> Real {
        var t = x
        var n = 0
        while sum(t * t) < 50 && n < 10 {
            t = t * 1.5 + x
            n += 1
        }
        return sum(t)
    }
    """, [.tensor("x", "[1, 2]")], exact: ["x": ["19/4", "19/4"]]),

    // s = 1 (i0), skip (i1), s = 29/4 (i2), s = 93/4 (i3), break (i4).
    GradCase("for with break and continue", """
    func f(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<size(x) {
            if x[i] < 0 {
                continue
            }
            if s > 10 {
                break
            }
            s += x[i] * x[i]
        }
        return s
    }
    """, [.tensor("x", "[1, -2, 2.5, 4, 5]")], exact: ["x": ["2", "0", "5", "8", "0"]]),

    // Σ_{k=1..4} x^k / k: derivative 1 + x + x² + x³.
    GradCase("for over a closed range", """
    func f(x: Real) -> Real {
        var s = 0.0
        for k in 1...4 {
            s += x ^ k / k
        }
        return s
    }
    """, [.real("x", 0.5)], exact: ["x": ["15/8"]]),

    // At x = 2 the loop returns x⁶ + 4 from i = 4: derivative 6x⁵.
    GradCase("early return inside a loop", """
    func f(x: Real) -> Real {
        var y = x
        for i in 0..<10 {
            y = y * x
            if y > 50 {
                return y + real(i)
            }
        }
        return 0.0
    }
    """, [.real("x", 2)], exact: ["x": ["192"]]),

    // 0 + 1 + 2 inner trips: s = x⁴.
    GradCase("nested loops with data-dependent inner trips", """
    func f(x: Real) -> Real {
        var s = x
        for i in 0..<3 {
            var j = 0
            while j < i {
                s = s * x
                j += 1
            }
        }
        return s
    }
    """, [.real("x", 1.5)], exact: ["x": ["27/2"]]),

    // square, square, halve, square: t = x⁸/4, derivative 2x⁷.
    GradCase("if on a reduction inside a loop", """
    func f(x: Tensor) -> Real {
        var t = x
        for i in 0..<4 {
            if max(t) > 3 {
                t = t / 2
            } else {
                t = t * t
            }
        }
        return sum(t)
    }
    """, [.tensor("x", "[1, 1.5]")], exact: ["x": ["2", "2187/64"]]),

    // 3x² + (xy)²: ∂x = 6x + 2xy², ∂y = 2x²y.
    GradCase("a helper called twice", """
    func sq(t: Real) -> Real {
        return t * t
    }

    func f(x: Real, y: Real) -> Real {
        return sq(x) * 3 + sq(x * y)
    }
    """, [.real("x", 1.5), .real("y", 2)], exact: ["x": ["21"], "y": ["9"]]),

    // t1 = xw + x², t2 = t1 w + t1²: ∂x = (w + 2t1)(w + 2x), ∂w = Σ t1 + (w + 2t1) x.
    GradCase("a helper called from inside a loop", """
    func step(t: Tensor, w: Real) -> Tensor {
        return t * w + t * t
    }

    func f(x: Tensor, w: Real) -> Real {
        var t = x
        for i in 0..<2 {
            t = step(t, w)
        }
        return sum(t)
    }
    """, [.tensor("x", "[1, -0.5]"), .real("w", 0.5)], exact: ["x": ["35/4", "-1/4"], "w": ["19/4"]]),

    GradCase("a transcendental helper in a loop", """
    func step(t: Tensor, w: Real) -> Tensor {
        return sin(t) * w + cos(t * w)
    }

    func f(x: Tensor, w: Real) -> Real {
        var t = x
        for i in 0..<3 {
            t = step(t, w)
        }
        return sum(t * t)
    }
    """, [.tensor("x", "[0.3, -1.2, 2]"), .real("w", 0.8)]),

    // x³y + y³ + y³x + x³.
    GradCase("helpers calling helpers", """
    func inner(t: Real) -> Real {
        return t * t * t
    }

    func outer(t: Real, c: Real) -> Real {
        return inner(t) * c + inner(c)
    }

    func f(x: Real, y: Real) -> Real {
        return outer(x, y) + outer(y, x)
    }
    """, [.real("x", 1), .real("y", 2)], exact: ["x": ["17"], "y": ["25"]]),

    // Sum 3 → 6 → 12 → 24: three doublings.
    GradCase("a Tensor helper inside a while loop", """
    func twice(t: Tensor) -> Tensor {
        return t + t
    }

    func f(x: Tensor) -> Tensor {
        var t = x
        while sum(t) < 20 {
            t = twice(t)
        }
        return t
    }
    """, [.tensor("x", "[1, 2]")], exact: ["x": ["8", "8"]]),

    GradCase("a Bool parameter", """
    func f(x: Real, flag: Bool) -> Real {
        if flag {
            return x * x
        }
        return x
    }
    """, [.real("x", 1.25), .bool("flag", true)], exact: ["x": ["5/2"]]),
]

// MARK: Heads and wrt

private let powerTimesSum = """
func f(x: Real, n: Int, y: Tensor) -> Real {
    return x ^ n * sum(y * y)
}
"""

private let headAndWrtCases: [GradCase] = [
    GradCase("Real head on a Real result", """
    func f(x: Real) -> Real {
        return x * x
    }
    """, [.real("x", 1.5)], head: "3", exact: ["x": ["9"]]),

    GradCase("Real head broadcast over a Tensor result", """
    func f(x: Tensor) -> Tensor {
        return x * x
    }
    """, [.tensor("x", "[1, 2]")], head: "0.5", exact: ["x": ["1", "2"]]),

    // x³ Σy² at x = 1/2, y = [1, 2]: ∂x = 3x² · 5, ∂y = 2x³ y.
    GradCase("wrt two parameters around an Int one", powerTimesSum,
             [.real("x", 0.5), .int("n", 3), .tensor("y", "[1, 2]")], wrt: ["x", "y"],
             exact: ["x": ["15/4"], "y": ["1/4", "1/2"]]),
    GradCase("wrt in reverse order", powerTimesSum,
             [.real("x", 0.5), .int("n", 3), .tensor("y", "[1, 2]")], wrt: ["y", "x"],
             exact: ["x": ["15/4"], "y": ["1/4", "1/2"]]),
    GradCase("wrt one Tensor parameter", powerTimesSum,
             [.real("x", 0.5), .int("n", 3), .tensor("y", "[1, 2]")], wrt: ["y"],
             exact: ["y": ["1/4", "1/2"]]),
    GradCase("no wrt: every Real and Tensor parameter", powerTimesSum,
             [.real("x", 0.5), .int("n", 3), .tensor("y", "[1, 2]")],
             exact: ["x": ["15/4"], "y": ["1/4", "1/2"]]),
]

// MARK: Kinks and ties (spec §6): the whole adjoint goes to the first extreme; abs'(0) = relu'(0) = 0

private let kinkCases: [GradCase] = [
    GradCase("abs'(0) = 0", """
    func f(x: Real) -> Real {
        return abs(x) + x
    }
    """, [.real("x", 0)], exact: ["x": ["1"]], finiteDifferences: false),

    GradCase("abs of a Tensor at 0", """
    func f(x: Tensor) -> Real {
        return sum(abs(x))
    }
    """, [.tensor("x", "[-1, 0, 2]")], exact: ["x": ["-1", "0", "1"]], finiteDifferences: false),

    GradCase("relu'(0) = 0", """
    func f(x: Tensor) -> Real {
        return sum(relu(x) * 3 + x)
    }
    """, [.tensor("x", "[0, -1, 1]")], exact: ["x": ["1", "1", "4"]], finiteDifferences: false),

    GradCase("max tie goes to the first element", """
    func f(x: Tensor) -> Real {
        return max(x)
    }
    """, [.tensor("x", "[2, 5, 5, 1]")], exact: ["x": ["0", "1", "0", "0"]], finiteDifferences: false),

    GradCase("min tie goes to the first element", """
    func f(x: Tensor) -> Real {
        return min(x)
    }
    """, [.tensor("x", "[[3, 1], [4, 1]]")], exact: ["x": ["0", "1", "0", "0"]], finiteDifferences: false),

    GradCase("maximum tie goes to the first operand", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(maximum(x, y))
    }
    """, [.tensor("x", "[1, 2]"), .tensor("y", "[1, 3]")],
         exact: ["x": ["1", "0"], "y": ["0", "1"]], finiteDifferences: false),

    GradCase("minimum tie goes to the first operand", """
    func f(x: Tensor, y: Tensor) -> Real {
        return sum(minimum(x, y))
    }
    """, [.tensor("x", "[2, 2]"), .tensor("y", "[2, 1]")],
         exact: ["x": ["1", "0"], "y": ["0", "1"]], finiteDifferences: false),

    // max(x, y) gives x its 2; min(y, x) gives y its 1.
    GradCase("two-argument max and min at a tie", """
    func f(x: Real, y: Real) -> Real {
        return max(x, y) * 2 + min(y, x)
    }
    """, [.real("x", 1.5), .real("y", 1.5)], exact: ["x": ["2"], "y": ["1"]], finiteDifferences: false),

    // sign' = floor' = 0 even at their jumps: the derivative is floor(x) = 2.
    GradCase("sign and floor at their jumps", """
    func f(x: Real) -> Real {
        return sign(x - 2) * 3 + floor(x) * x
    }
    """, [.real("x", 2)], exact: ["x": ["2"]], finiteDifferences: false),
]

// MARK: Nested grad and is_training

private let cube = """
func cube(x: Real) -> Real {
    return x ^ 3
}

"""

private let rosenbrock = """
func rosen(x: Tensor) -> Real {
    var s = 0.0
    for i in 0..<size(x) - 1 {
        s += 100 * (x[i + 1] - x[i] ^ 2) ^ 2 + (1 - x[i]) ^ 2
    }
    return s
}

func hv(x: Tensor, v: Tensor) -> Real {
    return sum(grad(rosen)(x) * v)
}
"""

private let nestedCases: [GradCase] = [
    // d1 = 3x²: its gradient is the second derivative of x³, 6x.
    GradCase("second derivative of x³ through a function that calls grad", cube + """
    func f(x: Real) -> Real {
        return grad(cube)(x)
    }
    """, [.real("x", 1.5)], exact: ["x": ["9"]]),

    // grad(grad(cube)) = 6x: its gradient is 6.
    GradCase("gradient of grad(grad(f))", cube + """
    func f(x: Real) -> Real {
        return grad(grad(cube))(x)
    }
    """, [.real("x", 1.5)], exact: ["x": ["6"]]),

    GradCase("gradient of grad(grad(sin)) is -cos", """
    func f(x: Real) -> Real {
        return grad(grad(sin))(x)
    }
    """, [.real("x", 0.3)], expected: ["x": [-cos(0.3)]]),

    // (a, b) = ∇(x²y) = (2xy, x²): f = 2x³y.
    GradCase("grad with wrt: inside a differentiated function", """
    func h(x: Real, y: Real) -> Real {
        return x * x * y
    }

    func f(x: Real, y: Real) -> Real {
        let (a, b) = grad(h, wrt: x, y)(x, y)
        return a * b
    }
    """, [.real("x", 0.5), .real("y", 3)], exact: ["x": ["9/2"], "y": ["1/4"]]),

    // grad(z, head: x)(x) = 4x · x: its gradient is 8x (the head depends on x too).
    GradCase("grad with a head that depends on the argument", """
    func z(x: Tensor) -> Tensor {
        return 2 * x * x
    }

    func f(x: Tensor) -> Tensor {
        return grad(z, head: x)(x)
    }
    """, [.tensor("x", "[1, -0.5]")], exact: ["x": ["8", "-4"]]),

    // Σ x eˣ: (1 + x) eˣ.
    GradCase("grad of an elementwise built-in inside a function", """
    func f(x: Tensor) -> Real {
        return sum(grad(exp)(x) * x)
    }
    """, [.tensor("x", "[0.5, -1]")], expected: ["x": [1.5 * exp(0.5), 0]]),

    // H = [[1200x0² - 400x1 + 2, -400x0], [-400x0, 200]] = [[402, -200], [-200, 200]] at (1/2, -1/4);
    // Hv = [502, -300] for v = [1, -1/2]; ∂v = ∇rosen = [99, -100].
    GradCase("Hessian-vector product of Rosenbrock", rosenbrock, function: "hv",
             [.tensor("x", "[0.5, -0.25]"), .tensor("v", "[1, -0.5]")],
             exact: ["x": ["502", "-300"], "v": ["99", "-100"]]),

    // Under grad is_training() is true: the gradient is 2, not 3.
    GradCase("is_training() in the forward sweep", """
    func f(x: Real) -> Real {
        if is_training() {
            return x * 2
        } else {
            return x * 3
        }
    }
    """, [.real("x", 1.25)], exact: ["x": ["2"]], finiteDifferences: false, plainCallDiffers: true),
]

// MARK: More probes: shadowing, data-dependent bounds, loops over updates and slices

private let probeCases: [GradCase] = [
    // The user's relu is x²: f = 1.5x².
    GradCase("a user function shadowing a built-in", """
    func relu(x: Real) -> Real {
        return x * x
    }

    func f(x: Real) -> Real {
        return relu(x) + relu(-x) * 0.5
    }
    """, [.real("x", 1.5)], exact: ["x": ["9/2"]]),

    // f = 2x² + 2x.
    GradCase("local names shadowing built-ins", """
    func f(x: Real) -> Real {
        let exp = x * 2
        var sum = exp * x
        sum += exp
        return sum
    }
    """, [.real("x", 0.75)], exact: ["x": ["5"]]),

    // (x·x) Σx: ∂ = 2x Σx + x·x; the rank-0 dot broadcasts against the vector.
    GradCase("a rank-0 dot broadcast against a vector", """
    func f(x: Tensor) -> Real {
        return sum(dot(x, x) * x)
    }
    """, [.tensor("x", "[1, 2]")], exact: ["x": ["11", "17"]]),

    // int(3.5) = 3 trips: x³.
    GradCase("a loop bound computed from a differentiated Real", """
    func f(x: Real) -> Real {
        var y = 1.0
        for i in 0..<int(x) {
            y = y * x
        }
        return y
    }
    """, [.real("x", 3.5)], exact: ["x": ["147/4"]]),

    // y = s xᵀ by loops, head h: ∂x = s hᵀ, ∂s = Σ xᵀ ∘ h.
    GradCase("y[j, i] = ... in nested loops", """
    func f(x: Tensor, s: Real) -> Tensor {
        var y = zeros(dim(x, 1), dim(x, 0))
        for i in 0..<dim(x, 0) {
            for j in 0..<dim(x, 1) {
                y[j, i] = x[i, j] * s
            }
        }
        return y
    }
    """, [.tensor("x", "[[1, 2, 3], [4, 5, 6]]"), .real("s", 2)], head: "[[1, 2], [3, 4], [5, 6]]",
         exact: ["x": ["2", "6", "10", "4", "8", "12"], "s": ["86"]]),

    // x0x1 + x1x2 + x2x3.
    GradCase("sliding slices in a loop", """
    func f(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<size(x) - 1 {
            s += prod(x[i..<i + 2])
        }
        return s
    }
    """, [.tensor("x", "[1, 2, 3, 4]")], exact: ["x": ["2", "4", "6", "3"]]),

    GradCase("a var declared without a value, assigned on both branches", """
    func f(x: Tensor) -> Tensor {
        var y: Tensor
        if sum(x) > 0 {
            y = x * x
        } else {
            y = -x
        }
        return y * 3
    }
    """, [.tensor("x", "[1, 2]")], exact: ["x": ["6", "12"]]),

    // y = x, 2.5x, 4.75x, 8.125x, 13.1875x: at x = 1 the fourth trip passes 10.
    GradCase("while true with a break", """
    func f(x: Real) -> Real {
        var y = x
        var n = 0
        while true {
            y = y * 1.5 + x
            n += 1
            if y > 10 || n >= 20 {
                break
            }
        }
        return y
    }
    """, [.real("x", 1)], exact: ["x": ["211/16"]]),

    GradCase("print inside a differentiated function", """
    func f(x: Real) -> Real {
        print("x is", x)
        return x * x
    }
    """, [.real("x", 3)], exact: ["x": ["6"]]),

    // grad(z, head: 2)(x) = 6x²: f = Σ 6x², gradient 12x.
    GradCase("grad with a Real head inside a function", """
    func z(x: Tensor) -> Tensor {
        return x * x * x
    }

    func f(x: Tensor) -> Real {
        return sum(grad(z, head: 2.0)(x))
    }
    """, [.tensor("x", "[1, -0.5]")], exact: ["x": ["12", "-6"]]),

    // Σ 4x³ differentiated again: 12x².
    GradCase("second derivative of a Tensor function", """
    func g(x: Tensor) -> Real {
        return sum(x ^ 4)
    }

    func f(x: Tensor) -> Real {
        return sum(grad(g)(x))
    }
    """, [.tensor("x", "[1, 0.5]")], exact: ["x": ["12", "3"]]),

    GradCase("max and mean of powers in a loop", """
    func f(x: Tensor) -> Real {
        var t = x
        var s = 0.0
        for k in 0..<3 {
            s += max(t) * mean(t)
            t = t * x
        }
        return s
    }
    """, [.tensor("x", "[[0.5, 2], [1.5, -1]]")], rational: true),

    // n = 3 more factors of x: Σx⁴.
    GradCase("an Int parameter as a loop bound", """
    func f(x: Tensor, n: Int) -> Real {
        var t = x
        for i in 0..<n {
            t = t * x
        }
        return sum(t)
    }
    """, [.tensor("x", "[1, 2, -1]"), .int("n", 3)], exact: ["x": ["4", "32", "-4"]]),

    GradCase("random_uniform draws in a loop are constants", """
    func f(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<3 {
            s += dot(x, random_uniform(2)) * real(i)
        }
        return s
    }
    """, [.tensor("x", "[1, 2]")], rational: true),

    GradCase("exp and log in a data-dependent while", """
    func f(x: Real) -> Real {
        var y = x
        while y < 5 {
            y = exp(y) - log(y + 1)
        }
        return y
    }
    """, [.real("x", 0.5)]),
]

let reverseModeCorpus: [GradCase] = arithmeticCases + builtinCases + indexingCases + broadcastingCases
    + controlFlowCases + headAndWrtCases + kinkCases + nestedCases + probeCases + colonIndexingCases

// MARK: - Harness

/// The scalar the gradient differentiates: f itself, or ⟨head, f⟩ for a Tensor result.
private func objective(_ compilation: Compilation, _ c: GradCase, _ arguments: [CorpusArgument],
                       head: [Double]?) throws -> Double {
    let request = EvalRequest(function: c.function, arguments: arguments.map { (name: $0.name, expression: $0.text) })
    let values = jsonNumbers(try compilation.evaluate(request) { _ in }.json)
    guard let head else { return values.reduce(0, +) }
    if head.count == 1 { return head[0] * values.reduce(0, +) }
    precondition(head.count == values.count, "head of \(head.count) elements for a result of \(values.count)")
    return zip(head, values).map(*).reduce(0, +)
}

/// The head's elements, by evaluating its expression as a Tensor (or, failing that, a Real).
private func headValues(_ head: String?) throws -> [Double]? {
    guard let head else { return nil }
    if let tensor = try? evaluate("func h() -> Tensor {\n    return \(head)\n}\n", "h") {
        return jsonNumbers(tensor.json)
    }
    return jsonNumbers(try evaluate("func h() -> Real {\n    return \(head)\n}\n", "h").json)
}

/// The gradient of each differentiated parameter, flattened, by name.
private func gradientLeaves(_ result: GradResult) -> [String: [String]] {
    Dictionary(uniqueKeysWithValues: result.gradients.map { ($0.name, jsonLeaves($0.json)) })
}

// The chapter's sources (examples/chapter_*.adj), with g(a)/a as a function.
private let chapterSource = """
func f(x: Tensor) -> Tensor {
    return 2 * dot(x.T, x)
}

""" + chapterG + """

func ratio(a: Tensor) -> Tensor {
    return g(a) / a
}

func z(x: Tensor) -> Tensor {
    let y = 2 * x
    return y * x
}
"""

@Suite struct ReverseModeCorpusTests {

    @Test("gradient matches central finite differences", arguments: reverseModeCorpus)
    func corpusFiniteDifferences(_ c: GradCase) throws {
        let compilation = try compile(c.source)
        let result = try compilation.gradient(c.request(.double)) { _ in }
        #expect(result.gradients.map(\.name) == c.differentiated, "\(c.name): gradients named \(result.gradients.map(\.name))")

        // The value of the forward sweep is the function's value (a plain call, unless it reads is_training()).
        let plain = try compilation.evaluate(EvalRequest(function: c.function,
                                                         arguments: c.arguments.map { (name: $0.name, expression: $0.text) })) { _ in }
        let value = jsonNumbers(result.value.json), plainValue = jsonNumbers(plain.json)
        if !c.plainCallDiffers {
            #expect(value.count == plainValue.count && zip(value, plainValue).allSatisfy { agrees($0, $1, relative: 1e-14) },
                    "\(c.name): value \(result.value.json) under grad, \(plain.json) in a plain call")
        }

        guard c.finiteDifferences else { return }
        let head = try headValues(c.head)
        let gradients = gradientLeaves(result)
        for name in c.differentiated {
            guard let p = c.arguments.firstIndex(where: { $0.name == name }), let g = gradients[name] else {
                Issue.record("\(c.name): no gradient or argument for \(name)")
                continue
            }
            let argument = c.arguments[p]
            #expect(g.count == argument.values.count, "\(c.name): ∂\(name) has \(g.count) elements, \(name) has \(argument.values.count)")
            for k in argument.values.indices where k < g.count {
                let x = argument.values[k]
                let h = 1e-6 * max(1, abs(x))
                var plus = c.arguments, minus = c.arguments
                plus[p] = argument.replacing(k, with: x + h)
                minus[p] = argument.replacing(k, with: x - h)
                let step = (x + h) - (x - h)
                let fd = (try objective(compilation, c, plus, head: head) - objective(compilation, c, minus, head: head)) / step
                let analytic = leafValue(g[k])
                #expect(abs(fd - analytic) <= 1e-5 * (1 + abs(analytic)),
                        "\(c.name): ∂\(name)[\(k)] = \(analytic) by reverse mode, \(fd) by finite differences")
            }
        }
    }

    @Test("gradient matches the hand-derived one", arguments: reverseModeCorpus.filter { $0.exact != nil || $0.expected != nil })
    func corpusHandDerived(_ c: GradCase) throws {
        let compilation = try compile(c.source)
        let double = gradientLeaves(try compilation.gradient(c.request(.double)) { _ in })
        if let exact = c.exact {
            let result = try compilation.gradient(c.request(.exact)) { _ in }
            let leaves = gradientLeaves(result)
            for (name, expected) in exact.sorted(by: { $0.key < $1.key }) {
                #expect(leaves[name] == expected, "\(c.name): exact ∂\(name) is \(leaves[name] ?? []), expected \(expected)")
                let doubles = (double[name] ?? []).map(leafValue)
                let wanted = expected.map(leafValue)
                #expect(doubles.count == wanted.count && zip(doubles, wanted).allSatisfy { agrees($0, $1, relative: 1e-12) },
                        "\(c.name): Double ∂\(name) is \(doubles), expected \(expected)")
            }
            #expect(Set(leaves.keys) == Set(exact.keys), "\(c.name): gradients for \(leaves.keys.sorted())")
        }
        if let expected = c.expected {
            for (name, wanted) in expected.sorted(by: { $0.key < $1.key }) {
                let doubles = (double[name] ?? []).map(leafValue)
                #expect(doubles.count == wanted.count && zip(doubles, wanted).allSatisfy { agrees($0, $1, relative: 1e-12) },
                        "\(c.name): Double ∂\(name) is \(doubles), expected \(wanted)")
            }
        }
    }

    @Test("exact gradient agrees with the Double one", arguments: reverseModeCorpus.filter(\.rational))
    func corpusExactAgreesWithDouble(_ c: GradCase) throws {
        let compilation = try compile(c.source)
        let double = try compilation.gradient(c.request(.double)) { _ in }
        let exact = try compilation.gradient(c.request(.exact)) { _ in }
        #expect(exact.gradients.map(\.name) == double.gradients.map(\.name))
        let pairs = [("value", double.value.json, exact.value.json)]
            + zip(double.gradients, exact.gradients).map { ("∂" + $0.name, $0.json, $1.json) }
        for (what, d, e) in pairs {
            let dv = jsonNumbers(d), ev = jsonNumbers(e)
            #expect(dv.count == ev.count && zip(dv, ev).allSatisfy { agrees($0, $1, relative: 1e-12, floor: 1e-2) },
                    "\(c.name): \(what) is \(d) in Double, \(e) exactly")
        }
    }

    /// The driver throws an internal error when a tape is not empty after the gradient: no case may throw.
    @Test func tapesAreEmptyAfterEveryGradient() {
        var failures: [String] = []
        for c in reverseModeCorpus {
            for engine in c.rational ? [Engine.double, .exact] : [.double] {
                do {
                    _ = try compile(c.source).gradient(c.request(engine)) { _ in }
                } catch let error as DriverError {
                    if case .internalError(let message) = error {
                        failures.append("\(c.name) (\(engine)): internal error: \(message)")
                    } else {
                        failures.append("\(c.name) (\(engine)): \(error.description)")
                    }
                } catch {
                    failures.append("\(c.name) (\(engine)): \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func corpusIsLargeEnough() {
        #expect(reverseModeCorpus.count >= 60)
        #expect(Set(reverseModeCorpus.map(\.name)).count == reverseModeCorpus.count, "corpus names must be unique")
    }

    // MARK: - Nested grad and is_training, evaluated in plain calls

    @Test func secondDerivativeOfCubeByGradOfGrad() throws {
        let source = cube + """
        func d2(x: Real) -> Real {
            return grad(grad(cube))(x)
        }
        """
        // (x³)'' = 6x.
        for (x, expected) in [("1.5", "9"), ("-2", "-12"), ("0", "0")] {
            #expect(try evaluate(source, "d2", [("x", x)], engine: .exact).json == "\"\(expected)\"")
        }
        #expect(try evaluate(source, "d2", [("x", "0.25")]).json == "1.5")
    }

    @Test func gradOfGradOfSinIsMinusSin() throws {
        let source = """
        func f(x: Real) -> Real {
            return grad(grad(sin))(x)
        }

        func g(x: Tensor) -> Tensor {
            return grad(grad(sin))(x)
        }
        """
        for x in [-2.0, -0.5, 0, 0.3, 1, 2.5, 4] {
            let value = jsonNumbers(try evaluate(source, "f", [("x", "\(x)")]).json)
            #expect(value.count == 1 && agrees(value[0], -sin(x), relative: 1e-12, floor: 1e-12), "grad(grad(sin))(\(x)) = \(value)")
        }
        let points = [-2.0, 0.3, 2.5]
        let tensor = jsonNumbers(try evaluate(source, "g", [("x", "\(points)")]).json)
        #expect(tensor.count == 3 && zip(tensor, points).allSatisfy { agrees($0, -sin($1), relative: 1e-12) })
    }

    @Test func hessianVectorProductOfRosenbrock() throws {
        // The Hessian of 100(x1 - x0²)² + (1 - x0)², by hand, at several points.
        func hessian(_ x0: Double, _ x1: Double) -> [[Double]] {
            [[1200 * x0 * x0 - 400 * x1 + 2, -400 * x0], [-400 * x0, 200]]
        }
        for (x, v) in [([0.5, -0.25], [1.0, -0.5]), ([1.0, 1.0], [0.25, 2.0]), ([-1.25, 0.75], [-1.0, 3.0])] {
            let result = try compile(rosenbrock).gradient(
                GradRequest(function: "hv", arguments: [(name: "x", expression: "\(x)"), (name: "v", expression: "\(v)")],
                            wrt: ["x"])) { _ in }
            let h = hessian(x[0], x[1])
            let hv = [h[0][0] * v[0] + h[0][1] * v[1], h[1][0] * v[0] + h[1][1] * v[1]]
            let got = jsonNumbers(result.gradients[0].json)
            #expect(got.count == 2 && zip(got, hv).allSatisfy { agrees($0, $1, relative: 1e-12) }, "Hv at \(x), \(v): \(got), expected \(hv)")
        }
    }

    @Test func isTrainingIsTrueOnlyUnderGrad() throws {
        let source = """
        func f(x: Real) -> Real {
            if is_training() {
                return x * 2
            } else {
                return x * 3
            }
        }

        func viaGrad(x: Real) -> Real {
            return grad(f)(x)
        }
        """
        // A plain call: 3x.
        #expect(try evaluate(source, "f", [("x", "1.25")], engine: .exact).json == "\"15/4\"")
        // Under grad: the forward sweep takes the training branch, value 2x and gradient 2.
        let result = try compile(source).gradient(GradRequest(function: "f", arguments: [(name: "x", expression: "1.25")],
                                                              engine: .exact)) { _ in }
        #expect(result.json == "{\"value\": \"5/2\", \"gradient\": {\"x\": \"2\"}}")
        // A plain call of a function that calls grad: still 2.
        #expect(try evaluate(source, "viaGrad", [("x", "1.25")], engine: .exact).json == "\"2\"")
    }

    // MARK: - The chapter's three checks, through the JSON API

    @Test func chapterGradientOfTwoXTransposeX() throws {
        let request = GradRequest(function: "f", arguments: [(name: "x", expression: "arange(4).reshape(4, 1)")])
        let result = try compile(chapterSource).gradient(request) { _ in }
        #expect(result.gradients.count == 1 && result.gradients[0].json == "[[0.0], [4.0], [8.0], [12.0]]")
        #expect(result.json == "{\"value\": [[28.0]], \"gradient\": {\"x\": [[0.0], [4.0], [8.0], [12.0]]}}")
        var exact = request
        exact.engine = .exact
        #expect(try compile(chapterSource).gradient(exact) { _ in }.json
                == "{\"value\": [[\"28\"]], \"gradient\": {\"x\": [[\"0\"], [\"4\"], [\"8\"], [\"12\"]]}}")
    }

    @Test(arguments: ["[0.37]", "[-0.37]"])
    func chapterControlFlowGradientIsGOverA(a: String) throws {
        let compilation = try compile(chapterSource)
        let arguments = [(name: "a", expression: a)]
        // Double: grad(g)(a) == g(a) / a (to rounding).
        let gradient = try compilation.gradient(GradRequest(function: "g", arguments: arguments)) { _ in }
        let ratio = try compilation.evaluate(EvalRequest(function: "ratio", arguments: arguments)) { _ in }
        let got = jsonNumbers(gradient.gradients[0].json), wanted = jsonNumbers(ratio.json)
        #expect(got.count == 1 && wanted.count == 1 && agrees(got[0], wanted[0], relative: 1e-14), "\(got) vs g(a)/a = \(wanted)")
        // Exactly: the same rational. 0.37 → 2^12 = 4096; -0.37 also takes the if: 100 · 4096.
        let exactGradient = try compilation.gradient(GradRequest(function: "g", arguments: arguments, engine: .exact)) { _ in }
        let exactRatio = try compilation.evaluate(EvalRequest(function: "ratio", arguments: arguments, engine: .exact)) { _ in }
        #expect(exactGradient.gradients[0].json == exactRatio.json)
        #expect(exactGradient.gradients[0].json == (a.hasPrefix("[-") ? "[\"409600\"]" : "[\"4096\"]"))
        #expect(exactGradient.value.json == (a.hasPrefix("[-") ? "[\"-151552\"]" : "[\"37888/25\"]"))
    }

    @Test func chapterHeadGradient() throws {
        let compilation = try compile(chapterSource)
        var request = GradRequest(function: "z", arguments: [(name: "x", expression: "arange(4).reshape(4, 1)")],
                                  head: "[[10], [1], [0.1], [0.01]]")
        let got = jsonNumbers(try compilation.gradient(request) { _ in }.gradients[0].json)
        let wanted = [0, 4, 0.8, 0.12]
        #expect(got.count == 4 && zip(got, wanted).allSatisfy { abs($0 - $1) <= 1e-15 }, "\(got)")
        request.engine = .exact
        let exact = try compilation.gradient(request) { _ in }
        #expect(exact.gradients[0].json == "[[\"0\"], [\"4\"], [\"4/5\"], [\"3/25\"]]")
        #expect(jsonLeaves(exact.gradients[0].json) == ["0", "4", "4/5", "3/25"])
    }
}

/// The functions the function `name` of `module` calls.
private func callees(_ name: String, in module: Module) throws -> [String] {
    let function = try #require(module.function(named: name))
    return function.blocks.flatMap(\.instructions).compactMap {
        if case .callee(let callee) = $0.payload { return callee }
        return nil
    }
}

@Test func aGradientInsideAGradientIsDifferentiatedForwardOverReverse() throws {
    // `grad(f)(x)` inside a differentiated function calls f's fused gradient; its adjoint is the tangent of that
    // fused gradient along the gradient's adjoint (the Hessian is symmetric), one loop with no tape, instead of
    // the reverse of f's reverse sweep, which recorded an Int per iteration and made five tensors (W7).
    let source = """
    func f(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<size(x) - 1 {
            s += x[i + 1] * x[i] * x[i]
        }
        return s
    }

    @differentiable(wrt: x)
    func g(x: Tensor, v: Tensor) -> Real {
        return sum(grad(f)(x) * v)
    }
    """
    let compilation = try compile(source)
    let module = try compilation.differentiate(DifferentiationRequests(sweeps: [SweepKey(of: "g", wrt: [0])]))
    let forward = try callees("g.fwd.0", in: module), reverse = try callees("g.rev.0", in: module)
    #expect(forward == ["f.vjp.0"], "\(forward)")
    let tangent = try #require(reverse.first.flatMap { module.function(named: $0) })
    #expect(tangent.role == .tangent(SweepKey(of: "f.vjp.0", wrt: [0])), "\(reverse)")
    #expect(!module.functions.contains { $0.name.contains(".rev.0.rev") || $0.name.contains(".rev.0.fwd") })
    #expect(!tangent.blocks.flatMap(\.instructions).contains { $0.op == .push || $0.op == .pop })
    // The fused gradient of g calls the tangent alone: its primal part is the gradient the value reads
    // (GradientCallMerging), so f's loop runs once for the gradient and its tangent, two adds each per
    // iteration; f's value and the value's tangent are read by no one and not computed (UnreadResults). The value
    // reads the gradient only as ⟨∇f, v⟩, so the call goes to a copy of the tangent that adds each term times v[i]
    // where it is made and never stores ∇f (AccumulatedProducts): two adds at elements per iteration, for H·v.
    #expect(try callees("g.vjp.0", in: module) == [tangent.name + ".summed.0.1"])
    #expect(tangent.blocks.flatMap(\.instructions).filter { $0.op == .addat }.count == 4, "\(IRPrinter.print(tangent))")
    let summed = try #require(module.function(named: tangent.name + ".summed.0.1"))
    #expect(summed.blocks.flatMap(\.instructions).filter { $0.op == .addat }.count == 2, "\(IRPrinter.print(summed))")
    // H·v of f at x = [1, 2, 3] with v = [1, 0, 2], exactly: f = x1·x0² + x2·x1².
    // H = [[2·x1, 2·x0, 0], [2·x0, 2·x2, 2·x1], [0, 2·x1, 0]], so H·v = [4, 10, 0].
    let request = GradRequest(function: "g", arguments: [("x", "[1, 2, 3]"), ("v", "[1, 0, 2]")], wrt: ["x"], engine: .exact)
    let json = try compilation.gradient(request) { _ in }.json
    #expect(json.contains("[\"4\", \"10\", \"0\"]"), "\(json)")
    // g's value reads the gradient from the tangent's primal part: ∇f = [2·x0·x1, x0² + 2·x1·x2, x1²] = [4, 13, 4],
    // and ⟨∇f, v⟩ = 4 + 8 = 12.
    #expect(json.contains("\"value\": \"12\""), "\(json)")
}

@Test func aGradientThatPrintsIsNotMergedWithItsTangent() throws {
    // One call for two would print once: where f prints, g's fused gradient calls f's gradient and its tangent.
    let source = """
    func f(x: Tensor) -> Real {
        print(x)
        return sum(x * x * x)
    }

    @differentiable(wrt: x)
    func g(x: Tensor, v: Tensor) -> Real {
        return sum(grad(f)(x) * v)
    }
    """
    let compilation = try compile(source)
    let module = try compilation.differentiate(DifferentiationRequests(sweeps: [SweepKey(of: "g", wrt: [0])]))
    let calls = try callees("g.vjp.0", in: module)
    #expect(calls.count == 2 && calls.contains("f.vjp.0"), "\(calls)")
    // ∂/∂x of Σ 3x²·v is 6x·v: [6, 24] at x = [1, 2], v = [1, 2]; the value Σ 3x²·v = 3 + 24.
    let request = GradRequest(function: "g", arguments: [("x", "[1, 2]"), ("v", "[1, 2]")], wrt: ["x"], engine: .exact)
    let json = try compilation.gradient(request) { _ in }.json
    #expect(json.contains("[\"6\", \"24\"]") && json.contains("\"27\""), "\(json)")
}

@Test func forwardOverReverseTakesEveryParameterAndTheHead() throws {
    // f = y·Σx², its gradient taken with head y: (2y²·x, y·Σx²). g = sum(gx * x) + gy = 2y²·Σx² + y·Σx², so
    // ∂g/∂x = (4y² + 2y)·x and ∂g/∂y = 4y·Σx² + Σx²: at x = [1, 2], y = 3, [42, 84] and 65. The head's adjoint is
    // the tangent of f's value, and y's comes from both its rows of the Hessian.
    let source = """
    func f(x: Tensor, y: Real) -> Real {
        var s = 0.0
        for i in 0..<size(x) {
            s += x[i] * x[i] * y
        }
        return s
    }

    func g(x: Tensor, y: Real) -> Real {
        let (gx, gy) = grad(f, wrt: x, y, head: y)(x, y)
        return sum(gx * x) + gy
    }
    """
    let compilation = try compile(source)
    let module = try compilation.differentiate(DifferentiationRequests(sweeps: [SweepKey(of: "g", wrt: [0, 1])]))
    #expect(module.functions.contains { $0.role == .tangent(SweepKey(of: "f.vjp.0.1", wrt: [0, 1])) }, "\(module.functions.map(\.name))")
    let request = GradRequest(function: "g", arguments: [("x", "[1, 2]"), ("y", "3")], engine: .exact)
    let json = try compilation.gradient(request) { _ in }.json
    #expect(json.contains("\"x\": [\"42\", \"84\"]") && json.contains("\"y\": \"65\""), "\(json)")
}

@Test func aCustomDerivativeKeepsReverseOverReverse() throws {
    // A hand-written VJP need not have a symmetric Jacobian, and nested `grad` differentiates its body in reverse
    // (spec §7): the gradient of a function reaching one is split into sweeps, as before. d below is not f's true
    // derivative: (2y·h, x·h), whose Jacobian [[0, 2], [1, 0]] is not symmetric. g = a + 10b = 2y + 10x, so its
    // gradient is (10, 2); the tangent of d along (1, 10) would give (20, 1).
    let source = """
    func f(x: Real, y: Real) -> Real {
        return x * y
    }

    @derivative(of: f)
    func d(x: Real, y: Real, head: Real) -> (Real, Real) {
        return (head * 2 * y, head * x)
    }

    func g(x: Real, y: Real) -> Real {
        let (a, b) = grad(f, wrt: x, y)(x, y)
        return a + 10 * b
    }
    """
    let compilation = try compile(source)
    let module = try compilation.differentiate(DifferentiationRequests(sweeps: [SweepKey(of: "g", wrt: [0, 1])]))
    #expect(!module.functions.contains { if case .tangent = $0.role { true } else { false } })
    let request = GradRequest(function: "g", arguments: [("x", "2"), ("y", "3")], engine: .exact)
    let json = try compilation.gradient(request) { _ in }.json
    #expect(json.contains("\"x\": \"10\"") && json.contains("\"y\": \"2\""), "\(json)")
}

@Test func aRealHeadMultipliesTheGradientOnceNotInEveryIteration() throws {
    // The adjoint is linear in the head: the loop runs with a head of one and the gradient is multiplied by
    // the head once, at the end (HeadScaling). Where adjoints also come from a shadow tape (the reverse of
    // f's forward sweep, in a second-order gradient whose sweeps are not fused, as --explain builds them),
    // the head alone does not scale them and the sweep is left as built.
    let source = """
    func f(x: Tensor) -> Real {
        var s = 0.0
        for i in 0..<size(x) - 1 {
            s += 100 * (x[i + 1] - x[i] ^ 2) ^ 2 + (1 - x[i]) ^ 2
        }
        return s
    }

    func hv(x: Tensor, v: Tensor) -> Real {
        return sum(grad(f)(x) * v)
    }
    """
    let compilation = try compile(source)
    let module = try compilation.differentiate(DifferentiationRequests(sweeps: [SweepKey(of: "f", wrt: [0])]))
    let gradient = try #require(module.function(named: "f.vjp.0"))
    let head = gradient.parameters[1]
    let loops = Loops(gradient)
    for b in loops.inAnyLoop {
        #expect(!gradient.blocks[b].instructions.contains { $0.operands.contains(head) }, "\(IRPrinter.print(gradient))")
    }
    #expect(gradient.blocks.flatMap(\.instructions).filter { $0.operands.contains(head) }.map(\.op) == [.mul])
    // ∇f at (1/2, -1/4) is [99, -100] (hand-derived), times a head of 3/7, exactly.
    let x = ("x", "[0.5, -0.25]"), v = ("v", "[1, -0.5]")
    let scaled = try compilation.gradient(GradRequest(function: "f", arguments: [x], head: "3 / 7", engine: .exact)) { _ in }
    #expect(scaled.json.contains("[\"297/7\", \"-300/7\"]"), "\(scaled.json)")
    // H·v = [502, -300] and ∂/∂v = ∇f, fused or not (the hand-derived values of the Rosenbrock case above).
    for explain in [false, true] {
        let hv = try compilation.gradient(GradRequest(function: "hv", arguments: [x, v], engine: .exact,
                                                      explain: explain)) { _ in }
        #expect(hv.json.contains("[\"502\", \"-300\"]") && hv.json.contains("[\"99\", \"-100\"]"), "\(explain) \(hv.json)")
    }
}
