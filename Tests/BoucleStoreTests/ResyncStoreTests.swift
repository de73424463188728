import BoucleCore
import BoucleProtocol
import BoucleStore
import Foundation
import XCTest

/// Tombstone retention, stale replicas and the clock guard, in process: a `ServerStore` and
/// `ReplicaStore`s on one `ManualClock`, exchanging change-sets the way `boucle sync` does
/// (Protocol/SERVER.md, "Tombstone retention and stale replicas", "The clock guard").
final class ResyncStoreTests: StoreTestCase {
    static let day: UInt64 = 86_400_000
    static let retention = 90 * day
    static let maxClockAhead: UInt64 = 5 * 60_000

    // MARK: Compaction and the horizon

    func testCompactionPurgesOnlyTombstonesOlderThanTheRetentionAndMovesTheHorizon() throws {
        let clock = ManualClock()
        let (server, principal) = try makeServer(clock: clock)
        let replica = try makeReplica("a.db", clock: clock)
        let old = try addOffer(replica, "Courses du lundi")
        let recent = try addOffer(replica, "Courses du mardi")
        let live = try addOffer(replica, "Courses du mercredi")
        try sync(replica, server, principal)
        try replica.delete(old)
        try sync(replica, server, principal)
        let oldRow = try server.currentSequence()
        clock.advance(by: 10 * Self.day)
        try replica.delete(recent)
        try sync(replica, server, principal)
        let recentRow = try server.currentSequence()

        // 95 days after the first delete, 85 after the second: only the first is older than 90.
        clock.advance(by: 85 * Self.day)
        let first = try server.compact(retention: Self.retention)
        XCTAssertEqual(first.purged, 1)
        XCTAssertEqual(first.horizons, ["lyon": Horizon(sequence: oldRow, time: clock.now - Self.retention)])
        XCTAssertEqual(try server.horizon(scope: principal.tenantScope), first.horizons["lyon"])
        var rows = try serverRows(server, principal)
        XCTAssertNil(rows[old], "the tombstone older than the retention is purged")
        XCTAssertEqual(rows[recent], .deleted, "the younger tombstone stays")
        XCTAssertEqual(rows[live], .live)

        // Nothing more to purge: the horizon stays where it is.
        let again = try server.compact(retention: Self.retention)
        XCTAssertEqual(again.purged, 0)
        XCTAssertEqual(again.horizons, first.horizons)

        clock.advance(by: 10 * Self.day)
        let second = try server.compact(retention: Self.retention)
        XCTAssertEqual(second.purged, 1)
        XCTAssertEqual(second.horizons, ["lyon": Horizon(sequence: recentRow, time: clock.now - Self.retention)])
        rows = try serverRows(server, principal)
        XCTAssertEqual(rows, [live: .live], "live records are never purged")
    }

    func testAPushWithACursorBelowTheHorizonIsRefusedAsStaleAndAppliesNothing() throws {
        let clock = ManualClock()
        let (server, principal) = try makeServer(clock: clock)
        let coordinator = try makeReplica("a.db", clock: clock)
        let stale = try makeReplica("s.db", clock: clock)
        let deleted = try addOffer(coordinator, "Courses du lundi")
        try sync(coordinator, server, principal)
        try sync(stale, server, principal)
        try coordinator.delete(deleted)
        try sync(coordinator, server, principal)
        clock.advance(by: 100 * Self.day)
        let horizon = try XCTUnwrap(try server.compact(retention: Self.retention).horizons["lyon"])
        XCTAssertEqual(horizon.sequence, 2)

        _ = try stale.add(.offer, fields: ["category": .text("homework"), "title": .text("Aide aux devoirs")])
        let batch = try stale.pendingBatch(maxRecords: 100)
        let cursor = try stale.pullCursor().since
        XCTAssertEqual(cursor, 1)
        let sequence = try server.currentSequence()
        XCTAssertThrowsError(try server.push(batch.changeSet, as: principal, cursor: cursor, maxClockAhead: Self.maxClockAhead)) { error in
            XCTAssertEqual(error as? Refusal, Refusal(
                .staleReplica,
                "this replica last synced at cursor 1, before deletions the server has since forgotten (horizon 2): it must re-sync in full (boucle sync does so by itself)",
                horizon: horizon))
        }
        XCTAssertEqual(try server.currentSequence(), sequence, "a stale push applies nothing")

        let accepted = try server.push(batch.changeSet, as: principal, cursor: horizon.sequence, maxClockAhead: Self.maxClockAhead)
        XCTAssertEqual(accepted.applied, 1, "a cursor at the horizon is not stale")
    }

