import BoucleCore
import Foundation
import HTTPCodec
import SQLite
import XCTest

/// The real binaries killed outright (SIGKILL: no handler runs, no transaction is finished) at
/// the worst moments. Every change whose push was answered survives, every database passes
/// `PRAGMA integrity_check`, and the next sync completes. A push is answered only once its
/// transaction is on disk: the files are in WAL mode with `synchronous=FULL`, so every commit
/// syncs the WAL (checked with strace, since `synchronous` is a setting of each connection and
/// cannot be read back from the file).
final class ServerCrashTests: ServerTestCase {
    /// Ten laptops of ten teams, 100 pending offers each, sync at once; the server is killed
    /// mid-burst, three times over (after a seeded delay, then after a seeded number of answered
    /// pushes). After each kill: the database passes `integrity_check` and its sequence counter
    /// matches its rows; once restarted, a fresh coordinator clone holds every offer of every
    /// laptop whose push was answered (its sync exited 0, or failed in the pull with nothing
    /// pending); then every laptop syncs, and all of them and the clone hold the same digest.
    func testSIGKILLDuringABurstOfSyncsKeepsEveryAcknowledgedChange() throws {
        let clients = 10
        let perClient = 100
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        try admin("tenant", "create", "lyon")
        let coordinator = try token(team: "team0", role: "coordinator")
        var server = try startServer()
        var laptops: [Replica] = []
        for index in 0..<clients {
            let team = "team\(index)"
            laptops.append(try makeClient("laptop\(index)", team: team, token: try token(team: team, role: "field"), server: server))
        }
        var offered = [Set<String>](repeating: [], count: clients)

        for round in 0..<3 {
            for (index, laptop) in laptops.enumerated() {
                let offers = ServerHarness.offers(perClient, team: "team\(index)", writer: try laptop.replicaID(), using: &generator)
                offered[index].formUnion(offers.map(\.id.rawValue))
                let changeSet = ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers)
                try laptop.importFile(try write(changeSet, to: "round\(round)-laptop\(index).changeset"))
            }
            // Round 0 kills after a delay alone (anywhere in the burst, even before or after
            // it); the others once some pushes were answered, so that some are and some not.
            let afterPushes = round == 0 ? 0 : Int.random(in: 1..<clients, using: &generator)
            let delay = Int.random(in: 0...(round == 0 ? 600 : 15), using: &generator)
            let pushesBefore = server.logCount(" POST /v1/changes ")
            let syncs = try laptops.map { try startSync($0) }
            if afterPushes > 0 {
                server.child.waitForStderr(lines: pushesBefore + afterPushes, containing: " POST /v1/changes ", timeout: 30)
            }
            usleep(UInt32(delay) * 1_000)
            server.child.send(SIGKILL)
            XCTAssertEqual(server.stop(timeout: 10), ChildProcess.Exit(status: SIGKILL, signaled: true), "round \(round)")

            var acknowledged: [Int] = []
            var outcomes: [String] = []
            for (index, sync) in syncs.enumerated() {
                let laptop = laptops[index]
                guard let exit = sync.wait(timeout: 60) else {
                    sync.kill()
                    XCTFail("round \(round): `boucle sync` on \(laptop.name) still runs 60 s after the server was killed")
                    continue
                }
                switch exit {
                case ChildProcess.Exit(status: 0, signaled: false):
                    acknowledged.append(index)
                    outcomes.append("ok")
                case ChildProcess.Exit(status: 1, signaled: false):
                    XCTAssertTrue(sync.stderr.hasPrefix("boucle: error: sync failed: "), sync.stderr)
                    // One batch: its push was answered (the pull was cut), or not at all.
                    let left = try pending(laptop)
                    XCTAssertTrue(left == 0 || left == perClient, "round \(round): \(laptop.name) has \(left) pending after a failed sync")
                    if left == 0 { acknowledged.append(index) }
                    outcomes.append(left == 0 ? "pushed" : "failed")
                default:
                    XCTFail("round \(round): `boucle sync` on \(laptop.name) ended with \(exit): \(sync.stderr)")
                    outcomes.append("\(exit)")
                }
            }
            print("round \(round): SIGKILL after \(afterPushes) answered pushes and \(delay) ms; syncs: \(outcomes.joined(separator: " "))")

            XCTAssertEqual(try integrityCheck(serverDB), "ok", "round \(round): the killed server's database")
            let crashed = try snapshot()
            XCTAssertEqual(crashed.counter, crashed.maxSeq, "round \(round): the sequence counter is committed with the rows (\(crashed))")

            server = try startServer()
            let clone = try makeClient("clone\(round)", team: "team0", token: coordinator, server: server)
            try sync(clone)
            let held = try ids("offer", on: clone)
            for index in acknowledged {
                let missing = offered[index].subtracting(held)
                XCTAssertTrue(missing.isEmpty, "round \(round): \(missing.count) offers of \(laptops[index].name), whose push was answered, are not on the server")
            }

            // Everyone syncs (at once) with the restarted server, then once more to receive what
            // the others pushed; then they and the clone hold the same state.
            try runAtOnce(laptops, ["sync", "--server", server.url])
            try runAtOnce(laptops + [clone], ["sync"])
            let everything = offered.reduce(into: Set<String>()) { $0.formUnion($1) }
            XCTAssertEqual(try ids("offer", on: clone), everything, "round \(round): every offer of every laptop reached the server")
            let digests = try digestsAtOnce(laptops + [clone])
            XCTAssertEqual(Set(digests).count, 1, "round \(round): \(zip((laptops + [clone]).map(\.name), digests).map { "\($0) \($1.prefix(12))" })")
        }
    }

    /// A server holds 5,000 offers (three pages of 2,000, by `serve --page-records 2000`). Fresh replicas start `boucle sync`
    /// and are killed at several points of the pull (as soon as their WAL exists, once the
    /// server has sent one, two or three pages, and once the first page is committed), after a
    /// short seeded delay. Each killed replica
    /// opens (`status`), passes `integrity_check`, and its next sync completes with the digest
    /// of a full clone. At least one kill lands between pages (some offers pulled, not all).
    func testSIGKILLDuringAPullLeavesASoundReplicaThatResumes() throws {
        let records = 5_000
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        try admin("tenant", "create", "lyon")
        let field = try token(team: "nord", role: "field")
        let offers = ServerHarness.offers(records, team: "nord", using: &generator)
        try admin("import", try write(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers), to: "offers.changeset"),
                  "--tenant", "lyon")
        let server = try startServer(["--page-records", "2000"])
        let reference = try makeClient("reference", team: "nord", token: field, server: server)
        try sync(reference)
        XCTAssertEqual(try liveOffers(reference.path), records)
        let expected = try reference.digest()

        // Kill points: once the server has sent the first, second or third page, or once the
        // replica's WAL has grown to a size, then after a short seeded delay.
        let killPoints: [KillPoint] = [.walBytes(1), .pagesSent(1), .pagesSent(2), .pagesSent(3), .offersCommitted(1)]
        var betweenPages = 0
        for (attempt, killPoint) in killPoints.enumerated() {
            let replica = try makeClient("puller\(attempt)", team: "nord", token: field, server: server)
            let delay = Int.random(in: 0...5, using: &generator)
            let pagesBefore = server.logCount(" GET /v1/changes ")
            let syncing = try startSync(replica)
            let reached = waitUntil(timeout: 30) {
                if syncing.wait(timeout: 0) != nil { return true }
                switch killPoint {
                case .pagesSent(let pages): return server.logCount(" GET /v1/changes ") >= pagesBefore + pages
                case .walBytes(let bytes): return fileSize(replica.path + "-wal") >= bytes
                case .offersCommitted(let offers): return ((try? self.liveOffers(replica.path)) ?? 0) >= offers
                }
            }
            XCTAssertTrue(reached, "attempt \(attempt): the sync neither reached \(killPoint) nor ended")
            usleep(UInt32(delay) * 1_000)
            syncing.send(SIGKILL)
            guard let exit = syncing.wait(timeout: 30) else {
                syncing.kill()
                XCTFail("attempt \(attempt): `boucle sync` survived SIGKILL")
                continue
            }

            let status = try replica.run("status")
            XCTAssertEqual(status.status, 0, "attempt \(attempt): the killed replica does not open: \(status.err)")
            XCTAssertEqual(try integrityCheck(replica.path), "ok", "attempt \(attempt)")
            let pulled = try liveOffers(replica.path)
            if exit.signaled, pulled > 0, pulled < records { betweenPages += 1 }
            print("attempt \(attempt): \(killPoint) + \(delay) ms: \(exit), \(pulled) of \(records) offers pulled")

            try sync(replica)
            XCTAssertEqual(try replica.digest(), expected, "attempt \(attempt): the resumed pull matches a full clone")
        }
        XCTAssertGreaterThan(betweenPages, 0, "no kill landed between two pages: the test needs other kill points")
    }

    /// `boucle import` of 30,000 offers is killed while its transaction spills to the WAL (at 1
    /// and at 5 MiB of WAL, of some 8 MiB at the commit). The replica opens, passes
    /// `integrity_check`, and holds exactly what it held before (same digest, none of the file's
    /// offers): the import is one transaction. Importing the file again completes.
    func testSIGKILLDuringAnImportLeavesTheReplicaUnchanged() throws {
        let records = 30_000
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let replica = try makeReplica("laptop", team: "nord")
        let own = try replica.addOffer()
        let before = try replica.digest()
        let offers = ServerHarness.offers(records, team: "nord", using: &generator)
        let file = try write(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers), to: "big.changeset")
        let binary = try XCTUnwrap(CLI.binary, "the boucle executable was not found")
        var environment = ProcessInfo.processInfo.environment
        environment["BOUCLE_REPLICA"] = nil

        for walBytes in [1 << 20, 5 << 20] {
            let importing = try ChildProcess([binary.path, "import", file, "--replica", replica.path], environment: environment, in: replica.folder)
            let reached = waitUntil(timeout: 60) { fileSize(replica.path + "-wal") >= walBytes || importing.wait(timeout: 0) != nil }
            XCTAssertTrue(reached, "the import neither grew the WAL to \(walBytes) bytes nor ended")
            importing.send(SIGKILL)
            let exit = importing.wait(timeout: 30)
            XCTAssertEqual(exit, ChildProcess.Exit(status: SIGKILL, signaled: true),
                           "the import was to be killed at \(walBytes) bytes of WAL; stderr: \(importing.stderr)")
            print("import killed at \(walBytes) bytes of WAL: \(exit.map(\.description) ?? "still running")")

            let status = try replica.run("status")
            XCTAssertEqual(status.status, 0, "the killed replica does not open: \(status.err)")
            XCTAssertEqual(try integrityCheck(replica.path), "ok")
            XCTAssertEqual(try replica.digest(), before, "a killed import leaves the replica as it was")
            let offersNow = try ids("offer", on: replica)
            XCTAssertEqual(offersNow.count, 1, "none of the file's offers is in the replica")
            XCTAssertEqual(offersNow.first, own, "the replica's own offer is still there")
        }

        try replica.importFile(file)
        XCTAssertEqual(try liveOffers(replica.path), records + 1)
        XCTAssertEqual(try integrityCheck(replica.path), "ok")
    }

    /// Under strace, three pushes on one keep-alive connection: each is answered only after an
    /// fsync of the server's WAL made between its request and its answer, on the thread that
    /// answers. (With `synchronous=NORMAL`, a commit in WAL mode syncs nothing.)
    func testAPushIsAnsweredOnlyAfterItsTransactionIsOnDisk() throws {
        guard let strace = CLI.onPath("strace") else { throw XCTSkip("strace is not installed") }
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        try admin("tenant", "create", "lyon")
        let field = try token(team: "nord", role: "field")
        let trace = path("server.strace")
        let server = try TracedProcess([
            strace, "-f", "-y", "-s", "40", "-e", "trace=recvfrom,sendto,fsync,fdatasync", "-o", trace,
            try ServerHarness.serverBinary().path, "serve", "--db", serverDB, "--listen", "127.0.0.1:0",
        ], in: folder)
        defer { server.stop() }
        let line = try XCTUnwrap(server.child.waitForLine(containing: "listening on", timeout: 20), server.child.stderr)
        let port = try XCTUnwrap(line.range(of: "listening on 127.0.0.1:").flatMap { UInt16(line[$0.upperBound...].prefix { $0.isNumber }) })

        let connection = try RawConnection(port: port)
        for push in 0..<3 {
            let offers = ServerHarness.offers(3, team: "nord", using: &generator)
            let body = ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers)
            try connection.send(HTTPRequest(method: "POST", target: "/v1/changes", headers: HTTPHeaders([
                ("Host", "127.0.0.1:\(port)"), ("Authorization", "Bearer \(field)"),
            ]), body: body).serialized())
            let response = try XCTUnwrap(try connection.response(forRequestMethod: "POST"))
            XCTAssertEqual(response.status, 200, "push \(push): \(String(decoding: response.body, as: UTF8.self))")
        }
        connection.close()
        XCTAssertEqual(server.stop(), ChildProcess.Exit(status: 0, signaled: false), server.child.stderr)

        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let requests = lines.indices.filter { lines[$0].contains("recvfrom") && lines[$0].contains("\"POST /v1/changes") }
        let answers = lines.indices.filter { lines[$0].contains("sendto(") && lines[$0].contains("\"HTTP/1.1 200") }
        XCTAssertEqual(requests.count, 3, "strace saw 3 pushes arrive:\n\(lines.joined(separator: "\n"))")
        XCTAssertEqual(answers.count, 3, "strace saw 3 answers leave")
        for (push, (request, answer)) in zip(requests, answers).enumerated() {
            XCTAssertLessThan(request, answer, "push \(push)")
            let thread = lines[answer].prefix { $0.isNumber }
            let synced = lines[request..<answer].filter {
                $0.hasPrefix(thread + " ") && ($0.contains("fdatasync(") || $0.contains("fsync(")) && $0.contains("server.db-wal>")
            }
            XCTAssertFalse(synced.isEmpty, "push \(push) was answered without an fsync of the WAL:\n\(lines[request...answer].joined(separator: "\n"))")
        }
    }

    /// Server databases and replicas are WAL files (a setting kept in the file); a replica syncs
    /// its WAL at each commit too (`synchronous=FULL`): under strace, a `boucle sync` records the
    /// answered push in an fsynced commit before it asks for the first page.
    func testServerAndReplicasUseWALWithSynchronousFull() throws {
        guard let strace = CLI.onPath("strace") else { throw XCTSkip("strace is not installed") }
        try admin("tenant", "create", "lyon")
        let field = try token(team: "nord", role: "field")
        let server = try startServer()
        let laptop = try makeClient("laptop", team: "nord", token: field, server: server)
        _ = try laptop.addOffer()
        XCTAssertEqual(try journalMode(serverDB), "wal")
        XCTAssertEqual(try journalMode(laptop.path), "wal")

        // `--server` makes a first commit (the saved settings), so that the push's commit is
        // not the one that starts the WAL file (whose header SQLite syncs in any mode).
        let binary = try XCTUnwrap(CLI.binary)
        let trace = path("sync.strace")
        let traced = try CLI.runProgram([
            strace, "-f", "-y", "-s", "40", "-e", "trace=sendto,recvfrom,fsync,fdatasync", "-o", trace,
            binary.path, "sync", "--server", server.url, "--replica", laptop.path,
        ], environment: ProcessInfo.processInfo.environment, in: laptop.folder)
        XCTAssertEqual(traced.status, 0, traced.err)
        XCTAssertEqual(try pending(laptop), 0)

        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let pushAnswer = try XCTUnwrap(lines.firstIndex { $0.contains("recvfrom") && $0.contains("\"HTTP/1.1 200") },
                                       "strace saw no answer:\n\(lines.joined(separator: "\n"))")
        let pullRequest = try XCTUnwrap(lines.firstIndex { $0.contains("sendto(") && $0.contains("\"GET /v1/changes") },
                                        "strace saw no pull:\n\(lines.joined(separator: "\n"))")
        XCTAssertLessThan(pushAnswer, pullRequest)
        let synced = lines[pushAnswer..<pullRequest].filter {
            ($0.contains("fdatasync(") || $0.contains("fsync(")) && $0.contains("replica.db-wal>")
        }
        XCTAssertFalse(synced.isEmpty, "the replica recorded the answered push without an fsync of its WAL:\n\(lines[pushAnswer...pullRequest].joined(separator: "\n"))")
    }

    // MARK: Helpers

    /// The live offers of a replica, counted with a read-only connection (`list` is slow on
    /// tens of thousands of records in a debug build).
    private func liveOffers(_ file: String) throws -> Int {
        let database = try Database(path: file, create: false, readOnly: true)
        defer { try? database.close() }
        return try database.queryFirst("SELECT count(*) FROM records WHERE collection = 'offer' AND deleted IS NULL") { Int($0.int64(0)) } ?? -1
    }

    /// `PRAGMA journal_mode` of a database file, read on a fresh connection.
    private func journalMode(_ file: String) throws -> String {
        let database = try Database(path: file, create: false, readOnly: true)
        defer { try? database.close() }
        return try database.queryFirst("PRAGMA journal_mode") { $0.text(0) ?? "" } ?? ""
    }
}

