import Foundation
import HTTPCodec

/// Why a request to the server got no answer.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The URL names a user (and maybe a password): never echoed, since it may be personal data.
    case userInURL
    case unreachable(String)
    case timedOut(Double)
    case connectionLost
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "\(url.prefix(80)) is not a server URL of the form http://HOST:PORT"
        case .userInURL: "the server URL names a user or a password: leave them out (the token is what authenticates), e.g. http://HOST:PORT"
        case .unreachable(let why): "cannot reach the server: \(why)"
        case .timedOut(let seconds): "the server did not answer within \(Int(seconds)) s, or too slowly"
        case .connectionLost: "the connection to the server was lost before its answer"
        case .invalidResponse(let why): "the server's answer is not valid HTTP: \(why)"
        }
    }
}

/// A small blocking HTTP/1.1 client on one keep-alive connection, reconnecting when the server
/// closed it. It speaks plain HTTP to `http://HOST:PORT[/PREFIX]`.
///
/// Invariants: at most one request in flight; a response is read whole (Content-Length) before
/// the next request is sent.
public final class HTTPClient {
    public let address: SocketAddress
    /// A path prefix for servers behind a reverse proxy (`http://host/boucle`), without a final "/".
    public let prefix: String
    private let timeout: Double
    /// Bytes per second an answer must arrive at, on average, past its first `timeout` seconds:
    /// a server that trickles a byte now and then is cut off.
    private let minimumRate: Double
    private var socket: SocketDescriptor?
    private let limits: HTTPLimits
    private var parser: HTTPResponseParser

    /// Parses `url` (`http://127.0.0.1:8080`, `http://host/prefix`; port 80 by default).
    public init(url: String, timeout: Double = 60, minimumRate: Double = 2_048, limits: HTTPLimits = HTTPLimits()) throws(HTTPClientError) {
        guard url.hasPrefix("http://") else { throw url.contains("@") ? .userInURL : .invalidURL(url) }
        let rest = url.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        guard !hostPort.contains("@") else { throw .userInURL }
        let path = rest.dropFirst(hostPort.count)
        let withPort = hostPort.contains(":") && !hostPort.hasSuffix("]") ? String(hostPort) : "\(hostPort):80"
        guard let address = SocketAddress(withPort) else { throw .invalidURL(url) }
        self.address = address
        prefix = path.hasSuffix("/") ? String(path.dropLast()) : String(path)
        self.timeout = timeout
        self.minimumRate = minimumRate
        self.limits = limits
        parser = HTTPResponseParser(limits: limits)
    }

    /// Sends `request` (its target relative to the prefix) and waits for the whole answer.
    /// A connection the server had closed is reopened once.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        var request = request
        request.target = prefix + request.target
        request.headers.replace("Host", address.description)
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
        socket?.close()
        socket = nil
    }

    private func connected() throws(HTTPClientError) -> SocketDescriptor {
        if let socket { return socket }
        let fresh: SocketDescriptor
        do {
            fresh = try SocketDescriptor.connect(to: address)
            try fresh.setReceiveTimeout(seconds: timeout)
        } catch let error as SocketError {
            throw .unreachable("\(address): \(String(cString: strerror(error.code)))")
        } catch {
            throw .unreachable("\(address)")
        }
        parser = HTTPResponseParser(limits: limits)
        socket = fresh
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
