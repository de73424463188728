import BoucleSync
import BoucleCore
import BoucleProtocol
import BoucleServer
import BoucleStore
import Foundation
import HTTPCodec
import XCTest

/// A deterministic simulation of Boucle under faults, in process: real replicas (`ReplicaStore`
/// on SQLite files), the real client sync (`SyncSession`), the real server routes
/// (`BoucleService` on a `ServerStore`), and between them a simulated network that drops
/// requests and answers, duplicates requests, replays old pushes late (reordering), partitions
/// replicas away, and restarts the server. Replicas also hand change-set files to each other in
/// random order, with repeats, and their clocks drift and jump back.
///
/// Each schedule (one seed) runs 5 to 7 replicas through random operations, then heals the
/// network and lets everyone sync until quiet. It asserts that every replica and a fresh clone
/// hold the same state (equal digests), and that no acknowledged write was lost: every write a
/// replica made before one of its syncs succeeded is in the final state, or lost to a write that
/// beats it, or its record is deleted.
///
/// `BOUCLE_SEED=N` replays one schedule; `BOUCLE_SCHEDULES=N` runs N (default 1,000 in CI);
/// a long soak: `BOUCLE_SCHEDULES=100000 swift test -c release --filter SyncSimulationTests`.
final class SyncSimulationTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        folder = base.appendingPathComponent("boucle-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testReplicasConvergeAndLoseNoAcknowledgedWriteUnderFaults() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64] = environment["BOUCLE_SEED"].flatMap(UInt64.init).map { [$0] }
            ?? Array(1...(environment["BOUCLE_SCHEDULES"].flatMap(UInt64.init) ?? 1_000))
        var faults = Simulation.FaultCount()
        for seed in seeds {
            let schedule = folder.appendingPathComponent("s\(seed)")
            try FileManager.default.createDirectory(at: schedule, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: schedule) }
            let simulation = try Simulation(seed: seed, folder: schedule)
            do {
                try simulation.run()
                try simulation.check()
            } catch {
                XCTFail("schedule \(seed) failed: \(error); replay with BOUCLE_SEED=\(seed)")
                return
            }
            faults.add(simulation.faults)
        }
        print("simulation: \(seeds.count) schedules passed; faults injected: \(faults)")
    }

    func testRegressionSchedules() throws {
        // Schedules that once failed stay here for good.
        for seed: UInt64 in [] {
            let simulation = try Simulation(seed: seed, folder: folder)
            try simulation.run()
            try simulation.check()
        }
    }
}

/// One schedule of the simulation.
final class Simulation {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// How many faults of each kind a schedule injected.
    struct FaultCount: CustomStringConvertible {
        var droppedRequests = 0, droppedAnswers = 0, duplicates = 0, replays = 0, partitions = 0, restarts = 0, files = 0

        mutating func add(_ other: FaultCount) {
            droppedRequests += other.droppedRequests
            droppedAnswers += other.droppedAnswers
            duplicates += other.duplicates
            replays += other.replays
            partitions += other.partitions
            restarts += other.restarts
            files += other.files
        }

        var description: String {
            "\(droppedRequests) dropped requests, \(droppedAnswers) dropped answers, \(duplicates) duplicates, "
                + "\(replays) late replays, \(partitions) partitions, \(restarts) server restarts, \(files) files carried"
        }
    }

    /// A write whose sync was acknowledged, and the stamp it got.
    struct Write {
        let id: UUIDString
        let field: String
        let stamp: Stamp
    }

    final class Peer {
        let store: ReplicaStore
        let token: String
        var partitioned = false
        /// Writes made since the last successful sync.
        var unacknowledged: [Write] = []

        init(store: ReplicaStore, token: String) {
            self.store = store
            self.token = token
        }
    }

    private var random: SeededGenerator
    private let folder: URL
    private let clock: ManualClock
    private let serverPath: String
    private let service: BoucleService
    private var handler: (HTTPRequest) -> HandledResponse
    private var peers: [Peer] = []
    private var known: [UUIDString] = []
    private var files: [String] = []
    private var oldPushes: [HTTPRequest] = []
    private var acknowledged: [Write] = []
    private(set) var faults = FaultCount()
    /// False once the network has healed: no more faults.
    private var faulty = true

    init(seed: UInt64, folder: URL) throws {
        random = SeededGenerator(seed: seed)
        self.folder = folder
        clock = ManualClock(milliseconds: 1_796_000_000_000, seed: seed)
        serverPath = folder.appendingPathComponent("server.db").path
        let admin = try ServerStore(path: serverPath, environment: clock.environment)
        try admin.createTenant("lyon")
        service = BoucleService(databasePath: serverPath, environment: clock.environment)
        handler = service.makeHandler(openConnections: { 0 })
        let count = Int.random(in: 5...7, using: &random)
        for index in 0..<count {
            // Laptops whose clocks are up to 10 min behind or 2 min ahead of the server's.
            let offset = Int64.random(in: -600_000...120_000, using: &random)
            let store = try ReplicaStore.create(at: folder.appendingPathComponent("r\(index).db").path, team: "nord",
                                                environment: clock.environment(offset: offset))
            peers.append(Peer(store: store, token: try admin.createToken(tenant: "lyon", team: "nord", role: .coordinator)))
        }
        try admin.close()
    }

    /// Random operations under faults, then healing.
    func run() throws {
        for _ in 0..<Int.random(in: 20...45, using: &random) {
            clock.advance(by: UInt64.random(in: 0...3_000, using: &random))
            try step()
        }
        faulty = false
        for peer in peers { peer.partitioned = false }
        for _ in 0..<3 {
            for peer in peers { try sync(peer, mustSucceed: true) }
        }
    }

