import BoucleCore
import BoucleProtocol
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

/// The sizes a sync works in.
public struct SyncLimits: Sendable {
    /// Records per pushed batch.
    public var batchRecords: Int
    /// Bytes of change lines past which a pushed batch stops growing (one record always fits).
    public var batchBytes: Int
    /// Records per pulled page; nil lets the server choose.
    public var pageRecords: Int?
    /// The whole sync's deadline: `patience` seconds, plus the time the bytes it moved take at
    /// `minimumRate` bytes per second. A server that keeps it going without moving data (slow
    /// answers, tiny pages) is left once it passes.
    public var patience: Double
    public var minimumRate: Double

    public init(batchRecords: Int = SyncDefaults.pushBatchRecords, batchBytes: Int = SyncDefaults.pushBatchBytes,
                pageRecords: Int? = nil, patience: Double = 600, minimumRate: Double = 2_048) {
        self.batchRecords = batchRecords
        self.batchBytes = batchBytes
        self.pageRecords = pageRecords
        self.patience = patience
        self.minimumRate = minimumRate
    }

    /// Half the batch, for a server or proxy that refused one as too large (413); nil when a
    /// batch is one record already.
    func halved(from records: Int) -> SyncLimits? {
        guard records > 1 else { return nil }
        var cut = self
        cut.batchRecords = max(1, min(batchRecords, records) / 2)
        cut.batchBytes = max(1, batchBytes / 2)
        return cut
    }
}

/// What a sync did.
public struct SyncSummary: Equatable, Sendable {
    /// Changes pushed.
    public var sent = 0
    /// Pulled changes that changed this replica.
    public var received = 0
    /// Losing writes logged in the conflict log.
    public var conflicts = 0
    /// The full re-sync, if there was one.
    public var resync: ResyncSummary?
    /// True when the server had gone back in time (restored from a backup) and this replica
    /// sent it everything again.
    public var restarted = false
    /// After the sync: records whose changes the server left for another token, grouped by
    /// what they wait for (`ReplicaStore.waiting`).
    public var waiting: [Waiting] = []
}

/// Why a sync stopped. Each case says what happened, not what to do: the command line words
/// the advice (retry, or not).
public enum SyncFailure: Error, Equatable, CustomStringConvertible {
    /// The server refused a request (the refusal's code says why).
    case refused(Refusal)
    /// The server refused with a code this client does not know (a newer server).
    case unknownRefusal(code: String, status: Int, message: String)
    /// Something that is not a Boucle server answered (a proxy's 502, 413 or 404…).
    case foreignAnswer(status: Int)
    /// The server's answer does not follow the protocol.
    case invalidAnswer(InvalidAnswer)
    /// The server asked for a full re-sync twice in a row.
    case staleTwice
    /// One record alone makes a push larger than the server (or a proxy) takes.
    case recordTooLarge(bytes: Int)
    /// The sync went past its deadline (`SyncLimits.patience`) for the bytes it moved.
    case tooSlow(seconds: Int, bytes: Int)

    public var description: String {
        switch self {
        case .refused(let refusal): "the server refused: \(refusal.message)"
        case let .unknownRefusal(code, status, message): "the server refused (\(status), code \(code), unknown to this boucle): \(message)"
        case .foreignAnswer(let status): "the server answered \(status) \(HTTPResponse.reason(for: status)) without a Boucle error: a proxy or another server answered"
        case .invalidAnswer(let problem): problem.description
        case .staleTwice: "the server has forgotten deletions older than this replica's last sync, twice in a row"
        case .recordTooLarge(let bytes): "one record makes a push of \(bytes) bytes, more than the server, or a proxy in front of it, takes"
        case let .tooSlow(seconds, bytes): "the sync moved \(bytes) bytes in \(seconds) s, too slow to go on: the network or the server is stuck"
        }
    }
}

/// One `boucle sync`: push in batches, pull in pages, and re-sync in full when the server says
/// this replica is older than its tombstone horizon (410).
///
/// Every step is one transaction on both sides, so a session cut anywhere (a lost request, a lost
/// answer, a stopped server) loses nothing, and the next session resumes.
public final class SyncSession {
    let store: ReplicaStore
    let token: String
    /// The sizes in use: batches are halved after a 413.
    private(set) var limits: SyncLimits
    /// The wall clock, compared with the server's `Date`.
    let environment: Environment
    /// Called with a line of progress ("pushed 2000 changes").
    let progress: (String) -> Void
    /// What the session did.
    public private(set) var summary = SyncSummary()
    /// This laptop's clock minus the server's (milliseconds), once an answer carried a `Date`
    /// and the two differ by more than `SyncDefaults.clockSkewWarning`.
    public private(set) var clockSkew: Int64?
    private var clockChecked = false
    private var transport: SyncTransport?
    /// When `run` began (monotonic seconds) and the bytes moved since, for the sync's deadline.
    /// Touched by one thread at a time: the caller's, or the page pipeline's while it pulls.
    private var started = ProcessInfo.processInfo.systemUptime
    private var moved = 0

