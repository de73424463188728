import ArgumentParsing
import BoucleCore
import BoucleProtocol
import BoucleStore
import Dispatch
import Foundation
import HTTPCodec
import Networking

/// The `boucle-server` command line: serving, tenants and tokens, imports and backups.
public enum ServerCLI {
    public static let version = "0.1.0"

    /// The database when `--db` names none.
    static let defaultDatabase = "boucle-server.db"
    static let database = OptionSpec.value("--db", "PATH", help: "the server database (default: ./\(defaultDatabase))")
    static let globalOptions: [OptionSpec] = [database]

    public static let tool = CommandLineTool(
        program: "boucle-server", version: version,
        about: [
            "The city's Boucle server: every association's and volunteer's replica meets here.",
            "HTTP/1.1 on loopback by default; put a reverse proxy in front for TLS (see README).",
        ],
        globalOptions: globalOptions,
        commands: [serve, tenantCreate, tokenCreate, tokenList, tokenRevoke, importFile, backup, compact, stats],
        describe: describe
    )

    /// How `boucle-server` words the store's facts.
    static func describe(_ error: Error) -> String {
        switch error {
        case StoreError.noTenant(let name):
            "\(error): create it with `boucle-server tenant create \(name.prefix(40))`"
        case StoreError.clockAhead:
            "\(error); nothing was imported: the clock of the laptop that wrote the file is wrong (or pass a larger --max-clock-ahead)"
        case StoreError.otherFormat:
            "\(error): serve it with the version of boucle-server that made it, and let clients sync to a new database"
        default:
            "\(error)"
        }
    }

    /// Runs `boucle-server` with `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 { tool.run(arguments) }

    static func databasePath(_ arguments: ParsedArguments) -> String {
        arguments.value(database) ?? defaultDatabase
    }

    static func openStore(_ arguments: ParsedArguments) throws -> ServerStore {
        try ServerStore(path: databasePath(arguments))
    }

    /// Where `serve` listens unless told.
    static let defaultListen = "127.0.0.1:8080"
    static let listen = OptionSpec.value("--listen", "HOST:PORT", help: "where to listen (default: \(defaultListen); port 0 picks a free one)")
    static let maxConnections = OptionSpec.value("--max-connections", "N", help: "connections served at once (default: \(ServerLimits.defaultMaxConnections))")
    static let maxBody = OptionSpec.value("--max-body", "BYTES", help: "the largest request body (default: \(HTTPLimits.defaultMaxBodyBytes))")
    static let retention = OptionSpec.value("--tombstone-retention", "DURATION",
                                            help: "how long deletions are remembered (default: \(Duration.option(SyncDefaults.tombstoneRetention)); s, m, h or d)")
    static let maxClockAhead = OptionSpec.value("--max-clock-ahead", "DURATION",
                                                help: "refuse changes stamped further ahead of this server's clock (default: \(Duration.option(SyncDefaults.maxClockAhead)))")
    static let timeout = OptionSpec.value("--timeout", "DURATION",
                                          help: "a request must arrive whole, and its answer be sent, within this (default: \(Duration.option(UInt64(ServerLimits.defaultRequestTimeout * 1000))))")
    static let operatorTokenFile = OptionSpec.value("--operator-token-file", "FILE",
                                                    help: "a file holding the operator's token, who reads every tenant's /v1/metrics (at least 32 characters; not readable by others)")
    static let pageRecords = OptionSpec.value("--page-records", "N",
                                              help: "records per pulled page unless the client asks fewer (default and most: \(SyncDefaults.maxPageRecords))")

