// Basic: independent pieces of work on every core, their results in order.
import Dispatch

/// `transform(k)` for each k in `0..<count`, computed on every core and returned in order of k.
/// Each call must read shared state only: the results are the only thing written, each to its own slot.
public func concurrentMap<T: Sendable>(_ count: Int, _ transform: @Sendable (Int) -> T) -> [T] {
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let slots = Slots(base: base)
        DispatchQueue.concurrentPerform(iterations: count) { k in slots.base[k] = transform(k) }
    }
    return results.map { $0! }
}

/// The results' storage, shared by the iterations: each writes its own element and none reads another's.
private struct Slots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T?>
}
