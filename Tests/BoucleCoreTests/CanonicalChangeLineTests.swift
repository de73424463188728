@testable import BoucleCore
import Foundation
import XCTest

/// The fast reader of canonical change lines must accept nothing the general path refuses and
/// build the very same change.
final class CanonicalChangeLineTests: XCTestCase {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/sample/lyon.changeset")

    /// The change the general path reads from `line` (forced there by a space after the brace),
    /// or nil when it refuses it.
    func general(_ line: [UInt8]) -> Change? {
        guard line.first == UInt8(ascii: "{") else { return nil }
        let spaced = [UInt8(ascii: "{"), UInt8(ascii: " ")] + line.dropFirst() + [10]
        let header = Array(#"{"format":"boucle-changeset","version":1,"tenant":"","origin":"00000000-0000-4000-8000-00000000000a"}"#.utf8) + [10]
        let body = header + spaced
        let trailer = Array(#"{"end":{"changes":1,"sha256":""#.utf8) + Array(SHA256.hex(SHA256.hash(body)).utf8) + Array(#""}}"#.utf8) + [10]
        var decoder = ChangeSetDecoder()
        var found: Change?
        do {
            try decoder.consume(body + trailer) { item in
                if case .change(let change) = item { found = change }
            }
            try decoder.finish()
        } catch {
            return nil
        }
        return found
    }

    func fast(_ line: [UInt8]) -> Change? {
        line.withUnsafeBytes { CanonicalChangeLine.parse($0) }
    }

    func sampleLines() throws -> [[UInt8]] {
        let text = try Data(contentsOf: Self.sample)
        let lines = text.split(separator: 10).map { Array($0) }
        return Array(lines.dropFirst().dropLast())   // the header and the trailer are not changes
    }

    func testEveryCanonicalLineOfTheSampleReadsAsTheGeneralPathReadsIt() throws {
        let lines = try sampleLines()
        XCTAssertGreaterThan(lines.count, 400)
        for line in lines {
            let quick = fast(line)
            XCTAssertNotNil(quick, String(decoding: line, as: UTF8.self))
            XCTAssertEqual(quick, general(line))
        }
    }

    func testMutatedLinesAreEitherLeftToTheGeneralPathOrReadAlike() throws {
        let lines = try sampleLines()
        let seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? 20_261_129
        print("canonical change line mutations: seed \(seed)")
        var random = SeededGenerator(seed: seed)
        var accepted = 0
        for _ in 0..<5_000 {
            var line = lines[Int.random(in: 0..<lines.count, using: &random)]
            let index = Int.random(in: 0..<line.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: line[index] = UInt8.random(in: 0...255, using: &random)
            case 1: line.insert(UInt8.random(in: 32...126, using: &random), at: index)
            default: line.remove(at: index)
            }
            guard let quick = fast(line) else { continue }
            accepted += 1
            XCTAssertEqual(quick, general(line), "seed \(seed): \(String(decoding: line, as: UTF8.self))")
        }
        XCTAssertGreaterThan(accepted, 0, "some mutations stay canonical (a changed letter in a title)")
    }
}
