// Transforms stage, reverse mode: the sweeps of a function that has a custom derivative.
//
// For `f` with `@derivative(of: f) func d(params..., head) -> grads` (spec §7), reverse mode
// does not differentiate f's body; its sweeps are
//
//   @f.fwd.M(params) -> R        %y = call @f(params)   (and, for a Tensor result, push %y)
//   @f.rev.M(head, params)       %g = call @d(params, fit(head, %y)); the gradients in M from %g
//
// so `grad`, nested `grad`, exact mode and the generated Swift all call d wherever a call of
// f is differentiated, and nothing of f's own evaluation is recorded (an iterative solver's
// iterations leave no tape). A Tensor result's head may arrive as a rank-0 tensor (a Real head,
// or a zero); it is given the result's shape first, so d sees a head shaped like f's result.
import AdjointBasic
import AdjointIR

enum CustomDerivativeSweeps {
    static func generate(for source: Function, derivative: Function, wrt: [Int], context: DifferentiationContext,
                         names: (forward: String, reverse: String)) -> (forward: Function, reverse: Function) {
        let resultIsTensor = source.resultType == .tensor
        let tape = resultIsTensor ? context.makeTape() : nil
        let at = source.location

        var forward = FunctionBuilder(name: names.forward, parameterNames: source.parameterNames,
                                      parameterTypes: source.parameterTypes, resultType: source.resultType, location: at)
        let y = forward.emit(.call, forward.function.parameters, type: source.resultType,
                             payload: .callee(source.name), at: at)!
        if let tape { _ = forward.emit(.push, [y], type: nil, payload: .tape(tape), at: at) }
        forward.terminate(.ret(y), at: at)

        let head = ReverseMode.headNames(1, avoiding: source.parameterNames)[0]
        let gradientTypes = wrt.map { source.parameterTypes[$0] }
        var reverse = FunctionBuilder(name: names.reverse, parameterNames: [head] + source.parameterNames,
                                      parameterTypes: [source.resultType] + source.parameterTypes,
                                      resultType: .tuple(gradientTypes), location: at)
        var h = reverse.function.parameters[0]
        let parameters = Array(reverse.function.parameters.dropFirst())
        if let tape {
            let result = reverse.emit(.pop, [], type: .tensor, payload: .tape(tape), at: at)!
            h = reverse.emit(.fit, [h, result], type: .tensor, at: at)!
        }
        let all = reverse.emit(.call, parameters + [h], type: derivative.resultType, payload: .callee(derivative.name), at: at)!
        // d returns one gradient per Real and Tensor parameter of f, in order: the k-th of those is parameter p.
        let differentiable = source.parameterTypes.indices.filter { source.parameterTypes[$0].isDifferentiable }
        let gradients = wrt.map { p -> ValueID in
            guard case .tuple = derivative.resultType else { return all }
            let k = differentiable.firstIndex(of: p)!
            return reverse.emit(.extract, [all], type: source.parameterTypes[p], payload: .index(k), at: at)!
        }
        let result = reverse.emit(.tuple, gradients, type: .tuple(gradientTypes), at: at)!
        reverse.terminate(.ret(result), at: at)
        return (forward.function, reverse.function)
    }
}
