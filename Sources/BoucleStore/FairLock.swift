import Foundation

/// A lock taken in the order it was asked for (a ticket lock).
///
/// The server's write transactions queue on it, one process-wide instance for every
/// connection, instead of on SQLite's busy handler: that handler sleeps between retries, longer
/// and longer, so that under 50 concurrent pushes an unlucky one waited seconds while later ones
/// went through. Here each waits only for those that asked before it.
final class FairLock: @unchecked Sendable {
    private let condition = NSCondition()
    private var nextTicket: UInt64 = 0
    private var serving: UInt64 = 0

    /// Runs `body` once every earlier caller has run theirs.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket { condition.wait() }
        condition.unlock()
        defer {
            condition.lock()
            serving += 1
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
