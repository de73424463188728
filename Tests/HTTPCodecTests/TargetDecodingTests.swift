import HTTPCodec
import XCTest

/// The request's `path` and `query` are percent-decoded from its target.
final class TargetDecodingTests: XCTestCase {
    func request(_ target: String) -> RequestOutcome {
        parseRequests("GET \(target) HTTP/1.1\r\n\r\n")
    }

    func testPathIsPercentDecodedAndStopsAtTheQuery() {
        let parsed = request("/offers/a%20b%2Fc?x=1").requests.first
        XCTAssertEqual(parsed?.path, "/offers/a b/c")
        XCTAssertEqual(parsed?.target, "/offers/a%20b%2Fc?x=1")
    }

    func testPlusIsLiteralInThePathAndASpaceInTheQuery() {
        let parsed = request("/a+b?q=c+d%2B").requests.first
        XCTAssertEqual(parsed?.path, "/a+b")
        XCTAssertEqual(parsed?.query, ["q": "c d+"])
    }

    func testQueryIsDecodedAndTheLastValueWins() {
        XCTAssertEqual(request("/?a=1&b=x%26y%3Dz&a=2").requests.first?.query, ["a": "2", "b": "x&y=z"])
    }

    func testBareNameHasAnEmptyValueAndEmptyPartsAreSkipped() {
        XCTAssertEqual(request("/?flag&&=v&e=&x=1=2").requests.first?.query, ["flag": "", "": "v", "e": "", "x": "1=2"])
        XCTAssertEqual(request("/?").requests.first?.query, [:])
    }

    func testUTF8EscapesDecodeToText() {
        let parsed = request("/caf%C3%A9?nom=Zo%c3%a9").requests.first
        XCTAssertEqual(parsed?.path, "/café")
        XCTAssertEqual(parsed?.query, ["nom": "Zoé"])
    }

    func testMalformedPercentEscapeIsInvalidTarget() {
        for target in ["/%", "/a%2", "/%zz", "/%G0", "/?a=%", "/?a=%4", "/?%x1=b"] {
            XCTAssertEqual(request(target).error, .invalidTarget, target)
        }
    }

    func testDecodedNULIsInvalidTarget() {
        XCTAssertEqual(request("/a%00b").error, .invalidTarget)
        XCTAssertEqual(request("/?a=%00").error, .invalidTarget)
        XCTAssertEqual(request("/?%00=a").error, .invalidTarget)
    }

    func testDecodedBytesThatAreNotUTF8AreInvalidTarget() {
        XCTAssertEqual(request("/%FF").error, .invalidTarget)
        XCTAssertEqual(request("/?a=%C3").error, .invalidTarget)
    }

    func testDotSegmentsAreNotNormalized() {
        XCTAssertEqual(request("/a/../b/%2E%2E/c").requests.first?.path, "/a/../b/../c")
    }

    func testClientRequestDecodesItsTargetLikeAServer() {
        let request = HTTPRequest(method: "GET", target: "/sync?since=42&replica=nord%20est")
        XCTAssertEqual(request.path, "/sync")
        XCTAssertEqual(request.query, ["since": "42", "replica": "nord est"])
        XCTAssertEqual(request.minorVersion, 1)
        XCTAssertEqual(HTTPRequest(method: "GET", target: "/bad%zz?x=1").path, "/bad%zz")
    }
}
