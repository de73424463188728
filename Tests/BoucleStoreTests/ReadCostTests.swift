import BoucleCore
import BoucleProtocol
@testable import BoucleStore
import SQLite
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
        let file = path("tenant-\(records).changeset")
        try Data(encoder.takeBytes()).write(to: URL(fileURLWithPath: file))
        _ = try server.importChangeSet(path: file, tenant: "lyon", maxClockAhead: 300_000)
        return (server, principal)
    }

    /// The operations `body` runs on the connection `db`.
    private func steps(_ db: Database, _ body: () throws -> Void) rethrows -> Int {
        let before = db.virtualMachineSteps
        try body()
        return db.virtualMachineSteps - before
    }

    /// A replica of `records` open offers of pets in Marseille (each at its own address), one
    /// remote offer and one without a point at `ReadCostTests.address`, imported as one change-set.
    private func replica(_ name: String, records: Int) throws -> ReplicaStore {
        var generator = SeededGenerator(seed: 20_261_202)
        let store = try ReplicaStore.create(at: path(name), team: "nord")
        let writer = UUIDString.random(using: &generator)
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: "lyon", origin: writer))
        func offer(_ index: Int, _ fields: [String: FieldValue]) -> Change {
            Change(collection: .offer, id: UUIDString.random(using: &generator), team: "nord",
                   stamp: Stamp(hlc: HLC(milliseconds: 1_770_000_000_000 + UInt64(index), counter: 0), replica: writer),
                   operation: .set(fields.merging(["category": .text("pets"), "title": .text("Promenades"), "status": .text("open")]) { $1 }))
        }
        for index in 0..<records {
            encoder.append(offer(index, ["address": .text("\(index + 1) boulevard National, 13001 Marseille"),
                                         "lat": .number(43.30 + Double(index) / 100_000), "lon": .number(5.38)]))
        }
        encoder.append(offer(records, ["remote": .bool(true)]))
        encoder.append(offer(records + 1, ["address": .text(ReadCostTests.address)]))
        encoder.finish()
        var bytes: [UInt8]? = encoder.takeBytes()
        _ = try store.importChangeSet { defer { bytes = nil }; return bytes }
        return store
    }

    private static let address = "1 rue de la Paix, 69002 Lyon"

    /// A replica's reads of remote offers, of offers without a point and of one building go
    /// through the index made for each whatever order the file holds its indexes in. A large
    /// import builds the wide indexes again after the others, and SQLite's planner, choosing
    /// between indexes it could not tell apart, then read every open offer of the category through
    /// the group index to find the remote ones (`match` at 100,000 offers: 18 ms to 73 ms).
    func testAReplicasRemoteUnlocatedAndBuildingReadsCostTheSameOnAReplicaTenTimesLarger() throws {
        var costs: [[Int]] = []
        for records in [small, large] {
            let store = try replica("replica-\(records).db", records: records)
            // The order a large import leaves the indexes in.
            try store.db.transaction {
                try store.table.dropReadIndexes()
                try store.table.restoreReadIndexes()
            }
            let groups = try store.table.groups(.offer, category: "pets", status: "open")
            let building = try XCTUnwrap(AddressKey.make(ReadCostTests.address))
            let reads: [() throws -> Int] = [
                { try store.table.firstIDs(.offer, groups: groups, subset: .remote, limit: 10).count },
                { try store.table.firstIDs(.offer, groups: groups, subset: .unlocated, limit: 10).count },
                { try store.read(RecordQuery(.offer, building: building)).records.count },
            ]
            for read in reads { XCTAssertEqual(try read(), 1) }
            costs.append(try reads.map { read in try steps(store.db) { _ = try read() } })
        }
        print("SQLite operations at \(small) and \(large) offers (remote, unlocated, building): \(costs[0]) and \(costs[1])")
        for (small, large) in zip(costs[0], costs[1]) {
            XCTAssertLessThanOrEqual(Double(large), Double(small) * 1.1, "a read costs more on a larger replica: \(costs)")
        }
    }

    func testAPullAndStatsCostTheSameOnATenantTenTimesLarger() throws {
        var costs: [(pull: Int, stats: Int)] = []
        for records in [small, large] {
            let (server, principal) = try server("server-\(records).db", records: records)
            let last = try server.currentSequence()
            // Warm the statement cache, so that both sizes count only the read.
            _ = try server.pull(as: principal, since: 0, after: last - 10, limit: 100)
            _ = try server.stats(tenant: "lyon")
            let pull = try steps(server.db) {
                let page = try server.pull(as: principal, since: 0, after: last - 10, limit: 100).page
                XCTAssertEqual(page.records, 10)
            }
            let stats = try steps(server.db) {
                XCTAssertEqual(try server.stats(tenant: "lyon").breakdowns[.offer]?.total, records)
            }
            costs.append((pull, stats))
        }
        print("SQLite operations at \(small) and \(large) records: pull \(costs[0].pull) and \(costs[1].pull), stats \(costs[0].stats) and \(costs[1].stats)")
        XCTAssertLessThanOrEqual(Double(costs[1].pull), Double(costs[0].pull) * 1.1, "a pull of 10 records costs more on a larger tenant")
        XCTAssertLessThanOrEqual(Double(costs[1].stats), Double(costs[0].stats) * 1.1, "stats costs more on a larger tenant")
    }
}
