import BoucleCore
import Foundation
import SQLite
import XCTest

/// The default categories belong to the city: only an admin token creates, relabels or deletes
/// a category on the server, nobody deletes one of the nine defaults, and the seed is part of
/// each tenant's state.
final class CategoryRuleTests: ServerTestCase {
    private var server: ServerProcess!
    private var coordinator: Replica!
    private var adminToken = ""
    private let pets = Categories.id(forSlug: "pets").rawValue

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        adminToken = try token(team: "mairie", role: "admin")
        server = try startServer()
        coordinator = try makeClient("coordinator", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
    }

    /// A coordinator's relabel of a default category waits for an admin token; an admin's
    /// relabel reaches every replica.
    func testOnlyAnAdminRelabelsADefaultCategory() throws {
        try coordinator.ok("set", pets, "label=Chiens seulement")
        let result = try coordinator.ok("sync")
        XCTAssertTrue(result.hasSuffix("\n1 record waits for another token: 1 for an admin token"), result)
        let fresh = try makeClient("fresh", team: "sud", token: try token(team: "sud", role: "field"), server: server)
        try sync(fresh)
        XCTAssertTrue(try fresh.ok("categories").contains("Promenade d'animaux"), "the seed's label holds")

        let city = try makeClient("city", team: "mairie", token: adminToken, server: server)
        try city.ok("set", pets, "label=Promenade et garde d'animaux")
        try sync(city)
        try sync(fresh)
        XCTAssertTrue(try fresh.ok("categories").contains("Promenade et garde d'animaux"))
    }

    /// Nobody deletes one of the nine defaults: the replica refuses it, and the server defers a
    /// hand-made delete even from an admin token.
    func testNobodyDeletesADefaultCategory() throws {
        let city = try makeClient("city", team: "mairie", token: adminToken, server: server)
        let refused = try city.run("delete", pets)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.err, "boucle: error: \"pets\" is one of the nine default categories, which cannot be deleted (relabel it instead)\n")

        var generator = SeededGenerator(seed: 9)
        let writer = UUIDString.random(using: &generator)
        let delete = Change(collection: .category, id: Categories.id(forSlug: "pets"), team: "boucle",
                            stamp: Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds(), counter: 0), replica: writer), operation: .delete)
        let body = ServerHarness.changeSet(tenant: "lyon", origin: writer, [delete])
        let answer = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: adminToken, body: body))
        let deferred = try XCTUnwrap((answer["deferred"] as? [[String: Any]])?.first)
        XCTAssertEqual(deferred["reason"] as? String, "default_category")
        XCTAssertEqual(deferred["waits_for"] as? String, "nothing: the default categories cannot be deleted")
        try sync(city)
        XCTAssertTrue(try city.ok("categories").contains("pets"))
    }

    /// The seed is part of the tenant's state, owned by team boucle at sequence 0: a fresh
    /// clone's digest equals a new replica's, and pulls never send the seed.
    func testTheSeedIsPartOfEachTenantsState() throws {
        let database = try Database(path: serverDB, create: false, readOnly: true)
        defer { try? database.close() }
        let seeds = try database.query("SELECT team, seq FROM records WHERE collection = 'category'") { ($0.text(0) ?? "", $0.int64(1)) }
        XCTAssertEqual(seeds.count, 9)
        XCTAssertTrue(seeds.allSatisfy { $0 == ("boucle", 0) }, "\(seeds)")
        let page = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: adminToken)
        XCTAssertEqual(page.headers["Boucle-Changes"], "0")
    }
}
