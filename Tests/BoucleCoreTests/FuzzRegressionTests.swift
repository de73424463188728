import BoucleCore
import Foundation
import XCTest

/// Every input on which the change-set fuzzer (Tests/Fuzz/ChangeSetFuzz.swift) once found a bug is
/// kept in Fixtures/fuzz/regressions/changeset/. Each decodes without trapping, to the same
/// outcome whole and fed a byte at a time, and to the outcome written down here, with the default
/// line limit and with the fuzzer's small one.
final class FuzzRegressionTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/regressions/changeset", isDirectory: true)

    /// The line limit the fuzzer also decodes with (`ChangeSetFuzz.smallLineLimit`).
    static let smallLineLimit = 160

    struct Outcome: Equatable {
        var items: [ChangeSetDecoder.Item] = []
        var error: ChangeSetError?
    }

    /// Per file: the error with the default line limit, then with the small one. Every file of the
    /// folder must be listed, so that a new regression states what it should give.
    static let expected: [String: (default: ChangeSetError, small: ChangeSetError)] = [
        // An overlong line that arrived with its newline was numbered one too far (line 3 instead
        // of 2) when fed whole, and correctly when fed in pieces.
        "line-too-long-counted-twice.changeset": (
            .invalidJSON(line: 2, reason: "expected a value at byte 23"),
            .lineTooLong(line: 2, limit: 160)
        ),
    ]

    func decode(_ bytes: [UInt8], pieceSize: Int, maxLineBytes: Int) -> Outcome {
        var decoder = ChangeSetDecoder(maxLineBytes: maxLineBytes)
        var outcome = Outcome()
        do {
            for start in stride(from: 0, to: bytes.count, by: pieceSize) {
                try decoder.consume(Array(bytes[start..<min(bytes.count, start + pieceSize)])) { outcome.items.append($0) }
            }
            try decoder.finish()
        } catch {
            outcome.error = error as? ChangeSetError
            XCTAssertNotNil(outcome.error, "threw \(error), not a ChangeSetError")
        }
        return outcome
    }

    func testEveryFuzzRegressionDecodesTheSameWholeAndInPiecesAndGivesItsExpectedError() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        XCTAssertFalse(names.isEmpty, "no regression inputs in \(Self.folder.path)")
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
            guard let expected = Self.expected[name] else {
                XCTFail("\(name): add its expected outcome to FuzzRegressionTests.expected")
                continue
            }
            for (limit, error) in [(ChangeSetDecoder.defaultMaxLineBytes, expected.default), (Self.smallLineLimit, expected.small)] {
                let whole = decode(bytes, pieceSize: max(1, bytes.count), maxLineBytes: limit)
                let bytewise = decode(bytes, pieceSize: 1, maxLineBytes: limit)
                XCTAssertEqual(bytewise, whole, "\(name), line limit \(limit): feeding a byte at a time changed the outcome")
                XCTAssertEqual(whole.error, error, "\(name), line limit \(limit)")
            }
        }
    }
}
