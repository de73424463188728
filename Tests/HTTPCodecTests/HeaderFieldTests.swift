import HTTPCodec
import XCTest

/// RFC 9112 §5: `field-line = field-name ":" OWS field-value OWS`, and the line endings of a head.
final class HeaderFieldTests: XCTestCase {
    func testNamesKeepTheirSpellingAndLookupIgnoresCase() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nX-Replica-ID: nord\r\n\r\n"))
        XCTAssertEqual(request.headers["x-replica-id"], "nord")
        XCTAssertEqual(request.headers["X-REPLICA-ID"], "nord")
        XCTAssertEqual(Array(request.headers).map(\.name), ["X-Replica-ID"])
    }

    func testOptionalWhitespaceAroundTheValueIsTrimmed() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nA: \t one two \t \r\nB:three\r\n\r\n"))
        XCTAssertEqual(request.headers["A"], "one two")
        XCTAssertEqual(request.headers["B"], "three")
    }

    func testEmptyValueIsAllowed() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nX-Empty:\r\nY:   \r\n\r\n")).headers,
                       ["X-Empty": "", "Y": ""])
    }

    func testRepeatedFieldsKeepEveryValueInOrder() throws {
        let request = try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nAccept: a\r\nHost: h\r\naccept: b\r\n\r\n"))
        XCTAssertEqual(request.headers.values("ACCEPT"), ["a", "b"])
        XCTAssertEqual(request.headers["accept"], "a")
        XCTAssertEqual(request.headers.count, 3)
    }

    func testObsFoldIsRefused() {
        assertRequestError("GET / HTTP/1.1\r\nX-Long: a\r\n b\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX-Long: a\r\n\tb\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .invalidHeader)
    }

    func testWhitespaceBeforeTheColonIsRefused() {
        assertRequestError("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .invalidHeader)
    }

    func testLineWithoutColonIsRefused() {
        assertRequestError("GET / HTTP/1.1\r\nHost a\r\n\r\n", .invalidHeader)
    }

    func testNameMustBeANonEmptyToken() {
        assertRequestError("GET / HTTP/1.1\r\n: value\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX(y): z\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX y: z\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nNamé: z\r\n\r\n", .invalidHeader)
    }

    func testControlCharacterInValueIsRefused() {
        assertRequestError("GET / HTTP/1.1\r\nX: a\u{0}b\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX: a\u{7F}\r\n\r\n", .invalidHeader)
        assertRequestError("GET / HTTP/1.1\r\nX: a\u{1B}[31m\r\n\r\n", .invalidHeader)
    }

    func testTabInsideValueIsKept() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n")).headers["X"], "a\tb")
    }

    func testUTF8ValueIsKeptAndInvalidUTF8IsRefused() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("GET / HTTP/1.1\r\nX-Name: Zoé\r\n\r\n")).headers["X-Name"], "Zoé")
        var raw = bytes("GET / HTTP/1.1\r\nX-Name: Zo")
        raw += [0xE9]  // Latin-1 é: not UTF-8
        raw += bytes("\r\n\r\n")
        XCTAssertEqual(parseRequests([raw]).error, .invalidHeader)
    }

    func testBareLFLineEndingsAreAccepted() throws {
        let request = try XCTUnwrap(parseRequest("POST /a HTTP/1.1\nHost: h\nContent-Length: 2\n\nhi"))
        XCTAssertEqual(request.headers, ["Host": "h", "Content-Length": "2"])
        XCTAssertEqual(request.body, bytes("hi"))
    }

    func testMixedLineEndingsAreAccepted() throws {
        let request = try XCTUnwrap(parseRequest("GET /a HTTP/1.1\r\nA: 1\nB: 2\r\n\n"))
        XCTAssertEqual(request.headers, ["A": "1", "B": "2"])
    }

    func testHeaderErrorsAreAnswered400() {
        XCTAssertEqual(HTTPParseError.invalidHeader.status, 400)
    }
}
