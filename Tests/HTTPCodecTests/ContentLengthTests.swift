import HTTPCodec
import XCTest

/// RFC 9112 §6: the body is `Content-Length` bytes; no `Transfer-Encoding` is supported.
final class ContentLengthTests: XCTestCase {
    func testNoContentLengthMeansAnEmptyBody() throws {
        let outcome = parseRequests("POST /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        XCTAssertEqual(outcome.requests.map(\.path), ["/a", "/b"])
        XCTAssertEqual(outcome.requests.first?.body, [])
    }

    func testBodyIsExactlyContentLengthBytes() throws {
        let request = try XCTUnwrap(parseRequest("POST /sync HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"))
        XCTAssertEqual(request.body, bytes("{\"ok\":true}"))
    }

    func testBinaryBodyIsKeptByteForByte() throws {
        let body: [UInt8] = [0, 13, 10, 13, 10, 255, 128, 0]
        let outcome = parseRequests([bytes("PUT /b HTTP/1.1\r\nContent-Length: 8\r\n\r\n") + body])
        XCTAssertEqual(outcome.requests.first?.body, body)
    }

    func testZeroContentLengthIsAnEmptyBody() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).body, [])
    }

    func testLeadingZerosAreDecimal() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n1234567")).body.count, 7)
    }

    /// `" 5"` is `Content-Length:  5`: the space is optional whitespace around the value, not part of it.
    func testWhitespaceAroundContentLengthIsOptionalWhitespace() throws {
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length:  5\r\n\r\nhello")).body, bytes("hello"))
        XCTAssertEqual(try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length:\t5 \t\r\n\r\nhello")).body, bytes("hello"))
    }

    func testContentLengthMustBeOnlyDigits() {
        for value in ["-1", "-0", "+5", "5 5", "5,5", "5, 5", "0x5", "5.0", "1e3", "", "abc", "５"] {
            assertRequestError("POST / HTTP/1.1\r\nContent-Length: \(value)\r\n\r\nhello", .invalidContentLength)
        }
    }

    func testContentLengthThatOverflowsIsInvalid() {
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength)
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", .invalidContentLength)
    }

    func testLargestIntContentLengthIsTooLargeNotInvalid() {
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", .bodyTooLarge(limit: 16 * 1024 * 1024))
    }

    func testEqualDuplicateContentLengthsAreAccepted() throws {
        let request = try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc"))
        XCTAssertEqual(request.body, bytes("abc"))
    }

    func testDifferentDuplicateContentLengthsConflict() {
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", .conflictingContentLength)
        XCTAssertEqual(HTTPParseError.conflictingContentLength.status, 400)
    }

    func testAnInvalidContentLengthAmongDuplicatesIsInvalid() {
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: x\r\n\r\nabc", .invalidContentLength)
    }

    func testAnyTransferEncodingIsRefusedWith411() {
        for value in ["chunked", "identity", "gzip, chunked", ""] {
            assertRequestError("POST / HTTP/1.1\r\nTransfer-Encoding: \(value)\r\n\r\n", .unsupportedTransferEncoding)
        }
        assertRequestError("POST / HTTP/1.1\r\nContent-Length: 5\r\ntransfer-encoding: chunked\r\n\r\nhello", .unsupportedTransferEncoding)
        XCTAssertEqual(HTTPParseError.unsupportedTransferEncoding.status, 411)
    }

    func testContentLengthOverTheLimitIsRefusedFromTheHeadAlone() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 100))
        parser.append(bytes("POST /sync HTTP/1.1\r\nContent-Length: 101\r\n\r\n"))  // no body byte sent
        XCTAssertThrowsError(try parser.next()) { error in
            XCTAssertEqual(error as? HTTPParseError, .bodyTooLarge(limit: 100))
        }
        XCTAssertEqual(HTTPParseError.bodyTooLarge(limit: 100).status, 413)
        XCTAssertEqual(HTTPParseError.bodyTooLarge(limit: 16_777_216).description,
                       "the message body is larger than the limit of 16777216 bytes")
    }

    func testContentLengthAtTheLimitIsAccepted() throws {
        let request = try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
                                                 limits: HTTPLimits(maxBodyBytes: 4)))
        XCTAssertEqual(request.body.count, 4)
    }

    /// A body shorter than declared never completes: the server's read timeout ends it.
    func testShorterBodyThanDeclaredWaitsForMoreBytes() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort"))
        XCTAssertNil(try parser.next())
        XCTAssertNil(try parser.next())
        XCTAssertTrue(parser.hasPartialRequest)
    }

    /// Bytes past the declared length are not part of the body: they start the next request.
    func testBytesAfterTheDeclaredBodyStartTheNextRequest() {
        let outcome = parseRequests("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\n")
        XCTAssertEqual(outcome.requests.map(\.body), [bytes("hi"), []])
        XCTAssertEqual(outcome.requests.map(\.path), ["/a", "/b"])

        let lying = parseRequests("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhello\r\n\r\n")
        XCTAssertEqual(lying.requests.map(\.body), [bytes("he")])
        XCTAssertEqual(lying.error, .invalidRequestLine, "\"llo\" is not a request line")
    }
}
