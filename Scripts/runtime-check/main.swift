// The runtime check: prints, through AdjointRuntime.swift, what check.adj's main(), seeded() and
// json1()...json6() print through the interpreter. Scripts/check-runtime.sh compiles this file with
// the runtime (`swiftc -O -wmo`) and diffs the output against expected.txt, which the interpreter
// wrote. `main.swift errors NAME` instead runs one failing operation (see errors.adj).

import Foundation

let s = Site("check.adj", 1, 1)

/// Swift's `print`, writing a Double as its `description` as the interpreter does: `print(x)` and
/// `"\(x)"` write a NaN whose sign bit is set (what 0/0 computes at run time) as "-nan", but
/// `description`, which the interpreter uses, writes "nan". Generated code must do the same.
func print(_ items: Any...) {
    Swift.print(items.map { item in (item as? Double)?.description ?? String(describing: item) }.joined(separator: " "))
}

/// A tensor literal of any shape, as the code generator writes one.
func T(_ shape: [Int], _ scalars: [Double]) -> Tensor { Tensor.literal(shape, scalars) }

/// `arange(n).reshape(shape...)`.
func ar(_ n: Int, _ shape: Int...) -> Tensor {
    let t = Tensor.arange(n, at: s)
    return shape.isEmpty ? t : t.reshaped(shape, at: s)
}

func add(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(a, b, at: s) { $0 + $1 } }
func sub(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(a, b, at: s) { $0 - $1 } }
func mul(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(a, b, at: s) { $0 * $1 } }
func div(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(a, b, at: s) { $0 / $1 } }

func printing() {
    let v12: Tensor = [1, 2]
    print("rank0 dot", dot(v12, [3, 4], at: s))
    print("rank0 sum", ar(3).sum(axis: 0, at: s))
    print("rank1", Tensor([1, -2.5, 30]))
    print("rank1 arange", ar(5))
    print("rank1 tenths", Tensor([0.1, 0.2, 0.1 + 0.2]))
    print("rank1 one", Tensor([7]))
    print("rank2", T([2, 2], [1, -2, 300, 4.5]))
    print("rank2 arange", ar(6, 2, 3))
    print("rank2 column", ar(3, 3, 1))
    print("rank2 row", ar(3, 1, 3))
    print("rank3", ar(12, 2, 2, 3) - 5)
    print("rank3 sevenths", ar(24, 2, 3, 4) / 7)
    print("rank4", ar(16, 2, 2, 2, 2))
    let z = 0.0
    print("special", Tensor([1, 0, -1]) / z)
    print("negzero", Tensor([0, 1]) * -1)
    print("big small", Tensor([1e20, 1e-7, 123456789.0, -0.001]))
    print("empty", Tensor.zeros([0], at: s), Tensor.zeros([2, 0], at: s), Tensor.ones([0, 3], at: s))
    print("equal", v12 == [1, 2], v12 == [1, 3], v12 == T([1, 2], [1, 2]), v12 != [1, 2])
    print("nan equal", Tensor([z / z]) == Tensor([z / z]), v12 != T([1, 2], [1, 2]))
    let n = Tensor([1, z / z])
    print("same nan", n == n)
    print("size", ar(6, 2, 3).count, Tensor.zeros([0], at: s).count)
}

func arithmetic() {
    let t = T([2, 3], [1, -2, 3, 4, 5, -6])
    print("t+1", t + 1)
    print("1-t", 1 - t)
    print("t*2", t * 2)
    print("2/t", 2 / t)
    print("t/4", t / 4)
    print("t-0.5", t - 0.5)
    print("3*t", 3 * t)
    print("-t", -t)
    print("t+t", add(t, t))
    print("t*t", mul(t, t))
    print("t-row", sub(t, [10, 20, 30]))
    print("t/col", div(t, T([2, 1], [2, 4])))
    print("col*row", mul(T([3, 1], [1, 2, 3]), [10, 20]))
    print("3d", add(ar(6, 2, 1, 3), ar(4, 4, 1)))
    print("3d mid", sub(mul(ar(6, 2, 3, 1), ar(2, 1, 1, 2)), T([1, 1, 2], [100, 200])))
    let r0 = dot([1, 2], [1, 1], at: s)
    print("rank0 + t", add(r0, t))
    print("t - rank0", sub(t, r0))
    print("ones*row", mul(Tensor.ones([2, 1, 1], at: s), [1, 2]))
    print("empty+1", Tensor.zeros([0], at: s) + 1, add(Tensor.zeros([2, 0], at: s), T([2, 1], [1, 2])))
}

