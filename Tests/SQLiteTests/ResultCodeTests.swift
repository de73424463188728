import Foundation
import SQLite
import XCTest

/// Errors are matched by result code: a primary code matches its extended codes.
final class ResultCodeTests: TemporaryDatabaseTestCase {
    func testWriteToAReadOnlyDatabaseMatchesReadOnly() throws {
        try Database(path: path).execute("CREATE TABLE t(x)")
        let db = try Database(path: path, readOnly: true)
        XCTAssertThrowsError(try db.run("INSERT INTO t VALUES (1)")) { error in
            guard case ResultCode.readOnly = error else { return XCTFail("\(error)") }
            XCTAssertEqual("\(error)", "SQLite error 8: attempt to write a readonly database (in: INSERT INTO t VALUES (1))")
        }
    }

    func testExtendedCodeMatchesItsPrimaryCodeAndItself() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)")
        XCTAssertThrowsError(try db.run("INSERT INTO t VALUES (1)")) { error in
            XCTAssertTrue(ResultCode.constraint ~= error)
            XCTAssertTrue(ResultCode(rawValue: 2067) ~= error, "SQLITE_CONSTRAINT_UNIQUE")
            XCTAssertFalse(ResultCode(rawValue: 1555) ~= error, "SQLITE_CONSTRAINT_PRIMARYKEY")
            XCTAssertFalse(ResultCode.busy ~= error)
            XCTAssertEqual((error as? SQLiteError)?.resultCode.primary, .constraint)
        }
    }

    func testMissingFileMatchesCantOpen() throws {
        XCTAssertThrowsError(try Database(path: folder + "/missing.db", create: false)) { error in
            guard case ResultCode.cantOpen = error else { return XCTFail("\(error)") }
            XCTAssertEqual("\(error)", "SQLite error 14: unable to open database file")
        }
    }

    func testFileThatIsNotADatabaseMatchesNotADatabase() throws {
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.execute("SELECT * FROM sqlite_master")) { error in
            XCTAssertTrue(ResultCode.notADatabase ~= error)
            XCTAssertFalse(ResultCode.corrupt ~= error)
            XCTAssertEqual("\(error)", "SQLite error 26: file is not a database (in: SELECT * FROM sqlite_master)")
        }
    }

    func testClosedDatabaseMatchesMisuse() throws {
        let db = try Database(path: path)
        try db.close()
        XCTAssertThrowsError(try db.run("SELECT 1")) { XCTAssertTrue(ResultCode.misuse ~= $0) }
    }

    func testOtherErrorsMatchNoResultCode() {
        struct Other: Error {}
        XCTAssertFalse(ResultCode.error ~= Other())
    }
}
