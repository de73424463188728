import BoucleCore
import Foundation
import HTTPCodec
import SQLite
import XCTest

/// Erasure on the server never holds a push up, and finishes as soon as the server can: while a
/// reader (a backup, a long pull) holds the write-ahead log, the log and the operator's metrics
/// say the erased values are still there; once it lets go, they are gone from the database file
/// and its log. Also: who reads `/v1/metrics`, and databases `serve` must not take over.
final class ServerErasureTests: ServerTestCase {
    private let phone = "06 11 22 33 44"
    private let address = "9 impasse des Tilleuls, 69004 Lyon"

    /// The operator's token file, readable by its owner alone.
    private func operatorTokenFile() throws -> (path: String, token: String) {
        let token = String(repeating: "7f3a", count: 16)
        let file = try write(Array(token.utf8), to: "operator-token")
        XCTAssertEqual(chmod(file, 0o600), 0)
        return (file, token)
    }

    /// The figures `token` may read.
    private func metrics(_ server: ServerProcess, token: String) throws -> String {
        let response = try RawConnection.exchange(port: server.port, "GET", "/v1/metrics", token: token)
        XCTAssertEqual(response.status, 200)
        return String(decoding: response.body, as: UTF8.self)
    }

    /// Polls the operator's metrics until they contain `line` (at most `timeout` seconds).
    private func waitForMetric(_ line: String, _ server: ServerProcess, token: String, timeout: Double = 10) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try metrics(server, token: token).contains(line) { return true }
            usleep(200_000)
        }
        return false
    }

    /// Whether the server's database file or its write-ahead log holds `text`.
    private func serverFilesHold(_ text: String) throws -> Bool {
        try ["", "-wal"].contains { suffix in
            (FileManager.default.contents(atPath: serverDB + suffix) ?? Data()).range(of: Data(text.utf8)) != nil
        }
    }

    /// A coordinator deletes a request naming a phone and an address while a reader holds the
    /// log: the delete and another team's push pass at once; the operator sees the erasure
    /// pending, then finished once the reader lets go, and the values are gone from both files.
    func testErasureNeverStallsWritersAndFinishesOnceTheReaderLetsGo() throws {
        try admin("tenant", "create", "lyon")
        let (tokenFile, operatorToken) = try operatorTokenFile()
        let server = try startServer(["--operator-token-file", tokenFile])
        let nord = try makeClient("nord", team: "nord", token: try token(team: "nord", role: "coordinator"), server: server)
        let sud = try makeClient("sud", team: "sud", token: try token(team: "sud", role: "field"), server: server)
        let request = try nord.ok("request", "add", "--category", "it-paperwork", "--title", "Dossier APL", "--phone", phone, "--address", address)
        try sync(nord)
        try sync(sud)
        XCTAssertTrue(try serverFilesHold(phone), "the phone reached the server's files")

        // A reader holds a snapshot, as a backup does.
        let reader = try Database(path: serverDB, create: false, readOnly: true)
        try reader.execute("BEGIN")
        _ = try reader.queryFirst("SELECT count(*) FROM records") { $0.int64(0) }
        try nord.ok("delete", request)
        let started = Date()
        try sync(nord)
        try sud.addOffer(title: "Aide aux devoirs")
        try sync(sud)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "the delete's checkpoint waited for the reader")
        XCTAssertTrue(try waitForMetric("boucle_erasure_pending 1", server, token: operatorToken))
        XCTAssertGreaterThan(server.logCount("erasure pending", atLeast: 1), 0)

        try reader.execute("COMMIT")
        try reader.close()
        XCTAssertTrue(try waitForMetric("boucle_erasure_pending 0", server, token: operatorToken))
        XCTAssertGreaterThan(server.logCount("erasure finished", atLeast: 1), 0)
        XCTAssertFalse(try serverFilesHold(phone), "the erased phone stayed in the server's files")
        XCTAssertFalse(try serverFilesHold(address), "the erased address stayed in the server's files")
        XCTAssertFalse(server.child.stderr.contains(phone), "the log names the phone")
        try sync(nord)
        XCTAssertEqual(try ids("offer", on: nord), try ids("offer", on: sud))
        XCTAssertEqual(try ids("request", on: sud), [])
    }

    /// A tenant's admin reads its own tenant's figures, unlabelled; the operator reads every
    /// tenant's, labelled, with the server's gauges; nobody else reads any.
    func testATenantsAdminSeesItsTenantAndTheOperatorSeesAll() throws {
        try admin("tenant", "create", "lyon")
        try admin("tenant", "create", "villeurbanne")
        let (tokenFile, operatorToken) = try operatorTokenFile()
        let server = try startServer(["--operator-token-file", tokenFile])
        let lyonAdmin = try token(team: "city", role: "admin")
        let villeurbanneAdmin = try token(tenant: "villeurbanne", team: "mairie", role: "admin")
        let nord = try makeClient("nord", team: "nord", token: try token(team: "nord", role: "field"), server: server)
        let centre = try makeClient("centre", team: "centre", token: try token(tenant: "villeurbanne", team: "centre", role: "coordinator"), server: server)
        for _ in 0..<3 { try nord.addOffer() }
        try sync(nord)
        try centre.addOffer()
        try sync(centre)

        let lyon = try metrics(server, token: lyonAdmin)
        XCTAssertTrue(lyon.contains("boucle_changes_applied_total 3\n"), lyon)
        XCTAssertFalse(lyon.contains("tenant="), lyon)
        XCTAssertFalse(lyon.contains("boucle_open_connections"), lyon)
        let villeurbanne = try metrics(server, token: villeurbanneAdmin)
        XCTAssertTrue(villeurbanne.contains("boucle_changes_applied_total 1\n"), villeurbanne)

        let all = try metrics(server, token: operatorToken)
        for expected in [#"boucle_changes_applied_total{tenant="lyon"} 3"#, #"boucle_changes_applied_total{tenant="villeurbanne"} 1"#,
                         #"boucle_requests_total{tenant="lyon",status="200"} "#, "boucle_open_connections ", "boucle_erasure_pending 0"] {
            XCTAssertTrue(all.contains(expected), "the operator's metrics lack \(expected):\n\(all)")
        }
        try assertError(try RawConnection.exchange(port: server.port, "GET", "/v1/metrics", token: operatorToken + "0"),
                        status: 401, code: "unauthorized")
        try assertError(try RawConnection.exchange(port: server.port, "POST", "/v1/changes", token: operatorToken),
                        status: 401, code: "unauthorized")
    }

    /// An operator token file readable by everyone, or holding a short token, stops `serve`
    /// before it listens.
    func testAnOperatorTokenFileMustBePrivateAndLong() throws {
        try admin("tenant", "create", "lyon")
        let open = try write(Array(String(repeating: "a", count: 40).utf8), to: "open-token")
        XCTAssertEqual(chmod(open, 0o644), 0)
        let short = try write(Array("secret".utf8), to: "short-token")
        XCTAssertEqual(chmod(short, 0o600), 0)
        for (file, why) in [(open, "readable by every user"), (short, "at least 32 characters")] {
            let refused = try adminRun(["serve", "--listen", "127.0.0.1:0", "--operator-token-file", file])
            XCTAssertEqual(refused.status, 1, refused.err)
            XCTAssertTrue(refused.err.contains(why), refused.err)
        }
    }

    /// `serve` (and every command) refuses an empty file, or a database that is not a server's
    /// (a replica given by mistake), and leaves it byte for byte as it was; a missing path is
    /// where a new database is made.
    func testServeRefusesAFileThatIsNotAServerDatabase() throws {
        let empty = try write([], to: "empty.db")
        let replica = try makeReplica("nord", team: "nord")
        try replica.addOffer()
        let replicaBytes = try XCTUnwrap(FileManager.default.contents(atPath: replica.path))
        for (file, bytes) in [(empty, Data()), (replica.path, replicaBytes)] {
            for command in [["serve", "--listen", "127.0.0.1:0"], ["tenant", "create", "lyon"]] {
                let refused = try adminRun(command, db: file)
                XCTAssertEqual(refused.status, 1, "\(command) on \(file): \(refused.err)")
                XCTAssertTrue(refused.err.contains("is not a boucle-server database"), refused.err)
                XCTAssertEqual(FileManager.default.contents(atPath: file), bytes, "\(command) changed \(file)")
            }
        }
        try admin("tenant", "create", "lyon", db: path("new.db"))
        XCTAssertEqual(try integrityCheck(path("new.db")), "ok")
    }

    /// A backup killed midway leaves only its temporary file, which neither passes for a backup
    /// nor blocks the next one.
    func testALeftoverOfAKilledBackupDoesNotBlockTheNext() throws {
        try admin("tenant", "create", "lyon")
        let target = path("nightly.db")
        _ = try write(Array(repeating: 0, count: 4096), to: "nightly.db.partial")
        XCTAssertEqual(try admin("backup", target), "backed up \(serverDB) to \(target)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + ".partial"))
        XCTAssertEqual(try integrityCheck(target), "ok")
        let restored = try startServer(db: target)
        assertHealthy(restored)
    }
}
