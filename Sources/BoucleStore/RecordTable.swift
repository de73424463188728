import BoucleCore
import SQLite

/// What merging one change did to a record's row.
struct MergeEffect {
    /// True when the row changed.
    var changed: Bool
    /// Losing writes, for the conflict log.
    var conflicts: [Conflict]
    /// True when the change deleted a record that was live.
    var newlyDeleted: Bool
    /// True when the gate held back a change that would have changed the row.
    var heldBack = false
    /// The row's sequence before the change; nil for a record new here.
    var previousSeq: Int64?
}

/// A bounded slice of changes, as one complete change-set: a push batch or a pull page.
public struct ChangeSetPage: Equatable, Sendable {
    public var changeSet: [UInt8]
    /// Change lines.
    public var changes: Int
    /// Records the change lines are of.
    public var records: Int
    /// The row sequence of the page's last record (the `after` it started from when empty):
    /// where the next page starts.
    public var next: Int64
    /// True when more records may follow.
    public var more: Bool
}

/// The `records` table: each record's merged state as one row, within one scope.
///
/// A scope separates tenants in a server database; a replica uses scope 0. Each row holds the
/// record's collection, team, tombstone, its field registers in the compact binary form of
/// `FieldsCodec`, and `seq`, the highest local sequence number of the row, indexed so that
/// "what changed since N" is a range scan.
///
/// A live row also carries its *read columns* (`ReadColumns`: category, status, point, remote,
/// building), written with the row, so that reads go through indexes instead of decoding every
/// record (`RecordTable+Reads.swift`); `record_counts` holds how many live rows each collection,
/// category, status and team has, and how many of them are remote, located, and both: every
/// write here notes its change in `counts`, which the store saves before each commit, with the
/// state digest's sum on a replica (`WriteLedger`).
struct RecordTable {
    let db: Database
    let scope: Int64
    let counts: WriteLedger

    static let schema = """
        CREATE TABLE IF NOT EXISTS records(
            scope INTEGER NOT NULL,
            id TEXT NOT NULL,
            collection TEXT NOT NULL,
            team TEXT NOT NULL,
            deleted TEXT,
            deleted_prev BLOB,
            fields BLOB NOT NULL,
            seq INTEGER NOT NULL,
            category TEXT,
            status TEXT,
            lat REAL,
            lon REAL,
            remote INTEGER NOT NULL DEFAULT 0,
            building TEXT,
            cell INTEGER,
            PRIMARY KEY(scope, id)
        );
        CREATE INDEX IF NOT EXISTS records_by_seq ON records(scope, seq);
        """ + countsSchema

    /// `record_counts`, on a replica and a server (added to older files by `upgrade`, once the
    /// read columns exist).
    static let countsSchema = """
        CREATE TABLE IF NOT EXISTS record_counts(
            scope INTEGER NOT NULL, collection TEXT NOT NULL, category TEXT NOT NULL, status TEXT NOT NULL, team TEXT NOT NULL,
            live INTEGER NOT NULL, remote INTEGER NOT NULL, located INTEGER NOT NULL, located_remote INTEGER NOT NULL,
            PRIMARY KEY(scope, collection, category, status, team)
        ) WITHOUT ROWID;
        """

    /// The read columns' indexes, on a replica only: `list`, `--near` and `match` read through
    /// them; a server reads by sequence (pulls) and from the counts (`stats`), and does not pay
    /// for them on every push.
    static let readIndexes = """
        CREATE INDEX IF NOT EXISTS records_by_group ON records(scope, collection, category, status, id) WHERE deleted IS NULL;
        CREATE INDEX IF NOT EXISTS records_by_point ON records(scope, collection, category, status, cell, lat, lon, remote, id)
            WHERE deleted IS NULL AND lat IS NOT NULL;
        CREATE INDEX IF NOT EXISTS records_remote ON records(scope, collection, category, status, id) WHERE deleted IS NULL AND remote = 1;
        CREATE INDEX IF NOT EXISTS records_unlocated ON records(scope, collection, category, status, id)
            WHERE deleted IS NULL AND lat IS NULL AND remote = 0;
        CREATE INDEX IF NOT EXISTS records_by_building ON records(scope, collection, building) WHERE deleted IS NULL AND building IS NOT NULL;
        """

