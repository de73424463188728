import HTTPCodec
import XCTest

/// The client side: RFC 9112 §4 (status line) and §6.3 (how a response body is delimited).
final class ResponseParserTests: XCTestCase {
    let golden = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"changes\":[1]}"

    func testGoldenResponseFedByteByByteIsTheResponseFedWhole() throws {
        let expected = HTTPResponse(status: 200, headers: ["Content-Type": "application/json", "Content-Length": "15"],
                                    body: bytes("{\"changes\":[1]}"))
        XCTAssertEqual(parseResponses([bytes(golden)]), ResponseOutcome(responses: [expected]))
        XCTAssertEqual(parseResponses(bytes(golden).map { [$0] }), ResponseOutcome(responses: [expected]))
    }

    func testTwoResponsesBackToBackComeOutOneByOne() {
        let second = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
        let outcome = parseResponses([bytes(golden + second)])
        XCTAssertEqual(outcome.responses.map(\.status), [200, 404])
        XCTAssertEqual(outcome.responses.map(\.body), [bytes("{\"changes\":[1]}"), bytes("not found")])
        XCTAssertNil(outcome.error)
    }

    func testNoContentResponseWithoutContentLengthHasNoBody() {
        let outcome = parseResponses([bytes("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n" + golden)])
        XCTAssertEqual(outcome.responses, [HTTPResponse(status: 204, headers: ["X-A": "1"]),
                                           parseResponses([bytes(golden)]).responses[0]])
    }

    func testNotModifiedResponseHasNoBodyWhateverItsHeadersSay() {
        let outcome = parseResponses([bytes("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n" + golden)])
        XCTAssertEqual(outcome.responses.map(\.status), [304, 200])
        XCTAssertEqual(outcome.responses.first?.body, [])
    }

    func testResponseToHEADHasNoBody() {
        let outcome = parseResponses([bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")], method: "HEAD")
        XCTAssertEqual(outcome.responses, [HTTPResponse(status: 200, headers: ["Content-Length": "5"])])
    }

    func testInterimContinueIsSkippedForTheFinalResponse() {
        let outcome = parseResponses([bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + golden)])
        XCTAssertEqual(outcome.responses.map(\.status), [200])
    }

    func testSwitchingProtocolsEndsHTTP() {
        let outcome = parseResponses([bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + golden)])
        XCTAssertEqual(outcome.responses.map(\.status), [101])
    }

    func testResponseWithoutContentLengthRunsUntilTheServerCloses() {
        let raw = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this, until the close")
        XCTAssertEqual(parseResponses([raw]).responses, [], "not complete before the close")
        let closed = parseResponses([raw], close: true)
        XCTAssertEqual(closed.responses.map(\.body), [bytes("all of this, until the close")])
    }

    func testCloseDelimitedBodyOverTheLimitIsRefused() {
        let raw = bytes("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 101))
        XCTAssertEqual(parseResponses([raw], limits: HTTPLimits(maxBodyBytes: 100)).error, .bodyTooLarge(limit: 100))
    }

    func testResponseCutShortByTheCloseIsNotReturned() {
        let outcome = parseResponses([bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")], close: true)
        XCTAssertEqual(outcome, ResponseOutcome())
    }

    func testContentLengthOverTheLimitIsRefusedFromTheHead() {
        let raw = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        XCTAssertEqual(parseResponses([raw], limits: HTTPLimits(maxBodyBytes: 999)).error, .bodyTooLarge(limit: 999))
    }

    func testStatusLineMayOmitTheReason() {
        for line in ["HTTP/1.1 200", "HTTP/1.1 200 ", "HTTP/1.0 200 Très bien", "HTTP/1.1 200 OK\tfine"] {
            XCTAssertEqual(parseResponses([bytes(line + "\r\nContent-Length: 0\r\n\r\n")]).responses.map(\.status), [200], line)
        }
    }

    func testMalformedStatusLineIsInvalid() {
        for line in ["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 OK", "HTTP/1.1 099 Low", "HTTP/1.1 600 High",
                     "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "HTTP/2 200", "ICY 200 OK", "HTTP/1.1", "HTTP/1.1 200 O\u{0}K"] {
            XCTAssertEqual(parseResponses([bytes(line + "\r\n\r\n")]).error, .invalidStatusLine, line)
        }
    }

    func testOtherVersionsAreUnsupported() {
        XCTAssertEqual(parseResponses([bytes("HTTP/2.0 200 OK\r\n\r\n")]).error, .unsupportedVersion)
    }

    func testChunkedResponseIsRefused() {
        let raw = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(parseResponses([raw]).error, .unsupportedTransferEncoding)
    }

    func testConflictingContentLengthsAreRefused() {
        let raw = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        XCTAssertEqual(parseResponses([raw]).error, .conflictingContentLength)
    }

    func testResponseParserIsPoisonedAfterAnError() {
        var parser = HTTPResponseParser()
        parser.append(bytes("HTTP/1.1 2 OK\r\n\r\n"))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .invalidStatusLine) }
        parser.append(bytes(golden))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .invalidStatusLine) }
    }

    func testEndlessResponseHeadIsCutOff() {
        let raw = bytes("HTTP/1.1 200 OK\r\nX: " + String(repeating: "y", count: 5000))
        XCTAssertEqual(parseResponses([raw], limits: HTTPLimits(maxHeaderBytes: 4096)).error, .headerTooLarge)
    }
}
