// IR stage: a table keyed by value number.
//
// Passes and the emitter ask per value (its use count, defining block, literal) at nearly every
// instruction; value numbers are dense, so an array indexed by them does what a dictionary did,
// without hashing.

/// A map from values to `Element`, stored by value number; missing values read as nil.
public struct ValueTable<Element> {
    private var storage: [Element?] = []

    public init() {}

    /// A table with room for values numbered below `count`.
    public init(count: Int) { storage = Array(repeating: nil, count: count) }

    public subscript(_ v: ValueID) -> Element? {
        get { v.index < storage.count ? storage[v.index] : nil }
        set {
            if v.index >= storage.count {
                guard newValue != nil else { return }
                storage.reserveCapacity(Swift.max(2 * storage.count, v.index + 1))
                while storage.count <= v.index { storage.append(nil) }
            }
            storage[v.index] = newValue
        }
    }

    public subscript(_ v: ValueID, default defaultValue: @autoclosure () -> Element) -> Element {
        get { self[v] ?? defaultValue() }
        set { self[v] = newValue }
    }
}
