import CSQLite

/// SQLite's `SQLITE_TRANSIENT`, a macro Swift cannot import: asks SQLite to copy bound bytes.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value bound to, or read from, SQLite.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A prepared statement: the one owner of a `sqlite3_stmt*`, finalized in `deinit`.
///
/// Statements are handed out, cached, by `Database.statement(_:)`; its `run`/`query` helpers and
/// `forEachRow(binding:_:)` reset them after use (a statement left mid-run keeps its read
/// snapshot). Column reads are valid only between a `step()` that returned true and the next
/// `step()` or `reset()`.
public final class Statement {
    private let handle: OpaquePointer
    private unowned let database: Database
    /// The SQL this statement was prepared from (no bound values: they may be personal data).
    public let sql: String

    /// Prepares `sql`, which must hold exactly one statement: trailing whitespace, comments and
    /// empty statements (`;`) are fine, a second statement is refused with `misuse` (only
    /// `Database.execute(_:)` runs scripts). What SQLite prepares nothing from is what counts
    /// as "no SQL" (https://www.sqlite.org/c3ref/prepare.html).
    init(database: Database, sql: String) throws(SQLiteError) {
        let db = try database.liveHandle(sql: sql)
        var prepared: OpaquePointer?
        var tailHoldsSQL = false
        let code = sql.withCString { text in
            // The tail points into `text`: it is read here, while `text` lives.
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, &tail)
            if code == SQLITE_OK, let tail { tailHoldsSQL = Statement.holdsSQL(tail, db: db) }
            return code
        }
        guard code == SQLITE_OK else { throw database.error(code, sql: sql) }
        guard let prepared else { throw SQLiteError(code: SQLITE_MISUSE, message: "the SQL holds no statement", sql: sql) }
        guard !tailHoldsSQL else {
            // Never stepped: finalizing it has no error to report.
            sqlite3_finalize(prepared)
            throw SQLiteError(code: SQLITE_MISUSE, message: "a second statement follows the first; only Database.execute(_:) runs several", sql: sql)
        }
        self.handle = prepared
        self.database = database
        self.sql = sql
    }

    /// True when `text` holds a statement, or something SQLite cannot parse; false when it holds
    /// nothing but whitespace, comments and empty statements, from which SQLite prepares nothing.
    private static func holdsSQL(_ text: UnsafePointer<CChar>, db: OpaquePointer) -> Bool {
        guard text.pointee != 0 else { return false }
        var next: OpaquePointer?
        let code = sqlite3_prepare_v3(db, text, -1, 0, &next, nil)
        // Never stepped: finalizing it (or nil) has no error to report.
        sqlite3_finalize(next)
        return code != SQLITE_OK || next != nil
    }

    /// Finalizes the statement. `sqlite3_finalize` only repeats the error of the last step, which
    /// `step()` has thrown already (https://www.sqlite.org/c3ref/finalize.html).
    deinit { sqlite3_finalize(handle) }

    /// The virtual-machine operations this statement has run since it was prepared
    /// (`SQLITE_STMTSTATUS_VM_STEP`): a count of the work a query did, rows visited included.
    var virtualMachineSteps: Int { Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_VM_STEP, 0)) }

    /// Resets the statement and clears its bindings, so it can run again
    /// (https://www.sqlite.org/c3ref/reset.html).
    ///
    /// Throws what `sqlite3_reset` returns: after a failed `step()`, that step's error again;
    /// otherwise SQLite documents `SQLITE_OK`, and anything else is thrown all the same.
    public func reset() throws(SQLiteError) {
        let code = sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_OK else { throw database.error(code, sql: sql) }
    }

    /// Resets the statement after a use that threw, dropping what `sqlite3_reset` returns: after
    /// a failed step it is that step's error, which `step()` has thrown already, and the error
    /// in flight is the one to report (https://www.sqlite.org/c3ref/reset.html).
    func resetAfterFailedUse() {
        _ = try? reset()
    }

    /// Binds `values`, calls `row` on each row the statement returns (read the columns in it),
    /// then resets the statement and clears its bindings, whether or not anything threw.
    ///
    /// ```swift
    /// let statement = try db.statement("SELECT name FROM t WHERE x > ?")
    /// try statement.forEachRow(binding: [.integer(3)]) { names.append(statement.text(0)) }
    /// ```
    ///
    /// Untyped `throws`: `row` throws its caller's own errors, and Swift cannot declare "`row`'s error or SQLiteError".
    public func forEachRow(binding values: [SQLValue] = [], _ row: () throws -> Void) throws {
        try resetting(binding: values) {
            while try step() { try row() }
        }
    }

    /// Binds `values`, steps through the rows while `row` returns true, then resets the statement
    /// (checked after success, dropped after a failure), as `forEachRow` does.
    ///
    /// Untyped `throws`: `row` throws its caller's own errors, and Swift cannot declare "`row`'s error or SQLiteError".
    public func scanRows(binding values: [SQLValue] = [], while row: () throws -> Bool) throws {
        try resetting(binding: values) {
            while try step() {
                if try !row() { return }
            }
        }
    }

    /// Binds `values` and runs `body`, which steps the statement, then resets the statement:
    /// checked when `body` returned, dropped (see `resetAfterFailedUse()`) when it threw.
    func resetting<T>(binding values: [SQLValue], _ body: () throws -> T) throws -> T {
        let result: T
        do {
            try bind(values)
            result = try body()
        } catch {
            resetAfterFailedUse()
            throw error
        }
        try reset()
        return result
    }

    /// Binds `values` to the parameters `?1…?n`.
    public func bind(_ values: [SQLValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value to parameter `index` (1-based). Text is copied by SQLite (transient).
    public func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let number):
            code = sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            code = sqlite3_bind_double(handle, index, number)
        case .text(let text):
            var text = text
            code = text.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    // An empty buffer may have no address; SQLite would then bind NULL, not "".
                    guard let base = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                    return sqlite3_bind_text(handle, index, base, Int32(chars.count), transient)
                }
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), transient)
            }
        }
        guard code == SQLITE_OK else { throw database.error(code, sql: sql) }
    }

    /// Steps once: true when a row is ready to read, false when the statement is done.
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(code, sql: sql)
        }
    }

    /// Column `index` (0-based) of the current row, as an integer (0 for NULL).
    public func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` of the current row, as a double (0 for NULL).
    public func double(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// True when column `index` of the current row is NULL.
    public func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// Column `index` of the current row as it is stored: its type and value.
    public func value(_ index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: .integer(int64(index))
        case SQLITE_FLOAT: .real(double(index))
        case SQLITE_TEXT: .text(text(index) ?? "")
        case SQLITE_BLOB: .blob(bytes(index) ?? [])
        default: .null
        }
    }

    /// Column `index` of the current row as text, or nil for NULL.
    public func text(_ index: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `index` of the current row as bytes (text or blob), or nil for NULL.
    public func bytes(_ index: Int32) -> [UInt8]? {
        guard let pointer = sqlite3_column_blob(handle, index) else {
            return isNull(index) ? nil : []
        }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with column `index`'s bytes in place, without copying (empty for NULL).
    public func withBytes<T, E: Error>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let pointer = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }
}
