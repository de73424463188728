import BoucleCore
import BoucleStore

/// How `boucle` words what went wrong: the store says the facts, the command line adds what the
/// user can do about them.
enum Advice {
    /// The message of `boucle: error: …` for any error a command throws.
    static func describe(_ error: Error) -> String {
        guard let error = error as? StoreError else { return "\(error)" }
        switch error {
        case .noReplica(let path):
            return "no replica at \(path): create one with `boucle init` (or pass --replica PATH)"
        case .alreadyExists(let path):
            return "\(path) already exists: a replica is created once; use another --replica path to start afresh"
        case .notAReplica(let path):
            return "\(path) is not a Boucle replica (not a SQLite database made by `boucle init`)"
        case let .otherFormat(path, found, expected):
            return "\(path) is a replica of another Boucle version (\(found), this one reads \(expected)): export it with the version that made it and import the change-set into a new replica"
        case .damaged:
            return "\(error): restore the replica from a backup, or re-sync into a new replica"
        case .noSuchRecord:
            return "\(error) (see `boucle list COLLECTION`)"
        case .ambiguousID:
            return "\(error): give more of the id"
        case .changeSet, .merge, .tenantMismatch:
            return "\(error); nothing was imported"
        case .notARegularFile:
            return "\(error): give the path of a file, e.g. /media/usb/round.changeset"
        case .clockAhead:
            return "\(error); nothing was imported: the clock of the laptop that wrote the file, or this one's, is wrong"
        default:
            return "\(error)"
        }
    }

    /// A row's error in `import-csv`, after "line N: ".
    static func describe(rowError error: StoreError) -> String {
        switch error {
        case .edit(.missingFields(let collection, let fields)):
            return "a new \(collection.rawValue) needs \(fields.joined(separator: " and ")) (empty or missing column)"
        case .recordDeleted(let id):
            return "record \(id) was deleted: leave the id empty to add a new record"
        default:
            return describe(error)
        }
    }
}
