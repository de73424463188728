/// Counts in words, for every message of both tools: "1 change", "2 changes", "3 matches".
public enum Plural {
    /// `number` and `word`, in the plural unless `number` is 1. Words ending in s, x, ch or sh
    /// take "es" (match, matches); a phrase is made plural by its last word.
    public static func count(_ number: Int, _ word: String) -> String {
        "\(number) \(number == 1 ? word : plural(word))"
    }

    /// The plural of `word` (of the last word of a phrase).
    public static func plural(_ word: String) -> String {
        ["s", "x", "ch", "sh"].contains(where: word.hasSuffix) ? word + "es" : word + "s"
    }
}

extension RecordCollection {
    /// "an offer", "a request", "a match"…
    public var withArticle: String {
        (rawValue.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + rawValue
    }
}
