import Foundation
import XCTest

/// The mutual-aid domain through the real CLI: matching, places, rounds, categories and stats,
/// on the Fixtures sample of Lyon.
final class DomainTests: CLITestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// A replica holding the Fixtures sample.
    func sampleReplica() throws -> Replica {
        let replica = try makeReplica("sample", team: "croix-rousse")
        try replica.ok("import", Self.fixtures.appendingPathComponent("sample/lyon.changeset").path)
        return replica
    }

    func assertGolden(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        XCTAssertEqual(text, String(decoding: try Data(contentsOf: url), as: UTF8.self), "golden \(name)", file: file, line: line)
    }

    /// The sample's first located groceries request with an offer at its very address.
    static let sameBuildingRequest = "28 rue de Marseille, 69007 Lyon"

    func testMatchOnTheSampleMatchesItsGoldenFile() throws {
        let replica = try sampleReplica()
        let requests = try JSON.objects(try replica.json("list", "request", "--status", "open"))
        let request = try XCTUnwrap(requests.first { ($0["category"] as? String) == "groceries" && $0["lat"] != nil })
        let id = try XCTUnwrap(request["id"] as? String)
        try assertGolden("match-sample.txt", try replica.ok("match", id) + "\n")
        try assertGolden("match-sample-within-700.txt", try replica.ok("match", id, "--within", "700") + "\n")
    }

    func testMatchListsOnlyOpenOffersOfTheRequestsCategory() throws {
        let replica = try sampleReplica()
        let requests = try JSON.objects(try replica.json("list", "request"))
        let request = try XCTUnwrap(requests.first { ($0["category"] as? String) == "conversation" })
        let candidates = try JSON.objects(try replica.json("match", try XCTUnwrap(request["id"] as? String)))
        XCTAssertFalse(candidates.isEmpty)
        XCTAssertTrue(candidates.allSatisfy { $0["category"] as? String == "conversation" && $0["status"] as? String == "open" })
        let ranks = candidates.compactMap { $0["rank"] as? String }
        XCTAssertEqual(ranks, ranks.sorted { order($0) < order($1) }, "same address, remote, located, unlocated")
    }

    private func order(_ rank: String) -> Int { ["same address", "remote", "located", "no location"].firstIndex(of: rank) ?? 9 }

    func testSameAddressComesFirstWhateverTheFlat() throws {
        let replica = try makeReplica("a", team: "nord")
        let request = try replica.ok("request", "add", "--category", "groceries", "--title", "Courses pour Mme R.",
                                     "--address", "12 rue Mercière, 3e étage, 69002 Lyon", "--lat", "45.7622", "--lon", "4.8320")
        let neighbour = try replica.ok("offer", "add", "--category", "groceries", "--title", "Voisine du dessous",
                                       "--address", "12, Rue Merciere, apt 1, 69002 LYON")
        let near = try replica.ok("offer", "add", "--category", "groceries", "--title", "Tout près",
                                  "--address", "3 rue Mercière, 69002 Lyon", "--lat", "45.7625", "--lon", "4.8322")
        let candidates = try JSON.objects(try replica.json("match", request))
        XCTAssertEqual(candidates.compactMap { $0["id"] as? String }, [neighbour, near])
        XCTAssertEqual(try JSON.objects(try replica.json("list", "offer", "--address", "12 rue Mercière 69002")).count, 1)
    }

    func testRecordingAMatchMakesTheRequestMatchedAndDoneFollows() throws {
        let replica = try makeReplica("a", team: "nord")
        let request = try replica.ok("request", "add", "--category", "pets", "--title", "Promener Filou", "--remote")
        let offer = try replica.ok("offer", "add", "--category", "pets", "--title", "Promenades", "--remote")
        let match = try replica.ok("match", String(request.prefix(8)), "--offer", String(offer.prefix(8)))
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "matched")
        XCTAssertEqual(try JSON.object(try replica.json("show", match))["status"] as? String, "proposed")
        try replica.ok("set", match, "status=done")
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "done")
    }

    func testNearWithinListsNearestFirstAndNothingFurther() throws {
        let replica = try sampleReplica()
        let listed = try JSON.objects(try replica.json("list", "offer", "--near", "45.7676,4.8344", "--within", "600"))
        XCTAssertFalse(listed.isEmpty)
        var last = 0.0
        for offer in listed {
            let lat = try XCTUnwrap(offer["lat"] as? Double), lon = try XCTUnwrap(offer["lon"] as? Double)
            let meters = haversine(45.7676, 4.8344, lat, lon)
            XCTAssertLessThanOrEqual(meters, 600.5)
            XCTAssertGreaterThanOrEqual(meters + 0.5, last, "nearest first")
            last = meters
        }
        let everything = try JSON.objects(try replica.json("list", "offer"))
        let inside = everything.filter { offer in
            guard let lat = offer["lat"] as? Double, let lon = offer["lon"] as? Double else { return false }
            return haversine(45.7676, 4.8344, lat, lon) <= 600
        }
        XCTAssertEqual(inside.count, listed.count)
    }

    private func haversine(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = Double.pi / 180
        let h = pow(sin((lat2 - lat1) * r / 2), 2) + cos(lat1 * r) * cos(lat2 * r) * pow(sin((lon2 - lon1) * r / 2), 2)
        return 2 * 6_371_008.8 * asin(min(1, sqrt(h)))
    }

    func testShowRoundListsItsVolunteers() throws {
        let replica = try makeReplica("a", team: "nord")
        let round = try replica.ok("round", "add", "--kind", "maraude", "--date", "2026-12-03", "--area", "Presqu'île")
        try replica.ok("signup", "add", "--round", String(round.prefix(8)), "--volunteer", "Samira")
        try replica.ok("signup", "add", "--round", round, "--volunteer", "Karim", "--phone", "06 39 98 12 34")
        let shown = try replica.ok("show", round)
        XCTAssertTrue(shown.contains("volunteers: 2"), shown)
        XCTAssertTrue(shown.contains("Karim (06 39 98 12 34)"), shown)
        let json = try JSON.object(try replica.json("show", round))
        XCTAssertEqual((json["volunteers"] as? [[String: Any]])?.compactMap { $0["volunteer"] as? String }, ["Karim", "Samira"])
    }

    func testAddedCategoryReachesAnotherReplicaAndCanBeUsed() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        try nord.ok("category", "add", "--slug", "cooking", "--label", "Repas partagés")
        try sud.importFile(try nord.export(to: path("categories.changeset")))
        let slugs = try JSON.objects(try sud.json("categories")).compactMap { $0["slug"] as? String }
        XCTAssertEqual(slugs.count, 10)
        XCTAssertTrue(slugs.contains("cooking"))
        let soup = try sud.ok("offer", "add", "--category", "cooking", "--title", "Soupe du dimanche")
        try nord.importFile(try sud.export(to: path("soup.changeset")))
        XCTAssertEqual(try JSON.object(try nord.json("show", soup))["category"] as? String, "cooking")
        XCTAssertEqual(try nord.digest(), try sud.digest())
    }

    func testStatsCountTheSampleByCategoryStatusAndTeam() throws {
        let replica = try sampleReplica()
        let stats = try JSON.object(try replica.json("stats"))
        let offers = try XCTUnwrap(stats["offer"] as? [String: Any])
        XCTAssertEqual(offers["total"] as? Int, 197)
        let byCategory = try XCTUnwrap(offers["by_category"] as? [String: Int])
        XCTAssertEqual(byCategory.values.reduce(0, +), 197)
        let text = try replica.ok("stats")
        XCTAssertTrue(text.contains("offers: 197"), text)
        XCTAssertTrue(text.contains("█"), "bar charts")
    }
}
