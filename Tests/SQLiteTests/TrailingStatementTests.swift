import SQLite
import XCTest

/// A statement is prepared from SQL that holds exactly one statement; only `execute` runs scripts.
final class TrailingStatementTests: TemporaryDatabaseTestCase {
    func testTrailingSecondStatementIsRefused() throws {
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.statement("SELECT 1; SELECT 2")) { error in
            XCTAssertEqual(
                "\(error)",
                "SQLite error 21: a second statement follows the first; only Database.execute(_:) runs several (in: SELECT 1; SELECT 2)"
            )
        }
    }

    func testRefusedSecondStatementRunsNeitherStatement() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x)")
        XCTAssertThrowsError(try db.run("INSERT INTO t VALUES (1); DROP TABLE t")) { error in
            XCTAssertEqual(
                "\(error)",
                "SQLite error 21: a second statement follows the first; only Database.execute(_:) runs several (in: INSERT INTO t VALUES (1); DROP TABLE t)"
            )
        }
        XCTAssertEqual(try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }, 0)
    }

    func testSecondStatementAfterEmptyStatementsIsRefused() throws {
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.statement("SELECT 1;; ; SELECT 2")) { error in
            XCTAssertEqual(
                "\(error)",
                "SQLite error 21: a second statement follows the first; only Database.execute(_:) runs several (in: SELECT 1;; ; SELECT 2)"
            )
        }
    }

    func testTrailingTextSQLiteCannotParseIsRefused() throws {
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.statement("SELECT 1; nonsense")) { error in
            XCTAssertEqual(
                "\(error)",
                "SQLite error 21: a second statement follows the first; only Database.execute(_:) runs several (in: SELECT 1; nonsense)"
            )
        }
    }

    func testTrailingWhitespaceCommentsAndEmptyStatementsAreAccepted() throws {
        let db = try Database(path: path)
        XCTAssertEqual(try db.queryFirst("SELECT 1; -- the end\n /* really */ ;\t\n") { $0.int64(0) }, 1)
        XCTAssertEqual(try db.queryFirst("SELECT 2 -- no semicolon") { $0.int64(0) }, 2)
        XCTAssertEqual(try db.queryFirst("SELECT 3; /* unterminated") { $0.int64(0) }, 3)
    }

    func testSQLWithNoStatementIsRefused() throws {
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.statement("-- nothing")) { error in
            XCTAssertEqual("\(error)", "SQLite error 21: the SQL holds no statement (in: -- nothing)")
        }
    }

    func testExecuteRunsEveryStatementOfAScript() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE a(x); CREATE TABLE b(y); INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);")
        XCTAssertEqual(try db.queryFirst("SELECT (SELECT x FROM a) + (SELECT y FROM b)") { $0.int64(0) }, 3)
    }
}
