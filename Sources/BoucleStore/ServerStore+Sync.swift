import BoucleCore
import BoucleProtocol
import SQLite

extension Refusal {
    static func stale(cursor: Int64, horizon: Horizon) -> Refusal {
        Refusal(.staleReplica,
                "this replica last synced at cursor \(cursor), before deletions the server has since forgotten (horizon \(horizon.sequence)): it must re-sync in full (boucle sync does so by itself)",
                horizon: horizon)
    }
}

extension ServerStore {
    /// Applies a whole change-set pushed by `principal`, in one transaction: every change is
    /// authorized and merged, or (on the first refusal) none is. Returns once it is on disk.
    ///
    /// `cursor` is the pusher's pull cursor: below the tenant's horizon, the push is refused as
    /// stale (it could bring back a purged record). A change stamped more than `maxClockAhead`
    /// milliseconds after the server's clock refuses the whole push (`clock_ahead`).
    public func push(_ body: [UInt8], as principal: Principal, cursor: Int64, maxClockAhead: UInt64) throws -> PushAnswer {
        var guardian = ClockGuard(now: environment.now(), maxAhead: maxClockAhead)
        // The horizon is read under the write lock: a compaction cannot slip in between.
        let start = { [self] in
            let horizon = try horizon(scope: principal.tenantScope)
            if cursor < horizon.sequence { throw Refusal.stale(cursor: cursor, horizon: horizon) }
        }
        let result = try mergeChangeSet(body, into: principal.tenant, scope: principal.tenantScope, start: start,
                                        finally: { try guardian.check() }) { change, existing in
            guardian.observe(change.stamp.hlc)
            try ServerStore.authorize(change, existing: existing, principal: principal)
        }
        return result
    }

    /// Merges a change-set file carried in from the field into `tenant`, as the city's admin.
    public func importChangeSet(_ bytes: [UInt8], tenant: String) throws -> PushAnswer {
        guard let scope = try tenantScope(tenant) else {
            throw StoreError.noTenant(tenant)
        }
        return try mergeChangeSet(bytes, into: tenant, scope: scope, start: {}, finally: {}) { _, _ in }
    }

    /// One page of the records of `principal`'s tenant changed after `after`, with the fields
    /// changed after `since` (the cursor the client's sync started from; `since <= after`), and
    /// the tenant's horizon. A `since` below the horizon is refused as stale, except from 0: a
    /// pull from 0 is a full pull, the way a stale replica re-syncs.
    public func pull(as principal: Principal, since: Int64, after: Int64, limit: Int) throws -> (page: ChangeSetPage, horizon: Horizon) {
        // One snapshot for the horizon, the sequence and the page: a compaction cannot slip in
        // between. Every row up to `sequence` is in the snapshot, so a client that received the
        // last page has everything up to it (purged rows included).
        try db.transactionForReading {
            let horizon = try horizon(scope: principal.tenantScope)
            if since > 0, since < horizon.sequence { throw Refusal.stale(cursor: since, horizon: horizon) }
            let sequence = try currentSequence()
            var page = try RecordTable(db: db, scope: principal.tenantScope)
                .page(header: ChangeSetHeader(tenant: principal.tenant, origin: serverID), fieldsSince: since, after: after, limit: limit)
            if !page.more { page.next = max(page.next, sequence) }
            return (page, horizon)
        }
    }

    /// The server's sequence number: the cursor of a client that has everything.
    public func currentSequence() throws -> Int64 {
        try db.queryFirst("SELECT value FROM server_meta WHERE key = ?", [.text(MetaKey.seq.rawValue)]) { Int64($0.text(0) ?? "") ?? 0 } ?? 0
    }

    /// Merges a change-set in one write transaction: `start` runs first under the write lock,
    /// `check` before each change, `finally` after the last; any throw rolls everything back.
    private func mergeChangeSet(_ bytes: [UInt8], into tenant: String, scope: Int64, start: () throws -> Void,
                                finally: () throws -> Void, check: (Change, RecordState?) throws -> Void) throws -> PushAnswer {
        let table = RecordTable(db: db, scope: scope)
        erasedData = false
        defer {
            // Deleted personal data must not survive in the WAL: copy it home and truncate it.
            // Not complete or failed: ignored here, the next hourly checkpoint retries.
            if erasedData { _ = try? db.checkpoint(.truncate) }
        }
        do {
            return try writeTransaction {
                try start()
                var seq = try currentSequence()
                var result = PushAnswer()
                var decoder = ChangeSetDecoder()
                try decoder.consume(bytes) { item in
                    switch item {
                    case .header(let header):
                        guard header.tenant.isEmpty || header.tenant == tenant else {
                            throw Refusal(.wrongTenant, "this change-set belongs to tenant \"\(header.tenant)\", not \"\(tenant)\"")
                        }
                    case .change(let change):
                        let effect = try table.merge(change, seq: seq + 1) { existing in
                            try check(change, existing)
                        }
                        if effect.changed {
                            seq += 1
                            result.applied += 1
                        }
                        if effect.newlyDeleted { erasedData = true }
                        result.changes += 1
                        result.lost += effect.conflicts.filter { $0.loser == change.stamp }
                    }
                }
                try decoder.finish()
                try finally()
                try db.run("UPDATE server_meta SET value = ? WHERE key = ?", [.text(String(seq)), .text(MetaKey.seq.rawValue)])
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

    /// Counts the changes of a push stamped too far ahead of the server's clock.
    struct ClockGuard {
        let now: UInt64
        let maxAhead: UInt64
        var count = 0
        var furthest: UInt64 = 0

        mutating func observe(_ hlc: HLC) {
            if hlc.milliseconds > now + maxAhead {
                count += 1
                furthest = max(furthest, hlc.milliseconds - now)
            }
        }

        /// Refuses the push when any change was ahead, saying by how much.
        func check() throws {
            guard count > 0 else { return }
            throw Refusal(.clockAhead, "the server refused \(Plural.count(count, "change")) stamped up to \(Duration.describe(furthest)) ahead of its clock (the limit is \(Duration.describe(maxAhead))); nothing was applied")
        }
    }

    /// The role rules of PRODUCT.md: a token writes only its tenant; a field token only its
    /// team's records and never deletes; a coordinator also deletes its team's; an admin writes
    /// and deletes anything of its tenant.
    static func authorize(_ change: Change, existing: RecordState?, principal: Principal) throws {
        if principal.role == .admin { return }
        let team = principal.team
        if change.team != team || (existing.map { $0.team != team } ?? false) {
            throw Refusal(.forbidden, "a \(principal.role.rawValue) token of team \(team) may not write \(change.collection.rawValue) \(change.id) of team \(existing?.team ?? change.team); nothing was applied")
        }
        if principal.role == .field {
            if case .delete = change.operation {
                throw Refusal(.forbidden, "a field token may not delete (\(change.collection.rawValue) \(change.id)): ask a coordinator; nothing was applied")
            }
            if change.collection == .category {
                throw Refusal(.forbidden, "a field token may not change categories: ask a coordinator; nothing was applied")
            }
        }
    }
}