    /// The server said this replica must re-sync in full.
    struct Stale: Error {}

    /// The server said it went back in time (restored from a backup).
    struct Restored: Error {}

    public init(store: ReplicaStore, token: String, limits: SyncLimits = SyncLimits(), environment: Environment = .system,
                progress: @escaping (String) -> Void = { _ in }) {
        self.store = store
        self.token = token
        self.limits = limits
        self.environment = environment
        self.progress = progress
    }

    /// Pushes, then pulls, over `transport`; throws on the first failure, with nothing lost.
    ///
    /// A server that went back in time (restored from a backup: `server_restored`) is pulled
    /// from 0, sent everything this replica holds, and pulled again: it gets back what it lost,
    /// and this replica what it lacks.
    public func run(over transport: SyncTransport) throws {
        begin(over: transport)
        defer { self.transport = nil }
        do {
            try pushThenPull()
        } catch is Restored {
            progress("the server went back in time (restored from a backup): sending everything again")
            try store.restartWithServer()
            summary.restarted = true
            do {
                try store.purgeTombstones(deletedBefore: try pull())
                try pushThenPull()
            } catch is Restored {
                throw SyncFailure.refused(Refusal(.serverRestored, "the server went back in time twice in one sync"))
            }
        }
        try store.markSynced()
        summary.waiting = try store.waiting()
    }

    /// The sync itself: a full re-sync first if one was cut, then push, then pull; a re-sync in
    /// full when the server says this replica is stale.
    private func pushThenPull() throws {
        do {
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
        } catch is Stale {
            throw SyncFailure.staleTwice
        }
    }

    /// Starts the clock of the sync's deadline, over `transport`.
    private func begin(over transport: SyncTransport) {
        self.transport = transport
        started = ProcessInfo.processInfo.systemUptime
        moved = 0
    }

    /// Pushes what is pending, without pulling (the benchmark measures pushes alone).
    public func pushOnly(over transport: SyncTransport) throws {
        begin(over: transport)
        defer { self.transport = nil }
        do { try push() } catch is Stale { throw SyncFailure.staleTwice }
    }

    /// Offers again the records the server held back before, then pushes what is pending.
    private func push() throws {
        var after: UUIDString?
        while true {
            let (batch, ids) = try store.heldBackBatch(after: after, maxRecords: limits.batchRecords, maxBytes: limits.batchBytes)
            guard let last = ids.last else { break }
            guard let answer = try send(batch) else { continue }
            try store.markRetried(ids, answer: answer)
            after = last
        }
        var batch = try store.pendingBatch(maxRecords: limits.batchRecords, maxBytes: limits.batchBytes)
        while true {
            if batch.changes == 0 && !batch.more {
                // The previous batch was full and the last: close the push.
                try store.markPushed(upTo: batch.next, more: false, answer: PushAnswer())
                return
            }
            // The next batch is read while the server merges this one.
            var following: ChangeSetPage?
            let answer = try send(batch) { [limits] in
                if batch.more { following = try store.pendingBatch(after: batch.next, maxRecords: limits.batchRecords, maxBytes: limits.batchBytes) }
            }
            guard let answer else {
                batch = try store.pendingBatch(maxRecords: limits.batchRecords, maxBytes: limits.batchBytes)
                continue
            }
            try store.markPushed(upTo: batch.next, more: batch.more, answer: answer)
            guard batch.more, let following else { return }
            batch = following
        }
    }

    /// Pushes one batch, running `meanwhile` (work on the store) while the request is on its
    /// way; returns the server's answer, or nil when the server (or a proxy) refused it as too
    /// large (413) and the batches were halved: the caller makes a smaller one.
    private func send(_ batch: ChangeSetPage, meanwhile: () throws -> Void = {}) throws -> PushAnswer? {
        let request = PushRequest(cursor: try store.pullCursor().since).request(changeSet: batch.changeSet, headers: try headers)
        let exchange = InFlight { try self.call(request) }
        let work = Result { try meanwhile() }
        let answer: PushAnswer
        do {
            let response = try exchange.wait()
            try work.get()
            answer = try PushAnswer(body: response.body)
            if let generation = response.headers[SyncHeader.generation].flatMap({ UUIDString($0) }) {
                try store.adoptServerGeneration(generation)
            }
        } catch let problem as InvalidAnswer {
            throw SyncFailure.invalidAnswer(problem)
        } catch SyncFailure.refused(let refusal) where refusal.reason == .bodyTooLarge {
            return try halve(batch)
        } catch SyncFailure.foreignAnswer(413) {
            return try halve(batch)
        }
        summary.sent += batch.changes - answer.deferred.count
        summary.conflicts += answer.lost.count
        progress("pushed \(summary.sent) changes")
        return answer
    }

