import CSQLite

/// How far `Database.checkpoint(_:)` goes, and how long it waits: SQLite's checkpoint modes
/// (`SQLITE_CHECKPOINT_…`, https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
public enum CheckpointMode: Sendable {
    /// Copies as many frames as it can without waiting for readers or writers.
    case passive
    /// Waits (up to `busy_timeout`) for writers and for readers of older snapshots, then copies
    /// every frame.
    case full
    /// Like `full`, then waits until no reader uses the log, so the next writer starts it over.
    case restart
    /// Like `restart`, then truncates the log file to zero bytes.
    case truncate

    /// The `SQLITE_CHECKPOINT_…` value.
    var rawValue: Int32 {
        switch self {
        case .passive: SQLITE_CHECKPOINT_PASSIVE
        case .full: SQLITE_CHECKPOINT_FULL
        case .restart: SQLITE_CHECKPOINT_RESTART
        case .truncate: SQLITE_CHECKPOINT_TRUNCATE
        }
    }
}

/// What a checkpoint did: whether another connection kept it from finishing, and how much of the
/// write-ahead log it copied into the database file.
public struct CheckpointResult: Equatable, Sendable {
    /// True when SQLite returned `SQLITE_BUSY`: a reader or writer kept the checkpoint from
    /// completing within `busy_timeout`, or another checkpoint was running.
    public var busy: Bool
    /// The frames in the write-ahead log; -1 when the database is not in WAL mode.
    public var logFrames: Int
    /// The frames of the log copied into the database file, earlier checkpoints included; -1
    /// when the database is not in WAL mode.
    public var checkpointedFrames: Int

    /// The outcome of a checkpoint, as SQLite reports it.
    public init(busy: Bool, logFrames: Int, checkpointedFrames: Int) {
        self.busy = busy
        self.logFrames = logFrames
        self.checkpointedFrames = checkpointedFrames
    }

    /// True when the checkpoint was not busy and copied every frame of the log (also true of a
    /// database not in WAL mode: it has no log). After a complete `truncate`, the log is empty.
    public var isComplete: Bool { !busy && checkpointedFrames == logFrames }
}

extension Database {
    /// Copies the write-ahead log of the main database into the database file, in `mode`, and
    /// says how far it got: `sqlite3_wal_checkpoint_v2`
    /// (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
    ///
    /// ```swift
    /// let result = try db.checkpoint(.truncate)
    /// if !result.isComplete { /* a reader still holds an old snapshot: try again later */ }
    /// ```
    ///
    /// `SQLITE_BUSY` is not an error here but a result (`busy`): the modes that wait give up
    /// after `busy_timeout` and checkpoint what they can. Other failures throw.
    public func checkpoint(_ mode: CheckpointMode) throws(SQLiteError) -> CheckpointResult {
        let db = try liveHandle(sql: nil)
        var logFrames: Int32 = -1
        var checkpointedFrames: Int32 = -1
        let code = sqlite3_wal_checkpoint_v2(db, "main", mode.rawValue, &logFrames, &checkpointedFrames)
        guard code == SQLITE_OK || code == SQLITE_BUSY else { throw error(code, sql: nil) }
        return CheckpointResult(busy: code == SQLITE_BUSY, logFrames: Int(logFrames), checkpointedFrames: Int(checkpointedFrames))
    }
}
