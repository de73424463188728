/// A hybrid logical clock reading: 48 bits of milliseconds since the Unix epoch, 16 bits of counter.
///
/// Invariants: `rawValue == milliseconds << 16 | counter`; readings compare as their raw value;
/// `milliseconds` is below `HLC.maxMilliseconds` (the all-ones value is reserved as malformed).
public struct HLC: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    /// The largest milliseconds a valid reading may carry.
    public static let maxMilliseconds: UInt64 = (1 << 48) - 2
    /// The reading of the seeded default records, older than every real write.
    public static let zero = HLC(rawValue: 0)

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, counter: UInt16) {
        rawValue = milliseconds << 16 | UInt64(counter)
    }

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (lhs: HLC, rhs: HLC) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The wire form: 16 lowercase hexadecimal digits.
    public var hex: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Parses the wire form; nil unless it is exactly 16 lowercase hex digits of a valid reading.
    public init?(hex text: some StringProtocol) {
        guard text.utf8.count == 16,
              text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
              let value = UInt64(text, radix: 16),
              value >> 16 <= HLC.maxMilliseconds
        else { return nil }
        rawValue = value
    }

    public var description: String { hex }

    /// The next reading for a local write at wall time `now` (milliseconds): Kulkarni's send rule.
    ///
    /// Never below `self`, whatever `now` says: a clock set back does not move the HLC back.
    public func tick(now: UInt64) -> HLC {
        let wall = min(now, HLC.maxMilliseconds)
        if wall > milliseconds { return HLC(milliseconds: wall, counter: 0) }
        return HLC.bumped(milliseconds: milliseconds, counter: UInt32(counter) + 1)
    }

    /// The reading after receiving `remote` at wall time `now`: Kulkarni's receive rule.
    ///
    /// The result is above both `self` and `remote`.
    public func receive(_ remote: HLC, now: UInt64) -> HLC {
        let wall = min(now, HLC.maxMilliseconds)
        let top = max(milliseconds, remote.milliseconds, wall)
        let counter: UInt32
        switch (milliseconds == top, remote.milliseconds == top) {
        case (true, true): counter = UInt32(max(self.counter, remote.counter)) + 1
        case (true, false): counter = UInt32(self.counter) + 1
        case (false, true): counter = UInt32(remote.counter) + 1
        case (false, false): counter = 0
        }
        return HLC.bumped(milliseconds: top, counter: counter)
    }

    /// A reading with `counter`, carried into the milliseconds when it passes 16 bits.
    private static func bumped(milliseconds: UInt64, counter: UInt32) -> HLC {
        if counter > UInt32(UInt16.max) {
            return HLC(milliseconds: min(milliseconds + 1, maxMilliseconds), counter: 0)
        }
        return HLC(milliseconds: milliseconds, counter: UInt16(counter))
    }
}
