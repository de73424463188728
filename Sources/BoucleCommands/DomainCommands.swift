import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle match`, `boucle category add` and `boucle stats`: putting a neighbour's offer in
/// front of a neighbour's need.
enum DomainCommands {
    static let within = OptionSpec.value("--within", "METERS", help: "leave out located offers further than this")
    static let offer = OptionSpec.value("--offer", "OFFER_ID", help: "record a match of the request with this offer (status proposed)")
    static let slug = OptionSpec.value("--slug", "S", help: "a-z, 0-9 and -, e.g. cooking", required: true)
    static let label = OptionSpec.value("--label", "L", help: "the French label, e.g. \"Repas partagés\"", required: true)

    static let match = Command(
        "match",
        summary: "List the open offers for a request (same address first, remote ones, then nearest), or record a match.",
        positionals: [PositionalSpec("REQUEST_ID", help: "the request's id (or a unique prefix of it)")],
        options: [within, ReadCommands.limit, offer],
        examples: ["boucle match 3f2a9c1e --within 1500", "boucle match 3f2a9c1e --limit 10", "boucle match 3f2a9c1e --offer 7d41c0aa"]
    ) { context in
        let store = try context.openStore()
        let request = try store.record(try store.resolveID(context.arguments.positionals[0]))
        guard request.collection == .request else { throw CommandFailure("\(request.id) is \(request.collection.withArticle), not a request") }
        if let offerText = context.arguments.value(offer) {
            let recorded = try store.recordMatch(request: request.id, offer: try store.resolveID(offerText))
            if context.json {
                context.printJSON(.object(["match": .string(recorded.id.rawValue), "request_status": recorded.requestStatus.map { .string($0) } ?? .null]))
            } else {
                context.say(recorded.id.rawValue)
                if recorded.requestStatus == nil {
                    StandardStreams.err("note: the request belongs to team \(request.state.team): its coordinator updates its status\n")
                }
            }
            return
        }
        let within = try ReadCommands.meters(within, in: context)
        let given = try ReadCommands.limit(in: context)
        let page = try store.match(request, within: within, limit: context.json ? given : given ?? ReadCommands.defaultLimit)
        if context.json {
            context.printJSON(.array(page.candidates.map { candidate in
                var object = (page.offers[candidate.id].map(Rendering.json) ?? .object([:])).objectValue ?? [:]
                object["rank"] = .string(tierName(candidate.tier))
                object["distance_m"] = candidate.distance.map { .number($0.rounded()) } ?? .null
                return .object(object)
            }))
            return
        }
        guard !page.candidates.isEmpty else {
            context.say("no open \(request.text("category") ?? "") offer\(within.map { " within \(Int($0)) m" } ?? "") for this request")
            return
        }
        let rows = page.candidates.map { candidate -> [String] in
            let offer = page.offers[candidate.id]
            let distance = candidate.tier == .located ? candidate.distance.map(formatDistance) ?? "" : tierName(candidate.tier)
            return [String(candidate.id.rawValue.prefix(8)), distance, offer?.text("title") ?? "", offer.map(ReadCommands.place) ?? ""]
        }
        context.write(Rendering.table(["offer", "where", "title", "address"], rows))
        if let more = ReadCommands.more(shown: page.candidates.count, total: page.total) { context.say(more) }
    }

    private static func tierName(_ tier: MatchCandidate.Tier) -> String {
        switch tier {
        case .sameAddress: "same address"
        case .remote: "remote"
        case .located: "located"
        case .unlocated: "no location"
        }
    }

    static func formatDistance(_ meters: Double) -> String {
        meters < 1_000 ? "\(Int(meters.rounded())) m" : String(format: "%.1f km", meters / 1_000)
    }

    static let categoryAdd = Command(
        "category add",
        summary: "Add a category of help; it reaches every replica like any record.",
        options: [slug, label],
        examples: [#"boucle category add --slug cooking --label "Repas partagés""#]
    ) { context in
        let slugText = try context.required(slug)
        guard FieldKind.isSlug(slugText) else { throw UsageError("--slug takes 1 to 40 of a-z, 0-9 and -") }
        // Read as a typed value, as `offer add` reads its title: an empty label is no label.
        let labelValue = FieldKind.text.parse(try context.required(label)) ?? .null
        let id = try context.openStore().perform(.create(.category, fields: ["slug": .text(slugText), "label": labelValue])).id
        if context.json {
            context.printJSON(.object(["id": .string(id.rawValue), "slug": .string(slugText)]))
        } else {
            context.say(id.rawValue)
        }
    }

    static let stats = Command(
        "stats",
        summary: "Count offers, requests and matches by category, status and team."
    ) { context in
        let stats = try context.openStore().stats()
        if context.json {
            context.printJSON(stats.json)
        } else {
            context.write(stats.report)
        }
    }
}
