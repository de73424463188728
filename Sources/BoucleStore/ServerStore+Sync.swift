import BoucleCore
import BoucleProtocol
import SQLite

extension Refusal {
    static func restored(_ why: String) -> Refusal {
        Refusal(.serverRestored, "\(why): the server was restored from a backup (or is another server); this replica must send everything it holds again and pull everything (boucle sync does so by itself)")
    }

    static func stale(cursor: Int64, horizon: Horizon) -> Refusal {
        Refusal(.staleReplica,
                "this replica last synced at cursor \(cursor), before deletions the server has since forgotten (horizon \(horizon.sequence)): it must re-sync in full (boucle sync does so by itself)",
                horizon: horizon)
    }
}

extension ServerStore {
    /// Applies a change-set pushed by `principal`, in one transaction, by the rules of
    /// `PushAuthority`: each change is applied, found done already, or deferred (listed in the
    /// answer, left out). Returns once it is on disk.
    ///
    /// `cursor` is the pusher's pull cursor: below the tenant's horizon, the push is refused as
    /// stale (it could bring back a purged record). A change of the pusher's own stamped more
    /// than `maxClockAhead` milliseconds after the server's clock refuses the whole push
    /// (`clock_ahead`). The push's `origin` is bound to the token's team if it was not bound.
    public func push(_ body: [UInt8], as principal: Principal, cursor: Int64, generation: UUIDString? = nil,
                     maxClockAhead: UInt64) throws -> PushAnswer {
        var guardian = ClockGuard(now: environment.now(), maxAhead: maxClockAhead)
        var writers = WriterBindings(db: db, scope: principal.tenantScope)
        var origin = UUIDString.zero
        let rules = MergeRules(
            cursor: cursor,
            start: { [self] header in
                try checkTimeline(generation: generation, cursor: cursor)
                // The horizon is read under the write lock: a compaction cannot slip in between.
                let horizon = try horizon(scope: principal.tenantScope)
                if cursor < horizon.sequence { throw Refusal.stale(cursor: cursor, horizon: horizon) }
                origin = header.origin
            },
            admit: { change in
                guard guardian.isAhead(change.stamp.hlc) else { return nil }
                let writerTeam = try writers.team(of: change.stamp.replica)
                guard PushAuthority.isOwn(change, principal: principal, origin: origin, writerTeam: writerTeam) else {
                    return (.clockAhead, "the server's clock to reach its stamp")
                }
                guardian.observe(change.stamp.hlc)
                return nil
            },
            holdBack: { change, existing in
                let writerTeam = try writers.team(of: change.stamp.replica)
                return PushAuthority.holdBack(change, existing: existing, principal: principal, origin: origin, writerTeam: writerTeam)
            },
            finish: {
                if let ahead = guardian.summary(clock: "its") { throw Refusal(.clockAhead, "the server refused \(ahead); nothing was applied") }
                try writers.bind(origin, to: principal.team)
            }
        )
        var offset = 0
        return try mergeChangeSet(into: principal.tenant, scope: principal.tenantScope, rules: rules) {
            guard offset < body.count else { return nil }
            let end = min(offset + 1 << 16, body.count)
            defer { offset = end }
            return Array(body[offset..<end])
        }
    }

    /// Merges a change-set file carried in from the field into `tenant`, as the city's admin:
    /// every change an admin token may apply, the whole file refused if any is stamped more than
    /// `maxClockAhead` ahead of the server's clock. The file is read in pieces, whatever its size.
    public func importChangeSet(path: String, tenant: String, maxClockAhead: UInt64) throws -> PushAnswer {
        guard let scope = try tenantScope(tenant) else {
            throw StoreError.noTenant(tenant)
        }
        var guardian = ClockGuard(now: environment.now(), maxAhead: maxClockAhead)
        let city = Principal(tokenID: "", tenant: tenant, tenantScope: scope, team: Categories.seedTeam, role: .admin)
        let rules = MergeRules(
            cursor: nil,
            start: { _ in },
            admit: { change in
                guardian.observe(change.stamp.hlc)
                return nil
            },
            holdBack: { change, existing in
                PushAuthority.holdBack(change, existing: existing, principal: city, origin: .zero, writerTeam: nil)
            },
            finish: {
                if let ahead = guardian.summary(clock: "the server's") { throw StoreError.clockAhead(ahead) }
            }
        )
        let file = try ChangeSetFile(path: path)
        defer { file.close() }
        return try mergeChangeSet(into: tenant, scope: scope, rules: rules, nextChunk: file.nextChunk)
    }

    /// One page of the records of `principal`'s tenant changed after `after`, with the fields
    /// changed after `since` (the cursor the client's sync started from; `since <= after`), and
    /// the tenant's horizon. A `since` below the horizon is refused as stale, except from 0: a
    /// pull from 0 is a full pull, the way a stale replica re-syncs.
    public func pull(as principal: Principal, since: Int64, after: Int64, generation: UUIDString? = nil,
                     limit: Int, skipping: [ClosedRange<Int64>] = []) throws -> (page: ChangeSetPage, horizon: Horizon) {
        // One snapshot for the horizon, the sequence and the page: a compaction cannot slip in
        // between. Every row up to `sequence` is in the snapshot, so a client that received the
        // last page has everything up to it (purged rows included).
        try db.transactionForReading {
            try checkTimeline(generation: generation, cursor: after)
            let horizon = try horizon(scope: principal.tenantScope)
            if since > 0, since < horizon.sequence { throw Refusal.stale(cursor: since, horizon: horizon) }
            let sequence = try currentSequence()
            var page = try records(scope: principal.tenantScope)
                .page(header: ChangeSetHeader(tenant: principal.tenant, origin: serverID), fieldsSince: since, after: after, limit: limit,
                      maxBytes: SyncDefaults.pageBytes, skipping: skipping)
            if !page.more { page.next = max(page.next, sequence) }
            return (page, horizon)
        }
    }

