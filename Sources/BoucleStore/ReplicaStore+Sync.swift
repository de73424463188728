import BoucleCore
import BoucleProtocol

/// Where a pull resumes: the cursor the pull started from and the last row received.
public struct PullCursor: Equatable, Sendable {
    public var since: Int64
    public var after: Int64
}

/// How a replica reaches its server, saved in the replica: the URL, the team's token, and the
/// city's own certificate authority (PEM text) for an https server no public authority vouches
/// for. Each is nil until set.
public struct ServerSettings: Equatable, Sendable {
    public var server: String?
    public var token: String?
    public var authority: String?

    public init(server: String? = nil, token: String? = nil, authority: String? = nil) {
        self.server = server
        self.token = token
        self.authority = authority
    }

    /// These settings with each one `newer` sets in place of this one's.
    public func updated(with newer: ServerSettings) -> ServerSettings {
        ServerSettings(server: newer.server ?? server, token: newer.token ?? token, authority: newer.authority ?? authority)
    }
}

extension ReplicaStore {
    /// The server settings saved in the replica.
    public func serverSettings() throws -> ServerSettings {
        ServerSettings(server: try meta(.server), token: try meta(.token), authority: try meta(.authority))
    }

    /// Saves the settings `settings` sets, keeping the others (`boucle sync --server … --token …`).
    public func saveServerSettings(_ settings: ServerSettings) throws {
        try write { try saveSettings(settings) }
    }

    func saveSettings(_ settings: ServerSettings) throws {
        if let server = settings.server { try setMeta(.server, server) }
        if let token = settings.token { try setMeta(.token, token) }
        if let authority = settings.authority { try setMeta(.authority, authority) }
    }

    /// The next batch of records changed here and not yet pushed, at most `maxRecords` of them
    /// and no more once `maxBytes` are reached (one record always fits).
    ///
    /// Like a pull, a push in batches keeps two cursors: `pushed_seq`, below which everything is
    /// on the server, and `push_after`, the last record of the batches accepted since. A record
    /// in a later batch may hold fields older than an earlier batch's records: each batch sends
    /// the fields changed after `pushed_seq`, and `pushed_seq` moves only with the last batch.
    ///
    /// `after`, when given, is the last record of a batch still on its way to the server: the
    /// batch that follows it, read while the server merges it (what `push_after` will say once
    /// the server has taken it).
    public func pendingBatch(after inFlight: Int64? = nil, maxRecords: Int, maxBytes: Int = SyncDefaults.pushBatchBytes) throws -> ChangeSetPage {
        try db.transactionForReading {
            let pushed = try metaInt(.pushedSeq)
            let after = max(pushed, try inFlight ?? metaInt(.pushAfter))
            return try table.page(header: ChangeSetHeader(tenant: tenant, origin: replicaID), fieldsSince: pushed, after: after,
                                  limit: maxRecords, maxBytes: maxBytes)
        }
    }

    /// Records that the server took a batch whose last record is `next` (the last batch when
    /// `more` is false): moves the push cursors, notes the changes it deferred (their records
    /// wait, `held_back`), and logs the pushed writes that lost there (`beaten`, or `deleted`
    /// for edits of deleted records).
    public func markPushed(upTo next: Int64, more: Bool, answer: PushAnswer) throws {
        try write {
            if more {
                try setMeta(.pushAfter, String(next))
            } else {
                if next > (try metaInt(.pushedSeq)) { try setMeta(.pushedSeq, String(next)) }
                try setMeta(.pushAfter, nil)
            }
            try noteDeferred(answer.deferred)
            try logLost(answer.lost)
            try noteEcho(answer.echo)
        }
    }

    /// Adds a push's echo to the ranges the next pull skips (at most `PullRequest.maxSkippedRanges`:
    /// what does not fit merely comes back once).
    func noteEcho(_ echo: [ClosedRange<Int64>]) throws {
        guard !echo.isEmpty else { return }
        let ranges = try pullSkip() + echo
        try setMeta(.pullSkip, PullRequest.text(Array(ranges.prefix(PullRequest.maxSkippedRanges))))
    }

    /// The server sequences the next pull skips: this replica's own echo.
    public func pullSkip() throws -> [ClosedRange<Int64>] {
        guard let text = try meta(.pullSkip) else { return [] }
        return (try? PullRequest(query: ["skip": text]))?.skip ?? []
    }

