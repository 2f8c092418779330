// Interpreter stage: the text of a tensor, for `print` and for `--json`.
//
// `print` lays a tensor out as NumPy's `print` does (spec §6): nested brackets, one row per line,
// elements right-aligned to the widest element of the whole tensor, and one blank line more
// between blocks for each axis above the rows:
//
//     rank 1: [ 0.0  4.0 12.0]
//     rank 2: [[0.0]
//              [4.0]]
//     rank 3: [[[0 1]
//               [2 3]]
//
//              [[4 5]
//               [6 7]]]
//
// Unlike NumPy, long rows are not wrapped and large tensors are not summarized with `...`:
// the oracle prints everything. JSON nests one array per axis, row-major (spec §9).

extension Tensor: CustomStringConvertible {
    /// The NumPy-style layout that `print` writes; an empty tensor prints as `[]`.
    public var description: String {
        guard count > 0 else { return "[]" }
        let texts = scalars.map(\.description)
        let width = texts.map(\.count).max() ?? 0
        let padded = texts.map { String(repeating: " ", count: width - $0.count) + $0 }
        return Self.nested(padded[...], shape: shape[...], depth: 0) { depth, rank in
            // Items of a rank-r array are r-1 newlines apart and indented past the open brackets.
            rank == 1 ? " " : String(repeating: "\n", count: rank - 1) + String(repeating: " ", count: depth + 1)
        }
    }

    /// Nested JSON arrays of the elements' `jsonText`, one level per axis, e.g. `[[0.0], [4.0]]`.
    public var jsonText: String {
        Self.nested(scalars.map(\.jsonText)[...], shape: shape[...], depth: 0) { _, _ in ", " }
    }

    /// `texts` (row-major over `shape`) in nested brackets, the items of each bracket joined by
    /// `separator(depth, rank)`, where depth counts the enclosing brackets and rank is `shape.count`.
    private static func nested(_ texts: ArraySlice<String>, shape: ArraySlice<Int>, depth: Int,
                               separator: (_ depth: Int, _ rank: Int) -> String) -> String {
        guard let length = shape.first else { return texts[texts.startIndex] }
        let itemShape = shape.dropFirst()
        let itemSize = itemShape.reduce(1, *)
        let items = (0..<length).map { item in
            let start = texts.startIndex + item * itemSize
            return nested(texts[start ..< start + itemSize], shape: itemShape, depth: depth + 1, separator: separator)
        }
        return "[" + items.joined(separator: separator(depth, shape.count)) + "]"
    }
}
