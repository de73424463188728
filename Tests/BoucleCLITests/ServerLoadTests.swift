import BoucleCore
import Foundation
import SQLite
import XCTest

/// Many clients on one server at once, over loopback, with the real binaries: no request fails,
/// and everyone converges.
final class ServerLoadTests: ServerTestCase {
    /// Fifty laptops of five teams, 20 pending offers each, all run `boucle sync` at once (50
    /// processes, 50 connections), then all once more. Every sync exits 0, the server answers
    /// every request 200 (none ≥ 500, no 503), it holds the 1,000 offers, and the 50 digests
    /// are equal.
    func testFiftyClientsSyncingAtOnceAllConverge() throws {
        let clients = 50
        let perClient = 20
        let teams = 5
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        try admin("tenant", "create", "lyon")
        let tokens = try (0..<teams).map { try token(team: "team\($0)", role: "field") }
        let server = try startServer()
        var laptops: [Replica] = []
        var everything = Set<String>()
        for index in 0..<clients {
            let team = "team\(index % teams)"
            let laptop = try makeClient("laptop\(index)", team: team, token: tokens[index % teams], server: server)
            let offers = ServerHarness.offers(perClient, team: team, writer: try laptop.replicaID(), using: &generator)
            everything.formUnion(offers.map(\.id.rawValue))
            try laptop.importFile(try write(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers),
                                            to: "laptop\(index).changeset"))
            laptops.append(laptop)
        }

        let started = Date()
        try runAtOnce(laptops, ["sync"], timeout: 60)
        print("\(#function): \(clients) syncs at once took \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        try runAtOnce(laptops, ["sync"], timeout: 60)

        // The server logs a request just after answering it: wait for the last lines.
        XCTAssertEqual(server.logCount(" POST /v1/changes ", atLeast: clients), clients, "one push per laptop")
        XCTAssertGreaterThanOrEqual(server.logCount(" GET /v1/changes ", atLeast: 2 * clients), 2 * clients, "a pull per sync at least")
        let requests = server.logLines.compactMap(RequestLine.init)
        XCTAssertEqual(requests.filter { $0.status >= 500 }.map(\.text), [], "no request failed on the server's side")
        XCTAssertEqual(requests.filter { $0.status != 200 }.map(\.text), [], "every request was answered 200")

        let digests = try digestsAtOnce(laptops)
        XCTAssertEqual(Set(digests).count, 1, "\(Dictionary(grouping: zip(laptops.map(\.name), digests), by: \.1).mapValues { $0.map(\.0) })")
        XCTAssertEqual(try offersOnServer(), clients * perClient)
        XCTAssertEqual(try ids("offer", on: laptops[0]), everything)
    }

    /// The live offers in the server's database, read with a read-only connection.
    private func offersOnServer() throws -> Int {
        let database = try Database(path: serverDB, create: false, readOnly: true)
        defer { try? database.close() }
        return try database.queryFirst("SELECT count(*) FROM records WHERE collection = 'offer' AND deleted IS NULL") { Int($0.int64(0)) } ?? -1
    }
}

/// One request line of the server's log: `TIME METHOD PATH STATUS DURATIONms tenant=T`.
private struct RequestLine {
    let text: String
    let status: Int

    init?(_ line: String) {
        let fields = line.split(separator: " ")
        guard fields.count == 6, fields[5].hasPrefix("tenant="), let status = Int(fields[3]) else { return nil }
        text = line
        self.status = status
    }
}

extension ServerTestCase {
    /// Starts `boucle ARGS… --replica R` on every replica at once and waits for them all; each
    /// must exit 0 within `timeout` seconds, silent on stderr (a failure names the replica and what
    /// it printed).
    /// Returns what each printed on stdout.
    @discardableResult
    func runAtOnce(_ replicas: [Replica], _ args: [String], timeout: Double = 60,
                   file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let binary = try XCTUnwrap(CLI.binary, "the boucle executable was not found", file: file, line: line)
        var environment = ProcessInfo.processInfo.environment
        environment["BOUCLE_REPLICA"] = nil
        let children = try replicas.map {
            try ChildProcess([binary.path] + args + ["--replica", $0.path], environment: environment, in: $0.folder)
        }
        let deadline = Date().addingTimeInterval(timeout)
        return zip(replicas, children).map { replica, child in
            guard let exit = child.wait(timeout: max(0, deadline.timeIntervalSinceNow)) else {
                child.kill()
                XCTFail("`boucle \(args.joined(separator: " "))` on \(replica.name) still ran after \(timeout) s", file: file, line: line)
                return ""
            }
            XCTAssertEqual(exit, ChildProcess.Exit(status: 0, signaled: false),
                           "`boucle \(args.joined(separator: " "))` on \(replica.name): \(child.stderr)", file: file, line: line)
            XCTAssertEqual(child.stderr, "", "`boucle \(args.joined(separator: " "))` on \(replica.name)", file: file, line: line)
            return child.stdout
        }
    }

    /// The state digests of `replicas`, from `status --json` run on all of them at once.
    func digestsAtOnce(_ replicas: [Replica], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        try runAtOnce(replicas, ["status", "--json"], file: file, line: line).map { text in
            let status = try JSON.object(try JSON.parse(text, file: file, line: line), file: file, line: line)
            return try XCTUnwrap(status["digest"] as? String, "status --json has no digest: \(text)", file: file, line: line)
        }
    }
}
