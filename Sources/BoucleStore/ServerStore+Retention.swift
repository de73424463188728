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

    /// Purges every tombstone deleted more than `retention` milliseconds before now, in one
    /// transaction, and moves each tenant's horizon past the purged rows. Safe while the server
    /// serves: pushes wait for it like for any writer; a pull that started before it either
    /// finishes on its snapshot or is told (410) to re-sync in full.
    public func compact(retention: UInt64) throws -> CompactionResult {
        let now = environment.now()
        let cutoff = now > retention ? now - retention : 0
        let cutoffStamp = HLC(milliseconds: min(cutoff, HLC.maxMilliseconds), counter: 0)
        var result = CompactionResult()
        try writeTransaction {
            let tenants = try db.query("SELECT id, name FROM tenants ORDER BY name") { ($0.int64(0), $0.text(1) ?? "") }
            for (scope, name) in tenants {
                let purged = try RecordTable(db: db, scope: scope).purgeTombstones(stampedBefore: cutoffStamp)
                if purged.count > 0 {
                    try db.run("UPDATE tenants SET horizon = max(horizon, ?), horizon_time = max(horizon_time, ?) WHERE id = ?",
                               [.integer(purged.highestSeq), .integer(Int64(clamping: cutoff)), .integer(scope)])
                    result.purged += purged.count
                }
                result.horizons[name] = try horizon(scope: scope)
            }
        }
        // Not complete or failed: ignored here, the next hourly checkpoint retries.
        if result.purged > 0 { _ = try? db.checkpoint(.truncate) }
        return result
    }
}
