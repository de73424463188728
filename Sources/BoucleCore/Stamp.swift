/// A canonical lowercase UUID string (8-4-4-4-12 hex digits): a record's or a replica's identity.
///
/// Invariant: `rawValue` is 36 characters, lowercase hex and dashes in the UUID positions.
public struct UUIDString: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The id of the seeded default records' writer, below every real replica id.
    public static let zero = UUIDString(unchecked: "00000000-0000-0000-0000-000000000000")

    /// Validates `text`; nil unless it is a canonical lowercase UUID.
    public init?(_ text: some StringProtocol) {
        guard UUIDString.isCanonical(text.utf8) else { return nil }
        rawValue = String(text)
    }

    init(unchecked text: String) { rawValue = text }

    /// A UUID from 16 bytes (used for random and derived ids).
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        let hex = SHA256.hex(bytes)
        let characters = Array(hex)
        var text = ""
        for (index, character) in characters.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { text.append("-") }
            text.append(character)
        }
        rawValue = text
    }

    /// A random version-4 UUID drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> UUIDString {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        return UUIDString(bytes: bytes)
    }

    private static func isCanonical(_ utf8: some Collection<UInt8>) -> Bool {
        guard utf8.count == 36 else { return false }
        for (index, byte) in utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !((byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)) {
                return false
            }
        }
        return true
    }

    public static func < (lhs: UUIDString, rhs: UUIDString) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// The identity of one write: when (HLC) and by whom (replica id).
///
/// The total order of writes is defined once, by `beats(_:)`.
public struct Stamp: Hashable, Sendable, CustomStringConvertible {
    public let hlc: HLC
    public let replica: UUIDString

    /// The stamp of the seeded default records, beaten by every real write.
    public static let seed = Stamp(hlc: .zero, replica: .zero)

    public init(hlc: HLC, replica: UUIDString) {
        self.hlc = hlc
        self.replica = replica
    }

    /// The last-writer-wins order: `self` beats `other` when its HLC is greater, or when the HLCs
    /// are equal and its replica id is greater (byte order of the lowercase UUID text). A stamp
    /// never beats itself: equal stamps are the same write. Tombstones are not ordered here: a
    /// delete beats every write whatever the stamps (see `RecordState.merge`).
    public func beats(_ other: Stamp) -> Bool {
        if hlc != other.hlc { return hlc > other.hlc }
        return replica > other.replica
    }

    /// Parses the canonical text form `HLC@REPLICA`.
    public init?(canonical text: some StringProtocol) {
        let parts = text.split(separator: "@")
        guard parts.count == 2, let hlc = HLC(hex: parts[0]), let replica = UUIDString(parts[1]) else { return nil }
        self.init(hlc: hlc, replica: replica)
    }

    /// The canonical text form used in digests and vectors: `HLC@REPLICA`.
    public var description: String { "\(hlc.hex)@\(replica.rawValue)" }
}
