import BoucleCore
import Foundation
import XCTest

/// Push batches and pull pages are bounded in bytes as well as in records: records at the
/// field limits (three 4,000-byte texts each) sync whole, and a server or proxy that refuses a
/// body as too large (413) makes the client cut its batches, not give up.
final class ByteLimitTests: ServerTestCase {
    /// `count` requests of team nord, written by `writer`, each with three texts of 4,000 bytes.
    private func largeRequests(_ count: Int, writer: UUIDString) -> [UInt8] {
        var generator = SeededGenerator(seed: 4_096)
        let text = { (letter: Character) in String(repeating: letter, count: 4_000) }
        let changes = (0..<count).map { index in
            Change(collection: .request, id: UUIDString.random(using: &generator), team: "nord",
                   stamp: Stamp(hlc: HLC(milliseconds: ServerHarness.recentMilliseconds(), counter: UInt16(index)), replica: writer),
                   operation: .set(["category": .text("other"), "title": .text("Demande \(index)"),
                                    "details": .text(text("d")), "address": .text(text("a")), "on_behalf_of": .text(text("o"))]))
        }
        return ServerHarness.changeSet(tenant: "lyon", origin: writer, changes)
    }

    /// A server (started with `server`), a field token of nord, and a laptop of nord that imported
    /// `count` large requests of its own, not yet synced.
    private func laptop(holding count: Int, server extra: [String] = []) throws -> (ServerProcess, String, Replica) {
        try admin("tenant", "create", "lyon")
        let server = try startServer(extra)
        let field = try token(team: "nord", role: "field")
        let laptop = try makeClient("laptop", team: "nord", token: field, server: server)
        try laptop.importFile(try write(largeRequests(count, writer: try laptop.replicaID()), to: "large.changeset"))
        return (server, field, laptop)
    }

    /// 360 such requests (4.4 MB, far fewer than the 2,000 records of a batch) are pushed in
    /// batches of at most 4 MiB, and a fresh replica pulls them in pages of at most 4 MiB. (With
    /// 2,100 of them, one batch of records would pass the 16 MiB body limit: the bytes decide.)
    func testRecordsAtTheFieldLimitsPushAndPullInBoundedBatchesAndPages() throws {
        let (server, field, laptop) = try laptop(holding: 360)
        try sync(laptop)
        XCTAssertEqual(try pending(laptop), 0)
        XCTAssertEqual(server.logCount("POST /v1/changes 200", atLeast: 2), 2, "two batches of at most 4 MiB")

        let page = try RawConnection.exchange(port: server.port, "GET", "/v1/changes?since=0", token: field)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["Boucle-More"], "true")
        XCTAssertLessThan(page.body.count, (4 << 20) + 20_000, "a page stops at 4 MiB (and one record)")

        let clone = try makeClient("clone", team: "nord", token: field, server: server)
        try sync(clone)
        XCTAssertEqual(try clone.digest(), try laptop.digest())
    }

    /// Behind a server that takes bodies of 256 KiB at most, the client halves its batches after
    /// each 413 until they pass; nothing is lost, nothing stays pending.
    func testA413MakesTheClientCutItsBatches() throws {
        let (server, field, laptop) = try laptop(holding: 120, server: ["--max-body", String(256 << 10)])
        try sync(laptop)
        XCTAssertEqual(try pending(laptop), 0)
        XCTAssertGreaterThanOrEqual(server.logCount(" 413 ", atLeast: 1), 1, "the server refused a batch as too large")
        let clone = try makeClient("clone", team: "nord", token: field, server: server)
        try sync(clone)
        XCTAssertEqual(try clone.digest(), try laptop.digest())
    }

    /// A server whose body limit is smaller than one record: the sync fails saying so and what to
    /// do, and keeps the record pending.
    func testARecordLargerThanTheServersLimitSaysSo() throws {
        let (_, _, laptop) = try laptop(holding: 1, server: ["--max-body", "5000"])
        let result = try laptop.run("sync")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.err.hasPrefix("boucle: error: sync failed: one record makes a push of "), result.err)
        XCTAssertTrue(result.err.hasSuffix("Nothing is lost (1 changed record still pending here): ask the city to raise the server's body limit (boucle-server serve --max-body, and nginx's client_max_body_size)\n"), result.err)
        XCTAssertEqual(try pending(laptop), 1)
    }
}
