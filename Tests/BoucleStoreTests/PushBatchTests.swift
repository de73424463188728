import BoucleCore
import BoucleProtocol
import BoucleStore
import XCTest

final class PushBatchTests: StoreTestCase {
    /// Found by the simulation: a record in a later batch may hold fields older than an earlier
    /// batch's records; they must be pushed too.
    func testPushInBatchesSendsTheOldFieldsOfLaterRecords() throws {
        let clock = ManualClock()
        let server = try ServerStore(path: path("server.db"), environment: clock.environment)
        try server.createTenant("lyon")
        let principal = try XCTUnwrap(try server.authenticate(try server.createToken(tenant: "lyon", team: "nord", role: .coordinator)))
        let replica = try makeReplica("a.db", clock: clock)
        let first = try replica.add(.offer, fields: ["category": .text("pets"), "title": .text("first")])
        _ = try replica.add(.offer, fields: ["category": .text("pets"), "title": .text("second")])
        try replica.update(first, fields: ["details": .text("later edit")])
        while true {
            let batch = try replica.pendingBatch(maxRecords: 1)
            if batch.changes == 0 { break }
            _ = try server.push(batch.changeSet, as: principal, cursor: 0, maxClockAhead: 300_000)
            try replica.markPushed(upTo: batch.next, more: batch.more, answer: PushAnswer())
            if !batch.more { break }
        }
        let page = try server.pull(as: principal, since: 0, after: 0, limit: 100).page
        let clone = try makeReplica("clone.db", clock: clock)
        _ = try clone.applyPulledPage(DecodedChangeSet(page.changeSet), next: page.next, more: false)
        XCTAssertEqual(try clone.record(first).text("title"), "first")
        XCTAssertEqual(try clone.record(first).text("details"), "later edit")
        XCTAssertEqual(try replica.status().pendingRecords, 0)
    }
}