func builtins() {
    let x: Tensor = [-1.5, 0, 0.5, 2]
    print("exp", exp(x))
    print("log", log(Tensor([0.5, 1, 2, 10])))
    print("sin", sin(x))
    print("cos", cos(x))
    print("tan", tan(x))
    print("tanh", tanh(x))
    print("sqrt", sqrt(Tensor([0, 2, 4, 1e-3])))
    print("abs", abs(x))
    print("sigmoid", sigmoid(x))
    print("relu", relu(x))
    print("sign", sign(x))
    print("floor", floor(x))
    let z = 0.0
    let nan = z / z
    print("nan ops", sign(nan), relu(nan), relu(-0.0), sign(-0.0), floor(-0.5), abs(-0.0))
    print("real", exp(1.0), log(2.0), sin(1.0), cos(1.0), tan(1.0), tanh(1.0), sqrt(2.0), abs(-3.0), sigmoid(0.3),
          relu(2.5), sign(-4.0), floor(-2.5))
    print("pow t r", pow(x, 2), pow(x, 3))
    print("pow r t", pow(2, x), pow(2, x))
    print("pow t t", pow([1, 2, 3], T([2, 1], [2, 0.5]), at: s))
    print("pow neg", pow(Tensor([-8, -1]), 1.0 / 3))
    let a: Tensor = [1, 2, 3, nan]
    let b: Tensor = [3, 2, 1, 5]
    print("maximum", maximum(a, b, at: s), maximum(b, a, at: s))
    print("minimum", minimum(a, b, at: s), minimum(b, a, at: s))
    print("max2", maximum(a, 2), maximum(2, a), minimum(a, 2), minimum(2, a))
    print("maximum bcast", maximum(T([2, 2], [1, 5, 7, 2]), [3, 4], at: s))
    print("minimum bcast", minimum(T([2, 1], [1, 5]), [3, 4, 6], at: s))
    print("real max", maximum(nan, 1), maximum(1, nan), minimum(nan, 1), minimum(1, nan), maximum(2, 3), minimum(2, 3))
}

func reductions() {
    let z = 0.0
    let nan = z / z
    let t = ar(24, 2, 3, 4) / 3 - 2
    let empty = Tensor.zeros([0], at: s)
    print("sum", t.sum(), Tensor([1e16, 1, -1e16]).sum(), Tensor([-0.0]).sum(), empty.sum())
    print("mean", t.mean(), Tensor([1, 2]).mean(), empty.mean())
    print("prod", Tensor([1, 2, 3, 4]).prod(), empty.prod(), Tensor([0.1, 0.2, 0.3]).prod())
    print("norm", Tensor([3, 4]).norm(), t.norm(), empty.norm())
    print("max", Tensor([1, 3, 2, 3]).max(at: s), Tensor([1, nan, 3]).max(at: s), Tensor([nan, 1]).max(at: s),
          Tensor([-0.0, 0.0]).max(at: s), Tensor([0.0, -0.0]).max(at: s))
    print("min", Tensor([3, 1, 2, 1]).min(at: s), Tensor([1, nan, 0]).min(at: s), Tensor([0.0, -0.0]).min(at: s),
          Tensor([-0.0, 0.0]).min(at: s))
    print("sum axis 0", t.sum(axis: 0, at: s))
    print("sum axis 1", t.sum(axis: 1, at: s))
    print("sum axis 2", t.sum(axis: 2, at: s))
    print("mean axis 0", t.mean(axis: 0, at: s))
    print("mean axis 1", t.mean(axis: 1, at: s))
    print("mean axis 2", t.mean(axis: 2, at: s))
    let r: Tensor = [1, 2, 3.5]
    print("sum axis rank1", r.sum(axis: 0, at: s), r.mean(axis: 0, at: s))
    let m = T([2, 2], [1, 2, 3, 4])
    print("sum axis matrix", m.sum(axis: 0, at: s), m.sum(axis: 1, at: s))
    print("sum axis empty", Tensor.zeros([2, 0], at: s).sum(axis: 1, at: s), Tensor.zeros([0, 2], at: s).sum(axis: 0, at: s))
    print("sum -0", Tensor([-0.0, -0.0]).sum(axis: 0, at: s))
}

