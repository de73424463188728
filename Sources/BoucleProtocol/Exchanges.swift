import BoucleCore
import HTTPCodec

/// An answer of the server that does not follow this protocol (a missing header, JSON of
/// another shape): is it a boucle-server of this version?
public struct InvalidAnswer: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. "has no Boucle-Next cursor".
    public let problem: String

    public init(_ problem: String) { self.problem = problem }

    public var description: String { "the server's answer \(problem): is it a boucle-server of this version?" }
}

/// The server generation a request names (`Boucle-Generation`), if any.
public enum GenerationHeader {
    /// Reads it: nil when absent; refused when it is not a generation.
    public static func read(_ headers: HTTPHeaders) throws(Refusal) -> UUIDString? {
        guard let text = headers[SyncHeader.generation] else { return nil }
        guard let generation = UUIDString(text) else { throw Refusal(.badRequest, "\(SyncHeader.generation) must be a lowercase UUID") }
        return generation
    }
}

/// `POST /v1/changes`: a push of one change-set, with the pusher's pull cursor.
public struct PushRequest: Equatable, Sendable {
    /// The pusher's pull cursor (the `since` of its last complete pull; 0 if it never pulled).
    public var cursor: Int64

    public init(cursor: Int64) { self.cursor = cursor }

    /// Reads the request's `Boucle-Cursor` (0 when absent).
    public init(headers: HTTPHeaders) throws(Refusal) {
        guard let text = headers[SyncHeader.cursor] else {
            cursor = 0
            return
        }
        guard let cursor = Int64(text), cursor >= 0 else {
            throw Refusal(.badRequest, "\(SyncHeader.cursor) must be a whole number ≥ 0")
        }
        self.cursor = cursor
    }

    /// The request carrying `changeSet`, with `headers` (the token, the generation) added.
    public func request(changeSet: [UInt8], headers: HTTPHeaders) -> HTTPRequest {
        var headers = headers
        headers.replace("Content-Type", SyncHeader.changeSetType)
        headers.replace(SyncHeader.cursor, String(cursor))
        return HTTPRequest(method: "POST", target: Endpoint.changes.path, headers: headers, body: changeSet)
    }
}

/// A pushed change the server left unapplied, and what it waits for (Protocol/SERVER.md,
/// "Relays and deferred changes"). It stays pending on the replica that pushed it.
public struct DeferredChange: Equatable, Sendable {
    /// Why a change waits.
    public enum Reason: String, CaseIterable, Sendable {
        /// The record belongs to another team than the token's.
        case team
        /// The token's role may not make it (a field token's delete).
        case role
        /// Only an admin token changes categories.
        case category
        /// The nine default categories cannot be deleted, by anyone.
        case defaultCategory = "default_category"
        /// It was written by a replica of another team, or one the server has not met.
        case writer
        /// It was written elsewhere, stamped ahead of the server's clock.
        case clockAhead = "clock_ahead"
    }

    public var id: UUIDString
    public var collection: RecordCollection
    public var stamp: Stamp
    public var reason: Reason
    /// Who or what can apply it, for people: "a token of team nord", "an admin token"…
    public var waitsFor: String

    public init(id: UUIDString, collection: RecordCollection, stamp: Stamp, reason: Reason, waitsFor: String) {
        self.id = id
        self.collection = collection
        self.stamp = stamp
        self.reason = reason
        self.waitsFor = waitsFor
    }

    var json: JSONValue {
        .object(["id": .string(id.rawValue), "collection": .string(collection.rawValue), "hlc": .string(stamp.hlc.hex),
                 "replica": .string(stamp.replica.rawValue), "reason": .string(reason.rawValue), "waits_for": .string(waitsFor)])
    }

    init?(json entry: JSONValue) {
        guard let id = entry["id"]?.stringValue.flatMap({ UUIDString($0) }),
              let collection = entry["collection"]?.stringValue.flatMap(RecordCollection.init(rawValue:)),
              let hlc = entry["hlc"]?.stringValue.flatMap({ HLC(hex: $0) }),
              let replica = entry["replica"]?.stringValue.flatMap({ UUIDString($0) }),
              let reason = entry["reason"]?.stringValue.flatMap(Reason.init(rawValue:)),
              let waitsFor = entry["waits_for"]?.stringValue
        else { return nil }
        self.init(id: id, collection: collection, stamp: Stamp(hlc: hlc, replica: replica), reason: reason, waitsFor: String(waitsFor.prefix(200)))
    }
}

