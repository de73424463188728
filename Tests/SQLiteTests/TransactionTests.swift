import SQLite
import XCTest

/// A transaction commits all of its body or nothing, and neither a failed COMMIT nor a failed
/// read transaction goes unnoticed.
final class TransactionTests: TemporaryDatabaseTestCase {
    func testFailedTransactionLeavesNothing() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")
        XCTAssertThrowsError(try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            try db.run("INSERT INTO t VALUES (1)")
        })
        XCTAssertFalse(db.isInTransaction)
        XCTAssertEqual(try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }, 0)
    }

    func testFailedCommitIsThrown() throws {
        let db = try Database(path: path)
        try db.execute("""
            PRAGMA foreign_keys=ON;
            CREATE TABLE parent(id INTEGER PRIMARY KEY);
            CREATE TABLE child(parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
            """)
        XCTAssertThrowsError(try db.transaction { try db.run("INSERT INTO child VALUES (1)") }) { error in
            XCTAssertEqual("\(error)", "SQLite error 787: FOREIGN KEY constraint failed (in: COMMIT)")
        }
        XCTAssertFalse(db.isInTransaction, "the transaction SQLite left open after the failed COMMIT is rolled back")
        XCTAssertEqual(try db.queryFirst("SELECT count(*) FROM child") { $0.int64(0) }, 0)
        try db.transaction {
            try db.run("INSERT INTO parent VALUES (1)")
            try db.run("INSERT INTO child VALUES (1)")
        }
        XCTAssertEqual(try db.queryFirst("SELECT count(*) FROM child") { $0.int64(0) }, 1)
    }

    func testTransactionIsOpenOnlyWhileItsBodyRuns() throws {
        let db = try Database(path: path)
        XCTAssertFalse(db.isInTransaction)
        XCTAssertTrue(try db.transaction { db.isInTransaction })
        XCTAssertTrue(try db.transactionForReading { db.isInTransaction })
        XCTAssertFalse(db.isInTransaction)
    }

    func testReadTransactionEndsWhenItsBodyThrows() throws {
        struct Stop: Error {}
        let db = try Database(path: path)
        XCTAssertThrowsError(try db.transactionForReading { throw Stop() }) { XCTAssertTrue($0 is Stop) }
        XCTAssertFalse(db.isInTransaction)
    }

    func testReadTransactionSeesOneSnapshot() throws {
        let db = try Database(path: path)
        try db.execute("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1)")
        let writer = try Database(path: path)
        let counts = try db.transactionForReading {
            let before = try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }
            try writer.run("INSERT INTO t VALUES (2)")
            return (before, try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) })
        }
        XCTAssertEqual(counts.0, 1)
        XCTAssertEqual(counts.1, 1)
        XCTAssertEqual(try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }, 2)
    }
}
