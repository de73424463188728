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

    /// Opens (and with `create`, creates) the database at `path`.
    ///
    /// `busyTimeoutMilliseconds` lets a writer wait for another connection's transaction instead
    /// of failing at once with `SQLITE_BUSY` (https://www.sqlite.org/c3ref/busy_timeout.html).
    public init(path: String, create: Bool = true, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000) throws(SQLiteError) {
        _ = Database.configureOnce
        self.path = path
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

    /// Runs one or more SQL statements that take no parameters and return no rows worth reading.
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try liveHandle(sql: sql)
        let code = sqlite3_exec(db, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, sql: sql) }
    }

    /// A prepared statement for `sql`, cached: the same SQL literal gets the same statement
    /// back, reset and with its bindings cleared. SQL is always a literal (`StaticString`):
    /// values are bound, never spliced into the text.
    public func statement(_ sql: StaticString) throws(SQLiteError) -> Statement {
        // A one-character literal has no address to key by (and is no SQL): prepare it afresh.
        guard sql.hasPointerRepresentation else { return try Statement(database: self, sql: sql.description) }
        let key = UnsafeRawPointer(sql.utf8Start)
        if let cached = cache[key] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql.description)
        cache[key] = statement
        return statement
    }

    /// Runs a statement that returns no rows, with `bindings` for its `?` parameters.
    public func run(_ sql: StaticString, _ bindings: [SQLValue] = []) throws(SQLiteError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() {}
    }

    /// Every row of a query, each read by `row`.
    public func query<T>(_ sql: StaticString, _ bindings: [SQLValue] = [], row: (Statement) throws -> T) throws -> [T] {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        var rows: [T] = []
        while try statement.step() { rows.append(try row(statement)) }
        return rows
    }

    /// The first row of a query read by `row`, or nil when it returns none.
    public func queryFirst<T>(_ sql: StaticString, _ bindings: [SQLValue] = [], row: (Statement) throws -> T) throws -> T? {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        return try statement.step() ? row(statement) : nil
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any error thrown rolls everything back.
    ///
    /// IMMEDIATE takes the write lock at once, so two writers wait on `busy_timeout` rather than
    /// deadlock on a lock upgrade (https://www.sqlite.org/lang_transaction.html).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside a read transaction (`BEGIN DEFERRED`), so that every query in it sees
    /// one consistent snapshot while writers go on (https://www.sqlite.org/isolation.html).
    public func transactionForReading<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
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
