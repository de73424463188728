import BoucleCore
import BoucleStore
import Foundation

/// 50 clients, each a thread with its own replica file, `SyncSession` and `HTTPClient`, each
/// adding 20 offers and then syncing, all at once.
///
/// The clients work in their own tenant (`crowd`) on the same server as the workload, so that
/// each pulls the other clients' records, not the N of the workload. Setup (creating the
/// replicas and adding the records) happens before a start barrier; the clock runs from the
/// barrier until the last sync ends, and each sync's own latency is kept for p50 and p99.
enum ConcurrentPhase {
    static let clients = 50
    static let changesPerClient = 20
    static let team = "crowd"

    static func run(_ workload: Workload, _ folder: BenchFolder) throws -> PhaseResult {
        let server = try ServerSettings.read(from: folder.serverSettings)
        try FileManager.default.createDirectory(atPath: folder.crowd, withIntermediateDirectories: true)
        let results = Results()
        let ready = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for client in 0..<clients {
            done.enter()
            let path = "\(folder.crowd)/client-\(client).replica"
            let thread = Thread {
                var waiting = true
                defer {
                    if waiting { ready.signal() }   // a client that failed in setup must not hold the barrier
                    done.leave()
                }
                do {
                    let store = try ReplicaStore.create(at: path, team: team, tenant: team)
                    defer { try? store.close() }
                    for index in 0..<changesPerClient {
                        _ = try store.add(.offer, fields: workload.record(client * changesPerClient + index).fields)
                    }
                    waiting = false
                    ready.signal()
                    start.wait()
                    let clock = Stopwatch()
                    _ = try SyncPhases.sync(store, url: server.url, token: server.crowdToken)
                    results.add(latency: clock.seconds)
                } catch {
                    results.add(failure: "client \(client): \(error)")
                }
            }
            thread.start()
        }
        for _ in 0..<clients { ready.wait() }
        let clock = Stopwatch()
        for _ in 0..<clients { start.signal() }
        done.wait()
        let (seconds, cpu) = (clock.seconds, clock.cpuSeconds)
        let (latencies, failures) = results.snapshot()
        if let first = failures.first {
            throw BenchError("\(failures.count) of \(clients) concurrent clients failed; the first: \(first)")
        }
        return PhaseResult(phase: .concurrent, records: clients * changesPerClient, seconds: seconds, extras: [
            "clients": Double(clients), "cpu_seconds": cpu,
            "p50_seconds": Percentile.nearestRank(0.50, of: latencies),
            "p99_seconds": Percentile.nearestRank(0.99, of: latencies),
        ])
    }

    /// The clients' latencies and failures, behind a lock.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var latencies: [Double] = []
        private var failures: [String] = []

        func add(latency: Double) { lock.withLock { latencies.append(latency) } }
        func add(failure: String) { lock.withLock { failures.append(failure) } }
        func snapshot() -> ([Double], [String]) { lock.withLock { (latencies, failures) } }
    }
}
