import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// `boucle import-csv`, `boucle export-csv` and `boucle export-geojson`: the spreadsheets
/// associations keep their lists in, and maps for uMap or QGIS.
enum SpreadsheetCommands {
    /// `-o FILE` for the exports that write to standard output without it.
    static let outputOrStdout = OptionSpec.value("-o", "FILE", help: "the file to write (replaced if it exists); default: standard output")

    static let importCSV = Command(
        "import-csv",
        summary: "Add and update records from a CSV file (a bad row imports nothing).",
        positionals: [
            PositionalSpec("COLLECTION", help: RecordCollection.allCases.map(\.rawValue).joined(separator: ", ")),
            PositionalSpec("FILE", help: "a CSV file whose first row names its columns (see `boucle export-csv`)"),
        ],
        examples: [
            "boucle import-csv offer offres.csv",
            "# a row whose id is a record here updates the cells it gives (an empty cell clears the field);",
            "# a row without id adds a record; a row with an id unknown here adds the record with that id",
        ]
    ) { context in
        let collection = try SpreadsheetColumns.collection(context.arguments.positionals[0])
        let path = context.arguments.positionals[1]
        let file = try FileChunks(path)
        let store = try context.openStore()
        let summary: RowImportSummary
        do {
            var rows = try SpreadsheetRows(try CSVReader(file), of: collection)
            summary = try store.importRows(collection) { try rows.next() }
        } catch let error as CSVError {
            throw CommandFailure("\(path): \(error); nothing was imported")
        } catch let error as SpreadsheetError {
            throw CommandFailure("\(path): \(error.message); nothing was imported")
        } catch StoreError.row(let line, let error) {
            throw CommandFailure("\(path): line \(line): \(Advice.describe(rowError: error)); nothing was imported")
        }
        if context.json {
            context.printJSON(.object([
                "rows": .number(Double(summary.rows)), "added": .number(Double(summary.added)),
                "updated": .number(Double(summary.updated)), "unchanged": .number(Double(summary.unchanged)),
            ]))
        } else {
            context.say("imported \(Plural.count(summary.rows, "row")) into \(collection.rawValue): \(summary.added) added, \(summary.updated) updated, \(summary.unchanged) unchanged")
        }
    }

    static let excel = OptionSpec.flag("--excel", help: "write for French Excel: `;` between cells, decimal commas, CRLF, a byte order mark")

    static let exportCSV = Command(
        "export-csv",
        summary: "Write the live records of a collection as CSV, one row a record, in id order.",
        positionals: [PositionalSpec("COLLECTION", help: RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))],
        options: [outputOrStdout, excel],
        examples: ["boucle export-csv request -o demandes.csv", "boucle export-csv offer > offres.csv",
                   "boucle export-csv offer --excel -o offres.csv"]
    ) { context in
        let collection = try SpreadsheetColumns.collection(context.arguments.positionals[0])
        let store = try context.openStore()
        let records = try store.records(in: collection)
        let forExcel = context.arguments.flag(excel)
        let bytes = CSV.encode([SpreadsheetColumns.header(collection)] + records.map { SpreadsheetColumns.cells($0, decimalComma: forExcel) },
                               dialect: forExcel ? .excel : .standard)
        guard let path = context.arguments.value(outputOrStdout) else {
            context.write(String(decoding: bytes, as: UTF8.self))
            return
        }
        try OutputFile.write(bytes, to: path)
        if context.json {
            context.printJSON(.object(["file": .string(path), "rows": .number(Double(records.count))]))
        } else {
            context.say("wrote \(Plural.count(records.count, "\(collection.rawValue) row")) to \(path)")
        }
    }
}

/// The columns of each collection's spreadsheet, and how cells become values and back.
///
/// `id` comes first, then the fields in a fixed order (Protocol/SPEC.md §1 names them). A cell
/// is the value as a person types it: text as it is, numbers in canonical form (`45.7627`),
/// booleans `true`/`false` (`yes`/`no`, `oui`/`non`, `1`/`0` are read too), an unset field
/// empty.
enum SpreadsheetColumns {
    static let fields: [RecordCollection: [String]] = [
        .offer: ["category", "title", "details", "address", "lat", "lon", "remote", "status", "contact_name", "phone"],
        .request: ["category", "title", "details", "address", "lat", "lon", "remote", "status", "urgency", "on_behalf_of", "contact_name", "phone"],
        .match: ["request", "offer", "status", "note"],
        .round: ["kind", "date", "area", "title", "status"],
        .signup: ["round", "volunteer", "phone", "status"],
        .category: ["slug", "label"],
    ]

    /// `id` and the collection's fields, in order.
    static func header(_ collection: RecordCollection) -> [String] { ["id"] + (fields[collection] ?? []) }

