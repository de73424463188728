/// One HTTP/1.x request: what `HTTPRequestParser` hands the server, or what the client builds
/// and serializes.
///
/// ```swift
/// var request = HTTPRequest(method: "POST", target: "/sync?since=42", body: Array(json.utf8))
/// request.headers.add("Host", "boucle.example")
/// socket.send(request.serialized())
/// ```
///
/// Invariants, for a parsed request: `method` is a token; `target` is exactly as received,
/// visible ASCII starting with `/`; `path` and `query` are decoded from it (see below) and are
/// valid UTF-8 without NUL; `minorVersion` is 0 or 1; `body` is exactly `Content-Length` bytes
/// (empty when there was none). `path` and `query` are computed once, when the request is parsed
/// or made: changing `target` afterwards does not update them.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The request target as sent: the path and the query, still percent-encoded.
    public var target: String
    /// The target's path without the query, percent-decoded (`+` stays `+`), not normalized:
    /// `..` segments are kept as they are.
    public var path: String
    /// The query's `name=value` pairs, percent-decoded with `+` as a space; the last of a
    /// repeated name wins; a bare `name` has the value "".
    public var query: [String: String]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    /// The fault of the request's `Host` fields, if any (RFC 9112 §3.2: a server answers 400 to
    /// an HTTP/1.1 request without one, and to any request with more than one). Left to the
    /// server, not the parser, which reads any message.
    public var hostProblem: HTTPParseError? {
        let hosts = headers.values("Host").count
        return hosts > 1 || (minorVersion >= 1 && hosts == 0) ? .invalidHost : nil
    }

    /// Whether the connection stays open after this request (RFC 9112 §9.3): a `Connection`
    /// field listing `close` closes it; otherwise HTTP/1.1 keeps it open, and HTTP/1.0 keeps it
    /// open only when `Connection` lists `keep-alive`.
    public var keepAlive: Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        if minorVersion >= 1 { return true }
        return headers.containsToken("keep-alive", in: "Connection")
    }

    /// An HTTP/1.1 request for a client to send. `path` and `query` are decoded from `target`
    /// as a server would; a target a server would refuse keeps its raw path and an empty query.
    public init(method: String, target: String, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        minorVersion = 1
        if let decoded = try? RequestTarget(decoding: Array(target.utf8)[...]) {
            path = decoded.path
            query = decoded.query
        } else {
            path = String(target.prefix { $0 != "?" })
            query = [:]
        }
    }

    /// A parsed request, its parts already checked.
    init(method: String, target: String, decoded: RequestTarget, minorVersion: Int, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        path = decoded.path
        query = decoded.query
        self.minorVersion = minorVersion
        self.headers = headers
        body = []
    }
}

extension HTTPRequest {
    /// The request as bytes for a client to send: `METHOD target HTTP/1.x`, the headers as
    /// given, then `Content-Length` (computed) when the body is not empty or the method is POST,
    /// PUT or PATCH (which define a body), an empty line and the body.
    ///
    /// Any `Content-Length` among the headers is replaced by the computed one (or dropped).
    /// `Host` is not added: the caller gives it. CR and LF in the method, the target or a field
    /// are written as spaces, so nothing can end a line early.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + body.count)
        appendNeutralized(method, to: &bytes)
        bytes.append(ASCII.space)
        appendNeutralized(target, to: &bytes)
        bytes.append(contentsOf: " HTTP/1.\(minorVersion)\r\n".utf8)
        headers.write(to: &bytes, skipping: "Content-Length")
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            bytes.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        bytes.append(contentsOf: body)
        return bytes
    }

    private func appendNeutralized(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            bytes.append(byte == ASCII.cr || byte == ASCII.lf ? ASCII.space : byte)
        }
    }
}
