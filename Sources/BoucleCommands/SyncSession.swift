import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation
import HTTPCodec
import Networking

/// How a sync reaches the server: one request, one whole answer. `HTTPClient` is the real one;
/// the simulation tests put a faulty network in between.
public protocol SyncTransport: AnyObject {
    func send(_ request: HTTPRequest) throws -> HTTPResponse
}

extension HTTPClient: SyncTransport {}

/// One `boucle sync`: push in batches, pull in pages, and re-sync in full when the server says
/// this replica is older than its tombstone horizon (410).
///
/// Every step is one transaction on both sides, so a session cut anywhere (a lost request, a lost
/// answer, a stopped server) loses nothing, and the next session resumes.
public final class SyncSession {
    let store: ReplicaStore
    let token: String
    let progress: Progress
    /// Records per pushed batch.
    let batchRecords: Int
    /// Records per pulled page; nil lets the server choose.
    let pageRecords: Int?
    /// What the session did: changes sent, new changes received, conflicts, and the full
    /// re-sync if there was one.
    public private(set) var summary = (sent: 0, received: 0, conflicts: 0, resync: ResyncSummary?.none)
    private var clockChecked = false
    private var transport: SyncTransport?

    /// The server said this replica must re-sync in full.
    struct Stale: Error, CustomStringConvertible {
        var description: String { "the server has forgotten deletions older than this replica's last sync, twice in a row" }
    }

    public init(store: ReplicaStore, token: String, progress: Progress = Progress(enabled: false),
                batchRecords: Int = 2_000, pageRecords: Int? = nil) {
        self.store = store
        self.token = token
        self.progress = progress
        self.batchRecords = batchRecords
        self.pageRecords = pageRecords
    }

    /// Pushes, then pulls, over `transport`; throws on the first failure, with nothing lost.
    public func run(over transport: SyncTransport) throws {
        self.transport = transport
        defer { self.transport = nil }
        if try store.isResyncing() { try resyncInFull() }
        do {
            try push()
        } catch is Stale {
            try resyncInFull()
            try push()
        }
        do {
            try store.purgeTombstones(deletedBefore: try pull())
        } catch is Stale {
            try resyncInFull()
        }
        try store.markSynced()
    }

    private func push() throws {
        while true {
            let batch = try store.pendingBatch(maxRecords: batchRecords)
            if batch.changes == 0 && !batch.more {
                // The previous batch was full and the last: close the push.
                try store.markPushed(upTo: batch.next, more: false, lost: [])
                return
            }
            var headers = self.headers
            headers.replace("Boucle-Cursor", String(try store.pullCursor().since))
            let answer = try call(HTTPRequest(method: "POST", target: "/v1/changes", headers: headers, body: batch.changeSet))
            let lost = try PushAnswer.lost(answer.body)
            try store.markPushed(upTo: batch.next, more: batch.more, lost: lost)
            summary.sent += batch.changes
            summary.conflicts += lost.count
            progress.show("pushed \(summary.sent) changes")
            if !batch.more { return }
        }
    }

    /// Pulls until caught up; returns the server's horizon time from the last page.
    ///
    /// Pages are asked for, received and decoded ahead of the merge (`PagePipeline`): the server
    /// builds the next page while this replica decodes one and merges another. The cursor still
    /// moves only with each applied page.
    @discardableResult
    private func pull() throws -> UInt64 {
        let cursor = try store.pullCursor()
        let pages = PagePipeline(after: cursor.after) { after in try self.fetchPage(since: cursor.since, after: after) }
        defer { pages.stop() }
        var horizonTime: UInt64 = 0
        while let (position, changeSet) = try pages.next() {
            let imported = try store.applyPulledPage(changeSet, next: position.next, more: position.more)
            pages.giveBack(changeSet)
            summary.received += imported.applied
            summary.conflicts += imported.conflicts.count
            progress.show("pulled \(summary.received) changes")
            horizonTime = position.horizonTime
        }
        return horizonTime
    }

    /// One page's answer: where it ends and its change-set's bytes.
    private func fetchPage(since: Int64, after: Int64) throws -> (PagePosition, [UInt8]) {
        let limit = pageRecords.map { "&limit=\($0)" } ?? ""
        let answer = try call(HTTPRequest(method: "GET", target: "/v1/changes?since=\(since)&after=\(after)\(limit)", headers: headers, body: []))
        guard let next = answer.headers["Boucle-Next"].flatMap(Int64.init) else {
            throw CLIError("the server's answer has no Boucle-Next cursor: is this a boucle-server?")
        }
        let position = PagePosition(next: next, more: answer.headers["Boucle-More"] == "true",
                                    horizonTime: answer.headers["Boucle-Horizon-Time"].flatMap(UInt64.init) ?? 0)
        return (position, answer.body)
    }

    /// Fetches the whole current state, then keeps or drops what the server did not send
    /// (`ReplicaStore.finishFullResync`).
    private func resyncInFull() throws {
        progress.show("re-syncing in full")
        try store.beginFullResync()
        let horizonTime = try pull()
        summary.resync = try store.finishFullResync(horizonTime: horizonTime)
        try store.purgeTombstones(deletedBefore: horizonTime)
    }

    private var headers: HTTPHeaders {
        HTTPHeaders([("Authorization", "Bearer \(token)"), ("Content-Type", "application/x-ndjson")])
    }

    /// Sends a request and turns an error answer into a message that says what to do.
    private func call(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let transport else { throw CLIError("no connection") }
        let response = try transport.send(request)
        checkClock(response)
        guard response.status != 200 else { return response }
        let message = (try? JSONParser.parse(response.body))?["error"]?["message"]?.stringValue ?? "HTTP \(response.status)"
        switch response.status {
        case 410: throw Stale()
        case 401: throw CLIError("the server refused the token (\(message)): ask the city for a new token")
        case 403: throw CLIError("the server refused this change: \(message)")
        case 422: throw CLIError(message)
        default: throw CLIError("the server answered \(response.status): \(message)")
        }
    }

    /// Warns once when this laptop's clock and the server's differ by more than 5 minutes.
    private func checkClock(_ response: HTTPResponse) {
        guard !clockChecked, let date = response.headers["Date"].flatMap(HTTPDate.parse) else { return }
        clockChecked = true
        let local = Int64(Environment.system.now() / 1000)
        let skew = local - Int64(date)
        guard abs(skew) > 300 else { return }
        let side = skew > 0 ? "ahead of" : "behind"
        StandardStreams.err("warning: this laptop's clock is \(Duration.describe(UInt64(abs(skew)) * 1000)) \(side) the server's: fix it (check the time zone too), or the server will refuse changes stamped in its future\n")
    }
}

/// Where a pulled page ends, from its answer's headers.
struct PagePosition {
    /// `Boucle-Next`: where the next page starts.
    let next: Int64
    /// `Boucle-More`: whether another page follows.
    let more: Bool
    /// `Boucle-Horizon-Time`: the tenant's tombstone horizon (0 when absent).
    let horizonTime: UInt64
}

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
