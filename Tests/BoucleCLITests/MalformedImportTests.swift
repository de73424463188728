import Foundation
import XCTest

/// Every change-set in Fixtures/malformed/ is refused whole: exit status 1, a clear error, and
/// the replica exactly as it was.
final class MalformedImportTests: CLITestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/malformed", isDirectory: true)

    func testEveryMalformedChangeSetIsRefusedWholeAndChangesNothing() throws {
        let cases = try expectedErrors()
        XCTAssertGreaterThanOrEqual(cases.count, 10, "expected.tsv lists the malformed fixtures")

        // A replica of tenant lyon (the fixtures' tenant) with records, a pending edit and a conflict.
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer("--address", "41 rue de Marseille, 69007 Lyon")
        _ = try nord.ok("request", "add", "--category", "pets", "--title", "Promener Rex", "--urgency", "high")
        try send(nord, to: sud, as: "first.changeset")
        try nord.ok("set", offer, "title=Courses du nord")
        try sud.ok("set", offer, "title=Courses du sud")
        try send(sud, to: nord, as: "sud.changeset")
        let before = try snapshot(nord)
        XCTAssertEqual(try nord.conflicts().count, 1)

        for (name, expected) in cases {
            let fixture = Self.fixtures.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.fileExists(atPath: fixture), "\(name) is listed but missing")
            let result = try nord.run("import", fixture)
            XCTAssertEqual(result.status, 1, "\(name): \(result.err)")
            XCTAssertEqual(result.out, "", name)
            XCTAssertTrue(result.err.hasPrefix("boucle: error: "), "\(name): \(result.err)")
            XCTAssertTrue(result.err.hasSuffix("\n"), "\(name): \(result.err)")
            XCTAssertEqual(result.err.filter { $0 == "\n" }.count, 1, "\(name): one line: \(result.err)")
            XCTAssertTrue(
                result.err.lowercased().contains(expected.lowercased()),
                "\(name): expected \"\(expected)\" in \(result.err)"
            )
            XCTAssertEqual(try snapshot(nord), before, "\(name) changed the replica")
        }
    }

    /// What a refused import must leave alone: status (digest, pending, conflicts, tenant…), the
    /// conflict log and the records.
    private func snapshot(_ replica: Replica) throws -> [String] {
        try [
            replica.ok("status", "--json"),
            replica.ok("conflicts", "--json"),
            replica.ok("list", "offer", "--json"),
            replica.ok("list", "request", "--json"),
        ]
    }

    /// `expected.tsv`: a header line, then `file<TAB>error substring` lines.
    private func expectedErrors() throws -> [(String, String)] {
        let url = Self.fixtures.appendingPathComponent("expected.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("\(url.path) is missing: run `python3 Fixtures/generate.py`")
            throw HarnessError("no expected.tsv")
        }
        return try text.split(separator: "\n").dropFirst().map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 2, !columns[0].isEmpty, !columns[1].isEmpty else {
                XCTFail("expected.tsv: bad line \"\(line)\"")
                throw HarnessError("bad expected.tsv")
            }
            return (String(columns[0]), String(columns[1]))
        }
    }
}
