/// Text from other replicas made safe for a terminal: human output shows control characters and
/// bidirectional overrides as visible escapes (`\u{1B}`), so that no field can clear the screen,
/// colour it, or reverse what follows. `--json` output stays exact.
public enum TerminalText {
    /// `text` with every C0 and C1 control character, DEL and bidirectional formatting
    /// character written `\u{XXXX}`.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Controls (C0, DEL, C1) and the bidirectional marks, embeddings, overrides and isolates.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
