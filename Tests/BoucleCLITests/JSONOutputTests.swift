import Foundation
import SQLite
import XCTest

/// `--json` on every read command prints valid JSON of the documented shape.
final class JSONOutputTests: CLITestCase {
    private static let defaultSlugs = [
        "groceries", "homework", "conversation", "crisis-staff", "pets", "it-paperwork", "masks", "printing", "other",
    ]

    func testListPrintsAnArrayOfRecordsWithIdCollectionTeamAndFields() throws {
        let nord = try makeReplica("nord", team: "nord")
        let offer = try nord.addOffer("--address", "12 rue Mercière, 69002 Lyon", "--lat", "45.7622", "--lon", "4.8320")
        let remote = try nord.addOffer("--remote", category: "conversation", title: "Appels le soir")
        let request = try nord.ok("request", "add", "--category", "pets", "--title", "Promener Rex", "--on-behalf-of", "ma voisine")

        let offers = try JSON.objects(try nord.json("list", "offer"))
        XCTAssertEqual(Set(offers.compactMap { $0["id"] as? String }), [offer, remote])
        for record in offers {
            XCTAssertEqual(record["collection"] as? String, "offer")
            XCTAssertEqual(record["team"] as? String, "nord")
            XCTAssertEqual(record["status"] as? String, "open")
            XCTAssertNotNil(record["title"] as? String)
            XCTAssertNotNil(record["category"] as? String)
        }
        let first = try XCTUnwrap(offers.first { $0["id"] as? String == offer })
        XCTAssertEqual(first["lat"] as? Double, 45.7622)
        XCTAssertEqual(first["lon"] as? Double, 4.8320)
        XCTAssertEqual(first["remote"] as? Bool, false)
        XCTAssertEqual(try XCTUnwrap(offers.first { $0["id"] as? String == remote })["remote"] as? Bool, true)

        let requests = try JSON.objects(try nord.json("list", "request"))
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?["id"] as? String, request)
        XCTAssertEqual(requests.first?["collection"] as? String, "request")
        XCTAssertEqual(requests.first?["urgency"] as? String, "normal")
        XCTAssertEqual(requests.first?["on_behalf_of"] as? String, "ma voisine")

