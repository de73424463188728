import BoucleCore
import BoucleStore
import Foundation
import XCTest

/// The property of Protocol/SPEC.md §3: replicas that have seen the same changes, in any order,
/// any number of times, by any route, hold byte-for-byte the same state.
///
/// Each seed runs 3 to 5 replicas that make random adds, edits and deletes while a wall clock
/// jumps forwards and backwards, and exchange incremental and full change-set files in random
/// order, with repeats and stale files. At the end every replica imports everyone's full state:
/// all digests must be equal. `BOUCLE_SEED=N` replays one seed; `BOUCLE_SEEDS=N` runs N seeds.
final class ConvergenceTests: StoreTestCase {
    func testRandomReplicasConvergeWhateverTheOrderOfExchanges() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64] = environment["BOUCLE_SEED"].flatMap(UInt64.init).map { [$0] }
            ?? Array(1...(environment["BOUCLE_SEEDS"].flatMap(UInt64.init) ?? 300))
        for seed in seeds {
            try runScenario(seed: seed)
            if (testRun?.totalFailureCount ?? 0) > 0 {
                print("convergence failed with seed \(seed): replay with BOUCLE_SEED=\(seed)")
                return
            }
        }
        print("convergence: \(seeds.count) seeds passed (first \(seeds.first ?? 0), last \(seeds.last ?? 0))")
    }

    func testRegressionSeeds() throws {
        // Seeds that once failed stay here for good.
        for seed: UInt64 in [] {
            try runScenario(seed: seed)
        }
    }

    private func runScenario(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let clock = ManualClock(milliseconds: 1_796_000_000_000, seed: seed)
        let scenario = folder.appendingPathComponent("seed-\(seed)")
        try FileManager.default.createDirectory(at: scenario, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scenario) }
        let count = Int.random(in: 3...5, using: &random)
        let replicas = try (0..<count).map { index in
            try ReplicaStore.create(at: scenario.appendingPathComponent("r\(index).db").path, team: ["nord", "sud", "est"][index % 3],
                                    tenant: "lyon", environment: clock.environment)
        }
        var files: [String] = []
        // A few records every replica knows from the start, so that edits collide often.
        var known = try (0..<3).map { index in
            try replicas[0].add(.offer, fields: ["category": .text("pets"), "title": .text("shared \(index)")])
        }
        let start = scenario.appendingPathComponent("start.changeset").path
        _ = try replicas[0].exportChangeSet(all: true, path: start)
        for replica in replicas.dropFirst() { _ = try replica.importChangeSet(path: start) }
        let titles = ["Courses", "Appel", "Devoirs", "Promenade", "Masques"]
        // The wall clock goes back, by up to 50 min from the latest time it showed: stamps stay
        // within the hour a replica accepts from a file (SyncDefaults.maxImportAhead).
        var latest = clock.now
        for step in 0..<Int.random(in: 20...60, using: &random) {
            if Int.random(in: 0..<10, using: &random) == 0 {
                clock.set(latest - UInt64.random(in: 0...3_000_000, using: &random))
            } else {
                clock.advance(by: UInt64.random(in: 0...2, using: &random))   // often the same millisecond: ties
                latest = max(latest, clock.now)
            }
            let replica = replicas[Int.random(in: 0..<count, using: &random)]
            switch Int.random(in: 0..<10, using: &random) {
            case 0...1:
                let collection: RecordCollection = Bool.random(using: &random) ? .offer : .request
                known.append(try replica.add(collection, fields: [
                    "category": .text("groceries"), "title": .text(titles.randomElement(using: &random) ?? ""),
                    "address": .text("\(Int.random(in: 1...99, using: &random)) rue Mercière"),
                ]))
            case 2...5:
                let id = known[Int.random(in: 0..<min(known.count, Bool.random(using: &random) ? 3 : known.count), using: &random)]
                let fields: [String: FieldValue] = Bool.random(using: &random)
                    ? ["title": .text(titles.randomElement(using: &random) ?? "")]
                    : ["details": Bool.random(using: &random) ? .null : .text("step \(step)"), "lat": .number(45 + Double(step) / 100), "lon": .number(4.8)]
                _ = try? replica.update(id, fields: fields)   // unknown or deleted here: a refused edit is fine
            case 6:
                try? replica.delete(known[Int.random(in: 0..<known.count, using: &random)])
            case 7...8:
                let file = scenario.appendingPathComponent("f\(files.count).changeset").path
                _ = try replica.exportChangeSet(all: Int.random(in: 0..<4, using: &random) == 0, path: file)
                files.append(file)
            default:
                if let file = files.randomElement(using: &random) {
                    _ = try replica.importChangeSet(path: file)
                }
            }
        }
        var finals: [String] = []
        for (index, replica) in replicas.enumerated() {
            let file = scenario.appendingPathComponent("final\(index).changeset").path
            _ = try replica.exportChangeSet(all: true, path: file)
            finals.append(file)
        }
        for replica in replicas {
            for file in finals.shuffled(using: &random) { _ = try replica.importChangeSet(path: file) }
        }
        let digests = try replicas.map { try $0.digest() }
        XCTAssertEqual(Set(digests).count, 1, "seed \(seed): digests differ: \(digests)")
        let states = try replicas.map { try $0.canonicalState() }
        XCTAssertEqual(Set(states.map { $0.joined(separator: "\n") }).count, 1, "seed \(seed): canonical states differ")
    }
}
