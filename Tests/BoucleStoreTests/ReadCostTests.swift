import BoucleCore
import BoucleProtocol
@testable import BoucleStore
import XCTest

/// The server's reads cost what they return, not the tenant's size: the same pull (the last 10
/// records) and the same `stats` on a tenant of 300 records and on one of 3,000 run the same
/// number of SQLite virtual-machine operations, within a few per cent (a full scan would take
/// ten times as many). Counted, not timed: the figure is exact on any machine.
final class ReadCostTests: StoreTestCase {
    private let small = 300
    private let large = 3_000

    /// A tenant of `records` offers of three teams, imported as one change-set.
    private func server(_ name: String, records: Int) throws -> (ServerStore, Principal) {
        var generator = SeededGenerator(seed: 20_261_201)
        let server = try ServerStore(path: path(name))
        try server.createTenant("lyon")
        let principal = try XCTUnwrap(try server.authenticate(try server.createToken(tenant: "lyon", team: "nord", role: .coordinator)))
        let writer = UUIDString.random(using: &generator)
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: "lyon", origin: writer))
        for index in 0..<records {
            let fields: [String: FieldValue] = [
                "category": .text(["pets", "groceries", "homework"][index % 3]), "title": .text("Entraide \(index)"),
                "status": .text(index % 5 == 0 ? "closed" : "open"),
            ]
            encoder.append(Change(collection: .offer, id: UUIDString.random(using: &generator), team: ["nord", "sud", "est"][index % 3],
                                  stamp: Stamp(hlc: HLC(milliseconds: 1_770_000_000_000 + UInt64(index), counter: 0), replica: writer),
                                  operation: .set(fields)))
        }
        encoder.finish()
        _ = try server.importChangeSet(encoder.takeBytes(), tenant: "lyon", maxClockAhead: 300_000)
        return (server, principal)
    }

    /// The operations `body` runs on `server`'s connection.
    private func steps(_ server: ServerStore, _ body: () throws -> Void) rethrows -> Int {
        let before = server.db.virtualMachineSteps
        try body()
        return server.db.virtualMachineSteps - before
    }

    func testAPullAndStatsCostTheSameOnATenantTenTimesLarger() throws {
        var costs: [(pull: Int, stats: Int)] = []
        for records in [small, large] {
            let (server, principal) = try server("server-\(records).db", records: records)
            let last = try server.currentSequence()
            // Warm the statement cache, so that both sizes count only the read.
            _ = try server.pull(as: principal, since: 0, after: last - 10, limit: 100)
            _ = try server.stats(tenant: "lyon")
            let pull = try steps(server) {
                let page = try server.pull(as: principal, since: 0, after: last - 10, limit: 100).page
                XCTAssertEqual(page.records, 10)
            }
            let stats = try steps(server) {
                XCTAssertEqual(try server.stats(tenant: "lyon").breakdowns[.offer]?.total, records)
            }
            costs.append((pull, stats))
        }
        print("SQLite operations at \(small) and \(large) records: pull \(costs[0].pull) and \(costs[1].pull), stats \(costs[0].stats) and \(costs[1].stats)")
        XCTAssertLessThanOrEqual(Double(costs[1].pull), Double(costs[0].pull) * 1.1, "a pull of 10 records costs more on a larger tenant")
        XCTAssertLessThanOrEqual(Double(costs[1].stats), Double(costs[0].stats) * 1.1, "stats costs more on a larger tenant")
    }
}
