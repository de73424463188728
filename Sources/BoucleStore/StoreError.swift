import BoucleCore
import SQLite

/// Why a replica operation failed, in words a user can act on. Never quotes a field's value.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case noReplica(path: String)
    case alreadyExists(path: String)
    case notAReplica(path: String)
    case damaged(String)
    case noSuchRecord(String)
    case recordDeleted(UUIDString)
    case invalid(String)
    case tenantMismatch(changeSet: String, replica: String)
    case changeSet(ChangeSetError)
    case merge(MergeError)
    case database(SQLiteError)
    case erasureIncomplete
    case io(String)

    public var description: String {
        switch self {
        case .noReplica(let path):
            "no replica at \(path): create one with `boucle init` (or pass --replica PATH)"
        case .alreadyExists(let path):
            "\(path) already exists: a replica is created once; use another --replica path to start afresh"
        case .notAReplica(let path):
            "\(path) is not a Boucle replica (not a SQLite database made by `boucle init`)"
        case .damaged(let what):
            "the replica is damaged: \(what); restore it from a backup or re-sync into a new replica"
        case .noSuchRecord(let id):
            "no record \(id) in this replica (see `boucle list COLLECTION`)"
        case .recordDeleted(let id):
            "record \(id) was deleted"
        case .invalid(let why):
            why
        case let .tenantMismatch(changeSet, replica):
            "this change-set belongs to tenant \"\(changeSet)\" but this replica to \"\(replica)\": nothing was imported"
        case .changeSet(let error):
            "\(error); nothing was imported"
        case .merge(let error):
            "\(error); nothing was imported"
        case .database(let error):
            error.isCorruptOrNotADatabase ? "the replica file is damaged or not a database (\(error.message))" : "database error: \(error)"
        case .erasureIncomplete:
            "the record is deleted, but its data may remain in the replica's write-ahead log until no other process has the replica open: close the other boucle processes using it"
        case .io(let why):
            why
        }
    }
}
