/// Every default and bound of the sync protocol, declared once: the server, the client, their
/// help texts and the README render these.
public enum SyncDefaults {
    /// The most records a pulled page holds, and the default when neither the client nor
    /// `serve --page-records` says fewer.
    public static let maxPageRecords = 10_000
    /// Records per pushed batch.
    public static let pushBatchRecords = 2_000
    /// The change lines of a pushed batch stop growing past this many bytes (4 MiB, a quarter of
    /// the server's default body limit); a batch holds at least one record.
    public static let pushBatchBytes = 4 << 20
    /// The change lines of a pulled page stop growing past this many bytes (4 MiB); a page holds
    /// at least one record. One record at the field limits is far smaller (under 400 KB).
    public static let pageBytes = 4 << 20
    /// Pulled pages the server holds in memory at once, all connections together; a pull that
    /// finds none free within `pageWait` is answered 503 `busy`.
    public static let pagesInFlight = 16
    /// How long a pull waits for a page slot (seconds).
    public static let pageWait: Double = 10
    /// How long the server remembers a deletion (milliseconds): 90 days.
    public static let tombstoneRetention: UInt64 = 90 * 86_400_000
    /// How far ahead of the server's clock a pushed change may be stamped (milliseconds): 5 minutes.
    public static let maxClockAhead: UInt64 = 5 * 60_000
    /// How far ahead of a replica's clock a change imported from a file may be stamped
    /// (milliseconds): 1 hour, room for two laptops' clocks a little off, not for a year 10889.
    public static let maxImportAhead: UInt64 = 60 * 60_000
    /// The clock difference with the server above which `boucle sync` warns (milliseconds).
    public static let clockSkewWarning: UInt64 = 5 * 60_000
    /// How often `serve` purges old tombstones (milliseconds): hourly.
    public static let compactionInterval: UInt64 = 3_600_000
}