    /// A record's cells, in the order of `header`; numbers with a decimal comma if asked (what
    /// French Excel reads as numbers).
    static func cells(_ record: StoredRecord, decimalComma: Bool = false) -> [String] {
        [record.id.rawValue] + (fields[record.collection] ?? []).map { field in
            guard let value = record.state.fields[field]?.value else { return "" }
            if decimalComma, case .number = value { return value.display.replacingOccurrences(of: ".", with: ",") }
            if case .text(let text) = value, startsLikeAFormula(text) { return "'" + text }
            return value.display
        }
    }

    /// The characters that make a spreadsheet read a cell as a formula when it starts with one.
    private static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// True when `text`, after any apostrophes it starts with, starts like a formula. Such a text
    /// is exported behind one more apostrophe, which spreadsheets read as "text, not a formula"
    /// and do not show (a resident's `=HYPERLINK(…)` would otherwise run on the city's computer);
    /// `value` takes that apostrophe off again, so texts round-trip.
    private static func startsLikeAFormula(_ text: String) -> Bool {
        text.first { $0 != "'" }.map(formulaStarts.contains) ?? false
    }

    static func collection(_ name: String) throws -> RecordCollection {
        guard let collection = RecordCollection(rawValue: name) else {
            throw UsageError("unknown collection \"\(name.prefix(40))\": use one of \(RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return collection
    }

    /// A cell read as a value of `kind`; text is kept as it is, other kinds are trimmed.
    static func value(_ cell: String, kind: FieldKind, column: String, line: Int) throws -> FieldValue {
        if kind == .text {
            if cell.first == "'", startsLikeAFormula(cell) { return .text(String(cell.dropFirst())) }
            return cell.isEmpty ? .null : .text(cell)
        }
        var text = CSV.trimmed(cell)
        if kind == .uuid { text = text.lowercased() }
        // A decimal comma, as French spreadsheets write numbers: 45,7627.
        if case .number = kind, text.filter({ $0 == "," }).count == 1, !text.contains(".") {
            text = text.replacingOccurrences(of: ",", with: ".")
        }
        guard let value = kind.parse(text) else {
            throw SpreadsheetError("line \(line): column \(column) must be \(kind.expectation)")
        }
        return value
    }
}

/// The rows of a CSV file of one collection read as `ImportRow`s, one at a time: the header
/// names known columns, each once; rows whose cells are all empty are skipped (spreadsheets
/// leave them after the data). Errors name the line and the column, never a cell's value.
struct SpreadsheetRows {
    private var reader: CSVReader
    /// The column of each cell, in order.
    private let names: [String]
    private let kinds: [String: FieldKind]

    /// Reads the header.
    init(_ reader: CSVReader, of collection: RecordCollection) throws {
        self.reader = reader
        kinds = collection.fields
        guard let first = try self.reader.next() else {
            throw SpreadsheetError("the file is empty: its first row must name the columns (see `boucle export-csv \(collection.rawValue)`)")
        }
        let known = SpreadsheetColumns.header(collection)
        var names: [String] = []
        for (index, cell) in first.cells.enumerated() {
            let name = cell.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw SpreadsheetError("line \(first.line): column \(index + 1) of the header has no name") }
            guard known.contains(name) else {
                throw SpreadsheetError("line \(first.line): unknown column \"\(name.prefix(40))\" for \(collection.rawValue) (columns: \(known.joined(separator: ", ")))")
            }
            guard !names.contains(name) else { throw SpreadsheetError("line \(first.line): column \(name) appears twice") }
            names.append(name)
        }
        self.names = names
    }

    /// The next row with a cell that is not empty, or nil at the end of the file.
    mutating func next() throws -> ImportRow? {
        while let row = try reader.next() {
            guard !row.cells.allSatisfy(\.isEmpty) else { continue }
            var id: UUIDString?
            var values: [String: FieldValue] = [:]
            for (name, cell) in zip(names, row.cells) {
                if name == "id" {
                    let text = CSV.trimmed(cell).lowercased()
                    guard text.isEmpty || UUIDString(text) != nil else {
                        throw SpreadsheetError("line \(row.line): column id must be a record id (a UUID) or empty")
                    }
                    id = UUIDString(text)
                } else if let kind = kinds[name] {
                    values[name] = try SpreadsheetColumns.value(cell, kind: kind, column: name, line: row.line)
                }
            }
            return ImportRow(line: row.line, id: id, fields: values)
        }
        return nil
    }
}

/// A file read in chunks of 64 KiB, for `CSVReader`.
struct FileChunks: CSVByteSource {
    private let handle: FileHandle

    /// Opens `path`; throws a `CommandFailure` naming it when it is a folder or cannot be read.
    init(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw CommandFailure("\(path) is a folder, not a CSV file: give the file's path")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandFailure("cannot read \(path): no such file or no permission")
        }
        self.handle = handle
    }

    mutating func nextChunk() throws(CSVError) -> [UInt8]? {
        let data: Data?
        do { data = try handle.read(upToCount: 64 * 1024) } catch { throw .unreadable }
        guard let data, !data.isEmpty else { return nil }
        return [UInt8](data)
    }
}

/// A row of a CSV file that cannot be read as a record: "line N: …", naming the column, never
/// the cell's value.
struct SpreadsheetError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
