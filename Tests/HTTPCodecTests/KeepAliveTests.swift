import HTTPCodec
import XCTest

/// RFC 9112 §9.3: whether the connection stays open after a request.
final class KeepAliveTests: XCTestCase {
    func keepAlive(_ version: String, _ connection: [String]) -> Bool? {
        let fields = connection.map { "Connection: \($0)\r\n" }.joined()
        return parseRequest("GET / HTTP/\(version)\r\n\(fields)\r\n")?.keepAlive
    }

    func testHTTP11KeepsAliveByDefault() {
        XCTAssertEqual(keepAlive("1.1", []), true)
        XCTAssertEqual(keepAlive("1.1", ["keep-alive"]), true)
        XCTAssertEqual(keepAlive("1.1", ["Upgrade"]), true)
    }

    func testConnectionCloseEndsAnHTTP11Connection() {
        XCTAssertEqual(keepAlive("1.1", ["close"]), false)
        XCTAssertEqual(keepAlive("1.1", ["Close"]), false)
        XCTAssertEqual(keepAlive("1.1", ["keep-alive, close"]), false)
        XCTAssertEqual(keepAlive("1.1", ["Upgrade", " CLOSE "]), false)
    }

    func testHTTP10ClosesByDefault() {
        XCTAssertEqual(keepAlive("1.0", []), false)
        XCTAssertEqual(keepAlive("1.0", ["Upgrade"]), false)
    }

    func testHTTP10StaysOpenWithConnectionKeepAlive() {
        XCTAssertEqual(keepAlive("1.0", ["keep-alive"]), true)
        XCTAssertEqual(keepAlive("1.0", ["Keep-Alive"]), true)
        XCTAssertEqual(keepAlive("1.0", ["foo,keep-alive"]), true)
    }

    func testCloseWinsOverKeepAliveOnHTTP10() {
        XCTAssertEqual(keepAlive("1.0", ["keep-alive, close"]), false)
        XCTAssertEqual(keepAlive("1.0", ["keep-alive", "close"]), false)
    }

    func testOnlyWholeTokensCount() {
        XCTAssertEqual(keepAlive("1.1", ["closed"]), true)
        XCTAssertEqual(keepAlive("1.0", ["keep-alive-ish"]), false)
    }

    func testClientRequestIsHTTP11AndKeepsAliveUnlessItSaysClose() {
        XCTAssertTrue(HTTPRequest(method: "GET", target: "/").keepAlive)
        XCTAssertFalse(HTTPRequest(method: "GET", target: "/", headers: ["Connection": "close"]).keepAlive)
    }
}
