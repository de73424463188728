import BoucleCore
import Foundation
import XCTest

/// Restoring the nightly backup never splits the tenant (Protocol/SERVER.md, "Restores"): the
/// restored database has a new generation, every client notices it at its next sync, pulls
/// everything, and sends back what the server lost.
final class ServerRestoreTests: ServerTestCase {
    /// The issue's story: backup; A pushes r2 and r3; the server is restored from the backup; C
    /// writes c1. A receives c1, the server gets r2 and r3 back from A, and A, C and a fresh
    /// replica end with one digest.
    func testARestoredServerIsNoticedAndTheClientsSendBackWhatItLost() throws {
        try admin("tenant", "create", "lyon")
        let nordToken = try token(team: "nord", role: "coordinator")
        let sudToken = try token(team: "sud", role: "coordinator")
        var server = try startServer()
        let a = try makeClient("a", team: "nord", token: nordToken, server: server)
        let c = try makeClient("c", team: "sud", token: sudToken, server: server)
        let r1 = try a.addOffer(title: "r1")
        try sync(a)
        try sync(c)

        XCTAssertEqual(try admin("backup", path("nightly.db")), "backed up \(serverDB) to \(path("nightly.db"))")
        let r2 = try a.addOffer(title: "r2")
        let r3 = try a.addOffer(title: "r3")
        try sync(a)

        XCTAssertEqual(server.stop(), ChildProcess.Exit(status: 0, signaled: false))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: serverDB + suffix) }
        try FileManager.default.copyItem(atPath: path("nightly.db"), toPath: serverDB)
        server = try startServer(["--listen", "127.0.0.1:\(server.port)"])

        let c1 = try c.addOffer(category: "pets", title: "c1")
        let fromC = try c.ok("sync")
        XCTAssertTrue(fromC.contains("the server had gone back in time (restored from a backup)"), fromC)
        let fromA = try a.ok("sync")
        XCTAssertTrue(fromA.contains("the server had gone back in time (restored from a backup)"), fromA)
        try sync(c)

        let fresh = try makeClient("fresh", team: "nord", token: nordToken, server: server)
        try sync(fresh)
        XCTAssertEqual(try ids("offer", on: fresh), [r1, r2, r3, c1])
        XCTAssertEqual(try a.digest(), try fresh.digest())
        XCTAssertEqual(try c.digest(), try fresh.digest())
        XCTAssertEqual(try a.ok("sync"), "synced with \(server.url): sent 0 changes, received 0 new, no conflicts", "and then all is quiet")
    }

    /// A cursor beyond the server's own sequence (the server lost what the client saw) is
    /// refused, saying what happened and what the client does about it.
    func testACursorBeyondTheServersSequenceIsRefused() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let token = try token(team: "nord", role: "field")
        for target in ["/v1/changes?since=9999", "/v1/changes?since=0&after=9999"] {
            let answer = try RawConnection.exchange(port: server.port, "GET", target, token: token)
            let message = try assertError(answer, status: 410, code: "server_restored")
            XCTAssertEqual(message, "this replica's cursor 9999 is beyond this server's sequence 0: the server was restored from a backup (or is another server); this replica must send everything it holds again and pull everything (boucle sync does so by itself)")
        }
    }
}
