/// Incremental request parser: feed bytes as they arrive, take complete requests out.
///
/// ```swift
/// var parser = HTTPRequestParser()
/// while let count = try socket.receive(into: &chunk) {   // whatever recv returned
///     parser.append(chunk[..<count])
///     while let request = try parser.next() { respond(to: request) }
/// }
/// ```
///
/// Pipelining works: several requests in one buffer come out one by one, and the bytes after a
/// body are the start of the next request. Call `next()` after every `append` until it answers
/// nil: the limits are checked there.
///
/// The rules (RFC 9112):
/// - Request line: `METHOD SP target SP HTTP/1.x`, with a token method, an origin-form target
///   (starting with `/`) or an absolute-form one (`http://host/path`, read as its path), visible
///   ASCII only, and `HTTP/1.0` or `HTTP/1.1`; another `HTTP/d.d` is `unsupportedVersion`,
///   anything else `invalidRequestLine`.
/// - Lines end with CRLF or, leniently, a bare LF. Empty lines before a request line are skipped
///   (they count towards the head limit). A bare CR elsewhere is refused.
/// - Header lines are `name: value` (see `HTTPHeaders`); a folded line is refused.
/// - The body is `Content-Length` bytes, or empty when there is none. `Transfer-Encoding` is
///   refused (501): chunked bodies are not supported.
/// - Limits (`HTTPLimits`) are enforced as early as possible: a head without its empty line is
///   refused as soon as it passes `maxHeaderBytes`; a body over `maxBodyBytes` is refused from
///   its `Content-Length`, before any of it is read.
///
/// Invariants: after a thrown error the parser is poisoned and every `next()` throws that error
/// again; the parser never holds more than `maxHeaderBytes` of an unfinished head plus the last
/// appended chunk; each byte of a head is examined once however the input is split, and the
/// requests (or the error) that come out do not depend on how the input was split.
public struct HTTPRequestParser: Sendable {
    /// Where the parser stands in the stream of requests.
    enum State {
        /// Looking for the end of a request head (or the start of one).
        case readingHead(HeadScan)
        /// The head was parsed; waiting for `length` body bytes.
        case readingBody(HTTPRequest, length: Int)
        /// The stream cannot be trusted any more: every `next()` throws this.
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private(set) var state: State = .readingHead(HeadScan())
    private var input = InputBuffer()

    /// Bodies at least this large are moved to the front of the buffer once their head is read,
    /// so that a body filling the whole buffer is handed over without a copy.
    private static let largeBody = 64 * 1024

    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    /// Adds bytes received from the peer (for example what `recv` wrote into a buffer).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        input.append(contentsOf: bytes)
    }

    /// Adds bytes received from the peer.
    public mutating func append(_ bytes: [UInt8]) {
        input.append(contentsOf: bytes)
    }

    /// Adds bytes received from the peer.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        input.append(contentsOf: bytes)
    }

    /// The next complete request, or nil when more bytes are needed.
    ///
    /// - Throws: the `HTTPParseError` for the first rule the input breaks; the same error on
    ///   every later call.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        do throws(HTTPParseError) {
            return try advance()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Whether bytes of an unfinished request are buffered, empty lines before a request line
    /// included: a server's deadline for a whole request runs from the first of them. False once
    /// failed.
    public var hasPartialRequest: Bool {
        switch state {
        case .readingBody: return true
        case .failed: return false
        case .readingHead: return input.readableCount > 0
        }
    }

    /// The head of the request whose body is awaited, if any: a server can vet it (route,
    /// authentication) before it reads a byte of the body.
    public var awaitedHead: HTTPRequest? {
        if case .readingBody(let request, _) = state { return request }
        return nil
    }

    /// Moves the state forward with the bytes at hand.
    private mutating func advance() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .failed(let error):
                throw error

            case .readingHead(var scan):
                switch input.searchHead(&scan, limit: limits.maxHeaderBytes) {
                case .incomplete:
                    state = .readingHead(scan)
                    return nil
                case .tooLarge:
                    throw .headerTooLarge
                case .complete(let length):
                    let (request, bodyLength) = try Self.parseHead(input.slice(0..<length), limits: limits)
                    input.consume(length)
                    if bodyLength == 0 {
                        state = .readingHead(HeadScan())
                        return request
                    }
                    if bodyLength >= Self.largeBody { input.moveReadableToFront() }
                    state = .readingBody(request, length: bodyLength)
                }

            case .readingBody(var request, let length):
                guard input.readableCount >= length else { return nil }
                state = .readingHead(HeadScan())
                request.body = input.take(length)
                return request
            }
        }
    }

    /// Parses a complete head into a request without its body, and the body's length.
    static func parseHead(_ head: ArraySlice<UInt8>, limits: HTTPLimits) throws(HTTPParseError) -> (HTTPRequest, Int) {
        var lines = HeadLines(head)
        guard let requestLine = lines.next() else { throw .invalidRequestLine }
        let (method, target, minorVersion) = try parseRequestLine(requestLine)
        let decoded = try RequestTarget(decoding: target)
        let headers = try HeaderRules.parseFields(&lines, maxCount: limits.maxHeaderCount)
        guard !headers.contains("Transfer-Encoding") else { throw .unsupportedTransferEncoding }
        let bodyLength = try HeaderRules.contentLength(headers) ?? 0
        guard bodyLength <= limits.maxBodyBytes else { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        let request = HTTPRequest(
            method: String(decoding: method, as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            decoded: decoded, minorVersion: minorVersion, headers: headers
        )
        return (request, bodyLength)
    }

    /// `request-line = method SP request-target SP HTTP-version` (RFC 9112 §3), checked in the
    /// order: shape, version (so an HTTP/2 preface gets 505), method, target.
    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError)
        -> (method: ArraySlice<UInt8>, target: ArraySlice<UInt8>, minorVersion: Int)
    {
        guard let firstSpace = line.firstIndex(of: ASCII.space),
              let lastSpace = line.lastIndex(of: ASCII.space),
              firstSpace < lastSpace, firstSpace > line.startIndex
        else { throw .invalidRequestLine }
        let minorVersion = try HeaderRules.parseVersion(line[(lastSpace + 1)...], malformed: .invalidRequestLine)
        let method = line[line.startIndex..<firstSpace]
        guard method.allSatisfy(ASCII.isTokenByte) else { throw .invalidMethod }
        let target = line[(firstSpace + 1)..<lastSpace]
        guard target.allSatisfy(ASCII.isTargetByte) else { throw .invalidTarget }
        if target.first == ASCII.slash { return (method, target, minorVersion) }
        return (method, try originForm(ofAbsolute: target), minorVersion)
    }

    /// The path and query of an absolute-form target (`http://host:port/path?query`, RFC 9112
    /// §3.2.2, which a server must accept): `/` when it has no path. The authority is dropped.
    static func originForm(ofAbsolute target: ArraySlice<UInt8>) throws(HTTPParseError) -> ArraySlice<UInt8> {
        let text = String(decoding: target.prefix(8), as: UTF8.self).lowercased()
        guard let scheme = ["http://", "https://"].first(where: { text.hasPrefix($0) }) else { throw .invalidTarget }
        let rest = target.dropFirst(scheme.utf8.count)
        guard let slash = rest.firstIndex(of: ASCII.slash) else {
            guard !rest.isEmpty, !rest.contains(ASCII.question) else { throw .invalidTarget }
            return [ASCII.slash][...]
        }
        guard slash > rest.startIndex else { throw .invalidTarget }
        return rest[slash...]
    }
}
