import BoucleCore
import Foundation

/// Decodes a change-set on a thread of its own while the caller merges what is already decoded:
/// parsing, checksumming and what new records bring (`DecodedItem`) on one core, SQLite
/// on the other.
///
/// Items come out in order, in batches; the first decoding error comes out after every item
/// before it, exactly where a one-thread import would have met it. Memory stays bounded: the
/// decoder waits while `capacity` batches are ready. `finish()` must be called before the
/// `nextChunk` closure goes out of scope: it stops the decoder and waits for its thread.
///
/// Unchecked sendability: `nextChunk` is called only by the decoding thread; the batches cross
/// threads through a `BoundedQueue`.
final class DecodingPipeline: @unchecked Sendable {
    private struct Cancelled: Error {}

    /// Dropped by `finish()`, so the caller's closure never outlives its scope here.
    private var nextChunk: (() throws -> [UInt8]?)?
    private let batches = BoundedQueue<Result<[DecodedItem], Error>>(capacity: 4)
    /// Merged batches on their way back to the decoding thread, which frees them: the memory of
    /// a change is then freed by the thread that allocated it, and not on the merging thread.
    /// Never full (handing back never waits); the decoder empties it after each batch it sends,
    /// so it holds a few batches at most.
    private let spent = BoundedQueue<[DecodedItem]>(capacity: .max)
    private let stopped = DispatchSemaphore(value: 0)
    private let batchSize = 1_024
    private let forReplica: Bool

    /// Starts decoding the bytes `nextChunk` gives (nil at the end); each item carries what its
    /// record brings if new only `forReplica` (`DecodedItem`).
    init(forReplica: Bool = true, nextChunk: @escaping () throws -> [UInt8]?) {
        self.forReplica = forReplica
        self.nextChunk = nextChunk
        let thread = Thread { [self] in
            decode()
            batches.close()
            stopped.signal()
        }
        thread.start()
    }

    /// The next batch of items, nil after the last; rethrows the decoding error in its place.
    func next() throws -> [DecodedItem]? {
        try batches.take()?.get()
    }

    /// Hands a merged batch back, to be freed on the decoding thread (or here, when it is done).
    func giveBack(_ batch: consuming [DecodedItem]) {
        _ = spent.put(batch)
    }

    /// Stops the decoder if it still runs and waits for its thread to end.
    func finish() {
        batches.close()
        spent.close()
        stopped.wait()
        nextChunk = nil
    }

    private func decode() {
        guard let nextChunk else { return }
        var decoder = ChangeSetDecoder()
        var batch: [DecodedItem] = []
        batch.reserveCapacity(batchSize)
        do {
            while let chunk = try nextChunk() {
                try decoder.consume(chunk) { item in
                    batch.append(DecodedItem(item, forReplica: forReplica))
                    if batch.count >= batchSize {
                        guard batches.put(.success(batch)) else { throw Cancelled() }
                        batch.removeAll(keepingCapacity: true)
                        while spent.takeIfAny() != nil {}
                    }
                }
            }
            try decoder.finish()
            if !batch.isEmpty { batches.put(.success(batch)) }
        } catch is Cancelled {
            return
        } catch {
            // What was decoded before the error goes first, as in a one-thread import.
            if !batch.isEmpty, !batches.put(.success(batch)) { return }
            batches.put(.failure(error))
        }
    }
}
