import Foundation
import SQLite
import XCTest

/// A checkpoint reports whether it copied the whole write-ahead log, instead of being dropped.
final class CheckpointTests: TemporaryDatabaseTestCase {
    /// A connection that gives up at once on a lock (a checkpoint would otherwise wait 5 s).
    private func walDatabase() throws -> Database {
        let db = try Database(path: path, busyTimeoutMilliseconds: 0)
        try db.execute("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1)")
        return db
    }

    func testCheckpointReportsBusyWhileAReaderHoldsASnapshot() throws {
        let writer = try walDatabase()
        let reader = try Database(path: path, busyTimeoutMilliseconds: 0)
        let whileReading = try reader.transactionForReading {
            XCTAssertEqual(try reader.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }, 1)
            try writer.run("INSERT INTO t VALUES (2)")
            return try writer.checkpoint(.truncate)
        }
        XCTAssertTrue(whileReading.busy)
        XCTAssertFalse(whileReading.isComplete)
        XCTAssertLessThan(whileReading.checkpointedFrames, whileReading.logFrames)

        let afterwards = try writer.checkpoint(.truncate)
        XCTAssertEqual(afterwards, CheckpointResult(busy: false, logFrames: 0, checkpointedFrames: 0))
        XCTAssertTrue(afterwards.isComplete)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int, 0)
    }

    /// A connection that usually waits 10 s for a lock, set to wait 0: its truncating checkpoint
    /// returns busy at once while a reader holds a snapshot, holding no writer up.
    func testABusyTimeoutOfZeroMakesACheckpointReturnAtOnce() throws {
        let writer = try Database(path: path, busyTimeoutMilliseconds: 10_000)
        try writer.execute("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1)")
        let reader = try Database(path: path, busyTimeoutMilliseconds: 0)
        let started = Date()
        let whileReading = try reader.transactionForReading {
            _ = try reader.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }
            try writer.run("INSERT INTO t VALUES (2)")
            writer.busyTimeoutMilliseconds = 0
            defer { writer.busyTimeoutMilliseconds = 10_000 }
            return try writer.checkpoint(.truncate)
        }
        XCTAssertTrue(whileReading.busy)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the checkpoint waited for the reader")
        XCTAssertEqual(writer.busyTimeoutMilliseconds, 10_000)
        XCTAssertTrue(try writer.checkpoint(.truncate).isComplete)
    }

    func testPassiveCheckpointIsIncompleteWithoutBeingBusy() throws {
        let writer = try walDatabase()
        let reader = try Database(path: path, busyTimeoutMilliseconds: 0)
        let whileReading = try reader.transactionForReading {
            _ = try reader.queryFirst("SELECT count(*) FROM t") { $0.int64(0) }
            try writer.run("INSERT INTO t VALUES (2)")
            return try writer.checkpoint(.passive)
        }
        XCTAssertFalse(whileReading.busy)
        XCTAssertFalse(whileReading.isComplete)
        XCTAssertTrue(try writer.checkpoint(.passive).isComplete)
    }

    func testCheckpointOfADatabaseNotInWALModeIsComplete() throws {
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
        let result = try db.checkpoint(.truncate)
        XCTAssertEqual(result, CheckpointResult(busy: false, logFrames: -1, checkpointedFrames: -1))
        XCTAssertTrue(result.isComplete)
    }

    func testCheckpointOfAClosedDatabaseThrows() throws {
        let db = try walDatabase()
        try db.close()
        XCTAssertThrowsError(try db.checkpoint(.full)) { error in
            XCTAssertEqual("\(error)", "SQLite error 21: the database is closed")
        }
    }
}
