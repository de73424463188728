import Foundation

/// One call run on a thread of its own while the caller goes on with other work: a pushed batch
/// on its way to the server while the next one is read from the replica.
///
/// `wait()` is called exactly once, and always (even when the caller's own work failed), so the
/// thread has ended before whatever the call used is touched again.
///
/// Unchecked sendability: `body` runs on the new thread alone, and its result is read only
/// after the semaphore says the thread is done with it.
final class InFlight<Value>: @unchecked Sendable {
    private let body: () throws -> Value
    private var result: Result<Value, Error>?
    private let done = DispatchSemaphore(value: 0)

    /// Starts `body` at once.
    init(_ body: @escaping () throws -> Value) {
        self.body = body
        Thread { [self] in
            result = Result { try self.body() }
            done.signal()
        }.start()
    }

    /// Waits for the call to end; returns what it returned or rethrows what it threw.
    func wait() throws -> Value {
        done.wait()
        guard let result else { preconditionFailure("InFlight: the thread signalled before setting its result") }
        return try result.get()
    }
}
