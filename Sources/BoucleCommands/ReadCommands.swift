import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle list`, `boucle show` and `boucle categories`.
enum ReadCommands {
    static let list = Command(
        "list",
        summary: "List the records of a collection (offer, request, match, round, signup, category).",
        positionals: [PositionalSpec("COLLECTION", help: RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))],
        options: [
            .value("--category", "C", help: "only this category"),
            .value("--status", "S", help: "only this status"),
        ],
        examples: ["boucle list offer --category groceries --status open", "boucle list request --json"]
    ) { context in
        let name = context.arguments.positionals[0]
        guard let collection = RecordCollection(rawValue: name) else {
            throw UsageError("unknown collection \"\(name.prefix(40))\": use one of \(RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let store = try context.openStore()
        var records = try store.records(in: collection)
        for (option, field) in [("--category", "category"), ("--status", "status")] {
            if let wanted = context.arguments.value(option) {
                records = records.filter { $0.text(field) == wanted }
            }
        }
        if context.json {
            context.printJSON(.array(records.map(Rendering.json)))
            return
        }
        let columns = listColumns[collection] ?? []
        let rows = records.map { record in
            [String(record.id.rawValue.prefix(8))] + columns.map { column in
                column == "where" ? place(record) : record.state.fields[column]?.value.display ?? ""
            }
        }
        context.write(Rendering.table(["id"] + columns, rows))
    }

    private static let listColumns: [RecordCollection: [String]] = [
        .offer: ["category", "status", "title", "where"],
        .request: ["category", "status", "urgency", "title", "where"],
        .match: ["status", "request", "offer"],
        .round: ["date", "kind", "status", "area"],
        .signup: ["round", "volunteer", "status"],
        .category: ["slug", "label"],
    ]

    /// Where help happens: "remote", the address, or nothing.
    private static func place(_ record: StoredRecord) -> String {
        if record.state.fields["remote"]?.value == .bool(true) { return "remote" }
        return record.text("address") ?? ""
    }

    static let show = Command(
        "show",
        summary: "Show one record with all its fields.",
        positionals: [PositionalSpec("ID", help: "the record's id (or a unique prefix of it)")]
    ) { context in
        let store = try context.openStore()
        let record = try store.record(try store.resolveID(context.arguments.positionals[0]))
        if context.json {
            context.printJSON(Rendering.json(record))
            return
        }
        var lines = ["\(record.collection.rawValue) \(record.id)", "  team: \(record.state.team)"]
        for (name, value) in record.values.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(value.display)")
        }
        context.say(lines.joined(separator: "\n"))
    }

    static let categories = Command(
        "categories",
        summary: "List the categories of help, by slug, with their labels."
    ) { context in
        let store = try context.openStore()
        let categories = try store.records(in: .category).sorted { ($0.text("slug") ?? "") < ($1.text("slug") ?? "") }
        if context.json {
            context.printJSON(.array(categories.map { .object(["slug": .string($0.text("slug") ?? ""), "label": .string($0.text("label") ?? "")]) }))
            return
        }
        context.write(Rendering.table(["slug", "label"], categories.map { [$0.text("slug") ?? "", $0.text("label") ?? ""] }))
    }
}
