import BoucleCore
import XCTest

/// SHA-256 against the published FIPS 180-2 / CAVS vectors, and padding edges checked with
/// Python's hashlib.
final class SHA256Tests: XCTestCase {
    private func digest(_ bytes: [UInt8]) -> String { SHA256.hex(SHA256.hash(bytes)) }

    func testEmptyMessageMatchesNISTVector() {
        XCTAssertEqual(
            SHA256.hex(SHA256.hash("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testABCMatchesNISTVector() {
        XCTAssertEqual(
            SHA256.hex(SHA256.hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func test448BitMessageMatchesNISTVector() {
        XCTAssertEqual(
            SHA256.hex(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func test896BitMessageMatchesNISTVector() {
        let message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(
            SHA256.hex(SHA256.hash(message)),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionAMatchesNISTVector() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)), expected)
        // The same message fed in uneven pieces.
        var hasher = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(piece.count, 1_000_000 - fed)
            hasher.update(piece[0..<n])
            fed += n
        }
        XCTAssertEqual(SHA256.hex(hasher.finalize()), expected)
    }

    func testSplittingUpdatesAtAnyOffsetGivesTheSameDigest() {
        let message = (0..<131).map { UInt8(($0 * 7 + 3) % 256) }
        let expected = "4c14830d5f17552093a46de0f6884f8f3010789462dab3db3d1cc679575e01ad"
        XCTAssertEqual(digest(message), expected)
        for split in 0...131 {
            var hasher = SHA256()
            hasher.update(message[0..<split])
            hasher.update(message[split...])
            XCTAssertEqual(SHA256.hex(hasher.finalize()), expected, "split at \(split)")
        }
        // Three pieces, through the raw-pointer entry point.
        for split in 0...130 {
            var hasher = SHA256()
            message.withUnsafeBytes { raw in
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<split]))
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[split..<split + 1]))
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[(split + 1)...]))
            }
            XCTAssertEqual(SHA256.hex(hasher.finalize()), expected, "split at \(split)")
        }
    }

    func testPaddingEdgeLengthsMatchHashlib() {
        // Lengths around the 56-byte boundary where the length field no longer fits in the block.
        let expected: [(Int, String, String)] = [
            (55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
             "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
            (56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
             "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
            (63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
             "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
            (64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
             "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
            (65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
             "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        ]
        for (length, counting, letters) in expected {
            XCTAssertEqual(digest((0..<length).map { UInt8($0 % 256) }), counting, "length \(length)")
            XCTAssertEqual(SHA256.hex(SHA256.hash(String(repeating: "a", count: length))), letters, "length \(length)")
        }
    }

    func testStringUpdateHashesItsUTF8() {
        let text = "café ☕️ 😀"
        XCTAssertEqual(SHA256.hash(text), SHA256.hash(Array(text.utf8)))
    }

    func testHexIsLowercaseTwoDigitsPerByte() {
        XCTAssertEqual(SHA256.hex([]), "")
        XCTAssertEqual(SHA256.hex([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
    }
}
