import Foundation
import XCTest

/// `list` and `match` show a table of 50 rows unless `--limit` says, with how many more there
/// are; `--json` gives every record unless `--limit` says.
final class ReadLimitTests: CLITestCase {
    func testTablesStopAtTheirLimitAndSayHowManyMore() throws {
        let lyon = try makeReplica("lyon", team: "city")
        try lyon.importFile(ServerHarness.fixture("sample/lyon.changeset").path)
        let offers = try JSON.objects(try lyon.json("list", "offer"))
        XCTAssertGreaterThan(offers.count, 60)
        let table = try lyon.ok("list", "offer").split(separator: "\n")
        XCTAssertEqual(table.count, 1 + 50 + 1)
        XCTAssertEqual(String(table.last ?? ""), "… and \(offers.count - 50) more: see them with --limit \(offers.count) (or --json)")
        XCTAssertEqual(try lyon.ok("list", "offer", "--limit", "5").split(separator: "\n").count, 1 + 5 + 1)
        XCTAssertEqual(try lyon.ok("list", "offer", "--limit", "\(offers.count)").split(separator: "\n").count, 1 + offers.count)
        let three = try JSON.objects(try lyon.json("list", "offer", "--limit", "3"))
        XCTAssertEqual(three.map { $0["id"] as? String }, offers.prefix(3).map { $0["id"] as? String })
        XCTAssertEqual(try lyon.run("list", "offer", "--limit", "0").status, 2)

        let request = try XCTUnwrap(try JSON.objects(try lyon.json("list", "request")).first?["id"] as? String)
        let all = try JSON.objects(try lyon.json("match", request))
        let two = try JSON.objects(try lyon.json("match", request, "--limit", "2"))
        XCTAssertEqual(two.map { $0["id"] as? String }, all.prefix(2).map { $0["id"] as? String })
    }

    func testATableRowStaysOneLineWhateverLineBreaksItsCellsHold() throws {
        let replica = try makeReplica("field", team: "maraude")
        try replica.ok("offer", "add", "--category", "pets", "--title", "Promenades\ndu chien\r\nle soir", "--remote")
        let table = try replica.ok("list", "offer").split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(table.count, 1 + 1, "a header and one row")
        XCTAssertTrue(table[1].contains("Promenades du chien"), String(table[1]))
        XCTAssertTrue(table[1].contains(#"\u{D} le soir"#), "a carriage return is shown escaped: \(table[1])")
    }
}