func algebra() {
    let a = T([2, 3], [1, 2, 3, 4, 5, 6])
    let b = T([3, 2], [0.5, -1, 2, 0.25, -3, 1])
    let v: Tensor = [1, -1, 2]
    let w: Tensor = [3, 0.5]
    print("dot 2x2", dot(a, b, at: s))
    print("dot 1x1", dot(v, v, at: s))
    print("dot 2x1", dot(a, v, at: s))
    print("dot 1x2", dot(w, a, at: s))
    print("dot tenths", dot([0.1, 0.2, 0.3], [0.3, 0.2, 0.1], at: s))
    print("dot outer", dot(T([2, 1], [1, 2]), T([1, 3], [3, 4, 5]), at: s))
    print("T", a.transposed(), v.transposed(), dot(v, v, at: s).transposed())
    print("T3", ar(24, 2, 3, 4).transposed())
    print("reshape", a.reshaped([3, 2], at: s), a.reshaped([6], at: s), a.reshaped([1, 6, 1], at: s))
    print("dim", a.dim(0, at: s), a.dim(1, at: s), ar(24, 2, 3, 4).dim(2, at: s))
}

func indexing() {
    let v: Tensor = [10, 20, 30, 40]
    let m = ar(6, 2, 3)
    let c = ar(24, 2, 3, 4)
    print("index", v.element(0, at: s), v.element(3, at: s), m.element(1, 2, at: s), m.element(0, 1, at: s),
          c.element([1, 2, 3], at: s), c.element([0, 1, 2], at: s))
    print("slice", v.slice(1, 3, at: s), v.slice(0, 0, at: s), v.slice(4, 4, at: s), m.slice(1, 2, at: s), c.slice(0, 1, at: s))
    var x = m
    x = x.setting([1, 1], to: 100, at: s)
    print("set element", x)
    x = x.setting([0], to: -1, at: s)
    print("set row real", x)
    x = x.setting([1], to: [7, 8, 9], at: s)
    print("set row tensor", x)
    x = x.setting([0], to: [5], at: s)
    print("set row bcast", x)
    x = x.setting([1, 2], to: x.element(1, 2, at: s) + 0.5, at: s)
    print("add element", x)
    var y = c
    y.set([1, 0], to: [1, 2, 3, 4], at: s)
    y.set([0], to: 9, at: s)
    y.set([0, 2, 3], to: -1, at: s)
    print("set 3d", y)
    var u = v
    u = u.setting([2], to: u.element(2, at: s) - 5, at: s)
    u.set([0], to: u.element(0, at: s) * 2, at: s)
    print("vector updates", u)
}

func construction() {
    print("arange", Tensor.arange(0, at: s), Tensor.arange(1, at: s), Tensor.arange(3, at: s))
    print("zeros", Tensor.zeros([2, 2], at: s), Tensor.zeros([3], at: s))
    print("ones", Tensor.ones([1, 2], at: s), Tensor.ones([2], at: s))
    print("full", Tensor.full(2.5, [2, 3], at: s), Tensor.full(-1, [2], at: s))
    print("like", Tensor.zeros(like: T([1, 2], [1, 2])), Tensor.ones(like: [1, 2, 3]))
    print("literal", T([1, 3], [1, 2, 3]), T([1, 2, 1], [1, 2]))
}

func conversion() {
    let r = toReal(dot([1, 2], [3, 4], at: s), at: s)
    let q = toReal(Tensor([1, 2]).sum(axis: 0, at: s), at: s)
    let p = toReal(T([1, 1], [2.5]), at: s)
    print("toreal", r, q, p)
    print("int", int(2.7, at: s), int(-2.7, at: s), int(0.0, at: s), int(1e15, at: s), int(-0.5, at: s))
    print("real", Double(3), Double(-4) / 8)
    print("is_training", isTraining)
}

