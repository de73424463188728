// libFuzzer target for the HTTP codec (HTTPRequestParser and HTTPResponseParser).
//
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file together with every file of
// Sources/HTTPCodec/ into one executable (one module), so it needs no `import HTTPCodec` and
// sees the codec's internal types.
//
// The rules checked for every input (any break is a `fatalError`, which libFuzzer records as a
// crash):
// - no parser traps, reads out of bounds or hangs, whatever the bytes;
// - what comes out (the messages, then the error that stopped the parser, or whether bytes of a
//   message are still waiting) does not depend on how the input was split: whole, in two pieces
//   cut where the first byte says, and in small pieces;
// - that holds with the default limits and with small ones (so the limits are reached);
// - every request or response that comes out is well formed, and serializing it then parsing the
//   bytes again gives the same message (its `Content-Length` recomputed);
// - a head the server vets before reading the body (`awaitedHead`) is the head of the request
//   that then comes out, and is counted as a request in progress (`hasPartialRequest`, which
//   starts the server's deadline); `hostProblem` holds exactly when the Host fields are wrong.

@_cdecl("LLVMFuzzerTestOneInput")
public func httpCodecFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    HTTPFuzz.check(input)
    return 0
}

enum HTTPFuzz {
    /// Small enough that mutated inputs of a few hundred bytes reach every limit.
    static let smallLimits = HTTPLimits(maxHeaderBytes: 200, maxHeaderCount: 6, maxBodyBytes: 64)
    /// Large enough that a message that came out of a parser always fits once re-serialized.
    static let roomyLimits = HTTPLimits(maxHeaderBytes: 1 << 20, maxHeaderCount: 1 << 16, maxBodyBytes: 1 << 24)

    static func check(_ input: [UInt8]) {
        let seed = Int(input.first ?? 0)
        // Whole; in two pieces cut at a place chosen by the first byte; in pieces of 1 to 7 bytes.
        let cut = seed * (input.count + 1) / 256
        let splits: [[ArraySlice<UInt8>]] = [
            [input[...]],
            [input[..<cut], input[cut...]],
            pieces(input, size: seed % 7 + 1),
        ]
        let method = seed & 1 == 1 ? "HEAD" : "GET"
        for limits in [HTTPLimits(), smallLimits] {
            let requests = splits.map { parseRequests($0, limits: limits) }
            for other in requests.dropFirst() where other != requests[0] {
                fatalError("request parser: splitting the input changed the outcome: \(requests[0]) vs \(other)")
            }
            requests[0].requests.forEach { checkRequest($0, limits: limits) }

            let responses = splits.map { parseResponses($0, method: method, limits: limits) }
            for other in responses.dropFirst() where other != responses[0] {
                fatalError("response parser: splitting the input changed the outcome: \(responses[0]) vs \(other)")
            }
            responses[0].responses.forEach { checkResponse($0, method: method, limits: limits) }
        }
    }

