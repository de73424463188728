import BoucleCore
import XCTest

/// SipHash-2-4-128 against the reference implementation's vectors (`vectors_sip128`, key
/// 00 01 … 0f, messages 00 01 … of growing length), and the state digest's arithmetic.
final class SipHashTests: XCTestCase {
    private let reference = SipHash128(key: Array(0..<16))

    func testReferenceVectors() {
        let expected: [[UInt8]] = [
            [0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93],
            [0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45],
            [0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3, 0x8b, 0xde, 0xf6, 0x0a, 0xff, 0xe4],
            [0x9c, 0x70, 0xb6, 0x0c, 0x52, 0x67, 0xa9, 0x4e, 0x5f, 0x33, 0xb6, 0xb0, 0x29, 0x85, 0xed, 0x51],
        ]
        for (length, bytes) in expected.enumerated() {
            XCTAssertEqual(reference.hash(Array(0..<UInt8(length))), bytes, "message of \(length) bytes")
        }
    }

    /// Messages across the 8-byte block boundary hash differently and deterministically.
    func testEveryLengthUpToTwoBlocksIsItsOwn() {
        let hashes = (0...17).map { reference.hash(Array(repeating: 0x61, count: $0)) }
        XCTAssertEqual(Set(hashes).count, hashes.count)
        XCTAssertEqual(hashes, (0...17).map { reference.hash(Array(repeating: 0x61, count: $0)) })
    }

    /// Adding then removing a record gives the digest back; order does not matter; the sum
    /// carries across its two words.
    func testTheDigestIsAnOrderFreeSum() {
        let records = (0..<50).map { StateDigest.recordHash(Array("record \($0)".utf8)) }
        var forward = StateDigest()
        records.forEach { forward.add($0) }
        var backward = StateDigest()
        records.reversed().forEach { backward.add($0) }
        XCTAssertEqual(forward, backward)
        XCTAssertEqual(forward.records, 50)
        var round = forward
        round.add((UInt64.max, 7))
        round.remove((UInt64.max, 7))
        XCTAssertEqual(round, forward)
        var carried = StateDigest()
        carried.add((UInt64.max, 0))
        carried.add((1, 0))
        XCTAssertEqual(carried, StateDigest(low: 0, high: 1, records: 2))
        // No record: SHA-256 of 24 zero bytes.
        XCTAssertEqual(StateDigest().hex, "9d908ecfb6b256def8b49a7c504e6c889c4b0e41fe6ce3e01863dd7b61a20aa0")
    }
}
