import ArgumentParsing
import BoucleCore
import BoucleProtocol
import BoucleStore
import BoucleSync
import Foundation
import HTTPCodec
import Networking

/// `boucle sync`: push what is pending, then pull until caught up (Protocol/SERVER.md).
///
/// Each pushed batch and each pulled page is one transaction on both sides, so a sync cut at
/// any point loses nothing and the next one resumes where it stopped.
enum SyncCommand {
    static let restamp = OptionSpec.flag("--restamp", help: "first re-stamp pending changes stamped ahead of this laptop's (corrected) clock")

    static let command = Command(
        "sync",
        summary: "Push pending changes to the server and pull everyone else's.",
        options: [BoucleCLI.server, BoucleCLI.token, BoucleCLI.caFile, restamp],
        examples: ["boucle sync", "boucle sync --server https://boucle.example.org --token boucle_…",
                   "boucle sync --ca-file city-ca.pem", "boucle sync --restamp"]
    ) { context in
        let store = try context.openStore()
        let given = try BoucleCLI.givenServerSettings(context.arguments)
        let settings = try store.serverSettings().updated(with: given)
        let client = try BoucleCLI.client(for: settings)
        defer { client?.close() }
        if given != ServerSettings() { try store.saveServerSettings(given) }
        guard let client, let server = settings.server else {
            throw CommandFailure("this replica has no server: run `boucle sync --server URL --token TOKEN` once")
        }
        guard let token = settings.token else {
            throw CommandFailure("this replica has no token: run `boucle sync --token TOKEN` with the token the city gave your team")
        }
        if !client.url.secure && !client.url.isLoopback {
            StandardStreams.err("warning: \(server) is plain http: the team's token and people's data cross the network in clear; use the city's https:// address\n")
        }
        if context.arguments.flag(restamp) {
            let count = try store.restamp()
            StandardStreams.err("re-stamped \(Plural.count(count, "pending record")) with this laptop's clock\n")
        }
        let pendingBefore = try store.pendingRecords()
        let progress = Progress(enabled: !context.json && isatty(STDERR_FILENO) == 1)
        let session = SyncSession(store: store, token: token, environment: context.environment, progress: progress.show)
        defer {
            progress.clear()
            if let skew = session.clockSkew { StandardStreams.err(SyncAdvice.clockWarning(skew: skew)) }
        }
        do {
            try session.run(over: client)
        } catch {
            throw CommandFailure(SyncAdvice.failure(error, pendingBefore: pendingBefore, pending: (try? store.pendingRecords()) ?? pendingBefore))
        }
        let summary = session.summary
        if context.json {
            context.printJSON(.object(["sent": .number(Double(summary.sent)), "received": .number(Double(summary.received)),
                                       "conflicts": .number(Double(summary.conflicts)), "resynced": .bool(summary.resync != nil),
                                       "server_restored": .bool(summary.restarted),
                                       "waiting": StatusCommands.json(summary.waiting)]))
        } else {
            var line = "synced with \(server): sent \(Plural.count(summary.sent, "change")), received \(summary.received) new"
            line += summary.conflicts == 0 ? ", no conflicts" : ", \(Plural.count(summary.conflicts, "conflict")) (see `boucle conflicts`)"
            if summary.restarted {
                line += "\nthe server had gone back in time (restored from a backup): this replica sent it everything it holds again"
            }
            if let resync = summary.resync {
                line += "\nre-synced in full (the server had forgotten old deletions): dropped \(Plural.count(resync.dropped, "deleted record"))"
                    + ", kept \(resync.kept) not yet on the server, \(Plural.count(resync.lostEdits, "lost edit")) logged"
            }
            if let waiting = StatusCommands.describe(summary.waiting) { line += "\n" + waiting }
            context.say(line)
        }
    }
}

