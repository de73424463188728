import Foundation
import XCTest

/// The city's offline commands: importing a field change-set, figures per tenant.
final class ServerAdminTests: ServerTestCase {
    func testImportedSampleShowsInTheTenantsStats() throws {
        try admin("tenant", "create", "lyon")
        let imported = try admin("import", ServerHarness.fixture("sample/lyon.changeset").path, "--tenant", "lyon")
        XCTAssertTrue(imported.hasPrefix("imported 473 changes into lyon: "), imported)
        let stats = try JSON.object(try JSON.parse(try admin("stats", "--tenant", "lyon", "--json")))
        let offers = try XCTUnwrap(stats["offer"] as? [String: Any])
        XCTAssertEqual(offers["total"] as? Int, 197)
        XCTAssertEqual((offers["by_team"] as? [String: Int])?.values.reduce(0, +), 197)
        let report = try admin("stats", "--tenant", "lyon")
        XCTAssertTrue(report.contains("requests: 199"), report)
        XCTAssertTrue(report.contains("█"), report)
    }

    func testImportingAnotherTenantsFileIsRefusedAndChangesNothing() throws {
        try admin("tenant", "create", "paris")
        let result = try adminRun(["import", ServerHarness.fixture("sample/lyon.changeset").path, "--tenant", "paris"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.err, "boucle-server: error: this change-set belongs to tenant \"lyon\", not \"paris\"\n")
        let stats = try JSON.object(try JSON.parse(try admin("stats", "--tenant", "paris", "--json")))
        XCTAssertEqual((stats["offer"] as? [String: Any])?["total"] as? Int, 0)
    }

    func testStatsOfAnUnknownTenantSaysSo() throws {
        let result = try adminRun(["stats", "--tenant", "nowhere"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.err, "boucle-server: error: no tenant \"nowhere\": create it with `boucle-server tenant create nowhere`\n")
    }
}
