import Foundation
import XCTest

/// Which file a command works on: `--replica PATH`, else `$BOUCLE_REPLICA`, else `./boucle.db`.
final class ReplicaLocationTests: CLITestCase {
    func testBoucleReplicaEnvironmentVariableIsUsedWhenReplicaIsAbsent() throws {
        let fromEnvironment = path("from-env.db")
        let env = ["BOUCLE_REPLICA": fromEnvironment]
        let created = try boucle("init", "--team", "nord", env: env)
        XCTAssertEqual(created.status, 0, created.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromEnvironment))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("boucle.db")))

        let added = try boucle("offer", "add", "--category", "pets", "--title", "Promenade", env: env)
        XCTAssertEqual(added.status, 0, added.err)
        let status = try JSON.object(try JSON.parse(try boucle("status", "--json", env: env).out))
        XCTAssertEqual(status["replica"] as? String, fromEnvironment)
        XCTAssertEqual(status["pending"] as? Int, 1)

        // --replica wins over the environment.
        let explicit = path("explicit.db")
        XCTAssertEqual(try boucle("init", "--team", "sud", replica: explicit, env: env).status, 0)
        let other = try JSON.object(try JSON.parse(try boucle("status", "--json", replica: explicit, env: env).out))
        XCTAssertEqual(other["replica"] as? String, explicit)
        XCTAssertEqual(other["team"] as? String, "sud")
    }

    func testDotSlashBoucleDbIsTheReplicaWhenNeitherReplicaNorTheVariableIsSet() throws {
        let created = try boucle("init", "--team", "nord")
        XCTAssertEqual(created.status, 0, created.err)
        XCTAssertEqual(created.out.components(separatedBy: " (replica ").first, "created replica boucle.db")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("boucle.db")))

        let status = try JSON.object(try JSON.parse(try boucle("status", "--json").out))
        XCTAssertEqual(status["replica"] as? String, "boucle.db")
        XCTAssertEqual(status["team"] as? String, "nord")

        // An empty $BOUCLE_REPLICA counts as unset.
        let empty = try JSON.object(try JSON.parse(try boucle("status", "--json", env: ["BOUCLE_REPLICA": ""]).out))
        XCTAssertEqual(empty["replica_id"] as? String, status["replica_id"] as? String)
    }
}