func randomDraws() {
    print("normal", Tensor.randomNormal([2, 3], at: s))
    print("uniform", Tensor.randomUniform([4], at: s))
    print("normal 1", Tensor.randomNormal([1], at: s))
}

func adjoints() {
    let a = T([2, 3], [1, 2, 3, 4, 5, 6])
    let h = T([2, 3], [1, 0.5, -1, 2, 3, 0.25])
    print("fit equal", fit(h, like: a, at: s))
    print("fit sum down", fit(h, like: [10, 20, 30], at: s))
    print("fit to real", fit(mul(h, a), like: 2.0))
    print("fit bcast up", fit([1, 2, 3], like: a, at: s))
    print("fit real up", fit(2.0, like: a))
    let ma: Tensor = [1, 2, 3, 2], mb: Tensor = [3, 2, 1, 2]
    print("stepge max", stepGE(ma, mb, at: s), 1 - stepGE(ma, mb, at: s))
    print("stepge min", stepGE(mb, ma, at: s), 1 - stepGE(mb, ma, at: s))
    print("stepge real", fit(1 - stepGE(a, 3), like: 3.0))
    let f1: Tensor = [1, 3, 2, 3], f2 = T([2, 2], [4, 1, 1, 5])
    print("firsteq", firstEqualMask(f1, f1.max(at: s)), firstEqualMask(f2, f2.min(at: s)))
    print("prodothers", productOfOthers([2, 3, 0, 5]), productOfOthers([1, 2, 3, 4]), productOfOthers([7]))
    let x3 = ar(12, 2, 3, 2)
    print("expanddims", fit(T([2, 2], [1, 2, 3, 4]).expandingDimensions(1, at: s), like: x3, at: s))
    print("meanaxis", fit(Tensor([1, 2, 3]).expandingDimensions(0, at: s) / 2, like: a, at: s))
    let b = T([3, 2], [0.5, -1, 2, 0.25, -3, 1])
    let v: Tensor = [1, -1, 2]
    let w: Tensor = [3, 0.5]
    let h22 = T([2, 2], [1, 2, 3, 4])
    print("dot 2x2 adj", dotAdjointA(h22, a, b, at: s), dotAdjointB(h22, a, b, at: s))
    let h11 = fit(2.5, like: dot(v, v * 3, at: s))
    print("dot 1x1 adj", dotAdjointA(h11, v, v * 3, at: s), dotAdjointB(h11, v, v * 3, at: s))
    print("dot 2x1 adj", dotAdjointA([1, -2], a, v, at: s), dotAdjointB([1, -2], a, v, at: s))
    print("dot 1x2 adj", dotAdjointA([1, -2, 0.5], w, a, at: s), dotAdjointB([1, -2, 0.5], w, a, at: s))
    print("reshapeas", T([3, 2], [1, 2, 3, 4, 5, 6]).reshaped(like: a, at: s))
    print("addat", Tensor.zeros(like: a).adding(3, at: [1, 2], site: s).adding(1, at: [0, 0], site: s),
          Tensor.zeros(like: [1, 2, 3]).adding(2, at: [1], site: s).adding(1, at: [1], site: s))
    let g = T([2, 3], [1, 2, 3, 4, 5, 6])
    print("setindex adj", g.setting([1], to: 0, at: s), fit(g.block([1], at: s), like: [7, 8, 9], at: s))
    print("setindex real adj", fit(g.block([1], at: s), like: 7.0))
    print("setslice", Tensor.zeros(like: ar(8, 4, 2)).settingSlice(1, 3, to: T([2, 2], [1, 2, 3, 4]), at: s))
    // d/dv of sum(2 v ⊙ [1, 2, 3]) through the setindex/subtensor/addat chain of the second-order code.
    let inner = Tensor.zeros(like: a).adding([1, 2, 3], at: [1], site: s)
    print("second order", fit((inner * 2).block([1], at: s), like: [7, 8, 9], at: s))
    func ftraining(_ x: Double) -> Double { isTraining ? x * 2 : x }
    let plain = ftraining(3)
    isTraining = true
    let inGrad = ftraining(3) / 3 * 1
    isTraining = false
    print("training", plain, inGrad)
}

