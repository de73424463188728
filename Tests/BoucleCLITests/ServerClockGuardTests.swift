import Foundation
import XCTest

/// The clock guard end to end (Protocol/SERVER.md, "The clock guard"): a laptop whose clock is
/// wrong, through `faketime`, against the real `boucle-server`.
final class ServerClockGuardTests: ServerTestCase {
    /// A laptop 2 h ahead adds an offer and syncs: the server refuses the change (422) saying by
    /// how much, the client warns about its clock and says to restamp, the change stays pending
    /// and the server holds nothing. With the clock fixed, `sync --restamp` pushes it.
    func testAChangeStampedTooFarAheadIsRefusedSayingByHowMuchStaysPendingAndGoesThroughAfterRestamp() throws {
        let ahead = try FakeTime.launcher("+2h")
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let laptop = try makeClient("laptop", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let offer = try laptop.ok(["offer", "add", "--category", "groceries", "--title", "Courses le samedi"], launcher: ahead)
        XCTAssertEqual(try pending(laptop), 1)

        let refused = try laptop.run(["sync"], launcher: ahead)
        XCTAssertEqual(refused.status, 1, refused.out + refused.err)
        let lines = refused.err.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, refused.err)
        XCTAssertNotNil(lines.first?.range(
            of: #"^warning: this laptop's clock is (1 h 59 min|2 h) ahead of the server's: fix it \(check the time zone too\), or the server will refuse changes stamped in its future$"#,
            options: .regularExpression), refused.err)
        XCTAssertNotNil(lines.last?.range(
            of: #"^boucle: error: sync failed: the server refused 1 change stamped up to (1 h 59 min|2 h) ahead of its clock \(the limit is 5 min\); nothing was applied\. Nothing is lost \(1 changed record still pending here\): fix this laptop's clock, then run `boucle sync --restamp`$"#,
            options: .regularExpression), refused.err)
        XCTAssertEqual(try pending(laptop), 1, "the refused change stays pending")
        XCTAssertEqual(try snapshot().records, 0, "the server holds nothing")
        XCTAssertEqual(server.logCount("POST /v1/changes 422", atLeast: 1), 1)

        // The clock is fixed (no faketime): restamp and push.
        let restamped = try laptop.run("sync", "--restamp")
        XCTAssertEqual(restamped.status, 0, restamped.err)
        XCTAssertNotNil(restamped.err.range(of: #"^re-stamped 1 pending record with this laptop's clock\n$"#, options: .regularExpression),
                        restamped.err)
        XCTAssertNotNil(restamped.out.range(of: #"sent \d+ changes?, received 0 new, no conflicts"#, options: .regularExpression), restamped.out)
        XCTAssertEqual(try pending(laptop), 0)
        let verified = try laptop.run("status", "--verify")
        XCTAssertEqual(verified.status, 0, "the digest and pending count kept through a restamp: \(verified.err)")
        let clone = try makeClient("clone", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        try sync(clone)
        XCTAssertEqual(try ids("offer", on: clone), [offer])
        XCTAssertEqual(try JSON.object(try clone.json("show", offer))["title"] as? String, "Courses le samedi", "restamp keeps the values")
        XCTAssertEqual(try clone.digest(), try laptop.digest())
    }

    /// `serve --max-clock-ahead 3h` accepts a laptop 2 h ahead (which is still warned).
    func testAServerWithALargerMaxClockAheadAcceptsTheLaptop() throws {
        let ahead = try FakeTime.launcher("+2h")
        try admin("tenant", "create", "lyon")
        let server = try startServer(["--max-clock-ahead", "3h"])
        let laptop = try makeClient("laptop", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let offer = try laptop.ok(["offer", "add", "--category", "groceries", "--title", "Courses le samedi"], launcher: ahead)
        let synced = try laptop.run(["sync"], launcher: ahead)
        XCTAssertEqual(synced.status, 0, synced.err)
        XCTAssertTrue(synced.err.contains("ahead of the server's"), synced.err)
        XCTAssertTrue(synced.out.contains("sent 1 change,"), synced.out)
        XCTAssertEqual(try pending(laptop), 0)
        let verified = try laptop.run("status", "--verify")
        XCTAssertEqual(verified.status, 0, "the digest and pending count kept through a restamp: \(verified.err)")
        let clone = try makeClient("clone", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        try sync(clone)
        XCTAssertEqual(try ids("offer", on: clone), [offer])
    }

    /// The client warns when its clock and the server's `Date` differ by more than 5 minutes,
    /// behind as well as ahead (a clock behind is not refused), and not within 5 minutes.
    func testTheClientWarnsWhenItsClockDiffersFromTheServersByMoreThanFiveMinutes() throws {
        let farBehind = try FakeTime.launcher("-10m")
        let slightlyBehind = try FakeTime.launcher("-1m")
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let laptop = try makeClient("laptop", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        try laptop.ok(["offer", "add", "--category", "groceries", "--title", "Courses le samedi"], launcher: farBehind)
        let warned = try laptop.run(["sync"], launcher: farBehind)
        XCTAssertEqual(warned.status, 0, warned.err)
        XCTAssertNotNil(warned.err.range(
            of: #"^warning: this laptop's clock is (9 min|10 min) behind the server's: fix it \(check the time zone too\), or the server will refuse changes stamped in its future\n$"#,
            options: .regularExpression), warned.err)
        XCTAssertEqual(try pending(laptop), 0, "a clock behind is not refused")
        try laptop.ok(["sync"], launcher: slightlyBehind)   // `ok`: nothing on stderr
    }
}
