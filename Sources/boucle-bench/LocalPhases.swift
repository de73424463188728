import BoucleCore
import BoucleStore
import Foundation
import SQLite

/// The phases that need no server: the SQLite floor, the import and the export.
enum LocalPhases {
    /// Raw SQLite writing the workload's records into a plain table (an id, the six text
    /// columns, the status and the point), one row per record, with one prepared statement in one transaction, under the
    /// store's pragmas (`ReplicaStore.pragmas`: WAL, `synchronous=FULL`, the same page cache).
    /// Records are built in batches of 1,000 outside the clock: only binding, stepping and the
    /// commit are timed.
    static func sqliteFloor(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let db = try Database(path: folder.floor)
        defer { try? db.close() }
        try db.execute(ReplicaStore.pragmas)
        try db.execute("""
            CREATE TABLE offers(id TEXT PRIMARY KEY, category TEXT, title TEXT, details TEXT, address TEXT,
                                contact_name TEXT, phone TEXT, status TEXT, lat REAL, lon REAL)
            """)
        let insert = try db.statement(
            "INSERT INTO offers(id, category, title, details, address, contact_name, phone, status, lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        var building = 0.0
        var buildingCPU = 0.0
        let clock = Stopwatch()
        try db.transaction {
            var start = 0
            while start < workload.records {
                let built = Stopwatch()
                let batch = (start..<min(start + 1_000, workload.records)).map(workload.record)
                building += built.seconds
                buildingCPU += built.cpuSeconds
                for record in batch {
                    let columns = [record.id.rawValue, record.category, record.title, record.details, record.address,
                                   record.contactName, record.phone, OfferRecord.status]
                    for (index, text) in columns.enumerated() { try insert.bind(.text(text), at: Int32(index + 1)) }
                    try insert.bind(.real(record.lat), at: 9)
                    try insert.bind(.real(record.lon), at: 10)
                    while try insert.step() {}
                    try insert.reset()
                }
                start += batch.count
            }
        }
        return PhaseResult(phase: .sqliteFloor, records: workload.records, seconds: clock.seconds - building,
                           extras: ["cpu_seconds": clock.cpuSeconds - buildingCPU])
    }

    /// `ReplicaStore.importChangeSet(path:)` of the workload file into a new, empty replica.
    static func localImport(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let store = try ReplicaStore.create(at: folder.imported, team: Workload.team)
        defer { try? store.close() }
        let clock = Stopwatch()
        let summary = try store.importChangeSet(path: folder.workload)
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        guard summary.applied == workload.records else {
            throw BenchError("local-import applied \(summary.applied) changes, expected \(workload.records)")
        }
        return PhaseResult(phase: .localImport, records: workload.records, seconds: seconds, extras: ["cpu_seconds": cpu])
    }

    /// Raw SQLite writing, into a new replica emptied of its rows, the rows `local-import` left in the imported
    /// one, column for column (the encoded fields, the read columns), with one prepared statement
    /// in one transaction, under the store's pragmas. As a large import does, the three wide read
    /// indexes are dropped first and built again before the commit; the id, sequence, remote and
    /// unlocated indexes take each row. Rows are read from the imported replica in batches of
    /// 1,000 outside the clock: only binding, stepping, the index builds and the commit are
    /// timed. No change is decoded, no count or digest kept: what is left is SQLite's own work
    /// for a replica's rows, the most an import or a clone can reach.
    static func replicaFloor(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        try ReplicaStore.create(at: folder.replicaFloor, team: Workload.team).close()
        let source = try Database(path: folder.imported, create: false, readOnly: true)
        defer { try? source.close() }
        let db = try Database(path: folder.replicaFloor, create: false)
        defer { try? db.close() }
        try db.execute(ReplicaStore.pragmas)
        // A new replica holds its default categories, which the imported one holds too.
        try db.execute("DELETE FROM records")
        let wideIndexes = try db.query("""
            SELECT name, sql FROM sqlite_master
                WHERE type = 'index' AND name IN ('records_by_group', 'records_by_point', 'records_by_building')
            """) { (name: $0.text(0) ?? "", sql: $0.text(1) ?? "") }
        guard wideIndexes.count == 3 else { throw BenchError("replica-floor: a new replica has \(wideIndexes.count) of its 3 wide read indexes") }
        let read = try source.statement("""
            SELECT rowid, scope, id, collection, team, deleted, deleted_prev, fields, seq, category, status, lat, lon, remote, building, cell
                FROM records WHERE rowid > ? ORDER BY rowid LIMIT 1000
            """)
        let insert = try db.statement("""
            INSERT INTO records(scope, id, collection, team, deleted, deleted_prev, fields, seq, category, status, lat, lon, remote, building, cell)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var reading = 0.0
        var readingCPU = 0.0
        var written = 0
        var indexing = 0.0
        let clock = Stopwatch()
        try db.transaction {
            try db.execute(wideIndexes.map { "DROP INDEX \($0.name);" }.joined())
            var after: Int64 = 0
            while true {
                let batchClock = Stopwatch()
                var batch: [[SQLValue]] = []
                try read.forEachRow(binding: [.integer(after)]) {
                    after = read.int64(0)
                    batch.append((1...Int32(15)).map { read.value($0) })
                }
                reading += batchClock.seconds
                readingCPU += batchClock.cpuSeconds
                guard !batch.isEmpty else { break }
                for row in batch {
                    try insert.bind(row)
                    while try insert.step() {}
                    try insert.reset()
                }
                written += batch.count
            }
            let indexClock = Stopwatch()
            try db.execute(wideIndexes.map { $0.sql + ";" }.joined())
            indexing = indexClock.seconds
        }
        guard written >= workload.records else {
            throw BenchError("replica-floor wrote \(written) rows, expected \(workload.records)")
        }
        return PhaseResult(phase: .replicaFloor, records: written, seconds: clock.seconds - reading,
                           extras: ["cpu_seconds": clock.cpuSeconds - readingCPU, "index_seconds": indexing])
    }

    /// `ReplicaStore.exportChangeSet(all: true, path:)` of the imported replica.
    static func export(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let store = try ReplicaStore.open(at: folder.imported)
        defer { try? store.close() }
        let clock = Stopwatch()
        let summary = try store.exportChangeSet(all: true, path: folder.exported)
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        guard summary.records >= workload.records else {
            throw BenchError("export wrote \(summary.records) records, expected at least \(workload.records)")
        }
        var extras = ["cpu_seconds": cpu]
        if let bytes = (try? FileManager.default.attributesOfItem(atPath: folder.exported)[.size]) as? Int {
            extras["file_bytes"] = Double(bytes)
        }
        return PhaseResult(phase: .export, records: summary.records, seconds: seconds, extras: extras)
    }
}
