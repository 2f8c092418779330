// Codegen stage: one IR function as a Swift function.
//
// Values used only in the block that defines them become `let`s at their
// definition; block parameters and values read in other blocks are declared once
// at the top (`var` when a loop may assign them again) and assigned where defined.
// Branch arguments become (parallel) assignments to the target's parameters. The
// control flow comes from `Structurizer`, or, for an irreducible graph, from a
// `switch` over block numbers in a loop. A comment quotes each source line before
// the code computed from it.
import AdjointBasic
import AdjointIR

/// Emits the Swift text of one function.
struct SwiftFunctionEmitter {
    let function: Function
    let module: Module
    let naming: Naming
    let source: SourceFile?
    /// The Swift expression naming the `.adj` file in sites (`source`, or `Self.source` in a namespace).
    let sourceName: String
    /// Each value's Swift name, by value number.
    private let names: [String?]
    /// Every name `names` holds, and those made since (`freshName`).
    private var usedNames: Set<String>
    /// Constants are written where they are used, not bound to names.
    private var literals = ValueTable<String>()
    private var hoisted: Set<ValueID> = []
    private var reassigned: Set<ValueID> = []
    private var definingBlock = ValueTable<Int>()
    private var useCount = ValueTable<Int>()
    /// Real arithmetic read once, later in its own block: written inline where it is read, as a person writes
    /// `a * b + c`, not as a temporary of its own (fewer statements is also less for swiftc to check).
    private var inlinable: Set<ValueID> = []
    /// The expressions of `inlinable` values already met, which `name` gives in their place.
    private let inlined = InlinedExpressions()
    /// `fit(subtensor(g, i...), like: <a Real>)` (the adjoint of a Real written into or added to a tensor):
    /// by the subtensor's result, the fit that sums it. Emitted as one `g.partSum(...)` where the subtensor
    /// stands, so no rank-0 tensor is made per element, and the fit emits nothing.
    private var partSums: [ValueID: Instruction] = [:]
    private var fusedFits: Set<ValueID> = []
    /// `dotadja(ȳ, a, a) + dotadjb(ȳ, a, a)` (the adjoint of `dot(a, a)`, a squared norm), by the sum's result:
    /// emitted as one `dotAdjointOfSquare(ȳ, a)`, one pass and one tensor instead of three; the two
    /// products it replaces emit nothing.
    private var squareAdjoints: [ValueID: (head: ValueID, operand: ValueID)] = [:]
    private var fusedProducts: Set<ValueID> = []
    /// Of those, the ones whose head ȳ is `fit(h, like: y)` of a Real h read only there: by the sum's result,
    /// h and y, for `dotAdjointOfSquare(h, a, like: y)`, which makes no one-element tensor for ȳ.
    private var broadcastHeads: [ValueID: (real: ValueID, like: ValueID)] = [:]
    /// Elementwise operations of two tensors, one of them `fit(h, like: t)` of a Real h read only there: by the
    /// operation's result, the operand's position, h and t. Written `elementwise(h, like: t, b)`, which makes
    /// the broadcast only where t's shape is not b's (a gradient's head times a tensor, W7's `fit(h, like: y) * v`).
    private var scalarBroadcasts: [ValueID: (position: Int, real: ValueID, like: ValueID)] = [:]
    /// `sum(a * b)` of two tensors whose product is read only by the sum, by the sum's result: written
    /// `sumOfProducts(a, b)`, one pass and no product tensor (W7's `sum(grad(f)(x) * v)`); the product emits nothing.
    private var productSums: [ValueID: (a: ValueID, b: ValueID, location: SourceLocation)] = [:]
    /// Copy coalescing: the result of an in-place update whose tensor operand dies there lives in that
    /// operand's variable (the root of the chain of updates), so an adjoint accumulated around a loop is one
    /// Swift variable updated in place, never copied.
    private var storage: [ValueID: ValueID] = [:]
    /// Locals that such updates mutate: declared `var`.
    private var mutableLocals: Set<ValueID> = []
    /// Tensor variables whose only use in a loop is adding to single elements (the adjoint of `x[i]`), by the
    /// header of the outermost such loop. The loop takes the variable's elements once, as a `MutableSpan`,
    /// so each update is an add with a bounds check, not a uniqueness check of the storage (Enzyme's shadow
    /// buffer): `swift_isUniquelyReferenced` is a call, and every register holding a Double is spilled around it.
    private var elementLoops: [Int: [ValueID]] = [:]
    /// While a loop of `elementLoops` is written: the span and rank variables of each of its tensors.
    private var elementSpans: [ValueID: (span: String, rank: String)] = [:]
    /// While a loop is written: for each Tensor parameter it reads `x[i]` of, the `Span` of its elements and its
    /// rank, taken once before the outermost such loop. A parameter never changes, so in the loop each read is two
    /// compares of registers and a load, not a reload of the shape through the tensor (which a store to an adjoint
    /// in the same loop could alias, as far as the optimizer knows).
    var readSpans: [ValueID: (span: String, rank: String)] = [:]
    /// Loops written `for i in a..<b` (see `findCountedLoops`), by header.
    private var countedLoops: [Int: CountedFor] = [:]
    /// The natural loops (each loop's blocks, by header).
    private var loops: Loops
    /// The edges into each reachable block.
    private let incomingEdges: [[IncomingEdge]]
    /// The block whose instructions are being written.
    private var currentBlock = 0
    /// The function's control flow as Swift's own, or nil for an irreducible graph (written as a dispatch loop).
    private let structurizer: Structurizer?
    /// Whether the function is written as structured Swift control flow (not a dispatch loop).
    private var structured: Bool { structurizer != nil }
    private var lastQuotedLine = 0

    /// Tapes that store one byte per entry (see `SwiftEmitter.byteTapes`).
    let byteTapes: Set<Int>
    /// The functions that take the call's tapes (`SwiftEmitter.tapeUsers`), and the class holding them.
    let tapeUsers: Set<String>
    let tapesType: String
    /// When `--explain` records this function: the values that depend on the differentiated inputs.
    let explain: Set<ValueID>?
    /// The function's version on Doubles (`OneElementVersion`), called when this Tensor parameter holds one element.
    var oneElementVersion: (version: String, tensorParameter: Int)?
    /// The file's constant for each subscript's text, which rank errors quote (`SwiftEmitter.subscriptTexts`).
    var subscriptNames: [Subscript: String] = [:]
    /// The dominators that tell an entry into a loop from its back edge (for `--explain`).
    private let dominators: Dominators
    /// Where tensors are live: their storage moves on or is released after the last read.
    private let liveness: Liveness

