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

    /// Appends the wire form's 16 digits (without quotes), with no intermediate string.
    public func appendHex(to out: inout [UInt8]) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let digit = UInt8(truncatingIfNeeded: rawValue >> UInt64(shift)) & 0x0f
            out.append(digit < 10 ? 48 + digit : 87 + digit)
        }
    }

    /// Parses the wire form; nil unless it is exactly 16 lowercase hex digits of a valid reading.
    public init?(hex text: String) {
        var text = text
        guard let parsed = text.withUTF8({ HLC(hexBytes: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the wire form from its UTF-8 bytes.
    init?(hexBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard HLC.isLowercaseHex(byte) else { return nil }
            value = value << 4 | UInt64(byte <= 57 ? byte - 48 : byte - 87)
        }
        guard value >> 16 <= HLC.maxMilliseconds else { return nil }
        rawValue = value
    }

    /// `0-9` or `a-f`.
    static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)
    }

    public var description: String { hex }

    /// The highest valid reading: the clock's top of range.
    public static let top = HLC(milliseconds: maxMilliseconds, counter: .max)

    /// The next reading for a local write at wall time `now` (milliseconds): Kulkarni's send rule;
    /// nil at the top of the range, where no later reading exists.
    ///
    /// Never below `self`, whatever `now` says: a clock set back does not move the HLC back.
    public func tick(now: UInt64) -> HLC? {
        let wall = min(now, HLC.maxMilliseconds)
        if wall > milliseconds { return HLC(milliseconds: wall, counter: 0) }
        return HLC.bumped(milliseconds: milliseconds, counter: UInt32(counter) + 1)
    }

    /// The reading after receiving `remote` at wall time `now`: Kulkarni's receive rule.
    ///
    /// The result is above both `self` and `remote`, or, at the top of the range, the top: never
    /// below either.
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
        return HLC.bumped(milliseconds: top, counter: counter) ?? HLC.top
    }

    /// A reading with `counter`, carried into the milliseconds when it passes 16 bits; nil past
    /// the top of the range.
    private static func bumped(milliseconds: UInt64, counter: UInt32) -> HLC? {
        guard counter > UInt32(UInt16.max) else { return HLC(milliseconds: milliseconds, counter: UInt16(counter)) }
        guard milliseconds < maxMilliseconds else { return nil }
        return HLC(milliseconds: milliseconds + 1, counter: 0)
    }
}
