import BoucleCore
import BoucleProtocol
import BoucleServer
import BoucleStore
import BoucleSync
import Foundation
import HTTPCodec
import XCTest

/// A deterministic simulation of a city's Boucle under faults, in process: real replicas
/// (`ReplicaStore` on SQLite files), the real client sync (`SyncSession`), the real server routes
/// (`BoucleService` on a `ServerStore`), and between them a simulated network that drops requests
/// and answers, duplicates requests, replays old pushes late (reordering), partitions replicas
/// away, and restarts the server.
///
/// The city: three teams; each replica has a token of its team with a role (one admin, the others
/// field or coordinator, drawn). Replicas add offers and requests (texts at the field limits
/// too), edit any record (other teams' as well), delete (field tokens too), add and relabel
/// categories (coordinators too), and hand change-set files to each other in random order, with
/// repeats, across teams. Clocks drift and jump back; one laptop comes back from a drawer with
/// its clock 100 days behind and deletes what it made. The server's database is backed up, and
/// restored from the backup at a random point; the server's clock jumps 100 days ahead and it
/// purges old deletes, so that replicas become stale and re-sync in full.
///
/// Each schedule (one seed) then heals: the network, and the changes that no token of their
/// writer could make (a field token's delete, a coordinator's category) reach the server the way
/// the city brings them, every replica's file imported by the admin's replica. It asserts that
/// every replica and a fresh clone hold the same state (equal digests), and that no acknowledged
/// write was lost: every write a replica made before one of its syncs succeeded, and that the
/// server did not leave waiting, is in the final state, or lost to a write that beats it, or its
/// record is deleted.
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
            do {
                let simulation = try Simulation(seed: seed, folder: schedule)
                try simulation.run()
                try simulation.check()
                faults.add(simulation.faults)
            } catch {
                XCTFail("schedule \(seed) failed: \(error); replay with BOUCLE_SEED=\(seed)")
                return
            }
        }
        print("simulation: \(seeds.count) schedules passed; faults injected: \(faults)")
    }

    func testRegressionSchedules() throws {
        // Schedules that once failed stay here for good. 2174: a field replica purged its own
        // delete that the server held back (a field token may not delete) once the server forgot
        // older deletes; the delete never arrived and the replica lacked the record.
        for seed: UInt64 in [2174] {
            let schedule = folder.appendingPathComponent("r\(seed)")
            try FileManager.default.createDirectory(at: schedule, withIntermediateDirectories: true)
            let simulation = try Simulation(seed: seed, folder: schedule)
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

    /// How many faults and city events of each kind a schedule brought.
    struct FaultCount: CustomStringConvertible {
        var droppedRequests = 0, droppedAnswers = 0, duplicates = 0, replays = 0, partitions = 0, serverRestarts = 0, files = 0
        var restores = 0, purges = 0, deferred = 0, refusedFiles = 0, resyncs = 0, restarts = 0

        mutating func add(_ other: FaultCount) {
            droppedRequests += other.droppedRequests
            droppedAnswers += other.droppedAnswers
            duplicates += other.duplicates
            replays += other.replays
            partitions += other.partitions
            serverRestarts += other.serverRestarts
            files += other.files
            restores += other.restores
            purges += other.purges
            deferred += other.deferred
            refusedFiles += other.refusedFiles
            resyncs += other.resyncs
            restarts += other.restarts
        }

        var description: String {
            "\(droppedRequests) dropped requests, \(droppedAnswers) dropped answers, \(duplicates) duplicates, "
                + "\(replays) late replays, \(partitions) partitions, \(serverRestarts) server restarts, \(files) files carried "
                + "(\(refusedFiles) refused as from the future), \(restores) restores from a backup (\(restarts) syncs that noticed one), "
                + "\(purges) old deletes purged (\(resyncs) full re-syncs), \(deferred) syncs that left changes waiting"
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
        let team: String
        let role: Role
        var partitioned = false
        /// Writes made since the last successful sync.
        var unacknowledged: [Write] = []

        init(store: ReplicaStore, token: String, team: String, role: Role) {
            self.store = store
            self.token = token
            self.team = team
            self.role = role
        }
    }

    static let teams = ["nord", "sud", "est"]
    static let day: UInt64 = 86_400_000

    private var random: SeededGenerator
    private let folder: URL
    private let clock: ManualClock
    private let serverPath: String
    private let service: BoucleService
    private var handler: ConnectionHandler
    private var peers: [Peer] = []
    private var known: [UUIDString] = []
    private var categories: [String] = []
    private var files: [String] = []
    private var oldPushes: [HTTPRequest] = []
    private var acknowledged: [Write] = []
    private var backup: String?
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
            let team = Self.teams[index % Self.teams.count]
            // One admin; the others field or coordinator tokens of their team.
            let role: Role = index == 0 ? .admin : (Bool.random(using: &random) ? .field : .coordinator)
            // Laptops whose clocks are up to 10 min behind or 2 min ahead of the server's; the
            // last one back from a drawer, 100 days behind until it first hears of the present.
            let offset = index == count - 1 ? -Int64(100 * Self.day) : Int64.random(in: -600_000...120_000, using: &random)
            let store = try ReplicaStore.create(at: folder.appendingPathComponent("r\(index).db").path, team: team, tenant: "lyon",
                                                environment: clock.environment(offset: offset))
            peers.append(Peer(store: store, token: try admin.createToken(tenant: "lyon", team: team, role: role), team: team, role: role))
        }
        try admin.close()
    }

    /// Random operations under faults, then healing. In half the schedules, 100 days pass
    /// somewhere in the second half and the server purges old deletes.
    func run() throws {
        let steps = Int.random(in: 20...45, using: &random)
        let purgeAt = Bool.random(using: &random) ? Int.random(in: steps / 2..<steps, using: &random) : -1
        for index in 0..<steps {
            clock.advance(by: UInt64.random(in: 0...3_000, using: &random))
            if index == purgeAt { try purgeOldDeletes() }
            try step()
        }
        faulty = false
        for peer in peers { peer.partitioned = false }
        for peer in peers { try sync(peer, mustSucceed: true) }
        // What no token of its writer could apply waits on its replicas: the city brings it in,
        // the admin's replica importing every replica's file.
        let admin = peers[0]
        for (index, peer) in peers.enumerated().dropFirst() {
            let file = folder.appendingPathComponent("heal\(index).changeset").path
            _ = try peer.store.exportChangeSet(all: true, path: file)
            _ = try admin.store.importChangeSet(path: file)
        }
        for _ in 0..<2 {
            for peer in [admin] + peers { try sync(peer, mustSucceed: true) }
        }
    }

    private func step() throws {
        let peer = peers[Int.random(in: 0..<peers.count, using: &random)]
        switch Int.random(in: 0..<24, using: &random) {
        case 0...3:
            try add(on: peer)
        case 4...7:
            try edit(on: peer)
        case 8...9:
            // A record this replica (or, half the time, the admin's) holds; it may be another
            // team's, or the token a field one: then the delete waits.
            let deleter = Bool.random(using: &random) ? peers[0] : peer
            let held = try deleter.store.records(in: .offer) + deleter.store.records(in: .request)
            if let record = held.randomElement(using: &random) { try deleter.store.delete(record.id) }
        case 10...12:
            try sync(peer, mustSucceed: false)
        case 13:
            let file = folder.appendingPathComponent("f\(files.count).changeset").path
            _ = try peer.store.exportChangeSet(all: Bool.random(using: &random), path: file)
            files.append(file)
        case 14...15:
            try importFile(on: peer)
        case 16:
            peer.partitioned.toggle()
            faults.partitions += 1
        case 17:
            // The server restarts: every connection's database handle goes.
            handler = service.makeHandler(openConnections: { 0 })
            faults.serverRestarts += 1
        case 18:
            try editCategory(on: peer)
        case 19:
            try backupOrRestore()
        default:
            // An old push arrives late, after newer ones.
            if let old = oldPushes.randomElement(using: &random) {
                _ = serve(old)
                faults.replays += 1
            }
        }
    }

    /// A text of exactly 4,096 bytes (two-byte letters), or a short one.
    private func text(_ prefix: String) -> String {
        guard Int.random(in: 0..<6, using: &random) == 0 else { return "\(prefix)\(Int.random(in: 0..<1000, using: &random))" }
        return String(repeating: "é", count: FieldKind.maxTextBytes / 2)
    }

    private func add(on peer: Peer) throws {
        let collection: RecordCollection = Bool.random(using: &random) ? .offer : .request
        let fields: [String: FieldValue] = [
            "category": .text((["groceries", "pets", "homework"] + categories).randomElement(using: &random) ?? "other"),
            "title": .text(text("t")), "details": .text(text("d")),
        ]
        guard let id = try? peer.store.add(collection, fields: fields) else { return }   // a category deleted here meanwhile
        known.append(id)
        try remember(fields.keys.sorted(), of: id, on: peer)
    }

    private func edit(on peer: Peer) throws {
        guard let id = known.randomElement(using: &random) else { return }
        let field = ["title", "details", "phone"].randomElement(using: &random) ?? "title"
        let value: FieldValue = Int.random(in: 0..<5, using: &random) == 0 ? .null : .text(text("v"))
        // Refused when the record is unknown or deleted here, or for a title cleared (every offer has one).
        guard (try? peer.store.update(id, fields: [field: value])) != nil else { return }
        try remember([field], of: id, on: peer)
    }

    /// A coordinator or an admin adds a category, or relabels one (the defaults too): only the
    /// admin's token may make it on the server, a coordinator's waits.
    private func editCategory(on peer: Peer) throws {
        guard peer.role != .field else { return }
        if Bool.random(using: &random) {
            let slug = "cat\(Int.random(in: 0..<4, using: &random))"
            guard let id = try? peer.store.add(.category, fields: ["slug": .text(slug), "label": .text(text("l"))]) else { return }
            categories.append(slug)
            try remember(["label", "slug"], of: id, on: peer)
        } else {
            let slug = (Categories.defaults.map(\.slug) + categories).randomElement(using: &random) ?? "other"
            let id = Categories.id(forSlug: slug)
            guard (try? peer.store.update(id, fields: ["label": .text(text("l"))])) != nil else { return }
            try remember(["label"], of: id, on: peer)
        }
    }

    private func importFile(on peer: Peer) throws {
        guard let file = files.randomElement(using: &random) else { return }
        do {
            _ = try peer.store.importChangeSet(path: file)
            faults.files += 1
        } catch StoreError.clockAhead {
            // The laptop back from the drawer refuses files from what is, to it, the future.
            faults.refusedFiles += 1
        }
    }

    /// The first time, backs the server up; the second, restores that backup (the server went
    /// back in time: every replica must notice and send back what it lost).
    private func backupOrRestore() throws {
        if let backup {
            // The server stops: its connections close before the file is replaced.
            handler = ConnectionHandler(vet: { _ in nil }, handle: { _ in preconditionFailure("no request while the database is replaced") })
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: serverPath + suffix) }
            try FileManager.default.copyItem(atPath: backup, toPath: serverPath)
            handler = service.makeHandler(openConnections: { 0 })
            self.backup = nil
            faults.restores += 1
        } else if faults.restores == 0 {
            let path = folder.appendingPathComponent("backup.db").path
            let store = try ServerStore(path: serverPath, environment: clock.environment)
            try store.backup(to: path)
            try store.close()
            backup = path
        }
    }

    /// 100 days pass and the server purges the deletes it received over 90 days ago. Files written before are not imported any more (SERVER.md: a file older than the
    /// retention could bring back a record whose delete is forgotten).
    private func purgeOldDeletes() throws {
        clock.advance(by: 100 * Self.day)
        let store = try ServerStore(path: serverPath, environment: clock.environment)
        faults.purges += try store.compact(retention: SyncDefaults.tombstoneRetention).purged
        try store.close()
        files = []
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
            let session = SyncSession(store: peer.store, token: peer.token, limits: limits, environment: clock.environment)
            try session.run(over: network)
            if !session.summary.waiting.isEmpty { faults.deferred += 1 }
            if session.summary.resync != nil { faults.resyncs += 1 }
            if session.summary.restarted { faults.restarts += 1 }
            // A write whose record waits for another token is not on the server yet.
            var waiting: [Write] = []
            for write in peer.unacknowledged {
                if try peer.store.isWaiting(write.id) { waiting.append(write) } else { acknowledged.append(write) }
            }
            peer.unacknowledged = waiting
        } catch {
            if mustSucceed { throw Failure(description: "a sync failed after healing: \(error)") }
        }
    }

    /// The server's answer to `request`, sent (the handler's `afterSend` runs) whatever the
    /// network then does with it.
    func serve(_ request: HTTPRequest) -> HTTPResponse {
        let handled = handler.handle(request)
        handled.afterSend?()
        return handled.response
    }

    /// Every replica and a fresh clone hold the same state, every replica's kept figures are right,
    /// and no acknowledged write is lost.
    func check() throws {
        let clone = try ReplicaStore.create(at: folder.appendingPathComponent("clone.db").path, team: "nord", environment: clock.environment)
        let token = peers[0].token
        try SyncSession(store: clone, token: token, environment: clock.environment)
            .run(over: Network(simulation: self, peer: Peer(store: clone, token: token, team: "nord", role: .admin)))
        let expected = try clone.digest()
        for (index, peer) in peers.enumerated() where try peer.store.digest() != expected {
            let mine = Set(try peer.store.canonicalState()), theirs = Set(try clone.canonicalState())
            let difference = mine.symmetricDifference(theirs).sorted().map { (mine.contains($0) ? "replica: " : "clone:   ") + $0.prefix(300) }
            throw Failure(description: "replica \(index) (\(peer.team), \(peer.role.rawValue)) differs from a fresh clone:\n"
                + difference.joined(separator: "\n"))
        }
        // The figures the writes keep (digest, pending count) equal counting afresh, on every
        // replica whatever happened to it (restores, re-syncs, purges, deferred changes).
        for (index, peer) in peers.enumerated() {
            guard try peer.store.verifyPending() else {
                throw Failure(description: "replica \(index) (\(peer.team), \(peer.role.rawValue)) kept a wrong pending count")
            }
            guard try peer.store.verifyDigest().wasRight else {
                throw Failure(description: "replica \(index) (\(peer.team), \(peer.role.rawValue)) kept a wrong digest")
            }
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
