import HTTPCodec
import XCTest

/// RFC 9112 §3: `request-line = method SP request-target SP HTTP-version`.
final class RequestLineTests: XCTestCase {
    func testRequestLineWithOriginFormTargetIsParsed() throws {
        let request = try XCTUnwrap(parseRequest("GET /offers?tag=food HTTP/1.1\r\nHost: boucle\r\n\r\n"))
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.target, "/offers?tag=food")
        XCTAssertEqual(request.path, "/offers")
        XCTAssertEqual(request.query, ["tag": "food"])
        XCTAssertEqual(request.minorVersion, 1)
        XCTAssertEqual(request.headers, ["Host": "boucle"])
        XCTAssertEqual(request.body, [])
    }

    func testHTTP10IsAccepted() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("GET / HTTP/1.0\r\n\r\n")).minorVersion, 0)
    }

    func testAnyTokenIsAMethod() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("PROPFIND / HTTP/1.1\r\n\r\n")).method, "PROPFIND")
        XCTAssertEqual(try XCTUnwrap(parseRequest("x-Custom.1~ / HTTP/1.1\r\n\r\n")).method, "x-Custom.1~")
    }

    func testMethodWithNonTokenCharacterIsInvalidMethod() {
        assertRequestError("G(T / HTTP/1.1\r\n\r\n", .invalidMethod)
        assertRequestError("GET:/ / HTTP/1.1\r\n\r\n", .invalidMethod)
        assertRequestError("GÉT / HTTP/1.1\r\n\r\n", .invalidMethod)
        assertRequestError("G\u{1}T / HTTP/1.1\r\n\r\n", .invalidMethod)
    }

    func testMissingMethodIsInvalidRequestLine() {
        assertRequestError(" / HTTP/1.1\r\n\r\n", .invalidRequestLine)
    }

    func testTargetMustBeOriginOrAbsoluteForm() {
        assertRequestError("OPTIONS * HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("CONNECT boucle.example:443 HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET ftp://boucle.example/ HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET http:///v1 HTTP/1.1\r\n\r\n", .invalidTarget)
    }

    /// RFC 9112 §3.2.2: a server must accept the absolute form, read as its path and query.
    func testAbsoluteFormIsReadAsItsPathAndQuery() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET http://boucle.example:8080/v1/changes?since=3 HTTP/1.1\r\nHost: x\r\n\r\nGET HTTPS://boucle.example HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let first = try XCTUnwrap(try parser.next())
        XCTAssertEqual(first.path, "/v1/changes")
        XCTAssertEqual(first.query, ["since": "3"])
        XCTAssertEqual(try XCTUnwrap(try parser.next()).path, "/")
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request needs one Host, any request at most one.
    func testHostProblemsAreNamedForTheServer() throws {
        func host(_ text: String) throws -> HTTPParseError? {
            var parser = HTTPRequestParser()
            parser.append(Array(text.utf8))
            return try XCTUnwrap(try parser.next()).hostProblem
        }
        XCTAssertNil(try host("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertNil(try host("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertEqual(try host("GET / HTTP/1.1\r\n\r\n"), .invalidHost)
        XCTAssertEqual(try host("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), .invalidHost)
    }

    func testTargetWithSpaceControlNonASCIIOrFragmentIsInvalid() {
        assertRequestError("GET /a b HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET  / HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET /a\tb HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET /a\u{0}b HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET /a\u{7F} HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET /café HTTP/1.1\r\n\r\n", .invalidTarget)
        assertRequestError("GET /a#top HTTP/1.1\r\n\r\n", .invalidTarget)
    }

    func testOtherWellFormedVersionsAreUnsupported() {
        for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"] {
            assertRequestError("GET / \(version)\r\n\r\n", .unsupportedVersion)
        }
        XCTAssertEqual(HTTPParseError.unsupportedVersion.status, 400)
    }

    func testHTTP2PrefaceIsAnsweredWithUnsupportedVersion() {
        assertRequestError("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .unsupportedVersion)
    }

    func testMalformedVersionIsInvalidRequestLine() {
        for version in ["HTTP/1", "http/1.1", "HTTP/1.1x", "HTTP/11.1", "HTTP/1,1", "HTTPS/1.1", "garbage", ""] {
            assertRequestError("GET / \(version)\r\n\r\n", .invalidRequestLine)
        }
    }

    func testRequestLineWithoutTwoSpacesIsInvalid() {
        assertRequestError("garbage\r\n\r\n", .invalidRequestLine)
        assertRequestError("GET\r\n\r\n", .invalidRequestLine)
        assertRequestError("GET /\r\n\r\n", .invalidRequestLine)
        assertRequestError("GET/HTTP/1.1\r\n\r\n", .invalidRequestLine)
    }

    func testBareCRInRequestLineIsRefused() {
        assertRequestError("GET / HTTP/1.1\r\r\n\r\n", .invalidRequestLine)
        assertRequestError("GET /\r HTTP/1.1\r\n\r\n", .invalidTarget)
    }

    func testLeadingEmptyLinesBeforeRequestLineAreIgnored() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("\r\nGET /a HTTP/1.1\r\n\r\n")).path, "/a")
        XCTAssertEqual(try XCTUnwrap(parseRequest("\r\n\n\r\nGET /b HTTP/1.1\r\n\r\n")).path, "/b")
    }

    /// A CR not followed by LF is not an empty line: it is the first byte of the method.
    func testBareCRBeforeRequestLineIsNotSkipped() {
        assertRequestError("\rGET / HTTP/1.1\r\n\r\n", .invalidMethod)
    }

    func testRequestLineErrorsAreAnswered400() {
        for error in [HTTPParseError.invalidRequestLine, .invalidMethod, .invalidTarget] {
            XCTAssertEqual(error.status, 400)
        }
    }
}
