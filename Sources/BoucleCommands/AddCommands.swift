import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle init`: creates the replica file.
enum InitCommand {
    /// The team of a replica made without `--team`.
    static let defaultTeam = "default"
    static let team = OptionSpec.value("--team", "TEAM", help: "the team that owns records made here (default: \(defaultTeam))")
    static let tenant = OptionSpec.value("--tenant", "TENANT", help: "the tenant (city) this replica belongs to; learnt at first sync or import if left out")

    static let command = Command(
        "init",
        summary: "Create the replica file.",
        options: [BoucleCLI.server, BoucleCLI.token, BoucleCLI.caFile, team, tenant],
        examples: ["boucle init --team maraude-nord", "boucle --replica /media/usb/round.db init --team croix-rousse"]
    ) { context in
        for option in [team, tenant] {
            if let name = context.arguments.value(option), !FieldKind.isSlug(name) {
                throw UsageError("\(option.name) takes 1 to 40 of a-z, 0-9 and -, e.g. maraude-nord")
            }
        }
        let settings = try BoucleCLI.givenServerSettings(context.arguments)
        _ = try BoucleCLI.client(for: settings)
        let store = try ReplicaStore.create(
            at: context.replicaPath,
            team: context.arguments.value(team) ?? defaultTeam,
            tenant: context.arguments.value(tenant) ?? "",
            serverSettings: settings,
            environment: context.environment
        )
        if context.json {
            context.printJSON(.object(["replica": .string(context.replicaPath), "replica_id": .string(store.replicaID.rawValue), "team": .string(store.team)]))
        } else {
            context.say("created replica \(context.replicaPath) (replica \(store.replicaID), team \(store.team))")
        }
    }
}

/// `boucle offer|request|round|signup add`: a record made here, with defaults for what is left out.
enum AddCommands {
    /// An option that sets a field: `--contact-name` sets `contact_name`. Options of the fields
    /// `EditRules.required` names are required.
    private struct FieldOption {
        let option: OptionSpec
        let field: String
    }

    private static func text(_ field: String, _ valueName: String, _ help: String) -> FieldOption {
        FieldOption(option: .value("--" + String(field.map { $0 == "_" ? "-" : $0 }), valueName, help: help), field: field)
    }

    private static let helpOptions: [FieldOption] = [
        text("category", "C", "category slug (see `boucle categories`)"),
        text("title", "T", "a short title"),
        text("details", "TEXT", "more details"),
        text("address", "A", "street address (left out for remote help)"),
        text("lat", "X", "latitude, e.g. 45.7676"),
        text("lon", "Y", "longitude, e.g. 4.8344"),
        FieldOption(option: .flag("--remote", help: "help given at a distance (needs no address)"), field: "remote"),
        text("contact_name", "NAME", "who to contact"),
        text("phone", "PHONE", "a phone number"),
    ]

    static let offer = addCommand(
        .offer, summary: "Add an offer of help; prints its id.",
        fields: helpOptions + [text("status", "S", "open (default), paused or closed")],
        examples: [#"boucle offer add --category groceries --title "Courses le samedi" --address "12 rue Mercière, 69002 Lyon" --lat 45.7622 --lon 4.8320"#]
    )

    static let request = addCommand(
        .request, summary: "Add a request for help; prints its id.",
        fields: helpOptions + [
            text("status", "S", "open (default), matched, done or cancelled"),
            text("urgency", "U", "low, normal (default) or high"),
            text("on_behalf_of", "WHO", "the person helped, when someone asks for them"),
        ],
        examples: [#"boucle request add --category conversation --title "Appel hebdomadaire" --remote --on-behalf-of "ma mère""#]
    )

    static let round = addCommand(
        .round, summary: "Add a food-distribution round or a maraude; prints its id.",
        fields: [
            text("kind", "K", "food-distribution, maraude or other"),
            text("date", "YYYY-MM-DD", "the day of the round"),
            text("area", "A", "where the round goes"),
            text("title", "T", "a short title"),
            text("status", "S", "planned (default), done or cancelled"),
        ],
        examples: ["boucle round add --kind maraude --date 2026-12-03 --area \"Presqu'île\""]
    )

    static let signup = addCommand(
        .signup, summary: "Sign a volunteer up to a round; prints the sign-up's id.",
        fields: [
            text("round", "ID", "the round's id"),
            text("volunteer", "NAME", "the volunteer's name"),
            text("phone", "PHONE", "the volunteer's phone"),
            text("status", "S", "confirmed (default) or cancelled"),
        ],
        examples: ["boucle signup add --round 3f2a9c1e --volunteer Samira"]
    )

    private static func addCommand(_ collection: RecordCollection, summary: String, fields: [FieldOption],
                                   examples: [String]) -> Command {
        let required = Set(EditRules.required[collection] ?? [])
        let fields = fields.map { field in
            FieldOption(option: field.option.valueName.map {
                OptionSpec.value(field.option.name, $0, help: field.option.help, required: required.contains(field.field))
            } ?? field.option, field: field.field)
        }
        return Command("\(collection.rawValue) add", summary: summary, options: fields.map(\.option), examples: examples) { context in
            let store = try context.openStore()
            var values: [String: FieldValue] = [:]
            for field in fields {
                if field.option.valueName == nil {
                    if context.arguments.flag(field.option) { values[field.field] = .bool(true) }
                } else if let text = context.arguments.value(field.option) {
                    values[field.field] = try FieldInput.value(text, field: field.field, in: collection, store: store)
                }
            }
            let id: UUIDString
            do {
                id = try store.perform(.create(collection, fields: values)).id
            } catch StoreError.edit(.latLonApart) {
                throw UsageError("--lat and --lon go together: give both or neither")
            }
            if context.json {
                context.printJSON(.object(["id": .string(id.rawValue)]))
            } else {
                context.say(id.rawValue)
            }
        }
    }
}

/// Reads field values typed on the command line: parsing only, the rules are the store's.
enum FieldInput {
    /// Parses `text` for `field` of `collection` (numbers, booleans, "" for null), with a
    /// message saying what is expected. A record id may be given by a unique prefix, resolved in
    /// `store`.
    static func value(_ text: String, field: String, in collection: RecordCollection, store: ReplicaStore) throws -> FieldValue {
        guard let kind = collection.fields[field] else {
            throw UsageError("\(collection.rawValue) has no field \"\(field.prefix(40))\" (fields: \(collection.fields.keys.sorted().joined(separator: ", ")))")
        }
        if kind == .uuid, !text.isEmpty { return .text(try store.resolveID(text).rawValue) }
        guard let value = kind.parse(text) else { throw UsageError("\(field) must be \(kind.expectation)") }
        return value
    }
}
