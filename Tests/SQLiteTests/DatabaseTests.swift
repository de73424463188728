import Foundation
import SQLite
import XCTest

final class DatabaseTests: TemporaryDatabaseTestCase {
    func testValuesRoundTripThroughBindingsAndColumns() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(-7), .real(45.5), .text("rue Mercière ✓"), .blob([0, 1, 255]), .null])
        let row = try db.queryFirst("SELECT i, r, s, b, n FROM t") { row in
            (row.int64(0), row.double(1), row.text(2), row.bytes(3), row.isNull(4))
        }
        XCTAssertEqual(row?.0, -7)
        XCTAssertEqual(row?.1, 45.5)
        XCTAssertEqual(row?.2, "rue Mercière ✓")
        XCTAssertEqual(row?.3, [0, 1, 255])
        XCTAssertEqual(row?.4, true)
    }

    func testAColumnReadAsAValueKeepsItsStoredType() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)")
        let values: [SQLValue] = [.integer(-7), .real(45.5), .text("rue Mercière ✓"), .blob([0, 1, 255]), .null]
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", values)
        let row = try db.queryFirst("SELECT i, r, s, b, n FROM t") { row in (0..<5).map { row.value(Int32($0)) } }
        XCTAssertEqual(row, values)
    }

    func testEmptyTextIsBoundAsEmptyNotNull() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(s TEXT)")
        try db.run("INSERT INTO t VALUES (?)", [.text("")])
        XCTAssertEqual(try db.queryFirst("SELECT s IS NULL, s FROM t") { ($0.int64(0), $0.text(1)) }?.0, 0)
    }

    func testErrorNamesTheSQLButNeverTheBoundValues() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x TEXT UNIQUE)")
        try db.run("INSERT INTO t VALUES (?)", [.text("0639981234")])
        XCTAssertThrowsError(try db.run("INSERT INTO t VALUES (?)", [.text("0639981234")])) { error in
            let error = error as? SQLiteError
            XCTAssertEqual(error?.sql, "INSERT INTO t VALUES (?)")
            XCTAssertEqual(error?.description, "SQLite error 2067: UNIQUE constraint failed: t.x (in: INSERT INTO t VALUES (?))")
        }
    }

    func testStatementsAreCachedAndReset() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x)")
        for value in 0..<100 { try db.run("INSERT INTO t VALUES (?)", [.integer(Int64(value))]) }
        XCTAssertTrue(try db.statement("SELECT 1") === db.statement("SELECT 1"))
        XCTAssertEqual(try db.query("SELECT x FROM t WHERE x < 3 ORDER BY x") { $0.int64(0) }, [0, 1, 2])
    }

    func testOpeningAFileThatIsNotADatabaseFailsClearly() throws {
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.execute("SELECT * FROM sqlite_master")) { error in
            XCTAssertEqual((error as? SQLiteError)?.isCorruptOrNotADatabase, true)
        }
    }

    func testClosedDatabaseRefusesWork() throws {
        let db = try Database(path: path)
        try db.close()
        XCTAssertThrowsError(try db.execute("SELECT 1")) { error in
            XCTAssertEqual((error as? SQLiteError)?.message, "the database is closed")
        }
    }
}