    private func step() throws {
        let peer = peers[Int.random(in: 0..<peers.count, using: &random)]
        switch Int.random(in: 0..<20, using: &random) {
        case 0...3:
            try add(on: peer)
        case 4...7:
            try edit(on: peer)
        case 8:
            if let id = known.randomElement(using: &random) { try? peer.store.delete(id) }
        case 9...12:
            try sync(peer, mustSucceed: false)
        case 13:
            let file = folder.appendingPathComponent("f\(files.count).changeset").path
            _ = try peer.store.exportChangeSet(all: Bool.random(using: &random), path: file)
            files.append(file)
        case 14...15:
            if let file = files.randomElement(using: &random) {
                _ = try peer.store.importChangeSet(path: file)
                faults.files += 1
            }
        case 16:
            peer.partitioned.toggle()
            faults.partitions += 1
        case 17:
            // The server restarts: every connection's database handle goes.
            handler = service.makeHandler(openConnections: { 0 })
            faults.restarts += 1
        default:
            // An old push arrives late, after newer ones.
            if let old = oldPushes.randomElement(using: &random) {
                _ = serve(old)
                faults.replays += 1
            }
        }
    }

    private func add(on peer: Peer) throws {
        let collection: RecordCollection = Bool.random(using: &random) ? .offer : .request
        let fields: [String: FieldValue] = [
            "category": .text(["groceries", "pets", "homework"].randomElement(using: &random) ?? "other"),
            "title": .text("t\(Int.random(in: 0..<1000, using: &random))"),
            "status": .text("open"),
        ]
        let id = try peer.store.add(collection, fields: fields)
        known.append(id)
        try remember(fields.keys.sorted(), of: id, on: peer)
    }

    private func edit(on peer: Peer) throws {
        guard let id = known.randomElement(using: &random) else { return }
        let field = ["title", "details", "phone"].randomElement(using: &random) ?? "title"
        let value: FieldValue = Int.random(in: 0..<5, using: &random) == 0 ? .null : .text("v\(Int.random(in: 0..<1000, using: &random))")
        guard (try? peer.store.update(id, fields: [field: value])) != nil else { return }   // unknown or deleted here
        try remember([field], of: id, on: peer)
    }

    private func remember(_ fields: [String], of id: UUIDString, on peer: Peer) throws {
        let state = try peer.store.record(id).state
        for field in fields {
            if let stamp = state.fields[field]?.stamp { peer.unacknowledged.append(Write(id: id, field: field, stamp: stamp)) }
        }
    }

    private func sync(_ peer: Peer, mustSucceed: Bool) throws {
        let network = Network(simulation: self, peer: peer)
        do {
            // Small batches and pages, so that syncs cut between them are common.
            let limits = SyncLimits(batchRecords: Int.random(in: 1...4, using: &random), pageRecords: Int.random(in: 1...4, using: &random))
            try SyncSession(store: peer.store, token: peer.token, limits: limits, environment: clock.environment).run(over: network)
            acknowledged += peer.unacknowledged
            peer.unacknowledged = []
        } catch {
            if mustSucceed { throw Failure(description: "a sync failed after healing: \(error)") }
        }
    }

    /// The server's answer to `request`, sent (the handler's `afterSend` runs) whatever the
    /// network then does with it.
    func serve(_ request: HTTPRequest) -> HTTPResponse {
        let handled = handler(request)
        handled.afterSend?()
        return handled.response
    }

    /// Every replica and a fresh clone hold the same state, and no acknowledged write is lost.
    func check() throws {
        let clone = try ReplicaStore.create(at: folder.appendingPathComponent("clone.db").path, team: "nord", environment: clock.environment)
        let token = peers[0].token
        try SyncSession(store: clone, token: token, environment: clock.environment).run(over: Network(simulation: self, peer: Peer(store: clone, token: token)))
        let expected = try clone.digest()
        for (index, peer) in peers.enumerated() where try peer.store.digest() != expected {
            let mine = Set(try peer.store.canonicalState()), theirs = Set(try clone.canonicalState())
            let difference = mine.symmetricDifference(theirs).sorted().map { (mine.contains($0) ? "replica: " : "clone:   ") + $0 }
            throw Failure(description: "replica \(index) differs from a fresh clone:\n" + difference.joined(separator: "\n"))
        }
        for write in acknowledged {
            guard let state = try? clone.record(write.id).state else { continue }   // deleted: a delete wins
            guard let stamp = state.fields[write.field]?.stamp, stamp == write.stamp || stamp.beats(write.stamp) else {
                throw Failure(description: "an acknowledged write of \(write.id) field \(write.field) was lost")
            }
        }
    }

    /// The network between one replica and the server.
    final class Network: SyncTransport {
        unowned let simulation: Simulation
        let peer: Peer

        struct Fault: Error, CustomStringConvertible {
            let description: String
        }

        init(simulation: Simulation, peer: Peer) {
            self.simulation = simulation
            self.peer = peer
        }

        func send(_ request: HTTPRequest) throws -> HTTPResponse {
            let faulty = simulation.faulty
            if faulty, peer.partitioned { throw Fault(description: "partitioned") }
            let roll = faulty ? Int.random(in: 0..<12, using: &simulation.random) : 99
            if roll == 0 {
                simulation.faults.droppedRequests += 1
                throw Fault(description: "request lost")
            }
            if request.method == "POST" { simulation.oldPushes.append(request) }
            var response = simulation.serve(request)
            if roll == 1 {
                simulation.faults.duplicates += 1
                response = simulation.serve(request)
            }
            if roll == 2 {
                simulation.faults.droppedAnswers += 1
                throw Fault(description: "answer lost")
            }
            return response
        }
    }
}
