import BoucleCore
import BoucleProtocol
import BoucleStore
import Foundation
import HTTPCodec

/// The sync service (Protocol/SERVER.md): the route table, authentication, and the handlers
/// of each route, on top of a `ServerStore` per connection.
///
/// Every route is declared once in `routes`, with its method, endpoint and the access it needs;
/// 404 and 405 answers and the endpoint list derive from it. A HEAD is routed as its GET (the
/// HTTP server leaves the body out). Every error is a `Refusal`, answered in its one JSON shape.
public final class BoucleService: Sendable {
    let databasePath: String
    let environment: BoucleCore.Environment
    /// How far ahead of the server's clock a pushed change may be stamped, in milliseconds.
    let maxClockAhead: UInt64
    public let metrics = Metrics()
    /// Records per pulled page when the client does not say (`serve --page-records`).
    let pageRecords: Int
    /// The pulled pages held in memory at once, all connections together
    /// (`SyncDefaults.pagesInFlight`): a page's slot is taken before it is built and given back
    /// once it is sent.
    let pageSlots = Slots(SyncDefaults.pagesInFlight)
    /// The SHA-256 of the operator's token (`serve --operator-token-file`), who reads every
    /// tenant's figures; nil: no operator.
    let operatorTokenHash: [UInt8]?

    public init(databasePath: String, maxClockAhead: UInt64 = SyncDefaults.maxClockAhead,
                pageRecords: Int = SyncDefaults.maxPageRecords, operatorToken: String? = nil,
                environment: BoucleCore.Environment = .system) {
        self.databasePath = databasePath
        self.maxClockAhead = maxClockAhead
        self.pageRecords = min(max(pageRecords, 1), SyncDefaults.maxPageRecords)
        operatorTokenHash = operatorToken.map { SHA256.hash($0) }
        self.environment = environment
    }

    /// Who may call a route.
    enum Access {
        /// Anyone, without a token.
        case anyone
        /// Any valid token of a tenant.
        case token
        /// An admin token.
        case admin
        /// An admin token, or the operator's.
        case adminOrOperator
    }

    /// Who made a request, as its route's access found.
    enum Caller {
        /// Nobody in particular: the route is open to anyone.
        case anyone
        /// The holder of a tenant's token.
        case token(Principal)
        /// The server's operator.
        case `operator`

        var principal: Principal? {
            if case .token(let principal) = self { principal } else { nil }
        }
    }

    /// One route: a method on an endpoint, the access it needs, and its handler.
    struct Route: Sendable {
        let method: String
        let endpoint: Endpoint
        let access: Access
        let handle: @Sendable (BoucleService, Call) throws -> HandledResponse
    }

    /// What a handler is given: the request, the connection's store, and the caller.
    struct Call {
        let request: HTTPRequest
        let store: ServerStore
        let caller: Caller
        let openConnections: () -> Int

        var principal: Principal? { caller.principal }
    }

    /// The route table: every endpoint of the server, declared once.
    static let routes: [Route] = [
        Route(method: "GET", endpoint: .health, access: .anyone) { service, call in HandledResponse(try service.health(call)) },
        Route(method: "GET", endpoint: .metrics, access: .adminOrOperator) { service, call in HandledResponse(service.metrics(call)) },
        Route(method: "POST", endpoint: .changes, access: .token) { service, call in HandledResponse(try service.push(call)) },
        Route(method: "GET", endpoint: .changes, access: .token) { service, call in try service.pull(call) },
    ]

    /// The methods the route table allows on `path` (HEAD wherever GET is).
    static func allowedMethods(_ path: String) -> [String] {
        let methods = routes.filter { $0.endpoint.path == path }.map(\.method)
        return methods.contains("GET") ? methods + ["HEAD"] : methods
    }

    /// The handler of one connection, with its own database connection opened on first use.
    /// A request with a body is vetted on its head (route and token) before the body is read.
    public func makeHandler(openConnections: @escaping @Sendable () -> Int) -> ConnectionHandler {
        var opened: ServerStore?
        func store() throws -> ServerStore {
            if let opened { return opened }
            guard let store = try? ServerStore(path: databasePath, environment: environment) else {
                throw Refusal(.unavailable, "the database cannot be opened")
            }
            opened = store
            return store
        }
        return ConnectionHandler(
            vet: { [self] head in
                do {
                    _ = try resolve(head, store: try store())
                    return nil
                } catch {
                    return failure(error, answering: head)
                }
            },
            handle: { [self] request in
                do { return try dispatch(request, store: try store(), openConnections: openConnections) } catch {
                    return failure(error, answering: request)
                }
            }
        )
    }

    /// The answer to a request that failed: a refusal's own, or for any other error a 500 that
    /// names a request id and nothing else (what failed goes to the log line alone).
    private func failure(_ error: Error, answering request: HTTPRequest) -> HandledResponse {
        if let refusal = error as? Refusal { return HandledResponse(answer(refusal, to: request)) }
        let id = String(environment.newID().rawValue.prefix(8))
        let refusal = Refusal(.internal, "the server failed to answer (request \(id)): its log says why")
        return HandledResponse(refusal.response(), note: "request \(id) failed: \(error)")
    }