    static let serve = Command(CommandSpec(
        "serve", summary: "Serve the sync protocol over HTTP/1.1 until SIGTERM or SIGINT.",
        options: [listen, maxConnections, maxBody, retention, maxClockAhead, pageRecords, timeout, operatorTokenFile],
        examples: ["boucle-server serve --db /var/lib/boucle/boucle-server.db --listen 127.0.0.1:8080"]
    )) { arguments in
        let text = arguments.value(listen) ?? defaultListen
        guard let address = SocketAddress(text) else { throw UsageError("--listen takes HOST:PORT, e.g. \(defaultListen)") }
        var limits = ServerLimits()
        if let value = arguments.value(maxConnections) {
            guard let number = Int(value), number > 0 else { throw UsageError("--max-connections takes a number above 0") }
            limits.maxConnections = number
        }
        if let value = arguments.value(maxBody) {
            guard let number = Int(value), number > 0 else { throw UsageError("--max-body takes a number of bytes above 0") }
            limits.http.maxBodyBytes = number
        }
        if arguments.has(timeout) {
            let seconds = Double(try duration(arguments, timeout, default: 0)) / 1000
            limits.requestTimeout = seconds
            limits.responseTimeout = seconds
        }
        let retentionTime = try duration(arguments, retention, default: SyncDefaults.tombstoneRetention)
        let clockAhead = try duration(arguments, maxClockAhead, default: SyncDefaults.maxClockAhead)
        var recordsPerPage = SyncDefaults.maxPageRecords
        if let value = arguments.value(pageRecords) {
            guard let number = Int(value), (1...SyncDefaults.maxPageRecords).contains(number) else {
                throw UsageError("--page-records takes a number from 1 to \(SyncDefaults.maxPageRecords)")
            }
            recordsPerPage = number
        }
        let path = databasePath(arguments)
        // Block SIGTERM and SIGINT before any thread starts, so that every thread inherits the
        // mask and a signal sent at any moment waits, pending, for the thread that `sigwait`s it.
        let stopSignals = StopSignals()
        _ = try ServerStore(path: path)   // fail now, before listening, if the database is unusable
        let operatorToken = try arguments.value(operatorTokenFile).map(readOperatorToken)
        let service = BoucleService(databasePath: path, maxClockAhead: clockAhead, pageRecords: recordsPerPage, operatorToken: operatorToken)
        let box = ServerBox()
        let server: HTTPServer
        do {
            server = try HTTPServer(
                listen: address, limits: limits,
                makeHandler: { service.makeHandler(openConnections: { box.server?.openConnections ?? 0 }) },
                record: { entry in
                    service.metrics.request(status: entry.status, tenant: entry.tenant)
                    RequestLog.write(entry)
                }
            )
        } catch let error as SocketError {
            throw CommandFailure("cannot listen on \(address): \(String(cString: strerror(error.code))) (is the address this machine's, and the port free?)")
        }
        box.server = server
        stopSignals.onSignal {
            StandardStreams.err("boucle-server: stopping: finishing requests in flight\n")
            server.stop()
        }
        StandardStreams.out("boucle-server \(version) listening on \(server.boundAddress) (database \(path))\n")
        Compactor.start(databasePath: path, retention: retentionTime)
        Eraser.start(databasePath: path, metrics: service.metrics)
        server.run()
        StandardStreams.err("boucle-server: stopped\n")
    }

    /// The operator's token, read from its file: one line of at least 32 characters, in a file
    /// that other users cannot read (the same file a Prometheus scrape can use as its
    /// `credentials_file`).
    static func readOperatorToken(_ path: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0, let contents = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read the operator token file \(path)")
        }
        guard status.st_mode & S_IROTH == 0 else {
            throw CommandFailure("the operator token file \(path) is readable by every user: run `chmod o-r \(path)`")
        }
        let token = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 32, !token.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw CommandFailure("the operator token file \(path) must hold one token of at least 32 characters, e.g. from `openssl rand -hex 32`")
        }
        return token
    }

    /// A duration option (`90d`, `5m`), or its default.
    static func duration(_ arguments: ParsedArguments, _ option: OptionSpec, default value: UInt64) throws -> UInt64 {
        guard let text = arguments.value(option) else { return value }
        guard let milliseconds = Duration.parse(text) else {
            throw UsageError("\(option.name) takes a whole number and a unit, s, m, h or d, e.g. 90d or 5m")
        }
        return milliseconds
    }

    static let compact = Command(CommandSpec(
        "compact", summary: "Purge tombstones older than the retention; safe while the server runs.",
        options: [retention]
    )) { arguments in
        let retentionTime = try duration(arguments, retention, default: SyncDefaults.tombstoneRetention)
        let result = try openStore(arguments).compact(retention: retentionTime)
        var lines = ["purged \(Plural.count(result.purged, "tombstone")) received more than \(Duration.describe(retentionTime)) ago"]
        for (tenant, horizon) in result.horizons.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(tenant): horizon \(horizon.sequence)")
        }
        StandardStreams.out(lines.joined(separator: "\n") + "\n")
    }

    static let tenantCreate = Command(CommandSpec(
        "tenant create", summary: "Create a tenant: a city or a grouping of towns.",
        positionals: [PositionalSpec("NAME", help: "a slug, e.g. lyon")]
    )) { arguments in
        try openStore(arguments).createTenant(arguments.positionals[0])
        StandardStreams.out("created tenant \(arguments.positionals[0])\n")
    }

    /// `--tenant T`, required by the commands that work in one tenant.
    static let tenant = OptionSpec.value("--tenant", "T", help: "the tenant", required: true)
    static let team = OptionSpec.value("--team", "TEAM", help: "the team whose records it writes", required: true)
    static let role = OptionSpec.value("--role", "ROLE", help: "field (writes its team's records), coordinator (also deletes them) or admin (anything in the tenant)", required: true)
    static let tenantFilter = OptionSpec.value("--tenant", "T", help: "only this tenant's tokens")
    static let json = OptionSpec.flag("--json", help: "print JSON instead of text")

    static let tokenCreate = Command(CommandSpec(
        "token create", summary: "Create a bearer token and print it once (only its hash is kept).",
        options: [tenant, team, role],
        examples: ["boucle-server token create --tenant lyon --team maraude-nord --role field"]
    )) { arguments in
        guard let role = Role(rawValue: try arguments.required(role)) else { throw UsageError("--role is field, coordinator or admin") }
        let token = try openStore(arguments).createToken(tenant: try arguments.required(tenant), team: try arguments.required(team), role: role)
        StandardStreams.out(token + "\n")
    }

    static let tokenList = Command(CommandSpec(
        "token list", summary: "List tokens (never their secrets).",
        options: [tenantFilter]
    )) { arguments in
        let tokens = try openStore(arguments).tokens(tenant: arguments.value(tenantFilter))
        let lines = tokens.map { token in
            "\(token.id)  tenant \(token.tenant)  team \(token.team)  \(token.role.rawValue)  created \(WallTime.iso8601(token.createdAt))"
                + (token.revokedAt.map { "  revoked \(WallTime.iso8601($0))" } ?? "")
        }
        StandardStreams.out(tokens.isEmpty ? "no tokens\n" : lines.joined(separator: "\n") + "\n")
    }

    static let tokenRevoke = Command(CommandSpec(
        "token revoke", summary: "Revoke a token: it is refused from the next request on.",
        positionals: [PositionalSpec("ID", help: "the token's id, as `token list` shows it")]
    )) { arguments in
        let id = arguments.positionals[0]
        guard try openStore(arguments).revokeToken(id) else { throw CommandFailure("no live token \(id.prefix(20)) (see `boucle-server token list`)") }
        StandardStreams.out("revoked token \(id)\n")
    }

    static let importFile = Command(CommandSpec(
        "import", summary: "Merge a change-set file carried in from the field into a tenant.",
        positionals: [PositionalSpec("FILE", help: "a change-set file written by `boucle export`")],
        options: [tenant, maxClockAhead]
    )) { arguments in
        let tenant = try arguments.required(tenant)
        let path = arguments.positionals[0]
        let result = try openStore(arguments).importChangeSet(path: path, tenant: tenant,
                                                              maxClockAhead: try duration(arguments, maxClockAhead, default: SyncDefaults.maxClockAhead))
        var line = "imported \(Plural.count(result.changes, "change")) into \(tenant): \(result.applied) applied, \(result.lost.count) lost to newer writes"
        if !result.deferred.isEmpty { line += ", \(result.deferred.count) not applied (the default categories cannot be deleted)" }
        StandardStreams.out(line + "\n")
    }

    static let backup = Command(CommandSpec(
        "backup", summary: "Copy the database, consistently, while the server runs.",
        positionals: [PositionalSpec("FILE", help: "the backup file to write (must not exist)")]
    )) { arguments in
        let path = arguments.positionals[0]
        guard !FileManager.default.fileExists(atPath: path) else { throw CommandFailure("\(path) exists already: choose a new file") }
        try openStore(arguments).backup(to: path)
        StandardStreams.out("backed up \(databasePath(arguments)) to \(path)\n")
    }
}

