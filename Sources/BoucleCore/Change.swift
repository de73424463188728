/// One change to one record: a writer's fields at one stamp, or a delete.
///
/// Invariants (checked by `validate()`, which every decoder and local write calls): `team` is a
/// slug, a `set` names at least one field, and every field belongs to the collection and fits its
/// kind.
public struct Change: Equatable, Sendable {
    /// What the change does to the record.
    public enum Operation: Equatable, Sendable {
        /// Sets these fields (a `.null` value clears a field).
        case set([String: FieldValue])
        /// Deletes the record: a tombstone that beats every write to it.
        case delete
    }

    public let collection: RecordCollection
    public let id: UUIDString
    public let team: String
    public let stamp: Stamp
    public let operation: Operation
    /// Per field, the stamp of the value the writer replaced (for a delete: every field it saw).
    /// Fields without one were new to the writer. Used only to tell conflicts from sequential
    /// edits; it never changes which value wins.
    public let prev: [String: Stamp]

    public init(collection: RecordCollection, id: UUIDString, team: String, stamp: Stamp, operation: Operation,
                prev: [String: Stamp] = [:]) {
        self.collection = collection
        self.id = id
        self.team = team
        self.stamp = stamp
        self.operation = operation
        self.prev = prev
    }

    /// Nil when the change is well formed, else what is wrong with it (no field values quoted).
    public func problem() -> String? {
        guard FieldKind.isSlug(team) else { return "team must be 1 to 40 of a-z, 0-9 and -" }
        if stamp.replica == .zero, !Categories.isSeeded(self) {
            return "only the nine seed categories are stamped by the seed writer \(UUIDString.zero)"
        }
        for name in prev.keys.sorted() where collection.fields[name] == nil {
            return "prev names unknown field \"\(name.prefix(40))\" for \(collection.rawValue)"
        }
        guard case .set(let fields) = operation else { return nil }
        if let stray = prev.keys.sorted().first(where: { fields[$0] == nil }) {
            return "prev names field \"\(stray)\" that the change does not set"
        }
        if fields.isEmpty { return "a set change must name at least one field (it is empty)" }
        if collection == .category, fields["slug"] == .null { return "a category's slug is its identity: it cannot be cleared" }
        if collection == .category, case .text(let slug)? = fields["slug"], FieldKind.isSlug(slug), Categories.id(forSlug: slug) != id {
            return "a category's id must be derived from its slug (Protocol/SPEC.md §1)"
        }
        // The usual case, every field fine, needs no sorting; only a refusal names the first
        // faulty field in name order, so that the message is the same on every replica.
        let kinds = collection.fields
        let allFine = fields.allSatisfy { name, value in
            guard let kind = kinds[name] else { return false }
            return kind.problem(with: value) == nil
        }
        if allFine { return nil }
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if let problem = Schema.problem(collection: collection, field: name, value: value) {
                return problem
            }
        }
        return nil
    }
}