    /// Drops the read indexes that hold every live row (by group, by point, by building), for a
    /// bulk write (`BulkWrite`): SQLite then builds them at the end in one sorted pass instead of
    /// inserting each row into three B-trees in random order. The remote and unlocated indexes
    /// hold few rows and stay: building them again would cost a scan of the whole table each.
    /// Only within a transaction that calls `restoreReadIndexes` before it commits.
    func dropReadIndexes() throws {
        try db.execute("DROP INDEX records_by_group; DROP INDEX records_by_point; DROP INDEX records_by_building;")
    }

    /// Builds the read columns' indexes again (`dropReadIndexes`).
    func restoreReadIndexes() throws {
        try db.execute(RecordTable.readIndexes)
    }

    /// True for a file made before the read columns.
    static func needsUpgrade(_ db: Database) throws -> Bool {
        try db.queryFirst("SELECT count(*) FROM pragma_table_info('records') WHERE name = 'category'") { $0.int64(0) } == 0
    }

    /// Adds the read columns, the counts and (on a replica, `withIndexes`) the read indexes to a
    /// file made before them, filled from every row (one pass, in the caller's transaction).
    static func upgrade(_ db: Database, withIndexes: Bool) throws {
        guard try needsUpgrade(db) else { return }
        try db.execute("""
            ALTER TABLE records ADD COLUMN category TEXT;
            ALTER TABLE records ADD COLUMN status TEXT;
            ALTER TABLE records ADD COLUMN lat REAL;
            ALTER TABLE records ADD COLUMN lon REAL;
            ALTER TABLE records ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE records ADD COLUMN building TEXT;
            ALTER TABLE records ADD COLUMN cell INTEGER;
            """)
        let rows = try db.query("SELECT scope, id FROM records WHERE deleted IS NULL") { ($0.int64(0), $0.text(1).flatMap { UUIDString($0) }) }
        for (scope, id) in rows {
            guard let id, let state = try RecordTable(db: db, scope: scope, counts: WriteLedger(forReplica: false)).load(id) else { continue }
            let read = ReadColumns(state, building: withIndexes)
            try db.run("UPDATE records SET category = ?, status = ?, lat = ?, lon = ?, remote = ?, building = ?, cell = ? WHERE scope = ? AND id = ?",
                       read.bindings + [.integer(scope), .text(id.rawValue)])
        }
        try db.execute(countsSchema + (withIndexes ? readIndexes : ""))
        try db.execute("""
            INSERT INTO record_counts SELECT scope, collection, coalesce(category, ''), coalesce(status, ''), team, count(*),
                    sum(remote), sum(lat IS NOT NULL), sum(remote AND lat IS NOT NULL)
                FROM records WHERE deleted IS NULL GROUP BY 1, 2, 3, 4, 5;
            """)
    }

    /// The stored state of record `id`, or nil when this scope has never seen it.
    func load(_ id: UUIDString) throws -> RecordState? {
        try loadRow(id)?.state
    }

    /// The stored state of record `id` and its row sequence, or nil when this scope has never seen it.
    func loadRow(_ id: UUIDString) throws -> (state: RecordState, seq: Int64)? {
        try db.queryFirst(
            "SELECT collection, team, deleted, fields, deleted_prev, seq FROM records WHERE scope = ? AND id = ?",
            [.integer(scope), .text(id.rawValue)]
        ) { row in (try RecordTable.decode(row, from: 0, id: id), row.int64(5)) }
    }

