/// What was wrong with the bytes a parser was given, one case per rule of RFC 9112 it checks.
///
/// A parser that throws one is poisoned: every later `next()` throws the same error, because
/// the framing of whatever follows can no longer be trusted. A server answers with `status`
/// (and `description` as the body, if it likes) and closes the connection.
///
/// Invariant: no case carries bytes of the message, so an error can be logged without leaking
/// a header value, a path or a body.
public enum HTTPParseError: Error, Equatable, CustomStringConvertible {
    /// The request line is not `METHOD SP target SP HTTP/1.x`.
    case invalidRequestLine
    /// The method has characters other than token characters.
    case invalidMethod
    /// The target is neither origin-form (starting with `/`) nor absolute-form (`http://host/…`),
    /// has a space, a control or non-ASCII byte or a `#`,
    /// has a malformed percent escape, or decodes to NUL or to bytes that are not UTF-8.
    case invalidTarget
    /// The version is well formed (`HTTP/d.d`) but neither HTTP/1.0 nor HTTP/1.1.
    case unsupportedVersion
    /// The start line and header fields exceed `HTTPLimits.maxHeaderBytes`.
    case headerTooLarge
    /// There are more header field lines than `HTTPLimits.maxHeaderCount`.
    case tooManyHeaders
    /// A header line is not `name: value` with a token name, or it is folded (starts with
    /// whitespace), or its value has a control character or bytes that are not UTF-8.
    case invalidHeader
    /// A `Content-Length` value is not a plain decimal number that fits in an `Int`.
    case invalidContentLength
    /// Several `Content-Length` fields give different lengths.
    case conflictingContentLength
    /// The declared (or received) body is larger than `limit` bytes.
    case bodyTooLarge(limit: Int)
    /// A `Transfer-Encoding` field is present: only `Content-Length` bodies are supported.
    case unsupportedTransferEncoding
    /// The status line of a response is not `HTTP/1.x SP 3DIGIT SP reason`.
    case invalidStatusLine
    /// An HTTP/1.1 request without a `Host` field, or any request with more than one
    /// (RFC 9112 §3.2: a server answers 400; `HTTPRequest.hostProblem`).
    case invalidHost
    /// A response came after more interim (1xx) responses than `HTTPLimits.maxInterimResponses`.
    case tooManyInterimResponses

    /// The status code a server answers with: 400 for malformed messages, 413 for a body over
    /// the limit, 431 for a head over the limits, 411 (Length Required) for a transfer coding, 400 for a version: every
    /// refusal of bad input is a 4xx, as the product promises.
    public var status: Int {
        switch self {
        case .bodyTooLarge: return 413
        case .headerTooLarge, .tooManyHeaders: return 431
        case .unsupportedTransferEncoding: return 411
        case .unsupportedVersion: return 400
        case .invalidRequestLine, .invalidMethod, .invalidTarget, .invalidHeader,
             .invalidContentLength, .conflictingContentLength, .invalidStatusLine, .invalidHost, .tooManyInterimResponses:
            return 400
        }
    }

    /// A short sentence a client developer can act on.
    public var description: String {
        switch self {
        case .invalidRequestLine:
            return "the request line must be `METHOD /path HTTP/1.1` with single spaces, ended by CRLF"
        case .invalidMethod:
            return "the request method must be a token: letters, digits and !#$%&'*+-.^_`|~ only"
        case .invalidTarget:
            return "the request target must start with \"/\", use only visible ASCII (percent-encode the rest), "
                + "and its percent escapes must be two hex digits decoding to UTF-8 without NUL"
        case .unsupportedVersion:
            return "the HTTP version is not supported: use HTTP/1.1 or HTTP/1.0"
        case .headerTooLarge:
            return "the start line and header fields are larger than the limit: send fewer or shorter header fields"
        case .tooManyHeaders:
            return "there are more header fields than the limit: send fewer header fields"
        case .invalidHeader:
            return "a header field is malformed: each line must be `Name: value` with a token name, "
                + "no space before the colon, no line folding, no control characters and UTF-8 text"
        case .invalidContentLength:
            return "the Content-Length header must be a plain decimal number of bytes"
        case .conflictingContentLength:
            return "several Content-Length headers give different lengths: send exactly one"
        case .bodyTooLarge(let limit):
            return "the message body is larger than the limit of \(limit) bytes"
        case .unsupportedTransferEncoding:
            return "Transfer-Encoding is not supported: send the body with a Content-Length header instead"
        case .invalidStatusLine:
            return "the status line must be `HTTP/1.1 200 Reason`, ended by CRLF"
        case .invalidHost:
            return "an HTTP/1.1 request needs exactly one Host header field"
        case .tooManyInterimResponses:
            return "the server sent more interim (1xx) responses than the limit before its answer"
        }
    }
}
