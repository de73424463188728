import BoucleCore
import Foundation

/// Decodes a change-set on a thread of its own while the caller merges what is already decoded:
/// parsing and checksumming on one core, SQLite on the other.
///
/// Items come out in order, in batches; the first decoding error comes out after every item
/// before it, exactly where a one-thread import would have met it. Memory stays bounded: the
/// decoder waits while `capacity` batches are ready. `finish()` must be called before the
/// `nextChunk` closure goes out of scope: it stops the decoder and waits for its thread.
///
/// Unchecked sendability: `nextChunk` is called only by the decoding thread; every other shared
/// state is behind `condition`.
final class DecodingPipeline: @unchecked Sendable {
    private enum Message {
        case batch([ChangeSetDecoder.Item])
        case end
        case failure(Error)
    }

    private struct Cancelled: Error {}

    /// Dropped by `finish()`, so the caller's closure never outlives its scope here.
    private var nextChunk: (() throws -> [UInt8]?)?
    private let condition = NSCondition()
    private var messages: [Message] = []
    private var cancelled = false
    private let stopped = DispatchSemaphore(value: 0)
    private let capacity = 8
    private let batchSize = 256

    init(nextChunk: @escaping () throws -> [UInt8]?) {
        self.nextChunk = nextChunk
        let thread = Thread { [self] in
            decode()
            stopped.signal()
        }
        thread.start()
    }

    /// The next batch of items, nil after the last; rethrows the decoding error in its place.
    func next() throws -> [ChangeSetDecoder.Item]? {
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty { condition.wait() }
        let message = messages.removeFirst()
        condition.broadcast()
        switch message {
        case .batch(let items): return items
        case .end: return nil
        case .failure(let error): throw error
        }
    }

    /// Stops the decoder if it still runs and waits for its thread to end.
    func finish() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        stopped.wait()
        nextChunk = nil
    }

    private func decode() {
        guard let nextChunk else { return }
        var decoder = ChangeSetDecoder()
        var batch: [ChangeSetDecoder.Item] = []
        batch.reserveCapacity(batchSize)
        do {
            while let chunk = try nextChunk() {
                try decoder.consume(chunk) { item in
                    batch.append(item)
                    if batch.count >= batchSize {
                        try send(.batch(batch))
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            }
            try decoder.finish()
            if !batch.isEmpty { try send(.batch(batch)) }
            try send(.end)
        } catch is Cancelled {
            return
        } catch {
            // What was decoded before the error goes first, as in a one-thread import.
            if !batch.isEmpty, (try? send(.batch(batch))) == nil { return }
            try? send(.failure(error))
        }
    }

    private func send(_ message: Message) throws {
        condition.lock()
        defer { condition.unlock() }
        while messages.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        messages.append(message)
        condition.broadcast()
    }
}
