import BoucleCore
import BoucleStore
import Foundation
import SQLite

/// The read phases (`boucle status`, `list` with filters, `list --near`, `match`, `show` on
/// the imported replica of N offers) and the spreadsheet import, each timed as whole `boucle`
/// processes, as a person runs them.
///
/// Each read runs `runs` times and reports its median; beside it, its floor: the same query
/// through the `sqlite3` shell (a whole process too) on the floor's plain table of the same
/// offers, with the indexes such a query wants.
enum ReadPhases {
    static let runs = 7
    /// Where `list --near` and the matched request stand: Lyon's Place Bellecour.
    static let center = (lat: 45.7578, lon: 4.8320)
    static let within = 300
    /// The category the list and the matched request ask for.
    static let category = "pets"

    /// One read: `boucle`'s arguments after `--replica`, and the floor's SQL.
    struct Read {
        let arguments: [String]
        let floorSQL: String
    }

    /// The floor table's indexes, made once before the first read (not timed).
    static let floorIndexes = """
        CREATE INDEX IF NOT EXISTS offers_by_group ON offers(category, status, id);
        CREATE INDEX IF NOT EXISTS offers_by_point ON offers(lat, lon);
        CREATE INDEX IF NOT EXISTS offers_by_category_point ON offers(category, status, lat, lon);
        """

    static func read(_ phase: Phase, _ workload: Workload, _ folder: BenchFolder) throws -> Read {
        // A box of `meters` around the center, and the squared equirectangular distance: what a
        // spatial query without our code would do.
        func box(_ meters: Double) -> String {
            let dLat = meters / 111_320
            let dLon = dLat / cos(center.lat * .pi / 180)
            return "lat BETWEEN \(center.lat - dLat) AND \(center.lat + dLat) AND lon BETWEEN \(center.lon - dLon) AND \(center.lon + dLon)"
        }
        let distance = "(lat - \(center.lat)) * (lat - \(center.lat)) + (lon - \(center.lon)) * (lon - \(center.lon)) * 0.49"
        switch phase {
        case .readStatus:
            return Read(arguments: ["status"], floorSQL: "SELECT count(*) FROM offers;")
        case .readList:
            return Read(arguments: ["list", "offer", "--category", category, "--status", OfferRecord.status],
                        floorSQL: "SELECT id, category, title, address FROM offers WHERE category = '\(category)' AND status = 'open' ORDER BY id LIMIT 50;")
        case .readNear:
            return Read(arguments: ["list", "offer", "--near", "\(center.lat),\(center.lon)", "--within", String(within)],
                        floorSQL: "SELECT id, category, title, address FROM offers WHERE \(box(Double(within))) ORDER BY \(distance) LIMIT 50;")
        case .readMatch:
            return Read(arguments: ["match", try matchedRequest(folder).rawValue],
                        floorSQL: "SELECT id, title, address FROM offers WHERE category = '\(category)' AND status = 'open' AND \(box(1_000)) ORDER BY \(distance) LIMIT 50;")
        case .readShow:
            let id = workload.record(workload.records / 2).id.rawValue
            return Read(arguments: ["show", id], floorSQL: "SELECT * FROM offers WHERE id = '\(id)';")
        default:
            throw BenchError("\(phase.rawValue) is not a read phase")
        }
    }

    /// Runs `phase`'s read and its floor `runs` times each, alternating; `seconds` is the
    /// read's median, `floor_seconds` the floor's.
    static func run(_ phase: Phase, _ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let read = try read(phase, workload, folder)
        let floorDB = try Database(path: folder.floor, create: false)
        try floorDB.execute(floorIndexes)
        try floorDB.close()
        let boucle = try ChildProcess.clientExecutable()
        let shell = try ChildProcess.sqliteShell()
        var times: [Double] = []
        var floorTimes: [Double] = []
        for _ in 0..<runs {
            times.append(try Spawn.run(boucle, ["--replica", folder.imported] + read.arguments, what: "boucle \(read.arguments[0])").seconds)
            floorTimes.append(try Spawn.run(shell, ["-readonly", folder.floor, read.floorSQL], what: "sqlite3").seconds)
        }
        return PhaseResult(phase: phase, records: workload.records, seconds: Percentile.median(times), extras: [
            "floor_seconds": Percentile.median(floorTimes), "min_seconds": times.min() ?? 0, "max_seconds": times.max() ?? 0,
            "runs": Double(runs),
        ])
    }

    /// The request `match` ranks offers for: an open request of `category` at the center, added
    /// to the imported replica by the first match run (not timed) and found again by the next.
    private static func matchedRequest(_ folder: BenchFolder) throws -> UUIDString {
        let store = try ReplicaStore.open(at: folder.imported)
        defer { try? store.close() }
        if let existing = try store.records(in: .request).first { return existing.id }
        let outcome = try store.perform(.create(.request, id: nil, fields: [
            "category": .text(category), "title": .text("Garder un chat une semaine"),
            "lat": .number(center.lat), "lon": .number(center.lon),
        ]))
        return outcome.id
    }

    /// `boucle import-csv offer` of the workload as a spreadsheet (written first, not timed)
    /// into a new replica, as a whole process: its wall time and its peak RSS.
    static func csvImport(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let bytes = try workload.writeSpreadsheet(to: folder.spreadsheet)
        try ReplicaStore.create(at: folder.spreadsheetReplica, team: Workload.team).close()
        let run = try Spawn.run(try ChildProcess.clientExecutable(),
                                ["--replica", folder.spreadsheetReplica, "import-csv", "offer", folder.spreadsheet], what: "boucle import-csv")
        var result = PhaseResult(phase: .csvImport, records: workload.records, seconds: run.seconds, extras: ["file_bytes": Double(bytes)])
        result.peakRSSBytes = run.peakRSSBytes
        return result
    }

    /// `boucle-server import` of the workload file into tenant `bench` of a new database, as a
    /// whole process (the tenant is created first, outside the clock).
    static func serverImport(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ChildProcess.serverExecutable()
        _ = try Spawn.run(server, ["--db", folder.importedServerDatabase, "tenant", "create", "bench"], what: "boucle-server tenant create")
        let run = try Spawn.run(server, ["--db", folder.importedServerDatabase, "import", folder.workload, "--tenant", "bench"],
                                what: "boucle-server import")
        var result = PhaseResult(phase: .serverImport, records: workload.records, seconds: run.seconds)
        result.peakRSSBytes = run.peakRSSBytes
        return result
    }
}
