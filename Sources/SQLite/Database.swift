import CSQLite

/// An open SQLite connection: the one owner of a `sqlite3*` handle.
///
/// Invariants: the handle is valid from `init` until `close()` or `deinit`; prepared statements
/// are cached per SQL text and finalized before the handle is closed. A `Database` is used by one
/// thread at a time (SQLite's own "multi-thread" mode): give each thread its own connection.
///
/// ```swift
/// let db = try Database(path: "/tmp/replica.db")
/// try db.execute("CREATE TABLE t(x)")
/// try db.transaction { try db.run("INSERT INTO t VALUES (?)", [.integer(1)]) }
/// ```
public final class Database {
    private var handle: OpaquePointer?
    /// Prepared statements by the address of their SQL literal: no hashing of the SQL text on the
    /// hot path (a million-record import looks statements up millions of times).
    private var cache: [UnsafeRawPointer: Statement] = [:]
    /// The file this connection was opened on.
    public let path: String
    /// How long a statement waits for another connection's lock before `SQLITE_BUSY`; 0 fails
    /// at once (a checkpoint that must never hold writers up sets it to 0 for a moment).
    public var busyTimeoutMilliseconds: Int32 {
        didSet { sqlite3_busy_timeout(handle, busyTimeoutMilliseconds) }
    }

