// Transforms stage, after differentiation: a tensor built element by element only to be multiplied by
// another and summed is that sum, accumulated where its elements are added.
//
// The value of a Hessian-vector product, `sum(grad(f)(x) * v)`, calls f's gradient tangent, which builds
// ∇f from zeros by `addat` in a loop and returns it; the caller multiplies it by v and sums. A person
// adds each term times v[i] into one number and never stores ∇f. So where a call's result part is such a
// tensor t and the caller only reads it as `sum(t * w)`, the call goes to a copy of the callee that takes
// w and returns Σ t[i]·w[i] in that part: each `addat t, a, i` becomes `s + a * w[i]`, the zeros 0; a t
// returned times a Real h returns the sum times h.
//
// The sum is regrouped ((a + b)·w[i] as a·w[i] + b·w[i]): equal in exact arithmetic, within rounding in
// Double. The copy takes that path only when w has t's shape, with as many axes as each `addat` has
// indices, so w[i] fails exactly where the `addat` would, with the same message; otherwise it calls the
// callee and multiplies and sums as the caller did. Between the call and the sum the caller may do
// nothing that can fail, so doing the sum inside the call changes no error a run meets.
import AdjointBasic
import AdjointIR

enum AccumulatedProducts {
    /// A call's result part read only as `sum(t * w)`.
    private struct Site {
        var block: Int
        var call: Int
        /// Tuple indices from the call's result to t.
        var path: [Int]
        /// The extracts from the call's result down to t, outermost first.
        var extracts: [Int]
        var product: Int
        var sum: Int
        var weights: ValueID
        /// Whether t is the product's first operand.
        var accumulatedFirst: Bool
    }

    static func run(on module: inout Module) {
        var made: [String: String] = [:]
        for callerName in module.functions.map(\.name) {
            // Calls whose callee cannot be specialized, so the search moves past them.
            var refused = Set<[Int]>()
            while let caller = module.function(named: callerName), let site = findSite(in: caller, skipping: refused) {
                let instructions = caller.blocks[site.block].instructions
                guard case .callee(let calleeName) = instructions[site.call].payload,
                      let callee = module.function(named: calleeName) else { break }
                // One copy per callee, part and the caller's product and sum (whose errors the copy reports).
                let key = "\(calleeName) \(site.path) \(site.accumulatedFirst) "
                    + "\(instructions[site.product].location) \(instructions[site.sum].location)"
                if made[key] == nil, let copy = specialize(callee, site: site, caller: caller,
                                                           existing: Set(module.functions.map(\.name))) {
                    module.functions.insert(copy, at: module.functions.firstIndex { $0.name == calleeName }! + 1)
                    made[key] = copy.name
                }
                // The copy may go before the caller: find the caller again.
                let index = module.functions.firstIndex { $0.name == caller.name }!
                guard let name = made[key] else {
                    refused.insert([site.block, site.call])
                    continue
                }
                rewriteCaller(&module.functions[index], site: site, callee: name)
            }
        }
    }

    // MARK: - Finding the pattern in the caller

    private static func findSite(in f: Function, skipping refused: Set<[Int]>) -> Site? {
        // Most functions have no call or no sum: one scan, no tables.
        var (calls, sums) = (false, false)
        for block in f.blocks {
            for i in block.instructions {
                calls = calls || i.op == .call
                sums = sums || i.op == .sum
            }
        }
        guard calls, sums else { return nil }
        var uses = ValueTable<[(block: Int, index: Int)]>(count: f.valueTypes.count)
        var terminatorUses = Set<ValueID>()
        for (b, block) in f.blocks.enumerated() {
            for (k, i) in block.instructions.enumerated() {
                for v in i.operands { uses[v, default: []].append((b, k)) }
            }
            terminatorUses.formUnion(block.terminator.operands)
        }
        for (b, block) in f.blocks.enumerated() {
            var position: [ValueID: Int] = [:]  // per block: a table of every value per block would be quadratic
            for (k, i) in block.instructions.enumerated() { if let r = i.result { position[r] = k } }
            for (s, sum) in block.instructions.enumerated() where sum.op == .sum {
                guard let p = position[sum.operands[0]], block.instructions[p].op == .mul,
                      uses[sum.operands[0]]?.count == 1, !terminatorUses.contains(sum.operands[0]) else { continue }
                let product = block.instructions[p]
                for (side, t) in product.operands.enumerated() {
                    let w = product.operands[1 - side]
                    guard f.type(of: t) == .tensor, f.type(of: w) == .tensor, t != w,
                          uses[t]?.count == 1, !terminatorUses.contains(t) else { continue }
                    // t down from a call's result through extracts, each read by extracts alone.
                    var path: [Int] = [], extracts: [Int] = []
                    var v = t, call: Int?
                    while let k = position[v] {
                        let i = block.instructions[k]
                        if i.op == .call { call = k; break }
                        guard i.op == .extract, case .index(let j) = i.payload else { break }
                        path.insert(j, at: 0)
                        extracts.insert(k, at: 0)
                        v = i.operands[0]
                    }
                    guard let c = call, !path.isEmpty, case .callee = block.instructions[c].payload,
                          !refused.contains([b, c]) else { continue }
                    let chain = [block.instructions[c].result!] + extracts.dropLast().map { block.instructions[$0].result! }
                    // Every value on the way is read by extracts alone, and the part on the path by this one alone.
                    let onlyExtracts = zip(chain, path).allSatisfy { v, j in
                        !terminatorUses.contains(v) && (uses[v] ?? []).allSatisfy { use in
                            let i = f.blocks[use.block].instructions[use.index]
                            return i.op == .extract && (i.payload != .index(j) || (use.block == b && extracts.contains(use.index)))
                        }
                    }
                    // w is there before the call, and nothing between the call and the sum can fail.
                    let between = (c + 1)..<s
                    guard onlyExtracts, position[w].map({ $0 < c }) ?? true,
                          between.allSatisfy({ k in
                              k == p || [.extract, .const, .tuple].contains(block.instructions[k].op)
                          }) else { continue }
                    return Site(block: b, call: c, path: path, extracts: extracts, product: p, sum: s,
                                weights: w, accumulatedFirst: side == 0)
                }
            }
        }
        return nil
    }