    func testAPullSinceZeroIsAllowedBelowTheHorizonAndAnyOtherSinceBelowItIsStale() throws {
        let clock = ManualClock()
        let (server, principal) = try makeServer(clock: clock)
        let replica = try makeReplica("a.db", clock: clock)
        let deleted = try addOffer(replica, "Courses du lundi")
        let live = try addOffer(replica, "Courses du mardi")
        try sync(replica, server, principal)
        try replica.delete(deleted)
        try sync(replica, server, principal)
        clock.advance(by: 100 * Self.day)
        let horizon = try XCTUnwrap(try server.compact(retention: Self.retention).horizons["lyon"])
        XCTAssertEqual(horizon.sequence, 3)

        for since: Int64 in [1, 2] {
            XCTAssertThrowsError(try server.pull(as: principal, since: since, after: since, limit: 100), "since \(since)") { error in
                XCTAssertEqual((error as? Refusal)?.reason, .staleReplica)
                XCTAssertEqual((error as? Refusal)?.horizon, horizon)
            }
        }
        let full = try server.pull(as: principal, since: 0, after: 0, limit: 100)
        XCTAssertEqual(full.horizon, horizon)
        XCTAssertEqual(full.page.changes, 1)
        XCTAssertFalse(full.page.more)
        XCTAssertGreaterThanOrEqual(full.page.next, horizon.sequence, "a full pull leaves its client at or above the horizon")
        XCTAssertEqual(try decode(full.page.changeSet).map(\.id), [live])
        XCTAssertEqual(try server.pull(as: principal, since: 3, after: 3, limit: 100).page.changes, 0, "since at the horizon is not stale")
    }

    // MARK: The full re-sync

    /// The stale replica edited a record deleted (and forgotten) on the server and made one of
    /// its own: the re-sync keeps its own, drops the forgotten one, logs the lost edit.
    func testAFullResyncKeepsANeverPushedRecordOfItsOwnDropsWhatTheServerForgotAndLogsTheLostEdit() throws {
        let clock = ManualClock()
        let (server, principal) = try makeServer(clock: clock)
        let coordinator = try makeReplica("a.db", clock: clock)
        let stale = try makeReplica("s.db", clock: clock)
        let deleted = try addOffer(coordinator, "Courses du lundi")
        let kept = try addOffer(coordinator, "Promenade du chien")
        try sync(coordinator, server, principal)
        try sync(stale, server, principal)
        try coordinator.delete(deleted)
        try sync(coordinator, server, principal)

        clock.advance(by: Self.day)
        try stale.update(deleted, fields: ["title": .text("Courses du mardi")])
        let made = try addOffer(stale, "Aide aux devoirs")
        let editStamp = try XCTUnwrap(try stale.record(deleted).state.fields["title"]?.stamp)
        clock.advance(by: 100 * Self.day)
        let horizon = try XCTUnwrap(try server.compact(retention: Self.retention).horizons["lyon"])

        let outcome = try sync(stale, server, principal)
        XCTAssertTrue(outcome.resynced)
        let summary = try XCTUnwrap(outcome.summary)
        XCTAssertEqual([summary.dropped, summary.kept, summary.lostEdits], [1, 1, 1], "dropped, kept, lost edits")
        XCTAssertEqual(Set(try stale.records(in: .offer).map(\.id)), [kept, made])
        XCTAssertThrowsError(try stale.record(deleted), "the forgotten record is dropped, not resurrected")
        XCTAssertEqual(try stale.status().pendingRecords, 0, "the record made here was pushed after the re-sync")
        let log = try stale.conflicts().map(\.conflict)
        XCTAssertEqual(log, [Conflict(
            kind: .deleted, recordID: deleted, collection: .offer, field: "title",
            loser: editStamp, loserValue: nil,
            winner: Stamp(hlc: HLC(milliseconds: horizon.time, counter: 0), replica: .zero), winnerValue: nil)])

        let rows = try serverRows(server, principal)
        XCTAssertEqual(rows, [kept: .live, made: .live], "the server got the new record and nothing came back")
        try sync(coordinator, server, principal)
        let clone = try makeReplica("clone.db", clock: clock)
        try sync(clone, server, principal)
        XCTAssertEqual(try stale.digest(), try clone.digest())
        XCTAssertEqual(try coordinator.digest(), try clone.digest())
    }

