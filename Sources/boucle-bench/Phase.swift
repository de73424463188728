import BoucleCore
import Foundation

/// The phases of the bench, in the order a run goes through them.
enum Phase: String, CaseIterable, Sendable {
    /// Raw SQLite writing the same records, one row each, in one transaction: the floor.
    case sqliteFloor = "sqlite-floor"
    /// The workload's change-set file imported into an empty replica.
    case localImport = "local-import"
    /// Raw SQLite writing the rows that import left, as they are, into another empty replica,
    /// its wide read indexes built at the end as a large import builds them: what SQLite alone
    /// takes to write a replica, the bound of `local-import` and `clone`.
    case replicaFloor = "replica-floor"
    /// That replica's whole state exported to a change-set file.
    case export
    /// That replica's records pushed to a running `boucle-server`.
    case push
    /// A new empty replica pulling everything from the server.
    case clone
    /// The same, over HTTPS through nginx as the README deploys it (skipped without nginx and
    /// openssl).
    case httpsClone = "https-clone"
    /// 10 records changed in one replica holding N, synced into another holding N.
    case incremental
    /// 50 clients each pushing 20 changes and pulling, at once.
    case concurrent
    /// `boucle import-csv` of the workload as a spreadsheet into a new replica (a whole process).
    case csvImport = "import-csv"
    /// `boucle-server import` of the workload's change-set file into a new tenant of a new
    /// database (a whole process, as the city imports a file carried in from the field).
    case serverImport = "server-import"
    /// The reads, each as whole `boucle` processes on the imported replica beside its floor
    /// through the `sqlite3` shell: `status`, `list` by category and status, `list --near`,
    /// `match` of a request, `show` of one offer.
    case readStatus = "status"
    case readList = "list"
    case readNear = "near"
    case readMatch = "match"
    case readShow = "show"

    /// The phases this one needs: those whose files it starts from, and the floor.
    var prerequisites: [Phase] {
        switch self {
        case .sqliteFloor, .concurrent, .csvImport: []
        case .localImport: [.sqliteFloor]
        case .replicaFloor, .export, .push, .serverImport: [.localImport]
        case .readStatus, .readList, .readNear, .readMatch, .readShow: [.localImport]
        case .clone: [.push]
        case .httpsClone: [.clone]
        case .incremental: [.clone]
        }
    }

    /// A phase timed as a whole child process of its own (`boucle` or `boucle-server`), which
    /// reports that process's peak memory rather than the bench child's.
    var runsItsOwnProcess: Bool { self == .csvImport || self == .serverImport }

    var needsServer: Bool { [.push, .clone, .httpsClone, .incremental, .concurrent].contains(self) }

    static let reads: [Phase] = [.readStatus, .readList, .readNear, .readMatch, .readShow]
    var isRead: Bool { Phase.reads.contains(self) }

    /// `phases` and everything they start from, in run order.
    static func plan(_ phases: [Phase]) -> [Phase] {
        var needed = Set<Phase>()
        func add(_ phase: Phase) {
            guard needed.insert(phase).inserted else { return }
            phase.prerequisites.forEach(add)
        }
        phases.forEach(add)
        return allCases.filter(needed.contains)
    }
}

/// What one phase measured. `extras` are phase-specific numbers (`p50_seconds`, …) written
/// as they are into the JSON line.
struct PhaseResult: Sendable {
    let phase: Phase
    /// The records the timed work handled (changes for `incremental` and `concurrent`).
    let records: Int
    let seconds: Double
    /// The peak RSS of the process that ran the phase (the bench's child), in bytes.
    var peakRSSBytes: Int?
    var extras: [String: Double] = [:]

