import BoucleCommands
import BoucleCore
import BoucleStore
import BoucleSync
import Foundation
import HTTPCodec
import Networking

/// The phases against the running `boucle-server`: push, clone and incremental.
enum SyncPhases {
    /// Rounds of the incremental phase; its `seconds` is their median.
    static let incrementalRounds = 5
    static let incrementalRecords = 10

    /// Pushes the imported replica's records to the server, in `boucle sync`'s batches.
    ///
    /// Only the push half of a sync (`SyncSession.pushOnly`): a whole sync would then pull every
    /// record back (the replica has never pulled), and that is the clone's cost, measured by the
    /// next phase.
    static func push(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ServerSettings.read(from: folder.serverSettings)
        let store = try ReplicaStore.open(at: folder.imported)
        defer { try? store.close() }
        let clock = Stopwatch()
        let sent = try pushPending(store, server: server)
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        guard sent == workload.records else { throw BenchError("push sent \(sent) changes, expected \(workload.records)") }
        return PhaseResult(phase: .push, records: workload.records, seconds: seconds, extras: ["cpu_seconds": cpu])
    }

    /// A new empty replica syncs with `SyncSession` over `HTTPClient`: it pulls everything.
    static func clone(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ServerSettings.read(from: folder.serverSettings)
        let store = try ReplicaStore.create(at: folder.cloned, team: Workload.team)
        defer { try? store.close() }
        let clock = Stopwatch()
        let received = try sync(store, url: server.url, token: server.token)
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        guard received == workload.records else { throw BenchError("clone received \(received) changes, expected \(workload.records)") }
        return PhaseResult(phase: .clone, records: workload.records, seconds: seconds, extras: ["cpu_seconds": cpu])
    }

    /// The clone again, into another new replica, over HTTPS through the proxy `Bench` started
    /// (`HTTPSProxy`), trusting the run's own authority.
    static func httpsClone(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ServerSettings.read(from: folder.serverSettings)
        guard let url = FileManager.default.contents(atPath: folder.httpsURL).map({ String(decoding: $0, as: UTF8.self) }),
              let authority = FileManager.default.contents(atPath: folder.authority)
        else { throw BenchError("no HTTPS proxy described in \(folder.path): this phase runs through boucle-bench") }
        let store = try ReplicaStore.create(at: folder.clonedOverHTTPS, team: Workload.team)
        defer { try? store.close() }
        let clock = Stopwatch()
        let received = try sync(store, url: url, token: server.token, authorities: [UInt8](authority))
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        guard received == workload.records else { throw BenchError("https-clone received \(received) changes, expected \(workload.records)") }
        return PhaseResult(phase: .httpsClone, records: workload.records, seconds: seconds, extras: ["cpu_seconds": cpu])
    }

    /// In each round, the imported replica changes 10 records and pushes them; then the cloned
    /// replica (also holding N, and caught up) syncs: that sync is timed. `seconds` is the
    /// median of the rounds; `push_seconds` the median of the pushes of the 10 changes.
    static func incremental(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ServerSettings.read(from: folder.serverSettings)
        let editor = try ReplicaStore.open(at: folder.imported)
        defer { try? editor.close() }
        let receiver = try ReplicaStore.open(at: folder.cloned)
        defer { try? receiver.close() }
        var syncs: [Double] = []
        var pushes: [Double] = []
        let stride = max(1, workload.records / incrementalRecords)
        for round in 0..<incrementalRounds {
            for index in 0..<incrementalRecords {
                let record = workload.record((index * stride + round) % workload.records)
                try editor.update(record.id, fields: ["title": .text("\(record.title) (mis à jour, tour \(round + 1))")])
            }
            let pushClock = Stopwatch()
            let sent = try pushPending(editor, server: server)
            pushes.append(pushClock.seconds)
            guard sent == incrementalRecords else { throw BenchError("incremental pushed \(sent) changes, expected \(incrementalRecords)") }
            let clock = Stopwatch()
            let received = try sync(receiver, url: server.url, token: server.token)
            syncs.append(clock.seconds)
            guard received == incrementalRecords else {
                throw BenchError("incremental received \(received) changes, expected \(incrementalRecords)")
            }
        }
        return PhaseResult(phase: .incremental, records: incrementalRecords, seconds: Percentile.median(syncs),
                           extras: ["push_seconds": Percentile.median(pushes), "rounds": Double(incrementalRounds),
                                    "min_seconds": syncs.min() ?? 0, "max_seconds": syncs.max() ?? 0])
    }

    /// One `boucle sync` of `store`: a fresh connection and a `SyncSession`. Returns the
    /// changes received.
    static func sync(_ store: ReplicaStore, url: String, token: String, authorities: [UInt8]? = nil) throws -> Int {
        let client = try HTTPClient(url: url, authorities: authorities)
        defer { client.close() }
        let session = SyncSession(store: store, token: token)
        try session.run(over: client)
        return session.summary.received
    }

    /// Pushes every pending record of `store` with `SyncSession`, without pulling; returns the
    /// changes sent. The workload makes no conflicts: any lost write is a bench failure.
    static func pushPending(_ store: ReplicaStore, server: ServerSettings) throws -> Int {
        let client = try HTTPClient(url: server.url)
        defer { client.close() }
        let session = SyncSession(store: store, token: server.token)
        try session.pushOnly(over: client)
        guard session.summary.conflicts == 0 else { throw BenchError("the server reported lost writes for the workload's push") }
        return session.summary.sent
    }
}
