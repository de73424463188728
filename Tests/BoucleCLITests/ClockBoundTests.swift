import BoucleCore
import Foundation
import XCTest

/// A change stamped far in the future (the year 10889) would win every conflict and drag every
/// receiver's clock to the top of its range: `boucle import` refuses a file stamped more than an
/// hour ahead of the laptop's clock, `boucle-server import` one stamped over `--max-clock-ahead`
/// ahead of the server's, worded as a refused sync is.
final class ClockBoundTests: ServerTestCase {
    /// A change-set of one offer stamped in the year 10889 (the milliseconds 2.7 × 10^14).
    private func farFutureFile() throws -> String {
        let writer = UUIDString.random(using: &generator)
        let offer = Change(collection: .offer, id: UUIDString.random(using: &generator), team: "nord",
                           stamp: Stamp(hlc: HLC(milliseconds: 281_400_000_000_000, counter: 0), replica: writer),
                           operation: .set(["title": .text("Du futur"), "category": .text("other")]))
        return try write(ServerHarness.changeSet(tenant: "lyon", origin: writer, [offer]), to: "future.changeset")
    }

    private var generator = SeededGenerator(seed: 10_889)

    func testBoucleImportRefusesAFileFromTheYear10889() throws {
        let file = try farFutureFile()
        let laptop = try makeReplica("laptop", team: "nord")
        let before = try laptop.digest()
        let result = try laptop.run("import", file)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.err.hasPrefix("boucle: error: refused 1 change stamped up to "), result.err)
        XCTAssertTrue(result.err.hasSuffix(" ahead of this replica's clock (the limit is 1 h); nothing was imported: the clock of the laptop that wrote the file, or this one's, is wrong\n"), result.err)
        XCTAssertEqual(try laptop.digest(), before)
        let offer = try laptop.addOffer()
        XCTAssertEqual(try laptop.ok("set", offer, "title=Toujours modifiable"), "updated offer \(offer)", "the clock is not frozen")
    }

    func testBoucleServerImportRefusesAFileFromTheYear10889() throws {
        try admin("tenant", "create", "lyon")
        let before = try snapshot()
        let result = try adminRun(["import", try farFutureFile(), "--tenant", "lyon"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.err.hasPrefix("boucle-server: error: refused 1 change stamped up to "), result.err)
        XCTAssertTrue(result.err.contains(" ahead of the server's clock (the limit is 5 min); nothing was imported"), result.err)
        XCTAssertEqual(try snapshot(), before)
    }
}
