import BoucleProtocol
import BoucleStore
import Foundation

/// The pages of one pull, fetched and decoded ahead of the merge: one thread asks for a page,
/// another decodes the one before, while the caller merges the one before that. Each thread
/// hands its page over and waits until the next step has it, so three pages at most are held
/// at once (bounded memory), and the server builds a page while the client works on two.
///
/// `next()` hands the pages out in order, and the first error (a refused request, a lost
/// connection) in its place. `stop()` must be called before the transport is used again: it ends
/// both threads, waiting for a request in flight.
final class PagePipeline: @unchecked Sendable {
    private let fetched = BoundedQueue<Result<(PagePosition, [UInt8]), Error>>(capacity: 0)
    private let decoded = BoundedQueue<Result<(PagePosition, DecodedChangeSet), Error>>(capacity: 0)
    /// Merged pages on their way back to the decoding thread, which frees them: a change's memory
    /// is freed by the thread that allocated it. Never full; emptied after each page decoded.
    private let spent = BoundedQueue<DecodedChangeSet>(capacity: .max)
    private let stopped = DispatchGroup()
    /// Called by the fetching thread alone.
    private let fetch: (Int64) throws -> (PagePosition, [UInt8])

    /// Starts fetching from `after` with `fetch`.
    init(after: Int64, fetch: @escaping (Int64) throws -> (PagePosition, [UInt8])) {
        self.fetch = fetch
        stopped.enter()
        Thread { [self] in
            fetchPages(from: after)
            fetched.close()
            stopped.leave()
        }.start()
        stopped.enter()
        Thread { [self] in
            while let page = fetched.take() {
                guard decoded.put(page.map { position, body in (position, DecodedChangeSet(body)) }) else { break }
                while spent.takeIfAny() != nil {}
            }
            decoded.close()
            stopped.leave()
        }.start()
    }

    private func fetchPages(from start: Int64) {
        var after = start
        while true {
            let page = Result { try fetch(after) }
            guard fetched.put(page), case .success(let (position, _)) = page, position.more else { return }
            after = position.next
        }
    }

    /// The next page, nil after the last; rethrows the error met in its place.
    func next() throws -> (PagePosition, DecodedChangeSet)? {
        try decoded.take()?.get()
    }

    /// Hands a merged page back, to be freed on the decoding thread.
    func giveBack(_ page: consuming DecodedChangeSet) {
        _ = spent.put(page)
    }

    /// Stops fetching and decoding, and waits for both threads to end.
    func stop() {
        fetched.close()
        decoded.close()
        spent.close()
        stopped.wait()
    }
}
