import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle set` and `boucle delete`.
enum EditCommands {
    static let set = Command(
        "set",
        summary: "Edit fields of a record: FIELD=VALUE, an empty VALUE clears the field.",
        positionals: [
            PositionalSpec("ID", help: "the record's id (or a unique prefix of it)"),
            PositionalSpec("FIELD=VALUE", help: "fields to set", variadic: true),
        ],
        examples: ["boucle set 3f2a9c1e status=paused", "boucle set 3f2a9c1e title=\"Courses le dimanche\" phone="]
    ) { context in
        let store = try context.openStore()
        let id = try store.resolveID(context.arguments.positionals[0])
        let collection = try store.record(id).collection
        var fields: [String: FieldValue] = [:]
        for assignment in context.arguments.positionals.dropFirst() {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw UsageError("expected FIELD=VALUE, got \"\(assignment.prefix(40))\"")
            }
            let name = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            fields[name] = try FieldInput.value(text, field: name, in: collection, store: store)
        }
        let outcome = try store.perform(.set(id, fields: fields))
        if context.json {
            context.printJSON(.object(["id": .string(id.rawValue), "updated": .array(fields.keys.sorted().map { .string($0) }),
                                       "changed": .bool(outcome.changed)]))
        } else {
            context.say(outcome.changed ? "updated \(collection.rawValue) \(id)" : "\(collection.rawValue) \(id) has these values already: nothing changed")
        }
    }

    static let delete = Command(
        "delete",
        summary: "Delete a record: its personal data is erased at once, everywhere it syncs to.",
        positionals: [PositionalSpec("ID", help: "the record's id (or a unique prefix of it)")]
    ) { context in
        let store = try context.openStore()
        let id = try store.resolveID(context.arguments.positionals[0])
        let collection = try store.record(id).collection
        try store.delete(id)
        if context.json {
            context.printJSON(.object(["id": .string(id.rawValue), "deleted": .bool(true)]))
        } else {
            context.say("deleted \(collection.rawValue) \(id)")
        }
    }
}
