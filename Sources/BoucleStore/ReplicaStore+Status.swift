import BoucleCore
import SQLite

/// An entry of the conflict log, as stored.
public struct LoggedConflict: Equatable, Sendable {
    public let number: Int64
    public let conflict: Conflict
    /// Wall-clock milliseconds when it was logged.
    public let loggedAt: UInt64
}

/// What `boucle status` shows.
public struct ReplicaStatus: Equatable, Sendable {
    public let replicaID: UUIDString
    public let tenant: String
    public let team: String
    public let server: String?
    public let hasToken: Bool
    /// Records changed here (by edits or imports) and not yet pushed to a server.
    public let pendingRecords: Int
    /// Wall-clock milliseconds of the last successful sync, if any.
    public let lastSync: UInt64?
    public let conflicts: Int
    /// Live records, the default categories included.
    public let records: Int
    /// The default categories still live (every replica starts with them).
    public let defaultCategories: Int
    /// The state digest (`StateDigest.hex`): equal on replicas that have seen the same changes.
    public let digest: String
}

extension ReplicaStore {
    /// The replica's identity, cursors and counts.
    public func status() throws -> ReplicaStatus {
        let pending = try pendingRecords()
        let records = try table.liveCount()
        let conflicts = try db.queryFirst("SELECT count(*) FROM conflicts") { $0.int64(0) } ?? 0
        let lastSync = try meta(.lastSync).flatMap { UInt64($0) }
        return ReplicaStatus(
            replicaID: replicaID, tenant: try meta(.tenant) ?? tenant, team: team, server: try meta(.server),
            hasToken: try meta(.token) != nil, pendingRecords: pending, lastSync: lastSync,
            conflicts: Int(conflicts), records: records,
            defaultCategories: try self.records(in: .category).filter { Categories.isDefault($0.id) }.count, digest: try digest()
        )
    }

    /// Records changed here (by edits or imports) and not yet pushed to a server: the count the
    /// writes keep (counted afresh on a file made before they kept it).
    public func pendingRecords() throws -> Int {
        try keptPending() ?? countPending()
    }

    /// The pending count the writes keep (meta `pending`); nil on a file made before they kept it.
    func keptPending() throws -> Int? {
        try meta(.pending).flatMap { Int($0) }
    }

    /// The rows above the push cursor, counted through the sequence index.
    func countPending() throws -> Int {
        try table.count(changedAfter: try metaInt(.pushedSeq))
    }

    /// Counts the pending records afresh (`status --verify`) and compares the count with the one
    /// the writes kept; a difference is repaired. True when the kept one was right.
    public func verifyPending() throws -> Bool {
        // Read first: a right count, the usual case, costs no write (nor its fsync).
        let wasRight = try db.transactionForReading { try countPending() == keptPending() }
        if !wasRight {
            try write { try setMeta(.pending, String(try countPending())) }
        }
        return wasRight
    }

    /// This replica's state digest (Protocol/SPEC.md §3), as its writes keep it.
    public func digest() throws -> String {
        try (WriteLedger.storedDigest(db) ?? StateDigest()).hex
    }

    /// Recomputes the state digest from every record (`status --verify`) and compares it with
    /// the one the writes kept; a difference is repaired. Returns the digest and whether the
    /// kept one was right.
    public func verifyDigest() throws -> (digest: String, wasRight: Bool) {
        // Read first: a right digest, the usual case, costs no write (nor its fsync).
        let (recomputed, kept) = try db.transactionForReading { (try table.recomputedDigest(), try WriteLedger.storedDigest(db)) }
        guard kept != recomputed else { return (recomputed.hex, true) }
        let repaired = try write {
            let digest = try table.recomputedDigest()
            try WriteLedger.store(digest, db)
            return digest
        }
        return (repaired.hex, false)
    }

    /// The canonical state, one JSON line per record in id order (for tests and vectors).
    public func canonicalState() throws -> [String] {
        var lines: [String] = []
        try table.forEachByID { id, state in lines.append(String(decoding: state.canonicalJSON(id: id), as: UTF8.self)) }
        return lines
    }

    /// The conflict log, oldest first.
    public func conflicts() throws -> [LoggedConflict] {
        try db.query(
            "SELECT n, kind, record_id, collection, field, loser_stamp, loser_value, winner_stamp, winner_value, logged_at FROM conflicts ORDER BY n"
        ) { row in
            guard let kind = row.text(1).flatMap(Conflict.Kind.init(rawValue:)),
                  let id = row.text(2).flatMap({ UUIDString($0) }),
                  let collection = row.text(3).flatMap(RecordCollection.init(rawValue:)),
                  let field = row.text(4),
                  let loser = row.text(5).flatMap({ Stamp(canonical: $0) }),
                  let winner = row.text(7).flatMap({ Stamp(canonical: $0) })
            else { throw StoreError.damaged("a conflict log entry is unreadable") }
            let conflict = Conflict(kind: kind, recordID: id, collection: collection, field: field,
                                    loser: loser, loserValue: Self.value(row.bytes(6)),
                                    winner: winner, winnerValue: Self.value(row.bytes(8)))
            return LoggedConflict(number: row.int64(0), conflict: conflict, loggedAt: UInt64(max(0, row.int64(9))))
        }
    }

    /// Acknowledges the conflict log: empties it and returns how many entries it held.
    public func clearConflicts() throws -> Int {
        try write {
            let count = try db.queryFirst("SELECT count(*) FROM conflicts") { $0.int64(0) } ?? 0
            try db.run("DELETE FROM conflicts")
            return Int(count)
        }
    }

    func log(_ conflict: Conflict) throws {
        try db.run(
            """
            INSERT OR IGNORE INTO conflicts(kind, record_id, collection, field, loser_stamp, loser_value, winner_stamp, winner_value, logged_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(conflict.kind.rawValue), .text(conflict.recordID.rawValue), .text(conflict.collection.rawValue),
             .text(conflict.field), .text(conflict.loser.description), Self.column(conflict.loserValue),
             .text(conflict.winner.description), Self.column(conflict.winnerValue),
             .integer(Int64(clamping: environment.now()))]
        )
    }

    /// Forgets the values logged for a record that has just been deleted.
    func eraseConflictValues(of id: UUIDString) throws {
        try db.run("UPDATE conflicts SET loser_value = NULL, winner_value = NULL WHERE record_id = ?", [.text(id.rawValue)])
    }

    private static func column(_ value: FieldValue?) -> SQLValue {
        guard let value else { return .null }
        var bytes: [UInt8] = []
        value.appendJSON(to: &bytes)
        return .blob(bytes)
    }

    private static func value(_ bytes: [UInt8]?) -> FieldValue? {
        guard let bytes, let json = try? JSONParser.parse(bytes) else { return nil }
        return FieldValue(json: json)
    }
}
