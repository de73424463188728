import Foundation

/// One command of a tool: what it accepts and what it does with the parsed arguments.
public struct Command: Sendable {
    public let spec: CommandSpec
    public let run: @Sendable (ParsedArguments) throws -> Void

    public init(_ spec: CommandSpec, run: @escaping @Sendable (ParsedArguments) throws -> Void) {
        self.spec = spec
        self.run = run
    }
}

/// A command-line program made of commands (`boucle offer add`, `boucle-server token create`):
/// finds the command named by the first words, handles `--help` and `--version`, parses the
/// rest, runs it, and turns every failure into `PROGRAM: error: …` on stderr with exit status
/// 1 (2 for bad usage).
///
/// Invariant: every command also accepts the tool's global options, which may come before the
/// command's name too.
public struct CommandLineTool: Sendable {
    public let program: String
    public let version: String
    /// What the tool is, shown at the top of `PROGRAM --help`.
    public let about: [String]
    public let globalOptions: [OptionSpec]
    public let commands: [Command]
    /// Words a command's failure for `PROGRAM: error: …` (the tool's advice on the facts).
    public let describe: @Sendable (Error) -> String

    public init(program: String, version: String, about: [String], globalOptions: [OptionSpec], commands: [Command],
                describe: @escaping @Sendable (Error) -> String = { "\($0)" }) {
        self.program = program
        self.version = version
        self.about = about
        self.globalOptions = globalOptions
        self.describe = describe
        self.commands = commands.map { command in
            let spec = command.spec
            return Command(CommandSpec(spec.name, summary: spec.summary, positionals: spec.positionals,
                                       options: spec.options + globalOptions, examples: spec.examples), run: command.run)
        }
        // A broken declaration is a bug of this program: found at every run, never shipped.
        let problems = CommandLineTool.problems(of: self.commands)
        precondition(problems.isEmpty, "\(program)'s commands are declared wrong: \(problems.joined(separator: "; "))")
    }

    /// What is wrong with `commands`' declarations (each spec's, and names given twice).
    public static func problems(of commands: [Command]) -> [String] {
        var problems = commands.flatMap { command in command.spec.problems().map { "`\(command.spec.name)`: \($0)" } }
        var names: Set<String> = []
        for command in commands where !names.insert(command.spec.name).inserted {
            problems.append("command `\(command.spec.name)` is declared twice")
        }
        return problems
    }

    /// Runs the tool with `arguments` (without the program name); returns the exit status.
    public func run(_ arguments: [String]) -> Int32 {
        let (command, rest) = find(arguments)
        guard let command else {
            if ArgumentParser.isHelpRequest(arguments) {
                StandardStreams.out(overview())
                return 0
            }
            if arguments == ["--version"] {
                StandardStreams.out("\(program) \(version)\n")
                return 0
            }
            let words = rest.filter { !$0.hasPrefix("-") }
            guard let word = words.first else {
                StandardStreams.err(overview() + "\n\(program): error: no command given\n")
                return 2
            }
            // "offer remove": name both words when the first one begins known commands.
            let group = commands.contains { $0.spec.name.hasPrefix(word + " ") } && words.count > 1
            let named = group ? "\(word) \(words[1])" : word
            StandardStreams.err("\(program): error: unknown command \"\(named.prefix(60))\": see `\(program) --help`\n")
            return 2
        }
        if ArgumentParser.isHelpRequest(rest) {
            StandardStreams.out(ArgumentParser.help(for: command.spec, globalOptions: globalOptions, program: program))
            return 0
        }
        do {
            try command.run(try ArgumentParser.parse(rest, spec: command.spec, program: program))
            return 0
        } catch let error as UsageError {
            StandardStreams.err("\(program): error: \(error.message)\n")
            return 2
        } catch {
            StandardStreams.err("\(program): error: \(describe(error))\n")
            return 1
        }
    }

    /// The command named by the first one or two words of `arguments` (after any leading global
    /// options), and the arguments left for it (without a command: the words after the options).
    private func find(_ arguments: [String]) -> (Command?, [String]) {
        var leading: [String] = []
        var words = arguments[...]
        while let first = words.first, first.hasPrefix("--"), first != "--help", first != "--version" {
            leading.append(first)
            words = words.dropFirst()
            if globalOptions.first(where: { $0.name == first })?.valueName != nil, let value = words.first {
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
        return (nil, Array(words))
    }

    private func overview() -> String {
        var lines = ["usage: \(program) COMMAND [options]", ""] + about + ["", "commands:"]
        let width = commands.map(\.spec.name.count).max() ?? 0
        for command in commands {
            lines.append("  \(command.spec.name)\(String(repeating: " ", count: width - command.spec.name.count + 2))\(command.spec.summary)")
        }
        lines += ["", "global options:"]
        for option in globalOptions {
            let left = option.valueName.map { "\(option.name) \($0)" } ?? option.name
            lines.append("  \(left)\(String(repeating: " ", count: max(2, 16 - left.count)))\(option.help)")
        }
        lines += ["", "`\(program) COMMAND --help` tells more about a command."]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Writes to the process's standard output and error, unbuffered by Swift.
public enum StandardStreams {
    public static func out(_ text: String) { write(text, to: FileHandle.standardOutput) }
    public static func err(_ text: String) { write(text, to: FileHandle.standardError) }

    private static func write(_ text: String, to handle: FileHandle) {
        // A closed pipe (`boucle list | head`) is not a failure of ours: drop the output.
        try? handle.write(contentsOf: Data(text.utf8))
    }
}
