import BoucleCore

/// One row of a spreadsheet to import: the line of the file it starts on, the record it names
/// (nil: a new record) and the cells it gives, already read into values (`.null` for an empty
/// cell).
public struct ImportRow: Equatable, Sendable {
    public var line: Int
    public var id: UUIDString?
    public var fields: [String: FieldValue]

    public init(line: Int, id: UUIDString?, fields: [String: FieldValue]) {
        self.line = line
        self.id = id
        self.fields = fields
    }
}

/// What a spreadsheet import did.
public struct RowImportSummary: Equatable, Sendable {
    public var rows = 0
    /// Records created (from a row without an id, or with an id this replica has never seen).
    public var added = 0
    /// Records whose fields changed.
    public var updated = 0
    /// Rows that named a record and only repeated its values.
    public var unchanged = 0
}

/// What a new record must have, and what it gets when a row leaves a field out.
public struct NewRecordRules: Sendable {
    /// Fields a new record must have (an empty cell does not count).
    public var required: [String]
    /// Values of fields a new record's row leaves out or empty.
    public var defaults: [String: FieldValue]

    public init(required: [String], defaults: [String: FieldValue] = [:]) {
        self.required = required
        self.defaults = defaults
    }
}

extension ReplicaStore {
    /// Imports the rows of a spreadsheet into `collection`, all in one transaction: every row is
    /// checked first, and one bad row (an error "line N: …" naming the line and the column,
    /// never the cell's value) imports nothing.
    ///
    /// - A row naming a live record of the collection sets the fields it gives whose values
    ///   differ (`.null` clears one); a row that changes nothing writes nothing, so importing
    ///   the same file twice leaves the replica as it was.
    /// - A row without an id creates a record with a new id (a category's id is derived from
    ///   its slug, so a category row without id names the existing category of that slug, if
    ///   any); a row with an id this replica has never seen creates the record with that id.
    ///   New records get `rules.defaults` for the fields left out or empty, must then have every
    ///   field of `rules.required`, and leave empty cells out.
    /// - Checked as `offer add` and `set` check them: each value against its field's kind, `lat`
    ///   and `lon` set together, the categories of offers and requests among the replica's live
    ///   categories, a sign-up's round and a match's request and offer live records of those
    ///   collections, a category's slug unchanged. A deleted record, a record of another
    ///   collection or two rows naming one record are refused.
    public func importRows(_ collection: RecordCollection, rows: [ImportRow], rules: NewRecordRules) throws -> RowImportSummary {
        try write {
            var summary = RowImportSummary()
            var changes: [Change] = []
            var lineOfRecord: [UUIDString: Int] = [:]
            let categories = try Set(table.live(in: .category).compactMap { record -> String? in
                if case .text(let slug)? = record.1.fields["slug"]?.value { return slug }
                return nil
            })
            for row in rows {
                summary.rows += 1
                let plan = try plan(row, in: collection, rules: rules, categories: categories)
                if let first = lineOfRecord[plan.id] {
                    throw rowError(row.line, "names the same record as line \(first)")
                }
                lineOfRecord[plan.id] = row.line
                guard let change = plan.change else {
                    summary.unchanged += 1
                    continue
                }
                if let problem = change.problem() { throw rowError(row.line, problem) }
                if plan.isNew { summary.added += 1 } else { summary.updated += 1 }
                changes.append(change)
            }
            for change in changes {
                try apply(Change(collection: change.collection, id: change.id, team: change.team, stamp: nextStamp(),
                                 operation: change.operation, prev: change.prev))
            }
            return summary
        }
    }

    /// The record a row names and the change it makes (nil when it changes nothing); the stamp
    /// is a placeholder, given when every row has passed.
    private func plan(_ row: ImportRow, in collection: RecordCollection, rules: NewRecordRules,
                      categories: Set<String>) throws -> (id: UUIDString, isNew: Bool, change: Change?) {
        for (name, value) in row.fields.sorted(by: { $0.key < $1.key }) {
            guard let kind = collection.fields[name] else {
                throw rowError(row.line, "unknown column \"\(name.prefix(40))\" for \(collection.rawValue)")
            }
            if let problem = kind.problem(with: value) { throw rowError(row.line, "column \(name) \(problem)") }
        }
        var id = row.id
        if collection == .category, id == nil, case .text(let slug)? = row.fields["slug"] {
            id = Categories.id(forSlug: slug)
        }
        let existing = try id.flatMap { try table.load($0) }
        let fields: [String: FieldValue]
        let result: [String: FieldValue]
        var prev: [String: Stamp] = [:]
        let team: String
        if let id, let existing {
            guard existing.tombstone == nil else {
                throw rowError(row.line, "record \(id) was deleted: leave the id empty to add a new record")
            }
            guard existing.collection == collection else {
                throw rowError(row.line, "record \(id) is a \(existing.collection.rawValue), not a \(collection.rawValue)")
            }
            fields = row.fields.filter { (existing.fields[$0.key]?.value ?? .null) != $0.value }
            if collection == .category, fields["slug"] != nil {
                throw rowError(row.line, "column slug: a category's slug is its identity and cannot change (add a new category instead)")
            }
            prev = existing.fields.filter { fields[$0.key] != nil }.mapValues(\.stamp)
            result = existing.fields.mapValues(\.value).merging(fields) { $1 }
            team = existing.team
        } else {
            fields = rules.defaults.merging(row.fields.filter { $0.value != .null }) { $1 }
            let missing = rules.required.filter { fields[$0] == nil }
            guard missing.isEmpty else {
                throw rowError(row.line, "a new \(collection.rawValue) needs \(missing.joined(separator: " and ")) (empty or missing column)")
            }
            guard !fields.isEmpty else { throw rowError(row.line, "a new \(collection.rawValue) needs at least one field") }
            result = fields
            team = self.team
        }
        try checkReferences(result, changed: fields, of: collection, line: row.line, categories: categories)
        let recordID = id ?? environment.newID()
        guard !fields.isEmpty else { return (recordID, false, nil) }
        let change = Change(collection: collection, id: recordID, team: team, stamp: Stamp(hlc: .zero, replica: replicaID),
                            operation: .set(fields), prev: prev)
        return (recordID, existing == nil, change)
    }

    /// The checks `offer add` and `set` make: coordinates in pairs, named categories and records
    /// that exist here.
    private func checkReferences(_ result: [String: FieldValue], changed: [String: FieldValue], of collection: RecordCollection,
                                 line: Int, categories: Set<String>) throws {
        func isSet(_ name: String) -> Bool { (result[name] ?? .null) != .null }
        if collection.fields["lat"] != nil, isSet("lat") != isSet("lon") {
            throw rowError(line, "columns lat and lon go together: give both or neither")
        }
        if collection == .offer || collection == .request, case .text(let slug)? = changed["category"], !categories.contains(slug) {
            throw rowError(line, "column category names an unknown category (known: \(categories.sorted().joined(separator: ", ")); add one with `boucle category add`)")
        }
        let references: [String: RecordCollection] = switch collection {
        case .signup: ["round": .round]
        case .match: ["request": .request, "offer": .offer]
        default: [:]
        }
        for (field, target) in references.sorted(by: { $0.key < $1.key }) {
            guard case .text(let text)? = changed[field], let id = UUIDString(text) else { continue }
            guard let state = try table.load(id), state.tombstone == nil, state.collection == target else {
                throw rowError(line, "column \(field) names no \(target.rawValue) of this replica")
            }
        }
    }

    private func rowError(_ line: Int, _ message: String) -> StoreError {
        .invalid("line \(line): \(message); nothing was imported")
    }
}
