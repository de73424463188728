import Foundation
import XCTest

/// A replica's clock never goes backwards, even when the wall clock does: run under `faketime`.
final class ClockTests: CLITestCase {
    func testEditMadeAfterTheWallClockWasSetBackStillWins() throws {
        let faketime = try faketimePath()
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let offer = try nord.addOffer()

        // The first edit at a clock two days ahead, the second after the clock was set back a month.
        let now = Date()
        let ahead = now.addingTimeInterval(2 * 86_400)
        let behind = now.addingTimeInterval(-30 * 86_400)
        try nord.ok("set", offer, "title=Stamped two days ahead", launcher: [faketime, Self.fakeTime(ahead)])
        try nord.ok("set", offer, "title=Made later, clock set back", launcher: [faketime, Self.fakeTime(behind)])
        XCTAssertEqual(try JSON.object(try nord.json("show", offer))["title"] as? String, "Made later, clock set back")

        let changeSet = try nord.export(to: path("nord.changeset"))
        // sud's clock is right, two days ahead: the file is not from its future.
        try sud.ok(["import", changeSet], launcher: [faketime, Self.fakeTime(ahead)])
        XCTAssertEqual(try JSON.object(try sud.json("show", offer))["title"] as? String, "Made later, clock set back")
        XCTAssertEqual(try nord.digest(), try sud.digest())

        // The winning stamp is not behind the first edit's wall time: the clock did not go back.
        let lines = try String(contentsOfFile: changeSet, encoding: .utf8).split(separator: "\n")
        let titleChange = try XCTUnwrap(
            try lines.map { try JSON.object(try JSON.parse(String($0))) }
                .first { ($0["set"] as? [String: Any])?["title"] != nil }
        )
        let hlc = try XCTUnwrap((titleChange["hlc"] as? String).flatMap { UInt64($0, radix: 16) })
        let milliseconds = Double(hlc >> 16)
        XCTAssertGreaterThanOrEqual(milliseconds, (ahead.timeIntervalSince1970 - 60) * 1000)
    }

    /// `faketime` on `$PATH`; a failure under CI (which installs it), a skip elsewhere.
    private func faketimePath() throws -> String {
        if let path = CLI.onPath("faketime") { return path }
        let message = "faketime is not on PATH: install it (Debian: apt-get install -y faketime)"
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail(message)
            throw HarnessError(message)
        }
        throw XCTSkip(message)
    }

    /// A time as `faketime` takes it (it reads it with `date -d`): `2026-12-01 12:00:00 UTC`.
    private static func fakeTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date) + " UTC"
    }
}
