// Transforms stage, reverse mode: adjoints that stay symbolic until they are needed.
//
// Most adjoints start as zero. Keeping zero symbolic (Swift AD's AdjointValue)
// means the first contribution is used as is and no `add 0, x` is emitted; a zero
// is materialized only where a branch must pass it to another block.
import AdjointBasic
import AdjointIR

/// The adjoint of one value (or one tuple component) while a reverse block is built.
enum AdjointValue: Equatable {
    case zero
    case value(ValueID)
}

/// Names the adjoint of a value, or of one component of a tuple value.
struct AdjointKey: Hashable, Comparable {
    var value: ValueID
    var component: Int

    init(_ value: ValueID, _ component: Int = 0) {
        self.value = value
        self.component = component
    }

    static func < (a: AdjointKey, b: AdjointKey) -> Bool {
        (a.value.index, a.component) < (b.value.index, b.component)
    }
}

extension Function {
    /// The adjoint keys of a value: one per component of a tuple, one otherwise.
    func adjointKeys(of value: ValueID) -> [AdjointKey] {
        if case .tuple(let elements) = type(of: value) {
            return elements.indices.filter { elements[$0].carriesDerivatives }.map { AdjointKey(value, $0) }
        }
        return [AdjointKey(value)]
    }

    /// The type of the adjoint named by a key: the value's type, or its component's.
    func type(ofAdjoint key: AdjointKey) -> ValueType {
        if case .tuple(let elements) = type(of: key.value) { return elements[key.component] }
        return type(of: key.value)
    }
}