/// How a failed sync is told to the user: what happened, that nothing pending is lost, and what
/// to do, which depends on whether trying again can help.
enum SyncAdvice {
    static func failure(_ error: Error, pendingBefore: Int, pending: Int) -> String {
        let kept = pending > 0 ? "\(Plural.count(pending, "changed record")) still pending here"
            : pendingBefore > 0 ? "everything made here was pushed; the rest will arrive" : "nothing was pending here"
        let (what, advice) = explain(error)
        // `what` may quote the server's own words: they reach the terminal escaped.
        return "sync failed: \(TerminalText.escaped(what)). Nothing is lost (\(kept)): \(advice)"
    }

    private static let retry = "run `boucle sync` again when the problem is fixed"

    /// What happened, and what to do about it.
    private static func explain(_ error: Error) -> (String, String) {
        switch error {
        case SyncFailure.refused(let refusal):
            switch refusal.reason {
            case .unauthorized:
                return ("the server refused the token: it is unknown there, or revoked", "ask the city for a new token, then run `boucle sync --token NEW_TOKEN`")
            case .clockAhead:
                return (refusal.message, "fix this laptop's clock, then run `boucle sync --restamp`")
            case .wrongTenant:
                return ("the server refused: the token is of another tenant than this replica", "ask the city for a token of this replica's tenant (`boucle status` shows it), then run `boucle sync --token TOKEN`")
            case .busy, .unavailable, .internal, .timeout:
                return ("the server could not answer now (\(refusal.message))", "run `boucle sync` again in a moment")
            case .forbidden, .invalidChangeSet, .conflict, .badRequest, .bodyTooLarge, .headTooLarge, .lengthRequired,
                 .notFound, .methodNotAllowed, .staleReplica, .serverRestored:
                return ("the server refused: \(refusal.message)", "this will not pass as it is; show this message to the city's administrator")
            }
        case SyncFailure.recordTooLarge:
            return ("\(error)", "ask the city to raise the server's body limit (boucle-server serve --max-body, and nginx's client_max_body_size)")
        case HTTPClientError.tls(let failure):
            switch failure {
            case .unknownAuthority:
                return ("\(error)", "if the city runs its own certificate authority, give its certificate once with `boucle sync --ca-file CITY-CA.pem`; otherwise check the server URL")
            case .expired, .notYetValid:
                return ("\(error)", "check this laptop's date and time; if they are right, ask the city's administrator to renew the server's certificate")
            case .nameMismatch:
                return ("\(error)", "check the host name in the server URL (`boucle sync --server https://NAME`): it must be the one on the certificate")
            case .handshake:
                return ("\(error)", "check the server URL: https:// for the city's proxy, http:// for a boucle-server reached directly")
            case .rejected, .unusableAuthorities:
                return ("\(error)", "show this message to the city's administrator")
            }
        case HTTPClientError.unknownHost, HTTPClientError.unreachable:
            return ("\(error)", "check the server URL and this laptop's network, then " + retry)
        case SyncFailure.tooSlow:
            return ("\(error)", "run `boucle sync` again on a better network; if it stops again, show this message to the city's administrator")
        case SyncFailure.foreignAnswer:
            return ("\(error)", "check the server URL (and the proxy in front of the server), then " + retry)
        case let failure as SyncFailure:
            return ("\(failure)", "update boucle, or show this message to the city's administrator")
        case StoreError.tenantMismatch(let changeSet, let replica):
            return ("the server sent changes of tenant \(changeSet), but this replica belongs to tenant \(replica)",
                    "ask the city for a token of tenant \(replica), then run `boucle sync --token TOKEN`")
        case let failure as StoreError:
            return (Advice.describe(failure), "syncing again will not help until this is fixed")
        default:
            return ("\(error)", retry)
        }
    }

    /// The warning printed when this laptop's clock and the server's differ.
    static func clockWarning(skew: Int64) -> String {
        let side = skew > 0 ? "ahead of" : "behind"
        return "warning: this laptop's clock is \(Duration.describe(skew.magnitude)) \(side) the server's: fix it (check the time zone too), or the server will refuse changes stamped in its future\n"
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
