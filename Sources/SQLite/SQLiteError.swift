import CSQLite

/// An error at the SQLite boundary: the (extended) result code, SQLite's message and the SQL text.
///
/// Bound values are never part of it: they may hold personal data, and errors end up in logs.
public struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// The extended result code (https://www.sqlite.org/rescode.html).
    public let code: Int32
    /// SQLite's own explanation, from `sqlite3_errmsg`.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …) without its extension.
    public var primaryCode: Int32 { code & 0xff }

    /// True when the file is not a database or is damaged.
    public var isCorruptOrNotADatabase: Bool {
        primaryCode == SQLITE_NOTADB || primaryCode == SQLITE_CORRUPT
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}
