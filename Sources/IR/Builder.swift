// IR stage: a cursor for appending instructions to a function under construction.
import AdjointBasic

/// Builds one function: creates blocks and values, appends instructions at the insertion block.
public struct FunctionBuilder {
    public var function: Function
    /// The block new instructions go to; nil after a terminator, while code is unreachable.
    public var insertionBlock: BlockID?

    public init(name: String, parameterNames: [String], parameterTypes: [ValueType], resultType: ValueType,
                location: SourceLocation, role: FunctionRole = .primal) {
        function = Function(name: name, parameterNames: parameterNames, resultType: resultType, location: location,
                            role: role)
        let entry = BlockID(0)
        function.blocks = [Block(id: entry)]
        function.blocks[0].parameters = parameterTypes.map { function.makeValue($0) }
        insertionBlock = entry
    }

    /// A builder over an existing function, with no insertion block.
    public init(existing function: Function) {
        self.function = function
        insertionBlock = nil
    }

    public var isReachable: Bool { insertionBlock != nil }

    /// A new empty block with parameters of the given types.
    public mutating func makeBlock(parameters: [ValueType] = []) -> BlockID {
        let id = BlockID(function.blocks.count)
        function.blocks.append(Block(id: id, parameters: parameters.map { function.makeValue($0) }))
        return id
    }

    public func parameters(of block: BlockID) -> [ValueID] { function.blocks[block.index].parameters }

    public mutating func addParameter(to block: BlockID, type: ValueType) -> ValueID {
        let value = function.makeValue(type)
        function.blocks[block.index].parameters.append(value)
        return value
    }

    /// Appends an instruction with a result of `type` (nil for none) and returns the result.
    @discardableResult
    public mutating func emit(_ op: Opcode, _ operands: [ValueID], type: ValueType?, payload: Payload = .none,
                              at location: SourceLocation) -> ValueID? {
        guard let block = insertionBlock else { return nil }
        let result = type.map { function.makeValue($0) }
        function.blocks[block.index].instructions.append(
            Instruction(result: result, op: op, operands: operands, payload: payload, location: location))
        return result
    }

    /// Turns `value` into a Real constant when it is an Int constant emitted among the last few instructions
    /// of the insertion block and not used yet, so `2 * x` lowers to `const 2 : Real`, not `const 2 : Int`
    /// followed by `itor`.
    public mutating func foldIntegerLiteralToReal(_ value: ValueID) -> ValueID? {
        guard let block = insertionBlock else { return nil }
        let instructions = function.blocks[block.index].instructions
        for k in instructions.indices.reversed().prefix(8) {
            if instructions[k].operands.contains(value) { return nil }
            guard instructions[k].result == value else { continue }
            guard instructions[k].op == .const, case .constant(.int(let i)) = instructions[k].payload else { return nil }
            function.blocks[block.index].instructions[k].payload = .constant(.real(numerator: "\(i)", denominator: "1"))
            function.valueTypes[value.index] = .real
            return value
        }
        return nil
    }

    /// The value of `value` when it is an Int constant among the last few instructions of the insertion block
    /// (nil otherwise, or when it is not known: the search stays short so lowering stays linear).
    public func integerConstant(_ value: ValueID) -> Int? {
        guard let block = insertionBlock else { return nil }
        for instruction in function.blocks[block.index].instructions.reversed().prefix(8)
        where instruction.result == value {
            if instruction.op == .const, case .constant(.int(let i)) = instruction.payload { return i }
            return nil
        }
        return nil
    }

    /// Ends the insertion block; code after this is unreachable until `insertionBlock` is set again.
    public mutating func terminate(_ terminator: Terminator, at location: SourceLocation) {
        guard let block = insertionBlock else { return }
        function.blocks[block.index].terminator = terminator
        function.blocks[block.index].terminatorLocation = location
        insertionBlock = nil
    }

    /// Replaces the arguments a block passes to `target` (every edge to it from that block).
    public mutating func setArguments(from block: BlockID, to target: BlockID, _ arguments: [ValueID]) {
        function.blocks[block.index].terminator = function.blocks[block.index].terminator.mappingTargets {
            $0.block == target ? BranchTarget(target, arguments) : $0
        }
    }

    /// Drops blocks that no path from the entry reaches and renumbers the rest densely, in order.
    public mutating func removeUnreachableBlocks() {
        let dominators = Dominators(function)
        var newIndex = [Int](repeating: -1, count: function.blocks.count)
        var kept: [Block] = []
        for block in function.blocks where dominators.isReachable(block.id) {
            newIndex[block.id.index] = kept.count
            kept.append(block)
        }
        func remap(_ t: BranchTarget) -> BranchTarget { BranchTarget(BlockID(newIndex[t.block.index]), t.arguments) }
        for i in kept.indices {
            kept[i].id = BlockID(i)
            kept[i].terminator = kept[i].terminator.mappingTargets(remap)
        }
        function.blocks = kept
    }
}
