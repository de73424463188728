import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// Tenants and roles at the server: a token sees and writes its own tenant only, a field token
/// writes only its team's records and never deletes (what it may not write waits, pending),
/// only an admin changes categories, unknown and revoked tokens get 401, health needs no token
/// and metrics need an admin's.
final class ServerAuthTests: ServerTestCase {
    private var server: ServerProcess!
    private var nordField = ""
    private var coordinatorToken = ""
    private var parisField = ""
    /// A lyon laptop of team nord that added `offer` and synced it.
    private var nord: Replica!
    private var offer = ""
    private var generator = SeededGenerator(seed: 0)

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        try admin("tenant", "create", "paris")
        nordField = try token(team: "nord", role: "field")
        coordinatorToken = try token(team: "nord", role: "coordinator")
        parisField = try token(tenant: "paris", team: "nord", role: "field")
        generator = SeededGenerator(seed: ServerHarness.seed(name))
        server = try startServer()
        nord = try makeClient("nord", team: "nord", token: nordField, server: server)
        offer = try nord.addOffer(title: "Courses le samedi")
        try sync(nord)
    }

    /// What lyon's coordinator sees after a full pull into a fresh replica: the server's state.
    private func lyonAsSeenByACoordinator(_ name: String) throws -> Replica {
        let clone = try makeClient(name, team: "nord", token: coordinatorToken, server: server)
        try sync(clone)
        return clone
    }

    /// A paris token pulls nothing of lyon's records.
    func testTokenOfAnotherTenantPullsNothingOfLyon() throws {
        let paris = try makeClient("paris", team: "nord", token: parisField, server: server)
        try sync(paris)
        XCTAssertEqual(try paris.status()["tenant"] as? String, "paris")
        XCTAssertEqual(try ids("offer", on: paris), [])

        let page = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: parisField)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["Boucle-Changes"], "0")
        XCTAssertFalse(String(decoding: page.body, as: UTF8.self).contains(offer))
    }

    /// A paris token pushing a change-set whose header names lyon gets 403 `wrong_tenant`, and
    /// nothing is persisted.
    func testPushNamingAnotherTenantIsRefusedAsWrongTenant() throws {
        let offers = ServerHarness.offers(3, team: "nord", using: &generator)
        let before = try snapshot()
        let response = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: parisField,
                                                  body: ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers))
        let message = try assertError(response, status: 403, code: "wrong_tenant")
        XCTAssertEqual(message, #"this change-set belongs to tenant "lyon", not "paris""#)
        XCTAssertEqual(try snapshot(), before)
    }

    /// A change-set whose header leaves the tenant empty (`""`) is taken as the token's tenant.
    func testPushWithAnEmptyTenantIsTakenAsTheTokensTenant() throws {
        let offers = ServerHarness.offers(2, team: "nord", using: &generator)
        let response = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: nordField,
                                                  body: ServerHarness.changeSet(tenant: "", origin: offers[0].stamp.replica, offers))
        XCTAssertEqual(try jsonObject(response)["applied"] as? Int, 2)
        let lyon = try lyonAsSeenByACoordinator("coordinator")
        XCTAssertEqual(try ids("offer", on: lyon), Set([offer] + offers.map(\.id.rawValue)))
    }

    /// Only an admin token changes categories: a field's and a coordinator's category waits (the
    /// rest of their push goes through); an admin's is applied, for its tenant only.
    func testOnlyAnAdminTokenChangesCategories() throws {
        let slug = "jardinage"
        let writer = UUIDString.random(using: &generator)
        let category = Change(collection: .category, id: Categories.id(forSlug: slug), team: "nord",
                              stamp: Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds(), counter: 0), replica: writer),
                              operation: .set(["slug": .text(slug), "label": .text("Jardinage")]))
        let body = ServerHarness.changeSet(tenant: "lyon", origin: writer, [category])
        let before = try snapshot()
        for token in [nordField, coordinatorToken] {
            let answer = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: token, body: body))
            XCTAssertEqual(answer["applied"] as? Int, 0)
            let deferred = try XCTUnwrap(answer["deferred"] as? [[String: Any]])
            XCTAssertEqual(deferred.first?["reason"] as? String, "category")
            XCTAssertEqual(deferred.first?["waits_for"] as? String, "an admin token")
        }
        XCTAssertEqual(try snapshot(), before)

        let adminToken = try token(team: "mairie", role: "admin")
        let accepted = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: adminToken, body: body)
        XCTAssertEqual(try jsonObject(accepted)["applied"] as? Int, 1)
        try sync(nord)
        XCTAssertTrue(try nord.ok("categories").contains(slug), "the field laptop now offers the new category")
        let paris = try makeClient("paris", team: "nord", token: parisField, server: server)
        try sync(paris)
        XCTAssertFalse(try paris.ok("categories").contains(slug), "a category is its tenant's only")
    }

    /// The request log has one line per request and never a token, a secret or a query string.
    func testRequestLogNamesNeitherTokensNorQueries() throws {
        _ = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0&after=0&limit=7", token: nordField)
        _ = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: "boucle_12345678_" + String(repeating: "a", count: 64))
        XCTAssertEqual(server.logCount(" GET /v1/changes 401 ", atLeast: 1), 1)
        let log = server.child.stderr
        XCTAssertTrue(log.contains(" GET /v1/changes 200 "), log)
        for secret in [String(nordField.suffix(64)), String(nordField.dropFirst(7).prefix(8)), "12345678", "limit=7", "since="] {
            XCTAssertFalse(log.contains(secret), "the log shows \(secret):\n\(log)")
        }
    }

    /// A paris replica that writes to the id of a lyon record (a change-set file with no tenant,
    /// imported and synced) makes a paris record: lyon's record is untouched.
    func testWriteFromAnotherTenantToALyonRecordIDCreatesNothingInLyon() throws {
        let paris = try makeClient("paris", team: "nord", token: parisField, server: server)
        try sync(paris)
        let writer = UUIDString.random(using: &generator)
        let intruding = Change(collection: .offer, id: try XCTUnwrap(UUIDString(offer)), team: "nord",
                               stamp: Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds() + 500, counter: 0), replica: writer),
                               operation: .set(["title": .text("Titre de Paris"), "category": .text("other")]))
        try paris.importFile(try write(ServerHarness.changeSet(tenant: "", origin: writer, [intruding]), to: "intruding.changeset"))
        try sync(paris)
        XCTAssertEqual(try JSON.object(try paris.json("show", offer))["title"] as? String, "Titre de Paris", "paris has its own record")

        let lyon = try lyonAsSeenByACoordinator("lyon")
        let shown = try JSON.object(try lyon.json("show", offer))
        XCTAssertEqual(shown["title"] as? String, "Courses le samedi")
        XCTAssertEqual(shown["category"] as? String, "groceries")
        XCTAssertEqual(try lyon.digest(), try nord.digest(), "lyon's state is what nord pushed")
    }

    /// A field token's delete waits for a coordinator: the sync succeeds and says so, the server
    /// still holds the record; once nord's coordinator carries nord's file, the delete is applied,
    /// and nord's next sync finds it done.
    func testAFieldTokensDeleteWaitsForACoordinator() throws {
        try nord.ok("delete", offer)
        let before = try snapshot()
        let result = try nord.run("sync")
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.hasSuffix("\n1 record waits for another token: 1 for a coordinator token of team nord\n"), result.out)
        XCTAssertEqual(try snapshot(), before)
        XCTAssertTrue(try ids("offer", on: try lyonAsSeenByACoordinator("clone")).contains(offer))
        let waiting = try XCTUnwrap(try nord.status()["waiting"] as? [[String: Any]])
        XCTAssertEqual(waiting.first?["waits_for"] as? String, "a coordinator token of team nord")

        let coordinator = try lyonAsSeenByACoordinator("coordinator")
        try send(nord, to: coordinator, as: "nord.changeset")
        try sync(coordinator)
        XCTAssertFalse(try ids("offer", on: try lyonAsSeenByACoordinator("after")).contains(offer), "the coordinator carried the delete")
        try sync(nord)
        XCTAssertEqual((try nord.status()["waiting"] as? [[String: Any]])?.count, 0, "nothing waits any more")
    }

    /// A field token of team sud cannot edit a record of team nord: the edit waits, the sync
    /// succeeds, and the server keeps nord's value.
    func testAnotherTeamsRecordEditedBySudWaitsForNord() throws {
        let sud = try makeClient("sud", team: "sud", token: try token(team: "sud", role: "field"), server: server)
        try sync(sud)
        try sud.ok("set", offer, "title=Titre de sud")
        let before = try snapshot()
        let result = try sud.run("sync")
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.hasSuffix("1 record waits for another token: 1 for a token of team nord\n"), result.out)
        XCTAssertEqual(try snapshot(), before)
        let lyon = try lyonAsSeenByACoordinator("coordinator")
        XCTAssertEqual(try JSON.object(try lyon.json("show", offer))["title"] as? String, "Courses le samedi")
    }

    /// A coordinator deletes its team's records: the delete reaches the server and other replicas.
    func testCoordinatorTokenDeletesItsTeamsRecord() throws {
        let coordinator = try lyonAsSeenByACoordinator("coordinator")
        try coordinator.ok("delete", offer)
        try sync(coordinator)
        try sync(nord)
        XCTAssertEqual(try ids("offer", on: nord), [])
        XCTAssertEqual(try nord.digest(), try coordinator.digest())
    }

    /// No token, a malformed one, an unknown one and a revoked one all get 401 `unauthorized`; a
    /// replica whose token was revoked is told to ask for a new one.
    func testUnknownAndRevokedTokensAreUnauthorized() throws {
        let unknown = "boucle_00000000_" + String(repeating: "0", count: 64)
        for token in [nil, "not-a-token", unknown, String(nordField.dropLast()) + "x"] as [String?] {
            let response = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: token)
            try assertError(response, status: 401, code: "unauthorized")
        }

        let doomed = try token(team: "nord", role: "field")
        XCTAssertEqual(try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: doomed).status, 200)
        let laptop = try makeClient("laptop", team: "nord", token: doomed, server: server)
        try sync(laptop)
        let id = String(doomed.dropFirst("boucle_".count).prefix(8))
        XCTAssertEqual(try admin("token", "revoke", id), "revoked token \(id)")

        let message = try assertError(try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: doomed),
                                      status: 401, code: "unauthorized")
        XCTAssertEqual(message, "unknown or revoked token: ask the city for a new one")
        let before = try snapshot()
        _ = try laptop.addOffer()
        let result = try laptop.run("sync")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.err.hasPrefix("boucle: error: sync failed: the server refused the token: it is unknown there, or revoked."), result.err)
        XCTAssertEqual(result.err.components(separatedBy: "ask the city").count, 2, "the advice is given once: \(result.err)")
        XCTAssertEqual(try pending(laptop), 1)
        XCTAssertEqual(try snapshot(), before)
        XCTAssertEqual(try adminRun(["token", "revoke", id]).status, 1, "a token is revoked once")
    }

    /// `GET /v1/health` needs no token.
    func testHealthNeedsNoToken() throws {
        let response = try RawConnection.exchange(port: server.port, "GET", "/v1/health")
        let body = try jsonObject(response)
        XCTAssertEqual(body["status"] as? String, "ok")
        XCTAssertNotNil(UUIDString(try XCTUnwrap(body["server"] as? String)), "the server's id")
    }

    /// `GET /v1/metrics` needs an admin token and answers the Prometheus text format: the
    /// tenant's own figures (the refused requests, made by no tenant, are the operator's).
    func testMetricsNeedAnAdminTokenAndAreInPrometheusText() throws {
        try assertError(try RawConnection.exchange(port: server.port, "GET", "/v1/metrics"), status: 401, code: "unauthorized")
        try assertError(try RawConnection.exchange(port: server.port, "GET", "/v1/metrics", token: coordinatorToken),
                        status: 403, code: "forbidden")
        let adminToken = try token(team: "city", role: "admin")
        let response = try RawConnection.exchange(port: server.port, "GET", "/v1/metrics", token: adminToken)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["Content-Type"], "text/plain; version=0.0.4")
        let text = String(decoding: response.body, as: UTF8.self)
        for expected in ["# TYPE boucle_requests_total counter", #"boucle_requests_total{status="200"} "#,
                         "boucle_changes_applied_total 1", "# TYPE boucle_sync_duration_seconds histogram"] {
            XCTAssertTrue(text.contains(expected), "metrics lack \(expected):\n\(text)")
        }
        XCTAssertFalse(text.contains(#"status="401""#), text)
    }
}
