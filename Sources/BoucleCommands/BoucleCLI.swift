import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// The `boucle` command line: every command, and the options they all take.
public enum BoucleCLI {
    public static let version = "0.1.0"

    /// Options every command takes.
    static let globalOptions: [OptionSpec] = [
        .value("--replica", "PATH", help: "the replica file (default: $BOUCLE_REPLICA, else ./boucle.db)"),
        .flag("--json", help: "print JSON instead of text"),
    ]

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
