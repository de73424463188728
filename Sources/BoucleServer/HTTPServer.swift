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
    public static let defaultResponseTimeout: Double = 30
    public static let defaultStopGrace: Double = 10

    /// Connections served at once; one more is answered 503 and closed.
    public var maxConnections = ServerLimits.defaultMaxConnections
    /// How long one `recv` may wait: an idle keep-alive connection is closed after it.
    public var idleTimeout = ServerLimits.defaultIdleTimeout
    /// How long one request may take to arrive in full, from its first byte (an empty line
    /// before it included), against byte-by-byte senders.
    public var requestTimeout = ServerLimits.defaultRequestTimeout
    /// How long one response may take to be sent in full, against clients that stop reading.
    public var responseTimeout = ServerLimits.defaultResponseTimeout
    /// After a stop, how long requests in flight may go on before their connections are cut.
    public var stopGrace = ServerLimits.defaultStopGrace
    public var http = HTTPLimits()

    public init() {}
}

/// What the server's handler returns: the response, the tenant to name in the log line, a note
/// for the log alone (what failed, for a 500), and what to do once the response is sent (or could
/// not be): free what it held.
public struct HandledResponse: Sendable {
    public var response: HTTPResponse
    public var tenant: String?
    public var note: String?
    public var afterSend: (@Sendable () -> Void)?

    public init(_ response: HTTPResponse, tenant: String? = nil, note: String? = nil, afterSend: (@Sendable () -> Void)? = nil) {
        self.response = response
        self.tenant = tenant
        self.note = note
        self.afterSend = afterSend
    }
}

/// What serves one connection's requests.
public struct ConnectionHandler {
    /// Sees the head of a request with a body before a byte of the body is read: an answer
    /// refuses it (the body is never read, and the connection closes); nil lets it in.
    public var vet: (HTTPRequest) -> HandledResponse?
    /// Answers a whole request.
    public var handle: (HTTPRequest) -> HandledResponse

    public init(vet: @escaping (HTTPRequest) -> HandledResponse?, handle: @escaping (HTTPRequest) -> HandledResponse) {
        self.vet = vet
        self.handle = handle
    }
}

/// One served request, for the log and the metrics: never a token, a body or a query string.
public struct RequestRecord: Sendable {
    public let method: String
    /// The request's path as sent, still percent-encoded, with any byte outside printable ASCII
    /// written `%XX` (`LogText.path`): nothing in it can forge a log line or drive a terminal.
    public let path: String
    public let status: Int
    public let seconds: Double
    public let tenant: String?
    /// The size of the answer's body.
    public var bytes = 0
    /// What the log alone says about the request (what failed, for a 500).
    public var note: String?
}