    /// Whether `i` reads only the shape of its operand at `position` (`fit`'s like, `zeroslike`'s model, `size`).
    private static func readsShapeOnly(_ i: Instruction, _ position: Int) -> Bool {
        switch i.op {
        case .fit: return position == 1
        case .zeroslike, .oneslike, .size: return true
        default: return false
        }
    }

    /// `type` with the part at `path` a Real.
    private static func summed(_ type: ValueType, at path: ArraySlice<Int>) -> ValueType {
        guard let first = path.first, case .tuple(var parts) = type else { return .real }
        parts[first] = summed(parts[first], at: path.dropFirst())
        return .tuple(parts)
    }

    private static func rewriteCaller(_ f: inout Function, site: Site, callee: String) {
        var instructions = f.blocks[site.block].instructions
        instructions[site.call].payload = .callee(callee)
        instructions[site.call].operands.append(site.weights)
        let callResult = instructions[site.call].result!
        f.valueTypes[callResult.index] = summed(f.type(of: callResult), at: site.path[...])
        for (depth, k) in site.extracts.enumerated() {
            let r = instructions[k].result!
            f.valueTypes[r.index] = summed(f.type(of: r), at: site.path[(depth + 1)...])
        }
        let leaf = instructions[site.extracts.last!].result!
        let total = instructions[site.sum].result!
        instructions.remove(at: site.sum)
        instructions.remove(at: site.product)
        f.blocks[site.block].instructions = instructions
        f.replaceUses(of: total, with: leaf)
    }

    // MARK: - The callee's copy

