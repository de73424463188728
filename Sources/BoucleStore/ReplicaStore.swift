import BoucleCore
import Foundation
import SQLite

/// A full local replica in one SQLite file: records, the replica's clock, its cursors and its
/// conflict log.
///
/// Invariants: every write (a local edit, an import) is one transaction that also persists the
/// clock and the sequence counter, read afresh under the write lock, so the clock never runs
/// backwards and two processes on one file never reuse a sequence number. Deleted personal data
/// is overwritten in the file (`secure_delete`) and the WAL is checkpointed after a delete, so no
/// copy survives in the replica's files.
public final class ReplicaStore {
    let db: Database
    let table: RecordTable
    let environment: Environment
    /// This replica's identity, the tie-breaker of its stamps.
    public let replicaID: UUIDString
    /// The team that owns the records made here.
    public let team: String
    /// The tenant this replica belongs to; "" until it joins one.
    public private(set) var tenant: String
    private var clock = HLC.zero
    private(set) var seq: Int64 = 0
    private var erasedData = false

    /// The layout of the file; -1 stored fields as JSON (before `FieldsCodec`).
    static let formatMarker = "boucle-replica-2"

    private init(db: Database, environment: Environment, replicaID: UUIDString, team: String, tenant: String) {
        self.db = db
        self.table = RecordTable(db: db, scope: 0, counts: WriteLedger(forReplica: true))
        self.environment = environment
        self.replicaID = replicaID
        self.team = team
        self.tenant = tenant
    }

    /// Creates a new replica file at `path`, seeded with the default categories.
    public static func create(at path: String, team: String, tenant: String = "", serverSettings: ServerSettings = ServerSettings(),
                              environment: Environment = .system) throws -> ReplicaStore {
        guard FieldKind.isSlug(team) else { throw StoreError.invalidName(kind: "team") }
        guard tenant.isEmpty || FieldKind.isSlug(tenant) else { throw StoreError.invalidName(kind: "tenant") }
        try DatabasePath.checkCreatable(path, example: "boucle.db")
        if FileManager.default.fileExists(atPath: path) { throw StoreError.alreadyExists(path: path) }
        let db: Database
        do {
            db = try Database(path: path, create: true)
            try configure(db)
            try db.execute(schema)
        } catch let error as SQLiteError {
            throw StoreError.io("cannot create \(path): \(error.message)")
        }
        let replicaID = environment.newID()
        let store = ReplicaStore(db: db, environment: environment, replicaID: replicaID, team: team, tenant: tenant)
        try store.write {
            let settings: [(MetaKey, String?)] = [
                (.format, formatMarker), (.replicaID, replicaID.rawValue), (.team, team), (.tenant, tenant),
                (.createdAt, String(environment.now())),
            ]
            for (key, value) in settings { try store.setMeta(key, value) }
            try store.saveSettings(serverSettings)
            for change in Categories.seedChanges {
                _ = try store.apply(change, seq: 0)
            }
        }
        return store
    }

