import BoucleCore
import Foundation
import HTTPCodec
import Networking
import XCTest

/// Replicas meeting through a real `boucle-server`: convergence, conflicts logged where the losing
/// edit was made, pagination of pushes and pulls, repeated pushes, and an unreachable server.
final class ServerSyncTests: ServerTestCase {
    /// Four replicas of tenant lyon (two field laptops of team nord, nord's coordinator, a field
    /// laptop of team sud) edit apart: the same field of one offer, different fields of another,
    /// and an edit of an offer that the coordinator deletes. After each syncs twice, all hold the
    /// same digest, both different-field edits are kept, the later same-field edit wins, and the
    /// replica whose pushed edits lost finds them in its conflict log (`beaten`, `deleted`).
    func testReplicasConvergeThroughTheServerAndTheLosingEditIsLoggedWhereItWasMade() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let ana = try makeClient("ana", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let bruno = try makeClient("bruno", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let coordinator = try makeClient("coordinator", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        let sud = try makeClient("sud", team: "sud", token: try token(team: "sud", role: "field"), server: server)
        let everyone = [ana, bruno, coordinator, sud]

        let sameField = try ana.addOffer(title: "Courses le samedi")
        let otherFields = try ana.addOffer(category: "pets", title: "Promenade du chien")
        let deleted = try ana.addOffer(title: "Courses du lundi")
        let request = try sud.ok("request", "add", "--category", "groceries", "--title", "Besoin de courses")
        for _ in 0..<2 {
            for replica in everyone { try sync(replica) }
        }
        XCTAssertEqual(Set(try everyone.map { try $0.digest() }).count, 1, "everyone starts from the same state")

        // Apart: ana edits first, bruno later (a later stamp), the coordinator deletes.
        try ana.ok("set", sameField, "title=Courses le dimanche")
        try ana.ok("set", otherFields, "status=paused")
        try ana.ok("set", deleted, "title=Courses du mardi")
        usleep(5_000)
        try bruno.ok("set", sameField, "title=Courses le vendredi")
        try bruno.ok("set", otherFields, "details=Le matin seulement")
        try coordinator.ok("delete", deleted)
        try sud.ok("set", request, "urgency=high")

        for _ in 0..<2 {
            for replica in [bruno, coordinator, sud, ana] { try sync(replica) }
        }

        let digests = try everyone.map { try $0.digest() }
        XCTAssertEqual(Set(digests).count, 1, "digests: \(zip(everyone.map(\.name), digests).map { "\($0) \($1)" })")
        for replica in everyone {
            let first = try JSON.object(try replica.json("show", sameField))
            XCTAssertEqual(first["title"] as? String, "Courses le vendredi", "the later edit wins on \(replica.name)")
            let second = try JSON.object(try replica.json("show", otherFields))
            XCTAssertEqual(second["status"] as? String, "paused", "edits of different fields are both kept on \(replica.name)")
            XCTAssertEqual(second["details"] as? String, "Le matin seulement", "on \(replica.name)")
            XCTAssertFalse(try ids("offer", on: replica).contains(deleted), "the deleted offer is gone on \(replica.name)")
            XCTAssertEqual(try pending(replica), 0, "on \(replica.name)")
        }
        let showDeleted = try ana.run("show", deleted)
        XCTAssertEqual(showDeleted.status, 1, showDeleted.out)

        // ana's edits lost: one beaten at the server by bruno's later edit, one met the delete.
        let anaID = try XCTUnwrap(try ana.status()["replica_id"] as? String)
        let bruneID = try XCTUnwrap(try bruno.status()["replica_id"] as? String)
        let log = try ana.conflicts()
        XCTAssertEqual(log.map { $0["kind"] as? String }, ["beaten", "deleted"], "\(log)")
        let beaten = try XCTUnwrap(log.first)
        XCTAssertEqual(beaten["id"] as? String, sameField)
        XCTAssertEqual(beaten["field"] as? String, "title")
        let lost = try JSON.object(try XCTUnwrap(beaten["lost"]))
        let kept = try JSON.object(try XCTUnwrap(beaten["kept"]))
        XCTAssertEqual(lost["value"] as? String, "Courses le dimanche")
        XCTAssertEqual(lost["replica"] as? String, anaID)
        XCTAssertEqual(kept["value"] as? String, "Courses le vendredi")
        XCTAssertEqual(kept["replica"] as? String, bruneID)
        let metDelete = try XCTUnwrap(log.last)
        XCTAssertEqual(metDelete["id"] as? String, deleted)
        XCTAssertEqual(metDelete["field"] as? String, "title")
        XCTAssertEqual(try JSON.object(try XCTUnwrap(metDelete["lost"]))["erased"] as? Bool, true, "a deleted record's values are erased")
        for replica in [bruno, coordinator, sud] {
            XCTAssertEqual(try replica.conflicts().count, 0, "\(replica.name) lost nothing")
        }
    }

    /// SPEC §3 rule 3: a record's team is the smallest its changes name, and every change counts,
    /// even one whose fields all lose. When such a change reaches the server (an admin pushing an
    /// old change-set of another team), a replica that had already pulled the record must end
    /// with the same state as a fresh clone.
    func testTeamChangeWithoutNewerFieldsReachesReplicasThatPulledTheRecordBefore() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let nord = try makeClient("nord", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let offer = try nord.addOffer(title: "Courses le samedi")
        try sync(nord)
        let coordinator = try makeClient("coordinator", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        try sync(coordinator)

        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let writer = UUIDString.random(using: &generator)
        let old = Change(collection: .offer, id: try XCTUnwrap(UUIDString(offer)), team: "annexe",
                         stamp: Stamp(hlc: HLC(milliseconds: 1_600_000_000_000, counter: 0), replica: writer),
                         operation: .set(["title": .text("Ancien titre")]))
        let answer = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: try token(team: "city", role: "admin"),
                                                              body: ServerHarness.changeSet(tenant: "lyon", origin: writer, [old])))
        XCTAssertEqual(answer["applied"] as? Int, 1, "the record's team changed at the server")

        try sync(coordinator)
        try sync(nord)
        let fresh = try makeClient("fresh", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        try sync(fresh)
        XCTAssertEqual(try JSON.object(try fresh.json("show", offer))["title"] as? String, "Courses le samedi")
        XCTAssertEqual(try coordinator.digest(), try fresh.digest(), "a replica that pulled before ends like a fresh clone")
        XCTAssertEqual(try nord.digest(), try fresh.digest())
    }

    /// The Lyon sample (436 records, edits and deletes) imported into one replica and pushed with
    /// an admin token comes out whole in a fresh replica that only pulls: same digest.
    func testSampleChangeSetPushedByOneReplicaClonesToAFreshReplica() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let city = try makeClient("city", team: "city", token: try token(team: "city", role: "admin"), server: server)
        try city.importFile(ServerHarness.fixture("sample/lyon.changeset").path)
        XCTAssertEqual(try pending(city), 436)
        let synced = try sync(city)
        XCTAssertTrue(synced.hasPrefix("synced with \(server.url): sent "), synced)
        XCTAssertEqual(try pending(city), 0)
        XCTAssertEqual(try snapshot().records, 436)

        let fresh = try makeClient("fresh", team: "part-dieu", token: try token(team: "part-dieu", role: "field"), server: server)
        try sync(fresh)
        XCTAssertEqual(try fresh.digest(), try city.digest())
        XCTAssertEqual(try fresh.status()["tenant"] as? String, "lyon", "a replica without a tenant takes the server's")
        XCTAssertEqual(try ids("offer", on: fresh), try ids("offer", on: city))
        XCTAssertEqual(try pending(fresh), 0, "pulled changes are not pending")
    }

    /// `serve --page-records` takes 1 to 10,000 (the most a page may hold) and refuses the rest
    /// before listening.
    func testPageRecordsOutsideItsRangeIsRefused() throws {
        for value in ["0", "10001", "many"] {
            let result = try adminRun(["serve", "--listen", "127.0.0.1:0", "--page-records", value])
            XCTAssertNotEqual(result.status, 0, "--page-records \(value)")
            XCTAssertTrue(result.err.contains("--page-records takes a number from 1 to 10000"), result.err)
        }
    }

    /// 2,500 offers (seeded) are more than a push batch and a pull page (2,000 records each, the
    /// latter set by `serve --page-records 2000`): the
    /// client pushes them in two batches, pulls them back in two pages, and a fresh replica
    /// clones them in two pages to the same digest. Then another team's coordinator pushes 2,100
    /// of its own in two batches (each read while the server merges the one before), and the
    /// three replicas end alike.
    func testMoreRecordsThanOnePageSyncInSeveralBatchesAndPages() throws {
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        try admin("tenant", "create", "lyon")
        let server = try startServer(["--page-records", "2000"])
        let field = try token(team: "nord", role: "field")
        let laptop = try makeClient("laptop", team: "nord", token: field, server: server)
        let offers = ServerHarness.offers(2_500, team: "nord", writer: try laptop.replicaID(), using: &generator)
        let file = try write(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers), to: "offers.changeset")
        try laptop.importFile(file)
        XCTAssertEqual(try pending(laptop), 2_500)

        let pushes = " POST /v1/changes 200 "
        let pulls = " GET /v1/changes 200 "
        try sync(laptop)
        XCTAssertEqual(server.logCount(pushes, atLeast: 2), 2, "two push batches: 2,000 and 500 records")
        XCTAssertEqual(try pending(laptop), 0)
        XCTAssertEqual(try snapshot().records, 2_500)

        let fresh = try makeClient("fresh", team: "nord", token: field, server: server)
        let pullsBefore = server.logCount(pulls)
        try sync(fresh)
        XCTAssertEqual(server.logCount(pulls, atLeast: pullsBefore + 2) - pullsBefore, 2, "two pull pages: 2,000 and 500 records")
        XCTAssertEqual(try fresh.digest(), try laptop.digest())
        XCTAssertEqual(try ids("offer", on: fresh), Set(offers.map(\.id.rawValue)))

        let sud = try makeClient("sud", team: "sud", token: try token(team: "sud", role: "coordinator"), server: server)
        let theirs = ServerHarness.offers(2_100, team: "sud", writer: try sud.replicaID(), using: &generator)
        try sud.importFile(try write(ServerHarness.changeSet(tenant: "lyon", origin: theirs[0].stamp.replica, theirs), to: "sud.changeset"))
        let pushesBefore = server.logCount(pushes)
        try sync(sud)
        XCTAssertEqual(server.logCount(pushes, atLeast: pushesBefore + 2) - pushesBefore, 2, "two push batches: 2,000 and 100 records")
        XCTAssertEqual(try pending(sud), 0)
        XCTAssertEqual(try snapshot().records, 4_600)
        try sync(laptop)
        try sync(fresh)
        XCTAssertEqual(try laptop.digest(), try sud.digest())
        XCTAssertEqual(try fresh.digest(), try sud.digest())
        XCTAssertEqual(try ids("offer", on: laptop), Set((offers + theirs).map(\.id.rawValue)))
    }

