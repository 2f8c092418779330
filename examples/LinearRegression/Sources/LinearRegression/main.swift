// D2L 3.2, linear regression from scratch: 1,000 examples, minibatches of 10, learning rate 0.03,
// 3 epochs; the gradients come from loss.adj through Adjoint's build plugin.
import Model

let trueW = [2, -3.4], trueB = 4.2
var random = Normal(seed: 42)
let data = Dataset(w: trueW, b: trueB, count: 1_000, random: &random)
let (w, b) = train(data, epochs: 3, batchSize: 10, rate: 0.03, random: &random) { epoch, loss in
    print("epoch \(epoch), loss \(loss)")
}
print("error in estimating w: \(zip(trueW, w.scalars).map { $0 - $1 })")
print("error in estimating b: \(trueB - b)")
