import Foundation
import HTTPCodec

/// Why a request to the server got no answer.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The URL names a user (and maybe a password): never echoed, since it may be personal data.
    case userInURL
    /// The host name is unknown (no DNS answer).
    case unknownHost(String)
    case unreachable(String)
    /// TLS refused the server (`https://`).
    case tls(TLSFailure)
    case timedOut(Double)
    case connectionLost
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "\(url.prefix(80)) is not a server URL of the form https://HOST[:PORT] or http://HOST:PORT"
        case .userInURL: "the server URL names a user or a password: leave them out (the token is what authenticates), e.g. https://HOST"
        case .unknownHost(let host): "cannot find the server \(host.prefix(80)) (no such host name, or no network)"
        case .unreachable(let why): "cannot reach the server: \(why)"
        case .tls(let failure): failure.description
        case .timedOut(let seconds): "the server did not answer within \(Int(seconds)) s, or too slowly"
        case .connectionLost: "the connection to the server was lost before its answer"
        case .invalidResponse(let why): "the server's answer is not valid HTTP: \(why)"
        }
    }
}

/// A connected byte stream the client talks over: a plain socket, or TLS on one.
protocol ByteStream: AnyObject {
    func sendAll(_ bytes: [UInt8], before deadline: Date) throws(SocketError)
    func setReceiveTimeout(seconds: Double) throws(SocketError)
    /// The byte count, 0 at end of file, nil when the receive timeout passed.
    func receive(into buffer: inout [UInt8]) throws(SocketError) -> Int?
    func close()
}

extension SocketDescriptor: ByteStream {}

/// A server's URL, as `--server` takes it: `https://HOST[:PORT][/PREFIX]` (port 443 by
/// default) or `http://HOST[:PORT][/PREFIX]` (port 80), never with a user or password.
public struct ServerURL: Equatable, Sendable {
    public let secure: Bool
    public let address: SocketAddress
    /// A path prefix for servers behind a reverse proxy (`https://host/boucle`), without a final "/".
    public let prefix: String

    public init(_ url: String) throws(HTTPClientError) {
        let lowered = url.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lowered.hasPrefix($0) }) else {
            throw url.contains("@") ? .userInURL : .invalidURL(url)
        }
        let rest = url.dropFirst(scheme.count)
        let hostPort = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !hostPort.contains("@") else { throw .userInURL }
        let path = rest.dropFirst(hostPort.count)
        guard !path.contains("?"), !path.contains("#") else { throw .invalidURL(url) }
        secure = scheme == "https://"
        let defaultPort = secure ? 443 : 80
        let withPort = hostPort.contains(":") && !hostPort.hasSuffix("]") ? String(hostPort) : "\(hostPort):\(defaultPort)"
        guard let address = SocketAddress(withPort) else { throw .invalidURL(url) }
        self.address = address
        prefix = path.hasSuffix("/") ? String(path.dropLast()) : String(path)
    }

    /// True when the host is this machine (`localhost`, 127.0.0.0/8, `::1`): plain HTTP there
    /// never crosses a network.
    public var isLoopback: Bool {
        address.host == "localhost" || address.host.hasPrefix("127.") || address.host == "::1"
    }
}

/// A small blocking HTTP/1.1 client on one keep-alive connection, reconnecting when the server
/// closed it. It speaks HTTP, or HTTPS verified against the system's authorities or a given CA
/// file (OpenSSL), to `ServerURL`s.
///
/// Invariants: at most one request in flight; a response is read whole (Content-Length) before
/// the next request is sent; every request carries `User-Agent`.
public final class HTTPClient {
    public let url: ServerURL
    public var address: SocketAddress { url.address }
    private let timeout: Double
    /// Bytes per second an answer must arrive at, on average, past its first `timeout` seconds:
    /// a server that trickles a byte now and then is cut off.
    private let minimumRate: Double
    private let userAgent: String
    private let tls: TLSContext?
    private var stream: ByteStream?
    private let limits: HTTPLimits
    private var parser: HTTPResponseParser

    /// A client of `url`; `authorities` (PEM certificates) replace the system's for `https://`.
    public init(url: String, authorities: [UInt8]? = nil, userAgent: String = "boucle", timeout: Double = 60, minimumRate: Double = 2_048,
                limits: HTTPLimits = HTTPLimits()) throws(HTTPClientError) {
        self.url = try ServerURL(url)
        do { tls = self.url.secure ? try TLSContext(authorities: authorities) : nil } catch { throw .tls(error) }
        self.userAgent = userAgent
        self.timeout = timeout
        self.minimumRate = minimumRate
        self.limits = limits
        parser = HTTPResponseParser(limits: limits)
    }

    /// Sends `request` (its target relative to the prefix) and waits for the whole answer.
    /// A connection the server had closed is reopened once.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        var request = request
        request.target = url.prefix + request.target
        request.headers.replace("Host", address.description)
        request.headers.replace("User-Agent", userAgent)
        let bytes = request.serialized()
        do {
            return try exchange(bytes)
        } catch .connectionLost {
            // A keep-alive connection the server closed meanwhile: once more on a fresh one.
            // Every Boucle request is safe to repeat (a push merges idempotently).
            return try exchange(bytes)
        }
    }

    /// Closes the connection.
    public func close() {
        stream?.close()
        stream = nil
    }

    private func connected() throws(HTTPClientError) -> ByteStream {
        if let stream { return stream }
        let socket: SocketDescriptor
        do {
            socket = try SocketDescriptor.connect(to: address)
            try socket.setReceiveTimeout(seconds: timeout)
        } catch let error as SocketError {
            if error.call.hasPrefix("getaddrinfo") { throw .unknownHost(address.host) }
            throw .unreachable("\(address): \(String(cString: strerror(error.code)))")
        } catch {
            throw .unreachable("\(address)")
        }
        let fresh: ByteStream
        if let tls {
            do { fresh = try TLSStream(socket: socket, host: address.host, context: tls) } catch {
                socket.close()
                throw .tls(error)
            }
        } else {
            fresh = socket
        }
        parser = HTTPResponseParser(limits: limits)
        stream = fresh
        return fresh
    }

    /// Sends a request and reads its answer: no read may wait past `timeout`, and the whole answer
    /// must arrive within `timeout` plus the time its bytes take at `minimumRate`.
    private func exchange(_ bytes: [UInt8]) throws(HTTPClientError) -> HTTPResponse {
        let socket = try connected()
        let started = Date()
        do {
            try socket.sendAll(bytes, before: started.addingTimeInterval(timeout + Double(bytes.count) / minimumRate))
        } catch {
            close()
            throw .connectionLost
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var received = 0
        while true {
            do {
                if let response = try parser.next() {
                    if response.headers["Connection"]?.lowercased() == "close" { close() }
                    return response
                }
            } catch {
                close()
                throw .invalidResponse(error.description)
            }
            let left = timeout + Double(received) / minimumRate - Date().timeIntervalSince(started)
            let count: Int?
            do throws(SocketError) {
                guard left > 0 else { throw SocketError(call: "recv", code: ETIMEDOUT) }
                try socket.setReceiveTimeout(seconds: min(timeout, left))
                count = try socket.receive(into: &buffer)
            } catch {
                close()
                throw error.code == ETIMEDOUT ? .timedOut(timeout) : .connectionLost
            }
            guard let count else {
                close()
                throw .timedOut(timeout)
            }
            if count == 0 {
                close()
                throw .connectionLost
            }
            received += count
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }
}