    /// Halves the batches after `batch` was refused as too large; throws when it was one record.
    private func halve(_ batch: ChangeSetPage) throws -> PushAnswer? {
        guard let smaller = limits.halved(from: batch.records) else { throw SyncFailure.recordTooLarge(bytes: batch.changeSet.count) }
        limits = smaller
        progress("the server took no batch of \(batch.changeSet.count) bytes: pushing smaller ones")
        return nil
    }

    /// Pulls until caught up; returns the server's horizon time from the last page.
    ///
    /// Pages are asked for, received and decoded ahead of the merge (`PagePipeline`): the server
    /// builds the next page while this replica decodes one and merges another. The cursor still
    /// moves only with each applied page.
    @discardableResult
    private func pull() throws -> UInt64 {
        let cursor = try store.pullCursor()
        // Read here: the pages are fetched on another thread, which must not touch the store.
        let headers = try headers
        let skip = try store.pullSkip()
        let limit = limits.pageRecords
        let pages = PagePipeline(after: cursor.after) { after in
            try self.fetchPage(PullRequest(since: cursor.since, after: after, limit: limit, skip: skip), headers: headers)
        }
        defer { pages.stop() }
        var horizonTime: UInt64 = 0
        while let (position, changeSet) = try pages.next() {
            let imported = try store.applyPulledPage(changeSet, next: position.next, more: position.more)
            if let generation = position.generation { try store.adoptServerGeneration(generation) }
            pages.giveBack(changeSet)
            summary.received += imported.applied
            summary.conflicts += imported.conflicts.count
            progress("pulled \(summary.received) changes")
            horizonTime = position.horizon.time
        }
        return horizonTime
    }

    /// One page's answer: where it ends and its change-set's bytes. Called on the pipeline's
    /// fetching thread: it touches no store.
    private func fetchPage(_ request: PullRequest, headers: HTTPHeaders) throws -> (PagePosition, [UInt8]) {
        let answer = try call(request.request(headers: headers))
        let position: PagePosition
        do { position = try PagePosition(headers: answer.headers) } catch {
            throw SyncFailure.invalidAnswer(error)
        }
        // A cursor that does not move would have this replica ask for the same page forever.
        if position.more, position.next <= request.after {
            throw SyncFailure.invalidAnswer(InvalidAnswer("says more pages follow but its \(SyncHeader.next) cursor does not move past \(request.after)"))
        }
        return (position, answer.body)
    }

    /// Fetches the whole current state, then keeps or drops what the server did not send
    /// (`ReplicaStore.finishFullResync`).
    private func resyncInFull() throws {
        progress("re-syncing in full")
        try store.beginFullResync()
        let horizonTime = try pull()
        summary.resync = try store.finishFullResync(horizonTime: horizonTime)
        try store.purgeTombstones(deletedBefore: horizonTime)
    }

    /// The token, and the server generation this replica last saw.
    private var headers: HTTPHeaders {
        get throws {
            var headers = HTTPHeaders([("Authorization", "Bearer \(token)")])
            if let generation = try store.serverGeneration() { headers.replace(SyncHeader.generation, generation.rawValue) }
            return headers
        }
    }

    /// Sends a request; an error answer becomes a `SyncFailure` read by its code (or `Stale`).
    /// A server too busy to answer (503 `busy`) is asked again, a few times, a little later.
    private func call(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let transport else { preconditionFailure("a request outside run(over:)") }
        var response = try transport.send(request)
        for wait in [1.0, 2.0, 4.0] {
            guard response.status == 503, case .refusal(let refusal) = Refusal.decode(response), refusal.reason == .busy else { break }
            Thread.sleep(forTimeInterval: wait)
            response = try transport.send(request)
        }
        checkClock(response)
        moved += request.body.count + response.body.count
        let elapsed = ProcessInfo.processInfo.systemUptime - started
        if elapsed > limits.patience + Double(moved) / limits.minimumRate {
            throw SyncFailure.tooSlow(seconds: Int(elapsed), bytes: moved)
        }
        guard !(200...299).contains(response.status) else { return response }
        switch Refusal.decode(response) {
        case .refusal(let refusal) where refusal.reason == .staleReplica: throw Stale()
        case .refusal(let refusal) where refusal.reason == .serverRestored: throw Restored()
        case .refusal(let refusal): throw SyncFailure.refused(refusal)
        case let .unknownCode(code, status, message): throw SyncFailure.unknownRefusal(code: code, status: status, message: message)
        case .foreign(let status): throw SyncFailure.foreignAnswer(status: status)
        }
    }

    /// Notes, once, how far this laptop's clock is from the server's when beyond the warning.
    private func checkClock(_ response: HTTPResponse) {
        guard !clockChecked, let date = response.headers["Date"].flatMap(HTTPDate.parse) else { return }
        clockChecked = true
        let skew = Int64(environment.now() / 1000) * 1000 - Int64(date) * 1000
        if skew.magnitude > SyncDefaults.clockSkewWarning { clockSkew = skew }
    }
}
