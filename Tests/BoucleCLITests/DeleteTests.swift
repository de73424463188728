import Foundation
import XCTest

/// A delete wins over every write to the record, earlier or later, and erases its personal data
/// from the replica's files at once.
final class DeleteTests: CLITestCase {
    /// Strings that only the deleted record ever held.
    private let personalData = ["Testvaleur-8842", "0648421793", "0648421799", "Sonnez deux fois", "Mme Testvaleur"]

    func testDeleteWinsOverEditsMadeBeforeAndAfterItAndLeavesNoPersonalDataInTheFiles() throws {
        let nord = try makeReplica("nord", team: "nord")
        let sud = try makeReplica("sud", team: "sud")
        let est = try makeReplica("est", team: "est")
        let kept = try nord.addOffer(category: "pets", title: "Promenade du chien")
        let offer = try nord.addOffer(
            "--address", "17 impasse Testvaleur-8842, 69003 Lyon", "--phone", "0648421793",
            "--contact-name", "Mme Testvaleur", "--lat", "45.7601", "--lon", "4.8590"
        )
        let creation = try nord.export(to: path("creation.changeset"))
        try sud.importFile(creation)
        try est.importFile(creation)

        // sud edits before the delete; nord deletes; sud edits again, not knowing of the delete.
        try sud.ok("set", offer, "details=Sonnez deux fois", "phone=0648421799")
        XCTAssertEqual(try nord.ok("delete", offer), "deleted offer \(offer)")
        try sud.ok("set", offer, "address=19 impasse Testvaleur-8842, 69003 Lyon")

        let delete = try nord.export(to: path("delete.changeset"))
        let edits = try sud.export(to: path("edits.changeset"))
        try nord.importFile(edits)
        try sud.importFile(delete)

        // est edits after everything and is heard from last.
        try est.ok("set", offer, "title=Courses Testvaleur-8842", "phone=0648421799")
        let late = try est.export(to: path("late.changeset"))
        try nord.importFile(late)
        try sud.importFile(late)
        try est.importFile(delete)
        try est.importFile(edits)

        for replica in [nord, sud, est] {
            let shown = try replica.run("show", offer)
            XCTAssertEqual(shown.status, 1, "on \(replica.name)")
            XCTAssertEqual(shown.out, "", "on \(replica.name)")
            XCTAssertEqual(shown.err, "boucle: error: record \(offer) was deleted\n", "on \(replica.name)")
            let edit = try replica.run("set", offer, "title=Encore")
            XCTAssertEqual(edit.status, 1)
            XCTAssertEqual(edit.err, "boucle: error: record \(offer) was deleted\n")
            let offers = try JSON.objects(try replica.json("list", "offer"))
            XCTAssertEqual(offers.compactMap { $0["id"] as? String }, [kept], "on \(replica.name)")
            for entry in try replica.conflicts() where entry["id"] as? String == offer {
                XCTAssertEqual(entry["kind"] as? String, "deleted", "on \(replica.name): \(entry)")
                for side in ["lost", "kept"] {
                    let value = try JSON.object(try XCTUnwrap(entry[side]))
                    XCTAssertTrue(value["value"] is NSNull, "a deleted record's log keeps no value: \(entry)")
                    XCTAssertEqual(value["erased"] as? Bool, true)
                }
            }
        }
        XCTAssertEqual(try nord.digest(), try sud.digest())
        XCTAssertEqual(try nord.digest(), try est.digest())
        XCTAssertFalse(try nord.conflicts().isEmpty, "the edits that met the delete are logged on the deleting replica")
        XCTAssertFalse(try sud.conflicts().isEmpty, "sud's pending edits erased by the delete are logged")

        // nord deleted it; sud and est learnt of the delete by import.
        for replica in [nord, sud, est] {
            try assertNoPersonalData(in: replica)
            // The scan does see plain text: the record that was not deleted is there.
            let all = try replica.rawBytes().reduce(Data()) { $0 + $1.1 }
            XCTAssertNotNil(all.range(of: Data("Promenade du chien".utf8)), "on \(replica.name)")
        }
    }

    private func assertNoPersonalData(in replica: Replica, file: StaticString = #filePath, line: UInt = #line) throws {
        let files = try replica.rawBytes()
        XCTAssertFalse(files.isEmpty, file: file, line: line)
        for (name, bytes) in files {
            for secret in personalData {
                XCTAssertNil(
                    bytes.range(of: Data(secret.utf8)), "\"\(secret)\" survives in \(name) of \(replica.name)",
                    file: file, line: line
                )
            }
        }
    }
}