    /// Opens (and with `create`, creates) the database at `path`.
    ///
    /// `busyTimeoutMilliseconds` lets a writer wait for another connection's transaction instead
    /// of failing at once with `SQLITE_BUSY` (https://www.sqlite.org/c3ref/busy_timeout.html).
    public init(path: String, create: Bool = true, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000) throws(SQLiteError) {
        _ = Database.configureOnce
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw SQLiteError(code: code, message: message, sql: nil)
        }
        handle = opened
        sqlite3_busy_timeout(opened, busyTimeoutMilliseconds)
    }

    /// SQLite's process-wide settings, made once before the first connection: no memory
    /// statistics (nothing reads them, and they serialize every allocation on one mutex).
    private static let configureOnce: Void = {
        _ = boucle_sqlite3_disable_memory_statistics()
    }()

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Finalizes every cached statement and closes the connection; later calls throw `misuse`.
    public func close() throws(SQLiteError) {
        cache.removeAll()
        guard let handle else { return }
        let code = sqlite3_close(handle)
        guard code == SQLITE_OK else { throw error(code, sql: nil) }
        self.handle = nil
    }

    func liveHandle(sql: String?) throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "the database is closed", sql: sql) }
        return handle
    }

    func error(_ code: Int32, sql: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return SQLiteError(code: code, message: message, sql: sql)
    }

    /// Runs a script: one or more SQL statements that take no parameters and return no rows
    /// worth reading, such as pragmas and schema.
    ///
    /// This is the one entry point that runs several statements from one string; every other
    /// one prepares a single statement and refuses SQL with a trailing second statement.
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try liveHandle(sql: sql)
        let code = sqlite3_exec(db, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, sql: sql) }
    }

    /// A prepared statement for `sql`, cached: the same SQL literal gets the same statement
    /// back, reset and with its bindings cleared. SQL is always a literal (`StaticString`):
    /// values are bound, never spliced into the text, and it holds exactly one statement.
    ///
    /// Throws, besides errors of preparing, the error of the statement's last step when its
    /// previous user stepped it by hand into that error and did not reset it.
    public func statement(_ sql: StaticString) throws(SQLiteError) -> Statement {
        // A one-character literal has no address to key by (and is no SQL): prepare it afresh.
        guard sql.hasPointerRepresentation else { return try Statement(database: self, sql: sql.description) }
        let key = UnsafeRawPointer(sql.utf8Start)
        if let cached = cache[key] {
            try cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql.description)
        cache[key] = statement
        return statement
    }

    /// The virtual-machine operations run so far by this connection's cached statements (every
    /// statement but `execute`'s): what tests compare to show that a read's cost follows what it
    /// returns, not the size of the table.
    public var virtualMachineSteps: Int { cache.values.reduce(0) { $0 + $1.virtualMachineSteps } }

    /// Runs a statement that returns no rows, with `bindings` for its `?` parameters.
    public func run(_ sql: StaticString, _ bindings: [SQLValue] = []) throws(SQLiteError) {
        let statement = try statement(sql)
        do {
            try statement.bind(bindings)
            while try statement.step() {}
        } catch {
            statement.resetAfterFailedUse()
            throw error
        }
        try statement.reset()
    }

    /// Every row of a query, each read by `row`.
    ///
    /// Untyped `throws`: `row` throws its caller's own errors, and Swift cannot declare "`row`'s error or SQLiteError".
    public func query<T>(_ sql: StaticString, _ bindings: [SQLValue] = [], row: (Statement) throws -> T) throws -> [T] {
        let statement = try statement(sql)
        var rows: [T] = []
        try statement.forEachRow(binding: bindings) { rows.append(try row(statement)) }
        return rows
    }

    /// The first row of a query read by `row`, or nil when it returns none.
    ///
    /// Untyped `throws`: `row` throws its caller's own errors, and Swift cannot declare "`row`'s error or SQLiteError".
    public func queryFirst<T>(_ sql: StaticString, _ bindings: [SQLValue] = [], row: (Statement) throws -> T) throws -> T? {
        let statement = try statement(sql)
        return try statement.resetting(binding: bindings) { try statement.step() ? row(statement) : nil }
    }

    /// True while a transaction is open on this connection, that is while it is not in
    /// autocommit mode (https://www.sqlite.org/c3ref/get_autocommit.html); false once closed.
    public var isInTransaction: Bool {
        handle.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    /// Runs `body` in a transaction and commits it; an error thrown by `body` rolls back what it
    /// wrote, and is rethrown.
    ///
    /// ```swift
    /// try db.transaction {
    ///     try db.run("INSERT INTO t VALUES (1)")
    ///     do {
    ///         try db.transaction {
    ///             try db.run("INSERT INTO t VALUES (2)")
    ///             try db.run("INSERT INTO t VALUES (1)") // t.x is UNIQUE: this fails
    ///         }
    ///     } catch ResultCode.constraint {
    ///         // 2 is undone; 1 stays, and is committed.
    ///     }
    /// }
    /// ```
    ///
    /// With no transaction open, it is `BEGIN IMMEDIATE … COMMIT`: IMMEDIATE takes the write lock
    /// at once, so two writers wait on `busy_timeout` rather than deadlock on a lock upgrade
    /// (https://www.sqlite.org/lang_transaction.html). Inside an open transaction it is a
    /// savepoint (`SAVEPOINT nested … RELEASE nested`, `ROLLBACK TO nested` on error): only
    /// `body`'s writes are undone, and the outer transaction goes on if its caller catches the
    /// error (https://www.sqlite.org/lang_savepoint.html).
    ///
    /// A COMMIT that fails is thrown, after a ROLLBACK if SQLite left the transaction open. A
    /// ROLLBACK that fails throws its own error instead of the one that caused it: the
    /// connection is then in an unknown state, and that is what the caller must hear.
    ///
    /// Untyped `throws`: `body` throws its caller's own errors, and Swift cannot declare "`body`'s error or SQLiteError".
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        return try enclosed(by: "BEGIN IMMEDIATE", body)
    }

    /// Runs `body` inside a read transaction (`BEGIN DEFERRED`), so that every query in it sees
    /// one consistent snapshot while writers go on (https://www.sqlite.org/isolation.html).
    ///
    /// It ends with COMMIT, or with ROLLBACK when `body` throws; either failing is thrown, as in
    /// `transaction(_:)`.
    ///
    /// Untyped `throws`: `body` throws its caller's own errors, and Swift cannot declare "`body`'s error or SQLiteError".
    public func transactionForReading<T>(_ body: () throws -> T) throws -> T {
        try enclosed(by: "BEGIN DEFERRED", body)
    }

    /// Runs `body` between `begin` and COMMIT. When `body` or the COMMIT throws, rolls back if
    /// the transaction is still open: after some errors SQLite has already rolled it back
    /// (https://www.sqlite.org/lang_transaction.html#response_to_errors_within_a_transaction).
    private func enclosed<T>(by begin: String, _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` in a savepoint of the open transaction. Every level uses the same name:
    /// ROLLBACK TO and RELEASE act on the innermost savepoint of that name.
    private func savepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT nested")
        do {
            let result = try body()
            try execute("RELEASE nested")
            return result
        } catch {
            // Unless SQLite has already rolled back the whole transaction, savepoint included.
            if isInTransaction {
                try execute("ROLLBACK TO nested")
                try execute("RELEASE nested")
            }
            throw error
        }
    }

    /// Copies the whole database into a new file at `path` with SQLite's online backup API: a
    /// consistent snapshot, taken while other connections go on reading and writing
    /// (https://www.sqlite.org/backup.html).
    public func backup(to path: String) throws(SQLiteError) {
        let source = try liveHandle(sql: nil)
        let destination = try Database(path: path, create: true)
        let target = try destination.liveHandle(sql: nil)
        guard let backup = sqlite3_backup_init(target, "main", source, "main") else {
            throw destination.error(sqlite3_errcode(target), sql: nil)
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(backup, -1)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE, finish == SQLITE_OK else { throw destination.error(finish == SQLITE_OK ? code : finish, sql: nil) }
        try destination.close()
    }

    /// The number of rows the last INSERT, UPDATE or DELETE changed.
    public var changes: Int {
        handle.map { Int(sqlite3_changes($0)) } ?? 0
    }
}
