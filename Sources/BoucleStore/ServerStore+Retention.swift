import BoucleCore
import BoucleProtocol
import SQLite

/// What a compaction purged.
public struct CompactionResult: Equatable, Sendable {
    /// Tombstones purged, all tenants together.
    public var purged = 0
    /// Each tenant's horizon afterwards.
    public var horizons: [String: Horizon] = [:]
}

extension ServerStore {
    /// The horizon of the tenant whose scope is `scope`.
    public func horizon(scope: Int64) throws -> Horizon {
        try db.queryFirst("SELECT horizon, horizon_time FROM tenants WHERE id = ?", [.integer(scope)]) { row in
            Horizon(sequence: row.int64(0), time: UInt64(max(0, row.int64(1))))
        } ?? Horizon(sequence: 0, time: 0)
    }

    /// Notes when the server received the rows up to `seq` (a push or import just committed):
    /// retention counts from there (`push_log`, one row a write transaction).
    func logReceipt(upTo seq: Int64) throws {
        try db.run("INSERT OR REPLACE INTO push_log(seq, received_at) VALUES (?, ?)", [.integer(seq), .integer(Int64(clamping: environment.now()))])
    }

    /// Purges, in one transaction, every tombstone both stamped and received more than
    /// `retention` milliseconds before now, and moves each tenant's horizon to the highest row it
    /// purged (no further). Safe while the server serves: pushes wait for it like for any writer;
    /// a pull that started before it either finishes on its snapshot or is told (410) to re-sync
    /// in full.
    ///
    /// "Received" is read off `push_log`: the rows up to the highest sequence logged before the
    /// cut-off were received before it. A database without a log yet (made by an earlier
    /// version) gets one now, as if everything it holds had just arrived.
    public func compact(retention: UInt64) throws -> CompactionResult {
        let now = environment.now()
        let cutoff = now > retention ? now - retention : 0
        let cutoffStamp = HLC(milliseconds: min(cutoff, HLC.maxMilliseconds), counter: 0)
        var result = CompactionResult()
        try writeTransaction {
            let receivedBefore = try db.queryFirst("SELECT max(seq) FROM push_log WHERE received_at < ?", [.integer(Int64(clamping: cutoff))]) { row in
                row.isNull(0) ? nil : row.int64(0)
            } ?? nil
            if try db.queryFirst("SELECT count(*) FROM push_log", row: { $0.int64(0) }) == 0 { try logReceipt(upTo: try currentSequence()) }
            let tenants = try db.query("SELECT id, name FROM tenants ORDER BY name") { ($0.int64(0), $0.text(1) ?? "") }
            for (scope, name) in tenants {
                guard let receivedBefore else {
                    result.horizons[name] = try horizon(scope: scope)
                    continue
                }
                let purged = try records(scope: scope).purgeTombstones(stampedBefore: cutoffStamp, upTo: receivedBefore)
                if purged.count > 0 {
                    try db.run("UPDATE tenants SET horizon = max(horizon, ?), horizon_time = max(horizon_time, ?) WHERE id = ?",
                               [.integer(purged.highestSeq), .integer(Int64(clamping: cutoff)), .integer(scope)])
                    result.purged += purged.count
                }
                result.horizons[name] = try horizon(scope: scope)
            }
            if let receivedBefore { try db.run("DELETE FROM push_log WHERE seq < ?", [.integer(receivedBefore)]) }
            if result.purged > 0 { try noteErasure() }
        }
        if result.purged > 0 { _ = try? finishErasure() }
        return result
    }
}
