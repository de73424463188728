import HTTPCodec
import XCTest

/// Messages written as bytes: byte-exact, with a `Content-Length` that is always the real one.
final class SerializationTests: XCTestCase {
    func testResponseIsSerializedByteExact() {
        let response = HTTPResponse(status: 200,
                                    headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                                    body: bytes("{\"ok\":true}"))
        XCTAssertEqual(String(decoding: response.serialized(), as: UTF8.self),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                       + "Content-Length: 11\r\n\r\n{\"ok\":true}")
    }

    func testGivenContentLengthIsReplacedByTheRealOne() {
        let response = HTTPResponse(status: 201, headers: ["content-length": "999", "Location": "/offers/1"], body: bytes("abc"))
        XCTAssertEqual(String(decoding: response.serialized(), as: UTF8.self),
                       "HTTP/1.1 201 Created\r\nLocation: /offers/1\r\nContent-Length: 3\r\n\r\nabc")
    }

    func testEmptyBodyIsAnnouncedAsZero() {
        XCTAssertEqual(String(decoding: HTTPResponse(status: 404).serialized(), as: UTF8.self),
                       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    func testNoContentAndNotModifiedHaveNeitherContentLengthNorBody() {
        XCTAssertEqual(String(decoding: HTTPResponse(status: 204, body: bytes("dropped")).serialized(), as: UTF8.self),
                       "HTTP/1.1 204 No Content\r\n\r\n")
        XCTAssertEqual(String(decoding: HTTPResponse(status: 304, headers: ["ETag": "\"v1\""]).serialized(), as: UTF8.self),
                       "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n")
        XCTAssertEqual(String(decoding: HTTPResponse(status: 100).serialized(), as: UTF8.self),
                       "HTTP/1.1 100 Continue\r\n\r\n")
    }

    func testResponseToHEADAnnouncesTheLengthWithoutTheBody() {
        XCTAssertEqual(String(decoding: HTTPResponse(status: 200, body: bytes("hello")).serialized(includingBody: false), as: UTF8.self),
                       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    func testReasonPhrasesFollowRFC9110AndUnknownCodesNameTheirClass() {
        XCTAssertEqual(HTTPResponse.reason(for: 413), "Content Too Large")
        XCTAssertEqual(HTTPResponse.reason(for: 431), "Request Header Fields Too Large")
        XCTAssertEqual(HTTPResponse.reason(for: 505), "HTTP Version Not Supported")
        XCTAssertEqual(HTTPResponse.reason(for: 299), "Success")
        XCTAssertEqual(HTTPResponse.reason(for: 499), "Client Error")
        XCTAssertEqual(HTTPResponse.reason(for: 999), "Unknown")
        for error in [HTTPParseError.invalidHeader, .bodyTooLarge(limit: 1), .headerTooLarge, .unsupportedTransferEncoding, .unsupportedVersion] {
            XCTAssertFalse(["Unknown", "Client Error", "Server Error"].contains(HTTPResponse.reason(for: error.status)))
        }
    }

    func testLineBreaksInAFieldCannotInjectAnotherField() {
        let response = HTTPResponse(status: 200, headers: ["X-Name": "a\r\nSet-Cookie: evil=1", "X\r\nY": "z"])
        let text = String(decoding: response.serialized(), as: UTF8.self)
        XCTAssertEqual(text, "HTTP/1.1 200 OK\r\nX-Name: a  Set-Cookie: evil=1\r\nX  Y: z\r\nContent-Length: 0\r\n\r\n")
    }

    func testGETRequestIsSerializedWithoutContentLength() {
        let request = HTTPRequest(method: "GET", target: "/status", headers: ["Host": "boucle.example:8080"])
        XCTAssertEqual(String(decoding: request.serialized(), as: UTF8.self),
                       "GET /status HTTP/1.1\r\nHost: boucle.example:8080\r\n\r\n")
    }

    func testPOSTRequestAlwaysCarriesItsRealContentLength() {
        let request = HTTPRequest(method: "POST", target: "/sync", headers: ["Host": "h", "Content-Length": "1"], body: bytes("{}"))
        XCTAssertEqual(String(decoding: request.serialized(), as: UTF8.self),
                       "POST /sync HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}")
        XCTAssertEqual(String(decoding: HTTPRequest(method: "PUT", target: "/x").serialized(), as: UTF8.self),
                       "PUT /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(String(decoding: HTTPRequest(method: "DELETE", target: "/x", body: bytes("a")).serialized(), as: UTF8.self),
                       "DELETE /x HTTP/1.1\r\nContent-Length: 1\r\n\r\na")
    }

    func testSerializedRequestParsesBackToTheSameRequest() throws {
        var request = HTTPRequest(method: "POST", target: "/sync?since=4%202&x=y+z",
                                  headers: ["Host": "h", "Content-Type": "application/json"], body: bytes("{\"a\":1}"))
        let parsed = try XCTUnwrap(parseRequests([request.serialized()]).requests.first)
        request.headers.add("Content-Length", "7")
        XCTAssertEqual(parsed, request)
    }

    func testSerializedResponseParsesBackToTheSameResponse() throws {
        var response = HTTPResponse(status: 409, headers: ["Content-Type": "application/json"], body: bytes("{\"error\":\"conflict\"}"))
        let parsed = parseResponses([response.serialized()]).responses
        response.headers.add("Content-Length", "\(response.body.count)")
        XCTAssertEqual(parsed, [response])
    }
}

final class HTTPDateTests: XCTestCase {
    func testDateIsTheIMFFixdateOfRFC9110() {
        XCTAssertEqual(HTTPDate.format(secondsSinceEpoch: 784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
    }

    func testOtherDateFormsAreNotRead() {
        XCTAssertNil(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"))
        XCTAssertNil(HTTPDate.parse("Sun Nov  6 08:49:37 1994"))
        XCTAssertNil(HTTPDate.parse("Sun, 06 Nov 1994 25:49:37 GMT"))
    }
}
