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
struct RecordTable {
    let db: Database
    let scope: Int64

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
            PRIMARY KEY(scope, id)
        );
        CREATE INDEX IF NOT EXISTS records_by_seq ON records(scope, seq);
        """

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

    /// Writes the state of record `id` with row sequence `seq`.
    func save(_ id: UUIDString, _ state: RecordState, seq: Int64) throws {
        try db.run(
            "INSERT OR REPLACE INTO records(scope, id, collection, team, deleted, fields, seq, deleted_prev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [.integer(scope), .text(id.rawValue), .text(state.collection.rawValue), .text(state.team),
             state.tombstone.map { .text($0.description) } ?? .null, .blob(FieldsCodec.encode(state.fields, rowSeq: seq)), .integer(seq),
             state.tombstone == nil ? .null : .blob(RecordTable.encodeStamps(state.tombstonePrev))]
        )
    }

    /// Writes record `id`, new here, unless the scope holds it already; true when written.
    /// `fields` are its registers in `FieldsCodec` form, written at row sequence `seq`.
    private func insertIfNew(_ change: Change, fields: [UInt8], seq: Int64) throws -> Bool {
        try db.run(
            "INSERT INTO records(scope, id, collection, team, deleted, fields, seq, deleted_prev) VALUES (?, ?, ?, ?, NULL, ?, ?, NULL) ON CONFLICT(scope, id) DO NOTHING",
            [.integer(scope), .text(change.id.rawValue), .text(change.collection.rawValue), .text(change.team), .blob(fields), .integer(seq)]
        )
        return db.changes == 1
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
    func merge(_ change: Change, seq: Int64, gate: (RecordState?) throws -> Bool = { _ in true }) throws -> MergeEffect {
        if case .set(let fields) = change.operation, try gate(nil),
           try insertIfNew(change, fields: FieldsCodec.encode(newRecord: fields, stamp: change.stamp, prev: change.prev), seq: seq) {
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
        if outcome.changed { try save(change.id, outcome.state, seq: seq) }
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

    /// The live (not deleted) records of one collection, in id order.
    func live(in collection: RecordCollection) throws -> [(UUIDString, RecordState)] {
        try db.query(
            "SELECT collection, team, deleted, fields, deleted_prev, seq, id FROM records WHERE scope = ? AND collection = ? AND deleted IS NULL ORDER BY id",
            [.integer(scope), .text(collection.rawValue)]
        ) { row in
            let id = try RecordTable.id(row, 6)
            return (id, try RecordTable.decode(row, from: 0, id: id))
        }
    }

    /// How many live (not deleted) records the scope holds.
    func liveCount() throws -> Int {
        Int(try db.queryFirst("SELECT count(*) FROM records WHERE scope = ? AND deleted IS NULL", [.integer(scope)]) { $0.int64(0) } ?? 0)
    }

    /// How many records have a row sequence above `seq`.
    func count(changedAfter seq: Int64) throws -> Int {
        Int(try db.queryFirst("SELECT count(*) FROM records WHERE scope = ? AND seq > ?", [.integer(scope), .integer(seq)]) { $0.int64(0) } ?? 0)
    }

    /// The ids that start with `prefix` (lowercase hex and dashes), at most `limit`.
    func ids(startingWith prefix: String, limit: Int) throws -> [String] {
        try db.query("SELECT id FROM records WHERE scope = ? AND id >= ? AND id < ? LIMIT ?",
                     [.integer(scope), .text(prefix), .text(prefix + "g"), .integer(Int64(limit))]) { $0.text(0) ?? "" }
    }

    /// Removes record `id`'s row altogether (no tombstone: the record is forgotten).
    func remove(_ id: UUIDString) throws {
        try db.run("DELETE FROM records WHERE scope = ? AND id = ?", [.integer(scope), .text(id.rawValue)])
    }

    /// Removes the tombstones stamped before `cutoff`, except those of `replica` whose row
    /// sequence is above `keepingAbove` (its own deletes not yet pushed). Returns how many.
    func purgeTombstones(stampedBefore cutoff: HLC, except replica: UUIDString, above keepingAbove: Int64) throws -> Int {
        try db.run(
            "DELETE FROM records WHERE scope = ? AND deleted IS NOT NULL AND deleted < ? AND NOT (seq > ? AND substr(deleted, 18) = ?)",
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

    /// The SHA-256 of the canonical state (Protocol/SPEC.md §3): equal digests, equal states.
    func digest() throws -> String {
        var hash = SHA256()
        try forEachByID { id, state in
            hash.update(state.canonicalJSON(id: id))
            hash.update([UInt8(ascii: "\n")])
        }
        return SHA256.hex(hash.finalize())
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
