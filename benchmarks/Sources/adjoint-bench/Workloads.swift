// The seven workloads: for each, Adjoint's generated gradient and primal, the hand-written
// gradient, Swift AD's gradient (or why not), each as a closure that the harness times and a
// flattening of its result (value, then every gradient element) that the agreement check compares.

/// One implementation: `timed` makes one call and returns a number drawn from its result (cheap,
/// so the timing is the call's); `flat` makes one call and returns value and gradient, flattened.
struct Implementation {
    let label: String
    let timed: () -> Double
    let flat: () -> [Double]
}

func implementation<R>(_ label: String, _ call: @escaping () -> R,
                       flat: @escaping (R) -> [Double], probe: @escaping (R) -> Double) -> Implementation {
    Implementation(label: label, timed: { probe(call()) }, flat: { flat(call()) })
}

struct Workload {
    let id: String
    let title: String
    /// The target for Adjoint's gradient over the hand-written one.
    let target: Double
    /// Calls of the generated gradient a timed call makes (W2 differentiates at both of its inputs).
    let gradientsPerCall: Int
    let adjoint: Implementation
    let adjointPrimal: Timed
    let hand: Implementation
    /// Further hand-written references, timed and checked but not in the ratios.
    let otherHand: [Implementation]
    /// nil where Swift AD cannot express the workload; `swiftADNote` says why.
    let swiftAD: Implementation?
    let swiftADNote: String
    /// The hand-written primal, where there is one: context for Adjoint's primal time.
    var handPrimal: Timed? = nil
}

private func tensor(_ scalars: [Double]) -> Tensor { Tensor(shape: [scalars.count], scalars: scalars) }

private func tensor(_ scalars: [Double], _ rows: Int, _ columns: Int) -> Tensor {
    Tensor(shape: [rows, columns], scalars: scalars)
}

enum Workloads {
    static func all() -> [Workload] { [w1(), w2(), w3(), w4(), w5(), w6(), w7()] + forms() }

    /// The loop workloads in other source forms (issue 13: the same target however a read is spelled):
    /// the same inputs, hand-written gradient and target; Swift AD is timed on the first form only.
    static func forms() -> [Workload] {
        let x3 = tensor(Inputs.w3x), x5 = tensor(Inputs.w5x), v7 = tensor(Inputs.w7v)
        let x0 = Inputs.w4x0, r = Inputs.w4r, n = Inputs.w4n
        func vector(_ g: (value: Double, x: Tensor)) -> [Double] { [g.value] + g.x.scalars }
        func form(_ base: Workload, _ id: String, _ title: String, _ adjoint: Implementation, _ primal: @escaping () -> Double) -> Workload {
            Workload(id: id, title: title, target: base.target, gradientsPerCall: base.gradientsPerCall, adjoint: adjoint,
                     adjointPrimal: Timed(label: "Adjoint primal", run: primal), hand: base.hand, otherHand: [],
                     swiftAD: nil, swiftADNote: "timed on \(base.id) only", handPrimal: base.handPrimal)
        }
        let (w3, w4, w5, w7) = (w3(), w4(), w5(), w7())
        return [
            form(w3, "W3b", "Rosenbrock, x[i] read again where used",
                 implementation("Adjoint", { w3b_rosenbrockGradient(x: opaque(x3)) }, flat: vector, probe: { $0.value + $0.x.scalars[1] }),
                 { w3b_rosenbrock(x: opaque(x3)) }),
            form(w3, "W3c", "Rosenbrock, each element read once into a let",
                 implementation("Adjoint", { w3c_rosenbrockGradient(x: opaque(x3)) }, flat: vector, probe: { $0.value + $0.x.scalars[1] }),
                 { w3c_rosenbrock(x: opaque(x3)) }),
            form(w4, "W4b", "logistic map through lets",
                 implementation("Adjoint", { w4b_logisticGradient(x0: opaque(x0), r: r, n: n) },
                                flat: { [$0.value, $0.x0, $0.r] }, probe: { $0.value + $0.r }),
                 { w4b_logistic(x0: opaque(x0), r: r, n: n) }),
            form(w5, "W5b", "piecewise, x[i] read again in each branch",
                 implementation("Adjoint", { w5b_piecewiseGradient(x: opaque(x5)) }, flat: vector, probe: { $0.value + $0.x.scalars[1] }),
                 { w5b_piecewise(x: opaque(x5)) }),
            form(w5, "W5c", "piecewise, test in a let, reads in the branches",
                 implementation("Adjoint", { w5c_piecewiseGradient(x: opaque(x5)) }, flat: vector, probe: { $0.value + $0.x.scalars[1] }),
                 { w5c_piecewise(x: opaque(x5)) }),
            form(w7, "W7b", "HVP of W3b's form",
                 implementation("Adjoint", { w7b_gradient_dotGradient(x: opaque(x3), v: v7) }, flat: vector,
                                probe: { $0.value + $0.x.scalars[1] }),
                 { w7b_gradient_dot(x: opaque(x3), v: v7) }),
            form(w7, "W7c", "HVP of W3c's form",
                 implementation("Adjoint", { w7c_gradient_dotGradient(x: opaque(x3), v: v7) }, flat: vector,
                                probe: { $0.value + $0.x.scalars[1] }),
                 { w7c_gradient_dot(x: opaque(x3), v: v7) }),
        ]
    }

