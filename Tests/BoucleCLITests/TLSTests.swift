import Foundation
import XCTest

/// `boucle sync` over HTTPS through the real thing: a real `boucle-server` behind nginx running
/// the README's configuration, with certificates made by `openssl` for the test. Two teams and
/// their coordinator and field tokens sync through it; an unknown authority, a wrong host name, an
/// expired certificate and a proxy's own error are each refused with their own message, and
/// nothing pending is lost.
final class TLSTests: ServerTestCase {
    private var authority: TestAuthority!
    private var nginx: NginxProcess!
    private var server: ServerProcess!

    override func setUpWithError() throws {
        try super.setUpWithError()
        authority = try TestAuthority(named: "lyon", in: folder)
        try admin("tenant", "create", "lyon")
        server = try startServer()
        nginx = try NginxProcess(folder: folder, certificate: try authority.issue("boucle-localhost", for: ["localhost"]),
                                 serverName: "localhost", upstreamPort: server.port)
    }

    override func tearDownWithError() throws {
        nginx?.stop()
        try super.tearDownWithError()
    }

    private var url: String { "https://localhost:\(nginx.port)" }

    /// Two teams sync through nginx over HTTPS with the city's own authority, given once: each
    /// gets the other's work, and the next syncs need neither the URL nor the authority again.
    func testTwoTeamsSyncOverHTTPSThroughNginx() throws {
        let nord = try makeReplica("nord", team: "nord", tenant: nil)
        let sud = try makeReplica("sud", team: "sud", tenant: nil)
        let offer = try nord.addOffer(title: "Courses pour le 3e")
        let request = try sud.ok("request", "add", "--category", "groceries", "--title", "Courses pour Mme R.")
        try nord.ok("sync", "--server", url, "--token", try token(team: "nord", role: "coordinator"), "--ca-file", authority.certificate)
        try sud.ok("sync", "--server", url, "--token", try token(team: "sud", role: "field"), "--ca-file", authority.certificate)
        try FileManager.default.removeItem(atPath: authority.certificate)   // kept in the replica
        XCTAssertTrue(try nord.ok("sync").hasPrefix("synced with \(url): sent 0 changes, received 1 new"))
        XCTAssertEqual(try ids("request", on: nord), [request])
        XCTAssertEqual(try ids("offer", on: sud), [offer])
        XCTAssertEqual(try nord.digest(), try sud.digest())
        XCTAssertEqual(try nord.status()["server"] as? String, url)
    }

    /// Without the city's authority, the certificate is refused as unknown, with what to do;
    /// the change stays pending.
    func testAnUnknownAuthorityIsRefusedWithItsOwnMessage() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        let sync = try nord.run("sync", "--server", url, "--token", try token(team: "nord", role: "field"))
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("signed by an authority this laptop does not trust"), sync.err)
        XCTAssertTrue(sync.err.contains("--ca-file"), sync.err)
        XCTAssertEqual(try pending(nord), 1)
        let other = try TestAuthority(named: "other", in: folder)
        let wrong = try nord.run("sync", "--ca-file", other.certificate)
        XCTAssertTrue(wrong.err.contains("signed by an authority this laptop does not trust"), wrong.err)
    }

    /// The right authority but another name in the URL (`127.0.0.1` for a certificate of
    /// `localhost`): refused as a name mismatch.
    func testAWrongHostNameIsRefusedWithItsOwnMessage() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sync = try nord.run("sync", "--server", "https://127.0.0.1:\(nginx.port)", "--token", try token(team: "nord", role: "field"),
                                "--ca-file", authority.certificate)
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("the server's certificate is not for 127.0.0.1"), sync.err)
        XCTAssertTrue(sync.err.contains("host name in the server URL"), sync.err)
    }

    /// Three days later (faketime) the one-day certificate has expired: refused as such, the
    /// advice naming the laptop's clock first.
    func testAnExpiredCertificateIsRefusedWithItsOwnMessage() throws {
        guard let faketime = CLI.onPath("faketime") else { throw XCTSkip("faketime is not installed (.ci/run installs it)") }
        let nord = try makeReplica("nord", team: "nord")
        try nord.ok("sync", "--server", url, "--token", try token(team: "nord", role: "field"), "--ca-file", authority.certificate)
        let later = try nord.run(["sync"], launcher: [faketime, "-f", "+3d"])
        XCTAssertEqual(later.status, 1, later.err)
        XCTAssertTrue(later.err.contains("the server's certificate has expired"), later.err)
        XCTAssertTrue(later.err.contains("date and time"), later.err)
    }

    /// With the server stopped, nginx answers 502 itself: told apart from a Boucle refusal.
    func testAProxysOwnErrorIsToldApartFromTheServers() throws {
        let nord = try makeReplica("nord", team: "nord")
        try nord.addOffer()
        try nord.ok("sync", "--server", url, "--token", try token(team: "nord", role: "field"), "--ca-file", authority.certificate)
        try nord.addOffer(title: "Une autre")
        XCTAssertNotNil(server.stop())
        let sync = try nord.run("sync")
        XCTAssertEqual(sync.status, 1, sync.err)
        XCTAssertTrue(sync.err.contains("502 Bad Gateway without a Boucle error: a proxy or another server answered"), sync.err)
        XCTAssertEqual(try pending(nord), 1)
    }
}
