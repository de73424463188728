import BoucleCore
import XCTest

final class ChangeSetCodecTests: XCTestCase {
    let origin = UUIDString("00000000-0000-4000-8000-00000000000a")!

    func sampleChanges(_ count: Int) -> [Change] {
        (0..<count).map { index in
            let id = UUIDString(bytes: Array(SHA256.hash("record \(index)").prefix(16)))
            let stamp = Stamp(hlc: HLC(milliseconds: 1_700_000_000_000 + UInt64(index), counter: UInt16(index % 3)), replica: origin)
            if index % 7 == 6 {
                return Change(collection: .request, id: id, team: "nord", stamp: stamp, operation: .delete)
            }
            let prev = index % 3 == 0 ? ["title": Stamp(hlc: HLC(milliseconds: 1_600_000_000_000, counter: 0), replica: origin)] : [:]
            return Change(collection: .offer, id: id, team: "nord", stamp: stamp, operation: .set([
                "title": .text("Courses n°\(index) \"urgent\"\n"), "lat": .number(45.75 + Double(index) / 1000),
                "remote": .bool(index % 2 == 0), "phone": .null,
            ]), prev: prev)
        }
    }

    func encode(_ changes: [Change], tenant: String = "lyon") -> [UInt8] {
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: tenant, origin: origin))
        var bytes: [UInt8] = []
        for change in changes {
            encoder.append(change)
            if encoder.pendingByteCount > 300 { bytes += encoder.takeBytes() }
        }
        encoder.finish()
        return bytes + encoder.takeBytes()
    }

    func decode(_ bytes: [UInt8], chunk: Int = 1 << 16) throws -> (ChangeSetHeader?, [Change]) {
        var decoder = ChangeSetDecoder()
        var header: ChangeSetHeader?
        var changes: [Change] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            try decoder.consume(Array(bytes[start..<end])) { item in
                switch item {
                case .header(let read): header = read
                case .change(let change): changes.append(change)
                }
            }
            start = end
        }
        try decoder.finish()
        return (header, changes)
    }

    func decodeError(_ bytes: [UInt8]) -> ChangeSetError? {
        do {
            _ = try decode(bytes)
            return nil
        } catch {
            return error as? ChangeSetError
        }
    }

    func testRoundTripKeepsEveryChange() throws {
        let changes = sampleChanges(50)
        let (header, decoded) = try decode(encode(changes))
        XCTAssertEqual(header, ChangeSetHeader(tenant: "lyon", origin: origin))
        XCTAssertEqual(decoded, changes)
    }

    func testDecodingInPiecesOfAnySizeGivesTheSameChanges() throws {
        let bytes = encode(sampleChanges(12))
        let whole = try decode(bytes).1
        for chunk in [1, 2, 3, 7, 64, 1000] {
            XCTAssertEqual(try decode(bytes, chunk: chunk).1, whole, "chunk \(chunk)")
        }
    }

    func testWriterEmitsTheDocumentedLines() {
        let id = UUIDString("6f1c2a3b-0000-4000-8000-000000000001")!
        let change = Change(collection: .offer, id: id, team: "nord", stamp: Stamp(hlc: HLC(rawValue: 0x0190_f1c2_a3b4_0000), replica: origin),
                            operation: .set(["title": .text("Courses"), "remote": .bool(false)]))
        let text = String(decoding: encode([change]), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], #"{"format":"boucle-changeset","version":1,"tenant":"lyon","origin":"00000000-0000-4000-8000-00000000000a"}"#)
        XCTAssertEqual(lines[1], #"{"collection":"offer","id":"6f1c2a3b-0000-4000-8000-000000000001","team":"nord","hlc":"0190f1c2a3b40000","replica":"00000000-0000-4000-8000-00000000000a","set":{"remote":false,"title":"Courses"}}"#)
        let body = lines[0] + "\n" + lines[1] + "\n"
        XCTAssertEqual(lines[2], Substring(#"{"end":{"changes":1,"sha256":""# + SHA256.hex(SHA256.hash(String(body))) + #""}}"#))
        XCTAssertEqual(lines[3], "")
    }

    func testEmptyInputIsRefused() {
        XCTAssertEqual(decodeError([]), .empty)
    }

    func testTruncatedInputIsRefusedAtEveryCut() {
        let bytes = encode(sampleChanges(3))
        for cut in 1..<(bytes.count - 1) {
            XCTAssertNotNil(decodeError(Array(bytes[..<cut])), "cut at \(cut)")
        }
    }

    func testEveryFlippedByteIsRefused() {
        let bytes = encode(sampleChanges(2))
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x01
            XCTAssertNotNil(decodeError(damaged), "flip at \(index)")
        }
    }

    func testBytesAfterTheEndAreRefused() {
        XCTAssertEqual(decodeError(encode(sampleChanges(1)) + Array("x".utf8)), .dataAfterEnd(line: 4))
        XCTAssertEqual(decodeError(encode(sampleChanges(1)) + encode([])), .dataAfterEnd(line: 4))
    }

    func testOverlongLineIsRefusedWithBoundedMemory() {
        var bytes = Array(#"{"format":"boucle-changeset","version":1,"tenant":"lyon","origin":"00000000-0000-4000-8000-00000000000a"}"#.utf8) + [10]
        bytes += Array(repeating: UInt8(ascii: "a"), count: ChangeSetDecoder.defaultMaxLineBytes + 10)
        XCTAssertEqual(decodeError(bytes), .lineTooLong(line: 2, limit: ChangeSetDecoder.defaultMaxLineBytes))
    }

    func testUnknownVersionIsRefusedByNumber() {
        let text = #"{"format":"boucle-changeset","version":2,"tenant":"lyon","origin":"00000000-0000-4000-8000-00000000000a"}"# + "\n"
        XCTAssertEqual(decodeError(Array(text.utf8)), .unsupportedVersion(2))
        XCTAssertEqual(ChangeSetError.unsupportedVersion(2).description,
                       "unsupported change-set version 2: this boucle reads version 1; update boucle on this machine")
    }

    func testKeysInAnyOrderAndSpacesAreAccepted() throws {
        let header = #"{ "origin" : "00000000-0000-4000-8000-00000000000a", "tenant": "", "version": 1, "format": "boucle-changeset" }"#
        let change = #"{"set": {"title": "x"}, "replica": "00000000-0000-4000-8000-00000000000a", "hlc": "0000000000010000", "team": "nord", "id": "6f1c2a3b-0000-4000-8000-000000000001", "collection": "offer"}"#
        let body = header + "\n" + change + "\n"
        let text = body + #"{"end":{"sha256":""# + SHA256.hex(SHA256.hash(body)) + #"","changes":1}}"# + "\n"
        let (read, changes) = try decode(Array(text.utf8))
        XCTAssertEqual(read?.tenant, "")
        XCTAssertEqual(changes.count, 1)
    }

    func testAChangeWithAnUnknownFieldIsRefusedNamingIt() {
        let change = Change(collection: .offer, id: UUIDString("6f1c2a3b-0000-4000-8000-000000000001")!, team: "nord",
                            stamp: Stamp(hlc: HLC(rawValue: 1), replica: origin), operation: .set(["colour": .text("red")]))
        guard case .invalidChange(2, let reason)? = decodeError(encode([change])) else { return XCTFail("not refused") }
        XCTAssertTrue(reason.hasPrefix("unknown field \"colour\" for offer"), reason)
    }
}