    /// Logs pushed writes that lost at the server: `beaten`, or `deleted` (without values).
    func logLost(_ lost: [Conflict]) throws {
        for conflict in lost {
            let kind: Conflict.Kind = conflict.kind == .deleted ? .deleted : .beaten
            try log(Conflict(kind: kind, recordID: conflict.recordID, collection: conflict.collection, field: conflict.field,
                             loser: conflict.loser, loserValue: kind == .deleted ? nil : conflict.loserValue,
                             winner: conflict.winner, winnerValue: kind == .deleted ? nil : conflict.winnerValue))
        }
    }

    /// Where the next pull starts.
    public func pullCursor() throws -> PullCursor {
        PullCursor(since: try metaInt(.pullSince), after: try metaInt(.pullAfter))
    }

    /// Merges one pulled page in one transaction and moves the pull cursor past it. When the
    /// page is the last one, the cursor becomes `next` for both `since` and `after`. Pulled
    /// changes are not pending: if nothing was pending before, nothing is after.
    public func applyPulledPage(_ page: DecodedChangeSet, next: Int64, more: Bool) throws -> ImportSummary {
        let resyncing = try isResyncing()
        return try importChangeSet(
            from: .decoded(page), guarding: nil,
            before: { [self] in try metaInt(.pushedSeq) == seq },
            onChange: { [self] change in if resyncing { try noteResyncSeen(change.id) } },
            after: { [self] nothingWasPending in
                if nothingWasPending {
                    try setMeta(.pushedSeq, String(seq))
                    try setMeta(.pushAfter, nil)
                }
                let since = try metaInt(.pullSince)
                try setMeta(.pullAfter, String(max(next, since)))
                if !more {
                    try setMeta(.pullSince, String(max(next, since)))
                    try setMeta(.pullSkip, nil)
                }
            }
        )
    }

    /// The generation of the server's database this replica syncs with, once it has seen one.
    public func serverGeneration() throws -> UUIDString? {
        try meta(.serverGeneration).flatMap { UUIDString($0) }
    }

    /// Notes the server's generation, as its answers give it.
    public func adoptServerGeneration(_ generation: UUIDString) throws {
        guard try serverGeneration() != generation else { return }
        try write { try setMeta(.serverGeneration, generation.rawValue) }
    }

    /// Starts over with a server that went back in time (restored from a backup): everything
    /// this replica holds is pending again, and the next pull starts from 0. Nothing here is
    /// dropped: the server merges what it has already, and takes back what it lost.
    public func restartWithServer() throws {
        try write {
            for key in [MetaKey.pushedSeq, .pullSince, .pullAfter] { try setMeta(key, "0") }
            for key in [MetaKey.pushAfter, .resync, .serverGeneration, .pullSkip] { try setMeta(key, nil) }
        }
    }

    /// Records a successful sync's time.
    public func markSynced() throws {
        try write { try setMeta(.lastSync, String(environment.now())) }
    }
}

extension ReplicaStore {
    /// Re-stamps the pending writes stamped ahead of the wall clock (`boucle sync --restamp`),
    /// after a server refused them for a laptop clock set wrong: the replica's clock is brought
    /// back to the wall clock (a deliberate repair, the one time it moves back), and each such
    /// pending register or tombstone written here gets a fresh stamp, keeping its value (writes
    /// of other replicas carried here keep theirs: re-stamping them would forge their writer;
    /// the server holds them back until its clock reaches them). Returns how many records were
    /// re-stamped. Writes already exchanged by file keep their old stamp elsewhere: being later,
    /// that one wins there, so re-stamp before exchanging files.
    public func restamp() throws -> Int {
        try write {
            let pushed = try metaInt(.pushedSeq)
            let now = environment.now()
            resetClock(toWallClock: now)
            var stale: [(UUIDString, RecordState, Int64)] = []
            func isStale(_ stamp: Stamp) -> Bool { stamp.replica == replicaID && stamp.hlc.milliseconds > now }
            try table.forEach(changedSince: pushed) { id, state, seq in
                let ahead = state.fields.values.contains { $0.seq > pushed && isStale($0.stamp) } || (state.tombstone.map(isStale) ?? false)
                if ahead { stale.append((id, state, seq)) }
            }
            for (id, previous, previousSeq) in stale {
                var state = previous
                // One fresh stamp per record: its re-stamped fields travel as one change.
                let stamp = try nextStamp()
                if let tombstone = state.tombstone, isStale(tombstone) { state.tombstone = stamp }
                for (name, register) in state.fields where register.seq > pushed && isStale(register.stamp) {
                    state.fields[name]?.stamp = stamp
                }
                try table.save(id, state, seq: nextSeq(), previous: (previous, previousSeq))
            }
            return stale.count
        }
    }
}
