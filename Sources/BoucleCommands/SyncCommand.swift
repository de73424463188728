import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation
import HTTPCodec
import Networking

/// `boucle sync`: push what is pending, then pull until caught up (Protocol/SERVER.md).
///
/// Each pushed batch and each pulled page is one transaction on both sides, so a sync cut at
/// any point loses nothing and the next one resumes where it stopped.
enum SyncCommand {
    static let command = Command(
        "sync",
        summary: "Push pending changes to the server and pull everyone else's.",
        options: [
            .value("--server", "URL", help: "the server, e.g. http://127.0.0.1:8080 (saved in the replica)"),
            .value("--token", "TOKEN", help: "the bearer token (saved in the replica)"),
            .flag("--restamp", help: "first re-stamp pending changes stamped ahead of this laptop's (corrected) clock"),
        ],
        examples: ["boucle sync", "boucle sync --server http://127.0.0.1:8080 --token boucle_…", "boucle sync --restamp"]
    ) { context in
        let store = try context.openStore()
        if context.arguments.has("--server") || context.arguments.has("--token") {
            try store.saveServerSettings(server: context.arguments.value("--server"), token: context.arguments.value("--token"))
        }
        let settings = try store.serverSettings()
        guard let server = settings.server else {
            throw CLIError("this replica has no server: run `boucle sync --server URL --token TOKEN` once")
        }
        guard let token = settings.token else {
            throw CLIError("this replica has no token: run `boucle sync --token TOKEN` with the token the city gave your team")
        }
        if context.arguments.flag("--restamp") {
            let count = try store.restamp()
            StandardStreams.err("re-stamped \(Plural.count(count, "pending record")) with this laptop's clock\n")
        }
        let pendingBefore = try store.pendingRecords()
        let session = SyncSession(store: store, token: token,
                                  progress: Progress(enabled: !context.json && isatty(STDERR_FILENO) == 1))
        do {
            let client = try HTTPClient(url: server)
            defer { client.close() }
            try session.run(over: client)
        } catch {
            session.progress.clear()
            let pending = (try? store.pendingRecords()) ?? pendingBefore
            let kept = pending == 0
                ? "everything made here was pushed; the rest will arrive"
                : "\(Plural.count(pending, "changed record")) still pending here"
            throw CLIError("sync failed: \(error). Nothing is lost (\(kept)): run `boucle sync` again when the problem is fixed")
        }
        session.progress.clear()
        let summary = session.summary
        if context.json {
            context.printJSON(.object(["sent": .number(Double(summary.sent)), "received": .number(Double(summary.received)),
                                       "conflicts": .number(Double(summary.conflicts)), "resynced": .bool(summary.resync != nil)]))
        } else {
            var line = "synced with \(server): sent \(Plural.count(summary.sent, "change")), received \(summary.received) new"
            line += summary.conflicts == 0 ? ", no conflicts" : ", \(Plural.count(summary.conflicts, "conflict")) (see `boucle conflicts`)"
            if let resync = summary.resync {
                line += "\nre-synced in full (the server had forgotten old deletions): dropped \(Plural.count(resync.dropped, "deleted record"))"
                    + ", kept \(resync.kept) not yet on the server, \(Plural.count(resync.lostEdits, "lost edit")) logged"
            }
            context.say(line)
        }
    }

}

/// Reads the list of pushed writes that lost from a push answer (Protocol/SERVER.md).
enum PushAnswer {
    static func lost(_ body: [UInt8]) throws -> [Conflict] {
        guard let answer = try? JSONParser.parse(body), let entries = answer["lost"]?.arrayValue else {
            throw CLIError("the server's push answer is not the JSON of Protocol/SERVER.md")
        }
        return try entries.map { entry in
            func stamp(_ side: String) -> Stamp? {
                guard let hlc = entry[side]?["hlc"]?.stringValue.flatMap({ HLC(hex: $0) }),
                      let replica = entry[side]?["replica"]?.stringValue.flatMap({ UUIDString($0) }) else { return nil }
                return Stamp(hlc: hlc, replica: replica)
            }
            guard let kind = entry["kind"]?.stringValue.flatMap(Conflict.Kind.init(rawValue:)),
                  let id = entry["id"]?.stringValue.flatMap({ UUIDString($0) }),
                  let collection = entry["collection"]?.stringValue.flatMap(RecordCollection.init(rawValue:)),
                  let field = entry["field"]?.stringValue, let loser = stamp("lost"), let winner = stamp("kept")
            else { throw CLIError("the server's push answer lists a lost write this boucle cannot read") }
            return Conflict(kind: kind, recordID: id, collection: collection, field: field,
                            loser: loser, loserValue: entry["lost"]?["value"].flatMap(FieldValue.init(json:)),
                            winner: winner, winnerValue: entry["kept"]?["value"].flatMap(FieldValue.init(json:)))
        }
    }
}

/// A one-line progress display on a terminal's stderr, rewritten in place.
public struct Progress {
    let enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        if enabled { StandardStreams.err("\r\u{1b}[K" + text) }
    }

    func clear() {
        if enabled { StandardStreams.err("\r\u{1b}[K") }
    }
}