    /// Writes the state of record `id` with row sequence `seq`, and its read columns, in place
    /// of `previous` (its stored state and row sequence, nil when new here) in the counts.
    func save(_ id: UUIDString, _ state: RecordState, seq: Int64, previous: (state: RecordState, seq: Int64)?) throws {
        let read = ReadColumns(state, building: counts.forReplica)
        if let previous { counts.note(id, previous.state, scope: scope, -1) }
        counts.note(id, state, read: read, scope: scope, 1)
        counts.noteRowSeq(from: previous?.seq, to: seq)
        try db.run(
            """
            INSERT INTO records(scope, id, collection, team, deleted, fields, seq, deleted_prev, category, status, lat, lon, remote, building, cell)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(scope, id) DO UPDATE SET collection = excluded.collection, team = excluded.team, deleted = excluded.deleted,
                    fields = excluded.fields, seq = excluded.seq, deleted_prev = excluded.deleted_prev, category = excluded.category,
                    status = excluded.status, lat = excluded.lat, lon = excluded.lon, remote = excluded.remote, building = excluded.building,
                    cell = excluded.cell
            """,
            [.integer(scope), .text(id.rawValue), .text(state.collection.rawValue), .text(state.team),
             state.tombstone.map { .text($0.description) } ?? .null, .blob(FieldsCodec.encode(state.fields, rowSeq: seq)), .integer(seq),
             state.tombstone == nil ? .null : .blob(RecordTable.encodeStamps(state.tombstonePrev))] + read.bindings
        )
    }

    /// Writes record `id`, new here, unless the scope holds it already; true when written.
    /// `fields` are its registers in `FieldsCodec` form, written at row sequence `seq`.
    private func insertIfNew(_ change: Change, fields: [UInt8], values: [String: FieldValue], seq: Int64,
                             newRecord: NewRecord?) throws -> Bool {
        let read = newRecord?.read ?? ReadColumns(change.collection, values, building: counts.forReplica)
        try db.run(
            """
            INSERT INTO records(scope, id, collection, team, deleted, fields, seq, deleted_prev, category, status, lat, lon, remote, building, cell)
                VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scope, id) DO NOTHING
            """,
            [.integer(scope), .text(change.id.rawValue), .text(change.collection.rawValue), .text(change.team), .blob(fields), .integer(seq)]
                + read.bindings
        )
        guard db.changes == 1 else { return false }
        counts.note(change.collection, read, team: change.team, scope: scope, 1)
        counts.noteRowSeq(from: nil, to: seq)
        if counts.forReplica {
            counts.noteInDigest(newRecord?.digestHash ?? StateDigest.recordHash(RecordState.canonicalJSON(newFrom: change, fields: values)), 1)
        }
        return true
    }

    /// Merges `change` into the stored record and saves it with row sequence `seq` if it changed.
    /// `gate` sees the stored state first (nil: unknown here) and says whether the change may be
    /// applied; a change it holds back is not applied, and reported `heldBack` only if it would
    /// have changed the row (one that changes nothing is simply done). A `gate` may also throw.
    ///
    /// A set change the gate lets in as new is first written as a new record, without a lookup
    /// and without building its state (`FieldsCodec.encode(newRecord:)` gives the bytes
    /// `RecordState.merge` into nothing would): an import into an empty replica or a clone then
    /// costs one statement per record. Only when the record exists is it loaded and merged.
    /// `newRecord`, when given, is what the record `change` makes brings if it is new, computed
    /// ahead (`DecodedItem`).
    func merge(_ change: Change, seq: Int64, newRecord: NewRecord? = nil,
               gate: (RecordState?) throws -> Bool = { _ in true }) throws -> MergeEffect {
        if case .set(let fields) = change.operation, try gate(nil),
           try insertIfNew(change, fields: FieldsCodec.encode(newRecord: fields, stamp: change.stamp, prev: change.prev), values: fields, seq: seq,
                           newRecord: newRecord) {
            return MergeEffect(changed: true, conflicts: [], newlyDeleted: false)
        }
        let row = try loadRow(change.id)
        let existing = row?.state
        let allowed = try gate(existing)
        let outcome: MergeOutcome
        do {
            outcome = try RecordState.merge(change, into: existing, seq: seq)
        } catch {
            throw StoreError.merge(error)
        }
        guard allowed else { return MergeEffect(changed: false, conflicts: [], newlyDeleted: false, heldBack: outcome.changed) }
        if outcome.changed { try save(change.id, outcome.state, seq: seq, previous: row) }
        return MergeEffect(changed: outcome.changed, conflicts: outcome.conflicts,
                           newlyDeleted: outcome.state.tombstone != nil && existing?.tombstone == nil, previousSeq: row?.seq)
    }