    var perSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }

    /// The phase's JSON line: `name`, `records`, `seconds`, `per_second`,
    /// `peak_rss_bytes` when measured, and the extras.
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(phase.rawValue), "records": .number(Double(records)),
            "seconds": .number(Self.rounded(seconds)), "per_second": .number(perSecond.rounded()),
        ]
        if let peakRSSBytes { object["peak_rss_bytes"] = .number(Double(peakRSSBytes)) }
        for (key, value) in extras { object[key] = .number(key.hasSuffix("seconds") ? Self.rounded(value) : value) }
        return .object(object)
    }

    /// Reads the line a child process printed.
    init(json: JSONValue) throws {
        guard let name = json["name"]?.stringValue, let phase = Phase(rawValue: name),
              let records = json["records"]?.numberValue, let seconds = json["seconds"]?.numberValue
        else { throw BenchError("a phase's child process printed an unexpected result line") }
        self.phase = phase
        self.records = Int(records)
        self.seconds = seconds
        peakRSSBytes = json["peak_rss_bytes"]?.numberValue.map { Int($0) }
        for (key, value) in json.objectValue ?? [:] where !PhaseResult.baseKeys.contains(key) {
            if let number = value.numberValue { extras[key] = number }
        }
    }

    init(phase: Phase, records: Int, seconds: Double, extras: [String: Double] = [:]) {
        self.phase = phase
        self.records = records
        self.seconds = seconds
        self.extras = extras
    }

    private static let baseKeys: Set<String> = ["name", "records", "seconds", "per_second", "peak_rss_bytes"]

    /// Microsecond resolution: enough, and short lines.
    private static func rounded(_ seconds: Double) -> Double { (seconds * 1e6).rounded() / 1e6 }
}

/// The files of one run, all in one temporary folder.
struct BenchFolder: Sendable {
    let path: String

    var workload: String { path + "/workload.changeset" }
    var floor: String { path + "/floor.sqlite" }
    var replicaFloor: String { path + "/floor.replica" }
    /// The replica the workload is imported into; it pushes, and makes the incremental edits.
    var imported: String { path + "/imported.replica" }
    var exported: String { path + "/exported.changeset" }
    /// The replica that clones from the server, then receives the incremental edits.
    var cloned: String { path + "/cloned.replica" }
    /// The replica that clones over HTTPS; the proxy's URL and the authority that signed its
    /// certificate.
    var clonedOverHTTPS: String { path + "/cloned-https.replica" }
    var httpsURL: String { path + "/https-url" }
    var authority: String { path + "/authority.pem" }
    var crowd: String { path + "/crowd" }
    /// The workload as a spreadsheet, and the replica it is imported into.
    var spreadsheet: String { path + "/offers.csv" }
    var spreadsheetReplica: String { path + "/spreadsheet.replica" }
    /// The database `boucle-server import` merges the workload into.
    var importedServerDatabase: String { path + "/imported-server.sqlite" }
    var serverDatabase: String { path + "/server.sqlite" }
    var serverLog: String { path + "/server.log" }
    /// The running server's URL and tokens, for the child processes (kept out of `ps`).
    var serverSettings: String { path + "/server.json" }
}

/// The running server as the child processes see it.
struct ServerSettings: Sendable {
    let url: String
    /// An admin token of tenant and team `bench` (it relays the workload's writer).
    let token: String
    /// A coordinator token of tenant and team `crowd`, for the concurrent clients.
    let crowdToken: String

    func write(to path: String) throws {
        let json = JSONWriter.encode(.object(["url": .string(url), "token": .string(token), "crowd_token": .string(crowdToken)]))
        guard FileManager.default.createFile(atPath: path, contents: Data(json), attributes: [.posixPermissions: 0o600]) else {
            throw BenchError("cannot write \(path)")
        }
    }

    static func read(from path: String) throws -> ServerSettings {
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONParser.parse([UInt8](data)),
              let url = json["url"]?.stringValue, let token = json["token"]?.stringValue,
              let crowdToken = json["crowd_token"]?.stringValue
        else { throw BenchError("no running server described in \(path): this phase needs one (run it through boucle-bench)") }
        return ServerSettings(url: url, token: token, crowdToken: crowdToken)
    }
}
