import BoucleCore
import BoucleStore
import Foundation
import SQLite
import XCTest

/// Reads through the indexes return what a brute-force scan of every record returns, order and
/// ties included: `list` with every filter and limit, near a point with and without a distance,
/// in a building, and `match` for every request. The data is random (seeded; the seed is
/// printed, `BOUCLE_SEED` replays it): records of three teams, shared buildings, points that
/// coincide (distance ties), remote help, later edits that move records between categories and
/// statuses, and deletes.
final class IndexedReadTests: StoreTestCase {
    private static let categories = ["groceries", "pets", "homework", "custom-walks"]
    private static let addresses = ["12 rue Mercière, 69002 Lyon", "12, Rue Merciere, apt 4, 69002 LYON", "3 place Bellecour, 69002 Lyon",
                                    "41 rue de Marseille, 69007 Lyon", "8 quai Saint-Vincent, 69001 Lyon"]
    private static let points = [(45.7622, 4.8320), (45.7578, 4.8320), (45.7500, 4.8390), (45.7700, 4.8270), (45.7622, 4.8320)]

    private var seed: UInt64 = 0
    private var store: ReplicaStore!
    private var all: [StoredRecord] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("IndexedReadTests seed \(seed) (replay with BOUCLE_SEED=\(seed))")
        var generator = SeededGenerator(seed: seed)
        let clock = ManualClock(milliseconds: 1_780_000_000_000)
        store = try makeReplica("reads.db", clock: clock)
        try store.importChangeSet(path: try writeChangeSet(using: &generator))
        all = try RecordCollection.allCases.flatMap { try store.records(in: $0) }
    }

    /// 400 offers and 150 requests of three teams by three writers, then 150 edits and 60 deletes.
    private func writeChangeSet(using generator: inout SeededGenerator) throws -> String {
        let writers = (0..<3).map { _ in UUIDString.random(using: &generator) }
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: "lyon", origin: writers[0]))
        var ids: [(UUIDString, RecordCollection, String)] = []
        var clock: UInt64 = 1_779_000_000_000
        func stamp(_ writer: Int) -> Stamp {
            clock += 1
            return Stamp(hlc: HLC(milliseconds: clock, counter: 0), replica: writers[writer])
        }
        for index in 0..<550 {
            let collection: RecordCollection = index < 400 ? .offer : .request
            let statuses = collection == .offer ? Schema.offerStatuses : Schema.requestStatuses
            var fields: [String: FieldValue] = [
                "category": .text(Self.categories.randomElement(using: &generator) ?? "groceries"),
                "title": .text("Entraide \(index)"), "status": .text(statuses.randomElement(using: &generator) ?? "open"),
            ]
            if Int.random(in: 0..<4, using: &generator) == 0 { fields["remote"] = .bool(true) }
            if Int.random(in: 0..<3, using: &generator) > 0 {
                fields["address"] = .text(Self.addresses.randomElement(using: &generator) ?? "")
            }
            if Int.random(in: 0..<3, using: &generator) > 0 {
                let (lat, lon) = Self.points.randomElement(using: &generator) ?? (45.76, 4.83)
                let jitter = Bool.random(using: &generator) ? 0 : Double.random(in: -0.03...0.03, using: &generator)
                fields["lat"] = .number(lat + jitter)
                fields["lon"] = .number(lon + jitter / 2)
            }
            let id = UUIDString.random(using: &generator)
            let team = ["nord", "sud", "est"].randomElement(using: &generator) ?? "nord"
            encoder.append(Change(collection: collection, id: id, team: team, stamp: stamp(Int.random(in: 0..<3, using: &generator)),
                                  operation: .set(fields)))
            ids.append((id, collection, team))
        }
        for _ in 0..<150 {
            guard let (id, collection, team) = ids.randomElement(using: &generator) else { continue }
            let statuses = collection == .offer ? Schema.offerStatuses : Schema.requestStatuses
            let fields: [String: FieldValue] = Bool.random(using: &generator)
                ? ["category": .text(Self.categories.randomElement(using: &generator) ?? "pets")]
                : ["status": .text(statuses.randomElement(using: &generator) ?? "open"), "lat": .null, "lon": .null]
            encoder.append(Change(collection: collection, id: id, team: team, stamp: stamp(0), operation: .set(fields)))
        }
        for _ in 0..<60 {
            guard let (id, collection, team) = ids.randomElement(using: &generator) else { continue }
            encoder.append(Change(collection: collection, id: id, team: team, stamp: stamp(1), operation: .delete))
        }
        encoder.finish()
        let file = path("random.changeset")
        try Data(encoder.takeBytes()).write(to: URL(fileURLWithPath: file))
        return file
    }

    private func brute(_ collection: RecordCollection, category: String?, status: String?) -> [StoredRecord] {
        all.filter { $0.collection == collection && (category == nil || $0.text("category") == category) && (status == nil || $0.text("status") == status) }
            .sorted { $0.id < $1.id }
    }

    func testListsWithEveryFilterAndLimitEqualTheScan() throws {
        for collection in [RecordCollection.offer, .request, .category] {
            let statuses = collection == .offer ? Schema.offerStatuses : Schema.requestStatuses
            for category in [nil] + (collection == .category ? [] : Self.categories) {
                for status in [nil] + (collection == .category ? [] : statuses) {
                    let expected = brute(collection, category: category, status: status)
                    for limit in [nil, 1, 7, 1_000] {
                        let page = try store.read(RecordQuery(collection, category: category, status: status, limit: limit))
                        XCTAssertEqual(page.records.map(\.id), Array(expected.prefix(limit ?? .max)).map(\.id),
                                       "seed \(seed): \(collection) \(category ?? "-") \(status ?? "-") limit \(String(describing: limit))")
                        XCTAssertEqual(page.total, expected.count, "seed \(seed)")
                    }
                }
            }
        }
        XCTAssertEqual(try store.status().records, all.count, "seed \(seed): the counts kept by the writes")
        XCTAssertTrue(try store.verifyDigest().wasRight, "seed \(seed): the digest kept by the writes")
        try store.purgeTombstones(deletedBefore: 1_800_000_000_000)
        XCTAssertTrue(try store.verifyDigest().wasRight, "seed \(seed): the digest after a purge")
    }

    /// `stats` (from the counts the writes keep) equals counting every live record.
    func testStatsEqualTheScan() throws {
        var expected = RecordStats()
        for collection in RecordStats.collections {
            var breakdown = RecordStats.Breakdown()
            for record in all where record.collection == collection {
                breakdown.total += 1
                if collection != .match { breakdown.byCategory[record.text("category") ?? "(none)", default: 0] += 1 }
                breakdown.byStatus[record.text("status") ?? "(none)", default: 0] += 1
                breakdown.byTeam[record.state.team, default: 0] += 1
            }
            expected.breakdowns[collection] = breakdown
        }
        XCTAssertEqual(try store.stats(), expected, "seed \(seed)")
    }

    func testNearWithAndWithoutADistanceEqualsTheScan() throws {
        var generator = SeededGenerator(seed: seed &+ 1)
        var centers: [Coordinate] = Self.points.map { Coordinate(lat: $0.0, lon: $0.1) }
        for _ in 0..<5 {
            let lat = Double.random(in: 45.70...45.82, using: &generator)
            centers.append(Coordinate(lat: lat, lon: Double.random(in: 4.78...4.90, using: &generator)))
        }
        centers.append(Coordinate(lat: -33.86, lon: 151.21))
        for center in centers {
            for within in [nil, 50.0, 300, 5_000, 40_000] {   // 40 km: a box too tall for the grid
                for category in [nil, "pets"] {
                    var located: [(id: UUIDString, distance: Double)] = []
                    for record in brute(.offer, category: category, status: nil) {
                        guard let point = record.place.coordinate else { continue }
                        let distance = GreatCircle.distance(center, point)
                        if let within, distance > within { continue }
                        located.append((record.id, distance))
                    }
                    located.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
                    let expected = located.map(\.id)
                    for limit in [nil, 1, 10] {
                        let page = try store.read(RecordQuery(.offer, category: category, near: center, within: within, limit: limit))
                        XCTAssertEqual(page.records.map(\.id), Array(expected.prefix(limit ?? .max)),
                                       "seed \(seed): near \(center) within \(String(describing: within)) limit \(String(describing: limit))")
                        XCTAssertEqual(page.total, expected.count, "seed \(seed)")
                    }
                }
            }
        }
    }

    /// A file made before the read columns gets them, filled from its rows, at its first open.
    func testAFileWithoutReadColumnsIsUpgradedAtOpen() throws {
        let expected = try store.read(RecordQuery(.offer, category: "pets", status: "open"))
        try store.close()
        let db = try Database(path: path("reads.db"), create: false)
        try db.execute("""
            DROP TABLE record_counts; DROP INDEX records_by_group; DROP INDEX records_by_point; DROP INDEX records_remote;
            DROP INDEX records_unlocated; DROP INDEX records_by_building;
            ALTER TABLE records DROP COLUMN category; ALTER TABLE records DROP COLUMN status; ALTER TABLE records DROP COLUMN lat;
            ALTER TABLE records DROP COLUMN lon; ALTER TABLE records DROP COLUMN remote; ALTER TABLE records DROP COLUMN building;
            ALTER TABLE records DROP COLUMN cell;
            """)
        try db.close()
        store = try ReplicaStore.open(at: path("reads.db"))
        XCTAssertEqual(try store.read(RecordQuery(.offer, category: "pets", status: "open")), expected)
        XCTAssertEqual(try store.status().records, all.count)
    }

    /// SQLite's schema cookie: each DROP or CREATE INDEX that commits moves it on, so it shows
    /// whether an import took the bulk path (dropped and rebuilt the five read indexes).
    private func schemaVersion() throws -> Int64 {
        let db = try Database(path: path("reads.db"), create: false, readOnly: true)
        defer { try? db.close() }
        return try db.queryFirst("PRAGMA schema_version") { $0.int64(0) } ?? -1
    }

    /// An import larger than the replica drops the read indexes after `BulkWrite.threshold`
    /// rows and builds them again before it commits: reads then equal the scan. An import that
    /// fails after the drop (its last line cut) leaves the indexes and the records as they were.
    func testALargeImportRebuildsTheReadIndexesAndAFailedOneKeepsThem() throws {
        // Another stream than setUp's, whose ids it would repeat.
        var generator = SeededGenerator(seed: seed ^ 0xb01c)
        let writer = UUIDString.random(using: &generator)
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: "lyon", origin: writer))
        for index in 0..<20_500 {
            let (lat, lon) = Self.points.randomElement(using: &generator) ?? (45.76, 4.83)
            let fields: [String: FieldValue] = [
                "category": .text(Self.categories.randomElement(using: &generator) ?? "pets"), "title": .text("Import \(index)"),
                "status": .text("open"), "lat": .number(lat + Double.random(in: -0.01...0.01, using: &generator)), "lon": .number(lon),
            ]
            encoder.append(Change(collection: .offer, id: UUIDString.random(using: &generator), team: ["nord", "sud"].randomElement(using: &generator) ?? "nord",
                                  stamp: Stamp(hlc: HLC(milliseconds: 1_779_500_000_000 + UInt64(index), counter: 0), replica: writer),
                                  operation: .set(fields)))
        }
        encoder.finish()
        let bytes = encoder.takeBytes()
        let whole = path("large.changeset")
        let cut = path("large-cut.changeset")
        try Data(bytes).write(to: URL(fileURLWithPath: whole))
        try Data(bytes.dropLast(40)).write(to: URL(fileURLWithPath: cut))
        func readIndexes() throws -> Int {
            let db = try Database(path: path("reads.db"), create: false, readOnly: true)
            defer { try? db.close() }
            return Int(try db.queryFirst("""
                SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN
                    ('records_by_group', 'records_by_point', 'records_remote', 'records_unlocated', 'records_by_building')
                """) { $0.int64(0) } ?? 0)
        }

        let before = try store.digest()
        let schema = try schemaVersion()
        XCTAssertThrowsError(try store.importChangeSet(path: cut), "seed \(seed)")
        XCTAssertEqual(try store.digest(), before, "seed \(seed): the failed import left nothing")
        XCTAssertEqual(try readIndexes(), 5, "seed \(seed): the failed import left the indexes")
        XCTAssertEqual(try schemaVersion(), schema, "seed \(seed): the failed import's drops were rolled back")

        XCTAssertEqual(try store.importChangeSet(path: whole).applied, 20_500)
        XCTAssertEqual(try schemaVersion(), schema + 6, "seed \(seed): three indexes dropped and built again")
        XCTAssertEqual(try readIndexes(), 5, "seed \(seed): the indexes were built again")
        all = try RecordCollection.allCases.flatMap { try store.records(in: $0) }
        for category in Self.categories {
            let expected = brute(.offer, category: category, status: "open")
            let page = try store.read(RecordQuery(.offer, category: category, status: "open", limit: 100))
            XCTAssertEqual(page.records.map(\.id), Array(expected.prefix(100)).map(\.id), "seed \(seed): \(category)")
            XCTAssertEqual(page.total, expected.count, "seed \(seed): \(category)")
        }
        XCTAssertTrue(try store.verifyDigest().wasRight, "seed \(seed): the digest kept by the bulk import")
    }

    /// A spreadsheet import of 20,500 offers takes the same bulk path (`importRows`): a bad last
    /// row leaves the indexes and records as they were; the whole file leaves reads equal to the
    /// scan.
    func testALargeSpreadsheetImportRebuildsTheReadIndexes() throws {
        let categories = ["groceries", "pets", "homework"]   // live here (custom-walks is only named by records)
        func rows(badLast: Bool) -> [ImportRow] {
            var generator = SeededGenerator(seed: seed ^ 0xc5f)
            return (0..<20_500).map { index in
                let category = badLast && index == 20_499 ? "no-such-category" : categories.randomElement(using: &generator) ?? "pets"
                return ImportRow(line: index + 2, id: nil, fields: [
                    "category": .text(category), "title": .text("Tableur \(index)"),
                    "lat": .number(45.70 + Double.random(in: 0...0.1, using: &generator)), "lon": .number(4.80),
                ])
            }
        }
        let before = try store.digest()
        var bad = rows(badLast: true).makeIterator()
        XCTAssertThrowsError(try store.importRows(.offer) { bad.next() }, "seed \(seed)")
        XCTAssertEqual(try store.digest(), before, "seed \(seed): the failed import left nothing")
        var good = rows(badLast: false).makeIterator()
        let schema = try schemaVersion()
        XCTAssertEqual(try store.importRows(.offer) { good.next() }.added, 20_500)
        XCTAssertEqual(try schemaVersion(), schema + 6, "seed \(seed): three indexes dropped and built again")
        all = try RecordCollection.allCases.flatMap { try store.records(in: $0) }
        for category in categories {
            let expected = brute(.offer, category: category, status: "open")
            let page = try store.read(RecordQuery(.offer, category: category, status: "open", limit: 100))
            XCTAssertEqual(page.records.map(\.id), Array(expected.prefix(100)).map(\.id), "seed \(seed): \(category)")
            XCTAssertEqual(page.total, expected.count, "seed \(seed): \(category)")
        }
        let near = try store.read(RecordQuery(.offer, near: Coordinate(lat: 45.75, lon: 4.80), within: 500, limit: 10))
        XCTAssertEqual(near.records.count, 10, "seed \(seed): the point index is back")
    }

    /// `status --verify`'s checks find a kept figure that is wrong (a file edited by hand),
    /// repair it, and find it right afterwards.
    func testVerifyRepairsAWrongKeptDigestAndPendingCount() throws {
        let digest = try store.digest()
        let pending = try store.pendingRecords()
        let db = try Database(path: path("reads.db"), create: false)
        try db.execute("UPDATE meta SET value = '1:2:3' WHERE key = 'digest'; UPDATE meta SET value = '12345' WHERE key = 'pending';")
        try db.close()
        XCTAssertNotEqual(try store.digest(), digest)
        XCTAssertEqual(try store.pendingRecords(), 12_345)
        XCTAssertFalse(try store.verifyDigest().wasRight)
        XCTAssertEqual(try store.digest(), digest, "repaired")
        XCTAssertTrue(try store.verifyDigest().wasRight)
        XCTAssertFalse(try store.verifyPending())
        XCTAssertEqual(try store.pendingRecords(), pending, "repaired")
        XCTAssertTrue(try store.verifyPending())
    }

    func testBuildingsEqualTheScan() throws {
        for address in Self.addresses {
            let key = try XCTUnwrap(AddressKey.make(address))
            let expected = brute(.request, category: nil, status: nil).filter { $0.place.buildingKey == key }
            XCTAssertEqual(try store.read(RecordQuery(.request, building: key)).records.map(\.id), expected.map(\.id), "seed \(seed)")
        }
    }

    func testMatchForEveryRequestEqualsTheScan() throws {
        var ranked = 0
        defer { XCTAssertGreaterThan(ranked, 100, "seed \(seed): the data gives the ranking something to rank") }
        for request in brute(.request, category: nil, status: nil) {
            let offers = brute(.offer, category: request.text("category"), status: "open")
            for within in [nil, 500.0] {
                let expected = Matching.rank(request: request.place, offers: offers.map { ($0.id, $0.place) }, within: within)
                ranked += expected.count
                for limit in [nil, 1, 5] {
                    let page = try store.match(request, within: within, limit: limit)
                    XCTAssertEqual(page.candidates, Array(expected.prefix(limit ?? .max)),
                                   "seed \(seed): match \(request.id) within \(String(describing: within)) limit \(String(describing: limit))")
                    XCTAssertEqual(page.total, expected.count, "seed \(seed): match \(request.id) within \(String(describing: within))")
                    XCTAssertEqual(Set(page.offers.keys), Set(page.candidates.map(\.id)))
                }
            }
        }
    }
}
