import HTTPCodec
import XCTest

/// `HTTPHeaders`: ordered fields, case-insensitive lookup.
final class HTTPHeadersTests: XCTestCase {
    func testLookupIgnoresCaseAndAnswersTheFirstValue() {
        let headers = HTTPHeaders([("Accept", "a"), ("ACCEPT", "b")])
        XCTAssertEqual(headers["accept"], "a")
        XCTAssertEqual(headers.values("Accept"), ["a", "b"])
        XCTAssertNil(headers["Host"])
        XCTAssertEqual(headers.values("Host"), [])
        XCTAssertTrue(headers.contains("aCCept"))
    }

    func testAddKeepsOrderAndDuplicates() {
        var headers = HTTPHeaders()
        headers.add("B", "1")
        headers.add("A", "2")
        headers.add("b", "3")
        XCTAssertEqual(headers.map(\.name), ["B", "A", "b"])
        XCTAssertEqual(headers.map(\.value), ["1", "2", "3"])
    }

    func testReplaceKeepsThePositionOfTheFirstAndDropsTheOthers() {
        var headers: HTTPHeaders = ["A": "1", "x-b": "2", "C": "3", "X-B": "4"]
        headers.replace("X-B", "5")
        XCTAssertEqual(headers, ["A": "1", "X-B": "5", "C": "3"])
        headers.replace("D", "6")
        XCTAssertEqual(headers, ["A": "1", "X-B": "5", "C": "3", "D": "6"])
    }

    func testRemoveDropsEveryFieldOfThatName() {
        var headers: HTTPHeaders = ["A": "1", "B": "2", "a": "3"]
        headers.remove("A")
        XCTAssertEqual(headers, ["B": "2"])
        XCTAssertEqual(headers.count, 1)
        headers.remove("B")
        XCTAssertTrue(headers.isEmpty)
    }

    func testEqualityIsOrderAndSpellingSensitive() {
        XCTAssertNotEqual(HTTPHeaders([("A", "1"), ("B", "2")]), HTTPHeaders([("B", "2"), ("A", "1")]))
        XCTAssertNotEqual(HTTPHeaders([("A", "1")]), HTTPHeaders([("a", "1")]))
    }

    func testTokenListsAreMatchedWholeAndCaseInsensitively() {
        let headers: HTTPHeaders = ["Connection": "Upgrade,  Keep-Alive ", "connection": "x"]
        XCTAssertTrue(headers.containsToken("keep-alive", in: "CONNECTION"))
        XCTAssertTrue(headers.containsToken("X", in: "Connection"))
        XCTAssertFalse(headers.containsToken("keep", in: "Connection"))
        XCTAssertFalse(headers.containsToken("upgrade", in: "Upgrade"))
    }
}