    /// Calls `body` with each record whose row sequence is above `since`, in sequence order.
    func forEach(changedSince since: Int64, _ body: (UUIDString, RecordState, Int64) throws -> Void) throws {
        let statement = try db.statement(
            "SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records WHERE scope = ? AND seq > ? ORDER BY seq"
        )
        try statement.forEachRow(binding: [.integer(scope), .integer(since)]) {
            let id = try RecordTable.id(statement, 6)
            try body(id, try RecordTable.decode(statement, from: 0, id: id), statement.int64(5))
        }
    }

    /// One complete change-set of the records whose row sequence is above `after`, in sequence
    /// order, each with its registers stored after `fieldsSince`: at most `limit` records, and no
    /// more once the change lines reach `maxBytes` (one record always fits, whatever its size).
    /// Rows whose sequence lies in `skipping` are left out, the page's `next` still passing them.
    /// Callers run it inside a read transaction, for one snapshot.
    func page(header: ChangeSetHeader, fieldsSince: Int64, after: Int64, limit: Int, maxBytes: Int,
              skipping: [ClosedRange<Int64>] = []) throws -> ChangeSetPage {
        var encoder = ChangeSetEncoder(header: header)
        var next = after
        var records = 0
        var more = false
        let statement = try db.statement(
            "SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records WHERE scope = ? AND seq > ? ORDER BY seq"
        )
        try statement.scanRows(binding: [.integer(scope), .integer(after)]) {
            // A row after a full page tells that another page follows.
            guard records < limit, encoder.pendingByteCount < maxBytes else {
                more = true
                return false
            }
            let seq = statement.int64(5)
            next = seq
            if skipping.contains(where: { $0.contains(seq) }) { return true }
            let id = try RecordTable.id(statement, 6)
            for change in try RecordTable.decode(statement, from: 0, id: id).changes(id: id, fieldsSince: fieldsSince) {
                encoder.append(change)
            }
            records += 1
            return true
        }
        let changes = encoder.count
        encoder.finish()
        return ChangeSetPage(changeSet: encoder.takeBytes(), changes: changes, records: records, next: next, more: more)
    }

    /// Calls `body` with every record of the scope, in id order (the canonical order).
    func forEachByID(_ body: (UUIDString, RecordState) throws -> Void) throws {
        let statement = try db.statement(
            "SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records WHERE scope = ? ORDER BY id"
        )
        try statement.forEachRow(binding: [.integer(scope)]) {
            let id = try RecordTable.id(statement, 6)
            try body(id, try RecordTable.decode(statement, from: 0, id: id))
        }
    }

    /// Every live (not deleted) record of one collection, in id order.
    func live(in collection: RecordCollection) throws -> [(UUIDString, RecordState)] {
        try db.query(
            // Through the collection's groups, not the id order of the whole scope: a small
            // collection (the categories) is read without reading a large one (the offers).
            """
            SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records INDEXED BY records_by_group
                WHERE scope = ? AND collection = ? AND deleted IS NULL ORDER BY id
            """,
            [.integer(scope), .text(collection.rawValue)]
        ) { row in
            let id = try RecordTable.id(row, 6)
            return (id, try RecordTable.decode(row, from: 0, id: id))
        }
    }