/// The answer to a push: `{"changes":N,"applied":N,"cursor":S,"lost":[…],"deferred":[…]}`
/// (Protocol/SERVER.md).
public struct PushAnswer: Equatable, Sendable {
    /// Change lines read.
    public var changes = 0
    /// Changes that changed the server's state.
    public var applied = 0
    /// The server's sequence number after the push.
    public var cursor: Int64 = 0
    /// Pushed writes that lost at the server (`rejected` or `deleted`).
    public var lost: [Conflict] = []
    /// Pushed changes left unapplied: they stay pending on the pusher.
    public var deferred: [DeferredChange] = []
    /// The server sequences of the rows this push left exactly as the pusher holds them: its
    /// next pull may skip them (`PullRequest.skip`), so that nothing comes straight back.
    public var echo: [ClosedRange<Int64>] = []

    public init(changes: Int = 0, applied: Int = 0, cursor: Int64 = 0, lost: [Conflict] = [], deferred: [DeferredChange] = [],
                echo: [ClosedRange<Int64>] = []) {
        self.changes = changes
        self.applied = applied
        self.cursor = cursor
        self.lost = lost
        self.deferred = deferred
        self.echo = echo
    }

    /// The JSON body the server answers.
    public var json: JSONValue {
        .object([
            "changes": .number(Double(changes)), "applied": .number(Double(applied)),
            "cursor": .number(Double(cursor)), "lost": .array(lost.map(Self.json)), "deferred": .array(deferred.map(\.json)),
            "echo": .array(echo.map { .array([.number(Double($0.lowerBound)), .number(Double($0.upperBound))]) }),
        ])
    }

    /// Reads the JSON body of a push's answer.
    public init(body: [UInt8]) throws(InvalidAnswer) {
        guard let answer = try? JSONParser.parse(body), let entries = answer["lost"]?.arrayValue,
              let changes = answer["changes"]?.numberValue.flatMap({ Int(exactly: $0) }),
              let applied = answer["applied"]?.numberValue.flatMap({ Int(exactly: $0) }),
              let cursor = answer["cursor"]?.numberValue.flatMap({ Int64(exactly: $0) }),
              let waiting = answer["deferred"]?.arrayValue, let ranges = answer["echo"]?.arrayValue
        else { throw InvalidAnswer("to a push is not the JSON of Protocol/SERVER.md") }
        var echo: [ClosedRange<Int64>] = []
        for range in ranges {
            guard let bounds = range.arrayValue?.compactMap({ $0.numberValue.flatMap { Int64(exactly: $0) } }), bounds.count == 2,
                  bounds[0] <= bounds[1] else { throw InvalidAnswer("to a push has an echo range this boucle cannot read") }
            echo.append(bounds[0]...bounds[1])
        }
        var lost: [Conflict] = []
        for entry in entries {
            guard let conflict = Self.conflict(entry) else { throw InvalidAnswer("to a push lists a lost write this boucle cannot read") }
            lost.append(conflict)
        }
        var deferred: [DeferredChange] = []
        for entry in waiting {
            guard let change = DeferredChange(json: entry) else { throw InvalidAnswer("to a push lists a deferred change this boucle cannot read") }
            deferred.append(change)
        }
        self.init(changes: changes, applied: applied, cursor: cursor, lost: lost, deferred: deferred, echo: echo)
    }

    private static func json(_ conflict: Conflict) -> JSONValue {
        func side(_ value: FieldValue?, _ stamp: Stamp) -> JSONValue {
            .object(["value": value?.json ?? .null, "hlc": .string(stamp.hlc.hex), "replica": .string(stamp.replica.rawValue)])
        }
        return .object([
            "kind": .string(conflict.kind.rawValue), "id": .string(conflict.recordID.rawValue),
            "collection": .string(conflict.collection.rawValue), "field": .string(conflict.field),
            "lost": side(conflict.loserValue, conflict.loser), "kept": side(conflict.winnerValue, conflict.winner),
        ])
    }

    private static func conflict(_ entry: JSONValue) -> Conflict? {
        func stamp(_ side: String) -> Stamp? {
            guard let hlc = entry[side]?["hlc"]?.stringValue.flatMap({ HLC(hex: $0) }),
                  let replica = entry[side]?["replica"]?.stringValue.flatMap({ UUIDString($0) }) else { return nil }
            return Stamp(hlc: hlc, replica: replica)
        }
        guard let kind = entry["kind"]?.stringValue.flatMap(Conflict.Kind.init(rawValue:)),
              let id = entry["id"]?.stringValue.flatMap({ UUIDString($0) }),
              let collection = entry["collection"]?.stringValue.flatMap(RecordCollection.init(rawValue:)),
              let field = entry["field"]?.stringValue, let loser = stamp("lost"), let winner = stamp("kept")
        else { return nil }
        return Conflict(kind: kind, recordID: id, collection: collection, field: field,
                        loser: loser, loserValue: entry["lost"]?["value"].flatMap(FieldValue.init(json:)),
                        winner: winner, winnerValue: entry["kept"]?["value"].flatMap(FieldValue.init(json:)))
    }
}

