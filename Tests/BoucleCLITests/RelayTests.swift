import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// A relayed change never blocks its relayer (Protocol/SERVER.md, "Relays and deferred
/// changes"): a replica that carries other teams' changes syncs its own, keeps the others
/// pending with what they wait for, and finds them done once their own team has pushed them.
final class RelayTests: ServerTestCase {
    private var server: ServerProcess!
    private var nordCoordinator = ""
    private var sudCoordinator = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        nordCoordinator = try token(team: "nord", role: "coordinator")
        sudCoordinator = try token(team: "sud", role: "coordinator")
        server = try startServer()
    }

    /// The README's USB tour with two teams: sud imports nord's file, then syncs with its own
    /// coordinator token. Sud's own offer reaches the server at once; nord's waits, at every sync,
    /// without blocking anything; after nord's own sync it is done, and every replica and a fresh
    /// clone hold the same state.
    func testTheUSBTourOfTwoTeamsNeverBlocksSud() throws {
        let nord = try makeClient("nord", team: "nord", token: nordCoordinator, server: server)
        let sud = try makeClient("sud", team: "sud", token: sudCoordinator, server: server)
        let nordOffer = try nord.addOffer(title: "Courses le samedi")
        try send(nord, to: sud, as: "usb.changeset")
        let sudOffer = try sud.addOffer(category: "pets", title: "Promenade du chien")

        for attempt in 1...2 {
            let result = try sud.run("sync")
            XCTAssertEqual(result.status, 0, "attempt \(attempt): \(result.err)")
            XCTAssertTrue(result.out.hasSuffix("\n1 record waits for another token: 1 for a token of team nord\n"), result.out)
        }
        let server1 = try clone("clone1")
        XCTAssertEqual(try ids("offer", on: server1), [sudOffer], "sud's own offer is on the server, nord's is not yet")

        try sync(nord)
        let done = try sud.ok("sync")
        XCTAssertFalse(done.contains("waits"), done)
        XCTAssertEqual((try sud.status()["waiting"] as? [[String: Any]])?.count, 0)
        try sync(nord)
        let fresh = try clone("clone2")
        XCTAssertEqual(try ids("offer", on: fresh), [nordOffer, sudOffer])
        XCTAssertEqual(try nord.digest(), try fresh.digest())
        XCTAssertEqual(try sud.digest(), try fresh.digest())
    }

    /// A field laptop that imported a file holding a new category (made by a coordinator) syncs
    /// its own records; the category waits for an admin token.
    func testACategoryCarriedByAFieldLaptopWaitsForAnAdmin() throws {
        let coordinator = try makeClient("coordinator", team: "nord", token: nordCoordinator, server: server)
        let field = try makeClient("field", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        try coordinator.ok("category", "add", "--slug", "jardinage", "--label", "Jardinage")
        try send(coordinator, to: field, as: "categories.changeset")
        let own = try field.addOffer(category: "jardinage", title: "Potager partagé")
        let result = try field.run("sync")
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.hasSuffix("\n1 record waits for another token: 1 for an admin token\n"), result.out)
        XCTAssertEqual(try ids("offer", on: try clone("clone")), [own], "the field laptop's own offer went through")
    }

    /// A token cannot write under another team's replica id: a sud token pushing a change to a
    /// sud record stamped by nord's replica (so that nord's conflict log would never show it) is
    /// deferred, as written by team nord; the server keeps sud's value.
    func testAChangeForgedUnderAnotherTeamsReplicaWaitsForThatTeam() throws {
        let nord = try makeClient("nord", team: "nord", token: nordCoordinator, server: server)
        _ = try nord.addOffer()
        try sync(nord)
        let sud = try makeClient("sud", team: "sud", token: sudCoordinator, server: server)
        let record = try sud.addOffer(category: "pets", title: "Titre de sud")
        try sync(sud)

        let nordReplica = try nord.replicaID()
        let forged = Change(collection: .offer, id: try XCTUnwrap(UUIDString(record)), team: "sud",
                            stamp: Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds() + 1_000, counter: 0), replica: nordReplica),
                            operation: .set(["title": .text("Titre forgé")]))
        let body = ServerHarness.changeSet(tenant: "lyon", origin: try sud.replicaID(), [forged])
        let answer = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: sudCoordinator, body: body))
        XCTAssertEqual(answer["applied"] as? Int, 0)
        let deferred = try XCTUnwrap((answer["deferred"] as? [[String: Any]])?.first)
        XCTAssertEqual(deferred["reason"] as? String, "writer")
        XCTAssertEqual(deferred["waits_for"] as? String, "a token of team nord")
        XCTAssertEqual(try JSON.object(try clone("clone").json("show", record))["title"] as? String, "Titre de sud")
    }

    /// A fresh replica synced with nord's coordinator: the server's state.
    private func clone(_ name: String) throws -> Replica {
        let clone = try makeClient(name, team: "nord", token: nordCoordinator, server: server)
        try sync(clone)
        return clone
    }
}
