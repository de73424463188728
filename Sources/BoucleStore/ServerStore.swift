import BoucleCore
import Foundation
import SQLite

/// What a bearer token may do within its tenant.
public enum Role: String, Sendable, CaseIterable {
    /// Writes its team's records; cannot delete.
    case field
    /// Writes and deletes its team's records.
    case coordinator
    /// Writes and deletes any record of its tenant.
    case admin
}

/// Who is calling: the tenant, team and role a valid token stands for.
public struct Principal: Equatable, Sendable {
    public let tokenID: String
    public let tenant: String
    public let tenantScope: Int64
    public let team: String
    public let role: Role
}

/// A token as `token list` shows it: never the secret, which is stored only hashed.
public struct TokenInfo: Equatable, Sendable {
    public let id: String
    public let tenant: String
    public let team: String
    public let role: Role
    public let createdAt: UInt64
    public let revokedAt: UInt64?
}

/// The city's database: tenants, tokens, and each tenant's records merged from every replica.
///
/// Invariants: every record belongs to exactly one tenant (its row's scope is the tenant's id);
/// a token's secret is never stored, only its SHA-256; every push is one transaction. One
/// `ServerStore` is one SQLite connection: give each thread its own.
public final class ServerStore {
    let db: Database
    let environment: Environment
    /// The server's identity, written as the origin of the change-sets it serves.
    public let serverID: UUIDString
    /// This database's generation: it changes whenever the database is restored from a backup,
    /// so that clients notice it went back in time (Protocol/SERVER.md, "Restores").
    public private(set) var generation: UUIDString
    /// Set by a write that erased personal data (`noteErasure`, `finishErasure`).
    var erasedData = false
    /// The record counts the writes of the current transaction changed.
    let counts = WriteLedger(forReplica: false)

    /// The keys of the `server_meta` table, each named once.
    enum MetaKey: String {
        case format, seq, generation
        case serverID = "server_id"
        /// Set in a backup copy: the database it was copied from. Whoever opens the copy as a
        /// server database gives it a new generation (it is a restore) and removes the mark.
        case backupOf = "backup_of"
        /// Set once every tenant holds the seed categories.
        case seeded
        /// Writes that erased personal data, and the count of them whose old values are gone from
        /// the write-ahead log (`ServerStore.finishErasure`).
        case erasures
        case erasedThrough = "erased_through"
    }

    /// The layout of the database; -1 stored fields as JSON (before `FieldsCodec`).
    static let formatMarker = "boucle-server-2"

    /// Opens the server database at `path`, creating it when no file is there. A file that is
    /// there but is not a server database (an empty one included: a killed copy, a typo) is
    /// refused, never taken over.
    public init(path: String, environment: Environment = .system) throws {
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew {
            try DatabasePath.checkCreatable(path, example: "boucle-server.db")
        } else {
            try DatabasePath.checkWritable(path, example: "boucle-server.db")
        }
        do {
            let db = try Database(path: path, create: isNew, busyTimeoutMilliseconds: 30_000)
            let existing = try db.queryFirst("SELECT count(*) FROM sqlite_master WHERE name = 'server_meta'") { $0.int64(0) } ?? 0
            guard isNew || existing > 0 else { throw StoreError.notAServerDatabase(path: path) }
            try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;")
            if existing == 0 {
                try db.transaction {
                    try db.execute(ServerStore.schema)
                    for (key, value) in [(MetaKey.format, ServerStore.formatMarker), (.serverID, environment.newID().rawValue), (.seq, "0"),
                                         (.generation, environment.newID().rawValue), (.seeded, "1")] {
                        try db.run("INSERT OR IGNORE INTO server_meta(key, value) VALUES (?, ?)", [.text(key.rawValue), .text(value)])
                    }
                }
            }
            let meta = try Dictionary(db.query("SELECT key, value FROM server_meta") { ($0.text(0) ?? "", $0.text(1) ?? "") },
                                      uniquingKeysWith: { $1 })
            if let format = meta[MetaKey.format.rawValue], format != ServerStore.formatMarker {
                throw StoreError.otherFormat(path: path, found: String(format.prefix(40)), expected: ServerStore.formatMarker)
            }
            guard meta[MetaKey.format.rawValue] == ServerStore.formatMarker, let id = meta[MetaKey.serverID.rawValue].flatMap({ UUIDString($0) }) else {
                throw StoreError.notAServerDatabase(path: path)
            }
            self.db = db
            self.environment = environment
            self.serverID = id
            generation = meta[MetaKey.generation.rawValue].flatMap { UUIDString($0) } ?? .zero
            try upgrade(meta)
            if try RecordTable.needsUpgrade(db) { try writeTransaction { try RecordTable.upgrade(db, withIndexes: false) } }
        } catch let error as SQLiteError {
            if error.isCorruptOrNotADatabase { throw StoreError.notAServerDatabase(path: path) }
            throw StoreError.database(error)
        }
    }

