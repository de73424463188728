import BoucleCore

/// One edit made on this replica, as the commands give it: a new record, or new values for a
/// live one (`.null` clears a field).
public enum LocalEdit: Equatable, Sendable {
    /// A new record of `collection`, with `id` when the edit names one (a spreadsheet row with
    /// an id this replica has never seen); a category's id always derives from its slug.
    case create(RecordCollection, id: UUIDString? = nil, fields: [String: FieldValue])
    /// New values for the live record `id`; values equal to the record's are left out.
    case set(UUIDString, fields: [String: FieldValue])
}

/// What an edit did.
public struct EditOutcome: Equatable, Sendable {
    /// The record edited or created.
    public let id: UUIDString
    public let collection: RecordCollection
    /// True when the edit made a record.
    public let created: Bool
    /// False when every value given was the record's already: nothing was written.
    public let changed: Bool
    /// For a match: the status its request took, or nil when the request was left alone (it
    /// belongs to another team, whose coordinator updates it) or the match's status did not move.
    public let requestStatus: String?
}

extension ReplicaStore {
    /// Makes `edit` in one transaction: the one path of every local edit (`add`, `set`,
    /// `match`, `category add`, and each row of `import-csv`), checked by `EditRules` and
    /// `Change.problem()`, then merged, then followed by its consequences (a match moves its
    /// request). Throws `StoreError.edit` with the rule broken.
    @discardableResult
    public func perform(_ edit: LocalEdit) throws -> EditOutcome {
        try write { try performInTransaction(edit) }
    }

    /// `perform` inside the caller's write transaction, checked against `rules` (by default
    /// the replica's live records, `surroundings`).
    func performInTransaction(_ edit: LocalEdit, rules: EditRules.Surroundings? = nil) throws -> EditOutcome {
        let collection: RecordCollection
        let id: UUIDString
        let existing: RecordState?
        var changes: [String: FieldValue]
        switch edit {
        case let .create(kind, given, fields):
            collection = kind
            changes = (Schema.defaults[kind] ?? [:]).merging(fields.filter { $0.value != .null }) { $1 }
            if kind == .category {
                guard case .text(let slug)? = changes["slug"] else { throw StoreError.edit(.missingFields(.category, ["slug"])) }
                id = Categories.id(forSlug: slug)
                if let stored = try table.load(id) {
                    throw StoreError.edit(stored.tombstone == nil ? .categoryExists(slug) : .categoryDeleted(slug))
                }
            } else {
                id = given ?? environment.newID()
                if let stored = try table.load(id) {
                    throw stored.tombstone == nil ? StoreError.recordExists(id) : StoreError.recordDeleted(id)
                }
            }
            existing = nil
        case let .set(target, fields):
            guard !fields.isEmpty else { throw StoreError.edit(.nothingToSet) }
            let state = try liveState(target)
            (collection, id, existing) = (state.collection, target, state)
            changes = fields.filter { (state.fields[$0.key]?.value ?? .null) != $0.value }
        }
        if let violation = try EditRules.violation(collection, existing: existing.map { $0.fields.mapValues(\.value) }, changes: changes,
                                               in: rules ?? surroundings) {
            throw StoreError.edit(violation)
        }
        guard !changes.isEmpty else {
            return EditOutcome(id: id, collection: collection, created: false, changed: false, requestStatus: nil)
        }
        let change = Change(collection: collection, id: id, team: existing?.team ?? team, stamp: try nextStamp(), operation: .set(changes),
                            prev: existing?.fields.filter { changes[$0.key] != nil }.mapValues(\.stamp) ?? [:])
        // The clock is above every stamp this replica received, so a local write wins, unless
        // `restamp` set it back below a value stamped ahead: then say so rather than "updated".
        if let (field, winner) = existing?.fields.first(where: { changes[$0.key] != nil && !change.stamp.beats($0.value.stamp) }) {
            throw StoreError.editCannotWin(id, field: field, stamped: winner.stamp.hlc.milliseconds)
        }
        try applyLocalEdit(change)
        var requestStatus: String?
        if collection == .match, case .text(let status)? = changes["status"] {
            let request = existing?.fields["request"]?.value ?? changes["request"]
            if case .text(let text)? = request, let requestID = UUIDString(text), let record = try? record(requestID) {
                requestStatus = try followMatch(id, request: record, matchStatus: status)
            }
        }
        return EditOutcome(id: id, collection: collection, created: existing == nil, changed: true, requestStatus: requestStatus)
    }

    /// What `EditRules` may look at: this replica's live records.
    var surroundings: EditRules.Surroundings {
        EditRules.Surroundings(
            collectionOf: { [table] id in
                guard let state = try table.load(id), state.tombstone == nil else { return nil }
                return state.collection
            },
            categories: { [table] in
                Set(try table.live(in: .category).compactMap { record -> String? in
                    if case .text(let slug)? = record.1.fields["slug"]?.value { return slug }
                    return nil
                })
            }
        )
    }

    /// Sets the request of match `match` to the status its matches call for
    /// (`EditRules.requestStatus`), if the request is this team's. Returns the status it has.
    private func followMatch(_ match: UUIDString, request: StoredRecord, matchStatus: String) throws -> String? {
        guard request.state.team == team else { return nil }
        let others = try records(in: .match).contains { other in
            other.id != match && other.text("request") == request.id.rawValue
                && EditRules.activeMatchStatuses.contains(other.text("status") ?? "")
        }
        guard let status = EditRules.requestStatus(forMatchStatus: matchStatus, anotherMatchActive: others) else { return nil }
        guard request.text("status") != status else { return status }
        try applyLocalEdit(Change(collection: .request, id: request.id, team: request.state.team, stamp: try nextStamp(),
                                  operation: .set(["status": .text(status)]),
                                  prev: request.state.fields["status"].map { ["status": $0.stamp] } ?? [:]))
        return status
    }

    /// Validates (`Change.problem()`) and merges one of this replica's own changes.
    func applyLocalEdit(_ change: Change) throws {
        if let problem = change.problem() { throw StoreError.edit(.invalidField(problem)) }
        try apply(change)
    }
}
