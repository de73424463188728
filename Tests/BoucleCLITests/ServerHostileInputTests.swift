import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// Bad input of any kind gets a 4xx answer in the one JSON error shape (or the connection is
/// closed), persists nothing, and the server goes on serving everyone else, even while the bad
/// connection stays open.
final class ServerHostileInputTests: ServerTestCase {
    private var server: ServerProcess!
    private var adminToken = ""
    private var fieldToken = ""
    /// What the server held before the hostile input: it must hold exactly that after.
    private var before: Snapshot!

    override func setUpWithError() throws {
        try super.setUpWithError()
        try admin("tenant", "create", "lyon")
        adminToken = try token(team: "city", role: "admin")
        fieldToken = try token(team: "nord", role: "field")
        try start()
    }

    /// Starts the server (with `extra` options) and gives it a few records to protect.
    private func start(_ extra: [String] = []) throws {
        if let server {
            XCTAssertEqual(server.stop(), ChildProcess.Exit(status: 0, signaled: false))
        }
        server = try startServer(extra)
        var generator = SeededGenerator(seed: 7)
        let offers = ServerHarness.offers(3, team: "nord", using: &generator)
        if try snapshot().records == 0 {
            let answer = try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: fieldToken,
                                                    body: ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers))
            XCTAssertEqual(answer.status, 200)
        }
        before = try snapshot()
    }

    /// Sends `bytes` on a connection of its own; while it is still open, another client's health
    /// check must succeed; returns the answer to the bad request (nil if the server closed the
    /// connection without one), after checking that nothing was persisted.
    private func sendHostile(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> HTTPResponse? {
        let connection = try RawConnection(port: server.port)
        defer { connection.close() }
        try connection.send(bytes)
        assertHealthy(server, "while a bad request is open", file: file, line: line)
        let response = try connection.response(forRequestMethod: "POST")
        assertHealthy(server, "after a bad request", file: file, line: line)
        XCTAssertEqual(try snapshot(), before, "nothing persisted", file: file, line: line)
        return response
    }

    private func push(_ body: [UInt8], token: String? = nil, headers: [(String, String)] = []) -> [UInt8] {
        var all = HTTPHeaders([("Host", "127.0.0.1:\(server.port)"), ("Authorization", "Bearer \(token ?? adminToken)")] + headers)
        all.add("Content-Type", "application/x-ndjson")
        return HTTPRequest(method: "POST", target: "/v1/changes", headers: all, body: body).serialized()
    }

    /// Random bytes (seeded), then an empty line: a 400 or a closed connection, never a 2xx.
    func testRandomBytesAreRefused() throws {
        let seed = ServerHarness.seed(#function)
        var generator = SeededGenerator(seed: seed)
        var answers: [String] = []
        for round in 0..<5 {
            let bytes = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let response = try sendHostile(bytes + Array("\r\n\r\n".utf8))
            answers.append(response.map { String($0.status) } ?? "closed")
            if let response {
                XCTAssertTrue((400..<500).contains(response.status), "round \(round) (seed \(seed)): \(response.status)")
                try assertError(response, status: response.status, code: "bad_request")
            }
        }
        print("\(#function): answers \(answers)")
    }

    /// A request line and headers over 16 KiB: 431.
    func testOversizedHeadersAre431() throws {
        let head = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + String(repeating: "a", count: 17 * 1024) + "\r\n\r\n"
        try assertError(try sendHostile(Array(head.utf8)), status: 431, code: "head_too_large")
        let many = "GET /v1/health HTTP/1.1\r\n" + (0..<101).map { "X-H\($0): y\r\n" }.joined() + "\r\n"
        try assertError(try sendHostile(Array(many.utf8)), status: 431, code: "head_too_large")
    }

    /// A body over `--max-body` is refused with 413 before it is read; `boucle sync` then cuts
    /// its batches until they pass (`ByteLimitTests` has more).
    func testBodyOverTheLimitIs413() throws {
        try start(["--max-body", "1000"])
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let offers = ServerHarness.offers(20, team: "nord", using: &generator)
        let body = ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers)
        XCTAssertGreaterThan(body.count, 1000)
        // The head alone: the server must refuse on the declared length, without waiting for the body.
        let bytes = push(body)
        let head = Array(bytes.prefix(bytes.count - body.count))
        try assertError(try sendHostile(head), status: 413, code: "body_too_large")

        XCTAssertEqual(try snapshot(), before)
        let laptop = try makeClient("laptop", team: "nord", token: fieldToken, server: server)
        let own = ServerHarness.offers(20, team: "nord", writer: try laptop.replicaID(), using: &generator)
        try laptop.importFile(try write(ServerHarness.changeSet(tenant: "lyon", origin: own[0].stamp.replica, own), to: "big.changeset"))
        try sync(laptop)
        XCTAssertEqual(try pending(laptop), 0)
    }

    /// A request that declares 1,000 bytes of body and sends 10 holds its connection: others are
    /// served meanwhile, and once it is closed nothing was persisted.
    func testLyingContentLengthHoldsOnlyItsOwnConnection() throws {
        var head = "POST /v1/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(adminToken)\r\n"
        head += "Content-Length: 1000\r\n\r\n{\"format\":"
        let connection = try RawConnection(port: server.port, timeout: 0.3)
        try connection.send(head)
        for round in 0..<3 {
            assertHealthy(server, "round \(round) while a body is awaited")
            XCTAssertThrowsError(try connection.response(), "no answer yet: the server waits for the rest")
        }
        connection.close()
        assertHealthy(server, "after the lying client left")
        XCTAssertEqual(try snapshot(), before)
    }

    /// A valid push sent a byte at a time and never finished: others are served throughout,
    /// nothing is persisted.
    func testRequestSentByteByByteAndNeverFinishedHoldsOnlyItsOwnConnection() throws {
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let offers = ServerHarness.offers(2, team: "nord", using: &generator)
        let bytes = push(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers))
        let connection = try RawConnection(port: server.port, timeout: 0.2)
        defer { connection.close() }
        let sent = bytes.count - 40
        for index in 0..<sent {
            try connection.send([bytes[index]])
            if index % 100 == 0 { assertHealthy(server, "after \(index) bytes") }
            if index % 10 == 0 { usleep(1_000) }
        }
        XCTAssertThrowsError(try connection.response(), "no answer to an unfinished request")
        assertHealthy(server, "with an unfinished request open")
        XCTAssertEqual(try snapshot(), before)
        connection.close()
        assertHealthy(server, "after the slow client left")
        XCTAssertEqual(try snapshot(), before)
    }

    /// A body that is not JSON: 400 `invalid_changeset`.
    func testInvalidJSONBodyIsAnInvalidChangeSet() throws {
        let message = try assertError(try sendHostile(push(Array("{not json at all\n".utf8))), status: 400, code: "invalid_changeset")
        XCTAssertTrue(message.hasSuffix("; nothing was applied"), message)
    }

    /// Every file of Fixtures/malformed/ pushed with an admin token: 400 `invalid_changeset`, a
    /// message containing the expected words (expected.tsv), nothing persisted.
    func testEveryMalformedFixtureIsAnInvalidChangeSetAndPersistsNothing() throws {
        let table = try String(contentsOf: ServerHarness.fixture("malformed/expected.tsv"), encoding: .utf8)
        let rows = table.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
        XCTAssertGreaterThanOrEqual(rows.count, 18)
        for row in rows {
            let (name, expected) = (row[0], row[1])
            let body = try Data(contentsOf: ServerHarness.fixture("malformed/\(name)"))
            let message = try assertError(try sendHostile(push(Array(body))), status: 400, code: "invalid_changeset")
            XCTAssertTrue(message.lowercased().contains(expected), "\(name): \(message)")
        }
    }

    /// `Transfer-Encoding: chunked` is not supported: 411, Content-Length required.
    func testChunkedTransferEncodingIs411() throws {
        let request = "POST /v1/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(adminToken)\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        try assertError(try sendHostile(Array(request.utf8)), status: 411, code: "length_required")
    }

    /// An unknown path is 404 and a known path with another method 405; the connection stays
    /// usable (keep-alive) for the next request.
    func testUnknownPathIs404AndWrongMethodIs405() throws {
        let connection = try RawConnection(port: server.port)
        defer { connection.close() }
        try connection.send("GET /v2/everything HTTP/1.1\r\nHost: x\r\n\r\n")
        let notFound = try assertError(try connection.response(), status: 404, code: "not_found")
        XCTAssertEqual(notFound, "no such endpoint: see Protocol/SERVER.md (/v1/health, /v1/metrics, /v1/changes)")
        try connection.send("DELETE /v1/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(adminToken)\r\n\r\n")
        let wrongMethod = try XCTUnwrap(try connection.response())
        XCTAssertEqual(wrongMethod.headers["Allow"], "POST, GET, HEAD")
        let notAllowed = try assertError(wrongMethod, status: 405, code: "method_not_allowed")
        XCTAssertEqual(notAllowed, "DELETE is not allowed on /v1/changes (allowed: POST, GET, HEAD)")
        try connection.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try connection.response()?.status, 200, "the same connection serves the next request")
        XCTAssertEqual(try snapshot(), before)
    }

    /// A HEAD is answered with its GET's head and no body, so the next response on the same
    /// kept-alive connection is read whole (a body there desynchronized the connection).
    func testHeadIsAnsweredWithoutABodyAndTheConnectionGoesOn() throws {
        let connection = try RawConnection(port: server.port)
        defer { connection.close() }
        try connection.send("HEAD /v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try XCTUnwrap(try connection.response(forRequestMethod: "HEAD"))
        XCTAssertEqual(head.status, 200)
        XCTAssertNotEqual(head.headers["Content-Length"], "0", "a HEAD announces the GET's length")
        let get = try XCTUnwrap(try connection.response())
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(try JSONParser.parse(get.body)["status"]?.stringValue, "ok", "the GET after the HEAD is read whole")
        XCTAssertEqual(get.headers["Content-Length"], head.headers["Content-Length"])
    }

    /// Over `--max-connections`, a new connection is answered 503 `busy` and closed; once a
    /// connection frees up, others are served again.
    func testConnectionsOverTheLimitAre503Busy() throws {
        try start(["--max-connections", "2"])
        let first = try RawConnection(port: server.port)
        let second = try RawConnection(port: server.port)
        try first.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try first.response()?.status, 200)
        try second.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try second.response()?.status, 200)

        let third = try RawConnection(port: server.port)
        defer { third.close() }
        let message = try assertError(try third.response(), status: 503, code: "busy")
        XCTAssertEqual(message, "the server is at its connection limit or stopping: retry in a moment")
        first.close()
        second.close()
        usleep(50_000)
        assertHealthy(server, "once connections are free")
        XCTAssertEqual(try snapshot(), before)
    }

    /// A bad query parameter on a pull: 400 `bad_request`.
    func testBadPullParametersAre400() throws {
        for target in ["/v1/changes?since=-1", "/v1/changes?since=abc", "/v1/changes?since=5&after=2", "/v1/changes?limit=0"] {
            let request = "GET \(target) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(adminToken)\r\n\r\n"
            try assertError(try sendHostile(Array(request.utf8)), status: 400, code: "bad_request")
        }
    }
}
