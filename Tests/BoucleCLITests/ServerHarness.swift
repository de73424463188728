import BoucleCore
import Foundation
import HTTPCodec
import Networking
import SQLite
import XCTest

/// A child process whose stdout and stderr are drained on background threads, so that it never
/// blocks on a full pipe, and whose exit can be awaited with a deadline.
///
/// Used for `boucle-server serve` (which runs until SIGTERM) and for `boucle sync` runs started
/// all at once.
final class ChildProcess: @unchecked Sendable {
    /// How a child ended: its exit status, or the signal that killed it.
    struct Exit: Equatable, CustomStringConvertible {
        let status: Int32
        let signaled: Bool
        var description: String { signaled ? "killed by signal \(status)" : "exit \(status)" }
    }

    let command: [String]
    private let process = Process()
    private let condition = NSCondition()
    private var out = Data()
    private var err = Data()
    private var openStreams = 2
    private let exited = DispatchSemaphore(value: 0)

    init(_ command: [String], environment: [String: String], in folder: URL?) throws {
        self.command = command
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        if let folder { process.currentDirectoryURL = folder }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outPipe
        process.standardError = errPipe
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        drain(outPipe.fileHandleForReading, isStdout: true)
        drain(errPipe.fileHandleForReading, isStdout: false)
    }