/// Where a client is killed: once the server has logged so many pages sent, once the
/// replica's WAL has grown to so many bytes, or once the replica holds so many offers.
private enum KillPoint: CustomStringConvertible {
    case pagesSent(Int)
    case walBytes(Int)
    case offersCommitted(Int)

    var description: String {
        switch self {
        case .pagesSent(let pages): "\(pages) page\(pages == 1 ? "" : "s") sent"
        case .walBytes(let bytes): "WAL at \(bytes) bytes"
        case .offersCommitted(let offers): "\(offers) offer\(offers == 1 ? "" : "s") committed"
        }
    }
}

/// The size of a file in bytes; 0 when it does not exist.
private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

/// Polls `condition` every millisecond until it holds (true) or `timeout` seconds pass (false).
private func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        usleep(1_000)
    }
    return true
}

/// A program run under strace: stopping it sends SIGTERM to the traced program itself (strace's
/// only child), whose exit status strace then passes on.
private final class TracedProcess {
    let child: ChildProcess
    private var exit: ChildProcess.Exit?

    init(_ command: [String], in folder: URL) throws {
        child = try ChildProcess(command, environment: ProcessInfo.processInfo.environment, in: folder)
    }

    @discardableResult
    func stop() -> ChildProcess.Exit? {
        if let exit { return exit }
        let children = (try? String(contentsOfFile: "/proc/\(child.processIdentifier)/task/\(child.processIdentifier)/children", encoding: .utf8)) ?? ""
        if let traced = children.split(separator: " ").first.flatMap({ Int32($0) }) { kill(traced, SIGTERM) }
        exit = child.wait(timeout: 20)
        if exit == nil {
            child.kill()
            exit = ChildProcess.Exit(status: SIGKILL, signaled: true)
        }
        return exit
    }
}
