import BoucleCore
import BoucleStore
import XCTest

final class MatchStoreTests: StoreTestCase {
    func makeRequestAndOffers(_ store: ReplicaStore) throws -> (UUIDString, UUIDString, UUIDString) {
        let request = try store.add(.request, fields: ["category": .text("groceries"), "title": .text("Courses"), "status": .text("open")])
        let first = try store.add(.offer, fields: ["category": .text("groceries"), "title": .text("A"), "status": .text("open")])
        let second = try store.add(.offer, fields: ["category": .text("groceries"), "title": .text("B"), "status": .text("open")])
        return (request, first, second)
    }

    func testRecordingAMatchMakesTheRequestMatched() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let (request, offer, _) = try makeRequestAndOffers(store)
        let recorded = try store.recordMatch(request: request, offer: offer)
        XCTAssertEqual(recorded.requestStatus, "matched")
        XCTAssertEqual(try store.record(request).text("status"), "matched")
        XCTAssertEqual(try store.record(recorded.id).text("status"), "proposed")
        XCTAssertEqual(try store.record(recorded.id).text("offer"), offer.rawValue)
    }

    func testDoneMatchMakesTheRequestDone() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let (request, offer, _) = try makeRequestAndOffers(store)
        let match = try store.recordMatch(request: request, offer: offer).id
        try store.update(match, fields: ["status": .text("done")])
        XCTAssertEqual(try store.record(request).text("status"), "done")
    }

    func testCancelledMatchReopensTheRequestUnlessAnotherMatchIsActive() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let (request, first, second) = try makeRequestAndOffers(store)
        let one = try store.recordMatch(request: request, offer: first).id
        let two = try store.recordMatch(request: request, offer: second).id
        try store.update(one, fields: ["status": .text("cancelled")])
        XCTAssertEqual(try store.record(request).text("status"), "matched", "the second match is still proposed")
        try store.update(two, fields: ["status": .text("cancelled")])
        XCTAssertEqual(try store.record(request).text("status"), "open")
    }

    func testRequestOfAnotherTeamIsLeftToItsCoordinator() throws {
        let clock = ManualClock()
        let south = try makeReplica("b.db", team: "sud", clock: clock)
        let request = try south.add(.request, fields: ["category": .text("pets"), "title": .text("Chien"), "status": .text("open")])
        let north = try makeReplica("a.db", clock: clock)
        try exchange(south, north)
        let offer = try north.add(.offer, fields: ["category": .text("pets"), "title": .text("Promenade")])
        let recorded = try north.recordMatch(request: request, offer: offer)
        XCTAssertNil(recorded.requestStatus)
        XCTAssertEqual(try north.record(request).text("status"), "open")
    }

    func testMatchingAnOfferAsARequestIsRefused() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let (_, offer, other) = try makeRequestAndOffers(store)
        XCTAssertThrowsError(try store.recordMatch(request: offer, offer: other)) { error in
            XCTAssertEqual("\(error)", "request names no request of this replica")
        }
    }

    func testStatsCountLiveRecordsByCategoryStatusAndTeam() throws {
        let store = try makeReplica("a.db", clock: ManualClock())
        let (request, offer, _) = try makeRequestAndOffers(store)
        _ = try store.recordMatch(request: request, offer: offer)
        try store.delete(offer)
        let stats = try store.stats()
        XCTAssertEqual(stats.breakdowns[.offer]?.total, 1)
        XCTAssertEqual(stats.breakdowns[.request]?.byStatus, ["matched": 1])
        XCTAssertEqual(stats.breakdowns[.match]?.byTeam, ["nord": 1])
        XCTAssertEqual(stats.breakdowns[.offer]?.byCategory, ["groceries": 1])
    }
}