    func testPurgeTombstonesKeepsADeleteMadeHereAndNotYetPushed() throws {
        let clock = ManualClock()
        let replica = try makeReplica("a.db", clock: clock)
        let pushed = try addOffer(replica, "Courses du lundi")
        let unpushed = try addOffer(replica, "Courses du mardi")
        try replica.delete(pushed)
        let pushedUpTo = try replica.pendingBatch(maxRecords: 100).next
        try replica.markPushed(upTo: pushedUpTo, more: false, answer: PushAnswer())
        try replica.delete(unpushed)
        clock.advance(by: 100 * Self.day)
        XCTAssertEqual(try replica.purgeTombstones(deletedBefore: clock.now - Self.retention), 1)
        XCTAssertEqual(try replica.status().pendingRecords, 1, "the unpushed delete is still there, to be pushed")
        XCTAssertEqual(try replica.purgeTombstones(deletedBefore: 0), 0, "a horizon time of 0 purges nothing")
    }

    /// A delete the server held back (a field token may not delete) is still on its way: a purge
    /// after the server forgot older deletes keeps it, and it reaches the server once a token
    /// that may make it carries it. (Seed 2174 of the simulation: the field replica purged it,
    /// the delete never arrived, and the replica differed from a fresh clone.)
    func testPurgeTombstonesKeepsADeleteTheServerHeldBack() throws {
        let clock = ManualClock()
        let (server, coordinatorToken) = try makeServer(clock: clock)
        let fieldToken = try XCTUnwrap(try server.authenticate(try server.createToken(tenant: "lyon", team: "nord", role: .field)))
        let sudToken = try XCTUnwrap(try server.authenticate(try server.createToken(tenant: "lyon", team: "sud", role: .coordinator)))
        let field = try makeReplica("field.db", clock: clock)
        let coordinator = try makeReplica("coordinator.db", clock: clock)
        let sud = try makeReplica("sud.db", team: "sud", clock: clock)
        let offer = try addOffer(field, "Courses du lundi")
        let kept = try addOffer(field, "Promenade du chien")
        let gone = try addOffer(field, "Aide aux devoirs")
        try sync(field, server, fieldToken)
        try sync(sud, server, sudToken)
        try field.delete(offer)
        try sync(field, server, fieldToken)
        XCTAssertTrue(try field.isWaiting(offer), "a field token may not delete: the delete waits")
        // A delete the server does apply, which its compaction will forget.
        try sync(coordinator, server, coordinatorToken)
        try coordinator.delete(gone)
        try sync(coordinator, server, coordinatorToken)

        clock.advance(by: 100 * Self.day)
        _ = try server.compact(retention: Self.retention)
        try sync(field, server, fieldToken)
        XCTAssertTrue(try field.isWaiting(offer))
        XCTAssertTrue(try field.canonicalState().contains { $0.contains(offer.rawValue) }, "the waiting delete survives the purge")

        // The coordinator brings the field team's file in; its token may delete.
        let file = path("field.changeset")
        _ = try field.exportChangeSet(all: true, path: file)
        _ = try coordinator.importChangeSet(path: file)
        try sync(coordinator, server, coordinatorToken)
        XCTAssertEqual(try serverRows(server, coordinatorToken), [offer: .deleted, kept: .live], "the held-back delete arrived")
        let clone = try makeReplica("clone.db", clock: clock)
        try sync(clone, server, coordinatorToken)
        XCTAssertEqual(try coordinator.digest(), try clone.digest())
        // Another team, which saw the offer before the delete, receives the delete too.
        try sync(sud, server, sudToken)
        XCTAssertEqual(try sud.digest(), try clone.digest())
    }

    // MARK: The clock guard and restamp