    private func drain(_ handle: FileHandle, isStdout: Bool) {
        let thread = Thread { [self] in
            // read(2) itself: FileHandle.read(upToCount:) waits for the whole count or the end.
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in
                    retryingEINTR { Glibc.read(handle.fileDescriptor, raw.baseAddress, raw.count) }
                }
                if count <= 0 { break }
                condition.withLock {
                    if isStdout { out.append(contentsOf: buffer[..<count]) } else { err.append(contentsOf: buffer[..<count]) }
                    condition.broadcast()
                }
            }
            try? handle.close()
            condition.withLock {
                openStreams -= 1
                condition.broadcast()
            }
        }
        thread.start()
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// What the child printed so far.
    var stdout: String { condition.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { condition.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until stdout holds a whole line containing `text`, and returns that line.
    func waitForLine(containing text: String, timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while true {
                let lines = String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                if let line = lines.first(where: { $0.contains(text) }) { return String(line) }
                if openStreams == 0 || !condition.wait(until: deadline) { return nil }
            }
        }
    }

    /// Sends `signal` to the child (a no-op once it has exited).
    func send(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) }
    }

    /// Waits until stderr holds at least `count` lines containing `text`; returns how many it holds.
    @discardableResult
    func waitForStderr(lines count: Int, containing text: String, timeout: Double = 5) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while true {
                let found = String(decoding: err, as: UTF8.self).split(separator: "\n").filter { $0.contains(text) }.count
                if found >= count || openStreams == 0 || !condition.wait(until: deadline) { return found }
            }
        }
    }

    /// Waits at most `timeout` seconds for the child to exit; nil if it is still running. Once it
    /// has exited, also waits (briefly) for both pipes to be drained to their end.
    func wait(timeout: Double) -> Exit? {
        guard exited.wait(timeout: .now() + timeout) == .success else { return nil }
        exited.signal()   // later calls return at once
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(5)
        condition.withLock {
            while openStreams > 0, condition.wait(until: deadline) {}
        }
        return Exit(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Kills a child that overstayed (SIGKILL) and reaps it.
    func kill() {
        send(SIGKILL)
        _ = wait(timeout: 10)
    }
}

/// One `boucle-server serve` process on `127.0.0.1` and a port the system chose.
final class ServerProcess {
    let child: ChildProcess
    let port: UInt16
    let database: String
    private(set) var exit: ChildProcess.Exit?

    /// `http://127.0.0.1:PORT`, for `boucle init --server` and `boucle sync --server`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `boucle-server serve --db database --listen 127.0.0.1:0 extra…` and reads the port
    /// from the line it prints once listening.
    init(database: String, extra: [String] = [], in folder: URL) throws {
        self.database = database
        let listen = extra.contains("--listen") ? [] : ["--listen", "127.0.0.1:0"]
        let command = [try ServerHarness.serverBinary().path, "serve", "--db", database] + listen + extra
        child = try ChildProcess(command, environment: ProcessInfo.processInfo.environment, in: folder)
        guard let line = child.waitForLine(containing: "listening on", timeout: 10) else {
            child.kill()
            throw HarnessError("boucle-server did not say it was listening: stdout \(child.stdout) stderr \(child.stderr)")
        }
        // "boucle-server 0.1.0 listening on 127.0.0.1:PORT (database …)"
        guard let range = line.range(of: "listening on 127.0.0.1:"),
              let port = UInt16(line[range.upperBound...].prefix { $0.isNumber }) else {
            child.kill()
            throw HarnessError("cannot read the port in: \(line)")
        }
        self.port = port
    }

    var isRunning: Bool { exit == nil }

    /// Sends SIGTERM and waits at most `timeout` seconds for the exit (SIGKILL after it).
    @discardableResult
    func stop(timeout: Double = 20) -> ChildProcess.Exit? {
        if let exit { return exit }
        child.send(SIGTERM)
        guard let ended = child.wait(timeout: timeout) else {
            child.kill()
            exit = ChildProcess.Exit(status: SIGKILL, signaled: true)
            return nil
        }
        exit = ended
        return ended
    }

    /// The request log lines (stderr) so far.
    var logLines: [String] { child.stderr.split(separator: "\n").map(String.init) }

    /// The number of log lines containing `text`, once there are at least `count` (the server
    /// writes a request's line just after sending its answer, so a client may be faster).
    func logCount(_ text: String, atLeast count: Int = 0) -> Int {
        child.waitForStderr(lines: count, containing: text)
    }
}

/// Locating binaries and fixtures, and building change-sets.
enum ServerHarness {
    /// `boucle-server`, next to the `boucle` binary that `CLI` found.
    static func serverBinary() throws -> URL {
        guard let client = CLI.binary else { throw HarnessError("the boucle executable was not found next to the test bundle") }
        let server = client.deletingLastPathComponent().appendingPathComponent("boucle-server")
        guard FileManager.default.isExecutableFile(atPath: server.path) else {
            throw HarnessError("boucle-server was not found next to \(client.path): run `swift build` first")
        }
        return server
    }

    /// The repository's `Fixtures/` folder, found from this file's path.
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    static func fixture(_ relative: String) -> URL { fixtures.appendingPathComponent(relative) }

    /// The wall clock in milliseconds, a second in the past (never ahead of the server's).
    static func recentMilliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) - 1000 }

    /// A change-set of `changes`, with a correct trailer.
    static func changeSet(tenant: String, origin: UUIDString, _ changes: [Change]) -> [UInt8] {
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: tenant, origin: origin))
        for change in changes { encoder.append(change) }
        encoder.finish()
        return encoder.takeBytes()
    }

    /// `count` new open offers of `team`, with ids, titles and categories drawn from `generator`,
    /// all written by one replica (`writer`, else one drawn) at consecutive stamps.
    static func offers(_ count: Int, team: String, writer: UUIDString? = nil, using generator: inout SeededGenerator) -> [Change] {
        let drawn = UUIDString.random(using: &generator)
        let replica = writer ?? drawn
        let milliseconds = recentMilliseconds()
        let categories = Categories.defaults.map(\.slug)
        return (0..<count).map { index in
            let category = categories[Int.random(in: 0..<categories.count, using: &generator)]
            return Change(
                collection: .offer, id: UUIDString.random(using: &generator), team: team,
                stamp: Stamp(hlc: HLC(milliseconds: milliseconds + UInt64(index >> 15), counter: UInt16(index & 0x7fff)), replica: replica),
                operation: .set([
                    "category": .text(category), "title": .text("Offre \(index) n°\(generator.next() % 100_000)"),
                    "status": .text("open"), "remote": .bool(Bool.random(using: &generator)),
                ])
            )
        }
    }

    /// A seed for a test's generator, printed so that a failure can be replayed.
    static func seed(_ test: String) -> UInt64 {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("\(test): seed \(seed)")
        return seed
    }
}

/// A raw HTTP connection to the server under test, for bytes no well-behaved client sends.
final class RawConnection {
    let socket: SocketDescriptor
    private var parser = HTTPResponseParser()
    private let timeout: Double

    init(port: UInt16, timeout: Double = 10) throws {
        socket = try SocketDescriptor.connect(to: SocketAddress(host: "127.0.0.1", port: port))
        try socket.setReceiveTimeout(seconds: timeout)
        self.timeout = timeout
    }

    deinit { socket.close() }