extension ServerCLI {
    static let stats = Command(CommandSpec(
        "stats", summary: "Count a tenant's offers, requests and matches by category, status and team.",
        options: [tenant, json]
    )) { arguments in
        let stats = try openStore(arguments).stats(tenant: try arguments.required(tenant))
        StandardStreams.out(arguments.flag(json) ? JSONWriter.string(stats.json, pretty: true) + "\n" : stats.report)
    }
}

/// SIGTERM and SIGINT, blocked in every thread and taken by one thread with `sigwait(3)`: a
/// signal is never lost, however early it comes.
final class StopSignals: @unchecked Sendable {
    private var set = sigset_t()

    /// Blocks the signals in the calling thread (and so in every thread it starts afterwards).
    init() {
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Calls `action` on a thread of its own each time a stop signal arrives.
    func onSignal(_ action: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var received: Int32 = 0
            while true {
                if sigwait(&set, &received) == 0 { action() }
            }
        }
        thread.start()
    }
}

/// Purges old tombstones in the background while the server runs: once at start, then hourly.
enum Compactor {
    static func start(databasePath: String, retention: UInt64) {
        let thread = Thread {
            while true {
                do {
                    let result = try ServerStore(path: databasePath).compact(retention: retention)
                    if result.purged > 0 {
                        StandardStreams.err("\(WallTime.iso8601(Environment.system.now())) compact purged \(Plural.count(result.purged, "tombstone"))\n")
                    }
                } catch {
                    StandardStreams.err("\(WallTime.iso8601(Environment.system.now())) compact failed: \(error)\n")
                }
                Thread.sleep(forTimeInterval: Double(SyncDefaults.compactionInterval) / 1000)
            }
        }
        thread.start()
    }
}

/// Holds the server for closures made before it exists.
final class ServerBox: @unchecked Sendable {
    var server: HTTPServer?
}

/// One line per request on stderr: time, method, path, status, duration, tenant. Never a token,
/// a query string or a body.
enum RequestLog {
    static func write(_ entry: RequestRecord) {
        let milliseconds = String(format: "%.1f", entry.seconds * 1000)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let note = entry.note.map { " " + $0.replacingOccurrences(of: "\n", with: " ") } ?? ""
        StandardStreams.err("\(WallTime.iso8601(now)) \(entry.method) \(entry.path) \(entry.status) \(milliseconds)ms \(entry.bytes)B tenant=\(entry.tenant ?? "-")\(note)\n")
    }
}
