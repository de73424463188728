/// How much a parser accepts from its peer before refusing: the bounds on the memory one
/// connection can make the process hold.
///
/// Invariants: a parser never buffers more than `maxHeaderBytes` of an unfinished head (plus
/// whatever the last `append` brought), and refuses a declared body over `maxBodyBytes` before
/// reading any of it. A negative limit refuses everything it bounds.
public struct HTTPLimits: Sendable, Equatable {
    /// The start line and header fields together, line endings and the final empty line included,
    /// plus any empty lines before the start line.
    public var maxHeaderBytes: Int
    /// The number of header field lines (a name given twice counts twice).
    public var maxHeaderCount: Int
    /// The largest body, as declared by `Content-Length` (or, for a response delimited by the
    /// connection's close, as received).
    public var maxBodyBytes: Int
    /// The interim (1xx) responses a client skips before the final one: past this, the answer is
    /// refused (an endless stream of `100 Continue` is no answer).
    public var maxInterimResponses = 8

    /// 16 KiB of request line and header fields.
    public static let defaultMaxHeaderBytes = 16 * 1024
    /// 100 header field lines.
    public static let defaultMaxHeaderCount = 100
    /// A 16 MiB body.
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024

    public init(maxHeaderBytes: Int = HTTPLimits.defaultMaxHeaderBytes, maxHeaderCount: Int = HTTPLimits.defaultMaxHeaderCount,
                maxBodyBytes: Int = HTTPLimits.defaultMaxBodyBytes) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
