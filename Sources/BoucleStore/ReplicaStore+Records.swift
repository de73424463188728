import BoucleCore

/// A live record as read from a replica: its id and merged state.
public struct StoredRecord: Equatable, Sendable {
    public let id: UUIDString
    public let state: RecordState

    public var collection: RecordCollection { state.collection }

    /// The record's set fields (cleared fields left out).
    public var values: [String: FieldValue] {
        state.fields.compactMapValues { $0.value == .null ? nil : $0.value }
    }

    /// The text of field `name`, or nil when unset or not text.
    public func text(_ name: String) -> String? {
        if case .text(let text)? = state.fields[name]?.value { return text }
        return nil
    }
}

extension ReplicaStore {
    /// Adds a record made on this replica (`perform(.create…)`) and returns its id.
    public func add(_ collection: RecordCollection, fields: [String: FieldValue]) throws -> UUIDString {
        try perform(.create(collection, fields: fields)).id
    }

    /// Sets fields of a live record (`perform(.set…)`; `.null` clears one).
    @discardableResult
    public func update(_ id: UUIDString, fields: [String: FieldValue]) throws -> EditOutcome {
        try perform(.set(id, fields: fields))
    }

    /// Deletes a live record: a tombstone, and its personal data erased from the file at once.
    public func delete(_ id: UUIDString) throws {
        try write {
            let state = try liveState(id)
            if Categories.isDefault(id), case .text(let slug)? = state.fields["slug"]?.value {
                throw StoreError.edit(.defaultCategory(slug))
            }
            try applyLocalEdit(Change(collection: state.collection, id: id, team: state.team, stamp: try nextStamp(), operation: .delete,
                                  prev: state.fields.mapValues(\.stamp)))
        }
    }

    /// The live record `id`; throws when unknown or deleted.
    public func record(_ id: UUIDString) throws -> StoredRecord {
        StoredRecord(id: id, state: try liveState(id))
    }

    /// The live records of a collection, in id order.
    public func records(in collection: RecordCollection) throws -> [StoredRecord] {
        try table.live(in: collection).map { StoredRecord(id: $0.0, state: $0.1) }
    }

    /// The records `query` asks for, through the indexes (`RecordTable+Reads.swift`).
    public func read(_ query: RecordQuery) throws -> RecordPage {
        try db.transactionForReading { try table.read(query) }
    }

    /// Calls `body` with each record `query` asks for, streaming; returns how many match in all.
    public func read(_ query: RecordQuery, each body: (StoredRecord) throws -> Void) throws -> Int {
        try db.transactionForReading { try table.read(query, each: body) }
    }

    /// True when a located record `query` asks for (its collection, category and status) lies
    /// within `meters` of `center`; stops at the first one found.
    public func hasLocated(_ query: RecordQuery, around center: Coordinate, within meters: Double) throws -> Bool {
        try db.transactionForReading { try table.hasLocated(query, around: center, radius: meters) }
    }

    /// The open offers for `request`, ranked (`Matching.rank`), the first `limit`.
    public func match(_ request: StoredRecord, within: Double?, limit: Int?) throws -> MatchPage {
        try db.transactionForReading { try table.match(request, within: within, limit: limit) }
    }

    /// The fewest characters of an id that name a record (like git's short hashes).
    public static let minimumIDPrefix = 4

    /// The full id of the record whose id starts with `prefix` (at least `minimumIDPrefix`
    /// characters); throws when it is shorter, or none or several match.
    public func resolveID(_ prefix: String) throws -> UUIDString {
        if let id = UUIDString(prefix) { return id }
        let lowered = prefix.lowercased()
        guard lowered.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || $0 == 45 }) else {
            throw StoreError.noSuchRecord(String(prefix.prefix(40)))
        }
        guard lowered.utf8.count >= Self.minimumIDPrefix else { throw StoreError.idPrefixTooShort(lowered) }
        let matches = try table.ids(startingWith: lowered, limit: 2)
        guard matches.count == 1, let id = UUIDString(matches[0]) else {
            if matches.isEmpty { throw StoreError.noSuchRecord(lowered) }
            throw StoreError.ambiguousID(lowered)
        }
        return id
    }

    func liveState(_ id: UUIDString) throws -> RecordState {
        guard let state = try table.load(id) else { throw StoreError.noSuchRecord(id.rawValue) }
        if state.tombstone != nil { throw StoreError.recordDeleted(id) }
        return state
    }
}
