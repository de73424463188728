import CSQLite

/// A SQLite result code, primary (`SQLITE_BUSY`) or extended (`SQLITE_BUSY_SNAPSHOT`)
/// (https://www.sqlite.org/rescode.html).
///
/// A primary code matches itself and every extended code of its family; an extended code
/// matches only itself. Errors are told apart this way, never by their message text:
///
/// ```swift
/// do {
///     try db.run("INSERT INTO t VALUES (1)")
/// } catch ResultCode.readOnly {
///     // SQLITE_READONLY, and every SQLITE_READONLY_… code
/// }
/// ```
public struct ResultCode: RawRepresentable, Hashable, Sendable {
    /// The C value, `SQLITE_…`.
    public let rawValue: Int32

    /// The result code whose C value is `rawValue`.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The primary code of the family (the low eight bits): `busy` for `SQLITE_BUSY_SNAPSHOT`.
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xff) }

    /// `SQLITE_ERROR`: a generic error, such as a syntax error or a missing table.
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    /// `SQLITE_BUSY`: another connection holds a lock this one needs (after `busy_timeout`).
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    /// `SQLITE_LOCKED`: a conflict inside this connection or with one sharing its cache.
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    /// `SQLITE_READONLY`: a write to a database that cannot be written.
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    /// `SQLITE_IOERR`: the operating system reported an I/O error.
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    /// `SQLITE_CORRUPT`: the database file is damaged.
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    /// `SQLITE_FULL`: the disk is full.
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    /// `SQLITE_CANTOPEN`: the file could not be opened.
    public static let cantOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    /// `SQLITE_CONSTRAINT`: a constraint (UNIQUE, NOT NULL, FOREIGN KEY, …) failed.
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    /// `SQLITE_MISUSE`: the API was used in a way SQLite (or this module) does not allow.
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    /// `SQLITE_NOTADB`: the file is not a SQLite database.
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)

    /// True when `code` is `pattern`, or `pattern` is a primary code and `code` is of its family.
    public static func ~= (pattern: ResultCode, code: ResultCode) -> Bool {
        pattern.primary == pattern ? pattern == code.primary : pattern == code
    }

    /// True when `error` is a `SQLiteError` whose code matches `pattern`, so that
    /// `catch ResultCode.busy` and `if case ResultCode.readOnly = error` work.
    public static func ~= (pattern: ResultCode, error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return pattern ~= error.resultCode
    }
}
