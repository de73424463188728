/// Durations as `--tombstone-retention 90d` and `--max-clock-ahead 5m` take them, and as
/// messages show them.
public enum Duration {
    /// Milliseconds from `90d`, `12h`, `5m`, `30s` (a whole number and one unit); nil otherwise.
    public static func parse(_ text: String) -> UInt64? {
        guard let unit = text.last, let number = UInt64(text.dropLast()), number > 0 else { return nil }
        let scale: UInt64
        switch unit {
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow || product > 100 * 365 * 86_400_000 ? nil : product
    }

    /// The option form `parse` reads back: the largest unit that divides `milliseconds`
    /// (`90d`, `5m`, `1h`, `30s`).
    public static func option(_ milliseconds: UInt64) -> String {
        for (unit, scale) in [("d", UInt64(86_400_000)), ("h", 3_600_000), ("m", 60_000)] where milliseconds % scale == 0 && milliseconds > 0 {
            return "\(milliseconds / scale)\(unit)"
        }
        return "\(milliseconds / 1000)s"
    }

    /// `2 h 5 min`, `5 min`, `40 s`, `90 d` for people.
    public static func describe(_ milliseconds: UInt64) -> String {
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return "\(hours / 24) d"
    }
}