/// `GET /v1/changes?since=S&after=A&limit=N`: one page of a pull.
public struct PullRequest: Equatable, Sendable {
    /// The cursor the pull started from: fields changed after it are sent.
    public var since: Int64
    /// Records whose server sequence is above it are sent.
    public var after: Int64
    /// The most records in the page; nil lets the server choose.
    public var limit: Int?
    /// Server sequences to leave out: the echo of the puller's own push (`PushAnswer.echo`).
    public var skip: [ClosedRange<Int64>]

    /// The most ranges a pull may skip.
    public static let maxSkippedRanges = 64

    public init(since: Int64, after: Int64, limit: Int? = nil, skip: [ClosedRange<Int64>] = []) {
        self.since = since
        self.after = after
        self.limit = limit
        self.skip = skip
    }

    /// Reads the query of a pull; `limit` is at most `SyncDefaults.maxPageRecords`.
    public init(query: [String: String]) throws(Refusal) {
        func number(_ name: String) throws(Refusal) -> Int64? {
            guard let text = query[name] else { return nil }
            guard let number = Int64(text), number >= 0 else { throw Refusal(.badRequest, "\(name) must be a whole number ≥ 0") }
            return number
        }
        since = try number("since") ?? 0
        after = try number("after") ?? since
        limit = try number("limit").map { Int(min($0, Int64(SyncDefaults.maxPageRecords))) }
        guard after >= since, limit != 0 else { throw Refusal(.badRequest, "after must be ≥ since, and limit > 0") }
        skip = try PullRequest.ranges(query["skip"] ?? "")
    }

    /// `1-5,9-12` read back into ranges; refused when malformed or over `maxSkippedRanges`.
    static func ranges(_ text: String) throws(Refusal) -> [ClosedRange<Int64>] {
        let parts = text.split(separator: ",")
        guard parts.count <= maxSkippedRanges else { throw Refusal(.badRequest, "skip names more than \(maxSkippedRanges) ranges") }
        var ranges: [ClosedRange<Int64>] = []
        for part in parts {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 0, low <= high else {
                throw Refusal(.badRequest, "skip must be ranges FROM-TO of whole numbers, comma-separated")
            }
            ranges.append(low...high)
        }
        return ranges
    }

    /// Ranges as `skip` writes them: `1-5,9-12`.
    public static func text(_ ranges: [ClosedRange<Int64>]) -> String {
        ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    /// The request, with `headers` (the token) added.
    public func request(headers: HTTPHeaders) -> HTTPRequest {
        let limit = self.limit.map { "&limit=\($0)" } ?? ""
        let skip = self.skip.isEmpty ? "" : "&skip=" + PullRequest.text(self.skip)
        return HTTPRequest(method: "GET", target: "\(Endpoint.changes.path)?since=\(since)&after=\(after)\(limit)\(skip)", headers: headers)
    }
}

/// Where a pulled page ends, as its answer's headers say.
public struct PagePosition: Equatable, Sendable {
    /// `Boucle-Next`: where the next page starts.
    public var next: Int64
    /// `Boucle-More`: whether another page follows.
    public var more: Bool
    /// `Boucle-Changes`: the change lines in the page.
    public var changes: Int
    /// The tenant's horizon when the page was built.
    public var horizon: Horizon
    /// `Boucle-Generation`: the generation of the server's database.
    public var generation: UUIDString?

    public init(next: Int64, more: Bool, changes: Int, horizon: Horizon, generation: UUIDString?) {
        self.next = next
        self.more = more
        self.changes = changes
        self.horizon = horizon
        self.generation = generation
    }

    /// The answer carrying a page's change-set.
    public func response(changeSet: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders([
            ("Content-Type", SyncHeader.changeSetType), (SyncHeader.next, String(next)),
            (SyncHeader.more, more ? "true" : "false"), (SyncHeader.changes, String(changes)),
        ])
        horizon.write(to: &headers)
        if let generation { headers.replace(SyncHeader.generation, generation.rawValue) }
        return HTTPResponse(status: 200, headers: headers, body: changeSet)
    }

    /// Reads a page's headers.
    public init(headers: HTTPHeaders) throws(InvalidAnswer) {
        guard let next = headers[SyncHeader.next].flatMap(Int64.init), next >= 0 else {
            throw InvalidAnswer("has no \(SyncHeader.next) cursor")
        }
        guard let more = headers[SyncHeader.more].flatMap({ ["true": true, "false": false][$0] }) else {
            throw InvalidAnswer("has no \(SyncHeader.more) true or false")
        }
        guard let horizon = Horizon(headers: headers) else {
            throw InvalidAnswer("has no \(SyncHeader.horizon) and \(SyncHeader.horizonTime)")
        }
        self.init(next: next, more: more, changes: headers[SyncHeader.changes].flatMap(Int.init) ?? 0, horizon: horizon,
                  generation: headers[SyncHeader.generation].flatMap { UUIDString($0) })
    }
}
