import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// A push is one transaction: a push whose last change is refused leaves no trace of the valid
/// changes before it; a change the token may not make is deferred, in the same transaction as
/// the rest is applied.
final class ServerAtomicPushTests: ServerTestCase {
    private var server: ServerProcess!
    private var fieldToken = ""
    private var generator = SeededGenerator(seed: 0)
    private var valid: [Change] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        fieldToken = try token(team: "nord", role: "field")
        server = try startServer()
        generator = SeededGenerator(seed: ServerHarness.seed(name))
        valid = ServerHarness.offers(5, team: "nord", using: &generator)
    }

    /// Pushes the 5 valid offers followed by `last` with `token`; asserts the refusal and that the
    /// server holds none of the 5 (read from its database and from a coordinator's full pull).
    private func assertRefusedWhole(last: Change, token pushToken: String, status: Int, code: String,
                                    file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let before = try snapshot()
        let body = ServerHarness.changeSet(tenant: "lyon", origin: valid[0].stamp.replica, valid + [last])
        let response = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: pushToken, body: body)
        let message = try assertError(response, status: status, code: code, file: file, line: line)
        XCTAssertEqual(try snapshot(), before, "nothing persisted", file: file, line: line)
        let coordinator = try makeClient("coordinator-\(code)", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        try sync(coordinator, file: file, line: line)
        XCTAssertTrue(try ids("offer", on: coordinator).isDisjoint(with: valid.map(\.id.rawValue)),
                      "none of the 5 valid offers reached the server", file: file, line: line)
        return message
    }

    private func nextStamp() -> Stamp {
        Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds(), counter: 100), replica: valid[0].stamp.replica)
    }

    /// The last change sets an unknown field: 400 `invalid_changeset`.
    func testPushEndingWithAnUnknownFieldLeavesNoTraceOfItsFirstChanges() throws {
        let last = Change(collection: .offer, id: UUIDString.random(using: &generator), team: "nord", stamp: nextStamp(),
                          operation: .set(["colour": .text("rouge")]))
        let message = try assertRefusedWhole(last: last, token: fieldToken, status: 400, code: "invalid_changeset")
        XCTAssertTrue(message.contains("unknown field"), message)
    }

    /// Pushes the 5 valid offers followed by `last`; asserts the 5 are applied and `last` is
    /// deferred, listed with `reason` and what it waits for; returns that.
    private func assertDeferred(last: Change, reason: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let body = ServerHarness.changeSet(tenant: "lyon", origin: valid[0].stamp.replica, valid + [last])
        let answer = try jsonObject(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: fieldToken, body: body),
                                    file: file, line: line)
        XCTAssertEqual(answer["changes"] as? Int, 6, file: file, line: line)
        XCTAssertEqual(answer["applied"] as? Int, 5, "the token's own changes are applied", file: file, line: line)
        let deferred = try XCTUnwrap(answer["deferred"] as? [[String: Any]], file: file, line: line)
        XCTAssertEqual(deferred.count, 1, file: file, line: line)
        XCTAssertEqual(deferred.first?["id"] as? String, last.id.rawValue, file: file, line: line)
        XCTAssertEqual(deferred.first?["hlc"] as? String, last.stamp.hlc.hex, file: file, line: line)
        XCTAssertEqual(deferred.first?["reason"] as? String, reason, file: file, line: line)
        let coordinator = try makeClient("coordinator-\(reason)", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        try sync(coordinator, file: file, line: line)
        XCTAssertEqual(try ids("offer", on: coordinator), Set(valid.map(\.id.rawValue)), "the 5 offers, and only them", file: file, line: line)
        return try XCTUnwrap(deferred.first?["waits_for"] as? String, file: file, line: line)
    }

    /// The last change is a delete, which a field token may not make: deferred, not refused.
    func testAFieldTokensDeleteIsDeferredAndTheRestApplied() throws {
        let last = Change(collection: .offer, id: valid[0].id, team: "nord", stamp: nextStamp(), operation: .delete)
        XCTAssertEqual(try assertDeferred(last: last, reason: "role"), "a coordinator token of team nord")
    }

    /// The last change names one of the first offers as a request: 409 `conflict`.
    func testPushEndingWithACollectionMismatchLeavesNoTraceOfItsFirstChanges() throws {
        let last = Change(collection: .request, id: valid[2].id, team: "nord", stamp: nextStamp(),
                          operation: .set(["title": .text("Besoin de courses")]))
        let message = try assertRefusedWhole(last: last, token: fieldToken, status: 409, code: "conflict")
        XCTAssertTrue(message.hasSuffix("; nothing was applied"), message)
    }

    /// The last change writes another team's record: deferred, not refused.
    func testAnotherTeamsChangeIsDeferredAndTheRestApplied() throws {
        let last = Change(collection: .offer, id: UUIDString.random(using: &generator), team: "sud", stamp: nextStamp(),
                          operation: .set(["title": .text("Offre de sud")]))
        XCTAssertEqual(try assertDeferred(last: last, reason: "team"), "a token of team sud")
    }
}
