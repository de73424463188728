/// Counts the changes stamped too far ahead of a clock: the bound a server's push and import,
/// and a replica's import, hold changes to (Protocol/SPEC.md §2, "Stamps from the future").
///
/// A stamp far in the future would win every later conflict and drag every receiver's clock
/// along; one at the top of the clock's range would freeze it.
public struct ClockGuard: Sendable {
    /// The clock's reading, in milliseconds.
    public let now: UInt64
    /// How far ahead of `now` a stamp may be, in milliseconds.
    public let maxAhead: UInt64
    /// How many changes observed were ahead.
    public private(set) var count = 0
    /// How far ahead the furthest one was, in milliseconds.
    public private(set) var furthest: UInt64 = 0

    public init(now: UInt64, maxAhead: UInt64) {
        self.now = now
        self.maxAhead = maxAhead
    }

    /// Whether `hlc` is stamped further ahead than allowed.
    public func isAhead(_ hlc: HLC) -> Bool {
        hlc.milliseconds > now &+ maxAhead
    }

    /// Counts `hlc` if it is ahead.
    public mutating func observe(_ hlc: HLC) {
        guard isAhead(hlc) else { return }
        count += 1
        furthest = max(furthest, hlc.milliseconds - now)
    }

    /// "3 changes stamped up to 2 h ahead of its clock (the limit is 5 min)", with `whose` naming
    /// the clock ("its", "this laptop's"); nil when none was ahead.
    public func summary(clock whose: String) -> String? {
        guard count > 0 else { return nil }
        return "\(Plural.count(count, "change")) stamped up to \(Duration.describe(furthest)) ahead of \(whose) clock (the limit is \(Duration.describe(maxAhead)))"
    }
}
