// IR stage: blocks, functions and modules.
import AdjointBasic

/// A basic block: parameters (in place of phis), straight-line instructions, one terminator.
public struct Block: Hashable, Sendable {
    public var id: BlockID
    public var parameters: [ValueID]
    public var instructions: [Instruction]
    public var terminator: Terminator
    /// The source construct that ends the block (an `if`, a loop condition), for runtime reports.
    public var terminatorLocation: SourceLocation

    public init(id: BlockID, parameters: [ValueID] = [], instructions: [Instruction] = [],
                terminator: Terminator = .ret(nil), terminatorLocation: SourceLocation = .unknown) {
        self.id = id
        self.parameters = parameters
        self.instructions = instructions
        self.terminator = terminator
        self.terminatorLocation = terminatorLocation
    }
}

/// A function in SSA form; `blocks[0]` is the entry, whose parameters are the function's.
public struct Function: Hashable, Sendable {
    /// How the IR text and generated Swift spell the function; what it is lives in `role`.
    public var name: String
    public var role: FunctionRole = .primal
    public var parameterNames: [String]
    public var resultType: ValueType
    public var blocks: [Block]
    /// The type of every value, indexed by `ValueID.index`.
    public var valueTypes: [ValueType]
    public var location: SourceLocation
    /// `@differentiable` parameter indices, or nil when the function is not marked.
    public var differentiableParameters: [Int]?
    /// The function that gives this one's vector-Jacobian product by hand (`@derivative(of:)`, spec §7):
    /// reverse mode calls it instead of differentiating the body; forward mode still differentiates the body.
    public var customDerivative: String?
    /// Source variable names of values, by value index, so generated Swift can keep them (not printed).
    public var valueNames: [Int: String] = [:]

    public init(name: String, parameterNames: [String], resultType: ValueType, blocks: [Block] = [],
                valueTypes: [ValueType] = [], location: SourceLocation = .unknown,
                differentiableParameters: [Int]? = nil, role: FunctionRole = .primal) {
        self.name = name
        self.role = role
        self.parameterNames = parameterNames
        self.resultType = resultType
        self.blocks = blocks
        self.valueTypes = valueTypes
        self.location = location
        self.differentiableParameters = differentiableParameters
    }

    public var entry: Block { blocks[0] }
    public var parameters: [ValueID] { blocks[0].parameters }
    public var parameterTypes: [ValueType] { parameters.map { valueTypes[$0.index] } }

    public func type(of value: ValueID) -> ValueType { valueTypes[value.index] }

    /// A new value of the given type.
    public mutating func makeValue(_ type: ValueType) -> ValueID {
        valueTypes.append(type)
        return ValueID(valueTypes.count - 1)
    }

    /// Every read of `old`, by an instruction or a terminator, reads `new` instead.
    public mutating func replaceUses(of old: ValueID, with new: ValueID) {
        for b in blocks.indices {
            for k in blocks[b].instructions.indices where blocks[b].instructions[k].operands.contains(old) {
                blocks[b].instructions[k].operands = blocks[b].instructions[k].operands.map { $0 == old ? new : $0 }
            }
            blocks[b].terminator = blocks[b].terminator.mappingOperands { $0 == old ? new : $0 }
        }
    }

    /// For each block, the blocks that branch to it (with repetition when both arms of a `condbr` do).
    public func predecessors() -> [[BlockID]] {
        var result = Array(repeating: [BlockID](), count: blocks.count)
        for block in blocks {
            for target in block.terminator.successors { result[target.block.index].append(block.id) }
        }
        return result
    }

    /// For each block, the edges into it from reachable blocks, in block order (`reachable` from `Dominators`).
    public func incomingEdges(reachable: (BlockID) -> Bool = { _ in true }) -> [[IncomingEdge]] {
        var result = Array(repeating: [IncomingEdge](), count: blocks.count)
        for block in blocks where reachable(block.id) {
            for (k, target) in block.terminator.successors.enumerated() {
                result[target.block.index].append(IncomingEdge(from: block.id, successor: k))
            }
        }
        return result
    }
}

/// An edge into a block: the block it leaves and which of that block's successors it is.
public struct IncomingEdge: Hashable, Sendable {
    public var from: BlockID
    public var successor: Int

    public init(from: BlockID, successor: Int) {
        self.from = from
        self.successor = successor
    }
}

/// All functions of one compilation, in source order.
public struct Module: Hashable, Sendable {
    public var functions: [Function]
    public init(functions: [Function] = []) { self.functions = functions }

    public func function(named name: String) -> Function? { functions.first { $0.name == name } }

    /// The function that has this role (a sweep of a function for a set of parameters), if generated.
    public func function(_ role: FunctionRole) -> Function? { functions.first { $0.role == role } }
}
