import Foundation
import XCTest

/// `--help` on every command exits 0 and prints the text kept in Golden/<command>.txt.
///
/// After an intended change of the help, rewrite the goldens with
/// `UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests` and review the diff.
final class HelpGoldenTests: CLITestCase {
    private static let goldens = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Golden", isDirectory: true)

    /// Golden file name (without `.txt`) and the command's words: `boucle` itself, then every
    /// command `boucle --help` lists, so a new command cannot go without its golden.
    private static var commands: [(String, [String])] {
        get throws {
            let overview = try CLI.run(["--help"]).out
            let listed = overview.components(separatedBy: "\ncommands:\n").last?.components(separatedBy: "\n\n").first ?? ""
            let names = listed.split(separator: "\n").compactMap { line in
                line.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ").first
            }
            return [("boucle", [])] + names.map { ($0.replacingOccurrences(of: " ", with: "-"), $0.split(separator: " ").map(String.init)) }
        }
    }

    func testHelpOfEveryCommandExitsZeroAndMatchesItsGoldenFile() throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        if update {
            try FileManager.default.createDirectory(at: Self.goldens, withIntermediateDirectories: true)
        }
        let commands = try Self.commands
        XCTAssertGreaterThan(commands.count, 20)
        for (name, words) in commands {
            let result = try CLI.run(words + ["--help"], in: folder)
            XCTAssertEqual(result.status, 0, "\(name): \(result.err)")
            XCTAssertEqual(result.err, "", name)
            let golden = Self.goldens.appendingPathComponent("\(name).txt")
            if update {
                try Data(result.out.utf8).write(to: golden)
                continue
            }
            guard let expected = try? String(contentsOf: golden, encoding: .utf8) else {
                XCTFail("\(golden.path) is missing: run with UPDATE_GOLDEN=1 to write it")
                continue
            }
            XCTAssertEqual(result.out, expected, "\(name) --help differs from Golden/\(name).txt (UPDATE_GOLDEN=1 rewrites it)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("boucle.db")), "--help opens no replica")
    }

    /// `-h` is the same as `--help`, and help comes first whatever else is on the line.
    func testShortHelpFlagPrintsTheSameHelp() throws {
        let long = try CLI.run(["offer", "add", "--help"], in: folder)
        let short = try CLI.run(["offer", "add", "--title", "x", "-h"], in: folder)
        XCTAssertEqual(short.status, 0)
        XCTAssertEqual(short.out, long.out)
    }
}