    func send(_ bytes: [UInt8]) throws { try socket.sendAll(bytes) }
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads the next response; nil when the server closed the connection without one. Throws
    /// when nothing arrives within the receive timeout.
    func response(forRequestMethod method: String = "GET") throws -> HTTPResponse? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let response = try parser.next(forRequestMethod: method) { return response }
            guard let count = try socket.receive(into: &buffer) else {
                throw HarnessError("the server sent no complete answer within \(timeout) s")
            }
            if count == 0 {
                parser.finish()
                return try parser.next(forRequestMethod: method)
            }
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// True when bytes (or the end) are there to read now.
    func hasData() -> Bool {
        var descriptor = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    /// True when the server has closed the connection (a read sees the end, not a timeout).
    func isClosedByServer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            guard let count = try? socket.receive(into: &buffer) else { return false }
            if count == 0 { return true }
        }
    }

    func close() { socket.close() }

    /// Sends one request on a fresh connection and reads its answer.
    static func exchange(port: UInt16, _ method: String, _ target: String, token: String? = nil,
                         body: [UInt8] = [], headers extra: [(String, String)] = []) throws -> HTTPResponse {
        var headers = HTTPHeaders([("Host", "127.0.0.1:\(port)")] + extra)
        if let token { headers.add("Authorization", "Bearer \(token)") }
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        try connection.send(HTTPRequest(method: method, target: target, headers: headers, body: body).serialized())
        guard let response = try connection.response(forRequestMethod: method) else {
            throw HarnessError("the server closed the connection without answering \(method) \(target)")
        }
        return response
    }
}

/// A test case with a server database in its temporary folder, server processes stopped (with
/// SIGTERM, which must end them with status 0) after the test, and helpers for tenants, tokens,
/// clients and raw requests.
class ServerTestCase: CLITestCase {
    private var servers: [ServerProcess] = []

    /// The server database of this test.
    var serverDB: String { path("server.db") }

    override func tearDownWithError() throws {
        for server in servers where server.isRunning {
            let exit = server.stop()
            XCTAssertEqual(exit, ChildProcess.Exit(status: 0, signaled: false),
                           "boucle-server must stop with status 0 on SIGTERM; stderr tail: \(server.child.stderr.suffix(800))")
        }
        servers = []
        try super.tearDownWithError()
    }

    // MARK: Administration

    /// Runs `boucle-server args… --db DB`, which must succeed; returns its stdout without the final newline.
    @discardableResult
    func admin(_ args: String..., db: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try adminRun(args, db: db)
        guard result.status == 0 else {
            let message = "`boucle-server \(args.joined(separator: " "))` exited \(result.status): \(result.err)"
            XCTFail(message, file: file, line: line)
            throw HarnessError(message)
        }
        return result.out.hasSuffix("\n") ? String(result.out.dropLast()) : result.out
    }

    func adminRun(_ args: [String], db: String? = nil) throws -> CLI.Output {
        try CLI.runProgram([try ServerHarness.serverBinary().path] + args + ["--db", db ?? serverDB],
                           environment: ProcessInfo.processInfo.environment, in: folder)
    }

    /// Creates a token and returns it.
    func token(tenant: String = "lyon", team: String, role: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try admin("token", "create", "--tenant", tenant, "--team", team, "--role", role, file: file, line: line)
    }

    /// Starts a server on this test's database (or `db`); it is stopped after the test.
    func startServer(_ extra: [String] = [], db: String? = nil) throws -> ServerProcess {
        let server = try ServerProcess(database: db ?? serverDB, extra: extra, in: folder)
        servers.append(server)
        return server
    }

    // MARK: Clients