    func testAPushStampedTooFarAheadIsRefusedWholeAndRestampReStampsOnlyPendingFutureWrites() throws {
        let serverClock = ManualClock()
        let laptopClock = ManualClock(milliseconds: serverClock.now, seed: 2)
        let (server, principal) = try makeServer(clock: serverClock)
        let laptop = try makeReplica("a.db", clock: laptopClock)
        let synced = try addOffer(laptop, "Courses du lundi")
        let toDelete = try addOffer(laptop, "Courses du mardi")
        try sync(laptop, server, principal)
        let syncedCategory = try XCTUnwrap(try laptop.record(synced).state.fields["category"]?.stamp)

        laptopClock.advance(by: 60_000)
        serverClock.advance(by: 60_000)
        let onTime = try addOffer(laptop, "Aide aux devoirs")
        let onTimeStamps = try laptop.record(onTime).state.fields.mapValues(\.stamp)
        // The laptop's clock jumps 2 h ahead.
        laptopClock.advance(by: 2 * 3_600_000)
        let future = try addOffer(laptop, "Promenade du chien")
        try laptop.update(synced, fields: ["title": .text("Courses du samedi")])
        try laptop.delete(toDelete)

        let sequence = try server.currentSequence()
        let batch = try laptop.pendingBatch(maxRecords: 100)
        XCTAssertThrowsError(try server.push(batch.changeSet, as: principal, cursor: try laptop.pullCursor().since,
                                             maxClockAhead: Self.maxClockAhead)) { error in
            XCTAssertEqual(error as? Refusal, Refusal(
                .clockAhead,
                "the server refused 3 changes stamped up to 2 h ahead of its clock (the limit is 5 min); nothing was applied"))
        }
        XCTAssertEqual(try server.currentSequence(), sequence, "nothing was applied, not even the change on time")
        XCTAssertEqual(try laptop.status().pendingRecords, 4, "every change stays pending")

        // The clock is fixed: 2 h back, a minute later.
        laptopClock.set(serverClock.now + 60_000)
        let now = laptopClock.now
        XCTAssertEqual(try laptop.restamp(), 3, "the future offer, the record with the future edit, the future delete")
        let futureStamps = try laptop.record(future).state.fields.values.map(\.stamp)
        XCTAssertTrue(futureStamps.allSatisfy { $0.hlc.milliseconds == now && $0.replica == laptop.replicaID }, "\(futureStamps)")
        XCTAssertEqual(try laptop.record(future).text("title"), "Promenade du chien", "values are kept")
        let edited = try laptop.record(synced).state.fields
        XCTAssertEqual(edited["title"]?.stamp.hlc.milliseconds, now)
        XCTAssertEqual(edited["title"]?.value, .text("Courses du samedi"))
        XCTAssertEqual(edited["category"]?.stamp, syncedCategory, "a pushed write keeps its stamp")
        XCTAssertEqual(try laptop.record(onTime).state.fields.mapValues(\.stamp), onTimeStamps, "a pending write on time keeps its stamp")
        let tombstone = try XCTUnwrap(try exported(laptop).first { $0.id == toDelete && $0.operation == .delete })
        XCTAssertEqual(tombstone.stamp.hlc.milliseconds, now, "the future delete is re-stamped")
        XCTAssertEqual(try laptop.restamp(), 0, "nothing is ahead any more")

        try sync(laptop, server, principal)
        XCTAssertEqual(try laptop.status().pendingRecords, 0)
        XCTAssertEqual(try serverRows(server, principal), [synced: .live, toDelete: .deleted, onTime: .live, future: .live])
    }

    // MARK: Compaction racing a push

    /// Protocol/SERVER.md: compaction is one transaction and "pushes wait for it like for any
    /// writer". A compaction that commits after a push checked its cursor against the horizon,
    /// but before the push's own transaction, must not let the push bring a purged record back.
    /// The injected clock of the pushing connection is read exactly in that gap: the test runs
    /// the compaction (on another connection) from it.
    func testACompactionBetweenTheStaleCheckAndThePushCannotResurrectARecord() throws {
        let clock = ManualClock()
        let (setup, principal) = try makeServer(clock: clock)
        let coordinator = try makeReplica("a.db", clock: clock)
        let stale = try makeReplica("s.db", clock: clock)
        let deleted = try addOffer(coordinator, "Courses du lundi")
        try sync(coordinator, setup, principal)
        try sync(stale, setup, principal)
        try coordinator.delete(deleted)
        try sync(coordinator, setup, principal)
        try stale.update(deleted, fields: ["title": .text("Courses du mardi")])
        clock.advance(by: 100 * Self.day)

        let compactor = try ServerStore(path: path("server.db"), environment: clock.environment)
        let hook = CompactionHook(compactor: compactor, retention: Self.retention)
        let pusher = try ServerStore(path: path("server.db"), environment: Environment(
            now: { hook.fire(); return clock.now }, newID: { UUIDString.random(using: &hook.generator) }))
        let batch = try stale.pendingBatch(maxRecords: 100)
        hook.armed = true
        do {
            _ = try pusher.push(batch.changeSet, as: principal, cursor: try stale.pullCursor().since, maxClockAhead: Self.maxClockAhead)
        } catch let error as Refusal {
            XCTAssertEqual(error.reason, .staleReplica)
        }
        XCTAssertEqual(hook.purged, 1, "the compaction ran during the push")
        XCTAssertNil(try serverRows(setup, principal)[deleted], "the purged record must not come back")
    }

