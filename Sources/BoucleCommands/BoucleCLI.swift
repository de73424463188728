import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation
import Networking

/// The `boucle` command line: every command, and the options they all take.
public enum BoucleCLI {
    public static let version = "0.1.0"

    /// The replica file when neither `--replica` nor `$BOUCLE_REPLICA` names one.
    static let defaultReplica = "boucle.db"
    static let replica = OptionSpec.value("--replica", "PATH", help: "the replica file (default: $BOUCLE_REPLICA, else ./\(defaultReplica))")
    static let json = OptionSpec.flag("--json", help: "print JSON instead of text")
    /// `--server` and `--token`, for `init` and `sync`.
    static let server = OptionSpec.value("--server", "URL", help: "the city's boucle-server, e.g. https://boucle.example.org, or http://127.0.0.1:8080 on this machine (saved in the replica)")
    static let token = OptionSpec.value("--token", "TOKEN", help: "the bearer token the city gave this team (saved in the replica)")

    static let caFile = OptionSpec.value("--ca-file", "PEM",
                                         help: "the certificate of the city's own authority, for an https server no public authority vouches for (saved in the replica)")

    /// The server settings given on the command line (`--server`, `--token`, `--ca-file`, whose
    /// file is read here).
    static func givenServerSettings(_ arguments: ParsedArguments) throws -> ServerSettings {
        let authority = try arguments.value(caFile).map(readAuthority)
        return ServerSettings(server: arguments.value(server), token: arguments.value(token), authority: authority)
    }

    /// What to do about an authority that cannot be used.
    private static let authorityAdvice = "give the certificate (PEM) of the authority that signed the server's, with --ca-file"

    /// The text of `--ca-file`'s file; refuses a folder, or a file over 1 MiB (a certificate is
    /// a few KB) without reading it all.
    private static func readAuthority(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw CommandFailure("\(path) is a folder: \(authorityAdvice)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandFailure("cannot read \(path): no such file or no permission: \(authorityAdvice)")
        }
        defer { try? handle.close() }
        let limit = 1 << 20
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
            throw CommandFailure("cannot read \(path): \(authorityAdvice)")
        }
        guard data.count <= limit else { throw CommandFailure("\(path) is larger than 1 MiB, which no certificate is: \(authorityAdvice)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A client of the settings' server; refuses a URL or an authority that cannot be used,
    /// so that nothing unusable is ever saved. Nil when the settings name no server.
    static func client(for settings: ServerSettings) throws -> HTTPClient? {
        guard let url = settings.server else { return nil }
        do {
            return try HTTPClient(url: url, authorities: settings.authority.map { Array($0.utf8) }, userAgent: "boucle/\(version)")
        } catch .tls(let failure) {
            throw CommandFailure("\(failure): \(authorityAdvice)")
        } catch {
            throw CommandFailure("\(error): give a working one with --server URL")
        }
    }

    /// Options every command takes.
    static let globalOptions: [OptionSpec] = [replica, json]

    /// The tool, its commands in the order `boucle --help` lists them.
    public static let tool = CommandLineTool(
        program: "boucle", version: version,
        about: [
            "Boucle keeps a full replica of a neighbourhood mutual-aid network in one file, works",
            "offline, and exchanges change-sets with other replicas by file or through a server.",
        ],
        globalOptions: globalOptions,
        commands: [
            InitCommand.command,
            AddCommands.offer, AddCommands.request, AddCommands.round, AddCommands.signup,
            EditCommands.set, EditCommands.delete,
            ReadCommands.list, ReadCommands.show, DomainCommands.match,
            ReadCommands.categories, DomainCommands.categoryAdd, DomainCommands.stats,
            ChangeSetCommands.export, ChangeSetCommands.import, SyncCommand.command,
            SpreadsheetCommands.importCSV, SpreadsheetCommands.exportCSV, MapCommands.exportGeoJSON,
            StatusCommands.status, StatusCommands.conflicts,
        ],
        describe: Advice.describe
    )

    /// Runs `boucle` with `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 { tool.run(arguments) }
}

extension Command {
    /// A `boucle` command: its run closure receives the command's `Context`.
    init(_ name: String, summary: String, positionals: [PositionalSpec] = [], options: [OptionSpec] = [],
         examples: [String] = [], run: @escaping @Sendable (Context) throws -> Void) {
        self.init(CommandSpec(name, summary: summary, positionals: positionals, options: options, examples: examples)) { arguments in
            try run(Context(arguments: arguments))
        }
    }
}
