/// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein; the reference `siphash` with
/// `outlen` 16): a fast keyed hash, the per-record hash of the state digest
/// (`StateDigest`, Protocol/SPEC.md §3). Pure; checked against the reference vectors.
public struct SipHash128: Sendable {
    private let k0: UInt64
    private let k1: UInt64

    /// A hash keyed by `key`'s 16 bytes (little-endian words, as the reference reads them).
    public init(key: [UInt8]) {
        precondition(key.count == 16, "a SipHash key is 16 bytes")
        k0 = Self.word(key, 0)
        k1 = Self.word(key, 8)
    }

    /// The 16 bytes of the hash of `message`.
    public func hash(_ message: [UInt8]) -> [UInt8] {
        let (low, high) = words(message)
        return (0..<8).map { UInt8(truncatingIfNeeded: low >> (8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: high >> (8 * $0)) }
    }

    /// The hash of `message` as two little-endian words: its first 8 bytes, then its last 8.
    public func words(_ message: [UInt8]) -> (low: UInt64, high: UInt64) {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1 ^ 0xee
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        func round() {
            v0 &+= v1; v1 = v1.rotatedLeft(13); v1 ^= v0; v0 = v0.rotatedLeft(32)
            v2 &+= v3; v3 = v3.rotatedLeft(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotatedLeft(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotatedLeft(17); v1 ^= v2; v2 = v2.rotatedLeft(32)
        }
        let whole = message.count & ~7
        var offset = 0
        while offset < whole {
            let m = Self.word(message, offset)
            v3 ^= m
            round(); round()
            v0 ^= m
            offset += 8
        }
        var last = UInt64(truncatingIfNeeded: message.count) << 56
        for index in whole..<message.count { last |= UInt64(message[index]) << (8 * UInt64(index - whole)) }
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xee
        round(); round(); round(); round()
        let low = v0 ^ v1 ^ v2 ^ v3
        v1 ^= 0xdd
        round(); round(); round(); round()
        return (low, v0 ^ v1 ^ v2 ^ v3)
    }

    /// The little-endian word at `offset` (which has 8 bytes after it). The closure captures
    /// nothing mutable: the state words captured by `round` in a closure would each be checked
    /// for exclusive access at run time, many times slower.
    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= bytes.count, "a SipHash word past the end")
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
}

private extension UInt64 {
    func rotatedLeft(_ count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}

/// The state digest (Protocol/SPEC.md §3): the sum, modulo 2^128, of every record's
/// `SipHash128` (keyed by "boucle digest v2") of its canonical line, and the number of records.
/// Order does not matter, so it is kept up to date by each write (`add`, `remove`) instead of
/// recomputed; `hex` is what `boucle status` shows.
public struct StateDigest: Equatable, Sendable {
    public private(set) var low: UInt64 = 0
    public private(set) var high: UInt64 = 0
    public private(set) var records: Int64 = 0

    /// The per-record hash's key.
    public static let hash = SipHash128(key: Array("boucle digest v2".utf8))

    public init() {}

    public init(low: UInt64, high: UInt64, records: Int64) {
        self.low = low
        self.high = high
        self.records = records
    }

    /// The per-record hash of a record's canonical line (`RecordState.canonicalJSON`).
    public static func recordHash(_ canonicalLine: [UInt8]) -> (low: UInt64, high: UInt64) {
        hash.words(canonicalLine)
    }

    /// Counts a record in.
    public mutating func add(_ record: (low: UInt64, high: UInt64)) {
        addToSum(record)
        records += 1
    }

    /// Counts a record out (the hash it was counted in with).
    public mutating func remove(_ record: (low: UInt64, high: UInt64)) {
        subtractFromSum(record)
        records -= 1
    }

    /// Adds another digest's records (those a transaction wrote).
    public mutating func merge(_ other: StateDigest) {
        addToSum((other.low, other.high))
        records += other.records
    }

    /// Takes another digest's records out (those a transaction replaced or removed).
    public mutating func subtract(_ other: StateDigest) {
        subtractFromSum((other.low, other.high))
        records -= other.records
    }

    /// The 128-bit sum plus `value`, modulo 2^128.
    private mutating func addToSum(_ value: (low: UInt64, high: UInt64)) {
        let (sum, carry) = low.addingReportingOverflow(value.low)
        low = sum
        high = high &+ value.high &+ (carry ? 1 : 0)
    }

    /// The 128-bit sum minus `value`, modulo 2^128.
    private mutating func subtractFromSum(_ value: (low: UInt64, high: UInt64)) {
        let (difference, borrow) = low.subtractingReportingOverflow(value.low)
        low = difference
        high = high &- value.high &- (borrow ? 1 : 0)
    }

    /// SHA-256 of the sum (16 bytes, big-endian) and the record count (8 bytes, big-endian), in hex.
    public var hex: String {
        var bytes: [UInt8] = []
        for word in [high, low] { bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: records) >> (8 * $0)) }
        return SHA256.hex(SHA256.hash(bytes))
    }
}
