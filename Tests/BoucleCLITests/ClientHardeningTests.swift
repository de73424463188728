import BoucleCore
import BoucleStore
import BoucleSync
import Foundation
import HTTPCodec
import Networking
import XCTest

/// The client holds against a hostile or broken server and against slips of the hand: a sync
/// that makes no progress stops with a clear error, `-o` never removes what it should not, text
/// from other replicas cannot drive the terminal, and a URL carrying a name and password is
/// refused before it is saved or shown.
final class ClientHardeningTests: CLITestCase {
    // MARK: A server that keeps a sync going

    /// A page that says "more" but repeats its cursor: the sync stops at the second page with a
    /// clear error, instead of asking for the same page forever.
    func testACursorThatDoesNotMoveStopsTheSync() throws {
        let server = try HostileServer { request, connection in
            let page = HostileServer.page(tenant: "lyon", next: 5, more: true)
            return (try? connection.sendAll(request.method == "POST" ? HostileServer.pushAnswer() : page)) != nil
        }
        let nord = try makeReplica("nord", team: "nord")
        let before = try nord.digest()
        let sync = try nord.run("sync", "--server", server.url, "--token", "boucle_x")
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("cursor does not move past 5"), sync.err)
        XCTAssertTrue(sync.err.contains("Nothing is lost"), sync.err)
        XCTAssertLessThanOrEqual(server.requests.count, 3, "the sync kept asking for the same page")
        XCTAssertTrue(server.requests.allSatisfy { $0.headers["User-Agent"]?.hasPrefix("boucle/0.") == true }, "every request names boucle and its version")
        XCTAssertEqual(try nord.digest(), before)
    }

    /// A server that answers `100 Continue` without end: the client gives up after a few
    /// (`HTTPLimits.maxInterimResponses`) instead of reading them forever.
    func testEndlessInterimAnswersStopTheSync() throws {
        let server = try HostileServer { _, connection in
            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            for _ in 0..<10_000 { guard (try? connection.sendAll(interim)) != nil else { return false } }
            return false
        }
        let nord = try makeReplica("nord", team: "nord")
        let sync = try nord.run("sync", "--server", server.url, "--token", "boucle_x")
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("interim"), sync.err)
        XCTAssertLessThanOrEqual(server.requests.count, 2)
    }

    /// A server that sends one byte now and then never lets a read time out: the answer's
    /// deadline covers it whole (`timeout` plus its bytes at the minimum rate).
    func testATrickleOfBytesIsTimedOut() throws {
        let server = try HostileServer { _, connection in
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".utf8) {
                guard (try? connection.sendAll([byte])) != nil else { return false }
                usleep(200_000)
            }
            return false
        }
        let client = try HTTPClient(url: server.url, timeout: 1)
        defer { client.close() }
        let started = Date()
        XCTAssertThrowsError(try client.send(HTTPRequest(method: "GET", target: "/v1/changes"))) { error in
            XCTAssertEqual(error as? HTTPClientError, .timedOut(1))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the trickle held the client")
    }

    /// A server that answers every page promptly but moves almost nothing (a cursor that creeps
    /// by one, a page every 0.3 s): the whole sync stops past its deadline, nothing lost.
    func testASyncThatMovesAlmostNothingStopsAtItsDeadline() throws {
        let server = try HostileServer { request, connection in
            usleep(300_000)
            let after = request.target.components(separatedBy: "after=").dropFirst().first?.prefix { $0.isNumber }
            let next = (after.flatMap { Int64($0) } ?? 0) + 1
            let answer = request.method == "POST" ? HostileServer.pushAnswer() : HostileServer.page(tenant: "lyon", next: next, more: true)
            return (try? connection.sendAll(answer)) != nil
        }
        let store = try ReplicaStore.create(at: path("nord.db"), team: "nord", tenant: "lyon")
        let session = SyncSession(store: store, token: "boucle_x", limits: SyncLimits(patience: 1, minimumRate: 2_048))
        let client = try HTTPClient(url: server.url)
        defer { client.close() }
        XCTAssertThrowsError(try session.run(over: client)) { error in
            guard case SyncFailure.tooSlow(let seconds, let bytes)? = error as? SyncFailure else {
                return XCTFail("\(error)")
            }
            XCTAssertLessThanOrEqual(seconds, 3)
            XCTAssertLessThan(bytes, 10_000)
        }
        XCTAssertLessThan(server.requests.count, 15)
    }

    // MARK: -o writes a regular file, and removes nothing else

    /// `-o` on a folder (a USB key's mount point), a device, or a symlink to either is refused
    /// by every command that writes a file, and everything there is left as it was.
    func testOutputIsRefusedOnAFolderADeviceOrASymlinkToOne() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        let usb = folder.appendingPathComponent("usb", isDirectory: true)
        try FileManager.default.createDirectory(at: usb, withIntermediateDirectories: true)
        try Data("photos".utf8).write(to: usb.appendingPathComponent("holiday.jpg"))
        try FileManager.default.createSymbolicLink(atPath: path("to-usb"), withDestinationPath: usb.path)
        try FileManager.default.createSymbolicLink(atPath: path("to-null"), withDestinationPath: "/dev/null")
        let cases: [(String, String)] = [(usb.path, "is a folder"), (path("to-usb"), "is a folder"),
                                         ("/dev/null", "is a device"), (path("to-null"), "is a device")]
        for (target, why) in cases {
            for command in [["export", "--all"], ["export-csv", "offer"], ["export-geojson"]] {
                let result = try nord.run(command + ["-o", target])
                XCTAssertEqual(result.status, 1, "\(command) -o \(target): \(result.err)")
                XCTAssertTrue(result.err.contains(why), "\(command) -o \(target): \(result.err)")
            }
        }
        XCTAssertEqual(try String(contentsOf: usb.appendingPathComponent("holiday.jpg"), encoding: .utf8), "photos")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: usb.path), ["holiday.jpg"])
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("to-usb")), usb.path)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("to-null")), "/dev/null")
    }

    /// A symlink to a regular file is followed: the file it names is replaced, the link stays,
    /// and no temporary file is left beside it.
    func testOutputFollowsASymlinkToARegularFile() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("round.changeset")))
        try FileManager.default.createSymbolicLink(atPath: path("latest"), withDestinationPath: path("round.changeset"))
        try nord.export(to: path("latest"), all: true)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("latest")), path("round.changeset"))
        let sud = try makeReplica("sud", team: "sud")
        XCTAssertTrue(try sud.importFile(path("round.changeset")).contains("1"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("partial") }, [])
    }

    // MARK: Text that would drive the terminal

    /// A title that clears the screen and reverses what follows is shown escaped by `list` and
    /// `show`, and exact by `--json`.
    func testTerminalEscapesAreShownEscapedAndJSONStaysExact() throws {
        let nord = try makeReplica("nord", team: "nord")
        let title = "\u{1B}[2J\u{1B}[31mCourses\u{202E}gnp.exe"
        let id = try nord.addOffer(title: title)
        for output in [try nord.ok("list", "offer"), try nord.ok("show", id)] {
            XCTAssertFalse(output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" }, output)
            XCTAssertTrue(output.contains("\\u{1B}[2J\\u{1B}[31mCourses\\u{202E}gnp"), output)
        }
        let listed = try JSON.objects(try nord.json("list", "offer"))
        XCTAssertEqual(listed.first?["title"] as? String, title)
        let shown = try JSON.object(try nord.json("show", id))
        XCTAssertEqual(shown["title"] as? String, title)
    }

    /// Plain http to another machine than this one works, with a warning that the token and
    /// the data cross the network in clear; none for loopback.
    func testPlainHTTPToAnotherMachineWarns() throws {
        let server = try HostileServer { request, connection in
            let page = HostileServer.page(tenant: "lyon", next: 0, more: false)
            return (try? connection.sendAll(request.method == "POST" ? HostileServer.pushAnswer() : page)) != nil
        }
        let nord = try makeReplica("nord", team: "nord")
        let loopback = try nord.run("sync", "--server", server.url, "--token", "boucle_x")
        XCTAssertEqual(loopback.status, 0, loopback.err)
        XCTAssertEqual(loopback.err, "")
        // 0.0.0.0 reaches this machine too, but is not a loopback name: it stands for another one.
        let remote = try nord.run("sync", "--server", "http://0.0.0.0:\(server.port)")
        XCTAssertEqual(remote.status, 0, remote.err)
        XCTAssertTrue(remote.err.hasPrefix("warning: http://0.0.0.0:\(server.port) is plain http: the team's token and people's data cross the network in clear"), remote.err)
    }

    // MARK: A URL with a name and a password

    /// `http://name:phone@host` is refused by `init` and `sync`, neither shown nor saved.
    func testAServerURLWithUserInfoIsRefusedNotShownNotSaved() throws {
        let url = "http://amina:0612345678@127.0.0.1:9"
        let refused = try boucle("init", "--team", "nord", "--server", url, replica: path("refused.db"))
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("refused.db")))
        let nord = try makeReplica("nord", team: "nord")
        let sync = try nord.run("sync", "--server", url, "--token", "boucle_x")
        XCTAssertNotEqual(sync.status, 0)
        for output in [refused.err, refused.out, sync.err, sync.out, try nord.ok("status")] {
            XCTAssertFalse(output.contains("0612345678") || output.contains("amina"), output)
        }
        XCTAssertTrue(sync.err.contains("a user or a password"), sync.err)
        XCTAssertTrue(try nord.rawBytes().allSatisfy { !$0.1.contains(Data("0612345678".utf8)) })
    }
}
