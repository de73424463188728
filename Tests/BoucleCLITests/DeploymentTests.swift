import Foundation
import XCTest

/// The README's deployment, checked as written: the systemd unit passes `systemd-analyze verify`
/// (its `ExecStart` pointed at the server binary just built). The nginx block runs in `TLSTests`.
final class DeploymentTests: CLITestCase {
    func testTheREADMEsSystemdUnitVerifies() throws {
        guard let analyze = CLI.onPath("systemd-analyze") else { throw XCTSkip("systemd-analyze is not installed (.ci/run installs it)") }
        let readme = ServerHarness.fixtures.deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "```ini\n"), "README.md has no ```ini block")
        let end = try XCTUnwrap(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let unit = String(text[start.upperBound..<end.lowerBound])
        XCTAssertTrue(unit.contains("DynamicUser=yes") && unit.contains("StateDirectory=boucle"), unit)
        let file = path("boucle-server.service")
        try Data(unit.replacingOccurrences(of: "/usr/local/bin/boucle-server", with: try ServerHarness.serverBinary().path).utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = try CLI.runProgram([analyze, "verify", file], environment: ProcessInfo.processInfo.environment, in: folder)
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertFalse(result.err.contains("boucle-server.service"), "systemd-analyze has remarks on the unit: \(result.err)")
    }
}
