#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A failed system call on a socket: which call, and errno's explanation.
public struct SocketError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let code: Int32

    public init(call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
}

/// Calls `body` again while it fails with EINTR (a signal arrived), so no call site has to.
public func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}

/// The one owner of a socket file descriptor: `close(2)` in `deinit` or `close()`, once.
public final class SocketDescriptor: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32

    public init(_ fd: Int32) { self.fd = fd }

    deinit { close() }

    /// The descriptor, or -1 once closed.
    public var rawValue: Int32 { lock.withLock { fd } }

    /// `close(2)`; later calls do nothing.
    public func close() {
        let old = lock.withLock { () -> Int32 in
            defer { fd = -1 }
            return fd
        }
        if old >= 0 { _ = Glibc.close(old) }
    }

    /// `shutdown(2)` of the reading side: a thread blocked in `recv` wakes with end-of-file.
    public func shutdownReading() {
        let current = rawValue
        if current >= 0 { _ = Glibc.shutdown(current, Int32(SHUT_RD)) }
    }

    /// `shutdown(2)` of both sides: a thread blocked in `recv` or `send` wakes at once.
    public func shutdownBoth() {
        let current = rawValue
        if current >= 0 { _ = Glibc.shutdown(current, Int32(SHUT_RDWR)) }
    }

    /// `setsockopt(SO_RCVTIMEO)`: a `recv` waits at most `seconds`.
    public func setReceiveTimeout(seconds: Double) throws(SocketError) {
        try setTimeout(SO_RCVTIMEO, seconds: seconds, call: "setsockopt(SO_RCVTIMEO)")
    }

    /// `setsockopt(SO_SNDTIMEO)`: a `send` waits at most `seconds` for room in the peer's window.
    public func setSendTimeout(seconds: Double) throws(SocketError) {
        try setTimeout(SO_SNDTIMEO, seconds: seconds, call: "setsockopt(SO_SNDTIMEO)")
    }

    private func setTimeout(_ option: Int32, seconds: Double, call: String) throws(SocketError) {
        let seconds = max(seconds, 0.001)   // 0 would mean "never"
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        guard setsockopt(rawValue, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw SocketError(call: call)
        }
    }

    /// `send(2)` of every byte before `deadline`: a peer that stops reading fails the send
    /// (`ETIMEDOUT`) once the deadline passes, however little it reads meanwhile.
    public func sendAll(_ bytes: [UInt8], before deadline: Date) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw SocketError(call: "send", code: ETIMEDOUT) }
            try setSendTimeout(seconds: left)
            let sent = bytes.withUnsafeBytes { raw in
                retryingEINTR { send(rawValue, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL)) }
            }
            if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK { continue }
            guard sent > 0 else { throw SocketError(call: "send") }
            offset += sent
        }
    }

    /// `recv(2)` into `buffer`: the byte count, 0 at end of file, nil on a receive timeout.
    public func receive(into buffer: inout [UInt8]) throws(SocketError) -> Int? {
        let count = buffer.withUnsafeMutableBytes { raw in
            retryingEINTR { recv(rawValue, raw.baseAddress, raw.count, 0) }
        }
        if count >= 0 { return count }
        if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
        if errno == ECONNRESET { return 0 }
        throw SocketError(call: "recv")
    }

    /// `send(2)` of every byte, without SIGPIPE on a closed peer.
    public func sendAll(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                retryingEINTR { send(rawValue, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL)) }
            }
            guard sent > 0 else { throw SocketError(call: "send") }
            offset += sent
        }
    }
}

/// A `HOST:PORT` pair, as `--listen` and `--server` take them (`[::1]:8080` for IPv6).
public struct SocketAddress: Equatable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when it is not one.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves the address with `getaddrinfo(3)` and calls `body` with each candidate.
    func withResolved<T>(passive: Bool, _ body: (UnsafeMutablePointer<addrinfo>) throws -> T?) throws -> T? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw SocketError(call: "getaddrinfo(\(host))", code: status == EAI_SYSTEM ? errno : EINVAL)
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let current = candidate {
            if let result = try body(current) { return result }
            candidate = current.pointee.ai_next
        }
        return nil
    }
}

extension SocketDescriptor {
    /// A listening socket bound to `address` (`socket`, `SO_REUSEADDR`, `bind`, `listen`).
    public static func listen(on address: SocketAddress, backlog: Int32 = 512) throws -> SocketDescriptor {
        var lastError = SocketError(call: "bind \(address)", code: EADDRNOTAVAIL)
        let bound = try address.withResolved(passive: true) { info -> SocketDescriptor? in
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = SocketError(call: "socket"); return nil }
            let socket = SocketDescriptor(fd)
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = SocketError(call: "bind \(address)")
                return nil
            }
            guard Glibc.listen(fd, backlog) == 0 else { lastError = SocketError(call: "listen"); return nil }
            return socket
        }
        guard let bound else { throw lastError }
        return bound
    }

    /// A connected socket to `address` (`socket`, `connect`).
    public static func connect(to address: SocketAddress) throws -> SocketDescriptor {
        var lastError = SocketError(call: "connect \(address)", code: EADDRNOTAVAIL)
        let connected = try address.withResolved(passive: false) { info -> SocketDescriptor? in
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = SocketError(call: "socket"); return nil }
            let socket = SocketDescriptor(fd)
            guard retryingEINTR({ Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) }) == 0 else {
                lastError = SocketError(call: "connect \(address)")
                return nil
            }
            return socket
        }
        guard let connected else { throw lastError }
        return connected
    }

    /// `accept(2)`: the next connection, or nil once the listening socket is shut down.
    public func accept() -> SocketDescriptor? {
        while true {
            let fd = Glibc.accept(rawValue, nil, nil)
            if fd >= 0 { return SocketDescriptor(fd) }
            if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                if rawValue < 0 { return nil }
                continue
            }
            return nil
        }
    }

    /// The local address the socket is bound to (for a port chosen by the system).
    public func localPort() -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(rawValue, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default:
            return nil
        }
    }
}
