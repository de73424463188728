import BoucleCore
import Foundation
import HTTPCodec
import SQLite
import XCTest

/// The server holds against hostile clients, each attack reproduced within bounded time:
/// deadlines that cover a whole request (empty lines first included) and a whole response,
/// bodies never read before routing and authentication, log lines nobody can forge, 500 answers
/// without internals, Host and absolute-form targets per RFC 9112.
final class ServerAttackTests: ServerTestCase {
    private var fieldToken = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        fieldToken = try token(team: "nord", role: "field")
    }

    /// Slowloris with empty lines: a connection sending `\r\n` every half second is answered 408
    /// and closed once the request deadline (`--timeout 2s`) passes since its first byte.
    func testEmptyLinesDoNotHoldAConnectionPastTheRequestDeadline() throws {
        let server = try startServer(["--timeout", "2s", "--max-connections", "2"])
        let slow = try RawConnection(port: server.port, timeout: 10)
        defer { slow.close() }
        var answer: HTTPResponse?
        for _ in 0..<16 {
            try? slow.send("\r\n")
            usleep(500_000)
            if slow.hasData() { answer = try slow.response(); break }
        }
        let refused = try XCTUnwrap(answer, "the empty lines held the connection past 8 s")
        try assertError(refused, status: 408, code: "timeout")
    }

    /// A body is never read before its request is routed and authenticated: the head of a 16 MiB
    /// push without a token is answered 401 at once, without waiting for the body.
    func testABodyIsNotReadBeforeAuthentication() throws {
        let server = try startServer()
        let connection = try RawConnection(port: server.port, timeout: 5)
        defer { connection.close() }
        try connection.send("POST /v1/changes HTTP/1.1\r\nHost: x\r\nContent-Length: \(16 << 20)\r\n\r\n")
        try assertError(try connection.response(forRequestMethod: "POST"), status: 401, code: "unauthorized")
        XCTAssertTrue(connection.isClosedByServer(), "the unread body leaves the connection unusable: closed")
        let unknown = try RawConnection(port: server.port, timeout: 5)
        defer { unknown.close() }
        try unknown.send("POST /v1/everything HTTP/1.1\r\nHost: x\r\nContent-Length: \(16 << 20)\r\n\r\n")
        try assertError(try unknown.response(forRequestMethod: "POST"), status: 404, code: "not_found")
    }

    /// A client that asks for pages and never reads them: the server gives up sending after the
    /// response deadline, closes the connection, and SIGTERM stops it promptly.
    func testAClientThatStopsReadingIsCutOffAndSIGTERMStopsTheServer() throws {
        let server = try startServer(["--timeout", "2s"])
        // 1,000 offers with 12 KB of text each: pulled pages of 4 MiB, more than a socket holds.
        var generator = SeededGenerator(seed: 11)
        let long = String(repeating: "x", count: 4_000)
        let offers = ServerHarness.offers(1_000, team: "nord", using: &generator).map { offer in
            Change(collection: .offer, id: offer.id, team: "nord", stamp: offer.stamp,
                   operation: .set(["title": .text("Offre"), "details": .text(long), "address": .text(long), "phone": .text(long)]))
        }
        let answer = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: fieldToken,
                                                body: ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers))
        XCTAssertEqual(answer.status, 200)
        let request = "GET /v1/changes?since=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fieldToken)\r\n\r\n"
        let greedy = try RawConnection(port: server.port, timeout: 5)
        defer { greedy.close() }
        try greedy.send(String(repeating: request, count: 40))   // 160 MB of pages, never read
        Thread.sleep(forTimeInterval: 6)
        XCTAssertTrue(greedy.isClosedByServer(), "the server gave up sending after 2 s and closed the connection")
        assertHealthy(server, "after the greedy client")

        let another = try RawConnection(port: server.port, timeout: 5)
        defer { another.close() }
        try another.send(String(repeating: request, count: 40))
        server.child.send(SIGTERM)
        XCTAssertEqual(server.child.wait(timeout: 15), ChildProcess.Exit(status: 0, signaled: false), "SIGTERM stops it within its grace")
    }

    /// Log injection: the logged path is the target as sent (not decoded), any other byte
    /// escaped, so `%0a` cannot forge a line and `%1b` cannot drive a terminal.
    func testALoggedPathCannotForgeALineOrDriveATerminal() throws {
        let server = try startServer()
        for target in ["/x%0a2026-12-01T00:00:00Z%20GET%20/v1/health%20200", "/y%1b%5b2J"] {
            _ = try RawConnection.exchange(port: server.port, "GET", target)
        }
        XCTAssertEqual(server.logCount(" GET /x%0a2026-12-01T00:00:00Z%20GET%20/v1/health%20200 404 ", atLeast: 1), 1)
        XCTAssertEqual(server.logCount(" GET /y%1b%5b2J 404 ", atLeast: 1), 1)
        XCTAssertFalse(server.child.stderr.contains("\u{1b}"), "no escape byte reaches the log")
        XCTAssertFalse(server.child.stderr.contains("\n2026-12-01T00:00:00Z GET"), "no forged line")
    }

    /// A 500 names a request id and nothing of the server's internals; the log line has the rest.
    func testA500AnswerNamesARequestIDAndNoInternals() throws {
        let server = try startServer()
        let database = try Database(path: serverDB, create: false)
        try database.execute("DROP TABLE tokens")
        try database.close()
        var generator = SeededGenerator(seed: 12)
        let offers = ServerHarness.offers(1, team: "nord", using: &generator)
        let answer = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: fieldToken,
                                                body: ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers))
        let message = try assertError(answer, status: 500, code: "internal")
        XCTAssertNotNil(message.range(of: #"^the server failed to answer \(request [0-9a-f]{8}\): its log says why$"#, options: .regularExpression), message)
        let id = String(message.dropFirst("the server failed to answer (request ".count).prefix(8))
        XCTAssertEqual(server.logCount("request \(id) failed: ", atLeast: 1), 1, "the log has what failed")
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, is a 400; an absolute-form
    /// target is served as its path.
    func testHostRulesAndAbsoluteFormTargets() throws {
        let server = try startServer()
        for head in ["GET /v1/health HTTP/1.1\r\n\r\n", "GET /v1/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"] {
            let connection = try RawConnection(port: server.port)
            defer { connection.close() }
            try connection.send(head)
            try assertError(try connection.response(), status: 400, code: "bad_request")
        }
        let connection = try RawConnection(port: server.port)
        defer { connection.close() }
        try connection.send("GET http://boucle.example/v1/health HTTP/1.1\r\nHost: boucle.example\r\n\r\n")
        XCTAssertEqual(try connection.response()?.status, 200)
    }
}
