import BoucleCore
import BoucleProtocol
import SQLite

/// Who may apply a pushed change (Protocol/SERVER.md, "Roles" and "Relays and deferred changes").
///
/// A change is judged on its own, against the record the server holds and the replica that
/// wrote it:
///
/// 1. A change that would change nothing (the server holds it, or something that beats it) is
///    done, whoever carries it.
/// 2. Categories are changed by admin tokens only; the nine default categories are never deleted.
/// 3. A field or coordinator token writes records of its own team only (the change's team and the
///    stored record's); a field token never deletes.
/// 4. The writer: a change stamped by replica R is applied from a token of the team R is bound to.
///    R is bound to the team of the first token that pushes a change-set whose `origin` is R. A
///    change whose writer is bound to another team, or unbound and not the pusher itself, is a
///    relay: it waits for its own team (or an admin token, such as the city's import).
///    An admin token applies any writer's changes.
/// 5. A relayed change stamped more than `--max-clock-ahead` ahead of the server's clock waits
///    until the clock reaches it; the pusher's own refuses the whole push (`clock_ahead`).
///
/// A change that may not be applied is deferred: left out, listed in the answer, kept pending by
/// the pusher. Nothing else of the push is refused for it.
enum PushAuthority {
    /// Whether `principal` may apply `change` to `existing`, written by a replica bound to
    /// `writerTeam` (nil: unbound) while `origin` pushes; nil when it may.
    static func holdBack(_ change: Change, existing: RecordState?, principal: Principal, origin: UUIDString,
                         writerTeam: String?) -> (DeferredChange.Reason, String)? {
        if change.collection == .category {
            if case .delete = change.operation, Categories.isDefault(change.id) {
                return (.defaultCategory, "nothing: the default categories cannot be deleted")
            }
            if principal.role != .admin { return (.category, "an admin token") }
        }
        if principal.role == .admin { return nil }
        let team = principal.team
        let recordTeam = existing?.team ?? change.team
        if change.team != team || recordTeam != team {
            return (.team, "a token of team \(change.team != team ? change.team : recordTeam)")
        }
        if principal.role == .field, case .delete = change.operation {
            return (.role, "a coordinator token of team \(team)")
        }
        if let writerTeam, writerTeam != team { return (.writer, "a token of team \(writerTeam)") }
        if writerTeam == nil, change.stamp.replica != origin {
            return (.writer, "the sync of the replica that wrote it, or an admin's import")
        }
        return nil
    }

    /// Whether a change stamped ahead is the pusher's own (refuses the push) or a relay (waits).
    static func isOwn(_ change: Change, principal: Principal, origin: UUIDString, writerTeam: String?) -> Bool {
        principal.role == .admin || writerTeam == principal.team || (writerTeam == nil && change.stamp.replica == origin)
    }
}

/// The teams of the replicas that wrote a tenant's changes: which token writes a writer's changes.
struct WriterBindings {
    let db: Database
    let scope: Int64
    private var known: [UUIDString: String?] = [:]

    init(db: Database, scope: Int64) {
        self.db = db
        self.scope = scope
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS writers(
            scope INTEGER NOT NULL,
            replica TEXT NOT NULL,
            team TEXT NOT NULL,
            PRIMARY KEY(scope, replica)
        ) WITHOUT ROWID;
        """

    /// The team `replica` is bound to, or nil.
    mutating func team(of replica: UUIDString) throws -> String? {
        if let cached = known[replica] { return cached }
        let team = try db.queryFirst("SELECT team FROM writers WHERE scope = ? AND replica = ?",
                                     [.integer(scope), .text(replica.rawValue)]) { $0.text(0) } ?? nil
        known[replica] = team
        return team
    }

    /// Binds `replica` to `team` unless it is bound already.
    mutating func bind(_ replica: UUIDString, to team: String) throws {
        try db.run("INSERT OR IGNORE INTO writers(scope, replica, team) VALUES (?, ?, ?)",
                   [.integer(scope), .text(replica.rawValue), .text(team)])
        known[replica] = nil
    }
}
