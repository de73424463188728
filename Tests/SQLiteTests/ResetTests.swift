import SQLite
import XCTest

/// Every use of a statement ends with a reset whose result is checked, or explicitly dropped
/// after a failed step (whose error `sqlite3_reset` only repeats).
final class ResetTests: TemporaryDatabaseTestCase {
    func testResetRepeatsTheErrorOfAFailedStep() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)")
        let insert = try db.statement("INSERT INTO t VALUES (1)")
        let unique = "SQLite error 2067: UNIQUE constraint failed: t.x (in: INSERT INTO t VALUES (1))"
        XCTAssertThrowsError(try insert.step()) { XCTAssertEqual("\($0)", unique) }
        XCTAssertThrowsError(try insert.reset()) { XCTAssertEqual("\($0)", unique) }
        XCTAssertNoThrow(try insert.reset())
    }

    func testResetAfterASuccessfulStepThrowsNothing() throws {
        let db = try Database(path: path)
        let select = try db.statement("SELECT 1 UNION ALL SELECT 2")
        XCTAssertTrue(try select.step())
        XCTAssertNoThrow(try select.reset())
        XCTAssertTrue(try select.step())
        XCTAssertFalse(try select.step() && select.step())
        XCTAssertNoThrow(try select.reset())
    }

    func testFailedRunLeavesItsCachedStatementReadyForTheNextRun() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x UNIQUE)")
        func insert(_ value: Int64) throws { try db.run("INSERT INTO t VALUES (?)", [.integer(value)]) }
        try insert(1)
        XCTAssertThrowsError(try insert(1)) { error in
            XCTAssertEqual("\(error)", "SQLite error 2067: UNIQUE constraint failed: t.x (in: INSERT INTO t VALUES (?))")
        }
        try insert(2)
        XCTAssertEqual(try db.query("SELECT x FROM t ORDER BY x") { $0.int64(0) }, [1, 2])
    }

    func testBindingsAreClearedAfterUse() throws {
        let db = try Database(path: path)
        let select = try db.statement("SELECT ?")
        var seen: [Int64] = []
        try select.forEachRow(binding: [.integer(7)]) { seen.append(select.int64(0)) }
        XCTAssertEqual(seen, [7])
        XCTAssertTrue(try select.step())
        XCTAssertTrue(select.isNull(0))
        try select.reset()
    }

    func testQueryThatThrowsMidwayLetsGoOfItsSnapshot() throws {
        struct Stop: Error {}
        let db = try Database(path: path, busyTimeoutMilliseconds: 0)
        try db.execute("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)")
        let other = try Database(path: path, busyTimeoutMilliseconds: 0)
        XCTAssertThrowsError(try db.query("SELECT x FROM t") { _ in throw Stop() }) { XCTAssertTrue($0 is Stop) }
        let statement = try db.statement("SELECT x FROM t ORDER BY x")
        XCTAssertThrowsError(try statement.forEachRow { throw Stop() }) { XCTAssertTrue($0 is Stop) }
        // A statement left mid-run would keep its read snapshot, and no checkpoint could end.
        try other.run("INSERT INTO t VALUES (4)")
        XCTAssertTrue(try other.checkpoint(.truncate).isComplete)
    }
}
