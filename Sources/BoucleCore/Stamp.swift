/// A canonical lowercase UUID string (8-4-4-4-12 hex digits): a record's or a replica's identity.
///
/// Invariant: `rawValue` is 36 characters, lowercase hex and dashes in the UUID positions.
public struct UUIDString: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The id of the seeded default records' writer, below every real replica id.
    public static let zero = UUIDString(unchecked: "00000000-0000-0000-0000-000000000000")

    /// Validates `text`; nil unless it is a canonical lowercase UUID.
    public init?(_ text: String) {
        var text = text
        guard text.withUTF8({ UUIDString.isCanonical($0) }) else { return nil }
        rawValue = text
    }

    /// Validates `text`; nil unless it is a canonical lowercase UUID.
    public init?(_ text: Substring) {
        self.init(String(text))
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

    /// Checked on the contiguous UTF-8 bytes: the store reads ids by the million.
    static func isCanonical(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 36 else { return false }
        for index in 0..<36 {
            let byte = bytes[index]
            if index == 8 || index == 13 || index == 18 || index == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !HLC.isLowercaseHex(byte) {
                return false
            }
        }
        return true
    }

    /// Appends the id as a JSON string (its characters never need escaping).
    public func appendQuoted(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: rawValue.utf8)
        out.append(UInt8(ascii: "\""))
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

    /// Parses the canonical text form `HLC@REPLICA` (16 hex digits, `@`, a UUID).
    public init?(canonical text: String) {
        var text = text
        let parsed = text.withUTF8 { bytes -> (HLC, Bool)? in
            guard bytes.count == 53, bytes[16] == UInt8(ascii: "@"),
                  let hlc = HLC(hexBytes: UnsafeBufferPointer(rebasing: bytes[0..<16])) else { return nil }
            return (hlc, UUIDString.isCanonical(UnsafeBufferPointer(rebasing: bytes[17...])))
        }
        guard let (hlc, valid) = parsed, valid else { return nil }
        self.init(hlc: hlc, replica: UUIDString(unchecked: String(text.dropFirst(17))))
    }

    /// Appends `"HLC@REPLICA"` as a JSON string (its characters never need escaping).
    public func appendQuoted(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        hlc.appendHex(to: &out)
        out.append(UInt8(ascii: "@"))
        out.append(contentsOf: replica.rawValue.utf8)
        out.append(UInt8(ascii: "\""))
    }

    /// The canonical text form used in digests and vectors: `HLC@REPLICA`.
    public var description: String { "\(hlc.hex)@\(replica.rawValue)" }
}
