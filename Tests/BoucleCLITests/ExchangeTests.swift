import Foundation
import XCTest

/// Two replicas exchanging change-set files: the README tour, concurrent edits, idempotent
/// imports and concurrent sign-ups.
final class ExchangeTests: CLITestCase {
    /// The README tour: team nord and team sud of tenant lyon edit the same field of one offer
    /// while apart. After files go both ways, both hold the later stamp's value and the same
    /// digest, and the replica whose pending edit lost finds it in `boucle conflicts`.
    func testConcurrentEditsOfOneFieldConvergeToTheLaterStampAndLogTheLoser() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer("--address", "12 rue Mercière, 69002 Lyon", "--lat", "45.7622", "--lon", "4.8320")
        XCTAssertEqual(
            try nord.ok("export", "-o", path("first.changeset")),
            "wrote 1 change (1 record) to \(path("first.changeset"))"
        )
        let nordID = try XCTUnwrap(try nord.status()["replica_id"] as? String)
        let sudID = try XCTUnwrap(try sud.status()["replica_id"] as? String)
        XCTAssertEqual(
            try sud.importFile(path("first.changeset")),
            "imported 1 change from replica \(nordID.prefix(8)): 1 new here"
        )
        XCTAssertEqual(try nord.digest(), try sud.digest())

        // Apart, each edits the title; sud's edit comes later, so it carries the later stamp.
        XCTAssertEqual(try nord.ok("set", offer, "title=Courses le dimanche"), "updated offer \(offer)")
        XCTAssertEqual(try sud.ok("set", String(offer.prefix(8)), "title=Courses le lundi"), "updated offer \(offer)")

        try exchange(nord, sud)

        for replica in [nord, sud] {
            let shown = try JSON.object(try replica.json("show", offer))
            XCTAssertEqual(shown["title"] as? String, "Courses le lundi", "on \(replica.name)")
        }
        XCTAssertEqual(try nord.digest(), try sud.digest())

        // nord's pending edit was overwritten: its log says what was lost and what was kept.
        let logged = try nord.conflicts()
        XCTAssertEqual(logged.count, 1, "\(logged)")
        let entry = try XCTUnwrap(logged.first)
        XCTAssertEqual(entry["number"] as? Int, 1)
        XCTAssertEqual(entry["kind"] as? String, "overwritten")
        XCTAssertEqual(entry["id"] as? String, offer)
        XCTAssertEqual(entry["collection"] as? String, "offer")
        XCTAssertEqual(entry["field"] as? String, "title")
        let lost = try JSON.object(try XCTUnwrap(entry["lost"]))
        let kept = try JSON.object(try XCTUnwrap(entry["kept"]))
        XCTAssertEqual(lost["value"] as? String, "Courses le dimanche")
        XCTAssertEqual(lost["replica"] as? String, nordID)
        XCTAssertEqual(lost["erased"] as? Bool, false)
        XCTAssertEqual(kept["value"] as? String, "Courses le lundi")
        XCTAssertEqual(kept["replica"] as? String, sudID)
        let lostHLC = try XCTUnwrap(lost["hlc"] as? String)
        let keptHLC = try XCTUnwrap(kept["hlc"] as? String)
        XCTAssertLessThan(lostHLC, keptHLC, "the value kept is the later stamp's")
        for side in [lost, kept] {
            XCTAssertNotNil(side["time"] as? String)
        }

        let text = try nord.ok("conflicts").components(separatedBy: "\n")
        XCTAssertEqual(text.count, 3, "\(text)")
        XCTAssertEqual(text.first, "#1 overwritten: offer \(offer) field title: the value here lost to a concurrent edit")
        XCTAssertTrue(text[1].hasPrefix("    lost: \"Courses le dimanche\" ("), text[1])
        XCTAssertTrue(text[1].hasSuffix(" UTC by replica \(nordID.prefix(8)))"), text[1])
        XCTAssertTrue(text[2].hasPrefix("    kept: \"Courses le lundi\" ("), text[2])
        XCTAssertTrue(text[2].hasSuffix(" UTC by replica \(sudID.prefix(8)))"), text[2])

        // sud's pending edit won: the incoming one it beat is logged as rejected.
        let sudLog = try sud.conflicts()
        XCTAssertEqual(sudLog.map { $0["kind"] as? String }, ["rejected"])

