// IR stage: typed identifiers for values and blocks.
//
// IDs are dense indices into their function's tables, so passes can keep facts in
// arrays. Their `description` is their printed form (`%7`, `bb2`), so every debug
// print of an ID is valid IR text.

/// An SSA value: a block parameter or an instruction's result.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "%\(index)" }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

/// A basic block of one function.
public struct BlockID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "bb\(index)" }
    public static func < (a: BlockID, b: BlockID) -> Bool { a.index < b.index }
}