    /// Opens the replica at `path`.
    public static func open(at path: String, environment: Environment = .system) throws -> ReplicaStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noReplica(path: path) }
        try DatabasePath.checkWritable(path, example: "boucle.db")
        do {
            let db = try Database(path: path, create: false)
            try configure(db)
            let hasMeta = try db.queryFirst("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'") { $0.int64(0) } == 1
            guard hasMeta else { throw StoreError.notAReplica(path: path) }
            let meta = try Dictionary(
                db.query("SELECT key, value FROM meta") { ($0.text(0) ?? "", $0.text(1) ?? "") },
                uniquingKeysWith: { $1 }
            )
            if let format = meta[MetaKey.format.rawValue], format != formatMarker, format.hasPrefix("boucle-replica-") {
                throw StoreError.otherFormat(path: path, found: String(format.prefix(40)), expected: formatMarker)
            }
            guard meta[MetaKey.format.rawValue] == formatMarker, let id = meta[MetaKey.replicaID.rawValue].flatMap({ UUIDString($0) }),
                  let team = meta[MetaKey.team.rawValue], let tenant = meta[MetaKey.tenant.rawValue]
            else { throw StoreError.notAReplica(path: path) }
            // The tables added to the format since it was first written.
            if try db.queryFirst("SELECT count(*) FROM sqlite_master WHERE name = 'held_back'", row: { $0.int64(0) }) == 0 {
                try db.execute(heldBackSchema)
            }
            if try RecordTable.needsUpgrade(db) { try db.transaction { try RecordTable.upgrade(db, withIndexes: true) } }
            if try WriteLedger.storedDigest(db) == nil {
                // A replica made before the digest was kept by its writes: computed once.
                try db.transaction { try WriteLedger.store(try RecordTable(db: db, scope: 0, counts: WriteLedger(forReplica: true)).recomputedDigest(), db) }
            }
            return ReplicaStore(db: db, environment: environment, replicaID: id, team: team, tenant: tenant)
        } catch let error as SQLiteError {
            if error.isCorruptOrNotADatabase {
                throw StoreError.notAReplica(path: path)
            }
            throw StoreError.database(error)
        }
    }

    /// The settings of every connection to a replica: WAL, a commit synced to disk before it
    /// returns, deleted bytes overwritten, and a 32 MiB page cache (random record ids touch the
    /// whole id index; with SQLite's 2 MiB default a large import rereads it from the OS).
    public static let pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA cache_size=-32768;"

    private static func configure(_ db: Database) throws {
        try db.execute(pragmas)
    }

    private static let schema = RecordTable.schema + RecordTable.readIndexes + heldBackSchema + """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS conflicts(
            n INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            collection TEXT NOT NULL,
            field TEXT NOT NULL,
            loser_stamp TEXT NOT NULL,
            loser_value BLOB,
            winner_stamp TEXT NOT NULL,
            winner_value BLOB,
            logged_at INTEGER NOT NULL,
            UNIQUE(record_id, field, loser_stamp)
        );
        """

    /// Closes the file, checkpointing the WAL into it.
    public func close() throws {
        try db.close()
    }

    // MARK: Settings

    /// The keys of the `meta` table, each named once.
    enum MetaKey: String {
        case format, team, tenant, server, token, seq, resync
        case replicaID = "replica_id", createdAt = "created_at"
        /// The replica's hybrid logical clock, as a signed 64-bit number.
        case clock = "hlc"
        /// The sequence up to which everything was exported (`boucle export` without `--all`).
        case exportedSeq = "exported_seq"
        /// The sequence up to which everything is on the server; the last record of the
        /// batches accepted since, during a push.
        case pushedSeq = "pushed_seq", pushAfter = "push_after"
        /// How many rows are above `pushed_seq` (pending), kept by each write.
        case pending
        /// The state digest's sum and record count, kept by each write (`WriteLedger`).
        case digest
        /// The pull cursor: where the last complete pull ended, and the last page received since.
        case pullSince = "pull_since", pullAfter = "pull_after"
        /// Wall-clock milliseconds of the last successful sync.
        case lastSync = "last_sync"
        /// The generation of the server's database this replica last synced with.
        case serverGeneration = "server_generation"
        /// The city's own certificate authority (PEM), trusted for its https server in place of
        /// the system's authorities (`--ca-file`).
        case authority = "ca_pem"
        /// The server sequences the next pull skips: the echo of this replica's own pushes since
        /// its last complete pull (`1-5,9-12`).
        case pullSkip = "pull_skip"
    }

    func meta(_ key: MetaKey) throws -> String? {
        try db.queryFirst("SELECT value FROM meta WHERE key = ?", [.text(key.rawValue)]) { $0.text(0) } ?? nil
    }

    func setMeta(_ key: MetaKey, _ value: String?) throws {
        try db.run("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [.text(key.rawValue), value.map { .text($0) } ?? .null])
    }

    func metaInt(_ key: MetaKey) throws -> Int64 { try meta(key).flatMap { Int64($0) } ?? 0 }

    // MARK: Transactions

    /// Runs `body` as one transaction, with the clock and sequence counter read under the write
    /// lock and saved with the writes; afterwards, checkpoints the WAL if personal data was erased.
    func write<T>(_ body: () throws -> T) throws -> T {
        erasedData = false
        let result: T
        do {
            result = try db.transaction {
                clock = HLC(rawValue: UInt64(bitPattern: try metaInt(.clock)))
                seq = try metaInt(.seq)
                tenant = try meta(.tenant) ?? tenant
                let pushedBefore = try metaInt(.pushedSeq)
                table.counts.pendingAbove = pushedBefore
                let result = try body()
                try setMeta(.clock, String(Int64(bitPattern: clock.rawValue)))
                try setMeta(.seq, String(seq))
                try setMeta(.tenant, tenant)
                try savePending(pushedBefore: pushedBefore)
                try table.counts.flush(db)
                return result
            }
        } catch let error as SQLiteError {
            table.counts.discard()
            throw StoreError.database(error)
        } catch {
            table.counts.discard()
            throw error
        }
        if erasedData { try checkpoint() }
        return result
    }

    /// Keeps meta `pending` (the rows above `pushed_seq`) right at the end of a write: the rows
    /// it wrote or removed (`WriteLedger.pendingDelta`), and the rows the push cursor passed if
    /// it moved (counted through the sequence index: a push's batch, not the replica). A file
    /// without the count (made before it was kept) gets it counted once.
    private func savePending(pushedBefore: Int64) throws {
        let pushedAfter = try metaInt(.pushedSeq)
        guard let kept = try keptPending() else {
            try setMeta(.pending, String(try countPending()))
            return
        }
        var pending = kept + table.counts.pendingDelta
        if pushedAfter > pushedBefore { pending -= try table.count(changedAfter: pushedBefore, upTo: pushedAfter) }
        if pushedAfter < pushedBefore { pending += try table.count(changedAfter: pushedAfter, upTo: pushedBefore) }
        try setMeta(.pending, String(pending))
    }

    /// Notes that the current write erased personal data: the WAL is checkpointed after it.
    func markErased() { erasedData = true }

    /// Copies the WAL into the database file and truncates it, so erased data leaves no copy;
    /// throws `erasureIncomplete` when another connection kept the checkpoint from completing.
    func checkpoint() throws {
        let result: CheckpointResult
        do { result = try db.checkpoint(.truncate) } catch let error { throw StoreError.database(error) }
        guard result.isComplete else { throw StoreError.erasureIncomplete }
    }

    /// Merges one change under the write transaction, saving the row and logging conflicts.
    @discardableResult
    func apply(_ change: Change, seq fixedSeq: Int64? = nil, newRecord: NewRecord? = nil) throws -> MergeEffect {
        let rowSeq = fixedSeq ?? seq + 1
        let effect = try table.merge(change, seq: rowSeq, newRecord: newRecord)
        if effect.changed, fixedSeq == nil { seq = rowSeq }
        if effect.newlyDeleted {
            try eraseConflictValues(of: change.id)
            erasedData = true
        }
        for conflict in effect.conflicts { try log(conflict) }
        return effect
    }

    /// A fresh stamp for a local write, from the persisted clock and the wall clock; throws
    /// `clockExhausted` at the top of the clock's range.
    func nextStamp() throws -> Stamp {
        guard let next = clock.tick(now: environment.now()) else { throw StoreError.clockExhausted }
        clock = next
        return Stamp(hlc: clock, replica: replicaID)
    }

    /// Sets the clock to the wall clock, even backwards: only `restamp()` does this, on purpose.
    func resetClock(toWallClock now: UInt64) {
        clock = HLC(milliseconds: min(now, HLC.maxMilliseconds), counter: 0)
    }

    /// The next local sequence number, taken.
    func nextSeq() -> Int64 {
        seq += 1
        return seq
    }

    /// Advances the clock past a stamp received from elsewhere.
    func receive(_ remote: HLC) {
        clock = clock.receive(remote, now: environment.now())
    }

    /// Adopts `incoming` as this replica's tenant if it has none; refuses another tenant.
    func checkTenant(_ incoming: String) throws {
        if incoming.isEmpty || incoming == tenant { return }
        guard tenant.isEmpty else { throw StoreError.tenantMismatch(changeSet: incoming, replica: tenant) }
        tenant = incoming
    }
}
