/// Incremental response parser for the client: feed bytes as they arrive, take complete
/// responses out.
///
/// ```swift
/// var parser = HTTPResponseParser()
/// socket.send(request.serialized())
/// while true {
///     if let response = try parser.next(forRequestMethod: request.method) { return response }
///     let chunk = try socket.receive()
///     if chunk.isEmpty { parser.finish() } else { parser.append(chunk) }
/// }
/// ```
///
/// The rules (RFC 9112 §4, §6.3):
/// - Status line: `HTTP/1.x SP 3DIGIT SP reason`; the reason may be empty, and the space before
///   it may be missing. The reason is checked for control characters, then dropped.
/// - Header lines as for requests (see `HTTPRequestParser`), CRLF or bare LF line endings.
/// - Framing: a response to HEAD, and a 1xx, 204 or 304 response, has no body; otherwise a
///   `Transfer-Encoding` is refused (`unsupportedTransferEncoding`), a `Content-Length` gives
///   the body's length, and without one the body runs until the server closes the connection
///   (call `finish()` when `recv` returns 0).
/// - Interim 1xx responses (100 Continue, 103 Early Hints) are skipped: `next()` answers the
///   final response; more than `HTTPLimits.maxInterimResponses` of them before it is an error
///   (`tooManyInterimResponses`). A 101 Switching Protocols is returned, and ends HTTP on this
///   connection.
///
/// Invariants: after a thrown error the parser is poisoned and every `next()` throws that error
/// again; after a response delimited by the close, or a 101, `next()` answers nil for good;
/// limits are enforced as for requests, and a body delimited by the close is refused as soon as
/// it passes `maxBodyBytes`.
public struct HTTPResponseParser: Sendable {
    /// How the body of a response whose head was parsed is delimited.
    enum Framing: Equatable {
        case length(Int)
        case untilClose
    }

    /// Where the parser stands in the stream of responses.
    enum State {
        /// Looking for the end of a response head.
        case readingHead(HeadScan)
        /// The head was parsed; waiting for `length` body bytes.
        case readingBody(HTTPResponse, length: Int)
        /// The head was parsed; the body is everything until the peer closes.
        case readingUntilClose(HTTPResponse)
        /// No more responses on this connection (after a close-delimited response or a 101).
        case done
        /// The stream cannot be trusted any more: every `next()` throws this.
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private(set) var state: State = .readingHead(HeadScan())
    private var input = InputBuffer()
    private var inputEnded = false
    /// Interim responses skipped before the coming final one.
    private var interims = 0

    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    /// Adds bytes received from the server.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(contentsOf: bytes)
    }

    /// Adds bytes received from the server.
    public mutating func append(_ bytes: [UInt8]) {
        input.append(contentsOf: bytes)
    }

    /// Adds bytes received from the server.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        input.append(contentsOf: bytes)
    }

    /// Tells the parser the server closed the connection: a response delimited by the close is
    /// now complete. A response cut short stays incomplete: `next()` answers nil.
    public mutating func finish() {
        inputEnded = true
    }

    /// The next complete final response, or nil when more bytes are needed (or none will come).
    ///
    /// - Parameter method: the method of the request this response answers; a response to
    ///   `HEAD` has no body whatever its headers say.
    /// - Throws: the `HTTPParseError` for the first rule the input breaks; the same error on
    ///   every later call.
    public mutating func next(forRequestMethod method: String = "GET") throws(HTTPParseError) -> HTTPResponse? {
        do throws(HTTPParseError) {
            return try advance(method: method)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func advance(method: String) throws(HTTPParseError) -> HTTPResponse? {
        while true {
            switch state {
            case .failed(let error):
                throw error

            case .done:
                return nil

            case .readingHead(var scan):
                switch input.searchHead(&scan, limit: limits.maxHeaderBytes) {
                case .incomplete:
                    state = .readingHead(scan)
                    return nil
                case .tooLarge:
                    throw .headerTooLarge
                case .complete(let length):
                    let (response, framing) = try Self.parseHead(
                        input.slice(0..<length), limits: limits, toHEAD: method == "HEAD")
                    input.consume(length)
                    switch (response.status, framing) {
                    case (101, _):
                        state = .done
                        return response
                    case (100...199, _):
                        // Interim: the final response follows, after a bounded number of them.
                        interims += 1
                        guard interims <= limits.maxInterimResponses else { throw .tooManyInterimResponses }
                        state = .readingHead(HeadScan())
                    case (_, .length(0)):
                        state = .readingHead(HeadScan())
                        interims = 0
                        return response
                    case (_, .length(let bodyLength)):
                        state = .readingBody(response, length: bodyLength)
                    case (_, .untilClose):
                        state = .readingUntilClose(response)
                    }
                }

            case .readingBody(var response, let length):
                guard input.readableCount >= length else { return nil }
                state = .readingHead(HeadScan())
                interims = 0
                response.body = input.take(length)
                return response

            case .readingUntilClose(var response):
                guard input.readableCount <= limits.maxBodyBytes else {
                    throw .bodyTooLarge(limit: limits.maxBodyBytes)
                }
                guard inputEnded else { return nil }
                state = .done
                response.body = input.take(input.readableCount)
                return response
            }
        }
    }

    /// Parses a complete head into a response without its body, and how its body is delimited.
    static func parseHead(_ head: ArraySlice<UInt8>, limits: HTTPLimits, toHEAD: Bool) throws(HTTPParseError)
        -> (HTTPResponse, Framing)
    {
        var lines = HeadLines(head)
        guard let statusLine = lines.next() else { throw .invalidStatusLine }
        let status = try parseStatusLine(statusLine)
        let headers = try HeaderRules.parseFields(&lines, maxCount: limits.maxHeaderCount)
        let response = HTTPResponse(status: status, headers: headers)
        if toHEAD || HTTPResponse.isBodiless(status) { return (response, .length(0)) }
        guard !headers.contains("Transfer-Encoding") else { throw .unsupportedTransferEncoding }
        guard let length = try HeaderRules.contentLength(headers) else { return (response, .untilClose) }
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        return (response, .length(length))
    }

    /// `status-line = HTTP-version SP status-code SP [ reason-phrase ]` (RFC 9112 §4), with a
    /// status code from 100 to 599.
    static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        guard let space = line.firstIndex(of: ASCII.space) else { throw .invalidStatusLine }
        _ = try HeaderRules.parseVersion(line[line.startIndex..<space], malformed: .invalidStatusLine)
        let rest = line[(space + 1)...]
        guard rest.count >= 3 else { throw .invalidStatusLine }
        let digits = rest.prefix(3)
        guard digits.allSatisfy(ASCII.isDigit) else { throw .invalidStatusLine }
        let status = digits.reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
        guard (100...599).contains(status) else { throw .invalidStatusLine }
        let afterCode = rest.dropFirst(3)
        if let separator = afterCode.first {
            guard separator == ASCII.space, afterCode.dropFirst().allSatisfy(ASCII.isFieldValueByte) else {
                throw .invalidStatusLine
            }
        }
        return status
    }
}