        XCTAssertEqual(try nord.ok("conflicts", "--clear"), "cleared 1 conflict")
        XCTAssertEqual(try nord.ok("conflicts"), "no conflicts")
        XCTAssertEqual(try nord.conflicts().count, 0)
        XCTAssertEqual(try nord.status()["conflicts"] as? Int, 0)
        XCTAssertEqual(try nord.digest(), try sud.digest(), "clearing the log leaves the state alone")
    }

    func testConcurrentEditsOfDifferentFieldsBothSurvive() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer()
        try send(nord, to: sud, as: "first.changeset")

        try nord.ok("set", offer, "details=Le samedi matin")
        try sud.ok("set", offer, "phone=06 00 00 56 78", "contact_name=Samira")
        try exchange(nord, sud)

        for replica in [nord, sud] {
            let shown = try JSON.object(try replica.json("show", offer))
            XCTAssertEqual(shown["details"] as? String, "Le samedi matin", "on \(replica.name)")
            XCTAssertEqual(shown["phone"] as? String, "06 00 00 56 78", "on \(replica.name)")
            XCTAssertEqual(shown["contact_name"] as? String, "Samira", "on \(replica.name)")
            XCTAssertEqual(shown["title"] as? String, "Courses le samedi", "on \(replica.name)")
            XCTAssertEqual(try replica.conflicts().count, 0, "no write lost on \(replica.name)")
        }
        XCTAssertEqual(try nord.digest(), try sud.digest())
    }

    func testImportingTheSameFileTwiceChangesNothing() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer()
        _ = try nord.ok("request", "add", "--category", "conversation", "--title", "Appel hebdomadaire", "--remote")
        try send(nord, to: sud, as: "first.changeset")
        try sud.ok("set", offer, "title=Courses du sud")
        try nord.ok("set", offer, "title=Courses du nord", "status=closed")
        let changeSet = try nord.export(to: path("nord.changeset"))
        let nordID = try XCTUnwrap(try nord.status()["replica_id"] as? String)

        XCTAssertEqual(
            try sud.importFile(changeSet),
            "imported 1 change from replica \(nordID.prefix(8)): 1 new here, 1 conflict (see `boucle conflicts`)"
        )
        let digest = try sud.digest()
        let conflicts = try sud.ok("conflicts", "--json")
        let offers = try sud.ok("list", "offer", "--json")

        XCTAssertEqual(try sud.importFile(changeSet), "imported 1 change from replica \(nordID.prefix(8)): 0 new here")
        XCTAssertEqual(try sud.digest(), digest)
        XCTAssertEqual(try sud.ok("conflicts", "--json"), conflicts, "the same conflict is logged once")
        XCTAssertEqual(try sud.ok("list", "offer", "--json"), offers)

        let third = try JSON.object(try sud.json("import", changeSet))
        XCTAssertEqual(third["applied"] as? Int, 0)
        XCTAssertEqual(third["changes"] as? Int, 1)
        XCTAssertEqual(try sud.digest(), digest)
    }

    /// An export whose file cannot be put in place (the final rename fails: injected with strace)
    /// leaves no file and does not count its changes as exported: the next export still carries
    /// them, and the other team receives them.
    func testAnExportWhoseFileFailsLeavesItsChangesToTheNextExport() throws {
        guard let strace = CLI.onPath("strace") else { throw XCTSkip("strace is not installed") }
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer()
        let failing = try nord.run(["export", "-o", path("lost.changeset")],
                                   launcher: [strace, "-f", "-o", "/dev/null", "-e", "trace=rename", "-e", "inject=rename:error=EIO"])
        XCTAssertEqual(failing.status, 1, failing.err)
        XCTAssertTrue(failing.err.hasPrefix("boucle: error: cannot write \(path("lost.changeset"))"), failing.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("lost.changeset")))
        XCTAssertEqual(try nord.ok("export", "-o", path("again.changeset")), "wrote 1 change (1 record) to \(path("again.changeset"))")
        try sud.importFile(path("again.changeset"))
        XCTAssertEqual(try JSON.objects(try sud.json("list", "offer")).map { $0["id"] as? String }, [offer])
    }

    func testConcurrentSignupsToOneRoundAreBothKept() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let round = try nord.ok("round", "add", "--kind", "maraude", "--date", "2026-12-03", "--area", "Presqu'île")
        try send(nord, to: sud, as: "round.changeset")

        let samira = try nord.ok("signup", "add", "--round", round, "--volunteer", "Samira")
        let karim = try sud.ok("signup", "add", "--round", String(round.prefix(8)), "--volunteer", "Karim", "--phone", "06 00 00 11 22")
        XCTAssertNotEqual(samira, karim)
        try exchange(nord, sud)

        var listings: [String] = []
        for replica in [nord, sud] {
            let signups = try JSON.objects(try replica.json("list", "signup"))
            XCTAssertEqual(Set(signups.compactMap { $0["volunteer"] as? String }), ["Samira", "Karim"], "on \(replica.name)")
            XCTAssertEqual(Set(signups.compactMap { $0["id"] as? String }), [samira, karim], "on \(replica.name)")
            XCTAssertEqual(signups.compactMap { $0["round"] as? String }, [round, round], "on \(replica.name)")
            XCTAssertEqual(signups.compactMap { $0["status"] as? String }, ["confirmed", "confirmed"], "on \(replica.name)")
            let text = try replica.ok("list", "signup")
            XCTAssertTrue(text.contains("Samira") && text.contains("Karim"), text)
            listings.append(text)
            XCTAssertEqual(try replica.conflicts().count, 0, "sign-ups never overwrite each other")
        }
        XCTAssertEqual(listings[0], listings[1])
        XCTAssertEqual(try nord.digest(), try sud.digest())
    }
}
