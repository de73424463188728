import BoucleCore
import Foundation
import XCTest

/// No echo (Protocol/SERVER.md, "No echo"): a client does not download again what it has just
/// pushed; what others pushed meanwhile still comes.
final class EchoTests: ServerTestCase {
    /// The bytes of every pull page the server sent, from its log lines.
    private func pulledBytes(_ server: ServerProcess) -> [Int] {
        server.child.stderr.split(separator: "\n").filter { $0.contains(" GET /v1/changes 200 ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasSuffix("B") }.flatMap { Int($0.dropLast()) }
        }
    }

    func testAPushOf2000ChangesDoesNotComeBackButOthersChangesDo() throws {
        try admin("tenant", "create", "lyon")
        let server = try startServer()
        let field = try token(team: "nord", role: "field")
        let laptop = try makeClient("laptop", team: "nord", token: field, server: server)
        let other = try makeClient("other", team: "nord", token: field, server: server)
        try sync(laptop)
        try sync(other)
        var generator = SeededGenerator(seed: ServerHarness.seed(#function))
        let offers = ServerHarness.offers(2_000, team: "nord", writer: try laptop.replicaID(), using: &generator)
        try laptop.importFile(try write(ServerHarness.changeSet(tenant: "lyon", origin: offers[0].stamp.replica, offers), to: "offers.changeset"))
        let before = pulledBytes(server).count
        _ = try other.addOffer(title: "Une offre d'ailleurs")
        try sync(other)

        XCTAssertEqual(try laptop.ok("sync"), "synced with \(server.url): sent 2000 changes, received 1 new, no conflicts")
        let pulls = pulledBytes(server).dropFirst(before + 1)
        XCTAssertEqual(pulls.count, 1, "one page")
        XCTAssertLessThan(pulls.reduce(0, +), 2_000, "the page holds the other's offer, not the 2,000 just pushed (about 1 MB)")

        let clone = try makeClient("clone", team: "nord", token: field, server: server)
        try sync(clone)
        XCTAssertEqual(try clone.digest(), try laptop.digest(), "nothing was missed for it")
    }
}
