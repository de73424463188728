import Foundation
import XCTest

/// Exit status 0 on success, 1 on failure, 2 on bad usage; errors on stderr only, as
/// `boucle: error: …`.
final class ExitStatusTests: CLITestCase {
    func testSuccessExitsZeroWithNothingOnStderr() throws {
        let replica = path("nord.db")
        let created = try boucle("init", "--team", "nord", "--tenant", "lyon", replica: replica)
        XCTAssertEqual(created.status, 0)
        XCTAssertEqual(created.err, "")
        XCTAssertTrue(created.out.hasPrefix("created replica \(replica) (replica "), created.out)
        XCTAssertTrue(created.out.hasSuffix(", team nord)\n"), created.out)

        let added = try boucle("offer", "add", "--category", "groceries", "--title", "Courses", replica: replica)
        XCTAssertEqual(added.status, 0)
        XCTAssertEqual(added.err, "")
        let id = added.out.trimmingCharacters(in: .newlines)
        XCTAssertNotNil(UUID(uuidString: id), "prints the new id alone: \(added.out)")
        XCTAssertEqual(id, id.lowercased())

        for args in [["show", id], ["list", "offer"], ["status"], ["categories"], ["conflicts"], ["set", id, "status=paused"]] {
            let result = try CLI.run(args + ["--replica", replica], in: folder)
            XCTAssertEqual(result.status, 0, "\(args): \(result.err)")
            XCTAssertEqual(result.err, "", "\(args)")
            XCTAssertFalse(result.out.isEmpty, "\(args)")
        }
        let version = try boucle("--version")
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.out, "boucle 0.1.0\n")
    }

    func testFailureExitsOneWithTheErrorOnStderrOnly() throws {
        let replica = path("nord.db")
        XCTAssertEqual(try boucle("init", "--team", "nord", replica: replica).status, 0)

        let unknownID = "00000000-0000-4000-8000-00000000abcd"
        assertFails(try boucle("show", unknownID, replica: replica),
                    "no record \(unknownID) in this replica (see `boucle list COLLECTION`)")
        assertFails(try boucle("show", "abcd", replica: replica),
                    "no record abcd in this replica (see `boucle list COLLECTION`)")
        let missing = path("nowhere.changeset")
        assertFails(try boucle("import", missing, replica: replica),
                    "cannot read \(missing): no such file, a folder, or no permission")
        assertFails(try boucle("init", "--team", "nord", replica: replica),
                    "\(replica) already exists: a replica is created once; use another --replica path to start afresh")
        assertFails(try boucle("offer", "add", "--category", "gardening", "--title", "Potager", replica: replica),
                    "unknown category \"gardening\": known categories are conversation, crisis-staff, groceries, homework, "
                        + "it-paperwork, masks, other, pets, printing (add one with `boucle category add`)")
    }

    func testOpeningAReplicaThatDoesNotExistFailsAndSaysToRunInit() throws {
        let replica = path("never-created.db")
        for args in [["status"], ["list", "offer"], ["show", "abcd"], ["export", "-o", path("out.changeset")]] {
            assertFails(try CLI.run(args + ["--replica", replica], in: folder),
                        "no replica at \(replica): create one with `boucle init` (or pass --replica PATH)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: replica), "a failed open creates nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.changeset")))
    }

    func testBadUsageExitsTwo() throws {
        let replica = path("nord.db")
        XCTAssertEqual(try boucle("init", "--team", "nord", replica: replica).status, 0)
        let cases: [([String], String)] = [
            (["frobnicate"], "unknown command \"frobnicate\": see `boucle --help`"),
            (["offer", "remove"], "unknown command \"offer remove\": see `boucle --help`"),
            (["status", "--verbose", "--replica", replica], "unknown option --verbose for `boucle status` (see --help)"),
            (["list", "offer", "--categroy", "pets", "--replica", replica],
             "unknown option --categroy for `boucle list`: did you mean --category?"),
            (["export", "--replica", replica], "-o is required: usage: boucle export -o FILE [options]"),
            (["offer", "add", "--category", "groceries", "--replica", replica],
             "--title is required: usage: boucle offer add --category C --title T [options]"),
            (["round", "add", "--kind", "maraude", "--replica", replica], "--date is required: usage: boucle round add --kind K --date YYYY-MM-DD [options]"),
            (["signup", "add", "--volunteer", "Samira", "--replica", replica],
             "--round is required: usage: boucle signup add --round ID --volunteer NAME [options]"),
            (["list", "--replica", replica], "missing COLLECTION: usage: boucle list COLLECTION [options]"),
            (["list", "pizza", "--replica", replica],
             "unknown collection \"pizza\": use one of offer, request, match, round, signup, category"),
            (["show", "--replica", replica], "missing ID: usage: boucle show ID [options]"),
            (["import", "a.changeset", "b.changeset", "--replica", replica],
             "unexpected argument \"b.changeset\": usage: boucle import FILE [options]"),
            (["status", "--replica"], "--replica needs a value: --replica PATH"),
            (["status", "--json=yes", "--replica", replica], "--json takes no value"),
            (["offer", "add", "--category", "groceries", "--title", "T", "--lat", "45.7", "--replica", replica],
             "--lat and --lon go together: give both or neither"),
        ]
        for (args, message) in cases {
            assertFails(try CLI.run(args, in: folder), message, status: 2)
        }
        let offers = try boucle("list", "offer", "--json", replica: replica)
        XCTAssertEqual(offers.status, 0)
        XCTAssertEqual(try JSON.objects(try JSON.parse(offers.out)).count, 0, "bad usage adds nothing")
    }

    /// Asserts `result` is a failure with exactly `boucle: error: message\n` on stderr.
    private func assertFails(_ result: @autoclosure () throws -> CLI.Output, _ message: String, status: Int32 = 1,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            let result = try result()
            XCTAssertEqual(result.status, status, result.err, file: file, line: line)
            XCTAssertEqual(result.out, "", "nothing on stdout", file: file, line: line)
            XCTAssertEqual(result.err, "boucle: error: \(message)\n", file: file, line: line)
        } catch {
            XCTFail("could not run boucle: \(error)", file: file, line: line)
        }
    }
}
