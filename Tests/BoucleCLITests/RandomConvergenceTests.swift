import BoucleCore
import Foundation
import XCTest

/// A property test through the real CLI: three replicas make random adds, edits and deletes,
/// exchange files between random pairs (old files again, too), then everyone exchanges with
/// everyone: all three must hold the same state.
///
/// The seed is printed; `BOUCLE_SEED=N swift test --filter RandomConvergenceTests` replays the
/// same script of commands (ids and stamps still come from the binary's own clock and generator).
final class RandomConvergenceTests: CLITestCase {
    private static let operationsPerReplica = 30

    func testReplicasThatExchangedEverythingConvergeWhateverTheOrder() throws {
        let seeds: [UInt64]
        if let text = ProcessInfo.processInfo.environment["BOUCLE_SEED"] {
            seeds = [try XCTUnwrap(UInt64(text), "BOUCLE_SEED must be an unsigned integer")]
        } else {
            // One fixed seed, so every run covers it, and two fresh ones, so runs differ.
            var system = SystemRandomNumberGenerator()
            seeds = [20_261_129, system.next() % 1_000_000_000, system.next() % 1_000_000_000]
        }
        for seed in seeds {
            print("seed: \(seed)")
            try runScript(seed: seed)
        }
    }

    /// What the test knows of one replica: the records it has seen, in the order it learnt of
    /// them (not by id: ids are random, and the script must not depend on them), and which are
    /// deleted.
    private struct Peer {
        let replica: Replica
        var known: [String: String] = [:]
        var order: [String] = []
        var deleted: Set<String> = []
        var operations = 0

        var live: [String] { order.filter { !deleted.contains($0) } }

        mutating func add(_ id: String, _ collection: String) {
            if known.updateValue(collection, forKey: id) == nil { order.append(id) }
        }

        /// Learns the records named in a change-set file it has imported.
        mutating func learn(_ changeSet: ChangeSetFile) {
            for (id, collection) in changeSet.records { add(id, collection) }
            deleted.formUnion(changeSet.deletes)
        }
    }

    /// A change-set file written during the script, and what it names.
    private struct ChangeSetFile {
        let path: String
        let origin: Int
        /// The records named, in file order.
        var records: [(String, String)] = []
        var deletes: Set<String> = []

