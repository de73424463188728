import BoucleCore
import BoucleProtocol
import Foundation
import HTTPCodec
import Networking

/// The limits a server keeps against slow, stuck, greedy or hostile clients.
public struct ServerLimits: Sendable {
    public static let defaultMaxConnections = 512
    public static let defaultIdleTimeout: Double = 15
    public static let defaultRequestTimeout: Double = 30

    /// Connections served at once; one more is answered 503 and closed.
    public var maxConnections = ServerLimits.defaultMaxConnections
    /// How long one `recv` may wait: an idle keep-alive connection is closed after it.
    public var idleTimeout = ServerLimits.defaultIdleTimeout
    /// How long one request may take to arrive in full (against byte-by-byte senders).
    public var requestTimeout = ServerLimits.defaultRequestTimeout
    public var http = HTTPLimits()

    public init() {}
}

/// What the server's handler returns: the response, the tenant to name in the log line, and
/// what to do once the response is sent (or could not be): free what it held.
public struct HandledResponse: Sendable {
    public var response: HTTPResponse
    public var tenant: String?
    public var afterSend: (@Sendable () -> Void)?

    public init(_ response: HTTPResponse, tenant: String? = nil, afterSend: (@Sendable () -> Void)? = nil) {
        self.response = response
        self.tenant = tenant
        self.afterSend = afterSend
    }
}

/// One served request, for the log and the metrics: never a token, a body or a query string.
public struct RequestRecord: Sendable {
    public let method: String
    public let path: String
    public let status: Int
    public let seconds: Double
    public let tenant: String?
    /// The size of the answer's body.
    public var bytes = 0
}

/// An HTTP/1.1 server on POSIX sockets: a thread per connection (blocking reads never starve
/// Dispatch's few workers), keep-alive, the pure `HTTPRequestParser`, and the limits above.
///
/// Invariants: each connection's socket is owned by its thread; `stop()` stops accepting,
/// wakes idle connections, lets in-flight requests finish, and then `run()` returns.
public final class HTTPServer: @unchecked Sendable {
    /// Makes the handler of one connection (each connection may keep its own database handle).
    public typealias HandlerFactory = @Sendable () -> (HTTPRequest) -> HandledResponse

    private let listener: SocketDescriptor
    private let limits: ServerLimits
    private let makeHandler: HandlerFactory
    private let record: @Sendable (RequestRecord) -> Void
    private let lock = NSCondition()
    private var connections: [ObjectIdentifier: (socket: SocketDescriptor, busy: Bool)] = [:]
    private var stopping = false
    /// The address the server listens on, with the port the system chose for port 0.
    public let boundAddress: SocketAddress

    public init(listen address: SocketAddress, limits: ServerLimits, makeHandler: @escaping HandlerFactory,
                record: @escaping @Sendable (RequestRecord) -> Void) throws {
        listener = try SocketDescriptor.listen(on: address)
        boundAddress = SocketAddress(host: address.host, port: listener.localPort() ?? address.port)
        self.limits = limits
        self.makeHandler = makeHandler
        self.record = record
    }

    /// The connections open now.
    public var openConnections: Int { lock.withLock { connections.count } }

    /// Accepts connections until `stop()`, then waits for the open ones to finish.
    public func run() {
        while let socket = listener.accept() {
            let key = ObjectIdentifier(socket)
            let admitted = lock.withLock { () -> Bool in
                guard !stopping, connections.count < limits.maxConnections else { return false }
                connections[key] = (socket, false)
                return true
            }
            guard admitted else {
                refuse(socket)
                continue
            }
            let thread = Thread { [self] in
                serve(socket)
                lock.withLock {
                    connections[key] = nil
                    lock.broadcast()
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        lock.withLock {
            while !connections.isEmpty { lock.wait() }
        }
    }

    /// Stops accepting and closes idle connections; busy ones close after their response.
    /// Safe to call from any thread, more than once.
    public func stop() {
        let idle = lock.withLock { () -> [SocketDescriptor] in
            stopping = true
            return connections.values.filter { !$0.busy }.map(\.socket)
        }
        listener.shutdownReading()
        listener.close()
        for socket in idle { socket.shutdownReading() }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func setBusy(_ socket: SocketDescriptor, _ busy: Bool) -> Bool {
        lock.withLock {
            connections[ObjectIdentifier(socket)]?.busy = busy
            return stopping
        }
    }

    private func refuse(_ socket: SocketDescriptor) {
        var closing = Refusal(.busy, "the server is at its connection limit or stopping: retry in a moment").response()
        closing.headers.replace("Connection", "close")
        try? socket.sendAll(closing.serialized())
        socket.close()
        record(RequestRecord(method: "-", path: "-", status: 503, seconds: 0, tenant: nil))
    }

    /// Reads requests off one connection and answers them, until the peer closes, a limit is
    /// hit, or the server stops.
    private func serve(_ socket: SocketDescriptor) {
        defer { socket.close() }
        try? socket.setReceiveTimeout(seconds: min(limits.idleTimeout, limits.requestTimeout))
        let handle = makeHandler()
        var parser = HTTPRequestParser(limits: limits.http)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var requestStarted: Date?
        while true {
            let request: HTTPRequest?
            do {
                request = try parser.next()
            } catch {
                answerAndClose(socket, Refusal(error).response())
                return
            }
            if let request {
                requestStarted = nil
                let stopping = setBusy(socket, true)
                let started = Date()
                let handled = handle(request)
                var response = handled.response
                let close = !request.keepAlive || stopping || isStopping
                if close { response.headers.replace("Connection", "close") }
                // The server's clock, so that clients can tell when theirs is wrong.
                response.headers.replace("Date", HTTPDate.format(secondsSinceEpoch: Int(Date().timeIntervalSince1970)))
                // A HEAD is answered with its GET's head, without the body (RFC 9110 §9.3.2).
                let sent = (try? socket.sendAll(response.serialized(includingBody: request.method != "HEAD"))) != nil
                handled.afterSend?()
                record(RequestRecord(method: request.method, path: request.path, status: response.status,
                                     seconds: Date().timeIntervalSince(started), tenant: handled.tenant, bytes: response.body.count))
                if setBusy(socket, false) || close || !sent { return }
                continue
            }
            if parser.hasPartialRequest, requestStarted == nil { requestStarted = Date() }
            if let started = requestStarted, Date().timeIntervalSince(started) > limits.requestTimeout {
                answerAndClose(socket, Refusal(.timeout, "the request did not arrive in \(Int(limits.requestTimeout)) s").response())
                return
            }
            let count: Int?
            do {
                count = try socket.receive(into: &buffer)
            } catch {
                return
            }
            guard let count else {
                // A receive timeout: a silent client mid-request gets 408; an idle one is closed.
                if parser.hasPartialRequest {
                    answerAndClose(socket, Refusal(.timeout, "the request stopped arriving").response())
                }
                return
            }
            if count == 0 { return }
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    private func answerAndClose(_ socket: SocketDescriptor, _ response: HTTPResponse) {
        var response = response
        response.headers.replace("Connection", "close")
        try? socket.sendAll(response.serialized())
        record(RequestRecord(method: "-", path: "-", status: response.status, seconds: 0, tenant: nil))
    }
}
