/// One `--option` a command accepts: a flag (no value) or an option with a value.
public struct OptionSpec: Sendable, Equatable {
    /// The long name with its dashes, e.g. `--category`.
    public let name: String
    /// What the value is called in help (`C`, `PATH`); nil for a flag.
    public let valueName: String?
    public let help: String
    /// When true the option may be given several times.
    public let repeatable: Bool
    /// When true the command cannot run without it; the usage line shows it.
    public let required: Bool

    public static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help, repeatable: false, required: false)
    }

    public static func value(_ name: String, _ valueName: String, help: String, repeatable: Bool = false, required: Bool = false) -> OptionSpec {
        OptionSpec(name: name, valueName: valueName, help: help, repeatable: repeatable, required: required)
    }
}

/// A positional argument.
public struct PositionalSpec: Sendable, Equatable {
    public let name: String
    public let help: String
    public let optional: Bool
    /// Takes every remaining positional argument (at least one unless optional).
    public let variadic: Bool

    public init(_ name: String, help: String, optional: Bool = false, variadic: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
        self.variadic = variadic
    }
}

/// What a command accepts, and the help text it shows.
///
/// Invariants: option names start with `--` and are unique; at most the last positional is
/// variadic; optional positionals come after required ones.
public struct CommandSpec: Sendable {
    /// The command's words after the program name, e.g. `offer add`.
    public let name: String
    /// One sentence: what the command does.
    public let summary: String
    public let positionals: [PositionalSpec]
    public let options: [OptionSpec]
    /// Lines shown under "examples:".
    public let examples: [String]

    public init(_ name: String, summary: String, positionals: [PositionalSpec] = [], options: [OptionSpec] = [], examples: [String] = []) {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.options = options
        self.examples = examples
    }

    func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name }
    }
}

/// The arguments of one invocation, checked against its `CommandSpec`.
public struct ParsedArguments: Sendable, Equatable {
    public var positionals: [String] = []
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []

    /// The value of a (non-repeatable) option, if given.
    public func value(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable option, in order.
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    public func flag(_ name: String) -> Bool { flags.contains(name) }
    /// True when the option was given, as a flag or with a value.
    public func has(_ name: String) -> Bool { flags.contains(name) || values[name] != nil }
}

/// A failure a user can act on, reported by either tool as `PROGRAM: error: …` with exit status 1.
public struct CommandFailure: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// A mistake in how a command was typed: the message says what to type instead.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
