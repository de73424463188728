import BoucleCore
import BoucleStore
import Foundation
import XCTest

/// A fresh temporary folder per test, on tmpfs when there is one (fsync is free there).
class StoreTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        folder = base.appendingPathComponent("boucle-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func makeReplica(_ name: String, team: String = "nord", tenant: String = "lyon", clock: ManualClock) throws -> ReplicaStore {
        try ReplicaStore.create(at: path(name), team: team, tenant: tenant, environment: clock.environment)
    }

    /// Exports `from` (everything with `all`) to a file and imports it into `into`.
    @discardableResult
    func exchange(_ from: ReplicaStore, _ into: ReplicaStore, all: Bool = false, file: String? = nil) throws -> ImportSummary {
        let name = path(file ?? "exchange-\(UUID().uuidString).changeset")
        _ = try from.exportChangeSet(all: all, path: name)
        return try into.importChangeSet(path: name)
    }

    /// Every byte of the replica's files (the database, its WAL and shared memory).
    func replicaBytes(_ name: String) throws -> Data {
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path(name) + suffix) {
            bytes += try Data(contentsOf: URL(fileURLWithPath: path(name) + suffix))
        }
        return bytes
    }
}
