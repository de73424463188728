import CSQLite

/// An error at the SQLite boundary: the (extended) result code, SQLite's message and the SQL text.
///
/// Bound values are never part of it: they may hold personal data, and errors end up in logs.
/// Match errors by code, never by message: `catch ResultCode.busy` (see `ResultCode`).
public struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// The extended result code (https://www.sqlite.org/rescode.html).
    public let code: Int32
    /// SQLite's own explanation, from `sqlite3_errmsg`.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    /// An error with the extended result `code`, SQLite's (or this module's) `message`, and the
    /// `sql` that failed, if any.
    public init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The extended result code, to match against a `ResultCode`: `ResultCode.busy ~= resultCode`.
    public var resultCode: ResultCode { ResultCode(rawValue: code) }

    /// True when the file is not a database or is damaged.
    public var isCorruptOrNotADatabase: Bool {
        ResultCode.notADatabase ~= resultCode || ResultCode.corrupt ~= resultCode
    }

    /// "SQLite error CODE: MESSAGE (in: SQL)", without bound values.
    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}