    /// The request's route and caller: the route found by its path and method, and the caller
    /// whose token its access needs.
    private func resolve(_ request: HTTPRequest, store: ServerStore) throws -> (Route, Caller) {
        let method = request.method == "HEAD" ? "GET" : request.method
        let candidates = Self.routes.filter { $0.endpoint.path == request.path }
        guard !candidates.isEmpty else {
            let paths = Endpoint.allCases.filter { endpoint in Self.routes.contains { $0.endpoint == endpoint } }.map(\.path)
            throw Refusal(.notFound, "no such endpoint: see Protocol/SERVER.md (\(paths.joined(separator: ", ")))")
        }
        guard let route = candidates.first(where: { $0.method == method }) else {
            throw Refusal(.methodNotAllowed, "\(request.method) is not allowed on \(request.path) (allowed: \(Self.allowedMethods(request.path).joined(separator: ", ")))")
        }
        switch route.access {
        case .anyone:
            return (route, .anyone)
        case .adminOrOperator where isOperator(request):
            return (route, .operator)
        case .token, .admin, .adminOrOperator:
            let caller = try authenticate(request, store: store)
            guard route.access == .token || caller.role == .admin else { throw Refusal(.forbidden, "\(request.path) needs an admin token") }
            return (route, .token(caller))
        }
    }

    /// Finds the request's route, checks its access, and runs it.
    private func dispatch(_ request: HTTPRequest, store: ServerStore, openConnections: @escaping () -> Int) throws -> HandledResponse {
        let (route, caller) = try resolve(request, store: store)
        do {
            var handled = try route.handle(self, Call(request: request, store: store, caller: caller, openConnections: openConnections))
            handled.tenant = caller.principal?.tenant
            return handled
        } catch let refusal as Refusal {
            return HandledResponse(refusal.response(), tenant: caller.principal?.tenant)
        }
    }

    /// A refusal's answer; a 405 also names the allowed methods (`Allow`, RFC 9110 §15.5.6).
    private func answer(_ refusal: Refusal, to request: HTTPRequest) -> HTTPResponse {
        var response = refusal.response()
        if refusal.reason == .methodNotAllowed {
            response.headers.replace("Allow", Self.allowedMethods(request.path).joined(separator: ", "))
        }
        return response
    }

    /// The bearer token of `request`, if it has one.
    private func bearer(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// True when `request` carries the operator's token (compared in constant time).
    private func isOperator(_ request: HTTPRequest) -> Bool {
        guard let operatorTokenHash, let token = bearer(request) else { return false }
        return zip(SHA256.hash(token), operatorTokenHash).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func authenticate(_ request: HTTPRequest, store: ServerStore) throws -> Principal {
        guard let token = bearer(request) else {
            throw Refusal(.unauthorized, "a bearer token is required (Authorization: Bearer …)")
        }
        guard let principal = try store.authenticate(token) else {
            throw Refusal(.unauthorized, "unknown or revoked token: ask the city for a new one")
        }
        return principal
    }

    // MARK: Handlers

    private func health(_ call: Call) throws -> HTTPResponse {
        _ = try call.store.currentSequence()
        return json(.object(["status": .string("ok"), "server": .string(call.store.serverID.rawValue)]))
    }

    private func metrics(_ call: Call) -> HTTPResponse {
        let reader: Metrics.Reader = call.principal.map { .tenant($0.tenant) } ?? .operator(openConnections: call.openConnections())
        var response = HTTPResponse(status: 200, body: Array(metrics.render(for: reader).utf8))
        response.headers.replace("Content-Type", "text/plain; version=0.0.4")
        return response
    }

    private func push(_ call: Call) throws -> HTTPResponse {
        guard let principal = call.principal else { preconditionFailure("the push route needs a token") }
        let started = Date()
        let request = try PushRequest(headers: call.request.headers)
        let answer = try call.store.push(call.request.body, as: principal, cursor: request.cursor,
                                         generation: try GenerationHeader.read(call.request.headers), maxClockAhead: maxClockAhead)
        metrics.push(applied: answer.applied, conflicts: answer.lost.count, tenant: principal.tenant)
        metrics.sync(seconds: Date().timeIntervalSince(started), tenant: principal.tenant)
        var response = json(answer.json)
        response.headers.replace(SyncHeader.generation, call.store.generation.rawValue)
        return response
    }

    private func pull(_ call: Call) throws -> HandledResponse {
        guard let principal = call.principal else { preconditionFailure("the pull route needs a token") }
        let started = Date()
        let request = try PullRequest(query: call.request.query)
        guard pageSlots.take(timeout: SyncDefaults.pageWait) else {
            throw Refusal(.busy, "the server is sending as many pages as it holds at once: retry in a moment")
        }
        let slots = pageSlots
        let release: @Sendable () -> Void = { slots.give() }
        do {
            let (page, horizon) = try call.store.pull(as: principal, since: request.since, after: request.after,
                                                      generation: try GenerationHeader.read(call.request.headers), limit: request.limit ?? pageRecords,
                                                      skipping: request.skip)
            metrics.sync(seconds: Date().timeIntervalSince(started), tenant: principal.tenant)
            let position = PagePosition(next: page.next, more: page.more, changes: page.changes, horizon: horizon,
                                        generation: call.store.generation)
            return HandledResponse(position.response(changeSet: page.changeSet), afterSend: release)
        } catch {
            release()
            throw error
        }
    }

    private func json(_ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: JSONWriter.encode(value) + [10])
    }
}
