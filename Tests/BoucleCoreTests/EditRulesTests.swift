import BoucleCore
import XCTest

/// Each rule of `EditRules`, where it lives (the store and CLI tests check each entry point).
final class EditRulesTests: XCTestCase {
    let round = UUIDString("11111111-1111-4111-8111-111111111111")!
    let request = UUIDString("22222222-2222-4222-8222-222222222222")!
    let offer = UUIDString("33333333-3333-4333-8333-333333333333")!

    /// A replica holding one round, one request, one offer and the categories groceries and pets.
    var surroundings: EditRules.Surroundings {
        let live: [UUIDString: RecordCollection] = [round: .round, request: .request, offer: .offer]
        return EditRules.Surroundings(collectionOf: { live[$0] }, categories: { ["groceries", "pets"] })
    }

    func violation(_ collection: RecordCollection, _ existing: [String: FieldValue]?, _ changes: [String: FieldValue]) throws -> EditViolation? {
        try EditRules.violation(collection, existing: existing, changes: changes, in: surroundings)
    }

    func testANewRecordNeedsItsRequiredFields() {
        XCTAssertEqual(try violation(.offer, nil, ["title": .text("Courses")]), .missingFields(.offer, ["category"]))
        XCTAssertEqual(try violation(.round, nil, ["kind": .text("maraude")]), .missingFields(.round, ["date"]))
        XCTAssertNil(try violation(.offer, nil, ["title": .text("Courses"), "category": .text("pets")]))
    }

    func testAFieldEveryRecordHasCannotBeClearedButOthersCan() {
        let offer: [String: FieldValue] = ["category": .text("pets"), "title": .text("t"), "status": .text("open"),
                                           "remote": .bool(false), "phone": .text("06 39 98 12 34")]
        XCTAssertEqual(try violation(.offer, offer, ["title": .null]), .cannotClear(.offer, "title"))
        XCTAssertEqual(try violation(.offer, offer, ["category": .null]), .cannotClear(.offer, "category"))
        XCTAssertEqual(try violation(.offer, offer, ["status": .null]), .cannotClear(.offer, "status"))
        XCTAssertEqual(try violation(.offer, offer, ["remote": .null]), .cannotClear(.offer, "remote"))
        XCTAssertEqual(try violation(.request, ["urgency": .text("high")], ["urgency": .null]), .cannotClear(.request, "urgency"))
        XCTAssertEqual(try violation(.signup, ["volunteer": .text("Awa")], ["volunteer": .null]), .cannotClear(.signup, "volunteer"))
        XCTAssertNil(try violation(.offer, offer, ["phone": .null]), "an optional field clears")
        XCTAssertNil(try violation(.offer, offer, ["title": .text("u")]))
        XCTAssertNil(try violation(.offer, ["category": .text("pets")], ["title": .null]), "a field the record lacks already: nothing is cleared")
        XCTAssertEqual(EditViolation.cannotClear(.offer, "title").description,
                       "title cannot be cleared: every offer has one (set another value instead)")
    }

    func testLatAndLonGoTogetherOnTheResultingRecord() {
        XCTAssertEqual(try violation(.offer, nil, ["category": .text("pets"), "title": .text("t"), "lat": .number(45)]), .latLonApart)
        let located: [String: FieldValue] = ["category": .text("pets"), "title": .text("t"), "lat": .number(45), "lon": .number(4)]
        XCTAssertNil(try violation(.offer, located, ["lat": .number(45.5)]), "moving one coordinate of a located record is fine")
        XCTAssertEqual(try violation(.offer, located, ["lon": .null]), .latLonApart)
        XCTAssertNil(try violation(.offer, located, ["lat": .null, "lon": .null]), "clearing both is fine")
    }

    func testACategoryMustBeALiveCategory() {
        XCTAssertEqual(try violation(.request, ["category": .text("pets")], ["category": .text("gardening")]),
                       .unknownCategory("gardening", known: ["groceries", "pets"]))
        XCTAssertNil(try violation(.request, ["category": .text("pets")], ["category": .text("groceries")]))
    }

    func testReferencesNameLiveRecordsOfTheirCollection() {
        XCTAssertEqual(try violation(.signup, nil, ["round": .text(request.rawValue), "volunteer": .text("Samira")]),
                       .missingReference(field: "round", .round))
        XCTAssertEqual(try violation(.match, nil, ["request": .text(request.rawValue), "offer": .text(request.rawValue)]),
                       .missingReference(field: "offer", .offer))
        XCTAssertEqual(try violation(.match, ["request": .text(request.rawValue), "offer": .text(offer.rawValue)],
                                 ["request": .text("44444444-4444-4444-8444-444444444444")]),
                       .missingReference(field: "request", .request), "an edit may not point a match at nothing")
        XCTAssertNil(try violation(.match, nil, ["request": .text(request.rawValue), "offer": .text(offer.rawValue)]))
    }

    func testACategorysSlugIsItsIdentity() {
        let category: [String: FieldValue] = ["slug": .text("pets"), "label": .text("Animaux")]
        XCTAssertEqual(try violation(.category, category, ["slug": .text("chiens")]), .slugIsIdentity)
        XCTAssertNil(try violation(.category, category, ["label": .text("Promenade d'animaux")]))
    }

    func testAMatchStatusMovesItsRequest() {
        XCTAssertEqual(EditRules.requestStatus(forMatchStatus: "proposed", anotherMatchActive: false), "matched")
        XCTAssertEqual(EditRules.requestStatus(forMatchStatus: "accepted", anotherMatchActive: false), "matched")
        XCTAssertEqual(EditRules.requestStatus(forMatchStatus: "done", anotherMatchActive: true), "done")
        XCTAssertEqual(EditRules.requestStatus(forMatchStatus: "cancelled", anotherMatchActive: false), "open")
        XCTAssertEqual(EditRules.requestStatus(forMatchStatus: "cancelled", anotherMatchActive: true), "matched")
    }
}