        let filtered = try JSON.objects(try nord.json("list", "offer", "--category", "conversation"))
        XCTAssertEqual(filtered.compactMap { $0["id"] as? String }, [remote])
        XCTAssertEqual(try JSON.objects(try nord.json("list", "round")).count, 0, "an empty collection is []")
    }

    func testShowPrintsOneObjectWithIdCollectionTeamAndFields() throws {
        let nord = try makeReplica("nord", team: "nord")
        let offer = try nord.addOffer("--phone", "06 00 00 12 34", "--details", "Le samedi")
        let shown = try JSON.object(try nord.json("show", offer))
        XCTAssertEqual(shown["id"] as? String, offer)
        XCTAssertEqual(shown["collection"] as? String, "offer")
        XCTAssertEqual(shown["team"] as? String, "nord")
        XCTAssertEqual(shown["title"] as? String, "Courses le samedi")
        XCTAssertEqual(shown["phone"] as? String, "06 00 00 12 34")
        XCTAssertEqual(shown["details"] as? String, "Le samedi")
        XCTAssertEqual(shown["category"] as? String, "groceries")

        try nord.ok("set", offer, "details=")
        XCTAssertNil(try JSON.object(try nord.json("show", offer))["details"], "a cleared field is left out")
    }

    func testStatusPrintsReplicaIdTenantTeamPendingConflictsAndDigest() throws {
        let nord = try makeReplica("nord", team: "nord")
        let status = try nord.status()
        let replicaID = try XCTUnwrap(status["replica_id"] as? String)
        XCTAssertNotNil(UUID(uuidString: replicaID))
        XCTAssertEqual(status["tenant"] as? String, "lyon")
        XCTAssertEqual(status["team"] as? String, "nord")
        XCTAssertEqual(status["pending"] as? Int, 0)
        XCTAssertEqual(status["conflicts"] as? Int, 0)
        let digest = try XCTUnwrap(status["digest"] as? String)
        XCTAssertEqual(digest.count, 64)
        XCTAssertTrue(digest.allSatisfy { "0123456789abcdef".contains($0) }, digest)

        _ = try nord.addOffer()
        let after = try nord.status()
        XCTAssertEqual(after["pending"] as? Int, 1)
        XCTAssertNotEqual(after["digest"] as? String, digest)
        XCTAssertEqual(after["replica_id"] as? String, replicaID)
    }

    /// `status --verify` says what it checked, in both outputs; a kept digest that is wrong (a
    /// file edited by hand) fails the command with what to do, is repaired, and checks out after.
    func testStatusVerifySaysItCheckedTheDigestAndRepairsAWrongOne() throws {
        let nord = try makeReplica("nord", team: "nord")
        _ = try nord.addOffer()
        let digest = try nord.digest()
        let human = try nord.ok("status", "--verify")
        XCTAssertTrue(human.contains("digest:     \(digest) (checked: recomputed from every record)"), human)
        let json = try JSON.object(try nord.json("status", "--verify"))
        XCTAssertEqual(json["verified"] as? Bool, true)
        XCTAssertNil(try nord.status()["verified"], "only a status that checked says so")

        let db = try Database(path: nord.path, create: false)
        try db.execute("UPDATE meta SET value = '1:2:3' WHERE key = 'digest'")
        try db.close()
        let wrong = try nord.run("status", "--verify")
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.err, "boucle: error: the digest kept by the writes was wrong: it is repaired (\(digest)); please report it\n")
        XCTAssertTrue(try nord.ok("status", "--verify").contains("(checked: recomputed from every record)"))
        XCTAssertEqual(try nord.digest(), digest)
    }

    func testCategoriesOfANewReplicaAreTheNineDefaults() throws {
        let nord = try makeReplica("nord", team: "nord")
        let categories = try JSON.objects(try nord.json("categories"))
        XCTAssertEqual(categories.count, 9)
        XCTAssertEqual(Set(categories.compactMap { $0["slug"] as? String }), Set(Self.defaultSlugs))
        for category in categories {
            XCTAssertEqual(Set(category.keys), ["slug", "label"])
            XCTAssertFalse((category["label"] as? String ?? "").isEmpty, "\(category)")
        }
        XCTAssertEqual(categories.first { $0["slug"] as? String == "groceries" }?["label"] as? String,
                       "Courses de première nécessité")
        XCTAssertEqual(try JSON.objects(try nord.json("list", "category")).count, 9)
    }

    func testConflictsPrintsAnArrayOfEntries() throws {
        let nord = try makeReplica("nord", team: "nord")
        XCTAssertEqual(try nord.conflicts().count, 0, "an empty log is []")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer()
        try send(nord, to: sud, as: "first.changeset")
        try nord.ok("set", offer, "status=paused")
        try sud.ok("set", offer, "status=closed")
        try send(sud, to: nord, as: "sud.changeset")
        let entries = try nord.conflicts()
        XCTAssertEqual(entries.count, 1)
        let entry = try XCTUnwrap(entries.first)
        for key in ["number", "kind", "id", "collection", "field", "lost", "kept"] {
            XCTAssertNotNil(entry[key], "missing \(key) in \(entry)")
        }
        for side in ["lost", "kept"] {
            let value = try JSON.object(try XCTUnwrap(entry[side]))
            for key in ["value", "hlc", "replica", "time", "erased"] {
                XCTAssertNotNil(value[key], "missing \(side).\(key) in \(entry)")
            }
        }
        let cleared = try JSON.object(try nord.json("conflicts", "--clear"))
        XCTAssertEqual(cleared["cleared"] as? Int, 1)
    }
}