/// Text for the request log.
public enum LogText {
    /// The path of a request target (before `?`), as sent: percent escapes are not decoded, and
    /// any byte that is not printable ASCII, `%` excepted, is written `%XX`.
    public static func path(_ target: String) -> String {
        var out = ""
        for byte in target.utf8.prefix(while: { $0 != UInt8(ascii: "?") }).prefix(512) {
            if byte > 0x20, byte < 0x7f {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// An HTTP/1.1 server on POSIX sockets: a thread per connection (blocking reads never starve
/// Dispatch's few workers), keep-alive, the pure `HTTPRequestParser`, and the limits above.
///
/// Invariants: each connection's socket is owned by its thread; a request must arrive whole
/// within `requestTimeout` of its first byte and its response be sent within `responseTimeout`;
/// a request's body is read only once its head has passed `ConnectionHandler.vet`, so before that
/// a connection holds at most a head (`HTTPLimits.maxHeaderBytes`) and one read buffer; `stop()`
/// stops accepting, wakes idle connections, lets requests in flight finish for `stopGrace` at
/// most, then cuts the connections left, and `run()` returns.
public final class HTTPServer: @unchecked Sendable {
    /// Makes the handler of one connection (each connection may keep its own database handle).
    public typealias HandlerFactory = @Sendable () -> ConnectionHandler

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

    /// Stops accepting and closes idle connections; busy ones close after their response, or
    /// are cut after `stopGrace`. Safe to call from any thread, more than once.
    public func stop() {
        let (idle, first) = lock.withLock { () -> ([SocketDescriptor], Bool) in
            defer { stopping = true }
            return (connections.values.filter { !$0.busy }.map(\.socket), !stopping)
        }
        listener.shutdownReading()
        listener.close()
        for socket in idle { socket.shutdownReading() }
        guard first else { return }
        let grace = limits.stopGrace
        Thread { [self] in
            Thread.sleep(forTimeInterval: grace)
            let left = lock.withLock { connections.values.map(\.socket) }
            for socket in left { socket.shutdownBoth() }
        }.start()
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
        try? socket.sendAll(closing.serialized(), before: Date().addingTimeInterval(1))
        socket.close()
        record(RequestRecord(method: "-", path: "-", status: 503, seconds: 0, tenant: nil))
    }

    /// Reads requests off one connection and answers them, until the peer closes, a limit is
    /// hit, or the server stops.
    private func serve(_ socket: SocketDescriptor) {
        defer { socket.close() }
        let handler = makeHandler()
        var parser = HTTPRequestParser(limits: limits.http)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        // When the request being read began (its first byte, an empty line included), and
        // whether its head passed the handler's vetting.
        var requestStarted: Date?
        var vetted = false
        while true {
            let request: HTTPRequest?
            do {
                request = try parser.next()
            } catch {
                answerAndClose(socket, HandledResponse(Refusal(error).response()), method: "-", target: "-")
                return
            }
            if let request, let fault = request.hostProblem {
                answerAndClose(socket, HandledResponse(Refusal(fault).response()), method: request.method, target: request.target)
                return
            }
            if let request {
                vetted = false
                let stopping = setBusy(socket, true)
                let started = Date()
                let handled = handler.handle(request)
                let close = !request.keepAlive || stopping || isStopping
                let sent = send(handled, to: request, on: socket, closing: close, started: started)
                if setBusy(socket, false) || close || !sent { return }
                requestStarted = parser.hasPartialRequest ? Date() : nil
                continue
            }
            if let head = parser.awaitedHead, !vetted {
                vetted = true
                if let refusal = head.hostProblem.map({ HandledResponse(Refusal($0).response()) }) ?? handler.vet(head) {
                    answerAndClose(socket, refusal, method: head.method, target: head.target)
                    return
                }
            }
            let waited = requestStarted.map { Date().timeIntervalSince($0) } ?? 0
            if requestStarted != nil, waited >= limits.requestTimeout {
                let refusal = Refusal(.timeout, "the request did not arrive in \(Int(limits.requestTimeout)) s")
                answerAndClose(socket, HandledResponse(refusal.response()), method: "-", target: "-")
                return
            }
            // Between requests, an idle connection waits `idleTimeout`; during one, what is left
            // of `requestTimeout`.
            let wait = requestStarted == nil ? limits.idleTimeout : limits.requestTimeout - waited
            let count: Int?
            do {
                try socket.setReceiveTimeout(seconds: wait)
                count = try socket.receive(into: &buffer)
            } catch {
                return
            }
            guard let count else {
                // A timeout: a silent client mid-request gets 408; an idle one is closed.
                if requestStarted != nil {
                    let refusal = Refusal(.timeout, "the request stopped arriving")
                    answerAndClose(socket, HandledResponse(refusal.response()), method: "-", target: "-")
                }
                return
            }
            if count == 0 { return }
            if requestStarted == nil { requestStarted = Date() }
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// Sends a handled request's response within `responseTimeout`, then frees what it held and
    /// logs it; false when it could not be sent whole.
    private func send(_ handled: HandledResponse, to request: HTTPRequest, on socket: SocketDescriptor, closing: Bool, started: Date) -> Bool {
        var response = handled.response
        if closing { response.headers.replace("Connection", "close") }
        // The server's clock, so that clients can tell when theirs is wrong.
        response.headers.replace("Date", HTTPDate.format(secondsSinceEpoch: Int(Date().timeIntervalSince1970)))
        // A HEAD is answered with its GET's head, without the body (RFC 9110 §9.3.2).
        let bytes = response.serialized(includingBody: request.method != "HEAD")
        let sent = (try? socket.sendAll(bytes, before: Date().addingTimeInterval(limits.responseTimeout))) != nil
        handled.afterSend?()
        record(RequestRecord(method: request.method, path: LogText.path(request.target), status: response.status,
                             seconds: Date().timeIntervalSince(started), tenant: handled.tenant, bytes: response.body.count,
                             note: handled.note))
        return sent
    }

    /// Answers a refused or broken request and closes the connection (its framing can no longer
    /// be trusted, or its body was not read).
    private func answerAndClose(_ socket: SocketDescriptor, _ handled: HandledResponse, method: String, target: String) {
        var response = handled.response
        response.headers.replace("Connection", "close")
        try? socket.sendAll(response.serialized(), before: Date().addingTimeInterval(limits.responseTimeout))
        handled.afterSend?()
        record(RequestRecord(method: method, path: target == "-" ? "-" : LogText.path(target), status: response.status, seconds: 0,
                             tenant: handled.tenant, bytes: response.body.count, note: handled.note))
    }
}
