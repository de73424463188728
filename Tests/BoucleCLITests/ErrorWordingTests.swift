import Foundation
import XCTest

/// Every error says what happened and what to do, in words: no SQL, no SQLite error numbers, no
/// advice that cannot help. Each case is a slip a volunteer makes in the first hour.
final class ErrorWordingTests: ServerTestCase {
    /// Runs `boucle` as an unprivileged user when the tests run as root (root writes read-only
    /// files), so that permissions mean what they mean for a volunteer.
    private var unprivileged: [String] {
        get throws {
            guard getuid() == 0 else { return [] }
            guard let setpriv = CLI.onPath("setpriv") else { throw XCTSkip("running as root without setpriv") }
            return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
    }

    private func assertNoInternals(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for inner in ["SQLite error", "INSERT", "SELECT", "unable to open database file"] {
            XCTAssertFalse(text.contains(inner), "\(inner) in: \(text)", file: file, line: line)
        }
    }

    /// A read-only replica file, or a replica in a read-only folder (a USB key mounted
    /// read-only), is named as such, for a write and for a read.
    func testAReadOnlyReplicaOrFolderSaysSo() throws {
        let launcher = try unprivileged
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        XCTAssertEqual(chmod(nord.folder.path, 0o777), 0)
        XCTAssertEqual(chmod(nord.path, 0o444), 0)
        for args in [["offer", "add", "--category", "groceries", "--title", "Courses"], ["list", "offer"]] {
            let result = try nord.run(args, launcher: launcher)
            XCTAssertEqual(result.status, 1, result.err)
            XCTAssertTrue(result.err.contains("\(nord.path) cannot be written: the file is read-only for this user"), result.err)
            assertNoInternals(result.err)
        }
        XCTAssertEqual(chmod(nord.path, 0o666), 0)
        XCTAssertEqual(chmod(nord.folder.path, 0o555), 0)
        defer { chmod(nord.folder.path, 0o755) }
        let result = try nord.run(["offer", "add", "--category", "groceries", "--title", "Courses"], launcher: launcher)
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertTrue(result.err.contains("cannot be written: its folder \(nord.folder.path) is read-only"), result.err)
        assertNoInternals(result.err)
    }

    /// A missing folder and a folder given for a file, for `boucle` (a replica, a spreadsheet)
    /// and for `boucle-server --db`.
    func testAMissingFolderOrAFolderForAFileSaysWhatToGive() throws {
        let missing = try boucle("init", "--team", "nord", replica: path("round/nord.db"))
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("the folder \(path("round")) does not exist: create it (mkdir -p \(path("round")))"), missing.err)
        try FileManager.default.createDirectory(atPath: path("usb"), withIntermediateDirectories: true)
        for args in [["list", "offer"], ["init", "--team", "nord"]] {
            let result = try CLI.run(args + ["--replica", path("usb")], in: folder)
            XCTAssertEqual(result.status, 1, result.err)
            XCTAssertTrue(result.err.contains("\(path("usb")) is a folder, not a database file: give a file's path, e.g. \(path("usb"))/boucle.db"), result.err)
            assertNoInternals(result.err)
        }
        for (db, expected) in [(path("usb"), "is a folder, not a database file"), (path("nowhere/server.db"), "the folder \(path("nowhere")) does not exist")] {
            let result = try adminRun(["tenant", "create", "lyon"], db: db)
            XCTAssertEqual(result.status, 1, result.err)
            XCTAssertTrue(result.err.contains(expected), result.err)
            assertNoInternals(result.err)
        }
        // A folder given for the spreadsheet to import.
        XCTAssertEqual(try boucle("init", "--team", "nord", replica: path("csv.db")).status, 0)
        let spreadsheet = try boucle("import-csv", "offer", path("usb"), replica: path("csv.db"))
        XCTAssertEqual(spreadsheet.status, 1, spreadsheet.err)
        XCTAssertTrue(spreadsheet.err.contains("\(path("usb")) is a folder, not a CSV file: give the file's path"), spreadsheet.err)
    }