    /// Brings a database of this format up to date, once: the tables added since the format was
    /// set, a generation, the seed categories in every tenant; and gives a restored backup a new
    /// generation.
    private func upgrade(_ stored: [String: String]) throws {
        let restored = stored[MetaKey.backupOf.rawValue] != nil
        let tables = try db.queryFirst("SELECT count(*) FROM sqlite_master WHERE name IN ('writers', 'push_log')") { $0.int64(0) }
        guard restored || generation == .zero || stored[MetaKey.seeded.rawValue] == nil || tables != 2 else { return }
        try writeTransaction {
            try db.execute(ServerStore.additions)
            if restored || generation == .zero {
                generation = environment.newID()
                try setMeta(.generation, generation.rawValue)
                try db.run("DELETE FROM server_meta WHERE key = ?", [.text(MetaKey.backupOf.rawValue)])
            }
            if try meta(.seeded) == nil {
                for scope in try db.query("SELECT id FROM tenants", row: { $0.int64(0) }) { try seed(scope: scope) }
                try setMeta(.seeded, "1")
            }
        }
    }

    func meta(_ key: MetaKey) throws -> String? {
        try db.queryFirst("SELECT value FROM server_meta WHERE key = ?", [.text(key.rawValue)]) { $0.text(0) } ?? nil
    }

    func setMeta(_ key: MetaKey, _ value: String) throws {
        try db.run("INSERT OR REPLACE INTO server_meta(key, value) VALUES (?, ?)", [.text(key.rawValue), .text(value)])
    }

    /// Merges the seed categories into the tenant of `scope`: they are part of its state, owned
    /// by the seed team (Protocol/SPEC.md §1), at sequence 0 like on every replica: every replica
    /// holds them from its creation, so pulls never send them.
    private func seed(scope: Int64) throws {
        let table = records(scope: scope)
        for change in Categories.seedChanges { _ = try table.merge(change, seq: 0) }
    }

    /// The tables added to the format since it was first written (created if missing).
    private static let additions = WriterBindings.schema + """
        CREATE TABLE IF NOT EXISTS push_log(seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL);
        """

    private static let schema = additions + RecordTable.schema + """
        CREATE TABLE IF NOT EXISTS server_meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tenants(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            horizon INTEGER NOT NULL DEFAULT 0,
            horizon_time INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS tokens(
            id TEXT PRIMARY KEY,
            tenant_id INTEGER NOT NULL REFERENCES tenants(id),
            team TEXT NOT NULL,
            role TEXT NOT NULL,
            secret_sha256 TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        """

    public func close() throws { try db.close() }

    /// The write transactions of every connection of this process queue here, in order.
    private static let writers = FairLock()

