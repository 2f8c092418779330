// The chapter's results from Swift generated at build time by AdjointBuildPlugin:
// `swift run ChapterExample`. The .adj files beside this one become f, fGradient, g, ...
let x = Tensor(shape: [4, 1], scalars: [0, 1, 2, 3])
let (y, dx) = fGradient(x: x)
print("2.5.1 y =", y)
print("2.5.1 x.grad =", dx)
print("2.5.1 x.grad == 4x:", dx == 4 * x)

let a: Tensor = [0.37]
let (value, da) = gGradient(a: a)
print("2.5.3 g(a) =", value, "grad:", da, "equals g(a)/a:", da == elementwise(value, a, at: Site("main.swift", 13, 1)) { $0 / $1 })

let head = Tensor(shape: [4, 1], scalars: [10, 1, 0.1, 0.01])
print("2.5.4 head gradient:", zGradient(x: x, head: head).x)