    /// A read-only server database says so too.
    func testAReadOnlyServerDatabaseSaysSo() throws {
        let launcher = try unprivileged
        try admin("tenant", "create", "lyon")
        XCTAssertEqual(chmod(serverDB, 0o444), 0)
        XCTAssertEqual(chmod(folder.path, 0o777), 0)
        let result = try CLI.runProgram(launcher + [try ServerHarness.serverBinary().path, "tenant", "create", "paris", "--db", serverDB],
                                        environment: ProcessInfo.processInfo.environment, in: folder)
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertTrue(result.err.contains("cannot be written: the file is read-only"), result.err)
        assertNoInternals(result.err)
    }

    /// An unknown category or status in `list` is an error listing the known ones, not an
    /// empty list.
    func testUnknownFiltersListTheKnownValues() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        let category = try nord.run("list", "offer", "--category", "courses")
        XCTAssertEqual(category.status, 2, category.err)
        XCTAssertTrue(category.err.contains("unknown category \"courses\": known categories are conversation, crisis-staff, groceries"), category.err)
        let status = try nord.run("list", "offer", "--status", "ouvert")
        XCTAssertEqual(status.status, 2, status.err)
        XCTAssertTrue(status.err.contains("unknown status \"ouvert\" for offer: use one of open, paused, closed"), status.err)
        XCTAssertEqual(try nord.run("list", "category", "--status", "open").status, 2)
    }

    /// `--near LON,LAT` (swapped) warns when records lie near the swapped point and none near
    /// the one given; the right order does not warn.
    func testSwappedCoordinatesWarn() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer("--address", "12 rue Mercière, 69002 Lyon", "--lat", "45.7622", "--lon", "4.8320")
        let swapped = try nord.run("list", "offer", "--near", "4.8320,45.7622", "--within", "500")
        XCTAssertEqual(swapped.status, 0, swapped.err)
        XCTAssertTrue(swapped.err.contains("--near takes the latitude first"), swapped.err)
        let right = try nord.run("list", "offer", "--near", "45.7622,4.8320", "--within", "500")
        XCTAssertEqual(right.err, "")
        XCTAssertTrue(right.out.contains("12 rue Mercière"), right.out)
    }

    /// A `--near` point that cannot be one says which part is wrong: a latitude or longitude out
    /// of range is named, and a French decimal comma gets the dot it needs.
    func testANearPointOutOfRangeOrWithDecimalCommasSaysWhatIsWrong() throws {
        let nord = try makeReplica("nord", team: "nord")
        let cases = [
            ("91,4.8", "boucle: error: --near: the latitude must be between -90 and 90, e.g. 45.7676,4.8344"),
            ("45.7,200", "boucle: error: --near: the longitude must be between -180 and 180, e.g. 45.7676,4.8344"),
            ("45,7676;4,8344", "boucle: error: --near takes LAT,LON with decimal points, e.g. 45.7676,4.8344"),
            ("45,7676,4,8344", "boucle: error: --near takes LAT,LON with decimal points, e.g. 45.7676,4.8344"),
            ("Lyon", "boucle: error: --near takes LAT,LON with decimal points, e.g. 45.7676,4.8344"),
        ]
        for (near, message) in cases {
            let result = try nord.run("list", "offer", "--near", near, "--within", "500")
            XCTAssertEqual(result.status, 2, near)
            XCTAssertEqual(result.err, message + "\n", near)
        }
    }

    /// A `--ca-file` that cannot be a certificate (missing, a folder, a device, far too large)
    /// says so and what to give, in words, and creates no replica.
    func testACAFileThatCannotBeACertificateSaysWhatToGive() throws {
        let large = path("large.pem")
        try Data(repeating: 0x41, count: (1 << 20) + 1).write(to: URL(fileURLWithPath: large))
        let advice = "give the certificate (PEM) of the authority that signed the server's, with --ca-file"
        let cases = [
            (path("missing.pem"), "boucle: error: cannot read \(path("missing.pem")): no such file or no permission: \(advice)"),
            (folder.path, "boucle: error: \(folder.path) is a folder: \(advice)"),
            ("/dev/zero", "boucle: error: /dev/zero is larger than 1 MiB, which no certificate is: \(advice)"),
            (large, "boucle: error: \(large) is larger than 1 MiB, which no certificate is: \(advice)"),
        ]
        for (index, (file, message)) in cases.enumerated() {
            let replica = path("ca\(index).db")
            let result = try CLI.run(["--replica", replica, "init", "--server", "https://example.invalid", "--ca-file", file, "--team", "nord"])
            XCTAssertEqual(result.status, 1, file)
            XCTAssertEqual(result.err, message + "\n", file)
            XCTAssertFalse(FileManager.default.fileExists(atPath: replica), "no replica is created")
        }
    }

    /// An id prefix shorter than the minimum says the minimum; the wrong collection takes its
    /// article ("an offer").
    func testShortPrefixesAndArticles() throws {
        let nord = try makeReplica("nord", team: "nord")
        let offer = try nord.addOffer()
        let short = try nord.run("show", String(offer.prefix(3)))
        XCTAssertEqual(short.status, 1)
        XCTAssertTrue(short.err.contains("is too short to name a record: give at least 4 characters of its id"), short.err)
        let match = try nord.run("match", offer)
        XCTAssertTrue(match.err.contains("is an offer, not a request"), match.err)
    }

    /// `status` tells the teams' records from the nine default categories.
    func testStatusCountsTheDefaultCategoriesApart() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        XCTAssertTrue(try nord.ok("status").contains("records:    1 made by the teams, and the 9 default categories"))
        let status = try nord.status()
        XCTAssertEqual(status["records"] as? Int, 10)
        XCTAssertEqual(status["default_categories"] as? Int, 9)
    }

    /// A server URL that cannot be used is refused before anything is saved or pushed, without
    /// "nothing is lost … pushed" (nothing was tried) or retry advice.
    func testAnUnusableServerURLIsNeitherSavedNorRetried() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        let sync = try nord.run("sync", "--server", "ftp://boucle.example.org", "--token", "boucle_x")
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("is not a server URL of the form https://HOST[:PORT] or http://HOST:PORT: give a working one with --server URL"), sync.err)
        XCTAssertFalse(sync.err.contains("Nothing is lost") || sync.err.contains("again"), sync.err)
        XCTAssertNil(try nord.status()["server"] as? String)
    }

    /// A sync refused for a token of another tenant speaks of the token and the server, not
    /// of a change-set; an answer that breaks the protocol does not advise syncing again.
    func testSyncRefusalsSayWhatWillHelp() throws {
        try admin("tenant", "create", "lyon")
        try admin("tenant", "create", "paris")
        let server = try startServer()
        let nord = try makeReplica("nord", team: "nord", tenant: "lyon")
        try nord.addOffer()
        let wrong = try nord.run("sync", "--server", server.url, "--token", try token(tenant: "paris", team: "nord", role: "field"))
        XCTAssertEqual(wrong.status, 1, wrong.err)
        XCTAssertTrue(wrong.err.contains("the token is of another tenant than this replica"), wrong.err)
        XCTAssertFalse(wrong.err.contains("change-set"), wrong.err)
        XCTAssertFalse(wrong.err.contains("run `boucle sync` again"), wrong.err)

        let broken = try HostileServer { _, connection in
            (try? connection.sendAll(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".utf8))) != nil
        }
        let sud = try makeReplica("sud", team: "sud", tenant: "lyon")
        try sud.addOffer()
        let invalid = try sud.run("sync", "--server", broken.url, "--token", "boucle_x")
        XCTAssertEqual(invalid.status, 1, invalid.err)
        XCTAssertTrue(invalid.err.contains("show this message to the city's administrator"), invalid.err)
        XCTAssertFalse(invalid.err.contains("run `boucle sync` again"), invalid.err)
    }
}
