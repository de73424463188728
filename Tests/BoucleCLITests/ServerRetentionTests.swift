import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// Tombstone retention end to end (Protocol/SERVER.md, "Tombstone retention and stale replicas"):
/// the real `boucle-server` and `boucle`, with `faketime` as the injected clock of a process
/// (`boucle-server compact` run as if 100 days later).
final class ServerRetentionTests: ServerTestCase {
    /// A coordinator (a) deletes an offer that a stale laptop (s, also a coordinator) then edits
    /// offline, where it also makes an offer of its own; the server forgets the delete (compaction
    /// 100 days later). When s comes back, it re-syncs in full: it keeps and pushes its new offer,
    /// drops the deleted one, logs its lost edit, and brings nothing back.
    func testAStaleReplicaKeepsItsNewRecordsLogsItsLostEditsAndResurrectsNothing() throws {
        let comeback = try staleReplicaComesBack()
        let stale = comeback.stale
        XCTAssertTrue(comeback.output.contains(
            "re-synced in full (the server had forgotten old deletions): dropped 1 deleted record, kept 1 not yet on the server, 1 lost edit logged"),
            comeback.output)
        XCTAssertEqual(try ids("offer", on: stale), [comeback.kept, comeback.made])
        let show = try stale.run("show", comeback.deleted)
        XCTAssertEqual(show.status, 1, "the deleted offer is gone from the stale replica: \(show.out)")
        XCTAssertEqual(try pending(stale), 0, "its new offer was pushed")

        let log = try stale.conflicts()
        XCTAssertEqual(log.count, 1, "\(log)")
        let entry = try XCTUnwrap(log.first)
        XCTAssertEqual(entry["kind"] as? String, "deleted")
        XCTAssertEqual(entry["id"] as? String, comeback.deleted)
        XCTAssertEqual(entry["field"] as? String, "title")
        let lost = try JSON.object(try XCTUnwrap(entry["lost"]))
        XCTAssertTrue(lost["value"] is NSNull, "a lost edit of a deleted record keeps no value: \(lost)")
        XCTAssertEqual(lost["erased"] as? Bool, true)
        XCTAssertEqual(lost["replica"] as? String, try stale.status()["replica_id"] as? String)
        XCTAssertEqual(try JSON.object(try XCTUnwrap(entry["kept"]))["replica"] as? String, "00000000-0000-0000-0000-000000000000")

        // The server holds the new offer and nothing it had forgotten.
        let clone = try makeClient("clone", team: "nord", token: try token(team: "nord", role: "field"), server: comeback.server)
        try sync(clone)
        XCTAssertEqual(try ids("offer", on: clone), [comeback.kept, comeback.made], "nothing resurrected")
        XCTAssertEqual(try JSON.objects(try clone.json("list", "offer")).count, 2)

        try sync(comeback.coordinator)
        XCTAssertEqual(try ids("offer", on: comeback.coordinator), [comeback.kept, comeback.made])
        let digests = try [comeback.coordinator, stale, clone].map { try $0.digest() }
        XCTAssertEqual(Set(digests).count, 1, "a, s and a fresh clone: \(digests)")
        XCTAssertEqual(try sync(stale).contains("re-synced"), false, "once back above the horizon, a sync is an ordinary one")
    }

    /// After the come-back above, `conflicts --clear` acknowledges the logged lost edit.
    func testConflictsClearAcknowledgesTheEditsLostInAFullResync() throws {
        let stale = try staleReplicaComesBack().stale
        XCTAssertEqual(try stale.conflicts().count, 1)
        XCTAssertEqual(try stale.ok("conflicts", "--clear"), "cleared 1 conflict")
        XCTAssertEqual(try stale.conflicts().count, 0)
        XCTAssertEqual(try stale.ok("conflicts", "--json"), "[]")
        XCTAssertEqual(try stale.status()["conflicts"] as? Int, 0)
    }

