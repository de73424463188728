import BoucleCore
import Foundation
import HTTPCodec
import XCTest

/// The bytes of a string, for raw-byte fixtures.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// What a request parser made of some input: the requests that came out, then the error that
/// stopped it (nil when it simply ran out of bytes).
struct RequestOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
}

/// Feeds `chunks` one after the other to a fresh parser, taking requests out after each.
func parseRequests(_ chunks: [[UInt8]], limits: HTTPLimits = .init()) -> RequestOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = RequestOutcome()
    for chunk in chunks {
        parser.append(chunk)
        do throws(HTTPParseError) {
            while let request = try parser.next() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

func parseRequests(_ text: String, limits: HTTPLimits = .init()) -> RequestOutcome {
    parseRequests([bytes(text)], limits: limits)
}

/// The one request in `text`, failing the test when there is not exactly one.
func parseRequest(_ text: String, limits: HTTPLimits = .init(), file: StaticString = #filePath, line: UInt = #line) -> HTTPRequest? {
    let outcome = parseRequests(text, limits: limits)
    XCTAssertNil(outcome.error, "unexpected error for \(text.debugDescription)", file: file, line: line)
    XCTAssertEqual(outcome.requests.count, 1, "expected one request in \(text.debugDescription)", file: file, line: line)
    return outcome.requests.first
}

/// Asserts that `text` makes the request parser throw `expected`, and no request comes out first.
func assertRequestError(_ text: String, _ expected: HTTPParseError, limits: HTTPLimits = .init(),
                        file: StaticString = #filePath, line: UInt = #line) {
    let outcome = parseRequests(text, limits: limits)
    XCTAssertEqual(outcome.error, expected, "for \(text.debugDescription)", file: file, line: line)
    XCTAssertEqual(outcome.requests, [], "for \(text.debugDescription)", file: file, line: line)
}

/// What a response parser made of some input.
struct ResponseOutcome: Equatable {
    var responses: [HTTPResponse] = []
    var error: HTTPParseError?
}

/// Feeds `chunks` to a fresh response parser, then (when `close`) tells it the server closed.
func parseResponses(_ chunks: [[UInt8]], method: String = "GET", close: Bool = false,
                    limits: HTTPLimits = .init()) -> ResponseOutcome {
    var parser = HTTPResponseParser(limits: limits)
    var outcome = ResponseOutcome()
    do throws(HTTPParseError) {
        for chunk in chunks {
            parser.append(chunk)
            while let response = try parser.next(forRequestMethod: method) { outcome.responses.append(response) }
        }
        if close {
            parser.finish()
            while let response = try parser.next(forRequestMethod: method) { outcome.responses.append(response) }
        }
    } catch {
        outcome.error = error
    }
    return outcome
}

/// The seed for a randomized test: `BOUCLE_TEST_SEED` if set, else a fresh one; printed so a
/// failure can be replayed.
func testSeed(_ test: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["BOUCLE_TEST_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 0...UInt64.max)
    print("\(test): seed \(seed) (replay with BOUCLE_TEST_SEED=\(seed))")
    return seed
}


/// `input` cut at random places into chunks (some empty), as `recv` might return it.
func randomChunks(_ input: [UInt8], using rng: inout SeededGenerator) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    while start < input.count {
        let length = Int.random(in: 0...min(input.count - start, 40), using: &rng)
        chunks.append(Array(input[start..<(start + length)]))
        start += length
    }
    return chunks
}
