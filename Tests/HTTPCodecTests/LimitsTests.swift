import HTTPCodec
import XCTest

/// `HTTPLimits`: a peer cannot make the parser hold an unbounded head, nor announce an unbounded body.
final class LimitsTests: XCTestCase {
    /// A client sending header lines forever is cut off as soon as the buffered head passes the
    /// limit, long before any blank line (there is none).
    func testEndlessHeaderIsCutOffAsSoonAsItPassesTheLimit() {
        let limit = 1024
        var parser = HTTPRequestParser(limits: HTTPLimits(maxHeaderBytes: limit))
        parser.append(bytes("GET / HTTP/1.1\r\n"))
        var sent = 16
        let line = bytes("X-Filler: " + String(repeating: "a", count: 88) + "\r\n")  // 100 bytes
        while sent < 10 * limit {
            parser.append(line)
            sent += line.count
            do {
                _ = try parser.next()
            } catch {
                XCTAssertEqual(error, .headerTooLarge)
                break
            }
        }
        XCTAssertGreaterThan(sent, limit)
        XCTAssertLessThanOrEqual(sent, limit + line.count, "refused within one chunk of passing the limit")
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .headerTooLarge) }
    }

    func testSingleEndlessLineWithoutLineEndIsCutOff() {
        let outcome = parseRequests([bytes("GET /" + String(repeating: "a", count: 2000))],
                                    limits: HTTPLimits(maxHeaderBytes: 1000))
        XCTAssertEqual(outcome.error, .headerTooLarge)
    }

    func testHeadOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused() throws {
        let head = "GET / HTTP/1.1\r\nHost: boucle\r\n\r\n"
        let size = head.utf8.count
        XCTAssertNotNil(parseRequest(head, limits: HTTPLimits(maxHeaderBytes: size)))
        assertRequestError(head, .headerTooLarge, limits: HTTPLimits(maxHeaderBytes: size - 1))
    }

    func testBodyDoesNotCountTowardsTheHeadLimit() throws {
        let request = try XCTUnwrap(parseRequest("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + String(repeating: "b", count: 100),
                                                 limits: HTTPLimits(maxHeaderBytes: 64)))
        XCTAssertEqual(request.body.count, 100)
    }

    func testLimitAppliesToEachPipelinedRequestSeparately() {
        let one = "GET / HTTP/1.1\r\nHost: boucle\r\n\r\n"
        let outcome = parseRequests(String(repeating: one, count: 5), limits: HTTPLimits(maxHeaderBytes: one.utf8.count))
        XCTAssertEqual(outcome.requests.count, 5)
        XCTAssertNil(outcome.error)
    }

    func testEndlessEmptyLinesBeforeARequestAreCutOff() {
        let outcome = parseRequests([bytes(String(repeating: "\r\n", count: 600))], limits: HTTPLimits(maxHeaderBytes: 1000))
        XCTAssertEqual(outcome.error, .headerTooLarge)
    }

    func testHeaderCountAtTheLimitIsAcceptedAndOneMoreIsRefused() {
        func request(headers: Int) -> String {
            "GET / HTTP/1.1\r\n" + (0..<headers).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        XCTAssertEqual(parseRequest(request(headers: 100))?.headers.count, 100)
        assertRequestError(request(headers: 101), .tooManyHeaders)
        XCTAssertEqual(parseRequest(request(headers: 3), limits: HTTPLimits(maxHeaderCount: 3))?.headers.count, 3)
        assertRequestError(request(headers: 4), .tooManyHeaders, limits: HTTPLimits(maxHeaderCount: 3))
    }

    func testHeadLimitErrorsAreAnswered431() {
        XCTAssertEqual(HTTPParseError.headerTooLarge.status, 431)
        XCTAssertEqual(HTTPParseError.tooManyHeaders.status, 431)
    }
}