    static func pieces(_ input: [UInt8], size: Int) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: input.count, by: size).map { input[$0..<min(input.count, $0 + size)] }
    }

    // MARK: Requests

    struct RequestOutcome: Equatable {
        var requests: [HTTPRequest] = []
        var error: HTTPParseError?
        var partial = false
    }

    static func parseRequests(_ chunks: [ArraySlice<UInt8>], limits: HTTPLimits) -> RequestOutcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = RequestOutcome()
        do throws(HTTPParseError) {
            var awaited: HTTPRequest?
            for chunk in chunks {
                parser.append(chunk)
                while let request = try parser.next() {
                    if let head = awaited { checkVettedHead(head, of: request) }
                    awaited = nil
                    outcome.requests.append(request)
                }
                if let head = parser.awaitedHead {
                    if !parser.hasPartialRequest { fatalError("request parser: a head awaits its body, yet no request is in progress") }
                    awaited = head
                }
            }
        } catch {
            outcome.error = error
            // A poisoned parser throws the same error again, whatever comes next.
            parser.append([0x47, 0x45, 0x54, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2F, 0x31, 0x2E, 0x31, 0x0D, 0x0A, 0x0D, 0x0A])
            do throws(HTTPParseError) {
                _ = try parser.next()
                fatalError("request parser: a poisoned parser answered after \(error)")
            } catch let again {
                if again != error { fatalError("request parser: poisoned with \(error), then threw \(again)") }
            }
        }
        outcome.partial = parser.hasPartialRequest
        return outcome
    }

    /// The head a server vetted is the head of the request that came out, without its body.
    static func checkVettedHead(_ head: HTTPRequest, of request: HTTPRequest) {
        guard head.method == request.method, head.target == request.target, head.path == request.path,
              head.query == request.query, head.headers == request.headers, head.minorVersion == request.minorVersion,
              head.body.isEmpty
        else { fatalError("request parser: the vetted head \(head) is not the head of \(request)") }
    }

    static func checkRequest(_ request: HTTPRequest, limits: HTTPLimits) {
        let hosts = request.headers.values("Host").count
        if (request.hostProblem != nil) != (hosts > 1 || (request.minorVersion == 1 && hosts == 0)) {
            fatalError("request: hostProblem is \(String(describing: request.hostProblem)) with \(hosts) Host fields in \(request)")
        }
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(ASCII.isTokenByte),
              request.target.utf8.first == ASCII.slash, request.target.utf8.allSatisfy(ASCII.isTargetByte),
              request.minorVersion == 0 || request.minorVersion == 1,
              !request.path.utf8.contains(0),
              request.headers.count <= limits.maxHeaderCount,
              request.body.count <= limits.maxBodyBytes,
              !request.headers.contains("Transfer-Encoding")
        else { fatalError("request parser: a parsed request breaks the invariants: \(request)") }

        var again = HTTPRequestParser(limits: roomyLimits)
        again.append(request.serialized())
        let reparsed: HTTPRequest?
        do throws(HTTPParseError) {
            reparsed = try again.next()
        } catch {
            fatalError("request serialization: the serialized request does not parse: \(error) for \(request)")
        }
        guard let reparsed,
              reparsed.method == request.method, reparsed.target == request.target,
              reparsed.path == request.path, reparsed.query == request.query,
              reparsed.minorVersion == request.minorVersion, reparsed.body == request.body,
              withoutContentLength(reparsed.headers) == withoutContentLength(request.headers)
        else { fatalError("request serialization: parsing it again gave \(String(describing: reparsed)) for \(request)") }
    }

    // MARK: Responses

    struct ResponseOutcome: Equatable {
        var responses: [HTTPResponse] = []
        var error: HTTPParseError?
    }

    /// Feeds the chunks, then tells the parser the peer closed, taking responses out after each step.
    static func parseResponses(_ chunks: [ArraySlice<UInt8>], method: String, limits: HTTPLimits) -> ResponseOutcome {
        var parser = HTTPResponseParser(limits: limits)
        var outcome = ResponseOutcome()
        do throws(HTTPParseError) {
            for chunk in chunks {
                parser.append(chunk)
                while let response = try parser.next(forRequestMethod: method) { outcome.responses.append(response) }
            }
            parser.finish()
            while let response = try parser.next(forRequestMethod: method) { outcome.responses.append(response) }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    static func checkResponse(_ response: HTTPResponse, method: String, limits: HTTPLimits) {
        guard (100...599).contains(response.status),
              response.status == 101 || !(100...199).contains(response.status),
              response.headers.count <= limits.maxHeaderCount,
              response.body.count <= limits.maxBodyBytes,
              response.body.isEmpty || (method != "HEAD" && !HTTPResponse.isBodiless(response.status))
        else { fatalError("response parser: a parsed response breaks the invariants: \(response)") }

        var again = HTTPResponseParser(limits: roomyLimits)
        again.append(response.serialized())
        again.finish()
        let reparsed: HTTPResponse?
        do throws(HTTPParseError) {
            reparsed = try again.next(forRequestMethod: method)
        } catch {
            fatalError("response serialization: the serialized response does not parse: \(error) for \(response)")
        }
        guard let reparsed, reparsed.status == response.status, reparsed.body == response.body,
              withoutContentLength(reparsed.headers) == withoutContentLength(response.headers)
        else { fatalError("response serialization: parsing it again gave \(String(describing: reparsed)) for \(response)") }
    }

    static func withoutContentLength(_ headers: HTTPHeaders) -> HTTPHeaders {
        var headers = headers
        headers.remove("Content-Length")
        return headers
    }
}
