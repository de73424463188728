@testable import BoucleStore
import BoucleCore
import XCTest

/// The binary form of the field registers: exact round trips, and refusal (never a crash) of
/// damaged bytes.
final class FieldsCodecTests: XCTestCase {
    private static let replicas = [UUIDString.zero, UUIDString("0b6c1c1e-8d7c-4b7e-9a55-0c4f3f4a9e21")!,
                                   UUIDString("ffffffff-ffff-4fff-bfff-ffffffffffff")!]

    private static func randomFields(_ generator: inout SeededGenerator, rowSeq: Int64) -> [String: FieldRegister] {
        var fields: [String: FieldRegister] = [:]
        let names = ["title", "details", "address", "contact_name", "phone", "remote", "lat", "é"]
        func stamp() -> Stamp {
            Stamp(hlc: HLC(rawValue: UInt64.random(in: 0...UInt64.max, using: &generator)),
                  replica: replicas.randomElement(using: &generator) ?? .zero)
        }
        let shared = stamp()
        for name in names where Bool.random(using: &generator) {
            let value: FieldValue = switch Int.random(in: 0..<5, using: &generator) {
            case 0: .null
            case 1: .text(String(repeating: "rue de la Ré ", count: Int.random(in: 0..<40, using: &generator)))
            case 2: .number(Double.random(in: -1e9...1e9, using: &generator))
            case 3: .bool(Bool.random(using: &generator))
            default: .text("")
            }
            fields[name] = FieldRegister(value: value, stamp: Bool.random(using: &generator) ? shared : stamp(),
                                         prev: Bool.random(using: &generator) ? stamp() : nil,
                                         seq: rowSeq - Int64.random(in: -3...1_000_000, using: &generator))
        }
        return fields
    }

    func testRandomRegistersRoundTrip() {
        let seed: UInt64 = 20_261_129
        print("FieldsCodecTests seed \(seed)")
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2_000 {
            let rowSeq = Int64.random(in: 0...Int64.max / 2, using: &generator)
            let fields = Self.randomFields(&generator, rowSeq: rowSeq)
            let bytes = FieldsCodec.encode(fields, rowSeq: rowSeq)
            XCTAssertEqual(bytes.withUnsafeBytes { FieldsCodec.decode($0, rowSeq: rowSeq) }, fields)
        }
    }

    func testSharedStampsAreStoredOnce() {
        let stamp = Stamp(hlc: HLC(milliseconds: 1_735_689_600_000, counter: 0), replica: Self.replicas[1])
        let fields = Dictionary(uniqueKeysWithValues: ["title", "details", "phone"].map {
            ($0, FieldRegister(value: .text("x"), stamp: stamp, seq: 7))
        })
        let bytes = FieldsCodec.encode(fields, rowSeq: 7)
        // version, count, then 3 × (name, tag, "x", stamp flag, seq, prev flag), and one stamp of 44 bytes.
        let names = ["title", "details", "phone"].reduce(0) { $0 + 1 + $1.utf8.count }
        XCTAssertEqual(bytes.count, 2 + names + 3 * (1 + 2 + 1 + 1 + 1) + 44)
    }

    func testEveryTruncationAndCorruptionIsRefusedWithoutCrashing() {
        var generator = SeededGenerator(seed: 7)
        let fields = Self.randomFields(&generator, rowSeq: 100).merging(
            ["title": FieldRegister(value: .text("Courses"), stamp: .seed, seq: 100)], uniquingKeysWith: { $1 })
        let bytes = FieldsCodec.encode(fields, rowSeq: 100)
        for length in 0..<bytes.count {
            XCTAssertNil(Array(bytes[0..<length]).withUnsafeBytes { FieldsCodec.decode($0, rowSeq: 100) }, "cut at \(length)")
        }
        XCTAssertNil((bytes + [0]).withUnsafeBytes { FieldsCodec.decode($0, rowSeq: 100) }, "a trailing byte")
        for index in bytes.indices {
            for replacement: UInt8 in [0x00, 0x7f, 0xff] {
                var damaged = bytes
                damaged[index] = replacement
                // Either refused or decoded into some registers: never a trap.
                _ = damaged.withUnsafeBytes { FieldsCodec.decode($0, rowSeq: 100) }
            }
        }
        XCTAssertNil([UInt8](arrayLiteral: 2, 0).withUnsafeBytes { FieldsCodec.decode($0, rowSeq: 0) }, "another version")
        XCTAssertNil([UInt8](arrayLiteral: 1, 0xff, 0xff, 0xff, 0xff, 0x0f).withUnsafeBytes { FieldsCodec.decode($0, rowSeq: 0) },
                     "a count larger than the bytes")
    }
}

extension FieldsCodecTests {
    /// The fast path of an import writes a new record's bytes straight from its change: they
    /// must be the bytes of the state a merge into nothing builds, at any row sequence.
    func testANewRecordEncodesAsTheStateAMergeIntoNothingBuilds() throws {
        let seed: UInt64 = 11_29
        print("FieldsCodecTests new-record seed \(seed)")
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let rowSeq = Int64.random(in: 1...1_000_000, using: &generator)
            let registers = Self.randomFields(&generator, rowSeq: rowSeq)
            guard !registers.isEmpty else { continue }
            let stamp = Stamp(hlc: HLC(rawValue: UInt64.random(in: 1...UInt64.max, using: &generator)), replica: Self.replicas[1])
            let change = Change(collection: .offer, id: UUIDString("5b8ea3a4-7d1e-4c55-9a4e-2f5c3f0f9d10")!, team: "nord", stamp: stamp,
                                operation: .set(registers.mapValues(\.value)), prev: registers.compactMapValues(\.prev))
            let merged = try RecordState.merge(change, into: nil, seq: rowSeq)
            let direct = FieldsCodec.encode(newRecord: registers.mapValues(\.value), stamp: stamp, prev: change.prev)
            XCTAssertEqual(direct.withUnsafeBytes { FieldsCodec.decode($0, rowSeq: rowSeq) }, merged.state.fields)
        }
    }
}