    /// How many live (not deleted) records the scope holds (`record_counts`).
    func liveCount() throws -> Int {
        Int(try db.queryFirst("SELECT coalesce(sum(live), 0) FROM record_counts WHERE scope = ?", [.integer(scope)]) { $0.int64(0) } ?? 0)
    }

    /// How many records have a row sequence above `seq` (and at most `upTo`).
    func count(changedAfter seq: Int64, upTo: Int64 = .max) throws -> Int {
        Int(try db.queryFirst("SELECT count(*) FROM records WHERE scope = ? AND seq > ? AND seq <= ?",
                              [.integer(scope), .integer(seq), .integer(upTo)]) { $0.int64(0) } ?? 0)
    }

    /// The ids that start with `prefix` (lowercase hex and dashes), at most `limit`.
    func ids(startingWith prefix: String, limit: Int) throws -> [String] {
        try db.query("SELECT id FROM records WHERE scope = ? AND id >= ? AND id < ? LIMIT ?",
                     [.integer(scope), .text(prefix), .text(prefix + "g"), .integer(Int64(limit))]) { $0.text(0) ?? "" }
    }

    /// Removes record `id`'s row altogether (no tombstone: the record is forgotten).
    func remove(_ id: UUIDString) throws {
        if let row = try loadRow(id) {
            counts.note(id, row.state, scope: scope, -1)
            counts.noteRowSeq(from: row.seq, to: nil)
        }
        try db.run("DELETE FROM records WHERE scope = ? AND id = ?", [.integer(scope), .text(id.rawValue)])
    }

    /// Removes the tombstones stamped before `cutoff`, except those of `replica` whose row
    /// sequence is above `keepingAbove` (its own deletes not yet pushed) and those held back
    /// (`held_back`: deletes the server left for a token that may make them). Returns how many.
    /// A replica's only.
    func purgeTombstones(stampedBefore cutoff: HLC, except replica: UUIDString, above keepingAbove: Int64) throws -> Int {
        if counts.forReplica {
            let purged = try db.query(
                """
                SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records
                    WHERE scope = ? AND deleted IS NOT NULL AND deleted < ? AND NOT (seq > ? AND substr(deleted, 18) = ?)
                    AND id NOT IN (SELECT id FROM held_back)
                """,
                [.integer(scope), .text(cutoff.hex), .integer(keepingAbove), .text(replica.rawValue)]
            ) { row in
                let id = try RecordTable.id(row, 6)
                return (id, try RecordTable.decode(row, from: 0, id: id), row.int64(5))
            }
            for (id, state, seq) in purged {
                counts.note(id, state, scope: scope, -1)
                counts.noteRowSeq(from: seq, to: nil)
            }
        }
        try db.run(
            """
            DELETE FROM records
                WHERE scope = ? AND deleted IS NOT NULL AND deleted < ? AND NOT (seq > ? AND substr(deleted, 18) = ?)
                AND id NOT IN (SELECT id FROM held_back)
            """,
            [.integer(scope), .text(cutoff.hex), .integer(keepingAbove), .text(replica.rawValue)]
        )
        return db.changes
    }

    /// Removes every tombstone stamped before `cutoff` whose row sequence is at most `upTo`;
    /// returns how many and the highest row sequence among them (0 for none).
    func purgeTombstones(stampedBefore cutoff: HLC, upTo: Int64) throws -> (count: Int, highestSeq: Int64) {
        let bindings: [SQLValue] = [.integer(scope), .text(cutoff.hex), .integer(upTo)]
        let found = try db.queryFirst(
            "SELECT count(*), coalesce(max(seq), 0) FROM records WHERE scope = ? AND deleted IS NOT NULL AND deleted < ? AND seq <= ?",
            bindings
        ) { (Int($0.int64(0)), $0.int64(1)) } ?? (0, 0)
        if found.0 > 0 {
            try db.run("DELETE FROM records WHERE scope = ? AND deleted IS NOT NULL AND deleted < ? AND seq <= ?", bindings)
        }
        return found
    }