        init(path: String, origin: Int) throws {
            self.path = path
            self.origin = origin
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                guard let change = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = change["id"] as? String, let collection = change["collection"] as? String
                else { continue }
                records.append((id, collection))
                if change["delete"] as? Bool == true { deletes.insert(id) }
            }
        }
    }

    private func runScript(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let root = folder.appendingPathComponent("seed-\(seed)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var peers: [Peer] = []
        for (index, team) in ["nord", "sud", "est"].enumerated() {
            let replicaFolder = root.appendingPathComponent(team, isDirectory: true)
            try FileManager.default.createDirectory(at: replicaFolder, withIntermediateDirectories: true)
            let replica = Replica(name: "\(team) (seed \(seed))", folder: replicaFolder)
            // The third replica has no tenant yet: it learns "lyon" from its first import.
            try replica.ok(["init", "--team", team] + (index < 2 ? ["--tenant", "lyon"] : []))
            peers.append(Peer(replica: replica))
        }
        var files: [ChangeSetFile] = []

        func exchange(from source: Int, to target: Int, all: Bool) throws {
            let file = root.appendingPathComponent("\(files.count)-from-\(source).changeset").path
            try peers[source].replica.export(to: file, all: all)
            let changeSet = try ChangeSetFile(path: file, origin: source)
            files.append(changeSet)
            try peers[target].replica.importFile(file)
            peers[target].learn(changeSet)
        }

        while peers.contains(where: { $0.operations < Self.operationsPerReplica }) {
            if random.chance(0.7) {
                let candidates = peers.indices.filter { peers[$0].operations < Self.operationsPerReplica }
                let index = random.pick(candidates)
                try operate(&peers[index], &random)
                peers[index].operations += 1
            } else {
                let source = random.below(peers.count)
                let target = (source + 1 + random.below(peers.count - 1)) % peers.count
                try exchange(from: source, to: target, all: random.chance(0.2))
                if random.chance(0.3) {
                    // An old file again, possibly to a replica that has it already, or to its writer.
                    let old = random.pick(files)
                    let target = random.below(peers.count)
                    try peers[target].replica.importFile(old.path)
                    peers[target].learn(old)
                }
            }
        }

        // Everyone sends everything to everyone.
        var finals: [ChangeSetFile] = []
        for index in peers.indices {
            let file = root.appendingPathComponent("final-from-\(index).changeset").path
            try peers[index].replica.export(to: file, all: true)
            finals.append(try ChangeSetFile(path: file, origin: index))
        }
        for index in peers.indices {
            for changeSet in finals where changeSet.origin != index {
                try peers[index].replica.importFile(changeSet.path)
            }
        }

        let digests = try peers.map { try $0.replica.digest() }
        XCTAssertEqual(Set(digests).count, 1, "seed \(seed): digests differ: \(digests)")
        for collection in ["offer", "request"] {
            let listings = try peers.map { try $0.replica.ok("list", collection, "--json") }
            XCTAssertEqual(Set(listings).count, 1, "seed \(seed): `list \(collection)` differs")
            let ids = Set(try JSON.objects(try JSON.parse(listings[0])).compactMap { $0["id"] as? String })
            let deletedAnywhere = peers.reduce(into: Set<String>()) { $0.formUnion($1.deleted) }
            XCTAssertTrue(ids.isDisjoint(with: deletedAnywhere), "seed \(seed): a deleted record came back")
        }
        let live = try peers[0].replica.status()["records"] as? Int ?? 0
        let conflicts = try peers.map { try $0.replica.status()["conflicts"] as? Int ?? 0 }
        print("seed: \(seed): \(files.count) files exchanged, \(live - 9) live records, conflicts logged \(conflicts)")
        let tenant = try peers[2].replica.status()["tenant"] as? String
        XCTAssertEqual(tenant, "lyon", "seed \(seed): the replica without a tenant learnt it by import")
    }

    // MARK: Random operations

    private static let categories = [
        "groceries", "homework", "conversation", "crisis-staff", "pets", "it-paperwork", "masks", "printing", "other",
    ]
    private static let words = ["Courses", "chien", "devoirs", "appel", "masques", "formulaire", "été", "Croix-Rousse", "café", "Œuvre"]

    private func operate(_ peer: inout Peer, _ random: inout SeededGenerator) throws {
        let live = peer.live
        let roll = random.below(100)
        if live.isEmpty || roll < 35 {
            let collection = roll % 3 == 0 ? "request" : "offer"
            var args = [collection, "add", "--category", random.pick(Self.categories), "--title", text(&random)]
            if random.chance(0.5) { args += ["--address", "\(1 + random.below(90)) rue \(random.pick(Self.words))"] }
            if random.chance(0.3) { args += ["--remote"] }
            if random.chance(0.3) { args += ["--lat", latitude(&random), "--lon", longitude(&random)] }
            if collection == "request", random.chance(0.5) { args += ["--urgency", random.pick(["low", "normal", "high"])] }
            let id = try peer.replica.ok(args)
            peer.add(id, collection)
        } else if roll < 85 {
            let id = random.pick(live)
            let collection = peer.known[id] ?? "offer"
            var assignments: [String: String] = [:]
            for _ in 0...random.below(3) {
                let (field, value) = randomField(collection, &random)
                assignments[field] = value
                // A record has both coordinates or neither.
                if field == "lat" { assignments["lon"] = longitude(&random) }
            }
            // A unique prefix of the id now and then, as people type them.
            let typed = random.chance(0.2) ? String(id.prefix(13)) : id
            try peer.replica.ok(["set", typed] + assignments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        } else {
            let id = random.pick(live)
            try peer.replica.ok("delete", id)
            peer.deleted.insert(id)
        }
    }

    private func randomField(_ collection: String, _ random: inout SeededGenerator) -> (String, String) {
        switch random.below(collection == "request" ? 11 : 9) {
        case 0: return ("title", text(&random))
        case 1: return ("details", random.chance(0.3) ? "" : text(&random))
        case 2: return ("status", random.pick(collection == "request" ? ["open", "matched", "done", "cancelled"] : ["open", "paused", "closed"]))
        case 3: return ("phone", random.chance(0.2) ? "" : "06 00 00 \(10 + random.below(90)) \(10 + random.below(90))")
        case 4: return ("address", "\(1 + random.below(90)) rue \(random.pick(Self.words))")
        case 5: return ("remote", random.chance(0.5) ? "true" : "false")
        case 6: return ("category", random.pick(Self.categories))
        case 7: return ("lat", latitude(&random))
        case 8: return ("contact_name", random.pick(["Samira", "Karim", "Inès", "Jean-Luc", "Zoé"]))
        case 9: return ("urgency", random.pick(["low", "normal", "high"]))
        default: return ("on_behalf_of", random.pick(["ma mère", "mon voisin", "M. Dupont"]))
        }
    }

    private func text(_ random: inout SeededGenerator) -> String {
        (0...random.below(3)).map { _ in random.pick(Self.words) }.joined(separator: " ")
    }

    private func latitude(_ random: inout SeededGenerator) -> String {
        String(format: "%.4f", 45.70 + Double(random.below(1000)) / 10_000)
    }

    private func longitude(_ random: inout SeededGenerator) -> String {
        String(format: "%.4f", 4.80 + Double(random.below(1000)) / 10_000)
    }
}

/// Picks and coin tosses on the shared seeded generator.
extension SeededGenerator {
    /// A number in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func chance(_ probability: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < probability }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