    /// Pulling with `limit=100` walks the sample in pages of at most 100 records, in sequence
    /// order: `Boucle-Next` grows, `Boucle-More` is true until the last page, `Boucle-Changes`
    /// counts the page's change lines, and every record comes exactly once.
    func testPullPagesServeEveryRecordOnceInSequenceOrder() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let admin = try token(team: "city", role: "admin")
        let sample = try Data(contentsOf: ServerHarness.fixture("sample/lyon.changeset"))
        let pushed = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: admin, body: Array(sample)))
        XCTAssertEqual(pushed["changes"] as? Int, 473)

        var after = 0
        var seen: [String] = []
        var pageSizes: [Int] = []
        for _ in 0..<10 {
            let page = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0&after=\(after)&limit=100", token: admin)
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(page.headers["Content-Type"], "application/x-ndjson")
            let lines = String(decoding: page.body, as: UTF8.self).split(separator: "\n")
            let changes = lines.dropFirst().dropLast()
            XCTAssertEqual(page.headers["Boucle-Changes"], String(changes.count))
            var ids: [String] = []
            for line in changes {
                let change = try JSON.object(try JSON.parse(String(line)))
                let id = try XCTUnwrap(change["id"] as? String)
                if ids.last != id { ids.append(id) }
            }
            XCTAssertEqual(ids.count, Set(ids).count, "a record's changes come together")
            seen += ids
            pageSizes.append(ids.count)
            let next = try XCTUnwrap(page.headers["Boucle-Next"].flatMap { Int($0) })
            XCTAssertGreaterThanOrEqual(next, after)
            after = next
            if page.headers["Boucle-More"] == "false" { break }
            XCTAssertEqual(page.headers["Boucle-More"], "true")
        }
        XCTAssertEqual(pageSizes, [100, 100, 100, 100, 36])
        XCTAssertEqual(seen.count, 436)
        XCTAssertEqual(Set(seen).count, 436, "no record is served twice")
        XCTAssertEqual(Int64(after), try snapshot().counter, "the last page's cursor is the server's sequence")
    }

    /// A push sent twice (its answer lost, say) merges to the same state: the second answer has
    /// `applied` 0, the same cursor, and the server's database is unchanged.
    func testRepeatedPushAppliesNothingTheSecondTime() throws {
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let offers = ServerHarness.offers(5, team: "nord", using: &generator)
        let body = ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers)
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let field = try token(team: "nord", role: "field")

        let first = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: field, body: body))
        XCTAssertEqual(first["changes"] as? Int, 5)
        XCTAssertEqual(first["applied"] as? Int, 5)
        XCTAssertEqual(first["cursor"] as? Int, 5)
        XCTAssertEqual((first["lost"] as? [Any])?.count, 0)
        let before = try snapshot()

        let second = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: field, body: body))
        XCTAssertEqual(second["changes"] as? Int, 5)
        XCTAssertEqual(second["applied"] as? Int, 0)
        XCTAssertEqual(second["cursor"] as? Int, 5)
        XCTAssertEqual((second["lost"] as? [Any])?.count, 0, "a write does not lose to itself")
        XCTAssertEqual(try snapshot(), before)
    }

    /// `boucle sync` against a port where nothing listens fails with status 1, says it cannot
    /// reach the server and that nothing is lost, and keeps every pending change.
    func testSyncWithNoServerListeningFailsAndKeepsEveryPendingChange() throws {
        let listener = try SocketDescriptor.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        let port = try XCTUnwrap(listener.localPort())
        listener.close()   // nothing listens on `port` any more

        let laptop = Replica(name: "laptop", folder: folder.appendingPathComponent("laptop", isDirectory: true))
        try FileManager.default.createDirectory(at: laptop.folder, withIntermediateDirectories: true)
        try laptop.ok("init", "--team", "nord", "--server", "http://127.0.0.1:\(port)", "--token", "boucle_00000000_" + String(repeating: "0", count: 64))
        _ = try laptop.addOffer()
        _ = try laptop.addOffer(title: "Courses du dimanche")
        let before = try laptop.status()
        XCTAssertEqual(before["pending"] as? Int, 2)

        let result = try laptop.run("sync")
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.out, "")
        XCTAssertEqual(
            result.err,
            "boucle: error: sync failed: cannot reach the server: 127.0.0.1:\(port): Connection refused. "
                + "Nothing is lost (2 changed records still pending here): check the server URL and this laptop's network, then run `boucle sync` again when the problem is fixed\n"
        )
        let after = try laptop.status()
        XCTAssertEqual(after["pending"] as? Int, 2)
        XCTAssertEqual(after["digest"] as? String, before["digest"] as? String)
        XCTAssertTrue(after["last_sync"] is NSNull, "a failed sync is not a sync")
    }
}