    /// The state digest (Protocol/SPEC.md §3) computed afresh from every row.
    func recomputedDigest() throws -> StateDigest {
        var digest = StateDigest()
        try forEachByID { id, state in digest.add(StateDigest.recordHash(state.canonicalJSON(id: id))) }
        return digest
    }

    // MARK: Row encoding

    private static func id(_ row: Statement, _ column: Int32) throws -> UUIDString {
        guard let text = row.text(column), let id = UUIDString(text) else {
            throw StoreError.damaged("a record row has an invalid id")
        }
        return id
    }

    /// Decodes the columns `collection, team, deleted, fields, deleted_prev, seq` starting at `column`.
    private static func decode(_ row: Statement, from column: Int32, id: UUIDString) throws -> RecordState {
        guard let collection = row.text(column).flatMap(RecordCollection.init(rawValue:)),
              let team = row.text(column + 1)
        else { throw StoreError.damaged("record \(id) has an unknown collection") }
        var tombstone: Stamp?
        if let text = row.text(column + 2) {
            guard let stamp = Stamp(canonical: text) else { throw StoreError.damaged("record \(id) has an invalid tombstone") }
            tombstone = stamp
        }
        let rowSeq = row.int64(column + 5)
        guard let fields = row.withBytes(column + 3, { FieldsCodec.decode($0, rowSeq: rowSeq) }) else {
            throw StoreError.damaged("record \(id) has unreadable fields")
        }
        var tombstonePrev: [String: Stamp] = [:]
        if tombstone != nil, let bytes = row.bytes(column + 4) {
            guard let object = (try? JSONParser.parse(bytes))?.objectValue else { throw StoreError.damaged("record \(id) has an unreadable tombstone") }
            for (name, json) in object {
                guard let stamp = json.stringValue.flatMap({ Stamp(canonical: $0) }) else { throw StoreError.damaged("record \(id) has an unreadable tombstone") }
                tombstonePrev[name] = stamp
            }
        }
        return RecordState(collection: collection, team: team, tombstone: tombstone, tombstonePrev: tombstonePrev, fields: fields)
    }

    static func encodeStamps(_ stamps: [String: Stamp]) -> [UInt8] {
        JSONWriter.encode(.object(stamps.mapValues { .string($0.description) }))
    }
}

/// The columns a live row carries for reads, derived from its fields: `category` and `status`
/// (text fields of those names), `lat` and `lon` (both numbers, or neither) and their `cell`
/// (`PointGrid`), `remote` (1 when true), `building` (`AddressKey` of the address). A tombstone
/// carries none.
struct ReadColumns: Sendable {
    var category: String?
    var status: String?
    var point: Coordinate?
    var remote = false
    var building: String?

    /// The columns of `state` (none for a tombstone); without `building` when nothing reads it
    /// (the counts, a server: the address key is the costly one).
    init(_ state: RecordState, building withBuilding: Bool = true) {
        let live = state.tombstone == nil
        self.init(state.collection, building: withBuilding) { live ? state.fields[$0]?.value : nil }
    }

    init(_ collection: RecordCollection, _ values: [String: FieldValue], building withBuilding: Bool = true) {
        self.init(collection, building: withBuilding) { values[$0] }
    }

    private init(_ collection: RecordCollection, building withBuilding: Bool, value: (String) -> FieldValue?) {
        func text(_ name: String) -> String? {
            if case .text(let text)? = value(name) { return text }
            return nil
        }
        category = collection.fields["category"] == nil ? nil : text("category")
        status = text("status")
        if case .number(let lat)? = value("lat"), case .number(let lon)? = value("lon") { point = Coordinate(lat: lat, lon: lon) }
        remote = value("remote") == .bool(true)
        building = withBuilding ? text("address").flatMap(AddressKey.make) : nil
    }