    init(function: Function, module: Module, naming: Naming, source: SourceFile?, sourceName: String,
         byteTapes: Set<Int> = [], tapeUsers: Set<String> = [], tapesType: String = "Tapes",
         explain: Set<ValueID>? = nil) {
        self.byteTapes = byteTapes
        self.tapeUsers = tapeUsers
        self.tapesType = tapesType
        self.explain = explain
        self.function = function
        self.module = module
        self.naming = naming
        self.source = source
        self.sourceName = sourceName
        (names, usedNames) = Naming.valueNames(function, parameters: function.parameterNames.map(SwiftFunctionEmitter.label))
        (literals, definingBlock, useCount) = (ValueTable(count: function.valueTypes.count),
                                               ValueTable(count: function.valueTypes.count),
                                               ValueTable(count: function.valueTypes.count))
        for b in function.blocks {
            for i in b.instructions where i.op == .const {
                if let r = i.result, case .constant(let c) = i.payload { literals[r] = SwiftFunctionEmitter.literal(c) }
            }
        }
        dominators = Dominators(function)
        liveness = Liveness(function, values: { function.type(of: $0) == .tensor })
        incomingEdges = function.incomingEdges(reachable: dominators.isReachable)
        loops = Loops(function, dominators: dominators, incomingEdges: incomingEdges)
        for b in function.blocks {
            for v in b.instructions.flatMap(\.operands) + b.terminator.operands { useCount[v, default: 0] += 1 }
        }
        for b in function.blocks {
            for p in b.parameters { definingBlock[p] = b.id.index }
            for i in b.instructions { if let r = i.result { definingBlock[r] = b.id.index } }
        }
        for b in function.blocks {
            let subtensors = Set(b.instructions.filter { $0.op == .subtensor }.compactMap(\.result))
            for i in b.instructions where i.op == .fit && subtensors.contains(i.operands[0]) && useCount[i.operands[0]] == 1 {
                guard let r = i.result, function.type(of: r) == .real else { continue }
                partSums[i.operands[0]] = i
                fusedFits.insert(r)
                useCount[i.operands[1], default: 1] -= 1  // a Real's shape is no shape: the sum does not read it
            }
        }
        for b in function.blocks {
            let products = Dictionary(b.instructions.compactMap { i in i.result.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
            for i in b.instructions where i.op == .add && i.operands.count == 2 {
                guard let r = i.result, function.type(of: r) == .tensor,
                      let p = products[i.operands[0]], let q = products[i.operands[1]],
                      Set([p.op, q.op]) == [.dotadja, .dotadjb], p.operands == q.operands, p.operands[1] == p.operands[2],
                      useCount[i.operands[0]] == 1, useCount[i.operands[1]] == 1 else { continue }
                squareAdjoints[r] = (p.operands[0], p.operands[1])
                fusedProducts.formUnion(i.operands)
                // A head that is a Real broadcast (`fit(h, like: y)`) read only by the two products goes in as the Real.
                if let fit = products[p.operands[0]], fit.op == .fit, useCount[p.operands[0]] == 2, p.operands[0] != p.operands[1],
                   function.type(of: fit.operands[0]) == .real, function.type(of: fit.operands[1]) == .tensor {
                    broadcastHeads[r] = (fit.operands[0], fit.operands[1])
                    fusedFits.insert(p.operands[0])
                }
            }
        }
        // Irreducible graphs (no dominating back edge) still loop: count every block then.
        structurizer = Structurizer(function)
        let inLoop = structured ? loops.inAnyLoop : Set(function.blocks.map { $0.id.index })
        for b in function.blocks {
            if b.id.index != 0 { for p in b.parameters { hoisted.insert(p); reassigned.insert(p) } }
            let uses = b.instructions.flatMap(\.operands) + b.terminator.operands
            for v in uses where definingBlock[v] != b.id.index && !function.parameters.contains(v) && literals[v] == nil {
                hoisted.insert(v)
            }
        }
        for v in hoisted where inLoop.contains(definingBlock[v] ?? -1) { reassigned.insert(v) }
        coalesceUpdates()
        findScalarBroadcasts()
        findProductSums()
        // Results updated in place are mutated after they are defined.
        for b in function.blocks {
            for i in b.instructions where SwiftFunctionEmitter.updatesInPlace.contains(i.op) {
                if let r = i.result { reassigned.insert(r) }
            }
        }
        findInlinable()
        findCountedLoops()
        findCheckedElementAdds()
        findSquareDots()
    }

    /// The zeros a counted loop's carried element pair writes every element of, one by one, before anything
    /// reads them (a fused gradient's adjoint): the `zeroslike` (in `zeroStarts`) is made uninitialized, the
    /// adds at i write their element (`toZeroAt`), and `finishZeroStart` after the loop writes the last one
    /// and zeros any the loop did not reach. The zero fill was 8 % of W3's gradient. The zeros must enter the
    /// loop by its one entry edge, made in the block that branches there and read by nothing else.
    private var zeroStarts: Set<ValueID> = []
    /// The loop-carried tensors (the header's parameters) those zeros enter as.
    private var zeroStartSpans: Set<ValueID> = []

    private mutating func findZeroStarts() {
        guard structured else { return }
        for (header, counted) in countedLoops {
            guard let spanned = elementLoops[header], let inside = loops.blocks[header] else { continue }
            let entering = entries(into: header, from: inside)
            guard entering.count == 1, let entry = entering.first else { continue }
            for v in spanned {
                guard carriedPair(v, in: counted) != nil,
                      let position = function.blocks[header].parameters.firstIndex(of: v) else { continue }
                let zeros = entry.target.arguments[position]
                guard definition(zeros)?.op == .zeroslike, useCount[zeros] == 1, definingBlock[zeros] == entry.from,
                      !hoisted.contains(zeros) else { continue }
                zeroStarts.insert(zeros)
                zeroStartSpans.insert(v)
            }
        }
    }

    private mutating func findScalarBroadcasts() {
        for b in function.blocks {
            var position: [ValueID: Int] = [:]
            for (k, i) in b.instructions.enumerated() { if let r = i.result { position[r] = k } }
            // The operators: `pow`, `maximum` and `minimum` are spelled as calls with no such form.
            for (q, i) in b.instructions.enumerated() where [.add, .sub, .mul, .div].contains(i.op) && i.operands.count == 2 {
                guard let r = i.result, i.operands.allSatisfy({ function.type(of: $0) == .tensor }),
                      i.operands[0] != i.operands[1] else { continue }
                for k in 0..<2 {
                    let f = i.operands[k]
                    guard useCount[f] == 1, let p = position[f], b.instructions[p].op == .fit, !hoisted.contains(f),
                          !fusedFits.contains(f), function.type(of: b.instructions[p].operands[0]) == .real else { continue }
                    let (real, like) = (b.instructions[p].operands[0], b.instructions[p].operands[1])
                    // The shape is read later than the fit was: nothing in between may update that tensor in place.
                    let root = storage[like] ?? like
                    guard b.instructions[(p + 1)..<q].allSatisfy({ between in
                        !between.operands.contains { (storage[$0] ?? $0) == root }
                            && between.result.map { (storage[$0] ?? $0) != root } ?? true
                    }) else { continue }
                    scalarBroadcasts[r] = (k, real, like)
                    fusedFits.insert(f)
                    break
                }
            }
        }
    }

    private mutating func findProductSums() {
        for b in function.blocks {
            for (k, i) in b.instructions.enumerated() where i.op == .mul && k + 1 < b.instructions.count {
                // The sum right after the product: nothing in between can update a or b.
                let sum = b.instructions[k + 1]
                guard let m = i.result, let r = sum.result, sum.op == .sum, sum.operands == [m], useCount[m] == 1,
                      !hoisted.contains(m), storage[m] == nil, scalarBroadcasts[m] == nil,
                      i.operands.allSatisfy({ function.type(of: $0) == .tensor }) else { continue }
                productSums[r] = (i.operands[0], i.operands[1], i.location)
                fusedProducts.insert(m)
            }
        }
    }

    /// `y = dot(x, x)`, read only by `toReal(y)` and as the shape of the head of its adjoint
    /// `dotAdjointOfSquare(h, like: y, x)`, all in one block, with h spelled from parameters and literals alone:
    /// the gradient of `c * dot(x, x)`. The three are one pass over x, as a person writes it (value and
    /// gradient together, no one-element tensor), made at the `dot`, named `square` + the dot's number.
    private struct SquareDot {
        var toReal: ValueID, adjoint: ValueID
        /// The head, spelled where the `dot` is.
        var head: String
        var variable: String
    }
    private var squareDots: [ValueID: SquareDot] = [:]
    /// The `toReal` and adjoint of each `squareDots` entry, by their results: the dot each reads.
    private var squareDotParts: [ValueID: ValueID] = [:]

    private mutating func findSquareDots() {
        guard structured, explain == nil, !squareAdjoints.isEmpty else { return }
        /// A parameter, a literal, or arithmetic written inline on them: spelled the same anywhere.
        func early(_ v: ValueID, depth: Int = 0) -> String? {
            if let literal = literals[v] { return literal }
            if function.parameters.contains(v) { return name(v) }
            guard depth < 4, inlinable.contains(v), let d = definition(v) else { return nil }
            var operands: [String] = []
            for o in d.operands {
                guard let spelled = early(o, depth: depth + 1) else { return nil }
                operands.append(spelled)
            }
            return expression(d, operands: operands).map { "(\($0))" }
        }
        for (r, square) in squareAdjoints {
            guard let broadcast = broadcastHeads[r], let dot = definition(broadcast.like), dot.op == .dot,
                  dot.operands == [square.operand, square.operand], useCount[broadcast.like] == 2,
                  let block = definingBlock[r], definingBlock[broadcast.like] == block,
                  let toReal = function.blocks[block].instructions.first(where: {
                      $0.op == .toreal && $0.operands == [broadcast.like] }),
                  let value = toReal.result, !hoisted.contains(value), !hoisted.contains(r),
                  let head = early(broadcast.real) else { continue }
            squareDots[broadcast.like] = SquareDot(toReal: value, adjoint: r, head: head,
                                                   variable: "square\(broadcast.like.index)")
            squareDotParts[value] = broadcast.like
            squareDotParts[r] = broadcast.like
        }
    }

    /// The `continue loopN` lines written, by loop header: a label with none is dropped.
    private var continues: [Int: Int] = [:]

    /// The adds of a loop's carried elements: `here` for the add at i, which takes the pending value too; the
    /// add at i + 1 only sets the pending value.
    /// `zero` when the element is still the zero the loop started with: it is written, not read (a fused
    /// gradient's adjoint, zeros before the loop).
    private var carriedAdds: [ValueID: (pending: String, here: Bool, zero: Bool)] = [:]

    /// Whether the loop-carried tensor `v` enters the loop as zeros.
    private func startsAtZero(_ v: ValueID, loop counted: CountedFor) -> Bool {
        guard let header = definingBlock[counted.index], let position = function.blocks[header].parameters.firstIndex(of: v),
              let inside = loops.blocks[header] else { return false }
        return entries(into: header, from: inside).allSatisfy { entry in
            [.zeroslike, .zeros].contains(definition(entry.target.arguments[position])?.op)
        }
    }

    /// The edges into loop header `header` from outside the loop's blocks `inside`.
    private func entries(into header: Int, from inside: Set<Int>) -> [(from: Int, target: BranchTarget)] {
        incomingEdges[header].filter { !inside.contains($0.from.index) }.map { edge in
            (edge.from.index, function.blocks[edge.from.index].terminator.successors[edge.successor])
        }
    }

    /// In `for i in a..<b`, a span that takes exactly one add at i and one at i + 1 (both at checked indices)
    /// and nothing else: element i + 1 is finished by the next iteration, so its first add stays in a register
    /// (`pending`) and goes in with the next iteration's add, `x̄[i] = (x̄[i] + pending) + v`, the additions in
    /// their order. Returns the two adds.
    private func carriedPair(_ v: ValueID, in counted: CountedFor) -> (here: Instruction, next: Instruction)? {
        guard counted.bound != nil, counted.body.arguments.isEmpty,
              case .branch(let back) = function.blocks[counted.body.block.index].terminator,
              back.block.index == definingBlock[counted.index] else { return nil }
        let body = function.blocks[counted.body.block.index].instructions
        let spannedHere = Set(elementLoops[back.block.index] ?? [])
        let touching = body.filter { i in i.operands.contains { storage[$0] == v } || i.result.map { storage[$0] == v } ?? false }
        guard touching.count == 2, touching.allSatisfy({ $0.op == .addat && checkedElementPairs.contains($0.result!) }),
              touching.allSatisfy({ $0.operands.count == 3 && function.type(of: $0.operands[1]) == .real }),
              let here = touching.first(where: { $0.operands[2] == counted.variable }),
              let next = touching.first(where: { t in
                  definition(t.operands[2]).map { $0.op == .add && $0.operands[0] == counted.variable
                                                  && literals[$0.operands[1]] == "1" } ?? false }),
              let h = body.firstIndex(of: here), let n = body.firstIndex(of: next),
              // The add at i is written first: it comes first, or both are in one run of adds, written in index order.
              h < n || body[n...h].allSatisfy({ i in
                  i.op == .const || i.op == .addat && (i.result.flatMap { storage[$0] }.map(spannedHere.contains) ?? false)
              })
        else { return nil }
        return (here, next)
    }

    /// Declares the pending values of the spans whose elements a counted loop carries (`pairs`, by span
    /// root); returns each span and its pending value.
    private mutating func carryElements(_ pairs: [ValueID: (here: Instruction, next: Instruction)], of counted: CountedFor,
                                        spanned: [ValueID], into w: inout SwiftWriter) -> [(span: String, pending: String, zeroStart: Bool)] {
        var carried: [(span: String, pending: String, zeroStart: Bool)] = []
        for v in spanned {
            guard let span = elementSpans[v], let (here, next) = pairs[v] else { continue }
            let pending = freshName("pending")
            // -0.0 adds nothing to any value, -0.0 included.
            w.line("var \(pending) = -0.0")
            carriedAdds[here.result!] = (pending, true, startsAtZero(v, loop: counted))
            carriedAdds[next.result!] = (pending, false, false)
            carried.append((span.span, pending, zeroStartSpans.contains(v)))
        }
        return carried
    }

    /// Element adds whose index a read of a tensor of the same shape checked earlier in the same block: in a
    /// fused gradient `x̄[i] += ...` follows the read of `x[i]`, so the add needs no check of its own.
    private var checkedElementAdds: Set<ValueID> = []
    /// Such adds where one block makes several to one span: written unchecked, swiftc makes the adds at i and
    /// i + 1 one vector load and store, which the next iteration's overlaps, and store forwarding fails (W3's
    /// gradient ran 4.9× slower, W7's 2×). The checks keep them apart, unless the loop carries the element.
    private var checkedElementPairs: Set<ValueID> = []

    private mutating func findCheckedElementAdds() {
        guard function.blocks.contains(where: { $0.instructions.contains { $0.op == .addat && $0.operands.count == 3 } })
        else { return }
        let witnesses = ShapeWitnesses.of(function)
        func witness(_ v: ValueID) -> ValueID { witnesses[v] ?? v }
        for block in function.blocks {
            var checked: Set<[ValueID]> = []
            var adds: [ValueID: [ValueID]] = [:]
            for i in block.instructions {
                guard let r = i.result else { continue }
                // A read written inline is evaluated where it is used, maybe after the add: only a statement counts.
                if i.op == .index, i.operands.count == 2, !inlinable.contains(r) {
                    checked.insert([witness(i.operands[0]), i.operands[1]])
                } else if i.op == .addat, i.operands.count == 3, checked.contains([witness(i.operands[0]), i.operands[2]]) {
                    adds[storage[r] ?? r, default: []].append(r)
                }
            }
            for group in adds.values {
                if group.count == 1 { checkedElementAdds.formUnion(group) } else { checkedElementPairs.formUnion(group) }
            }
        }
    }

    /// A loop whose header only tests `i < n` and leaves when it fails, entered with i = a and going around
    /// with i + 1: Swift's `for i in a..<n`, i a constant of each iteration instead of a variable of the
    /// function, the exit code after the loop (as a person writes it, and less for swiftc to check).
    /// A reverse sweep's loop counting k down from a while `k > 0`, reading only `k - 1`, is
    /// `for i in (0..<a).reversed()` with i that `k - 1`.
    struct CountedFor {
        /// The header parameter counted.
        var index: ValueID
        /// The Swift loop variable: the index itself, or `k - 1` counting down.
        var variable: ValueID
        var start: ValueID
        /// n of `i < n`; nil counting down.
        var bound: ValueID?
        /// The value passed around: i + 1 or k - 1.
        var step: ValueID
        var body: BranchTarget
        var exit: BranchTarget
    }
    /// The steps of `countedLoops` the loop itself makes (k - 1 counting down, an i + 1 nothing else reads):
    /// their instructions write nothing.
    private var loopVariables: Set<ValueID> = []

    /// Fills `countedLoops`. The loop must leave only from its header, and i must not be read after it
    /// (it has no value there); n is computed before the loop.
    private mutating func findCountedLoops() {
        guard explain == nil, let structurizer else { return }
        let incoming = incomingEdges
        for (header, blocks) in loops.blocks {
            let h = function.blocks[header]
            guard h.instructions.count == 1, let test = h.instructions.first, let c = test.result,
                  test.op == .lt || (test.op == .gt && literals[test.operands[1]] == "0"),
                  useCount[c] == 1, case .condBranch(c, let body, let exit) = h.terminator,
                  blocks.contains(body.block.index), !blocks.contains(exit.block.index), !structurizer.isMerge(exit.block),
                  let j = h.parameters.firstIndex(of: test.operands[0]), function.type(of: test.operands[0]) == .int,
                  !blocks.contains(definingBlock[test.operands[1]] ?? -1) else { continue }
            let i = h.parameters[j]
            let ascending = test.op == .lt
            // Every other edge out of the loop's blocks stays inside it.
            let leavesElsewhere = blocks.contains { b in
                b != header && function.blocks[b].terminator.successors.contains { !blocks.contains($0.block.index) }
            }
            let entries = incoming[header].filter { !blocks.contains($0.from.index) }
            guard !leavesElsewhere, entries.count == 1, !body.arguments.contains(i), !exit.arguments.contains(i) else { continue }
            // Around the loop i becomes i + 1 (k becomes k - 1, one value computed at the top of the body).
            var steps = true
            var next: Set<ValueID> = []
            for b in blocks {
                for target in function.blocks[b].terminator.successors where target.block.index == header {
                    next.insert(target.arguments[j])
                    guard let d = definition(target.arguments[j]), d.op == (ascending ? .add : .sub), d.operands[0] == i,
                          literals[d.operands[1]] == "1" else { steps = false; continue }
                }
            }
            guard steps, next.count == 1, let step = next.first else { continue }
            // The loop variable: i, or k - 1, which must be all the loop reads of k.
            let variable = ascending ? i : step
            if !ascending {
                guard definingBlock[step] == body.block.index, useCount[i] == 2, !body.arguments.contains(step),
                      function.blocks[body.block.index].parameters.isEmpty else { continue }
            }
            // Nothing outside the loop reads the variable (it has no value there).
            let readOutside = function.blocks.contains { b in
                !blocks.contains(b.id.index) && (b.instructions.contains { $0.operands.contains(variable) || $0.operands.contains(i) }
                                                 || b.terminator.operands.contains(variable) || b.terminator.operands.contains(i))
            }
            guard !readOutside, !exit.arguments.contains(variable) else { continue }
            let entry = function.blocks[entries[0].from.index].terminator.successors[entries[0].successor]
            countedLoops[header] = CountedFor(index: i, variable: variable, start: entry.arguments[j],
                                              bound: ascending ? test.operands[1] : nil, step: step, body: body, exit: exit)
            for v in [i, variable] {
                hoisted.remove(v)
                reassigned.remove(v)
            }
            // The step is the loop's own: its instruction writes nothing when only the back edges read it
            // (i + 1), or because it is the loop variable (k - 1).
            if !ascending || useCount[step] == 1 { loopVariables.insert(step) }
        }
    }

    /// Inline expressions nest at most this deep; the value that would go deeper gets a `let`. A chain of
    /// values each read once (an adjoint summed over a long straight-line function) otherwise became one
    /// expression of 65,000 characters: quadratic to build here, and slow for swiftc to type-check.
    static let inlineDepth = 8

    /// Fills `inlinable`: pure Real arithmetic (no trap, no effect, so it may run where it is read instead)
    /// whose one read is in the same block, of a value no source variable names. Nothing between the two can
    /// change its operands: Reals are assigned where defined, and block parameters only at the block's end.
    private mutating func findInlinable() {
        guard explain == nil, structured else { return }
        let arithmetic: Set<Opcode> = [.add, .sub, .mul, .div, .neg]
        var depth = ValueTable<Int>(count: function.valueTypes.count)
        var readHere = [Int](repeating: 0, count: function.valueTypes.count)
        for b in function.blocks {
            for i in b.instructions { for v in i.operands { readHere[v.index] += 1 } }
            for v in b.terminator.operands { readHere[v.index] += 1 }
            defer {
                for i in b.instructions { for v in i.operands { readHere[v.index] = 0 } }
                for v in b.terminator.operands { readHere[v.index] = 0 }
            }
            for i in b.instructions where arithmetic.contains(i.op) {
                guard let r = i.result, function.type(of: r) == .real, useCount[r] == 1, readHere[r.index] == 1,
                      function.valueNames[r.index] == nil, !hoisted.contains(r), !reassigned.contains(r),
                      storage[r] == nil, i.operands.allSatisfy({ function.type(of: $0) == .real }),
                      // Literals alone have no type yet (`-2.0 < 1.0` is ambiguous beside the runtime's operators).
                      i.operands.contains(where: { literals[$0] == nil }) else { continue }
                let nesting = 1 + (i.operands.map { depth[$0] ?? 0 }.max() ?? 0)
                guard nesting <= SwiftFunctionEmitter.inlineDepth else { continue }
                depth[r] = nesting
                inlinable.insert(r)
            }
        }
    }

    func name(_ v: ValueID) -> String {
        if !storage.isEmpty, let root = storage[v] { return name(root) }
        return literals[v] ?? inlined.expressions[v] ?? (v.index < names.count ? names[v.index] : nil) ?? Naming.defaultName(v.index)
    }

    /// Whether `v` is a constant written inline as a literal.
    func isLiteral(_ v: ValueID) -> Bool { literals[v] != nil }

    /// The `.adj` location an operation reports errors at (the function's own when the operation has none).
    func siteText(_ location: SourceLocation) -> String {
        let at = location.isKnown ? location : function.location
        return "Site(\(sourceName), \(at.line), \(at.column))"
    }

    func tapeName(_ tape: Int) -> String { "tapes.tape\(tape)" }

    /// Whether this function takes the call's tapes (and training flag) as its last argument.
    var takesTapes: Bool { tapeUsers.contains(function.name) }

    /// The function's Swift text.
    mutating func emit(into w: inout SwiftWriter, access: String) {
        var parameters = zip(function.parameterNames, function.parameterTypes).map {
            "\(SwiftFunctionEmitter.label($0)): \(SwiftFunctionEmitter.swiftType($1))"
        }
        var access = access
        if takesTapes {
            parameters.append("tapes: \(tapesType)")
            // The tapes class is internal: a public caller goes through the wrapper that makes one.
            access = access.replacingOccurrences(of: "public ", with: "")
        }
        let result = function.resultType == .void ? "" : " -> \(SwiftFunctionEmitter.swiftType(function.resultType))"
        w.block("\(access)func \(naming.function(function.name))(\(parameters.joined(separator: ", ")))\(result) {") { w in
            if let (version, k) = oneElementVersion {
                let labels = function.parameterNames.map(SwiftFunctionEmitter.label)
                let arguments = labels.map { "\($0): \($0)" }.joined(separator: ", ")
                w.line("if \(labels[k]).count == 1 { return \(naming.function(version))(\(arguments)) }")
            }
            for v in hoisted.sorted() {
                let type = function.type(of: v)
                if structurizer == nil {
                    // Swift cannot follow a state machine's flow: start every variable at a placeholder.
                    w.line("var \(name(v)): \(SwiftFunctionEmitter.swiftType(type)) = \(SwiftFunctionEmitter.placeholder(type))")
                } else {
                    w.line("\(reassigned.contains(v) ? "var" : "let") \(name(v)): \(SwiftFunctionEmitter.swiftType(type))")
                }
            }
            if let structurizer {
                findElementLoops()
                findZeroStarts()
                emit(structurizer.structure(), structurizer, into: &w)
            } else {
                emitDispatchLoop(into: &w)
            }
        }
    }

    // MARK: - Structured control flow

    private mutating func emit(_ code: StructuredCode, _ s: Structurizer, into w: inout SwiftWriter) {
        switch code {
        case .block(let id, let terminator):
            emitInstructions(of: id, into: &w)
            emitTerminator(terminator, from: id, s, into: &w)
        case .loop(let header, let body):
            reserveTapes(for: header, into: &w)
            let spanned = elementLoops[header.index] ?? []
            var carriedPairs: [ValueID: (here: Instruction, next: Instruction)] = [:]
            if let counted = countedLoops[header.index] {
                for v in spanned { carriedPairs[v] = carriedPair(v, in: counted) }
            }
            for v in spanned {
                let span = freshName("elements"), rank = freshName("rank")
                // Adds at checked indices check no rank.
                let carried = carriedPairs[v].map { [$0.here.result, $0.next.result] } ?? []
                let checksRank = (loops.blocks[header.index] ?? []).contains { b in
                    function.blocks[b].instructions.contains { i in
                        guard i.op == .addat, let r = i.result, storage[r] == v else { return false }
                        return !checkedElementAdds.contains(r) && !carried.contains(r)
                    }
                }
                w.line(checksRank ? "let \(rank) = \(name(v)).prepareElementUpdates()" : "_ = \(name(v)).prepareElementUpdates()")
                w.line("var \(span) = \(name(v)).scalars.mutableSpan")
                elementSpans[v] = (span, rank)
            }
            let read = parametersReadByElement(inLoop: header).filter { readSpans[$0] == nil }
            for p in read {
                let span = freshName(name(p) + "Elements"), rank = freshName(name(p) + "Rank")
                w.line("let \(span) = \(name(p)).scalars.span, \(rank) = \(name(p)).shape.count")
                readSpans[p] = (span, rank)
            }
            if let counted = countedLoops[header.index], case .block(header, _) = body {
                // Swift's range traps when the bound is below the start; the language's loop runs no times.
                // A variable nothing reads but the loop's own test and step is `_`.
                let unread = counted.bound == nil ? useCount[counted.variable] == 1
                                                  : useCount[counted.index] == 2 && useCount[counted.step] == 1
                let range: String
                if let bound = counted.bound {
                    let (start, end) = (name(counted.start), name(bound))
                    range = "\(start)..<" + (isCount(bound) && start == "0" ? end : "Swift.max(\(start), \(end))")
                } else {
                    let count = name(counted.start)
                    let trips = "0..<" + (isCount(counted.start) || literals[counted.start] != nil ? count : "Swift.max(0, \(count))")
                    range = unread ? trips : "(\(trips)).reversed()"
                }
                let carried = carryElements(carriedPairs, of: counted, spanned: spanned, into: &w)
                let line = w.position
                w.block("loop\(header.index): for \(unread ? "_" : name(counted.variable)) in \(range) {") { w in
                    emitBranch(counted.body, from: header, s, into: &w)
                    if w.dropLastLine("continue loop\(header.index)") { continues[header.index, default: 0] -= 1 }
                }
                if continues[header.index, default: 0] == 0 { w.dropLabel("loop\(header.index)", ofLineAt: line) }
                for (span, pending, zeroStart) in carried {
                    // The last iteration's add at i + 1, still in the register: its index, the bound, was read then.
                    let (start, bound) = (name(counted.start), name(counted.bound!))
                    w.line(zeroStart ? "\(span).finishZeroStart(\(pending), start: \(start), bound: \(bound))"
                                     : "if \(bound) > \(start) { \(span).add(\(pending), atChecked: \(bound)) }")
                }
                carriedAdds = [:]
                for v in spanned { elementSpans[v] = nil }
                // The exit code follows the loop in the same scope: the parameters' spans serve it too.
                emitBranch(counted.exit, from: header, s, into: &w)
                for p in read { readSpans[p] = nil }
                return
            }
            w.block("loop\(header.index): while true {") { w in emit(body, s, into: &w) }
            for v in spanned { elementSpans[v] = nil }
            for p in read { readSpans[p] = nil }
        case .merge(let body, let then, let next):
            w.block("block\(then.index): do {") { w in emit(body, s, into: &w) }
            emit(next, s, into: &w)
        }
    }

    private mutating func emitTerminator(_ terminator: Terminator, from block: BlockID, _ s: Structurizer,
                                         into w: inout SwiftWriter) {
        switch terminator {
        case .ret(let v):
            w.line(v.map { "return \(name($0))" } ?? "return")
        case .branch(let target):
            emitBranch(target, from: block, s, into: &w)
        case .condBranch(let c, let then, let otherwise):
            recordBranch(from: block, condition: c, into: &w)
            w.ifElse(name(c), then: { w in emitBranch(then, from: block, s, into: &w) },
                     else: { w in emitBranch(otherwise, from: block, s, into: &w) })
        }
    }

    private mutating func emitBranch(_ target: BranchTarget, from block: BlockID, _ s: Structurizer,
                                     into w: inout SwiftWriter) {
        recordLoopEntry(target, from: block, into: &w)
        emitArguments(target, into: &w)
        releaseDeadArguments(target, from: block, into: &w)
        switch s.jump(from: block, to: target.block) {
        case .continueLoop(let header):
            w.line("continue loop\(header.index)")
            continues[header.index, default: 0] += 1
        case .breakTo(let merge): w.line("break block\(merge.index)")
        case .inline(let code): emit(code, s, into: &w)
        }
    }

    /// Branch arguments as assignments to the target's parameters, one per line, ordered so that none
    /// overwrites a variable a later one still reads: the parallel copy made sequential, as translation out of
    /// SSA does; what a cycle leaves (a swap) is one tuple assignment. swiftc takes far longer over a tuple
    /// assignment than over separate ones (the loop-heavy program of 1,000 statements: 27.5 s against 19.6 s).
    private func emitArguments(_ target: BranchTarget, into w: inout SwiftWriter) {
        // A coalesced argument already lives in its parameter's variable.
        // A `for` loop's index is the loop's own (its start goes in the range).
        let index = countedLoops[target.block.index]?.index
        let all = zip(function.blocks[target.block.index].parameters, target.arguments)
        var pending: [(variable: String, value: String, reads: Set<String>)] = all.compactMap { parameter, argument in
            guard parameter != index, name(parameter) != name(argument) else { return nil }
            return (name(parameter), name(argument), variablesRead(by: argument))
        }
        while let k = pending.indices.first(where: { k in
            pending.indices.allSatisfy { j in j == k || !pending[j].reads.contains(pending[k].variable) }
        }) {
            w.line("\(pending[k].variable) = \(pending[k].value)")
            pending.remove(at: k)
        }
        guard !pending.isEmpty else { return }
        w.line("(" + pending.map(\.variable).joined(separator: ", ") + ") = ("
               + pending.map(\.value).joined(separator: ", ") + ")")
    }

    /// The variables the Swift expression of `v` reads: its own, or those of the arithmetic written inline.
    private func variablesRead(by v: ValueID) -> Set<String> {
        if literals[v] != nil { return [] }
        guard inlined.expressions[v] != nil, let d = definition(v) else { return [name(v)] }
        return d.operands.reduce(into: Set<String>()) { $0.formUnion(variablesRead(by: $1)) }
    }

    /// After the assignment, a tensor argument that is another block's parameter and is not read again before
    /// it is assigned anew lets go of its storage: else the two variables share one buffer, and the next
    /// in-place update of either copies it (a tensor updated in a loop with a branch would be copied every
    /// iteration). Phi coalescing by hand, for the parameters the structurizer keeps apart.
    private func releaseDeadArguments(_ target: BranchTarget, from block: BlockID, into w: inout SwiftWriter) {
        // Only a function that updates a tensor in place can be made to copy by a shared buffer.
        guard !storage.isEmpty else { return }
        let parameters = Set(function.blocks[target.block.index].parameters.map { name($0) })
        var released = Set<String>()
        for argument in target.arguments where function.type(of: argument) == .tensor {
            // A coalesced update lives in its operand's variable: that variable is the one to let go of.
            let variable = storage[argument] ?? argument
            // A block parameter, or a value of another block assigned more than once (a `var`): an update's
            // result passed on to a join.
            guard isBlockParameter(variable) || reassigned.contains(variable), definingBlock[variable] != 0,
                  hoisted.contains(variable),
                  !parameters.contains(name(variable)), !released.contains(name(variable)),
                  isUnread(variable, from: target.block.index), isUnread(argument, from: target.block.index) else { continue }
            released.insert(name(variable))
            w.line("\(name(variable)).release()")
        }
    }

    /// Whether no block from `start` on reads `v` before the block that defines it runs anew.
    private func isUnread(_ v: ValueID, from start: Int) -> Bool { !liveness.isLiveIn(v, start) }

    // MARK: - Irreducible control flow

    private mutating func emitDispatchLoop(into w: inout SwiftWriter) {
        w.line("var nextBlock = 0")
        w.block("dispatch: while true {") { w in
            w.block("switch nextBlock {") { w in
                for b in function.blocks {
                    w.line("case \(b.id.index):")
                    w.block("do {") { w in
                        emitInstructions(of: b.id, into: &w)
                        switch b.terminator {
                        case .ret(let v): w.line(v.map { "return \(name($0))" } ?? "return")
                        case .branch(let t):
                            recordLoopEntry(t, from: b.id, into: &w)
                            emitArguments(t, into: &w)
                            w.line("nextBlock = \(t.block.index)")
                        case .condBranch(let c, let t, let e):
                            recordBranch(from: b.id, condition: c, into: &w)
                            w.ifElse(name(c), then: { w in
                                recordLoopEntry(t, from: b.id, into: &w)
                                emitArguments(t, into: &w)
                                w.line("nextBlock = \(t.block.index)")
                            }, else: { w in
                                recordLoopEntry(e, from: b.id, into: &w)
                                emitArguments(e, into: &w)
                                w.line("nextBlock = \(e.block.index)")
                            })
                        }
                    }
                }
                w.line("default:")
                w.line("    fatalError(\"unreachable block \\(nextBlock)\")")
            }
        }
    }

    // MARK: - Instructions

    private mutating func emitInstructions(of block: BlockID, into w: inout SwiftWriter) {
        currentBlock = block.index
        let instructions = function.blocks[block.index].instructions
        var k = 0
        while k < instructions.count {
            guard spanRoot(instructions[k]) != nil else {
                // An expression written inline is quoted where it is read.
                if !(instructions[k].result.map(inlinable.contains) ?? false) {
                    quoteSource(instructions[k].location, into: &w)
                }
                emit(instructions[k], into: &w)
                k += 1
                continue
            }
            var run = [instructions[k]]
            // Constants between the adds write nothing (they are spelled where used).
            while k + run.count < instructions.count,
                  spanRoot(instructions[k + run.count]) != nil || instructions[k + run.count].op == .const {
                run.append(instructions[k + run.count])
            }
            for instruction in run where instruction.op == .const { emit(instruction, into: &w) }
            // Each span's adds together, in index order (different spans are different buffers): an adjoint and its
            // tangent's adds come interleaved, and the add at i must come before the one at i + 1 that a carried
            // pair keeps pending (`carriedPair`).
            let adds = run.filter { $0.op != .const }
            var roots: [ValueID] = []
            for add in adds where !roots.contains(spanRoot(add)!) { roots.append(spanRoot(add)!) }
            for root in roots {
                for instruction in inIndexOrder(adds.filter { spanRoot($0) == root }) {
                    quoteSource(instruction.location, into: &w)
                    emit(instruction, into: &w)
                }
            }
            k += run.count
        }
    }

    /// The tensor whose span an instruction adds one element to, while its loop is written.
    private func spanRoot(_ i: Instruction) -> ValueID? {
        guard i.op == .addat, i.operands.count == 3, let r = i.result, let root = storage[r], elementSpans[root] != nil
        else { return nil }
        return root
    }

    /// Adds to one span at `i + c` for one i and distinct constants c, lowest c first. They touch different
    /// elements, so the order changes no rounding; in a loop counting i down, lowest first leaves the most
    /// time between writing an element and the next iteration's add to it (W3's adjoint ran 2× slower
    /// when `x[i]` was read before `x[i + 1]`, which puts the adds the other way round).
    private func inIndexOrder(_ run: [Instruction]) -> [Instruction] {
        guard run.count > 1 else { return run }
        /// `i` as `i + 0`, and as `j + c` when it is computed so.
        func forms(_ index: ValueID) -> [ValueID: Int] {
            var forms = [index: 0]
            guard let d = definition(index), [.add, .sub].contains(d.op), d.operands.count == 2 else { return forms }
            if let c = literals[d.operands[1]].flatMap({ Int($0) }) {
                forms[d.operands[0]] = d.op == .add ? c : -c
            } else if d.op == .add, let c = literals[d.operands[0]].flatMap({ Int($0) }) {
                forms[d.operands[1]] = c
            }
            return forms
        }
        let all = run.map { forms($0.operands[2]) }
        guard let base = all[0].keys.sorted().first(where: { b in all.allSatisfy { $0[b] != nil } }) else { return run }
        let offsets = all.map { $0[base]! }
        guard Set(offsets).count == run.count else { return run }
        return zip(offsets, run).sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A comment with the source line an instruction comes from, when the line changes.
    private mutating func quoteSource(_ location: SourceLocation, into w: inout SwiftWriter) {
        guard location.isKnown, location.line != lastQuotedLine, let source, let text = source.line(location.line) else {
            return
        }
        lastQuotedLine = location.line
        // Blanks trimmed (Foundation's trimming bridged every line through NSString): ASCII spaces and tabs byte by
        // byte, then any other blank Character (grapheme by grapheme, which is slow, so only where one is left).
        func blank(_ c: Character) -> Bool { c.isWhitespace && !c.isNewline }
        func asciiBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var (start, end) = (text.startIndex, text.endIndex)
        while start < end, asciiBlank(text.utf8[start]) { start = text.utf8.index(after: start) }
        while end > start, asciiBlank(text.utf8[text.utf8.index(before: end)]) { end = text.utf8.index(before: end) }
        while start < end, blank(text[start]) { text.formIndex(after: &start) }
        while end > start, blank(text[text.index(before: end)]) { text.formIndex(before: &end) }
        let quoted = text[start..<end]
        let role: String
        switch function.role {
        case .reverseSweep: role = "adjoint of: "
        case .tangent: role = "tangent of: "
        default: role = ""
        }
        w.comment(role + quoted)
    }

    /// Finds the updates that write into their operand's variable (see `storage`): the operand is read
    /// there alone, and the result is read only in the same block (so no other assignment to the variable
    /// can come between its definition and its reads).
    private mutating func coalesceUpdates() {
        var usedOutside = Set<ValueID>()
        for b in function.blocks {
            for v in b.instructions.flatMap(\.operands) + b.terminator.operands where definingBlock[v] != b.id.index {
                usedOutside.insert(v)
            }
        }
        for b in function.blocks {
            for (k, i) in b.instructions.enumerated() {
                guard let r = i.result, isInPlaceUpdate(i), !usedOutside.contains(r) else { continue }
                let a = i.operands[0]
                guard literals[a] == nil, !function.parameters.contains(a), isDead(a, after: b.id.index, from: k) else { continue }
                let root = storage[a] ?? a
                storage[r] = root
                if hoisted.contains(root) { reassigned.insert(root) } else { mutableLocals.insert(root) }
            }
        }
    }

    /// Whether `v` is read once in `block` and not again before its defining block runs anew; with `from`,
    /// whether the instruction at that index is the last to read it in `block` (earlier reads are done).
    private func isDead(_ v: ValueID, after block: Int, from index: Int? = nil) -> Bool {
        guard let index else { return liveness.isReadOnceAndDies(v, in: block) }
        return liveness.isLastRead(v, in: block, at: index)
    }

    /// `setindex`, `setslice`, `addat`, `setselect`, `addselect` and a tensor's `fit` to another tensor, which have in-place forms.
    private func isInPlaceUpdate(_ i: Instruction) -> Bool {
        guard i.operands.count >= 2, function.type(of: i.operands[0]) == .tensor else { return false }
        if i.op == .fit { return function.type(of: i.operands[1]) == .tensor }
        return SwiftFunctionEmitter.updatesInPlace.contains(i.op)
    }

    /// The in-place form of an update, applied to `variable` (which holds the old tensor).
    private func emitInPlace(_ instruction: Instruction, variable: String, operands x: [String],
                             into w: inout SwiftWriter) {
        let site = siteText(instruction.location)
        let indices = "[" + x.dropFirst(instruction.op == .setslice ? 4 : 2).joined(separator: ", ") + "]"
        let scalarAtOneIndex = instruction.operands.count == 3 && function.type(of: instruction.operands[1]) == .real
        switch instruction.op {
        case .fit: w.line("\(variable).fitShape(like: \(x[1]), at: \(site))")
        case .setindex:
            w.line(scalarAtOneIndex ? "\(variable).set(\(x[2]), to: \(x[1]), at: \(site))"
                                    : "\(variable).set(\(indices), to: \(x[1]), at: \(site))")
        case .setslice: w.line("\(variable).setSlice(\(x[2]), \(x[3]), to: \(x[1]), at: \(site))")
        case .setselect:
            w.line("\(variable).setSelection(\(selectionArguments(instruction, indices: x.dropFirst(2))), to: \(x[1]), at: \(site))")
        case .addselect:
            w.line("\(variable).addToSelection(\(selectionArguments(instruction, indices: x.dropFirst(2))), \(x[1]), at: \(site))")
        default:
            if scalarAtOneIndex, let root = instruction.result.flatMap({ storage[$0] }), let span = elementSpans[root] {
                if let r = instruction.result, let carried = carriedAdds[r] {
                    w.line(carried.here ? "\(span.span).add(\(carried.pending), \(x[1]), \(carried.zero ? "toZeroAt" : "atChecked"): \(x[2]))"
                                        : "\(carried.pending) = \(x[1])")
                    return
                }
                if let r = instruction.result, checkedElementAdds.contains(r) {
                    w.line("\(span.span).add(\(x[1]), atChecked: \(x[2]))")
                    return
                }
                w.line("\(span.span).add(\(x[1]), at: \(x[2]), rank: \(span.rank), site: \(site))")
            } else {
                w.line("\(variable).add(\(x[1]), at: \(scalarAtOneIndex ? x[2] : indices), site: \(site))")
            }
        }
    }

    /// Before a counted loop (`i < n` at its header, i stepped by 1, or `k > 0` stepped by −1, as a reverse
    /// sweep counts its trips down): room on each tape for what every
    /// iteration pushes, so the loop's pushes never reallocate and copy the tape (a tape grown by doubling
    /// moves every entry about once more). A block runs every iteration when it dominates the back edge.
    private func reserveTapes(for header: BlockID, into w: inout SwiftWriter) {
        guard takesTapes, let blocks = loops.blocks[header.index],
              case .condBranch(let c, let then, let otherwise) = function.blocks[header.index].terminator,
              blocks.contains(then.block.index), !blocks.contains(otherwise.block.index),
              let test = definition(c), test.op == .lt || test.op == .gt, let i = test.operands.first,
              function.blocks[header.index].parameters.contains(i), let bound = test.operands.last,
              !blocks.contains(definingBlock[bound] ?? -1) || literals[bound] != nil else { return }
        let latches = function.blocks.filter { b in
            blocks.contains(b.id.index) && b.terminator.successors.contains { $0.block == header }
        }
        // i enters the loop as the header parameter and comes back as i + 1 (i - 1 for `>`) on every back edge.
        let j = function.blocks[header.index].parameters.firstIndex(of: i)!
        let stepOp: Opcode = test.op == .lt ? .add : .sub
        for latch in latches {
            for target in latch.terminator.successors where target.block == header {
                guard let step = definition(target.arguments[j]), step.op == stepOp, step.operands.first == i,
                      let one = step.operands.last, literals[one] == "1" else { return }
            }
        }
        var perIteration: [Int: Int] = [:]
        for b in blocks.sorted() where latches.allSatisfy({ dominators.dominates(BlockID(b), $0.id) }) {
            for instruction in function.blocks[b].instructions where instruction.op == .push {
                if case .tape(let t) = instruction.payload { perIteration[t, default: 0] += 1 }
            }
        }
        for (tape, pushes) in perIteration.sorted(by: { $0.key < $1.key }) {
            // Before a `for` loop its index has no variable yet: it starts at the loop's start.
            let first = countedLoops[header.index].map { name($0.start) } ?? name(i)
            let trips = test.op == .lt ? "Swift.max(0, \(name(bound)) - \(first))" : "Swift.max(0, \(first) - \(name(bound)))"
            w.line("\(tapeName(tape)).reserve(\(tapeName(tape)).count + \(pushes == 1 ? trips : "\(pushes) * \(trips)"))")
        }
    }

    private func definition(_ v: ValueID) -> Instruction? {
        guard let b = definingBlock[v] else { return nil }
        return function.blocks[b].instructions.first { $0.result == v }
    }

    /// A Swift name no value of the function has.
    private mutating func freshName(_ stem: String) -> String {
        var k = 1
        while usedNames.contains("\(stem)\(k)") { k += 1 }
        usedNames.insert("\(stem)\(k)")
        return "\(stem)\(k)"
    }

    /// Fills `elementLoops`: for each loop, outermost first, the coalesced tensor variables read or written
    /// in it only by in-place adds of a Real at one index. Leaving the loop may use them freely (the span's
    /// access ends at its last use); inside, any other use would overlap the span's exclusive access.
    /// A loop whose exit code holds another loop is left alone: that code is written inside the Swift loop,
    /// and swiftc 6.3 then keeps the span's access open across it (overlapping any use there; the shape is
    /// in CodegenTests' `spansEndBeforeALoopInTheExitCode`).
    private mutating func findElementLoops() {
        var members: [ValueID: Set<ValueID>] = [:]
        for (v, root) in storage { members[root, default: [root]].insert(v) }
        let outermostFirst = loops.blocks.sorted { $0.value.count > $1.value.count }
        var spanned: [ValueID: Set<Int>] = [:]  // the blocks of the loop each variable is spanned over
        for (header, blocks) in outermostFirst {
            let exitHoldsALoop = loops.blocks.keys.contains { other in
                !blocks.contains(other) && dominators.dominates(BlockID(header), BlockID(other))
            }
            guard !exitHoldsALoop else { continue }
            for (root, group) in members.sorted(by: { $0.key < $1.key }) where function.type(of: root) == .tensor
                && hoisted.contains(root) && !(spanned[root]?.contains(header) ?? false) {
                var updated = false
                var qualifies = true
                for b in blocks where qualifies {
                    let block = function.blocks[b]
                    for i in block.instructions where i.operands.contains(where: group.contains)
                        || i.result.map(group.contains) == true {
                        let isElementAdd = i.op == .addat && i.operands.count == 3 && group.contains(i.operands[0])
                            && function.type(of: i.operands[1]) == .real && !group.contains(i.operands[2])
                            && i.result.map { storage[$0] == root } == true
                        if isElementAdd { updated = true } else { qualifies = false; break }
                    }
                    for target in block.terminator.successors where blocks.contains(target.block.index) {
                        // Inside the loop the variable only passes to itself (a coalesced loop-carried value).
                        let parameters = function.blocks[target.block.index].parameters
                        for (p, a) in zip(parameters, target.arguments) where group.contains(p) || group.contains(a) {
                            if name(p) != name(a) { qualifies = false }
                        }
                    }
                    if case .condBranch(let c, _, _) = block.terminator, group.contains(c) { qualifies = false }
                }
                guard qualifies, updated else { continue }
                elementLoops[header, default: []].append(root)
                spanned[root, default: []].formUnion(blocks)
            }
        }
    }

    /// Whether `v` is a count (`size`), never negative.
    private func isCount(_ v: ValueID) -> Bool { definition(v)?.op == .size }

    /// The Tensor parameters the loop at `header` reads single elements of (`x[i]`, one index).
    private func parametersReadByElement(inLoop header: BlockID) -> [ValueID] {
        guard explain == nil, let blocks = loops.blocks[header.index] else { return [] }
        var read: Set<ValueID> = []
        for b in blocks {
            for i in function.blocks[b].instructions where i.op == .index && i.operands.count == 2 {
                if function.parameters.contains(i.operands[0]), function.type(of: i.operands[0]) == .tensor {
                    read.insert(i.operands[0])
                }
            }
        }
        return read.sorted()
    }

    /// Tensor updates that can work in place when the old tensor is not used again.
    static let updatesInPlace: Set<Opcode> = [.setindex, .setslice, .addat, .setselect, .addselect]

    /// Whether this is the last use of a tensor on every path, so its storage can move on instead of being
    /// shared (and then copied by the next update): a local tensor read once in this block, and not read again
    /// before the block that defines it runs again.
    private func isLastUse(_ v: ValueID) -> Bool {
        // Swift's own check cannot follow a state machine's flow, so moves are only made in structured code.
        // Only locals read in one place move: swiftc 6.3.1 -O miscompiles moves of function-level variables
        // assigned inside loops (found by the random programs), so hoisted values never move.
        // A value living in another's variable (copy coalescing) is that variable: never moved.
        guard structured, storage[v] == nil, !hoisted.contains(v) || isBlockParameter(v), function.type(of: v) == .tensor,
              literals[v] == nil, !function.parameters.contains(v) else { return false }
        return isDead(v, after: currentBlock)
    }

    /// Whether `v` is read for the last time here and lives in a block parameter's variable (it is the parameter,
    /// or updates of it coalesced there), which can let go of its storage for an update to take it over.
    private func handsOverParameter(_ v: ValueID) -> Bool {
        let root = storage[v] ?? v
        guard structured, function.type(of: v) == .tensor, literals[v] == nil, !function.parameters.contains(root),
              isBlockParameter(root), hoisted.contains(root) else { return false }
        return isDead(v, after: currentBlock)
    }

    private func isBlockParameter(_ v: ValueID) -> Bool {
        function.blocks[definingBlock[v] ?? 0].parameters.contains(v)
    }

    private func emit(_ instruction: Instruction, into w: inout SwiftWriter) {
        if let r = instruction.result, loopVariables.contains(r) { return }
        var x = instruction.operands.map { name($0) }
        if let r = instruction.result, fusedFits.contains(r) || fusedProducts.contains(r) { return }
        if let r = instruction.result, let broadcast = scalarBroadcasts[r] {
            x[broadcast.position] = "\(name(broadcast.real)), like: \(name(broadcast.like))"
        }
        if let r = instruction.result, let product = productSums[r] {
            define(r, "Tensor.sumOfProducts(\(name(product.a)), \(name(product.b)), at: \(siteText(product.location)))", into: &w)
            return
        }
        if let r = instruction.result, let square = squareDots[r] {
            w.line("let \(square.variable) = squareDot(\(x[0]), head: \(square.head), at: \(siteText(instruction.location)))")
            return
        }
        if let r = instruction.result, let dot = squareDotParts[r], let square = squareDots[dot] {
            if r == square.toReal {
                define(r, "\(square.variable).value ?? toReal(\(square.variable).dot!, at: \(siteText(instruction.location)))",
                       into: &w)
            } else {
                define(r, "\(square.variable).adjoint ?? dotAdjointOfSquare(\(square.head), like: \(square.variable).dot!, "
                       + "\(name(squareAdjoints[r]!.operand)), at: \(siteText(instruction.location)))", into: &w)
            }
            return
        }
        if let r = instruction.result, let square = squareAdjoints[r] {
            let head = broadcastHeads[r].map { "\(name($0.real)), like: \(name($0.like))" } ?? name(square.head)
            define(r, "dotAdjointOfSquare(\(head), \(name(square.operand)), at: \(siteText(instruction.location)))", into: &w)
            return
        }
        if let r = instruction.result, let fit = partSums[r], let sum = fit.result {
            define(sum, "\(x[0]).partSum(\(x.count == 2 ? x[1] : "[" + x.dropFirst().joined(separator: ", ") + "]"), "
                   + "at: \(siteText(instruction.location)))", into: &w)
            return
        }
        if let r = instruction.result, storage[r] != nil {
            emitInPlace(instruction, variable: x[0], operands: x, into: &w)
            return
        }
        // `fit` hands its first argument back when the shapes already agree: moving it in keeps the storage
        // unshared, so an update of the result can happen in place.
        // A block parameter read for the last time is instead let go of after the instruction (below).
        var release: ValueID?
        if instruction.op == .fit, isLastUse(instruction.operands[0]) {
            if isBlockParameter(instruction.operands[0]) {
                release = instruction.operands[0]
            } else {
                x[0] = "consume \(x[0])"
            }
        }
        defer {
            // Drop the parameter's reference so the result's storage is unshared; it is assigned again before
            // any later read.
            if let p = release { w.line("\(name(p)) = Tensor(shape: [0], scalars: [])") }
        }
        // Block parameters are never moved (`consume p`): swiftc 6.3.1 -O miscompiles moves of loop-carried
        // tensors assigned on several paths (crashes in swift_release, found by the random programs).
        if SwiftFunctionEmitter.updatesInPlace.contains(instruction.op), let r = instruction.result,
           isLastUse(instruction.operands[0]), !isBlockParameter(instruction.operands[0]) {
            x[0] = "consume \(x[0])"
            // The old tensor is dead: update it in place under the new name rather than copying it.
            w.line(hoisted.contains(r) ? "\(name(r)) = \(x[0])" : "var \(name(r)) = \(x[0])")
            emitInPlace(instruction, variable: name(r), operands: x, into: &w)
            return
        }
        if SwiftFunctionEmitter.updatesInPlace.contains(instruction.op), let r = instruction.result,
           handsOverParameter(instruction.operands[0]) {
            // A block parameter (a `var`) read for the last time hands its storage to the result: the reference
            // is copied, the parameter lets go of it, and the update happens in place. A loop-carried adjoint
            // updated in a block after its header, then joined from two branches, is never copied.
            w.line(hoisted.contains(r) ? "\(name(r)) = \(x[0])" : "var \(name(r)) = \(x[0])")
            w.line("\(x[0]).release()")
            emitInPlace(instruction, variable: name(r), operands: x, into: &w)
            return
        }
        switch instruction.op {
        case .print:
            guard case .print(let items) = instruction.payload else { return }
            // A Real prints through `description`, as the interpreter does (`print` alone writes "-nan").
            var values = zip(x, instruction.operands).map { text, v in
                function.type(of: v) == .real ? "\(text).description" : text
            }.makeIterator()
            let parts = items.map { item -> String in
                switch item {
                case .text(let s): return SwiftFunctionEmitter.stringLiteral(s)
                case .value: return values.next() ?? ""
                }
            }
            w.line("print(\(parts.joined(separator: ", ")))")
        case .push:
            guard case .tape(let tape) = instruction.payload else { return }
            w.line("\(tapeName(tape)).push(\(byteTapes.contains(tape) ? "UInt8(\(x[0]))" : x[0]))")
        case .settraining:
            if let r = instruction.result { define(r, "tapes.isTraining", into: &w) }
            w.line("tapes.isTraining = \(x[0])")
        case .const:
            return  // written where used
        default:
            guard var expression = expression(instruction, operands: x) else { return }
            if let r = instruction.result, zeroStarts.contains(r) { expression = "Tensor.uninitialized(like: \(x[0]))" }
            if let r = instruction.result {
                define(r, expression, into: &w)
            } else {
                w.line(expression)
            }
            recordNonSmoothPoint(instruction, operands: x, into: &w)
        }
    }

    // MARK: - Explain

    /// Records which way a conditional branch went (when `--explain` records this function).
    private func recordBranch(from block: BlockID, condition: ValueID, into w: inout SwiftWriter) {
        let at = function.blocks[block.index].terminatorLocation
        guard explain != nil, at.isKnown else { return }
        w.line("explainBranch(\(at.line), \(at.column), taken: \(name(condition)))")
    }

    /// Records the start of a loop's run when a branch enters its header from outside the loop.
    private func recordLoopEntry(_ target: BranchTarget, from block: BlockID, into w: inout SwiftWriter) {
        let header = function.blocks[target.block.index]
        guard explain != nil, loops.isHeader(header.id), !dominators.dominates(header.id, block),
              case .condBranch = header.terminator, header.terminatorLocation.isKnown else { return }
        w.line("explainEnterLoop(\(header.terminatorLocation.line), \(header.terminatorLocation.column))")
    }

    /// Counts the non-smooth points an instruction meets where an operand depends on the differentiated inputs.
    private func recordNonSmoothPoint(_ instruction: Instruction, operands x: [String], into w: inout SwiftWriter) {
        guard let dependent = explain, let point = instruction.op.nonSmoothPoint, instruction.location.isKnown,
              instruction.operands.contains(where: dependent.contains) else { return }
        let at = instruction.location
        let words = "\(SwiftFunctionEmitter.stringLiteral(point.operation)), \(SwiftFunctionEmitter.stringLiteral(point.convention))"
        let count: String
        switch point.test {
        case .zero: count = "explainZeros(\(x[0]))"
        case .integer: count = "explainIntegers(\(x[0]))"
        case .equalOperands:
            if instruction.op.isComparison {
                guard instruction.operands.allSatisfy({ function.type(of: $0) == .real }) else { return }
                count = "\(x[0]) == \(x[1]) ? 1 : 0"
            } else {
                count = "explainTies(\(x[0]), \(x[1]))"
            }
        case .extremeAttainedTwice:
            guard let r = instruction.result else { return }
            w.line("explainExtreme(\(at.line), \(at.column), \(words), \(x[0]), \(name(r)))")
            return
        }
        w.line("explainKink(\(at.line), \(at.column), \(words), \(count))")
    }

    private func define(_ v: ValueID, _ expression: String, into w: inout SwiftWriter) {
        if inlinable.contains(v) {
            inlined.expressions[v] = "(\(expression))"
            return
        }
        let type = function.type(of: v)
        let isVoid = type == .void || type == .tuple([])
        if hoisted.contains(v) {
            w.line("\(name(v)) = \(expression)")
        } else if useCount[v, default: 0] == 0 {
            // Computed for its effect or its error; a named value would warn, and so would `_ =` of a Void call.
            if !isVoid { w.line("_ = \(expression)") } else if expression != "()" { w.line(expression) }
        } else {
            let keyword = mutableLocals.contains(v) ? "var" : "let"
            w.line(isVoid ? "let \(name(v)): Void = \(expression)" : "\(keyword) \(name(v)) = \(expression)")
        }
    }

    /// A value of the type to initialize a state machine's variables with (never read).
    static func placeholder(_ type: ValueType) -> String {
        switch type {
        case .real: return "0.0"
        case .int: return "0"
        case .bool: return "false"
        case .tensor: return "Tensor.literal([], [0.0])"
        case .void: return "()"
        case .tuple(let elements):
            return elements.count == 1 ? placeholder(elements[0]) : "(" + elements.map(placeholder).joined(separator: ", ") + ")"
        }
    }

    static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}

/// The expressions written inline in place of their values' names, filled as the function is written.
final class InlinedExpressions {
    var expressions: [ValueID: String] = [:]
}
