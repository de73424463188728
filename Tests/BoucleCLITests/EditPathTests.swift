import Foundation
import XCTest

/// Every local edit goes through one path (`ReplicaStore.perform`, `EditRules`): each rule,
/// through each entry point that can break it (`add`, `set`, `match`, `category add`,
/// `import-csv`). Every refused edit leaves the replica as it was.
final class EditPathTests: CLITestCase {
    var replica: Replica!
    var request = ""
    var offer = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        replica = try makeReplica("nord", team: "nord")
        request = try replica.ok("request", "add", "--category", "groceries", "--title", "Courses pour ma mère")
        offer = try replica.addOffer()
    }

    private func csv(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Asserts a refused run: exit `status`, exactly `boucle: error: message`, the replica unchanged.
    private func assertRefused(_ args: [String], _ message: String, status: Int32 = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try replica.digest()
        let result = try replica.run(args)
        XCTAssertEqual(result.status, status, result.err, file: file, line: line)
        XCTAssertEqual(result.err, "boucle: error: \(message)\n", file: file, line: line)
        XCTAssertEqual(try replica.digest(), before, "a refused edit changes nothing", file: file, line: line)
    }

    // MARK: A match's status moves its request's

    func testAMatchStatusSetMovesItsRequest() throws {
        let match = try replica.ok("match", request, "--offer", offer)
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "matched")
        try replica.ok("set", match, "status=done")
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "done")
    }

    /// The drift bug: a spreadsheet edit of a match's status left its request as it was.
    func testAMatchStatusImportedFromASpreadsheetMovesItsRequest() throws {
        let match = try replica.ok("match", request, "--offer", offer)
        let file = try csv("matches.csv", "id,status\n\(match),done\n")
        XCTAssertEqual(try replica.ok("import-csv", "match", file), "imported 1 row into match: 0 added, 1 updated, 0 unchanged")
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "done")
    }

    func testANewMatchImportedFromASpreadsheetMakesItsRequestMatched() throws {
        let file = try csv("matches.csv", "request,offer\n\(request),\(offer)\n")
        XCTAssertEqual(try replica.ok("import-csv", "match", file), "imported 1 row into match: 1 added, 0 updated, 0 unchanged")
        XCTAssertEqual(try JSON.object(try replica.json("show", request))["status"] as? String, "matched")
    }

    // MARK: References name live records

    /// The drift bug: `set` pointed a match at a record that does not exist.
    func testSetRefusesAMatchPointingAtNoOffer() throws {
        let match = try replica.ok("match", request, "--offer", offer)
        try assertRefused(["set", match, "offer=\(request)"], "offer names no offer of this replica")
        try assertRefused(["set", match, "request=00000000-0000-4000-8000-000000000000"], "request names no request of this replica")
    }

    func testMatchRefusesAnOfferThatIsNotAnOffer() throws {
        let other = try replica.ok("request", "add", "--category", "pets", "--title", "Chien")
        try assertRefused(["match", request, "--offer", other], "offer names no offer of this replica")
    }

    func testSignupsNeedALiveRound() throws {
        try assertRefused(["signup", "add", "--round", offer, "--volunteer", "Samira"], "round names no round of this replica")
        let file = try csv("signups.csv", "round,volunteer\n\(offer),Samira\n")
        try assertRefused(["import-csv", "signup", file], "\(file): line 2: round names no round of this replica; nothing was imported")
    }

    func testImportedMatchesNeedLiveRecords() throws {
        let file = try csv("matches.csv", "request,offer\n\(offer),\(offer)\n")
        try assertRefused(["import-csv", "match", file], "\(file): line 2: request names no request of this replica; nothing was imported")
    }

    // MARK: Categories

    func testACategoryMustExistThroughEveryEntryPoint() throws {
        let unknown = "unknown category \"gardening\": known categories are conversation, crisis-staff, groceries, homework, "
            + "it-paperwork, masks, other, pets, printing (add one with `boucle category add`)"
        try assertRefused(["offer", "add", "--category", "gardening", "--title", "Potager"], unknown)
        try assertRefused(["set", offer, "category=gardening"], unknown)
        let file = try csv("offers.csv", "category,title\ngardening,Potager\n")
        try assertRefused(["import-csv", "offer", file], "\(file): line 2: \(unknown); nothing was imported")
    }

    func testACategorysSlugIsItsIdentityThroughEveryEntryPoint() throws {
        let pets = try JSON.objects(try replica.json("list", "category")).first { $0["slug"] as? String == "pets" }?["id"] as? String
        let id = try XCTUnwrap(pets)
        let identity = "a category's slug is its identity and cannot change: add a new category instead"
        try assertRefused(["set", id, "slug=chiens"], identity)
        let file = try csv("categories.csv", "id,slug\n\(id),chiens\n")
        try assertRefused(["import-csv", "category", file], "\(file): line 2: \(identity); nothing was imported")
        try assertRefused(["category", "add", "--slug", "pets", "--label", "Animaux"], "category \"pets\" exists already")
    }

    /// An empty label is no label, as an empty title is no title for `offer add`.
    func testACategoryNeedsALabelAsAnOfferNeedsATitle() throws {
        try assertRefused(["category", "add", "--slug", "jardinage", "--label", ""], "a new category needs label")
        try assertRefused(["offer", "add", "--category", "pets", "--title", ""], "a new offer needs title")
        XCTAssertFalse(try replica.ok("categories").contains("jardinage"))
    }

    // MARK: lat and lon go together

    func testLatAndLonGoTogetherThroughEveryEntryPoint() throws {
        try assertRefused(["offer", "add", "--category", "pets", "--title", "T", "--lat", "45.7"],
                          "--lat and --lon go together: give both or neither", status: 2)
        try assertRefused(["set", offer, "lat=45.7"], "lat and lon go together: give both or neither")
        let file = try csv("offers.csv", "id,lat\n\(offer),45.7\n")
        try assertRefused(["import-csv", "offer", file], "\(file): line 2: lat and lon go together: give both or neither; nothing was imported")
        try replica.ok("set", offer, "lat=45.7", "lon=4.8")
        try replica.ok("set", offer, "lat=45.75")
        try assertRefused(["set", offer, "lon="], "lat and lon go together: give both or neither")
    }

    // MARK: A field every record has is never cleared

    func testAFieldEveryRecordHasCannotBeClearedThroughEveryEntryPoint() throws {
        try assertRefused(["set", offer, "title="], "title cannot be cleared: every offer has one (set another value instead)")
        try assertRefused(["set", offer, "status="], "status cannot be cleared: every offer has one (set another value instead)")
        let file = try csv("offers.csv", "id,category\n\(offer),\n")
        try assertRefused(["import-csv", "offer", file],
                          "\(file): line 2: category cannot be cleared: every offer has one (set another value instead); nothing was imported")
        try replica.ok("set", offer, "phone=06 39 98 12 34")
        try replica.ok("set", offer, "phone=")
        XCTAssertEqual(try JSON.object(try replica.json("show", offer))["title"] as? String, "Courses le samedi")
    }

    // MARK: Values fit their fields

    func testAValueOutOfItsRangeIsRefusedThroughEveryEntryPoint() throws {
        let range = "field \"lat\" must be between -90 and 90"
        try assertRefused(["offer", "add", "--category", "pets", "--title", "T", "--lat", "95", "--lon", "4"], range)
        try assertRefused(["set", offer, "lat=95", "lon=4"], range)
        let file = try csv("offers.csv", "id,lat,lon\n\(offer),95,4\n")
        try assertRefused(["import-csv", "offer", file], "\(file): line 2: \(range); nothing was imported")
    }

    func testSettingTheSameValuesChangesNothing() throws {
        let before = try replica.digest()
        XCTAssertEqual(try replica.ok("set", offer, "title=Courses le samedi"), "offer \(offer) has these values already: nothing changed")
        XCTAssertEqual(try replica.digest(), before)
    }
}
