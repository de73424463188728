import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle list`, `boucle show` and `boucle categories`.
enum ReadCommands {
    static let category = OptionSpec.value("--category", "C", help: "only this category")
    static let status = OptionSpec.value("--status", "S", help: "only this status")
    static let near = OptionSpec.value("--near", "LAT,LON", help: "only located records, nearest first (with --within)")
    static let within = OptionSpec.value("--within", "METERS", help: "with --near: no further than this")
    static let address = OptionSpec.value("--address", "TEXT", help: "only records in the same building as this address")

    /// `--near`'s point, or a usage error that says which part of it is wrong.
    static func nearPoint(_ text: String) throws -> Coordinate {
        let example = "e.g. 45.7676,4.8344"
        do {
            return try Coordinate(parsing: text)
        } catch .notLatLon {
            throw UsageError("--near takes LAT,LON with decimal points, \(example)")
        } catch .latitudeOutOfRange {
            throw UsageError("--near: the latitude must be between -90 and 90, \(example)")
        } catch .longitudeOutOfRange {
            throw UsageError("--near: the longitude must be between -180 and 180, \(example)")
        }
    }

    /// The distance `option` gives, in metres, if given.
    static func meters(_ option: OptionSpec, in context: Context) throws -> Double? {
        try context.arguments.value(option).map { text in
            guard let meters = Double(text), meters >= 0, meters.isFinite else { throw UsageError("\(option.name) takes a distance in metres, e.g. 1500") }
            return meters
        }
    }

    /// `--limit N`, for `list` and `match`.
    static let limit = OptionSpec.value("--limit", "N", help: "at most N records (default: \(defaultLimit) in a table, all with --json)")
    /// How many rows a table shows unless `--limit` says.
    static let defaultLimit = 50

    /// The `--limit` given, if any.
    static func limit(in context: Context) throws -> Int? {
        try context.arguments.value(limit).map { text in
            guard let number = Int(text), number > 0 else { throw UsageError("--limit takes a number above 0, e.g. 20") }
            return number
        }
    }

    /// The line under a table that shows `shown` of `total` rows, if it does not show them all.
    static func more(shown: Int, total: Int) -> String? {
        total > shown ? "… and \(total - shown) more: see them with --limit \(total) (or --json)" : nil
    }

    static let list = Command(
        "list",
        summary: "List the records of a collection (offer, request, match, round, signup, category).",
        positionals: [PositionalSpec("COLLECTION", help: RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))],
        options: [category, status, near, within, address, limit],
        examples: ["boucle list offer --category groceries --status open", "boucle list request --near 45.7676,4.8344 --within 800",
                   "boucle list request --address \"12 rue Mercière, 69002 Lyon\"", "boucle list request --json", "boucle list offer --limit 200"]
    ) { context in
        let name = context.arguments.positionals[0]
        guard let collection = RecordCollection(rawValue: name) else {
            throw UsageError("unknown collection \"\(name.prefix(40))\": use one of \(RecordCollection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if context.arguments.has(within), !context.arguments.has(near) {
            throw UsageError("--within goes with --near LAT,LON")
        }
        let store = try context.openStore()
        try checkFilters(context.arguments, of: collection, in: store)
        let given = try limit(in: context)
        var query = RecordQuery(collection, category: context.arguments.value(category), status: context.arguments.value(status),
                                within: try meters(within, in: context), limit: context.json ? given : given ?? defaultLimit)
        if let address = context.arguments.value(address) {
            guard let key = AddressKey.make(address) else { throw UsageError("--address needs a street address") }
            query.building = key
        }
        if let near = context.arguments.value(near) {
            query.near = try nearPoint(near)
        }
        if context.json {
            var output = JSONArrayOutput()
            _ = try store.read(query) { output.append(Rendering.json($0)) }
            output.finish()
            return
        }
        let page = try store.read(query)
        if let center = query.near, let warning = try swappedWarning(query, center: center, in: store) {
            StandardStreams.err(warning)
        }
        let columns = listColumns[collection] ?? []
        let rows = page.records.map { record in
            [String(record.id.rawValue.prefix(8))] + columns.map { column in
                column == "where" ? place(record) : record.state.fields[column]?.value.display ?? ""
            }
        }
        context.write(Rendering.table(["id"] + columns, rows))
        if let more = more(shown: page.records.count, total: page.total) { context.say(more) }
    }

    static let listColumns: [RecordCollection: [String]] = [
        .offer: ["category", "status", "title", "where"],
        .request: ["category", "status", "urgency", "title", "where"],
        .match: ["status", "request", "offer"],
        .round: ["date", "kind", "status", "area"],
        .signup: ["round", "volunteer", "status"],
        .category: ["slug", "label"],
    ]

    /// Refuses a `--category` that names no category of this replica and a `--status` that is
    /// none of the collection's, listing the known ones (a typo would otherwise list nothing).
    private static func checkFilters(_ arguments: ParsedArguments, of collection: RecordCollection, in store: ReplicaStore) throws {
        if let wanted = arguments.value(category) {
            guard collection.fields["category"] != nil else { throw UsageError("\(collection.rawValue) records have no category") }
            let known = try store.records(in: .category).compactMap { $0.text("slug") }.sorted()
            guard known.contains(wanted) else { throw UsageError(EditViolation.unknownCategory(wanted, known: known).description) }
        }
        if let wanted = arguments.value(status) {
            guard case .choice(let statuses)? = collection.fields["status"] else { throw UsageError("\(collection.rawValue) records have no status") }
            guard statuses.contains(wanted) else {
                throw UsageError("unknown status \"\(wanted.prefix(40))\" for \(collection.rawValue): use one of \(statuses.joined(separator: ", "))")
            }
        }
    }

    /// A warning when nothing matching `query` lies within 50 km of its point but something
    /// lies within 50 km of the point with latitude and longitude swapped (`--near 4.83,45.76`
    /// for Lyon).
    private static func swappedWarning(_ query: RecordQuery, center: Coordinate, in store: ReplicaStore) throws -> String? {
        let swapped = Coordinate(lat: center.lon, lon: center.lat)
        guard (-90...90).contains(swapped.lat) else { return nil }
        guard try !store.hasLocated(query, around: center, within: 50_000),
              try store.hasLocated(query, around: swapped, within: 50_000) else { return nil }
        return "warning: nothing here lies near \(center.lat),\(center.lon), but records lie near \(swapped.lat),\(swapped.lon): --near takes the latitude first\n"
    }

    /// Where help happens: "remote", the address, or nothing.
    static func place(_ record: StoredRecord) -> String {
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
            var object = Rendering.json(record)
            if record.collection == .round, var fields = object.objectValue {
                fields["volunteers"] = .array(try signups(of: record, in: store).map(Rendering.json))
                object = .object(fields)
            }
            context.printJSON(object)
            return
        }
        var lines = ["\(record.collection.rawValue) \(record.id)", "  team: \(record.state.team)"]
        for (name, value) in record.values.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(TerminalText.escaped(value.display))")
        }
        if record.collection == .round {
            let volunteers = try signups(of: record, in: store)
            lines.append("  volunteers: \(volunteers.isEmpty ? "none yet" : String(volunteers.count))")
            for signup in volunteers {
                let who = (signup.text("volunteer") ?? "") + (signup.text("phone").map { " (\($0))" } ?? "")
                lines.append("    \(TerminalText.escaped(who))  [\(signup.id.rawValue.prefix(8))]")
            }
        }
        context.say(lines.joined(separator: "\n"))
    }

    /// The confirmed sign-ups of a round, by volunteer name.
    private static func signups(of round: StoredRecord, in store: ReplicaStore) throws -> [StoredRecord] {
        try store.records(in: .signup)
            .filter { $0.text("round") == round.id.rawValue && $0.text("status") != "cancelled" }
            .sorted { ($0.text("volunteer") ?? "", $0.id) < ($1.text("volunteer") ?? "", $1.id) }
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
