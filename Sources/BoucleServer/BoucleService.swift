import BoucleCore
import BoucleStore
import Foundation
import HTTPCodec

/// The sync service's routes (Protocol/SERVER.md), on top of a `ServerStore` per connection:
///
/// - `GET /v1/health`: no token; 200 when the database answers.
/// - `GET /v1/metrics`: an admin token; Prometheus text.
/// - `POST /v1/changes`: push a change-set; one transaction; the answer lists the writes that lost.
/// - `GET /v1/changes?since=S&after=A&limit=N`: pull one page of changes as a change-set.
///
/// Every error is answered with the one JSON shape of `ErrorBody`.
public final class BoucleService: Sendable {
    let databasePath: String
    let environment: BoucleCore.Environment
    /// How far ahead of the server's clock a pushed change may be stamped, in milliseconds.
    let maxClockAhead: UInt64
    public let metrics = Metrics()
    /// Records per pulled page when the client does not say (`serve --page-records`).
    let pageRecords: Int
    /// The most records a page may hold, whatever the client or the operator asks. Large pages
    /// mean few transactions on the client, each rewriting the index pages it touched.
    public static let maxPageRecords = 10_000
    public static let defaultMaxClockAhead: UInt64 = 5 * 60_000

    public init(databasePath: String, maxClockAhead: UInt64 = BoucleService.defaultMaxClockAhead,
                pageRecords: Int = BoucleService.maxPageRecords, environment: BoucleCore.Environment = .system) {
        self.databasePath = databasePath
        self.maxClockAhead = maxClockAhead
        self.pageRecords = min(max(pageRecords, 1), Self.maxPageRecords)
        self.environment = environment
    }

    /// A handler for one connection, with its own database connection opened on first use.
    public func makeHandler(openConnections: @escaping @Sendable () -> Int) -> (HTTPRequest) -> HandledResponse {
        var store: ServerStore?
        return { [self] request in
            do {
                if store == nil { store = try ServerStore(path: databasePath, environment: environment) }
                guard let store else { throw ServiceError(503, "unavailable", "the database cannot be opened") }
                return try route(request, store: store, openConnections: openConnections)
            } catch let error as ServiceError {
                var response = ErrorBody.response(status: error.status, code: error.code, message: error.message)
                if let horizon = error.horizon {
                    response.headers.replace("Boucle-Horizon", String(horizon.sequence))
                    response.headers.replace("Boucle-Horizon-Time", String(horizon.time))
                }
                return HandledResponse(response, tenant: error.tenant)
            } catch {
                return HandledResponse(ErrorBody.response(status: 500, code: "internal", message: "the server could not answer: \(error)"))
            }
        }
    }

    private func route(_ request: HTTPRequest, store: ServerStore, openConnections: () -> Int) throws -> HandledResponse {
        switch (request.method, request.path) {
        case ("GET", "/v1/health"), ("HEAD", "/v1/health"):
            _ = try store.currentSequence()
            return HandledResponse(json(200, .object(["status": .string("ok"), "server": .string(store.serverID.rawValue)])))
        case ("GET", "/v1/metrics"):
            let principal = try authenticate(request, store: store)
            guard principal.role == .admin else { throw ServiceError(403, "forbidden", "metrics need an admin token", tenant: principal.tenant) }
            var response = HTTPResponse(status: 200, body: Array(metrics.render(openConnections: openConnections()).utf8))
            response.headers.replace("Content-Type", "text/plain; version=0.0.4")
            return HandledResponse(response, tenant: principal.tenant)
        case ("POST", "/v1/changes"):
            let principal = try authenticate(request, store: store)
            return HandledResponse(try push(request, principal: principal, store: store), tenant: principal.tenant)
        case ("GET", "/v1/changes"):
            let principal = try authenticate(request, store: store)
            return HandledResponse(try pull(request, principal: principal, store: store), tenant: principal.tenant)
        case (_, "/v1/health"), (_, "/v1/metrics"), (_, "/v1/changes"):
            throw ServiceError(405, "method_not_allowed", "\(request.method) is not allowed on \(request.path)")
        default:
            throw ServiceError(404, "not_found", "no such endpoint: see Protocol/SERVER.md (/v1/health, /v1/metrics, /v1/changes)")
        }
    }

