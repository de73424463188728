import BoucleCore
import Foundation

/// One offer of the workload: an id, its six text fields, its status (open) and its point.
struct OfferRecord {
    let id: UUIDString
    let category: String
    let title: String
    let details: String
    let address: String
    let contactName: String
    let phone: String
    let lat: Double
    let lon: Double

    static let status = "open"

    /// The fields, as a replica stores them.
    var fields: [String: FieldValue] {
        ["category": .text(category), "title": .text(title), "details": .text(details),
         "address": .text(address), "contact_name": .text(contactName), "phone": .text(phone),
         "status": .text(Self.status), "lat": .number(lat), "lon": .number(lon)]
    }
}

/// The one workload every phase shares: `records` open offers of six text fields and a point
/// in Lyon (the box `Workload.area`), written by one
/// "origin" replica of team `bench`, every value a function of `(seed, index)` alone.
///
/// Each record draws from its own `SeededGenerator`, so any record can be rebuilt on its own
/// (the incremental phase picks records by index without reading the file back), and every
/// process of a run sees the same records.
struct Workload: Sendable {
    static let team = "bench"
    static let tenant = "bench"
    /// The stamps start on 2025-01-01T00:00:00Z, one millisecond apart: in the past, so that
    /// the server's clock guard accepts them, and the same in every run.
    static let firstMilliseconds: UInt64 = 1_735_689_600_000

    /// Where the offers lie: latitudes and longitudes of Lyon and Villeurbanne.
    static let area = (lat: 45.70...45.82, lon: 4.77...4.92)

    let records: Int
    let seed: UInt64
    /// The replica that wrote the workload's change-set.
    let origin: UUIDString

    init(records: Int, seed: UInt64) {
        self.records = records
        self.seed = seed
        var generator = SeededGenerator(seed: seed ^ 0x6f72_6967_696e)   // "origin"
        origin = UUIDString.random(using: &generator)
    }

    /// Record `index` (0-based).
    func record(_ index: Int) -> OfferRecord {
        // SplitMix64 mixes its state well: seeds one golden-ratio step apart give unrelated streams.
        var generator = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9e37_79b9_7f4a_7c15 &+ 1)
        let id = UUIDString.random(using: &generator)
        let category = FrenchText.pick(Categories.defaults.map(\.slug), &generator)
        return OfferRecord(
            id: id, category: category,
            title: FrenchText.title(category: category, using: &generator),
            details: FrenchText.details(using: &generator),
            address: FrenchText.address(using: &generator),
            contactName: FrenchText.contactName(using: &generator),
            phone: FrenchText.phone(using: &generator),
            lat: (Double.random(in: Workload.area.lat, using: &generator) * 1e5).rounded() / 1e5,
            lon: (Double.random(in: Workload.area.lon, using: &generator) * 1e5).rounded() / 1e5
        )
    }

    /// Record `index` as the one set change its writer made.
    func change(_ index: Int) -> Change {
        let record = record(index)
        let stamp = Stamp(hlc: HLC(milliseconds: Workload.firstMilliseconds + UInt64(index), counter: 0), replica: origin)
        return Change(collection: .offer, id: record.id, team: Workload.team, stamp: stamp, operation: .set(record.fields))
    }

    /// Writes the workload as one change-set file (Protocol/SPEC.md §4), streamed to disk in
    /// 64 KiB pieces; returns its size in bytes.
    func writeChangeSet(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchError("cannot write the workload to \(path): check the folder is writable") }
        defer { try? handle.close() }
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: Workload.tenant, origin: origin))
        var size = 0
        func drain() throws {
            let bytes = encoder.takeBytes()
            size += bytes.count
            try handle.write(contentsOf: bytes)
        }
        for index in 0..<records {
            encoder.append(change(index))
            if encoder.pendingByteCount >= 1 << 16 { try drain() }
        }
        encoder.finish()
        try drain()
        try handle.synchronize()
        return size
    }

    /// Writes the workload as `boucle import-csv offer` reads it (the columns of `boucle
    /// export-csv offer`, no id: each row adds an offer), in 64 KiB pieces; returns its size.
    func writeSpreadsheet(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchError("cannot write the spreadsheet to \(path): check the folder is writable") }
        defer { try? handle.close() }
        let columns = ["category", "title", "details", "address", "lat", "lon", "status", "contact_name", "phone"]
        var bytes: [UInt8] = []
        var size = 0
        CSV.appendRow(columns, to: &bytes)
        for index in 0..<records {
            let record = record(index)
            CSV.appendRow([record.category, record.title, record.details, record.address, FieldValue.number(record.lat).display,
                           FieldValue.number(record.lon).display, OfferRecord.status, record.contactName, record.phone], to: &bytes)
            if bytes.count >= 1 << 16 || index == records - 1 {
                size += bytes.count
                try handle.write(contentsOf: bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
        return size
    }
}
