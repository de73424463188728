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

extension ReplicaStore {
    /// Imports the rows of a spreadsheet into `collection`, all in one transaction, each row
    /// through the one edit path (`perform`): a bad row throws `StoreError.row` with its line
    /// (never the cell's value) and imports nothing; an error thrown by `nextRow` (the file
    /// being read) rolls the import back too. Rows are read one at a time, so memory does not
    /// grow with the file: the records already named are kept in a temporary table. A large
    /// import of offers, requests, rounds or sign-ups rebuilds the read indexes once
    /// (`BulkWrite`).
    ///
    /// - A row naming a live record of the collection sets the cells it gives (`.null` clears a
    ///   field); values equal to the record's are left out, so importing the same file twice
    ///   leaves the replica as it was.
    /// - A row without an id creates a record (a category's id derives from its slug, so such a
    ///   row names the live category of that slug, if any); a row with an id this replica has
    ///   never seen creates the record with that id.
    /// - A deleted record, a record of another collection, or two rows naming one record are
    ///   refused.
    public func importRows(_ collection: RecordCollection, nextRow: () throws -> ImportRow?) throws -> RowImportSummary {
        try write {
            var rules = surroundings
            if collection != .category {
                // The live categories cannot change while other records are imported: read
                // them once, not once a row.
                let categories = try rules.categories()
                rules.categories = { categories }
            }
            // Matches and categories read live records through the read indexes as they are
            // imported (a match moves its request; a category's slug); other records do not.
            var bulk = [.match, .category].contains(collection) ? nil : BulkWrite(rowsBefore: seq)
            var summary = RowImportSummary()
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS named_records(id TEXT PRIMARY KEY, line INTEGER NOT NULL); DELETE FROM temp.named_records;")
            while let row = try nextRow() {
                summary.rows += 1
                do {
                    let edit = try edit(for: row, in: collection)
                    if let target = edit.target {
                        if let first = try db.queryFirst("SELECT line FROM temp.named_records WHERE id = ?", [.text(target.rawValue)], row: { Int($0.int64(0)) }) {
                            throw StoreError.sameRecordAsLine(first)
                        }
                        try db.run("INSERT INTO temp.named_records(id, line) VALUES (?, ?)", [.text(target.rawValue), .integer(Int64(row.line))])
                    }
                    let outcome = try performInTransaction(edit.edit, rules: rules)
                    if outcome.created { summary.added += 1 } else if outcome.changed { summary.updated += 1 } else { summary.unchanged += 1 }
                } catch let error as StoreError {
                    throw StoreError.row(line: row.line, error)
                }
                try bulk?.noteWrite(table)
            }
            try bulk?.finish(table)
            return summary
        }
    }

    /// The edit a row makes, and the record it names when that is known before the edit.
    private func edit(for row: ImportRow, in collection: RecordCollection) throws -> (edit: LocalEdit, target: UUIDString?) {
        var id = row.id
        if collection == .category, id == nil, case .text(let slug)? = row.fields["slug"], FieldKind.isSlug(slug) {
            id = Categories.id(forSlug: slug)
        }
        guard let id, let existing = try table.load(id) else {
            return (.create(collection, id: collection == .category ? nil : id, fields: row.fields), id)
        }
        guard existing.tombstone == nil else { throw StoreError.recordDeleted(id) }
        guard existing.collection == collection else { throw StoreError.wrongCollection(id, is: existing.collection, expected: collection) }
        return (.set(id, fields: row.fields), id)
    }
}
