import BoucleCore
import HTTPCodec
import XCTest

/// Hostile input: random and mutated bytes never crash a parser, and what comes out never
/// depends on how the bytes were split.
final class RandomInputTests: XCTestCase {
    static let requestCorpus = [
        "GET /offers?tag=food&q=a+b%20c HTTP/1.1\r\nHost: boucle\r\nAccept: */*\r\n\r\n",
        "POST /sync HTTP/1.1\r\nHost: boucle\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        "GET /a HTTP/1.0\nConnection: keep-alive\n\nPUT /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET / HTTP/1.1\r\n\r\n",
        "\r\nDELETE /r/%C3%A9 HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
    ].map(bytes)

    static let responseCorpus = [
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!",
        "HTTP/1.0 200 OK\nServer: x\n\nuntil the close",
    ].map(bytes)

    /// Bytes that matter to the grammar, so that mutations reach deep into it.
    static let interesting: [UInt8] = bytes("\r\n\r\n :\t%+?&=/0123456789HTTP/1.1GETPOSTContent-Length: Transfer-Encoding") + [0, 0x7F, 0x80, 0xFF]

    /// Random bytes, or a corpus entry with a few random mutations.
    static func input(from corpus: [[UInt8]], using rng: inout SeededGenerator) -> [UInt8] {
        if Int.random(in: 0..<4, using: &rng) == 0 {
            return (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        var input = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = Int.random(in: 0...input.count, using: &rng)
            let byte = Bool.random(using: &rng) ? interesting[Int.random(in: 0..<interesting.count, using: &rng)]
                                                : UInt8.random(in: 0...255, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where position < input.count: input[position] = byte
            case 1: input.insert(byte, at: position)
            case 2 where position < input.count:
                input.removeSubrange(position..<min(input.count, position + Int.random(in: 1...8, using: &rng)))
            case 3 where position < input.count:
                let piece = input[position..<min(input.count, position + Int.random(in: 1...20, using: &rng))]
                input.insert(contentsOf: piece, at: position)
            case 4: input = Array(input.prefix(position))
            default: input.insert(byte, at: position)
            }
        }
        return input
    }

    let limits = HTTPLimits(maxHeaderBytes: 200, maxHeaderCount: 6, maxBodyBytes: 64)

    func testRandomBytesNeverCrashTheRequestParserAndSplittingChangesNothing() {
        let seed = testSeed(#function)
        var rng = SeededGenerator(seed: seed)
        var counts = (requests: 0, errors: 0, waiting: 0)
        for iteration in 0..<10_000 {
            let input = Self.input(from: Self.requestCorpus, using: &rng)
            let whole = parseRequests([input], limits: limits)
            let split = parseRequests(randomChunks(input, using: &rng), limits: limits)
            XCTAssertEqual(split, whole, "seed \(seed) iteration \(iteration): \(input)")
            for request in whole.requests {
                XCTAssertTrue(request.target.hasPrefix("/"), "seed \(seed) iteration \(iteration)")
                XCTAssertTrue([0, 1].contains(request.minorVersion))
                XCTAssertLessThanOrEqual(request.body.count, limits.maxBodyBytes)
                XCTAssertLessThanOrEqual(request.headers.count, limits.maxHeaderCount)
                XCTAssertFalse(request.path.utf8.contains(0))
            }
            counts.requests += whole.requests.count
            if whole.error != nil { counts.errors += 1 } else { counts.waiting += 1 }
        }
        print("\(#function): \(counts.requests) requests, \(counts.errors) inputs refused, \(counts.waiting) waiting for more")
        XCTAssertGreaterThan(counts.requests, 1000, "seed \(seed): mutations too destructive to reach the end of a request")
        XCTAssertGreaterThan(counts.errors, 1000, "seed \(seed): mutations too gentle to reach the errors")
    }

    func testAPoisonedRequestParserKeepsThrowingTheSameError() {
        let seed = testSeed(#function)
        var rng = SeededGenerator(seed: seed)
        for iteration in 0..<2_000 {
            var parser = HTTPRequestParser(limits: limits)
            parser.append(Self.input(from: Self.requestCorpus, using: &rng))
            var first: HTTPParseError?
            do throws(HTTPParseError) {
                while try parser.next() != nil {}
            } catch {
                first = error
            }
            guard let first else { continue }
            parser.append(Self.requestCorpus[0])
            do throws(HTTPParseError) {
                _ = try parser.next()
                XCTFail("seed \(seed) iteration \(iteration): a poisoned parser answered")
            } catch {
                XCTAssertEqual(error, first, "seed \(seed) iteration \(iteration)")
            }
        }
    }

    func testRandomBytesNeverCrashTheResponseParserAndSplittingChangesNothing() {
        let seed = testSeed(#function)
        var rng = SeededGenerator(seed: seed)
        var responses = 0
        for iteration in 0..<10_000 {
            let input = Self.input(from: Self.responseCorpus, using: &rng)
            let method = Int.random(in: 0..<5, using: &rng) == 0 ? "HEAD" : "GET"
            let whole = parseResponses([input], method: method, close: true, limits: limits)
            let split = parseResponses(randomChunks(input, using: &rng), method: method, close: true, limits: limits)
            XCTAssertEqual(split, whole, "seed \(seed) iteration \(iteration): \(input)")
            for response in whole.responses {
                XCTAssertTrue((100...599).contains(response.status))
                XCTAssertLessThanOrEqual(response.body.count, limits.maxBodyBytes)
            }
            responses += whole.responses.count
        }
        XCTAssertGreaterThan(responses, 1000, "seed \(seed): mutations too destructive to reach the end of a response")
    }
}
