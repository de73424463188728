import BoucleCore
import BoucleProtocol
import Foundation
import HTTPCodec
import Networking

/// A small HTTP server on a free loopback port that answers as a hostile or broken server
/// would: each request it reads is handed to `answer`, which writes whatever bytes it likes on
/// the connection (a page whose cursor never moves, one byte at a time, endless interim
/// answers). Used to show that `boucle sync` and `HTTPClient` give up on it, in bounded time.
final class HostileServer: @unchecked Sendable {
    /// Writes the answer to a request on its connection; returns false to close the connection.
    typealias Answer = @Sendable (HTTPRequest, SocketDescriptor) -> Bool

    let port: UInt16
    private let listener: SocketDescriptor
    private let answer: Answer
    private let lock = NSLock()
    private var seen: [HTTPRequest] = []
    private var connections: [SocketDescriptor] = []

    init(answer: @escaping Answer) throws {
        listener = try SocketDescriptor.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        guard let port = listener.localPort() else { throw HarnessError("the hostile server has no port") }
        self.port = port
        self.answer = answer
        Thread { [self] in
            while let connection = listener.accept() {
                lock.withLock { connections.append(connection) }
                Thread { [self] in serve(connection) }.start()
            }
        }.start()
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The requests read so far.
    var requests: [HTTPRequest] { lock.withLock { seen } }

    /// Stops listening and closes every connection.
    func stop() {
        listener.shutdownBoth()
        listener.close()
        lock.withLock { connections.forEach { $0.shutdownBoth() } }
    }

    private func serve(_ connection: SocketDescriptor) {
        defer { connection.close() }
        var parser = HTTPRequestParser()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            guard let request = try? parser.next() else {
                guard let count = try? connection.receive(into: &buffer), count > 0 else { return }
                parser.append(buffer[..<count])
                continue
            }
            lock.withLock { seen.append(request) }
            guard answer(request, connection) else { return }
        }
    }

    // MARK: Answers

    /// A pull page of no change of `tenant`, with `next` and `more` as given.
    static func page(tenant: String, next: Int64, more: Bool) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: tenant, origin: UUIDString.random(using: &generator)))
        encoder.finish()
        let position = PagePosition(next: next, more: more, changes: 0, horizon: Horizon(sequence: 0, time: 0), generation: nil)
        return position.response(changeSet: encoder.takeBytes()).serialized()
    }

    /// An answer to a push that took nothing and lost nothing.
    static func pushAnswer() -> [UInt8] {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]),
                     body: JSONWriter.encode(PushAnswer().json)).serialized()
    }
}
