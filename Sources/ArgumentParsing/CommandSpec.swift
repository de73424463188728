/// One `--option` a command accepts: a flag (no value) or an option with a value.
///
/// Declared once, as a constant, and used both in its command's `CommandSpec` and to read its
/// value (`ParsedArguments.value(_:)`): the name is never written twice.
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
/// Invariants (`problems()` lists the broken ones; `CommandLineTool` traps on any when it is
/// built): the name is lowercase words; option names are `--long-name` or `-x`, unique, and not
/// the tool's own (`--help`, `-h`, `--version`); only the last positional may be variadic;
/// optional positionals come after required ones. (A flag cannot be declared required.)
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

    /// The invariants this spec breaks, in words; empty when it is sound.
    public func problems() -> [String] {
        var problems: [String] = []
        let words = name.split(separator: " ", omittingEmptySubsequences: false)
        if words.isEmpty || words.contains(where: { $0.isEmpty || !$0.allSatisfy { $0.isLowercase || $0 == "-" } }) {
            problems.append("command name \"\(name)\" is not lowercase words")
        }
        var seen: Set<String> = []
        for option in options {
            if !CommandSpec.isOptionName(option.name) { problems.append("option \(option.name) is neither --long-name nor -x") }
            if ["--help", "-h", "--version"].contains(option.name) { problems.append("option \(option.name) is the tool's own") }
            if !seen.insert(option.name).inserted { problems.append("option \(option.name) is declared twice") }
        }
        for (index, positional) in positionals.enumerated() {
            if positional.variadic, index != positionals.count - 1 { problems.append("positional \(positional.name) is variadic but not last") }
            if !positional.optional, positionals[..<index].contains(where: \.optional) {
                problems.append("positional \(positional.name) is required after an optional one")
            }
        }
        return problems
    }

    /// `--name` (lowercase words joined by `-`) or `-x`.
    static func isOptionName(_ name: String) -> Bool {
        let letters = { (text: Substring) in !text.isEmpty && text.allSatisfy { ($0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" } }
        if name.hasPrefix("--") { return letters(name.dropFirst(2)) && name.dropFirst(2).first?.isLetter == true }
        return name.count == 2 && name.hasPrefix("-") && name.last?.isLetter == true && name.last?.isLowercase == true
    }
}

/// The arguments of one invocation, checked against its `CommandSpec`; options are read by
/// their `OptionSpec`.
public struct ParsedArguments: Sendable, Equatable {
    public var positionals: [String] = []
    /// The values given, by option name.
    var values: [String: [String]] = [:]
    /// The flags given, by name.
    var flags: Set<String> = []

    public init(positionals: [String] = []) {
        self.positionals = positionals
    }

    /// The value of a (non-repeatable) option, if given.
    public func value(_ option: OptionSpec) -> String? { values[option.name]?.last }
    /// The value of an option the spec requires (the parser made sure it is there).
    public func required(_ option: OptionSpec) throws(UsageError) -> String {
        guard let value = value(option) else { throw UsageError("\(option.name) is required") }
        return value
    }
    /// Every value of a repeatable option, in order.
    public func all(_ option: OptionSpec) -> [String] { values[option.name] ?? [] }
    public func flag(_ option: OptionSpec) -> Bool { flags.contains(option.name) }
    /// True when the option was given, as a flag or with a value.
    public func has(_ option: OptionSpec) -> Bool { flags.contains(option.name) || values[option.name] != nil }
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
