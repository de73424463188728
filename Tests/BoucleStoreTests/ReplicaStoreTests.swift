import BoucleCore
import BoucleStore
import Foundation
import SQLite
import XCTest

final class ReplicaStoreTests: StoreTestCase {
    func testNewReplicaHoldsTheNineDefaultCategories() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let slugs = try store.records(in: .category).compactMap { $0.text("slug") }.sorted()
        XCTAssertEqual(slugs, ["conversation", "crisis-staff", "groceries", "homework", "it-paperwork", "masks", "other", "pets", "printing"])
        XCTAssertEqual(try store.status().pendingRecords, 0, "the seed is the same everywhere and never exchanged")
    }

    func testTwoNewReplicasHaveTheSameDigest() throws {
        let clock = ManualClock()
        XCTAssertEqual(try makeReplica("a.db", clock: clock).digest(), try makeReplica("b.db", team: "sud", clock: clock).digest())
    }

    func testConcurrentEditsOfOneFieldConvergeOnTheLaterAndLogTheLoser() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        let id = try a.add(.offer, fields: ["category": .text("groceries"), "title": .text("Courses")])
        try exchange(a, b)
        try a.update(id, fields: ["title": .text("from A")])
        clock.advance(by: 1_000)
        try b.update(id, fields: ["title": .text("from B")])
        try exchange(a, b)
        try exchange(b, a)
        XCTAssertEqual(try a.record(id).text("title"), "from B")
        XCTAssertEqual(try a.digest(), try b.digest())
        let lost = try a.conflicts().map(\.conflict)
        XCTAssertEqual(lost.map(\.kind), [.overwritten])
        XCTAssertEqual(lost.first?.loserValue, .text("from A"))
        XCTAssertEqual(lost.first?.winnerValue, .text("from B"))
        XCTAssertEqual(try b.conflicts().map(\.conflict.kind), [.rejected])
    }

    func testConcurrentEditsOfDifferentFieldsBothSurvive() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        let id = try a.add(.offer, fields: ["category": .text("pets"), "title": .text("Promenade")])
        try exchange(a, b)
        try a.update(id, fields: ["status": .text("paused")])
        try b.update(id, fields: ["details": .text("le soir")])
        try exchange(a, b)
        try exchange(b, a)
        for store in [a, b] {
            XCTAssertEqual(try store.record(id).text("status"), "paused")
            XCTAssertEqual(try store.record(id).text("details"), "le soir")
            XCTAssertEqual(try store.conflicts(), [])
        }
    }

    func testEditAfterTheWallClockWasSetBackStillWins() throws {
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let a = try makeReplica("a.db", clock: clock)
        let id = try a.add(.request, fields: ["category": .text("homework"), "title": .text("first")])
        clock.set(1_700_000_000_000)
        try a.update(id, fields: ["title": .text("second")])
        let reopened = try ReplicaStore.open(at: path("a.db"), environment: clock.environment)
        try reopened.update(id, fields: ["title": .text("third")])
        clock.set(1_800_000_000_000)   // b's clock is right: the file is not from its future
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        try exchange(a, b, all: true)
        XCTAssertEqual(try b.record(id).text("title"), "third")
        XCTAssertEqual(try a.digest(), try b.digest())
    }

    /// After `restamp` set the clock back below a value carried from a laptop whose clock was
    /// ahead, an edit of that field would lose: it is refused, saying so, instead of "updated".
    func testALocalEditThatCannotWinSaysSoAndChangesNothing() throws {
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let ahead = try ReplicaStore.create(at: path("ahead.db"), team: "nord", tenant: "lyon", environment: clock.environment(offset: 50 * 60_000))
        let id = try ahead.add(.offer, fields: ["category": .text("pets"), "title": .text("from the future")])
        let here = try makeReplica("here.db", clock: clock)
        try exchange(ahead, here)
        XCTAssertEqual(try here.restamp(), 0, "nothing of its own to re-stamp; its clock is back to the wall clock")
        let before = try here.digest()
        XCTAssertThrowsError(try here.update(id, fields: ["title": .text("now")])) { error in
            guard case StoreError.editCannotWin(id, field: "title", _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasSuffix(", ahead of this replica's clock: nothing was changed"), "\(error)")
        }
        XCTAssertEqual(try here.digest(), before)
        clock.advance(by: 51 * 60_000)
        try here.update(id, fields: ["title": .text("later")])
        XCTAssertEqual(try here.record(id).text("title"), "later", "once the clock has passed the stamp, the edit wins")
    }

    func testDeleteErasesPersonalDataFromEveryFileOfBothReplicas() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        let secret = "17 impasse Testvaleur-8842"
        let phone = "06 00 00 88 42"
        var ids: [UUIDString] = []
        for index in 0..<200 {
            ids.append(try a.add(.request, fields: ["category": .text("groceries"), "title": .text("Courses \(index)"),
                                                     "address": .text("\(secret) n°\(index)"), "phone": .text(phone)]))
        }
        try exchange(a, b)
        try b.update(ids[0], fields: ["address": .text(secret + " bis")])
        try a.update(ids[0], fields: ["address": .text(secret + " ter")])
        try exchange(a, b)
        XCTAssertFalse(try b.conflicts().isEmpty, "the conflict log held the address before the delete")
        XCTAssertNotNil(try replicaBytes("b.db").range(of: Data(secret.utf8)), "the address is in the file before the delete")
        for id in ids { try a.delete(id) }
        try exchange(a, b)
        for name in ["a.db", "b.db"] {
            let bytes = try replicaBytes(name)
            XCTAssertNil(bytes.range(of: Data(secret.utf8)), "address left in \(name)")
            XCTAssertNil(bytes.range(of: Data(phone.utf8)), "phone left in \(name)")
        }
        XCTAssertTrue(try b.conflicts().allSatisfy { $0.conflict.loserValue == nil && $0.conflict.winnerValue == nil })
    }

    func testRefusedImportChangesNothing() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        let id = try b.add(.offer, fields: ["category": .text("masks"), "title": .text("Masques")])
        try b.update(id, fields: ["title": .text("pending in B")])
        for _ in 0..<5 { _ = try a.add(.offer, fields: ["category": .text("masks"), "title": .text("x")]) }
        try a.update(try a.records(in: .offer)[0].id, fields: ["status": .text("closed")])
        _ = try a.exportChangeSet(all: true, path: path("good.changeset"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path("good.changeset")))
        bytes.removeLast(20)
        try bytes.write(to: URL(fileURLWithPath: path("cut.changeset")))
        let before = (try b.digest(), try b.status(), try b.conflicts())
        XCTAssertThrowsError(try b.importChangeSet(path: path("cut.changeset"))) { error in
            XCTAssertEqual(error as? StoreError, .changeSet(.truncated))
        }
        XCTAssertEqual(try b.digest(), before.0)
        XCTAssertEqual(try b.status(), before.1)
        XCTAssertEqual(try b.conflicts(), before.2)
    }

    func testChangeSetOfAnotherTenantIsRefused() throws {
        let clock = ManualClock()
        let lyon = try makeReplica("a.db", clock: clock)
        let paris = try makeReplica("b.db", tenant: "paris", clock: clock)
        _ = try lyon.add(.offer, fields: ["category": .text("masks"), "title": .text("Masques")])
        XCTAssertThrowsError(try exchange(lyon, paris)) { error in
            XCTAssertEqual(error as? StoreError, .tenantMismatch(changeSet: "lyon", replica: "paris"))
            XCTAssertEqual("\(error)", #"this change-set belongs to tenant "lyon" but this replica to "paris""#)
        }
    }

    func testReplicaWithoutTenantJoinsTheFirstTenantItImports() throws {
        let clock = ManualClock()
        let lyon = try makeReplica("a.db", clock: clock)
        let fresh = try makeReplica("b.db", tenant: "", clock: clock)
        _ = try lyon.add(.offer, fields: ["category": .text("masks"), "title": .text("Masques")])
        try exchange(lyon, fresh)
        XCTAssertEqual(try fresh.status().tenant, "lyon")
    }

    func testIncrementalExportHoldsOnlyWhatIsNew() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let first = try a.add(.offer, fields: ["category": .text("masks"), "title": .text("one")])
        XCTAssertEqual(try a.exportChangeSet(all: false, path: path("1.changeset")).changes, 1)
        XCTAssertEqual(try a.exportChangeSet(all: false, path: path("2.changeset")).changes, 0)
        try a.update(first, fields: ["status": .text("paused")])
        XCTAssertEqual(try a.exportChangeSet(all: false, path: path("3.changeset")), ExportSummary(changes: 1, records: 1))
        XCTAssertEqual(try a.exportChangeSet(all: true, path: path("4.changeset")), ExportSummary(changes: 2, records: 1))
    }

    func testCategoryAddedOnTwoReplicasIsOneRecord() throws {
        let clock = ManualClock()
        let a = try makeReplica("a.db", clock: clock)
        let b = try makeReplica("b.db", team: "sud", clock: clock)
        let fromA = try a.add(.category, fields: ["slug": .text("cooking"), "label": .text("Cuisine")])
        let fromB = try b.add(.category, fields: ["slug": .text("cooking"), "label": .text("Repas")])
        XCTAssertEqual(fromA, fromB)
        try exchange(a, b)
        try exchange(b, a)
        XCTAssertEqual(try a.digest(), try b.digest())
        XCTAssertEqual(try a.records(in: .category).count, 10)
    }

    func testAReplicaOfAnotherFormatIsRefusedWithWhatToDo() throws {
        try ReplicaStore.create(at: path("old.db"), team: "nord").close()
        let db = try Database(path: path("old.db"), create: false)
        try db.run("UPDATE meta SET value = 'boucle-replica-1' WHERE key = 'format'")
        try db.close()
        XCTAssertThrowsError(try ReplicaStore.open(at: path("old.db"))) { error in
            XCTAssertEqual(error as? StoreError, .otherFormat(path: path("old.db"), found: "boucle-replica-1", expected: "boucle-replica-2"))
        }
        let server = try ServerStore(path: path("server.db"))
        try server.close()
        let serverDB = try Database(path: path("server.db"), create: false)
        try serverDB.run("UPDATE server_meta SET value = 'boucle-server-1' WHERE key = 'format'")
        try serverDB.close()
        XCTAssertThrowsError(try ServerStore(path: path("server.db"))) { error in
            XCTAssertEqual(error as? StoreError, .otherFormat(path: path("server.db"), found: "boucle-server-1", expected: "boucle-server-2"))
        }
    }

    func testOpeningSomethingElseSaysItIsNotAReplica() throws {
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path("text.db")))
        XCTAssertThrowsError(try ReplicaStore.open(at: path("text.db"))) { error in
            XCTAssertEqual(error as? StoreError, .notAReplica(path: path("text.db")))
        }
        XCTAssertThrowsError(try ReplicaStore.open(at: path("missing.db"))) { error in
            XCTAssertEqual(error as? StoreError, .noReplica(path: path("missing.db")))
        }
    }
}
