import BoucleCore
import BoucleStore
import Foundation
import XCTest

/// Runs every vector of Protocol/vectors: each positive one in every order of its files, each
/// file imported twice, into a fresh replica; each negative one must be refused, changing nothing.
final class ProtocolVectorTests: StoreTestCase {
    static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    func testEveryVector() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.vectors.path)
            .filter { $0.first?.isNumber == true }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 28)
        for name in names {
            let folder = Self.vectors.appendingPathComponent(name)
            let expected = try JSONParser.parse([UInt8](Data(contentsOf: folder.appendingPathComponent("expected.json"))))
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".changeset") }.sorted().map { folder.appendingPathComponent($0).path }
            if let error = expected["error"]?.stringValue {
                try checkRefused(name, files: files, error: error)
            } else {
                let state = try XCTUnwrap(expected["state"]?.arrayValue, "\(name): no state")
                let digest = try XCTUnwrap(expected["digest"]?.stringValue, "\(name): no digest")
                for order in permutations(files) {
                    let (merged, mergedDigest) = try merge(order + order)
                    let names = order.map { URL(fileURLWithPath: $0).lastPathComponent }
                    XCTAssertEqual(merged, state, "\(name): order \(names)")
                    XCTAssertEqual(mergedDigest, digest, "\(name): order \(names): the canonical bytes differ")
                }
            }
        }
    }

    func testSeededCategoriesAreTheListedOnes() throws {
        let listed = try JSONParser.parse([UInt8](Data(contentsOf: Self.vectors.appendingPathComponent("seed-categories.json"))))
        let store = try makeReplica("seed.db", tenant: "test", clock: ManualClock())
        let ours = try store.records(in: .category).map { $0.id.rawValue }.sorted()
        let theirs = (listed.arrayValue ?? listed["categories"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.sorted()
        XCTAssertEqual(ours, theirs)
    }

    /// The canonical state, less the seeded categories as seeded, and the state digest, after
    /// importing `files` in order.
    private func merge(_ files: [String]) throws -> ([JSONValue], String) {
        let seeded = try makeReplica("s-\(UUID().uuidString).db", tenant: "test", clock: ManualClock())
        let seeds = Set(try seeded.canonicalState())
        let store = try makeReplica("v-\(UUID().uuidString).db", tenant: "test", clock: ManualClock())
        for file in files { _ = try store.importChangeSet(path: file) }
        return (try store.canonicalState().filter { !seeds.contains($0) }.map { try JSONParser.parse($0) }, try store.digest())
    }

    /// Each double of `numbers.json` is written as its canonical JSON (RFC 8785).
    func testEveryNumberIsWrittenAsItsCanonicalJSON() throws {
        let numbers = try XCTUnwrap(try JSONParser.parse([UInt8](Data(contentsOf: Self.vectors.appendingPathComponent("numbers.json")))).arrayValue)
        XCTAssertGreaterThan(numbers.count, 400)
        for number in numbers {
            let input = try XCTUnwrap(number["input"]?.stringValue)
            let value = try XCTUnwrap(Double(input), input)
            var out: [UInt8] = []
            JSONWriter.appendNumber(value, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), number["canonical"]?.stringValue, input)
        }
    }

    private func checkRefused(_ name: String, files: [String], error expected: String) throws {
        let store = try makeReplica("n-\(name).db", tenant: "test", clock: ManualClock())
        let before = try store.digest()
        for file in files {
            XCTAssertThrowsError(try store.importChangeSet(path: file), name) { error in
                XCTAssertTrue("\(error)".lowercased().contains(expected.lowercased()), "\(name): \(error)")
            }
        }
        XCTAssertEqual(try store.digest(), before, "\(name): a refused change-set changed the replica")
    }

    private func permutations(_ items: [String]) -> [[String]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }
}