    /// A replica made with `boucle init --team TEAM --server URL --token TOKEN` (no tenant: it
    /// learns it at its first sync).
    func makeClient(_ name: String, team: String, token: String, server: ServerProcess,
                    file: StaticString = #filePath, line: UInt = #line) throws -> Replica {
        let replicaFolder = folder.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: replicaFolder, withIntermediateDirectories: true)
        let replica = Replica(name: name, folder: replicaFolder)
        try replica.ok(["init", "--team", team, "--server", server.url, "--token", token], file: file, line: line)
        return replica
    }

    /// `boucle sync` on `replica`, which must succeed; returns what it printed.
    @discardableResult
    func sync(_ replica: Replica, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try replica.ok("sync", file: file, line: line)
    }

    /// Starts `boucle --replica R sync` without waiting for it.
    func startSync(_ replica: Replica, extra: [String] = []) throws -> ChildProcess {
        guard let binary = CLI.binary else { throw HarnessError("the boucle executable was not found") }
        var environment = ProcessInfo.processInfo.environment
        environment["BOUCLE_REPLICA"] = nil
        return try ChildProcess([binary.path, "sync"] + extra + ["--replica", replica.path], environment: environment, in: replica.folder)
    }

    /// Writes `bytes` to a file of this test's folder and returns its path.
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// The ids of the live records of `collection` on `replica`.
    func ids(_ collection: String, on replica: Replica, file: StaticString = #filePath, line: UInt = #line) throws -> Set<String> {
        let records = try JSON.objects(try replica.json("list", collection, file: file, line: line), file: file, line: line)
        return Set(records.compactMap { $0["id"] as? String })
    }

    /// `pending` from `status --json`.
    func pending(_ replica: Replica, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        try XCTUnwrap(try replica.status(file: file, line: line)["pending"] as? Int, file: file, line: line)
    }

    // MARK: The server database, read directly

    /// What the server holds, read with its own read-only connection: the number of record rows,
    /// their highest sequence, and the server's sequence counter.
    struct Snapshot: Equatable, CustomStringConvertible {
        let records: Int64
        let maxSeq: Int64
        let counter: Int64
        var description: String { "\(records) records, max(seq) \(maxSeq), server seq \(counter)" }
    }

    func snapshot(db: String? = nil) throws -> Snapshot {
        let database = try Database(path: db ?? serverDB, create: false, readOnly: true)
        defer { try? database.close() }
        let counts = try database.queryFirst("SELECT count(*), coalesce(max(seq), 0) FROM records WHERE seq > 0") { ($0.int64(0), $0.int64(1)) }
        let counter = try database.queryFirst("SELECT value FROM server_meta WHERE key = 'seq'") { Int64($0.text(0) ?? "") ?? -1 }
        return Snapshot(records: counts?.0 ?? -1, maxSeq: counts?.1 ?? -1, counter: counter ?? -1)
    }

    /// `PRAGMA integrity_check` of a database file, read-only.
    func integrityCheck(_ file: String) throws -> String {
        let database = try Database(path: file, create: false, readOnly: true)
        defer { try? database.close() }
        return try database.query("PRAGMA integrity_check") { $0.text(0) ?? "" }.joined(separator: "\n")
    }

    // MARK: Raw HTTP

    /// `GET /v1/health` on a fresh connection must answer 200 `{"status":"ok",…}`.
    func assertHealthy(_ server: ServerProcess, _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        do {
            let response = try RawConnection.exchange(port: server.port, "GET", "/v1/health")
            XCTAssertEqual(response.status, 200, "health \(context)", file: file, line: line)
            let body = try JSON.object(try JSON.parse(String(decoding: response.body, as: UTF8.self), file: file, line: line), file: file, line: line)
            XCTAssertEqual(body["status"] as? String, "ok", "health \(context)", file: file, line: line)
        } catch {
            XCTFail("another client was not served (\(context)): \(error)", file: file, line: line)
        }
    }

    /// Asserts an answer is the one JSON error shape `{"error":{"code":…,"message":…}}` with this
    /// status and code; returns the message.
    @discardableResult
    func assertError(_ response: HTTPResponse?, status: Int, code: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let response = try XCTUnwrap(response, "expected a \(status) answer, the connection was closed", file: file, line: line)
        let text = String(decoding: response.body, as: UTF8.self)
        XCTAssertEqual(response.status, status, text, file: file, line: line)
        XCTAssertEqual(response.headers["Content-Type"], "application/json", file: file, line: line)
        let body = try JSON.object(try JSON.parse(text, file: file, line: line), file: file, line: line)
        XCTAssertEqual(Set(body.keys), ["error"], text, file: file, line: line)
        let error = try JSON.object(try XCTUnwrap(body["error"], file: file, line: line), file: file, line: line)
        XCTAssertEqual(Set(error.keys), ["code", "message"], text, file: file, line: line)
        XCTAssertEqual(error["code"] as? String, code, text, file: file, line: line)
        let message = try XCTUnwrap(error["message"] as? String, file: file, line: line)
        XCTAssertFalse(message.isEmpty, file: file, line: line)
        return message
    }

    /// The parsed JSON object of a 200 answer.
    func jsonObject(_ response: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let text = String(decoding: response.body, as: UTF8.self)
        XCTAssertEqual(response.status, 200, text, file: file, line: line)
        return try JSON.object(try JSON.parse(text, file: file, line: line), file: file, line: line)
    }
}

extension Replica {
    /// The replica's id, from `status --json`.
    func replicaID(file: StaticString = #filePath, line: UInt = #line) throws -> UUIDString {
        try XCTUnwrap((try status(file: file, line: line)["replica_id"] as? String).flatMap { UUIDString($0) }, file: file, line: line)
    }
}
