import BoucleCore
import HTTPCodec

/// A refusal of the Boucle server: why (a `Reason`, which carries its HTTP status and stable
/// code), a sentence for people, and for `stale_replica` the tenant's horizon.
///
/// The server encodes every error answer from one (`response()`): the JSON body
/// `{"error":{"code":"…","message":"…"}}` with the reason's status. The client decodes it by
/// `code` (`Refusal.decode(_:)`), so that a Boucle refusal is told apart from a proxy's bare
/// 502, 413 or 404. Messages name records and fields, never their values.
public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why a request was refused: each case is one row of Protocol/SERVER.md's error table.
    public enum Reason: String, CaseIterable, Sendable {
        /// Malformed HTTP, or a bad query parameter or header.
        case badRequest = "bad_request"
        /// The body is not a valid change-set (every SPEC §4 refusal).
        case invalidChangeSet = "invalid_changeset"
        /// No token, or an unknown or revoked one.
        case unauthorized
        /// The token's role may not make the request.
        case forbidden
        /// The change-set names another tenant than the token's.
        case wrongTenant = "wrong_tenant"
        /// No such endpoint.
        case notFound = "not_found"
        /// A known endpoint with another method.
        case methodNotAllowed = "method_not_allowed"
        /// The request did not arrive in full in time.
        case timeout
        /// A change names a record with another collection than the server's.
        case conflict
        /// The client's cursor is below the tenant's tombstone horizon: re-sync in full.
        case staleReplica = "stale_replica"
        /// The server went back in time (restored from a backup): the client's generation is
        /// not the server's, or its cursor is beyond the server's sequence. Send everything again.
        case serverRestored = "server_restored"
        /// A `Transfer-Encoding` body: send a `Content-Length`.
        case lengthRequired = "length_required"
        /// The body is over the server's limit.
        case bodyTooLarge = "body_too_large"
        /// A pushed change is stamped too far ahead of the server's clock.
        case clockAhead = "clock_ahead"
        /// The request line and header fields are over the limits.
        case headTooLarge = "head_too_large"
        /// The server failed; the request may be retried.
        case `internal`
        /// The server is at its connection limit or stopping.
        case busy
        /// The server's database cannot be opened.
        case unavailable

        /// The stable code of the JSON body.
        public var code: String { rawValue }

        /// The HTTP status this refusal is answered with.
        public var status: Int {
            switch self {
            case .badRequest, .invalidChangeSet: 400
            case .unauthorized: 401
            case .forbidden, .wrongTenant: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .timeout: 408
            case .conflict: 409
            case .staleReplica, .serverRestored: 410
            case .lengthRequired: 411
            case .bodyTooLarge: 413
            case .clockAhead: 422
            case .headTooLarge: 431
            case .internal: 500
            case .busy, .unavailable: 503
            }
        }
    }

    public let reason: Reason
    public let message: String
    /// With `stale_replica`: the tenant's horizon, also sent as headers.
    public let horizon: Horizon?

    public init(_ reason: Reason, _ message: String, horizon: Horizon? = nil) {
        self.reason = reason
        self.message = message
        self.horizon = horizon
    }

    /// The refusal of a request the HTTP parser could not read.
    public init(_ error: HTTPParseError) {
        let reason: Reason = switch error {
        case .bodyTooLarge: .bodyTooLarge
        case .headerTooLarge, .tooManyHeaders: .headTooLarge
        case .unsupportedTransferEncoding: .lengthRequired
        case .invalidRequestLine, .invalidMethod, .invalidTarget, .unsupportedVersion, .invalidHeader,
             .invalidContentLength, .conflictingContentLength, .invalidStatusLine, .invalidHost, .tooManyInterimResponses: .badRequest
        }
        self.init(reason, error.description)
    }

    public var description: String { message }

    /// The answer: the reason's status, the JSON body, and the horizon headers if any.
    public func response() -> HTTPResponse {
        let body = JSONWriter.encode(.object(["error": .object(["code": .string(reason.code), "message": .string(message)])])) + [10]
        var response = HTTPResponse(status: reason.status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
        if let horizon { horizon.write(to: &response.headers) }
        return response
    }

    /// What an error answer is, read by its body's `code`.
    public enum Decoded: Equatable, Sendable {
        /// A Boucle refusal this client knows.
        case refusal(Refusal)
        /// A Boucle error body whose code this client does not know (a newer server).
        case unknownCode(String, status: Int, message: String)
        /// No Boucle error body at all: a proxy, a load balancer or another server answered.
        case foreign(status: Int)
    }

    /// Reads an error answer (any status but 2xx) by its JSON body's `code`, never by its status.
    public static func decode(_ response: HTTPResponse) -> Decoded {
        guard let json = try? JSONParser.parse(response.body), let error = json["error"],
              let code = error["code"]?.stringValue, let message = error["message"]?.stringValue
        else { return .foreign(status: response.status) }
        guard let reason = Reason(rawValue: code) else {
            return .unknownCode(String(code.prefix(40)), status: response.status, message: message)
        }
        return .refusal(Refusal(reason, message, horizon: Horizon(headers: response.headers)))
    }
}