    /// Retention counts from when the server received a delete, not from its stamp: a laptop back
    /// after three months pushes a delete stamped 91 days ago; the next compaction keeps it (no
    /// replica has to re-sync in full for it), and one 100 days later purges it.
    func testAnOldStampedDeleteIsKeptForTheRetentionCountedFromItsReceipt() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let token = try token(team: "nord", role: "coordinator")
        let other = try makeClient("other", team: "nord", token: token, server: server)
        _ = try other.addOffer(title: "Courses du lundi")
        try sync(other)
        let drawer = try makeClient("drawer", team: "nord", token: token, server: server)
        let monthsAgo = try FakeTime.launcher("-91d")
        let offer = try drawer.ok(["offer", "add", "--category", "pets", "--title", "Promenade"], launcher: monthsAgo)
        try drawer.ok(["delete", offer], launcher: monthsAgo)
        try sync(drawer)

        XCTAssertEqual(try compact(as: "+1m"), "purged 0 tombstones received more than 90 d ago\n  lyon: horizon 0\n")
        let synced = try sync(other)
        XCTAssertFalse(synced.contains("re-synced in full"), synced)
        XCTAssertEqual(try compact(as: "+100d"), "purged 1 tombstone received more than 90 d ago\n  lyon: horizon 2\n")
    }

    /// Raw HTTP with a coordinator token once the server forgot a delete (horizon 3): a pull
    /// since 1 or 2 and a push whose `Boucle-Cursor` is 1 are answered 410 `stale_replica` with
    /// the horizon; a pull from 0 (a full pull) and from the horizon are served.
    func testAStalePullOrPushIsAnswered410WithTheHorizonAndAFullPullIsServed() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let token = try token(team: "nord", role: "coordinator")
        let replica = try makeClient("a", team: "nord", token: token, server: server)
        let deleted = try replica.addOffer(title: "Courses du lundi")
        let kept = try replica.addOffer(title: "Courses du mardi")
        try sync(replica)
        try replica.ok("delete", deleted)
        try sync(replica)
        XCTAssertEqual(try compact(as: "+100d"), "purged 1 tombstone received more than 90 d ago\n  lyon: horizon 3\n")

        for since in [1, 2] {
            let answer = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=\(since)", token: token)
            let message = try assertError(answer, status: 410, code: "stale_replica")
            XCTAssertEqual(message, "this replica last synced at cursor \(since), before deletions the server has since forgotten (horizon 3): it must re-sync in full (boucle sync does so by itself)")
            XCTAssertEqual(answer.headers["Boucle-Horizon"], "3")
            XCTAssertNotNil(answer.headers["Boucle-Horizon-Time"].flatMap(UInt64.init), "\(answer.headers)")
        }

        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let offers = ServerHarness.offers(1, team: "nord", using: &generator)
        let body = ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers)
        let before = try snapshot()
        let stalePush = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: token, body: body,
                                                   headers: [("Boucle-Cursor", "1"), ("Content-Type", "application/x-ndjson")])
        try assertError(stalePush, status: 410, code: "stale_replica")
        XCTAssertEqual(stalePush.headers["Boucle-Horizon"], "3")
        XCTAssertEqual(try snapshot(), before, "a stale push persists nothing")

        let full = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: token)
        XCTAssertEqual(full.status, 200, String(decoding: full.body, as: UTF8.self))
        XCTAssertEqual(full.headers["Boucle-Horizon"], "3")
        XCTAssertEqual(full.headers["Boucle-Changes"], "1", "only the live offer \(kept): the purged one is gone")
        XCTAssertEqual(full.headers["Boucle-Next"], "3", "a full pull leaves its client at the horizon")
        let atHorizon = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=3", token: token)
        XCTAssertEqual(atHorizon.status, 200)
        XCTAssertEqual(atHorizon.headers["Boucle-Changes"], "0")

        let push = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: token, body: body,
                                              headers: [("Boucle-Cursor", "3"), ("Content-Type", "application/x-ndjson")])
        XCTAssertEqual(try jsonObject(push)["applied"] as? Int, 1, "a push from the horizon is accepted")
    }

    /// Six laptops with pending records (each also edited an offer deleted meanwhile) sync all at
    /// once while `boucle-server compact` (100 days later) runs on the database the server serves.
    /// Each sync succeeds (or, cut by the compaction, its next one does); then every laptop and a
    /// fresh clone hold the same state, every lost edit is logged, and the database is intact.
    func testCompactionWhileOtherClientsSyncLosesNothingAndResurrectsNothing() throws {
        let launcher = try FakeTime.launcher("+100d")
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let deleter = try makeClient("deleter", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        let laptops = try (0..<6).map { index in
            try makeClient("laptop\(index)", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        }
        let doomed = try laptops.indices.map { try deleter.addOffer(title: "Courses \($0)") }
        try sync(deleter)
        for laptop in laptops { try sync(laptop) }
        for offer in doomed { try deleter.ok("delete", offer) }
        try sync(deleter)

        var made: Set<String> = []
        for (index, laptop) in laptops.enumerated() {
            try laptop.ok("set", doomed[index], "title=Courses du soir \(index)")
            for round in 0..<2 { made.insert(try laptop.addOffer(category: "pets", title: "Promenade \(index).\(round)")) }
        }

        var syncs: [ChildProcess] = []
        for laptop in laptops.prefix(3) { syncs.append(try startSync(laptop)) }
        let compaction = try ChildProcess(launcher + [try ServerHarness.serverBinary().path, "compact", "--db", serverDB],
                                          environment: ProcessInfo.processInfo.environment, in: folder)
        for laptop in laptops.suffix(3) { syncs.append(try startSync(laptop)) }

        XCTAssertEqual(compaction.wait(timeout: 60), ChildProcess.Exit(status: 0, signaled: false), compaction.stderr)
        XCTAssertTrue(compaction.stdout.hasPrefix("purged 6 tombstones received more than 90 d ago"), compaction.stdout)
        var printed: [String] = []
        for (laptop, child) in zip(laptops, syncs) {
            let exit = child.wait(timeout: 60)
            printed.append("\(laptop.name) (\(exit.map(\.description) ?? "running")): \(child.stdout)\(child.stderr)")
            if exit != ChildProcess.Exit(status: 0, signaled: false) {
                XCTAssertEqual(exit, ChildProcess.Exit(status: 1, signaled: false), "\(laptop.name): \(child.stderr)")
                try sync(laptop)   // a sync cut by the compaction: the next one goes through
            }
        }

        for laptop in laptops + [deleter] { try sync(laptop) }
        let clone = try makeClient("clone", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        try sync(clone)
        let offers = try ids("offer", on: clone)
        let resurrected = try offers.intersection(doomed).map { id in
            "\(id) (\(laptops[doomed.firstIndex(of: id) ?? 0].name)'s edit): \(try clone.ok("show", id, "--json"))"
        }
        XCTAssertEqual(resurrected, [], "deleted offers came back; the syncs printed:\n\(printed.joined(separator: "\n"))")
        XCTAssertEqual(offers.subtracting(doomed), made, "every new offer arrived")
        let expected = try clone.digest()
        for replica in laptops + [deleter] {
            XCTAssertEqual(try replica.digest(), expected, "\(replica.name) converges with a fresh clone")
            XCTAssertEqual(try pending(replica), 0, replica.name)
        }
        for (index, laptop) in laptops.enumerated() {
            let log = try laptop.conflicts()
            XCTAssertEqual(log.map { $0["kind"] as? String }, ["deleted"], "\(laptop.name): \(log)")
            XCTAssertEqual(log.first?["id"] as? String, doomed[index], laptop.name)
        }
        XCTAssertEqual(try integrityCheck(serverDB), "ok")
    }

    /// `serve --tombstone-retention 1s` compacts at start: a delete stamped a minute ago (a laptop
    /// one minute behind, through faketime) and received over a second ago is purged as the
    /// server starts, and a pull from before it is then stale.
    func testServeCompactsAtStartWithItsTombstoneRetention() throws {
        let behind = try FakeTime.launcher("-1m")
        try admin("tenant", "create", "lyon")
        let first = try startServer()
        let token = try token(team: "nord", role: "coordinator")
        let laptop = try makeClient("laptop", team: "nord", token: token, server: first)
        let deleted = try laptop.ok(["offer", "add", "--category", "groceries", "--title", "Courses du lundi"], launcher: behind)
        let kept = try laptop.ok(["offer", "add", "--category", "pets", "--title", "Promenade du chien"], launcher: behind)
        try laptop.ok(["sync"], launcher: behind)
        try laptop.ok(["delete", deleted], launcher: behind)
        try laptop.ok(["sync"], launcher: behind)
        XCTAssertEqual(first.logCount("compact purged"), 0, "the default retention keeps a minute-old delete")
        XCTAssertEqual(first.stop(), ChildProcess.Exit(status: 0, signaled: false))
        Thread.sleep(forTimeInterval: 1.2)   // retention counts from the delete's receipt

        let second = try startServer(["--tombstone-retention", "1s"])
        XCTAssertEqual(second.logCount("compact purged 1 tombstone", atLeast: 1), 1, second.child.stderr)
        let stale = try RawConnection.exchange(port: second.port, "GET", "/v1/changes?since=1", token: token)
        try assertError(stale, status: 410, code: "stale_replica")
        XCTAssertEqual(stale.headers["Boucle-Horizon"], "3")

        try laptop.ok(["sync", "--server", second.url])
        XCTAssertEqual(try ids("offer", on: laptop), [kept])
        let clone = try makeClient("clone", team: "nord", token: token, server: second)
        try sync(clone)
        XCTAssertEqual(try clone.digest(), try laptop.digest(), "the laptop purged the tombstone the server forgot")
    }

    // MARK: Helpers

    /// What `staleReplicaComesBack` leaves: the server, the coordinator (a) and stale laptop (s),
    /// the offer a deleted, the one kept, the one s made offline, and what s's sync printed.
    private struct Comeback {
        let server: ServerProcess
        let coordinator: Replica
        let stale: Replica
        let deleted: String
        let kept: String
        let made: String
        let output: String
    }

    /// a and s sync; a deletes an offer and syncs; s, offline, edits that offer and adds one;
    /// the server is compacted as if 100 days later (default retention 90 d); s syncs.
    private func staleReplicaComesBack(file: StaticString = #filePath, line: UInt = #line) throws -> Comeback {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let coordinator = try makeClient("a", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        let stale = try makeClient("s", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        let deleted = try coordinator.addOffer(title: "Courses du lundi")
        let kept = try coordinator.addOffer(category: "pets", title: "Promenade du chien")
        try sync(coordinator)
        try sync(stale)
        try coordinator.ok("delete", deleted)
        try sync(coordinator)

        try stale.ok("set", deleted, "title=Courses du mardi")
        let made = try stale.addOffer(category: "homework", title: "Aide aux devoirs")
        XCTAssertEqual(try compact(as: "+100d"), "purged 1 tombstone received more than 90 d ago\n  lyon: horizon 3\n",
                       file: file, line: line)
        let output = try sync(stale, file: file, line: line)
        return Comeback(server: server, coordinator: coordinator, stale: stale, deleted: deleted, kept: kept, made: made, output: output)
    }
}

/// `faketime` (Debian package faketime) as the injected clock of a child process.
enum FakeTime {
    /// `faketime -f OFFSET` (e.g. `+100d`, `+2h`, `-1m`) to put before a command. Without
    /// faketime the test is skipped, or fails when `CI` is set (CI installs it).
    static func launcher(_ offset: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard let faketime = CLI.onPath("faketime") else {
            let message = "faketime is not installed (apt-get install faketime): it moves the clock of the processes under test"
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail(message, file: file, line: line)
                throw HarnessError(message)
            }
            throw XCTSkip(message, file: file, line: line)
        }
        return [faketime, "-f", offset]
    }
}

extension ServerTestCase {
    /// `boucle-server compact --db DB extra…` run with its clock `offset` away (faketime), which
    /// must succeed; returns its stdout.
    func compact(as offset: String, _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let command = try FakeTime.launcher(offset, file: file, line: line)
            + [try ServerHarness.serverBinary().path, "compact"] + extra + ["--db", serverDB]
        let result = try CLI.runProgram(command, environment: ProcessInfo.processInfo.environment, in: folder)
        guard result.status == 0 else {
            let message = "`faketime -f \(offset) boucle-server compact` exited \(result.status): \(result.err)"
            XCTFail(message, file: file, line: line)
            throw HarnessError(message)
        }
        return result.out
    }
}