    /// The copy of `callee` that takes w last and returns Σ t[i]·w[i] at the site's path; nil when the part
    /// is not built from zeros by adds of Reals at elements alone.
    private static func specialize(_ original: Function, site: Site, caller: Function, existing: Set<String>) -> Function? {
        // What `UnreadResults` left behind would read the part.
        var callee = original
        DeadCode.run(on: &callee)
        var definition = ValueTable<(block: Int, index: Int)>(count: callee.valueTypes.count)
        var useCount = ValueTable<Int>(count: callee.valueTypes.count)
        var blockOfParameter = ValueTable<(block: Int, position: Int)>(count: callee.valueTypes.count)
        for (b, block) in callee.blocks.enumerated() {
            for (k, p) in block.parameters.enumerated() where b > 0 { blockOfParameter[p] = (b, k) }
            for (k, i) in block.instructions.enumerated() {
                if let r = i.result { definition[r] = (b, k) }
                for (position, v) in i.operands.enumerated() where !readsShapeOnly(i, position) { useCount[v, default: 0] += 1 }
            }
            for v in block.terminator.operands { useCount[v, default: 0] += 1 }
        }
        func instruction(_ v: ValueID) -> Instruction? {
            definition[v].map { callee.blocks[$0.block].instructions[$0.index] }
        }
        // Each return's tuple path down to the leaf, every tuple on it read once.
        // A leaf may be scaled once by a Real (a gradient times its head, `HeadScaling`): Σ (t[i]·h)·w[i] is
        // then (Σ t[i]·w[i])·h.
        var leaves: [ValueID] = [], pathTuples: [ValueID] = [], scalings = Set<ValueID>()
        for block in callee.blocks {
            guard case .ret(let returned) = block.terminator else { continue }
            guard var v = returned else { return nil }
            for j in site.path {
                guard let tuple = instruction(v), tuple.op == .tuple, useCount[v] == 1 else { return nil }
                pathTuples.append(v)
                v = tuple.operands[j]
            }
            if let scaling = instruction(v), scaling.op == .mul, useCount[v] == 1,
               callee.type(of: scaling.operands[0]) == .tensor, callee.type(of: scaling.operands[1]) == .real {
                scalings.insert(v)
                v = scaling.operands[0]
            }
            leaves.append(v)
        }
        // The web of values that are t: adds at elements and block parameters, from zeros (the roots; a root
        // may have other readers, which keep it).
        var web = Set<ValueID>(), roots = Set<ValueID>(), work = leaves, allowedUses: [ValueID: Int] = [:]
        var parameter: ValueID?, indexCount: Int?
        for leaf in leaves { allowedUses[leaf, default: 0] += 1 }
        while let v = work.popLast() {
            guard !web.contains(v), !roots.contains(v) else { continue }
            if let (b, position) = blockOfParameter[v] {
                web.insert(v)
                for source in callee.blocks {
                    for target in source.terminator.successors where target.block.index == b {
                        let incoming = target.arguments[position]
                        allowedUses[incoming, default: 0] += 1
                        work.append(incoming)
                    }
                }
                continue
            }
            guard let i = instruction(v) else { return nil }
            switch i.op {
            case .zeroslike:
                guard callee.parameters.contains(i.operands[0]), parameter == nil || parameter == i.operands[0] else {
                    return nil
                }
                parameter = i.operands[0]
                roots.insert(v)
                continue
            case .addat:
                let count = i.operands.count - 2
                guard callee.type(of: i.operands[1]) == .real, i.operands[1] != i.operands[0],
                      indexCount == nil || indexCount == count else { return nil }
                indexCount = count
                allowedUses[i.operands[0], default: 0] += 1
                work.append(i.operands[0])
            default: return nil
            }
            web.insert(v)
        }
        // The adds whose result only a later add of the same block reads.
        var chained = Set<ValueID>()
        for block in callee.blocks {
            let defined = Set(block.instructions.compactMap { $0.op == .addat ? $0.result : nil })
            for i in block.instructions where i.op == .addat && web.contains(i.result!) && defined.contains(i.operands[0])
                && useCount[i.operands[0]] == 1 { chained.insert(i.operands[0]) }
        }
        // The entry becomes a block of the copy that only the new entry enters.
        guard !callee.blocks.contains(where: { $0.terminator.successors.contains { $0.block.index == 0 } }) else { return nil }
        guard let parameter, let indexCount,
              web.allSatisfy({ useCount[$0, default: 0] == allowedUses[$0, default: 0] }) else { return nil }

        // The copy: a new entry tests the shapes and goes to the callee's blocks, renumbered from 1, or to a call of it.
        var g = callee
        var name = "\(callee.name).summed.\(site.path.map(String.init).joined(separator: "."))"
        while existing.contains(name) { name += "_" }
        g.name = name
        g.role = .synthesized
        g.differentiableParameters = nil
        g.customDerivative = nil
        var weightsName = "weights"
        while g.parameterNames.contains(weightsName) { weightsName += "_" }
        g.parameterNames.append(weightsName)
        g.resultType = summed(callee.resultType, at: site.path[...])
        for b in g.blocks.indices {
            g.blocks[b].id = BlockID(b + 1)
            g.blocks[b].terminator = g.blocks[b].terminator.shiftingBlocks(by: 1)
        }
        // The parameters stay the callee's values, now the new entry's, so its blocks read them as parameters.
        let parameters = callee.parameters
        g.blocks[0].parameters = []
        let weights = g.makeValue(.tensor)
        // The guard and the tuples cannot fail: no place in the source.
        let location = SourceLocation.unknown
        var entry = Block(id: BlockID(0), parameters: parameters + [weights])
        let rank = g.makeValue(.int), same = g.makeValue(.bool)
        let p = parameter
        entry.instructions = [
            Instruction(result: rank, op: .const, operands: [], payload: .constant(.int(indexCount)), location: location),
            Instruction(result: same, op: .sameshape, operands: [weights, p, rank], location: location),
        ]
        let asWritten = BlockID(g.blocks.count + 1)
        entry.terminator = .condBranch(condition: same, then: BranchTarget(BlockID(1)),
                                       else: BranchTarget(asWritten))
        entry.terminatorLocation = location

        // Where the shapes differ: the call, the product and the sum as the caller wrote them.
        var fallback = Block(id: asWritten)
        func emit(_ op: Opcode, _ operands: [ValueID], _ type: ValueType, _ payload: Payload = .none,
                  at: SourceLocation = location) -> ValueID {
            let r = g.makeValue(type)
            fallback.instructions.append(Instruction(result: r, op: op, operands: operands, payload: payload, location: at))
            return r
        }
        let callerBlock = caller.blocks[site.block].instructions
        func rebuilt(_ v: ValueID, _ type: ValueType, _ path: ArraySlice<Int>) -> ValueID {
            guard let first = path.first, case .tuple(let parts) = type else {
                let product = callerBlock[site.product]
                let operands = site.accumulatedFirst ? [v, weights] : [weights, v]
                let m = emit(.mul, operands, .tensor, at: product.location)
                return emit(.sum, [m], .real, at: callerBlock[site.sum].location)
            }
            let items = parts.indices.map { j -> ValueID in
                let part = emit(.extract, [v], parts[j], .index(j))
                return j == first ? rebuilt(part, parts[j], path.dropFirst()) : part
            }
            return emit(.tuple, items, summed(type, at: path))
        }
        let result = emit(.call, parameters, callee.resultType, .callee(callee.name),
                          at: callerBlock[site.call].location)
        fallback.terminator = .ret(rebuilt(result, callee.resultType, site.path[...]))

        // Where they agree: each value of t a Real running sum, from 0 where t is zeros.
        let zero = g.makeValue(.real)
        entry.instructions.append(Instruction(result: zero, op: .const, operands: [],
                                              payload: .constant(.real(numerator: "0", denominator: "1")), location: location))
        func summand(_ v: ValueID) -> ValueID { roots.contains(v) ? zero : v }
        for v in web where blockOfParameter[v] != nil { g.valueTypes[v.index] = .real }
        let innermost = Set(pathTuples.indices.filter { ($0 + 1) % site.path.count == 0 }.map { pathTuples[$0] })
        for b in g.blocks.indices {
            // An add whose result only the next add in the block reads is folded into it: the terms of a block are
            // summed first and added to the running sum once, so the sum's chain from one iteration to the next is
            // one add long, as a person writes `s += a * w[i] + b * w[i + 1]`.
            var rewritten: [Instruction] = [], deferred: [ValueID: (base: ValueID, terms: [ValueID])] = [:]
            for var i in g.blocks[b].instructions {
                // t has p's shape: what reads only its shape reads p's.
                for position in i.operands.indices where readsShapeOnly(i, position)
                    && (web.contains(i.operands[position]) || scalings.contains(i.operands[position])) {
                    i.operands[position] = p
                }
                if let r = i.result, innermost.contains(r) {
                    i.operands[site.path.last!] = summand(i.operands[site.path.last!])
                }
                if let r = i.result, scalings.contains(r) {
                    i.operands[0] = summand(i.operands[0])
                    g.valueTypes[r.index] = .real
                }
                guard let r = i.result, web.contains(r) else { rewritten.append(i); continue }
                g.valueTypes[r.index] = .real
                let element = g.makeValue(.real), term = g.makeValue(.real)
                rewritten.append(Instruction(result: element, op: .index, operands: [weights] + i.operands.dropFirst(2),
                                             location: i.location))
                rewritten.append(Instruction(result: term, op: .mul, operands: [i.operands[1], element], location: i.location))
                var (base, terms) = (i.operands[0], [term])
                if let earlier = deferred.removeValue(forKey: base) { (base, terms) = (earlier.base, earlier.terms + terms) }
                if chained.contains(r) {
                    deferred[r] = (base, terms)
                    continue
                }
                var total = terms[0]
                for next in terms.dropFirst() {
                    let partial = g.makeValue(.real)
                    rewritten.append(Instruction(result: partial, op: .add, operands: [total, next], location: i.location))
                    total = partial
                }
                rewritten.append(Instruction(result: r, op: .add, operands: [summand(base), total], location: i.location))
            }
            g.blocks[b].instructions = rewritten
            g.blocks[b].terminator = g.blocks[b].terminator.mappingArguments { target, position, argument in
                web.contains(g.blocks[target.index - 1].parameters[position]) ? summand(argument) : argument
            }
        }
        for tuple in pathTuples.reversed() {
            g.valueTypes[tuple.index] = .tuple(g.blocks[definition[tuple]!.block].instructions.first { $0.result == tuple }!
                .operands.map { g.type(of: $0) })
        }
        g.blocks.insert(entry, at: 0)
        g.blocks.append(fallback)
        return g
    }
}

extension Terminator {
    /// The terminator with every block number moved by `offset`.
    func shiftingBlocks(by offset: Int) -> Terminator {
        mappingTargets { BranchTarget(BlockID($0.block.index + offset), $0.arguments) }
    }

    /// The terminator with each branch argument replaced by `transform(target, position, argument)`.
    func mappingArguments(_ transform: (BlockID, Int, ValueID) -> ValueID) -> Terminator {
        mappingTargets { t in BranchTarget(t.block, t.arguments.enumerated().map { transform(t.block, $0, $1) }) }
    }
}
