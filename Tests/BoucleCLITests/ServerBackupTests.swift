import BoucleCore
import Foundation
import SQLite
import XCTest

/// `boucle-server backup` while the server serves: a consistent copy that SQLite opens.
final class ServerBackupTests: ServerTestCase {
    /// A backup taken while the server serves (a client connected, pushes going on) opens with
    /// SQLite, passes `integrity_check`, and holds whole pushes only; a backup taken once the
    /// pushes are done holds exactly the server's records.
    func testBackupWhileServingIsConsistent() throws {
        try admin("tenant", "create", "lyon")
        let adminToken = try token(team: "city", role: "admin")
        let field = try token(team: "nord", role: "field")
        let server = try startServer()
        let city = try makeClient("city", team: "city", token: adminToken, server: server)
        try city.importFile(ServerHarness.fixture("sample/lyon.changeset").path)
        try sync(city)
        let base = try snapshot().records
        XCTAssertEqual(base, 436)

        // Pushes of 50 offers each, on another thread, while the backup runs.
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let batches = (0..<12).map { _ in ServerHarness.offers(50, team: "nord", using: &generator) }
        let bodies = batches.map { ServerHarness.changeSet(tenant: "lyon", origin: $0[0].stamp.replica, $0) }
        let port = server.port
        let pushed = DispatchSemaphore(value: 0)
        let statuses = LockedList()
        Thread {
            for body in bodies {
                let status = (try? RawConnection.exchange(port: port, "POST", "/v1/changes", token: field, body: body))?.status ?? -1
                statuses.append(status)
            }
            pushed.signal()
        }.start()

        let idle = try RawConnection(port: server.port)   // an open keep-alive connection, idle
        defer { idle.close() }
        let during = path("during.db")
        XCTAssertEqual(try admin("backup", during), "backed up \(serverDB) to \(during)")
        XCTAssertEqual(pushed.wait(timeout: .now() + 60), .success, "the pushes finished")
        XCTAssertEqual(statuses.items, Array(repeating: 200, count: bodies.count))

        XCTAssertEqual(try integrityCheck(during), "ok")
        let copied = try snapshot(db: during)
        XCTAssertEqual((copied.records - base) % 50, 0, "a backup holds whole pushes: \(copied)")
        XCTAssertTrue((base...base + 600).contains(copied.records), "\(copied)")
        XCTAssertEqual(copied.counter, copied.maxSeq, "the copy's sequence counter matches its records")

        let after = path("after.db")
        try admin("backup", after)
        XCTAssertEqual(try integrityCheck(after), "ok")
        XCTAssertEqual(try snapshot(db: after), try snapshot())
        XCTAssertEqual(try snapshot(db: after).records, base + 600)

        // The backup is a working server database: a server started on it serves the same state.
        let restored = try startServer(db: after)
        let clone = try makeClient("clone", team: "nord", token: field, server: restored)
        try sync(clone)
        XCTAssertEqual(try ids("offer", on: clone).count, try ids("offer", on: city).count + 600)
        XCTAssertEqual(try adminRun(["backup", after]).status, 1, "a backup never overwrites a file")
    }
}

/// A list appended to from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func append(_ item: Int) { lock.withLock { list.append(item) } }
    var items: [Int] { lock.withLock { list } }
}
