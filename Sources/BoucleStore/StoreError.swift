import BoucleCore
import SQLite

/// Why a store operation failed: the facts (which file, which record, which rule), never a
/// field's value, and no command-line advice (the command lines add theirs).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// No replica file at this path.
    case noReplica(path: String)
    /// A replica is created where a file exists already.
    case alreadyExists(path: String)
    /// The file is not a replica (not SQLite, or not made by `boucle init`).
    case notAReplica(path: String)
    /// The file is not a boucle-server database.
    case notAServerDatabase(path: String)
    /// The file was written by another version of Boucle, in another format.
    case otherFormat(path: String, found: String, expected: String)
    /// A row or value in the file cannot be read.
    case damaged(String)
    /// No record has this id, or starts with this prefix.
    case noSuchRecord(String)
    /// Several records start with this prefix.
    case ambiguousID(String)
    /// An id prefix shorter than `ReplicaStore.minimumIDPrefix`.
    case idPrefixTooShort(String)
    /// A new record's id is a record of this replica already.
    case recordExists(UUIDString)
    /// The record was deleted.
    case recordDeleted(UUIDString)
    /// The record is of another collection than the one named.
    case wrongCollection(UUIDString, is: RecordCollection, expected: RecordCollection)
    /// An edit breaks a rule of `EditRules`.
    case edit(EditViolation)
    /// A spreadsheet row failed: its line, and why.
    indirect case row(line: Int, StoreError)
    /// A spreadsheet row names the record an earlier line named.
    case sameRecordAsLine(Int)
    /// A team or tenant name that is not a slug.
    case invalidName(kind: String)
    /// The server has a tenant of this name already.
    case tenantExists(String)
    /// The server has no tenant of this name.
    case noTenant(String)
    /// The replica's clock is at the top of its range: no local write can be stamped.
    case clockExhausted
    /// A local edit would lose to a value stamped ahead of this replica's clock.
    case editCannotWin(UUIDString, field: String, stamped: UInt64)
    /// Changes stamped too far ahead of this machine's clock (`ClockGuard.summary`).
    case clockAhead(String)
    /// A change-set of another tenant than the replica's.
    case tenantMismatch(changeSet: String, replica: String)
    /// The change-set is refused (SPEC §4).
    case changeSet(ChangeSetError)
    /// A change cannot be merged (SPEC §3, rule 4).
    case merge(MergeError)
    /// SQLite failed.
    case database(SQLiteError)
    /// A delete is done but its data may still be in the write-ahead log.
    case erasureIncomplete
    /// A file could not be read or written.
    case io(String)
    /// A file is to be written where something else than a regular file is.
    case notARegularFile(path: String, kind: String)
    /// A database path names a folder; `example` is a file in it.
    case isAFolder(path: String, example: String)
    /// The folder a new database would go in does not exist.
    case noFolder(String)
    /// A database cannot be written: `what` (the file, or its folder) is read-only.
    case readOnly(path: String, what: String)
    /// Anything else, said in a sentence.
    case invalid(String)

    public var description: String {
        switch self {
        case .noReplica(let path):
            "no replica at \(path)"
        case .alreadyExists(let path):
            "\(path) already exists"
        case .notAReplica(let path):
            "\(path) is not a Boucle replica"
        case .notAServerDatabase(let path):
            "\(path) is not a boucle-server database (it is empty or holds something else): nothing was changed in it; give --db a new file to create a database"
        case let .otherFormat(path, found, expected):
            "\(path) is in the format \(found), not \(expected)"
        case .damaged(let what):
            "the file is damaged: \(what)"
        case .idPrefixTooShort(let prefix):
            "\(prefix) is too short to name a record: give at least \(ReplicaStore.minimumIDPrefix) characters of its id (as `boucle list` shows them)"
        case .noSuchRecord(let id):
            "no record \(id) in this replica"
        case .ambiguousID(let prefix):
            "several records start with \(prefix)"
        case .recordExists(let id):
            "record \(id) exists already"
        case .recordDeleted(let id):
            "record \(id) was deleted"
        case let .wrongCollection(id, actual, expected):
            "record \(id) is \(actual.withArticle), not \(expected.withArticle)"
        case .edit(let violation):
            violation.description
        case let .row(line, error):
            "line \(line): \(error)"
        case .sameRecordAsLine(let line):
            "names the same record as line \(line)"
        case .invalidName(let kind):
            "a \(kind) name is 1 to 40 of a-z, 0-9 and - (e.g. lyon)"
        case .tenantExists(let name):
            "tenant \"\(name)\" exists already"
        case .noTenant(let name):
            "no tenant \"\(name.prefix(40))\""
        case .clockExhausted:
            "this replica's clock has reached the top of its range (a change stamped in the far future reached it): no edit can be stamped any more"
        case let .editCannotWin(id, field, stamped):
            "the edit of \(field) of record \(id) would lose to a value stamped \(WallTime.readable(stamped)) UTC, ahead of this replica's clock: nothing was changed"
        case .clockAhead(let summary):
            "refused \(summary)"
        case let .tenantMismatch(changeSet, replica):
            "this change-set belongs to tenant \"\(changeSet)\" but this replica to \"\(replica)\""
        case .changeSet(let error):
            error.description
        case .merge(let error):
            error.description
        case .database(let error):
            error.isCorruptOrNotADatabase ? "the replica file is damaged or not a database (\(error.message))" : "database error: \(error)"
        case .erasureIncomplete:
            "the record is deleted, but its data may remain in the replica's write-ahead log until no other process has the replica open: close the other boucle processes using it"
        case .io(let why):
            why
        case let .isAFolder(path, example):
            "\(path) is a folder, not a database file: give a file's path, e.g. \(example)"
        case .noFolder(let folder):
            "the folder \(folder) does not exist: create it (mkdir -p \(folder)) or give another path"
        case let .readOnly(path, what):
            "\(path) cannot be written: \(what) is read-only for this user (SQLite also writes its -wal and -shm files beside it); copy it to a folder you may write in, or change the permissions"
        case let .notARegularFile(path, kind):
            "\(path) is \(kind), not a file: nothing was written there"
        case .invalid(let why):
            why
        }
    }
}