    /// Runs `body` in a write transaction, after the ones this process asked for before; the
    /// record counts its writes noted are saved with it.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try ServerStore.writers.withLock {
            do {
                return try db.transaction {
                    let result = try body()
                    try counts.flush(db)
                    return result
                }
            } catch {
                counts.discard()
                throw error
            }
        }
    }

    /// The records of the tenant of `scope`.
    func records(scope: Int64) -> RecordTable { RecordTable(db: db, scope: scope, counts: counts) }

    // MARK: Tenants and tokens

    /// Creates a tenant; its name is a slug, unique on the server.
    public func createTenant(_ name: String) throws {
        guard FieldKind.isSlug(name) else { throw StoreError.invalidName(kind: "tenant") }
        try writeTransaction {
            if try tenantScope(name) != nil { throw StoreError.tenantExists(name) }
            try db.run("INSERT INTO tenants(name, created_at) VALUES (?, ?)", [.text(name), .integer(Int64(clamping: environment.now()))])
            guard let scope = try tenantScope(name) else { preconditionFailure("the tenant just created is not there") }
            try seed(scope: scope)
        }
    }

    /// The scope (row id) of a tenant, or nil when there is none of that name.
    public func tenantScope(_ name: String) throws -> Int64? {
        try db.queryFirst("SELECT id FROM tenants WHERE name = ?", [.text(name)]) { $0.int64(0) }
    }

    /// The names of every tenant.
    public func tenants() throws -> [String] {
        try db.query("SELECT name FROM tenants ORDER BY name") { $0.text(0) ?? "" }
    }

    /// Creates a token and returns it: `boucle_<id>_<secret>`, 256 random bits of secret. Only
    /// the secret's SHA-256 is stored: the token cannot be shown again.
    public func createToken(tenant: String, team: String, role: Role) throws -> String {
        guard FieldKind.isSlug(team) else { throw StoreError.invalidName(kind: "team") }
        guard let scope = try tenantScope(tenant) else { throw StoreError.noTenant(tenant) }
        var generator = SystemRandomNumberGenerator()
        let id = SHA256.hex((0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let secret = SHA256.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try db.run(
            "INSERT INTO tokens(id, tenant_id, team, role, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(id), .integer(scope), .text(team), .text(role.rawValue), .text(SHA256.hex(SHA256.hash(secret))),
             .integer(Int64(clamping: environment.now()))]
        )
        return "boucle_\(id)_\(secret)"
    }

    /// Every token, or a tenant's, without secrets.
    public func tokens(tenant: String? = nil) throws -> [TokenInfo] {
        try db.query(
            """
            SELECT tokens.id, tenants.name, team, role, tokens.created_at, revoked_at FROM tokens
            JOIN tenants ON tenants.id = tenant_id WHERE ? IS NULL OR tenants.name = ? ORDER BY tenants.name, tokens.created_at
            """,
            [tenant.map { .text($0) } ?? .null, tenant.map { .text($0) } ?? .null]
        ) { row in
            TokenInfo(id: row.text(0) ?? "", tenant: row.text(1) ?? "", team: row.text(2) ?? "",
                      role: Role(rawValue: row.text(3) ?? "") ?? .field, createdAt: UInt64(max(0, row.int64(4))),
                      revokedAt: row.isNull(5) ? nil : UInt64(max(0, row.int64(5))))
        }
    }

    /// Revokes a token by its id (the part after `boucle_`); true when it was live.
    public func revokeToken(_ id: String) throws -> Bool {
        try db.run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   [.integer(Int64(clamping: environment.now())), .text(id)])
        return db.changes == 1
    }

    /// The principal a bearer token stands for, or nil when it is unknown, malformed or revoked.
    /// The secret's hash is compared in constant time.
    public func authenticate(_ token: String) throws -> Principal? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "boucle", parts[1].utf8.count == 8, parts[2].utf8.count == 64 else { return nil }
        guard let row = try db.queryFirst(
            """
            SELECT tokens.id, tenants.name, tenants.id, team, role, secret_sha256 FROM tokens
            JOIN tenants ON tenants.id = tenant_id WHERE tokens.id = ? AND revoked_at IS NULL
            """,
            [.text(String(parts[1]))],
            row: { row in
                (Principal(tokenID: row.text(0) ?? "", tenant: row.text(1) ?? "", tenantScope: row.int64(2), team: row.text(3) ?? "",
                           role: Role(rawValue: row.text(4) ?? "") ?? .field), row.text(5) ?? "")
            }
        ) else { return nil }
        let presented = Array(SHA256.hex(SHA256.hash(String(parts[2]))).utf8)
        let stored = Array(row.1.utf8)
        guard presented.count == stored.count else { return nil }
        var difference: UInt8 = 0
        for index in presented.indices { difference |= presented[index] ^ stored[index] }
        return difference == 0 ? row.0 : nil
    }
}

extension ServerStore {
    /// Writes a consistent copy of the whole database to `path`, while the server runs: into a
    /// temporary file beside it, marked as a backup (whoever serves it gives it a new generation,
    /// so clients notice the restore), then renamed to `path`. A copy cut short never takes the
    /// final name.
    public func backup(to path: String) throws {
        let temporary = path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        do throws(SQLiteError) {
            try db.backup(to: temporary)
            let copy = try Database(path: temporary, create: false)
            try copy.run("INSERT OR REPLACE INTO server_meta(key, value) VALUES (?, ?)", [.text(MetaKey.backupOf.rawValue), .text(generation.rawValue)])
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.io("backup to \(path) failed: \(error.message)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.io("backup to \(path) failed: \(reason)")
        }
    }
}