    /// The bindings of `category, status, lat, lon, remote, building, cell`.
    var bindings: [SQLValue] {
        [category.map { .text($0) } ?? .null, status.map { .text($0) } ?? .null, point.map { .real($0.lat) } ?? .null,
         point.map { .real($0.lon) } ?? .null, .integer(remote ? 1 : 0), building.map { .text($0) } ?? .null,
         point.map { .integer(PointGrid.cell($0)) } ?? .null]
    }
}

/// The grid of the point index: cells of 0.005° of latitude by 0.005° of longitude (about 550 m
/// by 390 m in Lyon), numbered row by row (`row * rowWidth + column`), so that the cells of one
/// row of a box are one range of the index. A box is read row by row: a circle of 300 m in a
/// dense city reads the few cells around it instead of a whole band of latitudes.
enum PointGrid {
    static let degrees = 0.005
    static let rowWidth: Int64 = 100_000
    /// Boxes spanning more rows are read as one band of latitudes (a wide search, rare).
    static let maxRows: Int64 = 64

    static func row(_ lat: Double) -> Int64 { index((lat + 90) / degrees, last: 180 / degrees) }
    static func column(_ lon: Double) -> Int64 { index((lon + 180) / degrees, last: 360 / degrees) }

    /// `position` rounded down, within 0…`last`: changes are checked to hold latitudes and
    /// longitudes in range, but a file edited by hand must not make a conversion trap.
    private static func index(_ position: Double, last: Double) -> Int64 {
        guard position.isFinite else { return 0 }
        return Int64(min(max(position.rounded(.down), 0), last))
    }
    static func cell(_ point: Coordinate) -> Int64 { row(point.lat) * rowWidth + column(point.lon) }

    /// The most cells a box is read one by one (`RecordTable.located`); a larger box is read a
    /// row of cells at a time.
    static let cellByCellLimit = 16

    /// The cells of the box, one range per row; nil when it spans more than `maxRows` rows.
    /// (Every step is monotonic, so a point inside the box has its cell in a range.)
    static func ranges(minLat: Double, maxLat: Double, minLon: Double, maxLon: Double) -> [ClosedRange<Int64>]? {
        let rows = row(minLat)...row(maxLat)
        guard rows.count <= maxRows else { return nil }
        let columns = column(minLon)...column(maxLon)
        return rows.map { ($0 * rowWidth + columns.lowerBound)...($0 * rowWidth + columns.upperBound) }
    }
}

/// What the writes of one transaction changed beside the rows: the live rows by collection,
/// category, status and team (`record_counts`), and, on a replica, the state digest's sum (meta
/// `digest`). Saved by `flush` before the transaction commits, dropped by `discard` when it rolls
/// back: an import of a million records writes a handful of count rows, not a million. Only live
/// rows count; every row, tombstones included, is in the digest.
final class WriteLedger {
    private struct Key: Hashable {
        let scope: Int64
        let collection: String
        let category: String
        let status: String
        let team: String
    }

    /// The changes to one row of `record_counts`.
    private struct Counts {
        var live = 0
        var remote = 0
        var located = 0
        var locatedRemote = 0

        /// Counts a live row with `read` columns `delta` times more.
        mutating func add(_ read: ReadColumns, _ delta: Int) {
            live += delta
            if read.remote { remote += delta }
            if read.point != nil { located += delta }
            if read.remote, read.point != nil { locatedRemote += delta }
        }
    }

    private var deltas: [Key: Counts] = [:]
    /// A replica's ledger: it keeps the rows' digest and the pending count, and its rows get a
    /// building key (for its read indexes). A server has neither and reads no building.
    let forReplica: Bool
    /// On a replica, the push cursor when the transaction began (`pushed_seq`): rows above it
    /// are pending. `pendingDelta` is how many more rows are above it than when it began.
    var pendingAbove: Int64 = 0
    private(set) var pendingDelta = 0
    private var added = StateDigest()
    private var removed = StateDigest()

