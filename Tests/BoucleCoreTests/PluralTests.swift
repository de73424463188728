import BoucleCore
import XCTest

/// One plural helper for both tools.
final class PluralTests: XCTestCase {
    func testCountsTakeThePluralUnlessOne() {
        XCTAssertEqual(Plural.count(1, "change"), "1 change")
        XCTAssertEqual(Plural.count(0, "change"), "0 changes")
        XCTAssertEqual(Plural.count(2, "match"), "2 matches")
        XCTAssertEqual(Plural.count(3, "offer row"), "3 offer rows")
        XCTAssertEqual(Plural.plural("box"), "boxes")
    }
}
