import BoucleCore
import BoucleProtocol

/// How many held-back records wait for one thing ("a token of team sud").
public struct Waiting: Equatable, Sendable {
    public let waitsFor: String
    public let records: Int
}

/// Records a server left unapplied (Protocol/SERVER.md, "Relays and deferred changes"): changes
/// of other teams this replica carries, or its own that its token may not make. They stay
/// pending, say what they wait for, and are offered again at every sync (whole: the server
/// treats what it holds already as done), until the server takes them or holds them already.
extension ReplicaStore {
    static let heldBackSchema = "CREATE TABLE IF NOT EXISTS held_back(id TEXT PRIMARY KEY, waits_for TEXT NOT NULL) WITHOUT ROWID;"

    /// Notes that the server deferred these changes: their records wait.
    func noteDeferred(_ deferred: [DeferredChange]) throws {
        for change in deferred {
            try db.run("INSERT OR REPLACE INTO held_back(id, waits_for) VALUES (?, ?)", [.text(change.id.rawValue), .text(change.waitsFor)])
        }
    }

    /// The next batch of held-back records whose ids come after `after`, each with all its
    /// registers (or its tombstone), and their ids; empty when none is left. It stops growing
    /// once `maxBytes` are reached (one record always fits).
    public func heldBackBatch(after: UUIDString?, maxRecords: Int, maxBytes: Int = SyncDefaults.pushBatchBytes)
        throws -> (page: ChangeSetPage, ids: [UUIDString]) {
        try db.transactionForReading {
            let ids = try db.query("SELECT id FROM held_back WHERE id > ? ORDER BY id LIMIT ?",
                                   [.text(after?.rawValue ?? ""), .integer(Int64(maxRecords))]) { $0.text(0).flatMap { UUIDString($0) } }
                .compactMap { $0 }
            var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: tenant, origin: replicaID))
            var sent: [UUIDString] = []
            for id in ids where sent.isEmpty || encoder.pendingByteCount < maxBytes {
                sent.append(id)
                guard let state = try table.load(id) else { continue }
                for change in state.changes(id: id, fieldsSince: -1) { encoder.append(change) }
            }
            let changes = encoder.count
            encoder.finish()
            return (ChangeSetPage(changeSet: encoder.takeBytes(), changes: changes, records: sent.count, next: 0, more: false), sent)
        }
    }

    /// After held-back records were offered again: those the server no longer deferred are
    /// done; the others keep waiting (for what the answer says now). Logs the writes that lost.
    public func markRetried(_ ids: [UUIDString], answer: PushAnswer) throws {
        try write {
            let still = Set(answer.deferred.map(\.id))
            for id in ids where !still.contains(id) {
                try db.run("DELETE FROM held_back WHERE id = ?", [.text(id.rawValue)])
            }
            try noteDeferred(answer.deferred)
            try logLost(answer.lost)
            try noteEcho(answer.echo)
        }
    }

    /// What the held-back records wait for, with how many wait for each, most first.
    public func waiting() throws -> [Waiting] {
        try db.query("SELECT waits_for, count(*) FROM held_back GROUP BY waits_for ORDER BY count(*) DESC, waits_for") {
            Waiting(waitsFor: $0.text(0) ?? "", records: Int($0.int64(1)))
        }
    }

    /// Whether record `id` waits for another token.
    public func isWaiting(_ id: UUIDString) throws -> Bool {
        try db.queryFirst("SELECT 1 FROM held_back WHERE id = ?", [.text(id.rawValue)]) { _ in true } ?? false
    }

    /// Forgets that record `id` waits (it was dropped).
    func forgetHeldBack(_ id: UUIDString) throws {
        try db.run("DELETE FROM held_back WHERE id = ?", [.text(id.rawValue)])
    }
}