    init(forReplica: Bool) {
        self.forReplica = forReplica
    }

    /// Notes `state` of record `id` as written (`delta` 1) or replaced or removed (`delta` -1);
    /// `read` is its read columns when the caller has them already.
    func note(_ id: UUIDString, _ state: RecordState, read: ReadColumns? = nil, scope: Int64, _ delta: Int) {
        if state.tombstone == nil {
            note(state.collection, read ?? ReadColumns(state, building: false), team: state.team, scope: scope, delta)
        }
        if forReplica { noteInDigest(StateDigest.recordHash(state.canonicalJSON(id: id)), delta) }
    }

    /// Notes a row's sequence moving from `old` to `new` (nil: the row did not exist, or no
    /// longer does), for the count of pending rows.
    func noteRowSeq(from old: Int64?, to new: Int64?) {
        guard forReplica else { return }
        let wasPending = (old ?? .min) > pendingAbove
        let isPending = (new ?? .min) > pendingAbove
        if wasPending != isPending { pendingDelta += isPending ? 1 : -1 }
    }

    /// Adds (`delta` 1) or takes away (`delta` -1) a record's digest hash.
    func noteInDigest(_ hash: (low: UInt64, high: UInt64), _ delta: Int) {
        if delta > 0 { added.add(hash) } else { removed.add(hash) }
    }

    /// Counts a live row of `collection` with `read` columns of `team` `delta` times more.
    func note(_ collection: RecordCollection, _ read: ReadColumns, team: String, scope: Int64, _ delta: Int) {
        let key = Key(scope: scope, collection: collection.rawValue, category: read.category ?? "", status: read.status ?? "", team: team)
        deltas[key, default: Counts()].add(read, delta)
    }

    /// Saves the changes noted since the last flush, in the caller's transaction.
    func flush(_ db: Database) throws {
        for (key, counts) in deltas where counts.live != 0 || counts.remote != 0 || counts.located != 0 || counts.locatedRemote != 0 {
            try db.run(
                """
                INSERT INTO record_counts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET live = live + excluded.live,
                    remote = remote + excluded.remote, located = located + excluded.located, located_remote = located_remote + excluded.located_remote
                """,
                [.integer(key.scope), .text(key.collection), .text(key.category), .text(key.status), .text(key.team),
                 .integer(Int64(counts.live)), .integer(Int64(counts.remote)), .integer(Int64(counts.located)), .integer(Int64(counts.locatedRemote))]
            )
        }
        if forReplica, added.records > 0 || removed.records > 0 {
            var digest = try Self.storedDigest(db) ?? StateDigest()
            digest.merge(added)
            digest.subtract(removed)
            try Self.store(digest, db)
        }
        discard()
    }

    /// Forgets the changes noted since the last flush (their transaction rolled back).
    func discard() {
        deltas = [:]
        pendingDelta = 0
        added = StateDigest()
        removed = StateDigest()
    }

    /// The digest kept in meta `digest` (`low:high:records`, decimal), nil when none is kept yet.
    /// Read and written here, not through `ReplicaStore.meta`: the ledger saves it inside the
    /// store's write, with the counts.
    static func storedDigest(_ db: Database) throws -> StateDigest? {
        guard let text = try db.queryFirst("SELECT value FROM meta WHERE key = ?", [.text(ReplicaStore.MetaKey.digest.rawValue)],
                                           row: { $0.text(0) }) ?? nil
        else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 3, let low = UInt64(parts[0]), let high = UInt64(parts[1]), let records = Int64(parts[2]) else {
            throw StoreError.damaged("the stored state digest is unreadable: run `boucle status --verify`")
        }
        return StateDigest(low: low, high: high, records: records)
    }

    static func store(_ digest: StateDigest, _ db: Database) throws {
        try db.run("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                   [.text(ReplicaStore.MetaKey.digest.rawValue), .text("\(digest.low):\(digest.high):\(digest.records)")])
    }
}