    static func w1() -> Workload {
        let x = Inputs.w1x, xt = tensor(x)
        return Workload(
            id: "W1", title: "dot, n = 1,000", target: 1.3, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w1_dotGradient(x: opaque(xt)) },
                                    flat: { [$0.value] + $0.x.scalars }, probe: { $0.value + $0.x.scalars[1] }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w1_dot(x: opaque(xt)) }),
            hand: implementation("hand-written", { Hand.w1(opaque(x)) },
                                 flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            otherHand: [],
            swiftAD: implementation("Swift AD", { SwiftAD.w1(opaque(x)) },
                                    flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            swiftADNote: "",
            handPrimal: Timed(label: "hand-written primal", run: { Hand.w1Primal(opaque(x)) }))
    }

    static func w2() -> Workload {
        let p = Inputs.w2Positive, n = Inputs.w2Negative, pt = tensor(p), nt = tensor(n)
        return Workload(
            id: "W2", title: "control flow, a = ±0.37", target: 2.0, gradientsPerCall: 2,
            adjoint: implementation("Adjoint", { (w2_controlGradient(a: opaque(pt)), w2_controlGradient(a: opaque(nt))) },
                                    flat: { [$0.0.value] + $0.0.a.scalars + [$0.1.value] + $0.1.a.scalars },
                                    probe: { $0.0.value + $0.1.a.scalars[0] }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w2_control(a: opaque(pt)) + w2_control(a: opaque(nt)) }),
            hand: implementation("hand-written", { (Hand.w2(opaque(p)), Hand.w2(opaque(n))) },
                                 flat: { [$0.0.value] + $0.0.a + [$0.1.value] + $0.1.a },
                                 probe: { $0.0.value + $0.1.a[0] }),
            otherHand: [],
            swiftAD: implementation("Swift AD", { (SwiftAD.w2(opaque(p)), SwiftAD.w2(opaque(n))) },
                                    flat: { [$0.0.value] + $0.0.a + [$0.1.value] + $0.1.a },
                                    probe: { $0.0.value + $0.1.a[0] }),
            swiftADNote: "")
    }

    static func w3() -> Workload {
        let x = Inputs.w3x, xt = tensor(x)
        return Workload(
            id: "W3", title: "Rosenbrock loop, n = 10,000", target: 1.3, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w3_rosenbrockGradient(x: opaque(xt)) },
                                    flat: { [$0.value] + $0.x.scalars }, probe: { $0.value + $0.x.scalars[1] }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w3_rosenbrock(x: opaque(xt)) }),
            hand: implementation("hand-written", { Hand.w3(opaque(x)) },
                                 flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            otherHand: [],
            swiftAD: implementation("Swift AD", { SwiftAD.w3(opaque(x)) },
                                    flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            swiftADNote: "",
            handPrimal: Timed(label: "hand-written primal", run: { Hand.w3Primal(opaque(x)) }))
    }

    static func w4() -> Workload {
        let x0 = Inputs.w4x0, r = Inputs.w4r, n = Inputs.w4n
        return Workload(
            id: "W4", title: "logistic map, N = 100,000", target: 1.3, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w4_logisticGradient(x0: opaque(x0), r: r, n: n) },
                                    flat: { [$0.value, $0.x0, $0.r] }, probe: { $0.value + $0.r }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w4_logistic(x0: opaque(x0), r: r, n: n) }),
            hand: implementation("hand-written (reverse, 8 B/iteration)", { Hand.w4(x0: opaque(x0), r: r, n: n) },
                                 flat: { [$0.value, $0.x0, $0.r] }, probe: { $0.value + $0.r }),
            otherHand: [implementation("hand-written (forward mode, two tangents)",
                                       { Hand.w4Tangent(x0: opaque(x0), r: r, n: n) },
                                       flat: { [$0.value, $0.x0, $0.r] }, probe: { $0.value + $0.r })],
            swiftAD: implementation("Swift AD", { SwiftAD.w4(x0: opaque(x0), r: r, n: n) },
                                    flat: { [$0.value, $0.x0, $0.r] }, probe: { $0.value + $0.r }),
            swiftADNote: "",
            handPrimal: Timed(label: "hand-written primal", run: { Hand.w4Primal(x0: opaque(x0), r: r, n: n) }))
    }

    static func w5() -> Workload {
        let x = Inputs.w5x, xt = tensor(x)
        return Workload(
            id: "W5", title: "piecewise, n = 100,000", target: 1.3, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w5_piecewiseGradient(x: opaque(xt)) },
                                    flat: { [$0.value] + $0.x.scalars }, probe: { $0.value + $0.x.scalars[1] }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w5_piecewise(x: opaque(xt)) }),
            hand: implementation("hand-written", { Hand.w5(opaque(x)) },
                                 flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            otherHand: [],
            swiftAD: implementation("Swift AD", { SwiftAD.w5(opaque(x)) },
                                    flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            swiftADNote: "",
            handPrimal: Timed(label: "hand-written primal", run: { Hand.w5Primal(opaque(x)) }))
    }

    static func w6() -> Workload {
        let v = Inputs.w6
        let b = Inputs.batch, d = Inputs.inputs, h = Inputs.hidden, o = Inputs.outputs
        let X = tensor(v.X, b, d), W1 = tensor(v.W1, d, h), b1 = tensor(v.b1), W2 = tensor(v.W2, h, o)
        let b2 = tensor(v.b2), Y = tensor(v.Y, b, o)
        typealias Grads = (value: Double, W1: [Double], b1: [Double], W2: [Double], b2: [Double])
        let flatGrads: (Grads) -> [Double] = { [$0.value] + $0.W1 + $0.b1 + $0.W2 + $0.b2 }
        return Workload(
            id: "W6", title: "MLP 64×256×256×10", target: 1.5, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w6_mlpGradient(X: opaque(X), W1: W1, b1: b1, W2: W2, b2: b2, Y: Y) },
                                    flat: { [$0.value] + $0.W1.scalars + $0.b1.scalars + $0.W2.scalars + $0.b2.scalars },
                                    probe: { $0.value + $0.W1.scalars[1] }),
            adjointPrimal: Timed(label: "Adjoint primal",
                                 run: { w6_mlp(X: opaque(X), W1: W1, b1: b1, W2: W2, b2: b2, Y: Y) }),
            hand: implementation("hand-written (cache-blocked matrix product)", { Hand.w6Blocked(opaque(v)) },
                                 flat: flatGrads, probe: { $0.value + $0.W1[1] }),
            otherHand: [implementation("hand-written (naive i-k-j loops)", { Hand.w6Naive(opaque(v)) },
                                       flat: flatGrads, probe: { $0.value + $0.W1[1] })],
            swiftAD: implementation("Swift AD", { SwiftAD.w6(opaque(v)) },
                                    flat: flatGrads, probe: { $0.value + $0.W1[1] }),
            swiftADNote: "matrix primitives with hand-registered pullbacks")
    }

    static func w7() -> Workload {
        let x = Inputs.w3x, v = Inputs.w7v, xt = tensor(x), vt = tensor(v)
        return Workload(
            id: "W7", title: "Hessian-vector product of W3", target: 1.5, gradientsPerCall: 1,
            adjoint: implementation("Adjoint", { w7_gradient_dotGradient(x: opaque(xt), v: vt) },
                                    flat: { [$0.value] + $0.x.scalars }, probe: { $0.value + $0.x.scalars[1] }),
            adjointPrimal: Timed(label: "Adjoint primal", run: { w7_gradient_dot(x: opaque(xt), v: vt) }),
            hand: implementation("hand-written", { Hand.w7(opaque(x), v) },
                                 flat: { [$0.value] + $0.x }, probe: { $0.value + $0.x[1] }),
            otherHand: [],
            swiftAD: nil,
            swiftADNote: "cannot: nested gradient (no reverse-over-reverse in Swift AD)")
    }
}
