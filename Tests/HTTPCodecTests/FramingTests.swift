import HTTPCodec
import XCTest

/// How a stream of bytes is cut into requests, whatever pieces it arrives in.
final class FramingTests: XCTestCase {
    let post = "POST /sync?since=42 HTTP/1.1\r\nHost: boucle\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"changes\":[]}"

    func testRequestFedOneByteAtATimeIsTheRequestFedWhole() throws {
        let whole = parseRequests(post)
        XCTAssertEqual(whole.requests.count, 1)
        XCTAssertNil(whole.error)
        let byteByByte = parseRequests(bytes(post).map { [$0] })
        XCTAssertEqual(byteByByte, whole)
        XCTAssertEqual(byteByByte.requests.first?.body, bytes("{\"changes\":[]}"))
    }

    func testNextAnswersNilUntilTheLastByteArrives() throws {
        var parser = HTTPRequestParser()
        let raw = bytes(post)
        for byte in raw.dropLast() {
            parser.append([byte])
            XCTAssertNil(try parser.next())
        }
        parser.append([raw[raw.count - 1]])
        XCTAssertNotNil(try parser.next())
        XCTAssertNil(try parser.next())
    }

    func testTwoPipelinedRequestsInOneBufferComeOutOneByOne() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes(post + "GET /status HTTP/1.1\r\nHost: boucle\r\n\r\n"))
        let first = try XCTUnwrap(try parser.next())
        XCTAssertEqual(first.path, "/sync")
        XCTAssertEqual(first.body, bytes("{\"changes\":[]}"))
        let second = try XCTUnwrap(try parser.next())
        XCTAssertEqual(second.path, "/status")
        XCTAssertEqual(second.body, [])
        XCTAssertNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPipelinedRequestSplitAcrossReadsIsCompletedByTheNextRead() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET /a HTTP/1.1\r\n\r\nGET /b HT"))
        XCTAssertEqual(try parser.next()?.path, "/a")
        XCTAssertNil(try parser.next())
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(bytes("TP/1.1\r\n\r\n"))
        XCTAssertEqual(try parser.next()?.path, "/b")
    }

    func testParserIsPoisonedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET / HTTP/2.0\r\n\r\n"))
        for _ in 0..<3 {
            XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .unsupportedVersion) }
        }
        parser.append(bytes("GET / HTTP/1.1\r\n\r\n"))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .unsupportedVersion) }
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPartialRequestIsReportedOnlyWhileARequestIsUnfinished() throws {
        var parser = HTTPRequestParser()
        XCTAssertFalse(parser.hasPartialRequest, "nothing received")
        parser.append(bytes("\r\n"))
        XCTAssertNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest, "empty lines are not a request")
        parser.append(bytes("PO"))
        XCTAssertNil(try parser.next())
        XCTAssertTrue(parser.hasPartialRequest, "a head begun")
        parser.append(bytes("ST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na"))
        XCTAssertNil(try parser.next())
        XCTAssertTrue(parser.hasPartialRequest, "a body awaited")
        parser.append(bytes("bc"))
        XCTAssertNotNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest, "everything consumed")
    }

    func testRawBufferAppendIsTheSameAsArrayAppend() throws {
        var parser = HTTPRequestParser()
        bytes(post).withUnsafeBytes { parser.append($0) }
        XCTAssertEqual(try parser.next(), parseRequests(post).requests.first)
    }

    func testLargeBodyInManyReadsArrivesIntactAndTheNextRequestFollows() throws {
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let raw = bytes("PUT /blob HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n") + body + bytes("GET /after HTTP/1.1\r\n\r\n")
        var parser = HTTPRequestParser()
        var requests: [HTTPRequest] = []
        var start = 0
        while start < raw.count {
            let end = min(raw.count, start + 65_536)
            parser.append(raw[start..<end])
            start = end
            while let request = try parser.next() { requests.append(request) }
        }
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests.first?.body, body)
        XCTAssertEqual(requests.last?.path, "/after")
    }

    func testManyPipelinedRequestsFedInOddPiecesAllComeOut() throws {
        let one = bytes("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        let raw = Array(Array(repeating: one, count: 1000).joined())
        var parser = HTTPRequestParser()
        var count = 0
        var start = 0
        while start < raw.count {
            let end = min(raw.count, start + 7919)
            parser.append(raw[start..<end])
            start = end
            while let request = try parser.next() {
                XCTAssertEqual(request.body, bytes("hello"))
                count += 1
            }
        }
        XCTAssertEqual(count, 1000)
    }
}