func updates() {
    let m = ar(6, 2, 3)
    print("adding real row", m.adding(2, at: [1], site: s))
    print("adding tensor row", m.adding([1, 2, 3], at: [1], site: s))
    print("adding bcast row", m.adding(T([1], [5]), at: [1], site: s))
    print("adding element", m.adding(T([], [0.5]), at: [1, 1], site: s))
    let rows = T([4, 2], [0, 1, 0, 0, 0, 0, 6, 7])
    print("setting slice", rows.settingSlice(1, 3, to: 9, at: s), rows.settingSlice(1, 3, to: T([2, 2], [1, 2, 3, 4]), at: s))
    print("block", m.block([1], at: s), T([2], [5, 0]).block([0], at: s), m.block([1], at: s))
}

/// The tape: last in, first out, and `reserve` keeps what it holds.
func tapes() {
    var tape = Tape<Tensor>()
    tape.reserve(4)
    tape.push([1, 2])
    tape.push(T([], [3]))
    tape.reserve(100)
    print("tape", tape.pop(), tape.pop(), tape.isEmpty)
}

func seeded() {
    seedRandom(7)
    print("seed 7 normal", Tensor.randomNormal([3], at: s))
    print("seed 7 uniform", Tensor.randomUniform([2, 2], at: s))
}

func json() {
    print("{\"value\": \((Tensor([1, 0, -1]) / 0.0).jsonText)}")
    print("{\"value\": \((ar(12, 2, 3, 2) / 4 - 1).jsonText)}")
    print("{\"value\": \(jsonText(0.0 / 0.0))}")
    print("{\"value\": \(dot([1, 2], [3, 4], at: s).jsonText)}")
    print("{\"value\": \(jsonText(-2.5e-8))}")
    print("{\"value\": \(Tensor.zeros([2, 0], at: s).jsonText)}")
}

/// One failing operation per name, at the location errors.adj's interpreter run reports.
func failing(_ name: String) {
    let e = { (line: Int, column: Int) in Site("Scripts/runtime-check/errors.adj", line, column) }
    print("before the error")
    switch name {
    case "broadcast": print(elementwise([1, 2, 3], [1, 2], at: e(4, 21)) { $0 + $1 })
    case "index": print(Tensor([1, 2, 3, 4]).element(4, at: e(9, 12)))
    case "index3": print(ar(24, 2, 3, 4).element([0, 3, 0], at: e(67, 12)))
    case "index2": print(ar(6, 2, 3).element(1, -1, at: e(14, 12)))
    case "rank": print(ar(6, 2, 3).element(1, at: e(19, 12)))
    case "empty": print(Tensor.zeros([0], at: e(23, 11)).max(at: e(23, 11)))
    case "negative": print(Tensor.arange(-1, at: e(27, 11)))
    case "toreal": print(toReal([1, 2, 3], at: e(31, 19)))
    case "reshape": print(ar(6).reshaped([4], at: e(36, 21)))
    case "dot": print(dot(ar(6, 2, 3), [1, 2], at: e(40, 11)))
    case "int": print(int(1e20, at: e(44, 11)))
    case "slice": print(ar(4).slice(1, 5, at: e(48, 20)))
    case "axis": print(ar(4).sum(axis: 1, at: e(52, 11)))
    case "setrow": var x = ar(6, 2, 3); x = x.setting([1], to: [1, 2], at: e(57, 10)); print(x)
    case "zeros": print(Tensor.zeros([2, -3], at: e(62, 11)))
    default: print("unknown error case \(name)")
    }
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "errors" {
    failing(CommandLine.arguments[2])
} else {
    printing()
    arithmetic()
    builtins()
    reductions()
    algebra()
    indexing()
    construction()
    conversion()
    randomDraws()
    adjoints()
    updates()
    tapes()
    seeded()
    json()
}