    private func authenticate(_ request: HTTPRequest, store: ServerStore) throws -> Principal {
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
            throw ServiceError(401, "unauthorized", "a bearer token is required (Authorization: Bearer …)")
        }
        guard let principal = try store.authenticate(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)) else {
            throw ServiceError(401, "unauthorized", "unknown or revoked token: ask the city for a new one")
        }
        return principal
    }

    private func push(_ request: HTTPRequest, principal: Principal, store: ServerStore) throws -> HTTPResponse {
        let started = Date()
        guard let cursor = Int64(request.headers["Boucle-Cursor"] ?? "0"), cursor >= 0 else {
            throw ServiceError(400, "bad_request", "Boucle-Cursor must be a whole number ≥ 0", tenant: principal.tenant)
        }
        let result: PushResult
        do {
            result = try store.push(request.body, as: principal, cursor: cursor, maxClockAhead: maxClockAhead)
        } catch let error as SyncError {
            throw ServiceError(error, tenant: principal.tenant)
        }
        metrics.push(applied: result.applied, conflicts: result.lost.count)
        metrics.sync(seconds: Date().timeIntervalSince(started))
        return json(200, .object([
            "changes": .number(Double(result.changes)), "applied": .number(Double(result.applied)),
            "cursor": .number(Double(result.cursor)), "lost": .array(result.lost.map(BoucleService.json)),
        ]))
    }

    private func pull(_ request: HTTPRequest, principal: Principal, store: ServerStore) throws -> HTTPResponse {
        let started = Date()
        func number(_ name: String, default value: Int64) throws -> Int64 {
            guard let text = request.query[name] else { return value }
            guard let number = Int64(text), number >= 0 else {
                throw ServiceError(400, "bad_request", "\(name) must be a whole number ≥ 0", tenant: principal.tenant)
            }
            return number
        }
        let since = try number("since", default: 0)
        let after = try number("after", default: since)
        let limit = Int(min(try number("limit", default: Int64(pageRecords)), Int64(Self.maxPageRecords)))
        guard after >= since, limit > 0 else {
            throw ServiceError(400, "bad_request", "after must be ≥ since, and limit > 0", tenant: principal.tenant)
        }
        let (page, horizon): (ChangeSetPage, Horizon)
        do {
            (page, horizon) = try store.pull(as: principal, since: since, after: after, limit: limit)
        } catch let error as SyncError {
            throw ServiceError(error, tenant: principal.tenant)
        }
        metrics.sync(seconds: Date().timeIntervalSince(started))
        return HTTPResponse(status: 200, headers: HTTPHeaders([
            ("Content-Type", "application/x-ndjson"), ("Boucle-Next", String(page.next)),
            ("Boucle-More", page.more ? "true" : "false"), ("Boucle-Changes", String(page.changes)),
            ("Boucle-Horizon", String(horizon.sequence)), ("Boucle-Horizon-Time", String(horizon.time)),
        ]), body: page.changeSet)
    }

    private func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: JSONWriter.encode(value) + [10])
    }

    /// A losing pushed write as the push answer lists it (Protocol/SERVER.md).
    static func json(_ conflict: Conflict) -> JSONValue {
        func side(_ value: FieldValue?, _ stamp: Stamp) -> JSONValue {
            .object(["value": value?.json ?? .null, "hlc": .string(stamp.hlc.hex), "replica": .string(stamp.replica.rawValue)])
        }
        return .object([
            "kind": .string(conflict.kind.rawValue), "id": .string(conflict.recordID.rawValue),
            "collection": .string(conflict.collection.rawValue), "field": .string(conflict.field),
            "lost": side(conflict.loserValue, conflict.loser), "kept": side(conflict.winnerValue, conflict.winner),
        ])
    }
}

/// A refusal with its HTTP status, stable code and message.
struct ServiceError: Error {
    let status: Int
    let code: String
    let message: String
    let tenant: String?
    let horizon: Horizon?

    init(_ status: Int, _ code: String, _ message: String, tenant: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.tenant = tenant
        horizon = nil
    }

    /// A refusal of the sync protocol, with the status of Protocol/SERVER.md.
    init(_ error: SyncError, tenant: String) {
        let statuses = ["forbidden": 403, "wrong_tenant": 403, "conflict": 409, "clock_ahead": 422, "stale_replica": 410]
        status = statuses[error.code] ?? 400
        code = error.code
        message = error.message
        self.tenant = tenant
        horizon = error.horizon
    }
}
