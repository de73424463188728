import Foundation

/// Wall-clock times as people and logs read them, always in UTC.
public enum WallTime {
    /// `2026-11-29T14:02:11Z`, for logs.
    public static func iso8601(_ milliseconds: UInt64) -> String {
        let parts = components(milliseconds)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
    }

    /// `2026-11-29 14:02:11`, for tables.
    public static func readable(_ milliseconds: UInt64) -> String {
        let parts = components(milliseconds)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
    }

    private static func components(_ milliseconds: UInt64) -> (year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) {
        var raw = time_t(clamping: milliseconds / 1000)
        var parts = tm()
        gmtime_r(&raw, &parts)
        return (parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
