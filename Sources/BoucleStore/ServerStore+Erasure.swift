import SQLite

/// What the server's files still hold of deleted personal data.
///
/// A delete rewrites its row at once (`secure_delete` zeroes what it frees), but the write-ahead
/// log keeps the pages as they were until a checkpoint copies it into the database file and
/// truncates it, which needs every reader to have moved past it. Waiting for readers would hold
/// every writer up (a 20 s backup stalls every push for 20 s), so the truncation is tried
/// without waiting, after the write and then in the background (`Eraser`), until it passes.
///
/// The writes that erase count themselves in `server_meta` (`erasures`), in their own
/// transaction; a truncation that passed records the count it covered (`erased_through`). So an
/// erasure left pending by a crash, or by a command run beside the server, is finished by
/// whichever process next tries.
extension ServerStore {
    /// Counts, within the write transaction that erased personal data, one more erasure to finish.
    func noteErasure() throws {
        try db.run("INSERT INTO server_meta(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                   [.text(MetaKey.erasures.rawValue)])
    }

    /// True while a write erased personal data whose old values may remain in the write-ahead log.
    public func erasurePending() throws -> Bool {
        let (noted, finished) = try erasureCounts()
        return noted > finished
    }

    /// Copies the write-ahead log into the database file and truncates it, without waiting for
    /// any reader or writer; true when no erasure is pending afterwards.
    @discardableResult
    public func finishErasure() throws -> Bool {
        let (noted, finished) = try erasureCounts()
        guard noted > finished else { return true }
        let patience = db.busyTimeoutMilliseconds
        db.busyTimeoutMilliseconds = 0
        defer { db.busyTimeoutMilliseconds = patience }
        let result = try db.checkpoint(.truncate)
        guard result.isComplete, result.logFrames == 0 else { return false }
        db.busyTimeoutMilliseconds = patience
        try writeTransaction { try setMeta(.erasedThrough, String(noted)) }
        return true
    }

    private func erasureCounts() throws -> (noted: Int64, finished: Int64) {
        try db.transactionForReading {
            (Int64(try meta(.erasures) ?? "0") ?? 0, Int64(try meta(.erasedThrough) ?? "0") ?? 0)
        }
    }
}
