import BoucleCore

/// What a full re-sync did to the records the server no longer has.
public struct ResyncSummary: Equatable, Sendable {
    /// Records dropped: the server deleted and forgot them.
    public var dropped = 0
    /// Records kept although the server lacks them: made or carried here and never pushed.
    public var kept = 0
    /// Edits of dropped records, now in the conflict log.
    public var lostEdits = 0
}

/// A full re-sync (Protocol/SERVER.md, "Tombstone retention"): when the server has purged
/// tombstones this replica may not have seen, it fetches the whole current state, then decides
/// about each local record the server did not send:
///
/// - a tombstone made here and not yet pushed is kept (it will be pushed); any other is dropped;
/// - a record none of whose values was ever pushed from here is kept, if it was created here or
///   after the server's horizon time (the server cannot have forgotten it); it will be pushed;
/// - any other record is dropped: the server deleted it and forgot the delete. Its values not
///   yet pushed from here (edits made here, or brought by a file) are logged as `deleted`
///   conflicts (without values).
///
/// Nothing deleted on the server comes back, and nothing made here is lost silently.
extension ReplicaStore {
    static let resyncSchema = "CREATE TABLE IF NOT EXISTS resync_seen(id TEXT PRIMARY KEY) WITHOUT ROWID"

    /// Starts a full re-sync: the pull cursor goes back to 0 and the ids pulled are recorded.
    public func beginFullResync() throws {
        try write {
            try db.execute(Self.resyncSchema)
            try db.execute("DELETE FROM resync_seen")
            try setMeta(.resync, "1")
            try setMeta(.pullSince, "0")
            try setMeta(.pullAfter, "0")
            // A full pull must see every record the server holds: no echo is left out.
            try setMeta(.pullSkip, nil)
        }
    }

    /// True while a full re-sync is under way (a cut one restarts from the beginning).
    public func isResyncing() throws -> Bool { try meta(.resync) == "1" }

    /// Ends a full re-sync once every page was pulled: drops or keeps the records the server
    /// did not send, by the rules above. `horizonTime` is the server's (milliseconds).
    public func finishFullResync(horizonTime: UInt64) throws -> ResyncSummary {
        try write {
            let pushed = try metaInt(.pushedSeq)
            var summary = ResyncSummary()
            var dropped: [UUIDString] = []
            let seeds = Set(Categories.seedChanges.map(\.id))
            let horizonStamp = Stamp(hlc: HLC(milliseconds: min(horizonTime, HLC.maxMilliseconds), counter: 0), replica: .zero)
            try table.forEach(changedSince: -1) { id, state, seq in
                // The seeded categories are on every replica and never on the server.
                guard !seeds.contains(id),
                      try db.queryFirst("SELECT 1 FROM resync_seen WHERE id = ?", [.text(id.rawValue)], row: { _ in true }) == nil
                else { return }
                if keepsUnsent(state, rowSeq: seq, pushed: try isWaiting(id) ? -1 : pushed, horizonTime: horizonTime) {
                    summary.kept += 1
                    return
                }
                // Values pending here, whoever wrote them, are lost with the record: logged.
                for (name, register) in state.fields.sorted(by: { $0.key < $1.key }) where register.seq > pushed {
                    try log(Conflict(kind: .deleted, recordID: id, collection: state.collection, field: name,
                                     loser: register.stamp, loserValue: nil, winner: horizonStamp, winnerValue: nil))
                    summary.lostEdits += 1
                }
                dropped.append(id)
            }
            for id in dropped {
                try eraseConflictValues(of: id)
                try forgetHeldBack(id)
                try table.remove(id)
            }
            summary.dropped = dropped.count
            try db.execute("DELETE FROM resync_seen")
            try setMeta(.resync, nil)
            markErased()
            return summary
        }
    }

    /// Whether a record the server did not send stays here (to be pushed). A held-back record
    /// counts as never pushed (`pushed` -1).
    private func keepsUnsent(_ state: RecordState, rowSeq: Int64, pushed: Int64, horizonTime: UInt64) -> Bool {
        if let tombstone = state.tombstone {
            return tombstone.replica == replicaID && rowSeq > pushed
        }
        guard !state.fields.isEmpty, state.fields.values.allSatisfy({ $0.seq > pushed }) else { return false }
        let oldest = state.fields.values.map(\.stamp).min { $1.beats($0) }
        guard let oldest else { return false }
        return oldest.replica == replicaID || oldest.hlc.milliseconds >= horizonTime
    }

    /// Forgets the tombstones the server has forgotten: those deleted before its horizon time,
    /// except a delete still on its way to the server (made here and not yet pushed, or held
    /// back for another token). Afterwards this replica holds what a fresh clone would, and its
    /// pending deletes. Returns how many were purged.
    @discardableResult
    public func purgeTombstones(deletedBefore horizonTime: UInt64) throws -> Int {
        guard horizonTime > 0 else { return 0 }
        return try write {
            try table.purgeTombstones(stampedBefore: HLC(milliseconds: min(horizonTime, HLC.maxMilliseconds), counter: 0),
                                      except: replicaID, above: try metaInt(.pushedSeq))
        }
    }

    /// Records the ids of a pulled page during a full re-sync.
    func noteResyncSeen(_ id: UUIDString) throws {
        try db.run("INSERT OR IGNORE INTO resync_seen(id) VALUES (?)", [.text(id.rawValue)])
    }
}
