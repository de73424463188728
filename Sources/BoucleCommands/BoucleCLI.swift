import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// The `boucle` command line: finds the command, parses its arguments, runs it, and turns every
/// failure into `boucle: error: …` on stderr with exit status 1 (2 for bad usage).
public enum BoucleCLI {
    /// Options every command takes.
    static let globalOptions: [OptionSpec] = [
        .value("--replica", "PATH", help: "the replica file (default: $BOUCLE_REPLICA, else ./boucle.db)"),
        .flag("--json", help: "print JSON instead of text"),
    ]

    /// Every command, in the order `boucle --help` lists them.
    static let commands: [Command] = [
        InitCommand.command,
        AddCommands.offer, AddCommands.request, AddCommands.round, AddCommands.signup,
        EditCommands.set, EditCommands.delete,
        ReadCommands.list, ReadCommands.show, ReadCommands.categories,
        ChangeSetCommands.export, ChangeSetCommands.import,
        StatusCommands.status, StatusCommands.conflicts,
    ]

    /// Runs `boucle` with `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String], environment: [String: String], replicaEnvironment: BoucleCore.Environment = .system) -> Int32 {
        let (command, rest) = find(arguments)
        guard let command else {
            if arguments.isEmpty || ArgumentParser.isHelpRequest(arguments) {
                Output.out(overview())
                return arguments.isEmpty ? 2 : 0
            }
            if arguments == ["--version"] {
                Output.out("boucle \(version)\n")
                return 0
            }
            Output.err("boucle: error: unknown command \"\(arguments.filter { !$0.hasPrefix("-") }.prefix(2).joined(separator: " "))\": see `boucle --help`\n")
            return 2
        }
        if ArgumentParser.isHelpRequest(rest) {
            Output.out(ArgumentParser.help(for: command.spec, globalOptions: globalOptions))
            return 0
        }
        do {
            let parsed = try ArgumentParser.parse(rest, spec: command.spec)
            let replica = parsed.value("--replica") ?? environment["BOUCLE_REPLICA"].flatMap { $0.isEmpty ? nil : $0 } ?? "boucle.db"
            let context = Context(arguments: parsed, replicaPath: replica, json: parsed.flag("--json"), environment: replicaEnvironment)
            try command.run(context)
            return 0
        } catch let error as UsageError {
            Output.err("boucle: error: \(error.message)\n")
            return 2
        } catch {
            Output.err("boucle: error: \(error)\n")
            return 1
        }
    }

    public static let version = "0.1.0"

    /// The command named by the first one or two words of `arguments`, and the rest.
    private static func find(_ arguments: [String]) -> (Command?, [String]) {
        // Global options may come before the command's name.
        var leading: [String] = []
        var words = arguments[...]
        while let first = words.first, first.hasPrefix("--"), first != "--help" {
            leading.append(first)
            words = words.dropFirst()
            if first == "--replica", let value = words.first {
                leading.append(value)
                words = words.dropFirst()
            }
        }
        for count in [2, 1] where words.count >= count {
            let name = words.prefix(count).joined(separator: " ")
            if let command = commands.first(where: { $0.spec.name == name }) {
                return (command, leading + words.dropFirst(count))
            }
        }
        return (nil, arguments)
    }

    private static func overview() -> String {
        var lines = [
            "usage: boucle COMMAND [options]",
            "",
            "Boucle keeps a full replica of a neighbourhood mutual-aid network in one file, works",
            "offline, and exchanges change-sets with other replicas by file or through a server.",
            "",
            "commands:",
        ]
        let width = commands.map(\.spec.name.count).max() ?? 0
        for command in commands {
            lines.append("  \(command.spec.name)\(String(repeating: " ", count: width - command.spec.name.count + 2))\(command.spec.summary)")
        }
        lines += ["", "global options:"]
        for option in globalOptions {
            let left = option.valueName.map { "\(option.name) \($0)" } ?? option.name
            lines.append("  \(left)\(String(repeating: " ", count: max(2, 16 - left.count)))\(option.help)")
        }
        lines += ["", "`boucle COMMAND --help` tells more about a command."]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// One `boucle` command: what it accepts and what it does.
struct Command: Sendable {
    let spec: CommandSpec
    let run: @Sendable (Context) throws -> Void

    init(_ name: String, summary: String, positionals: [PositionalSpec] = [], options: [OptionSpec] = [],
         examples: [String] = [], run: @escaping @Sendable (Context) throws -> Void) {
        spec = CommandSpec(name, summary: summary, positionals: positionals, options: options + BoucleCLI.globalOptions, examples: examples)
        self.run = run
    }
}

/// A failure a user can act on, reported as `boucle: error: …` with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
