import Foundation

/// A fixed number of slots taken and given back by any thread: how many pulled pages the server
/// holds in memory at once. (Not a `DispatchSemaphore`, which traps when it is freed with slots
/// taken.)
///
/// Invariant: `free` is between 0 and the count it was made with.
final class Slots: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: Int

    init(_ count: Int) { free = count }

    /// Takes a slot, waiting at most `timeout` seconds; false when none came free.
    func take(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while free == 0 {
                if !condition.wait(until: deadline) { return false }
            }
            free -= 1
            return true
        }
    }

    /// Gives a slot back.
    func give() {
        condition.withLock {
            free += 1
            condition.signal()
        }
    }
}
