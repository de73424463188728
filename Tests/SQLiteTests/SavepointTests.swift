import SQLite
import XCTest

/// A transaction opened inside another is a savepoint: its error undoes only its own writes.
final class SavepointTests: TemporaryDatabaseTestCase {
    struct Refused: Error {}

    private func makeDatabase() throws -> Database {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x)")
        return db
    }

    private func values(_ db: Database) throws -> [Int64] {
        try db.query("SELECT x FROM t ORDER BY x") { $0.int64(0) }
    }

    func testNestedTransactionRollsBackOnlyItsSavepoint() throws {
        let db = try makeDatabase()
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            XCTAssertThrowsError(try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Refused()
            }) { XCTAssertTrue($0 is Refused) }
            XCTAssertTrue(db.isInTransaction)
            try db.run("INSERT INTO t VALUES (3)")
        }
        XCTAssertEqual(try values(db), [1, 3])
    }

    func testNestedTransactionCommitsWithTheOuterOne() throws {
        let db = try makeDatabase()
        let other = try Database(path: path)
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            try db.transaction { try db.run("INSERT INTO t VALUES (2)") }
            XCTAssertTrue(db.isInTransaction)
            XCTAssertEqual(try values(other), [], "releasing a savepoint commits nothing")
        }
        XCTAssertEqual(try values(other), [1, 2])
    }

    func testInnerErrorThatEscapesRollsBackEverything() throws {
        let db = try makeDatabase()
        XCTAssertThrowsError(try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Refused()
            }
        }) { XCTAssertTrue($0 is Refused) }
        XCTAssertFalse(db.isInTransaction)
        XCTAssertEqual(try values(db), [])
    }

    func testEachLevelOfNestingUndoesOnlyItsOwnWrites() throws {
        let db = try makeDatabase()
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                XCTAssertThrowsError(try db.transaction {
                    try db.run("INSERT INTO t VALUES (3)")
                    throw Refused()
                })
                try db.run("INSERT INTO t VALUES (4)")
            }
            XCTAssertThrowsError(try db.transaction {
                try db.run("INSERT INTO t VALUES (5)")
                try db.transaction { try db.run("INSERT INTO t VALUES (6)") }
                throw Refused()
            })
        }
        XCTAssertEqual(try values(db), [1, 2, 4])
    }

    func testConstraintErrorInANestedTransactionCanBeCaughtByCode() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x UNIQUE)")
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            do {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (2)")
                    try db.run("INSERT INTO t VALUES (1)")
                }
                XCTFail("the duplicate was inserted")
            } catch ResultCode.constraint {}
        }
        XCTAssertEqual(try db.query("SELECT x FROM t") { $0.int64(0) }, [1])
    }
}
