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
    /// While a page is applied here, the next one is already asked for on another thread, so
    /// the server builds it meanwhile: the two sides overlap instead of taking turns. The cursor
    /// still moves only with each applied page.
    @discardableResult
    private func pull() throws -> UInt64 {
        let cursor = try store.pullCursor()
        var answer = try fetchPage(since: cursor.since, after: cursor.after)
        while true {
            guard let next = answer.headers["Boucle-Next"].flatMap(Int64.init) else {
                throw CLIError("the server's answer has no Boucle-Next cursor: is this a boucle-server?")
            }
            let more = answer.headers["Boucle-More"] == "true"
            let prefetch = more ? Prefetch { try self.fetchPage(since: cursor.since, after: next) } : nil
            let imported: ImportSummary
            do {
                imported = try store.applyPulledPage(answer.body, next: next, more: more)
            } catch {
                _ = try? prefetch?.result()
                throw error
            }
            summary.received += imported.applied
            summary.conflicts += imported.conflicts.count
            progress.show("pulled \(summary.received) changes")
            guard let prefetch else { return answer.headers["Boucle-Horizon-Time"].flatMap(UInt64.init) ?? 0 }
            answer = try prefetch.result()
        }
    }

    private func fetchPage(since: Int64, after: Int64) throws -> HTTPResponse {
        let limit = pageRecords.map { "&limit=\($0)" } ?? ""
        return try call(HTTPRequest(method: "GET", target: "/v1/changes?since=\(since)&after=\(after)\(limit)", headers: headers, body: []))
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

/// Work started on a thread of its own now, whose result is waited for later.
///
/// Unchecked sendability: `outcome` is written once by the worker before `done` is signalled,
/// and read only after waiting on `done`.
final class Prefetch<T>: @unchecked Sendable {
    private let work: () throws -> T
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<T, Error>?

    init(_ work: @escaping () throws -> T) {
        self.work = work
        let thread = Thread { [self] in
            outcome = Result { try self.work() }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the work and returns its result or rethrows its error.
    func result() throws -> T {
        done.wait()
        guard let outcome else { throw CLIError("the prefetch ended without a result") }
        return try outcome.get()
    }
}
