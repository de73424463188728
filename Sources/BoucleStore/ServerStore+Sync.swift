import BoucleCore
import SQLite

/// Why the server refused a push or a pull, with the stable code of Protocol/SERVER.md.
///
/// Messages name records and fields, never their values.
public struct SyncError: Error, Equatable, CustomStringConvertible {
    /// The machine-readable reason: `forbidden`, `invalid_changeset`, `wrong_tenant`, `conflict`.
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func forbidden(_ message: String) -> SyncError { SyncError(code: "forbidden", message: message) }
}

/// What a push did: how many changes were read and applied, and which pushed writes lost.
public struct PushResult: Equatable, Sendable {
    public var changes = 0
    public var applied = 0
    /// Pushed writes that lost to a write the server held whose writer had not seen them
    /// (`rejected`), or that met a tombstone whose deleter had not seen them (`deleted`).
    public var lost: [Conflict] = []
    /// The server's sequence number after the push.
    public var cursor: Int64 = 0
}

extension ServerStore {
    /// Applies a whole change-set pushed by `principal`, in one transaction: every change is
    /// authorized and merged, or (on the first refusal) none is. Returns once it is on disk.
    public func push(_ body: [UInt8], as principal: Principal) throws -> PushResult {
        try mergeChangeSet(body, into: principal.tenant, scope: principal.tenantScope) { change, existing in
            try ServerStore.authorize(change, existing: existing, principal: principal)
        }
    }

    /// Merges a change-set file carried in from the field into `tenant`, as the city's admin.
    public func importChangeSet(_ bytes: [UInt8], tenant: String) throws -> PushResult {
        guard let scope = try tenantScope(tenant) else {
            throw StoreError.invalid("no tenant \"\(tenant)\": create it with `boucle-server tenant create \(tenant)`")
        }
        return try mergeChangeSet(bytes, into: tenant, scope: scope) { _, _ in }
    }

    /// One page of the records of `principal`'s tenant changed after `after`, with the fields
    /// changed after `since` (the cursor the client's sync started from; `since <= after`).
    public func pull(as principal: Principal, since: Int64, after: Int64, limit: Int) throws -> ChangeSetPage {
        try RecordTable(db: db, scope: principal.tenantScope)
            .page(header: ChangeSetHeader(tenant: principal.tenant, origin: serverID), fieldsSince: since, after: after, limit: limit)
    }

    /// The server's sequence number: the cursor of a client that has everything.
    public func currentSequence() throws -> Int64 {
        try db.queryFirst("SELECT value FROM server_meta WHERE key = 'seq'") { Int64($0.text(0) ?? "") ?? 0 } ?? 0
    }

    private func mergeChangeSet(_ bytes: [UInt8], into tenant: String, scope: Int64,
                                check: (Change, RecordState?) throws -> Void) throws -> PushResult {
        let table = RecordTable(db: db, scope: scope)
        erasedData = false
        defer {
            // Deleted personal data must not survive in the WAL: copy it home and truncate it.
            if erasedData { try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        do {
            return try db.transaction {
                var seq = try currentSequence()
                var result = PushResult()
                var decoder = ChangeSetDecoder()
                try decoder.consume(bytes) { item in
                    switch item {
                    case .header(let header):
                        guard header.tenant.isEmpty || header.tenant == tenant else {
                            throw SyncError(code: "wrong_tenant", message: "this change-set belongs to tenant \"\(header.tenant)\", not \"\(tenant)\"")
                        }
                    case .change(let change):
                        let (outcome, newlyDeleted) = try table.merge(change, seq: seq + 1) { existing in
                            try check(change, existing)
                        }
                        if outcome.changed {
                            seq += 1
                            result.applied += 1
                        }
                        if newlyDeleted { erasedData = true }
                        result.changes += 1
                        result.lost += outcome.conflicts.filter { $0.loser == change.stamp }
                    }
                }
                try decoder.finish()
                try db.run("UPDATE server_meta SET value = ? WHERE key = 'seq'", [.text(String(seq))])
                result.cursor = seq
                return result
            }
        } catch let error as ChangeSetError {
            throw SyncError(code: "invalid_changeset", message: "\(error); nothing was applied")
        } catch let error as StoreError {
            if case .merge(let merge) = error { throw SyncError(code: "conflict", message: "\(merge); nothing was applied") }
            throw error
        }
    }

    /// The role rules of PRODUCT.md: a token writes only its tenant; a field token only its
    /// team's records and never deletes; a coordinator also deletes its team's; an admin writes
    /// and deletes anything of its tenant.
    static func authorize(_ change: Change, existing: RecordState?, principal: Principal) throws {
        if principal.role == .admin { return }
        let team = principal.team
        if change.team != team || (existing.map { $0.team != team } ?? false) {
            throw SyncError.forbidden("a \(principal.role.rawValue) token of team \(team) may not write \(change.collection.rawValue) \(change.id) of team \(existing?.team ?? change.team); nothing was applied")
        }
        if principal.role == .field {
            if case .delete = change.operation {
                throw SyncError.forbidden("a field token may not delete (\(change.collection.rawValue) \(change.id)): ask a coordinator; nothing was applied")
            }
            if change.collection == .category {
                throw SyncError.forbidden("a field token may not change categories: ask a coordinator; nothing was applied")
            }
        }
    }
}
