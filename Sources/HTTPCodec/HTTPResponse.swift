/// One HTTP/1.1 response: what the server serializes, or what `HTTPResponseParser` hands the client.
///
/// ```swift
/// let response = HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: bytes)
/// socket.send(response.serialized())  // HTTP/1.1 200 OK, the headers, Content-Length, the body
/// ```
///
/// Invariants: `status` is in 100...999 when serialized (a status outside is a programming error
/// and traps); the serialized head always carries the body's real length, so a wrong
/// `Content-Length` given by the caller can never desynchronize the connection; a 1xx, 204 or 304
/// response is written without a body and without `Content-Length` (RFC 9110 §8.6, §15.3.5, §15.4.5).
/// A parsed response has no reason phrase: only the code carries meaning.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether a response with this status never has a body: 1xx, 204 No Content, 304 Not Modified.
    public static func isBodiless(_ status: Int) -> Bool {
        (100...199).contains(status) || status == 204 || status == 304
    }

    /// The reason phrase for `status` (RFC 9110 §15), or the name of its class for a code
    /// without a registered phrase here.
    public static func reason(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        case 100...199: return "Informational"
        case 200...299: return "Success"
        case 300...399: return "Redirection"
        case 400...499: return "Client Error"
        case 500...599: return "Server Error"
        default: return "Unknown"
        }
    }

    /// The response as bytes: `HTTP/1.1 <status> <reason>`, the headers as given (any
    /// `Content-Length` among them dropped), then `Content-Length: <body.count>`, an empty line
    /// and the body. A 1xx, 204 or 304 response gets neither `Content-Length` nor a body.
    ///
    /// - Parameter includingBody: false for the answer to a HEAD request: the head announces the
    ///   body's length, but the body itself is not written.
    public func serialized(includingBody: Bool = true) -> [UInt8] {
        precondition((100...999).contains(status), "an HTTP status code has three digits, not \(status)")
        let bodiless = Self.isBodiless(status)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + (includingBody && !bodiless ? body.count : 0))
        bytes.append(contentsOf: "HTTP/1.1 \(status) \(Self.reason(for: status))\r\n".utf8)
        headers.write(to: &bytes, skipping: "Content-Length")
        if !bodiless {
            bytes.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        if includingBody && !bodiless {
            bytes.append(contentsOf: body)
        }
        return bytes
    }
}