    // MARK: Helpers

    /// A server database with tenant lyon and a coordinator token of team nord.
    private func makeServer(clock: ManualClock) throws -> (ServerStore, Principal) {
        let server = try ServerStore(path: path("server.db"), environment: clock.environment)
        try server.createTenant("lyon")
        let token = try server.createToken(tenant: "lyon", team: "nord", role: .coordinator)
        return (server, try XCTUnwrap(try server.authenticate(token)))
    }

    private func addOffer(_ replica: ReplicaStore, _ title: String) throws -> UUIDString {
        try replica.add(.offer, fields: ["category": .text("groceries"), "title": .text(title)])
    }

    /// What `boucle sync` does (SyncSession): push in one batch, pull every page, re-sync in
    /// full on `stale_replica`, purge tombstones before the horizon time.
    @discardableResult
    private func sync(_ replica: ReplicaStore, _ server: ServerStore, _ principal: Principal) throws
        -> (resynced: Bool, summary: ResyncSummary?) {
        var summary: ResyncSummary?
        func resync() throws {
            try replica.beginFullResync()
            let horizon = try pull(replica, server, principal)
            summary = try replica.finishFullResync(horizonTime: horizon.time)
            try replica.purgeTombstones(deletedBefore: horizon.time)
        }
        func push() throws {
            let batch = try replica.pendingBatch(maxRecords: 10_000)
            guard batch.changes > 0 else { return }
            let result = try server.push(batch.changeSet, as: principal, cursor: try replica.pullCursor().since,
                                         maxClockAhead: Self.maxClockAhead)
            try replica.markPushed(upTo: batch.next, more: batch.more, answer: result)
        }
        if try replica.isResyncing() { try resync() }
        do { try push() } catch let error as Refusal where error.reason == .staleReplica {
            try resync()
            try push()
        }
        do {
            try replica.purgeTombstones(deletedBefore: try pull(replica, server, principal).time)
        } catch let error as Refusal where error.reason == .staleReplica {
            try resync()
        }
        try replica.markSynced()
        return (summary != nil, summary)
    }

    /// Pulls pages of 2 records until caught up; returns the horizon of the last page.
    private func pull(_ replica: ReplicaStore, _ server: ServerStore, _ principal: Principal) throws -> Horizon {
        while true {
            let cursor = try replica.pullCursor()
            let (page, horizon) = try server.pull(as: principal, since: cursor.since, after: cursor.after, limit: 2)
            _ = try replica.applyPulledPage(DecodedChangeSet(page.changeSet), next: page.next, more: page.more)
            if !page.more { return horizon }
        }
    }

    enum RowState: Equatable { case live, deleted }

    /// Every record row the server holds for the tenant, from a full pull.
    private func serverRows(_ server: ServerStore, _ principal: Principal) throws -> [UUIDString: RowState] {
        let page = try server.pull(as: principal, since: 0, after: 0, limit: 10_000).page
        var rows: [UUIDString: RowState] = [:]
        for change in try decode(page.changeSet) {
            rows[change.id] = change.operation == .delete ? .deleted : .live
        }
        return rows
    }

    private func exported(_ replica: ReplicaStore) throws -> [Change] {
        let file = path("exported-\(UUID().uuidString).changeset")
        _ = try replica.exportChangeSet(all: true, path: file)
        return try decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
    }

    private func decode(_ bytes: [UInt8]) throws -> [Change] {
        var decoder = ChangeSetDecoder()
        var changes: [Change] = []
        try decoder.consume(bytes) { item in
            if case .change(let change) = item { changes.append(change) }
        }
        try decoder.finish()
        return changes
    }
}

/// Runs a compaction on its own connection the first time the pushing connection reads its
/// clock after being armed.
private final class CompactionHook: @unchecked Sendable {
    let compactor: ServerStore
    let retention: UInt64
    var armed = false
    var purged = -1
    var generator = SeededGenerator(seed: 7)

    init(compactor: ServerStore, retention: UInt64) {
        self.compactor = compactor
        self.retention = retention
    }

    func fire() {
        guard armed else { return }
        armed = false
        purged = (try? compactor.compact(retention: retention).purged) ?? -2
    }
}