    /// Refuses a client that saw another generation of this database, or a cursor beyond its
    /// sequence: the database went back in time (a restore), and the client's cursors mean nothing
    /// here any more (Protocol/SERVER.md, "Restores").
    private func checkTimeline(generation client: UUIDString?, cursor: Int64) throws {
        let current = try meta(.generation).flatMap { UUIDString($0) }
        if let client, client != current { throw Refusal.restored("this replica last synced with another generation of this server's database") }
        let sequence = try currentSequence()
        if cursor > sequence { throw Refusal.restored("this replica's cursor \(cursor) is beyond this server's sequence \(sequence)") }
    }

    /// The server's sequence number: the cursor of a client that has everything.
    public func currentSequence() throws -> Int64 {
        try meta(.seq).flatMap { Int64($0) } ?? 0
    }

    /// What a merge of a change-set asks of its caller: `start` with the header, under the write
    /// lock; `admit` once for each change, before anything is read of its record, and `holdBack`
    /// (without side effects: it may be asked twice) with its stored record (nil: apply it; else
    /// why it waits); `finish` after the last change. Any throw rolls everything back.
    struct MergeRules {
        /// The pusher's pull cursor: a row it left with no earlier change after this is exactly
        /// as the pusher holds it (its echo); nil computes no echo.
        var cursor: Int64?
        var start: (ChangeSetHeader) throws -> Void
        var admit: (Change) throws -> (DeferredChange.Reason, String)?
        var holdBack: (Change, RecordState?) throws -> (DeferredChange.Reason, String)?
        var finish: () throws -> Void
    }

    /// Merges a change-set, given in pieces by `nextChunk` (nil at its end), in one write
    /// transaction, by `rules`. The change-set is decoded on a thread of its own
    /// (`DecodingPipeline`), which starts while this one waits for the write lock, and goes on
    /// while this one merges.
    private func mergeChangeSet(into tenant: String, scope: Int64, rules: MergeRules,
                                nextChunk: @escaping () throws -> [UInt8]?) throws -> PushAnswer {
        let table = records(scope: scope)
        let pipeline = DecodingPipeline(forReplica: false, nextChunk: nextChunk)
        defer { pipeline.finish() }
        erasedData = false
        defer {
            // Deleted personal data must not survive in the WAL. Not finished now (a reader is
            // open): the server's `Eraser` retries in the background.
            if erasedData { _ = try? finishErasure() }
        }
        do {
            return try writeTransaction {
                var seq = try currentSequence()
                let first = seq + 1
                var result = PushAnswer()
                var echo = EchoRanges(limit: PullRequest.maxSkippedRanges)
                func handle(_ item: ChangeSetDecoder.Item) throws {
                    switch item {
                    case .header(let header):
                        guard header.tenant.isEmpty || header.tenant == tenant else {
                            throw Refusal(.wrongTenant, "this change-set belongs to tenant \"\(header.tenant)\", not \"\(tenant)\"")
                        }
                        try rules.start(header)
                    case .change(let change):
                        let clock = try rules.admit(change)
                        var waits: (DeferredChange.Reason, String)?
                        let effect = try table.merge(change, seq: seq + 1) { existing in
                            waits = try clock ?? rules.holdBack(change, existing)
                            return waits == nil
                        }
                        if effect.heldBack, let (reason, waitsFor) = waits {
                            result.deferred.append(DeferredChange(id: change.id, collection: change.collection, stamp: change.stamp,
                                                                  reason: reason, waitsFor: waitsFor))
                        }
                        if effect.changed {
                            seq += 1
                            result.applied += 1
                            // The row is what the pusher holds if nothing else touched it after
                            // the pusher's cursor: new, or last changed at or before it (or by
                            // this push, cleanly).
                            if let cursor = rules.cursor {
                                let previous = effect.previousSeq ?? 0
                                echo.note(seq, clean: previous <= cursor || (previous >= first && echo.contains(previous)))
                            }
                        }
                        if effect.newlyDeleted { erasedData = true }
                        result.changes += 1
                        result.lost += effect.conflicts.filter { $0.loser == change.stamp }
                    }
                }
                while let batch = try pipeline.next() {
                    for decoded in batch { try handle(decoded.item) }
                    pipeline.giveBack(batch)
                }
                try rules.finish()
                result.echo = echo.ranges
                try setMeta(.seq, String(seq))
                if result.applied > 0 { try logReceipt(upTo: seq) }
                if erasedData { try noteErasure() }
                result.cursor = seq
                return result
            }
        } catch let error as ChangeSetError {
            throw Refusal(.invalidChangeSet, "\(error); nothing was applied")
        } catch let error as StoreError {
            if case .merge(let merge) = error { throw Refusal(.conflict, "\(merge); nothing was applied") }
            throw error
        }
    }
}

/// The clean sequences of one push, as ranges of consecutive ones, at most `limit` of them (the
/// rest are not reported: they only come back once, as an echo).
struct EchoRanges {
    let limit: Int
    private(set) var ranges: [ClosedRange<Int64>] = []

    init(limit: Int) { self.limit = limit }

    /// Notes row sequence `seq` (in increasing order) as clean or not.
    mutating func note(_ seq: Int64, clean: Bool) {
        guard clean else { return }
        if let last = ranges.last, last.upperBound == seq - 1 {
            ranges[ranges.count - 1] = last.lowerBound...seq
        } else if ranges.count < limit {
            ranges.append(seq...seq)
        }
    }

    func contains(_ seq: Int64) -> Bool { ranges.contains { $0.contains(seq) } }
}
