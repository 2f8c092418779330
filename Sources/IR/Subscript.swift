// IR stage: a subscript as written in the source, and the run-time message when it does not fit.
//
// The interpreter words the message here; the runtime emitted with generated Swift
// (`SubscriptText` in AdjointRuntime.swift) repeats the wording, and the tests compare the two.

/// A subscript as the source wrote it: the indexed expression and each position's text, `:` for a
/// whole axis. The positions say which axes the Int operands index; the texts let a run-time error
/// quote the subscript and show the one to write (`m[1]` of a matrix: "write m[1, :] for a row").
public struct Subscript: Hashable, Sendable {
    /// The indexed expression as written (`m`, `x.T`).
    public var base: String
    /// One text per axis: an index expression, or ":" for a whole axis.
    public var positions: [String]

    public init(base: String, positions: [String]) {
        self.base = base
        self.positions = positions
    }

    /// Per axis: true where an Int operand indexes it, false where ':' takes it whole.
    public var indexesAxis: [Bool] { positions.map { $0 != ":" } }

    /// How many Int operands the subscript takes.
    public var indexCount: Int { positions.filter { $0 != ":" }.count }
}

extension Subscript {
    /// What to say when the tensor has `rank` axes but the subscript has another number of positions:
    /// what it reads and the subscript to write instead, e.g. "m has 2 axes; m[1] reads one element
    /// of a vector: write m[1, :] for a row".
    public func rankMismatchMessage(rank: Int) -> String {
        let written = "\(base)[\(positions.joined(separator: ", "))]"
        var message = "\(base) has \(rank) \(rank == 1 ? "axis" : "axes"); \(written) reads "
            + Subscript.part(positions) + " of " + Subscript.noun(positions.count)
        if rank > positions.count {
            let fitting = positions + Array(repeating: ":", count: rank - positions.count)
            message += ": write \(base)[\(fitting.joined(separator: ", "))] for " + Subscript.part(fitting)
        } else if rank == 0 {
            message += ": write \(base) without a subscript"
        } else {
            let fitting = Array(positions.prefix(rank))
            message += ": write \(base)[\(fitting.joined(separator: ", "))] for " + Subscript.part(fitting)
        }
        return message
    }

    /// What a subscript reads of a tensor with as many axes as it has positions.
    static func part(_ positions: [String]) -> String {
        let kept = positions.filter { $0 == ":" }.count
        switch kept {
        case 0: return "one element"
        case 1 where positions.count == 2: return positions[1] == ":" ? "a row" : "a column"
        default: return noun(kept)
        }
    }

    /// A tensor with this many axes, with its article.
    static func noun(_ rank: Int) -> String {
        switch rank {
        case 1: return "a vector"
        case 2: return "a matrix"
        default: return "a rank-\(rank) tensor"
        }
    }
}
