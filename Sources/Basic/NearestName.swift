// Basic: the known name nearest to a misspelled one, for "did you mean ...?" in diagnostics.

public enum NearestName {
    /// The candidate closest to `name` by edit distance (insertions, deletions, substitutions and swaps of
    /// neighbours), when it is close enough to be a likely typo: within a third of the name's length, and
    /// never for names of one or two characters (any short name is "close" to another). Ties go to the
    /// candidate first in alphabetical order, so the suggestion does not depend on hashing.
    public static func suggestion(for name: String, among candidates: some Sequence<String>) -> String? {
        guard name.count >= 3 else { return nil }
        let limit = max(1, name.count / 3)
        var best: (distance: Int, name: String)? = nil
        for candidate in Set(candidates) where candidate != name && abs(candidate.count - name.count) <= limit {
            let d = distance(name, candidate)
            guard d <= limit else { continue }
            if best == nil || d < best!.distance || (d == best!.distance && candidate < best!.name) { best = (d, candidate) }
        }
        return best?.name
    }

    /// The optimal string alignment distance between two strings, by characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var before = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[y.count]
    }

    /// `message`, followed by "; did you mean 'x'?" when a candidate is near `name`.
    public static func withSuggestion(_ message: String, for name: String, among candidates: some Sequence<String>) -> String {
        guard let near = suggestion(for: name, among: candidates) else { return message }
        return "\(message); did you mean '\(near)'?"
    }
}
