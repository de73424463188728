import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle status` and `boucle conflicts`.
enum StatusCommands {
    static let verify = OptionSpec.flag("--verify", help: "recompute the state digest and the pending count from every record and check the ones kept by the writes")

    static let status = Command(
        "status",
        summary: "Show this replica: its id, server, pending changes, last sync and conflicts.",
        options: [verify]
    ) { context in
        let store = try context.openStore()
        let verified = context.arguments.flag(verify)
        if verified {
            let (digest, digestWasRight) = try store.verifyDigest()
            guard digestWasRight else {
                throw CommandFailure("the digest kept by the writes was wrong: it is repaired (\(digest)); please report it")
            }
            guard try store.verifyPending() else {
                throw CommandFailure("the pending count kept by the writes was wrong: it is repaired; please report it")
            }
        }
        let status = try store.status()
        let waiting = try store.waiting()
        if context.json {
            var object: [String: JSONValue] = [
                "replica": .string(context.replicaPath), "replica_id": .string(status.replicaID.rawValue),
                "tenant": .string(status.tenant), "team": .string(status.team),
                "server": status.server.map { .string($0) } ?? .null, "has_token": .bool(status.hasToken),
                "pending": .number(Double(status.pendingRecords)), "waiting": json(waiting),
                "last_sync": status.lastSync.map { .string(WallTime.readable($0)) } ?? .null,
                "conflicts": .number(Double(status.conflicts)), "records": .number(Double(status.records)), "default_categories": .number(Double(status.defaultCategories)),
                "digest": .string(status.digest),
            ]
            if verified { object["verified"] = .bool(true) }
            context.printJSON(.object(object))
            return
        }
        let rows: [(String, String)] = [
            ("replica", "\(context.replicaPath) (id \(status.replicaID))"),
            ("tenant", status.tenant.isEmpty ? "none yet (set at the first sync or import)" : status.tenant),
            ("team", status.team),
            ("server", status.server.map { "\($0) (\(status.hasToken ? "token set" : "no token yet"))" } ?? "none (files only)"),
            ("pending", "\(Plural.count(status.pendingRecords, "record")) changed here, not yet pushed to a server"
                + (describe(waiting).map { "; " + $0 } ?? "")),
            ("last sync", status.lastSync.map { WallTime.readable($0) + " UTC" } ?? "never"),
            ("conflicts", status.conflicts == 0 ? "none" : "\(status.conflicts) (see `boucle conflicts`)"),
            ("records", "\(status.records - status.defaultCategories) made by the teams, and the \(status.defaultCategories) default categories"),
            ("digest", status.digest + (verified ? " (checked: recomputed from every record)" : "")),
        ]
        context.say(rows.map { "\($0.0):\(String(repeating: " ", count: 11 - $0.0.count))\($0.1)" }.joined(separator: "\n"))
    }

    /// "4 records wait for another token: 3 for a token of team sud, 1 for an admin token";
    /// nil when none waits.
    static func describe(_ waiting: [Waiting]) -> String? {
        guard !waiting.isEmpty else { return nil }
        let total = waiting.reduce(0) { $0 + $1.records }
        let parts = waiting.map { "\($0.records) for \($0.waitsFor)" }
        return "\(Plural.count(total, "record")) \(total == 1 ? "waits" : "wait") for another token: \(parts.joined(separator: ", "))"
    }

    /// The held-back records as JSON: `[{"waits_for":"…","records":N}]`.
    static func json(_ waiting: [Waiting]) -> JSONValue {
        .array(waiting.map { .object(["waits_for": .string($0.waitsFor), "records": .number(Double($0.records))]) })
    }

    static let clear = OptionSpec.flag("--clear", help: "acknowledge and empty the log")

    static let conflicts = Command(
        "conflicts",
        summary: "Show the conflict log: every write that lost, and to what.",
        options: [clear]
    ) { context in
        let store = try context.openStore()
        if context.arguments.flag(clear) {
            let count = try store.clearConflicts()
            if context.json {
                context.printJSON(.object(["cleared": .number(Double(count))]))
            } else {
                context.say("cleared \(Plural.count(count, "conflict"))")
            }
            return
        }
        let entries = try store.conflicts()
        if context.json {
            context.printJSON(.array(entries.map(json)))
            return
        }
        if entries.isEmpty {
            context.say("no conflicts")
            return
        }
        context.say(entries.map(describe).joined(separator: "\n"))
    }

    private static let explanations: [Conflict.Kind: String] = [
        .overwritten: "the value here lost to a concurrent edit",
        .rejected: "an incoming concurrent edit lost to the value here",
        .deleted: "an edit met a deletion (its value is erased)",
        .beaten: "your pushed edit lost at the server",
    ]

    private static func describe(_ entry: LoggedConflict) -> String {
        let conflict = entry.conflict
        var lines = ["#\(entry.number) \(conflict.kind.rawValue): \(conflict.collection.rawValue) \(conflict.recordID) field \(conflict.field): \(explanations[conflict.kind] ?? "")"]
        lines.append("    lost: \(shown(conflict.loserValue)) (\(Rendering.stamp(conflict.loser)))")
        lines.append("    kept: \(shown(conflict.winnerValue)) (\(Rendering.stamp(conflict.winner)))")
        return lines.joined(separator: "\n")
    }

    private static func shown(_ value: FieldValue?) -> String {
        guard let value else { return "(erased)" }
        if case .text(let text) = value { return "\"\(TerminalText.escaped(text))\"" }
        return value == .null ? "(cleared)" : value.display
    }

    private static func json(_ entry: LoggedConflict) -> JSONValue {
        let conflict = entry.conflict
        func side(_ value: FieldValue?, _ stamp: Stamp) -> JSONValue {
            .object(["value": value?.json ?? .null, "erased": .bool(value == nil), "hlc": .string(stamp.hlc.hex),
                     "replica": .string(stamp.replica.rawValue), "time": .string(WallTime.readable(stamp.hlc.milliseconds))])
        }
        return .object([
            "number": .number(Double(entry.number)), "kind": .string(conflict.kind.rawValue),
            "id": .string(conflict.recordID.rawValue), "collection": .string(conflict.collection.rawValue),
            "field": .string(conflict.field), "lost": side(conflict.loserValue, conflict.loser),
            "kept": side(conflict.winnerValue, conflict.winner),
            "logged_at": .string(WallTime.readable(entry.loggedAt)),
        ])
    }
}
