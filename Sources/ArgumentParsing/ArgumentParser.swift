/// Parses command-line arguments against a `CommandSpec` and renders its help.
///
/// Accepted forms: `--name value`, `--name=value`, flags `--name`, positionals anywhere, and
/// `--` to end options. `-h` and `--help` are reported as `isHelpRequest`, never as an error.
public enum ArgumentParser {
    /// True when `arguments` ask for help.
    public static func isHelpRequest(_ arguments: [String]) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "-h" || argument == "--help" { return true }
        }
        return false
    }

    /// Checks `arguments` against `spec`.
    public static func parse(_ arguments: [String], spec: CommandSpec, program: String = "boucle") throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" || isNumber(argument) {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let option = spec.option(named: name) else {
                throw UsageError("unknown option \(name) for `\(program) \(spec.name)`\(suggestion(for: name, in: spec))")
            }
            guard let valueName = option.valueName else {
                if inlineValue != nil { throw UsageError("\(name) takes no value") }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else { throw UsageError("\(name) needs a value: \(name) \(valueName)") }
                value = arguments[index]
                index += 1
            }
            if parsed.values[name] != nil, !option.repeatable {
                throw UsageError("\(name) is given twice: give it once")
            }
            parsed.values[name, default: []].append(value)
        }
        for option in spec.options where option.required && parsed.values[option.name] == nil {
            throw UsageError("\(option.name) is required: usage: \(usageLine(for: spec, program: program))")
        }
        try checkPositionals(parsed.positionals, spec: spec, program: program)
        return parsed
    }

    private static func checkPositionals(_ given: [String], spec: CommandSpec, program: String) throws(UsageError) {
        let required = spec.positionals.filter { !$0.optional }.count
        let variadic = spec.positionals.last?.variadic ?? false
        if given.count < required {
            let missing = spec.positionals[given.count]
            throw UsageError("missing \(missing.name): usage: \(usageLine(for: spec, program: program))")
        }
        if !variadic, given.count > spec.positionals.count {
            throw UsageError("unexpected argument \"\(given[spec.positionals.count].prefix(60))\": usage: \(usageLine(for: spec, program: program))")
        }
    }

    /// Negative numbers (`-45.7`) are values, not options.
    private static func isNumber(_ argument: String) -> Bool {
        argument.count > 1 && Double(argument) != nil
    }

    private static func suggestion(for name: String, in spec: CommandSpec) -> String {
        let close = spec.options.map(\.name).filter { editDistance($0, name) <= 2 }
        return close.isEmpty ? " (see --help)" : ": did you mean \(close.joined(separator: " or "))?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// `boucle offer add --category C --title T [options]`.
    public static func usageLine(for spec: CommandSpec, program: String = "boucle") -> String {
        var words = [program, spec.name]
        for option in spec.options where option.required {
            words.append("\(option.name) \(option.valueName ?? "")")
        }
        for positional in spec.positionals {
            let name = positional.variadic ? "\(positional.name)…" : positional.name
            words.append(positional.optional ? "[\(name)]" : name)
        }
        if spec.options.contains(where: { !$0.required }) { words.append("[options]") }
        return words.joined(separator: " ")
    }

    /// The full help text of a command; `globalOptions` are listed after its own.
    public static func help(for spec: CommandSpec, globalOptions: [OptionSpec], program: String = "boucle") -> String {
        var lines = ["usage: \(usageLine(for: spec, program: program))", "", spec.summary]
        func section(_ title: String, _ rows: [(String, String)]) {
            guard !rows.isEmpty else { return }
            let width = min(28, rows.map(\.0.count).max() ?? 0)
            lines.append("")
            lines.append("\(title):")
            for (left, right) in rows {
                let padded = left.count >= width ? left + "  " : left + String(repeating: " ", count: width - left.count + 2)
                lines.append("  \(padded)\(right)")
            }
        }
        section("arguments", spec.positionals.map { ($0.name, $0.help) })
        let render: (OptionSpec) -> (String, String) = { option in
            (option.valueName.map { "\(option.name) \($0)" } ?? option.name, option.help)
        }
        section("options", spec.options.filter { option in !globalOptions.contains(option) }.map(render))
        section("global options", globalOptions.map(render) + [("-h, --help", "show this help")])
        if !spec.examples.isEmpty {
            lines.append("")
            lines.append("examples:")
            lines.append(contentsOf: spec.examples.map { "  \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
