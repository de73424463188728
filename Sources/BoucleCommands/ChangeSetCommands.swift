import ArgumentParsing
import BoucleCore
import BoucleStore

/// `boucle export` and `boucle import`: change-set files, for a USB key or a mail attachment.
enum ChangeSetCommands {
    static let output = OptionSpec.value("-o", "FILE", help: "the file to write (replaced if it exists)", required: true)
    static let all = OptionSpec.flag("--all", help: "the whole replica, deletions included, not only what is new since the last export")

    static let export = Command(
        "export",
        summary: "Write a change-set file: what this replica has not exported yet, or everything with --all.",
        options: [output, all],
        examples: ["boucle export -o /media/usb/maraude-2026-12-03.changeset", "boucle export --all -o everything.changeset"]
    ) { context in
        let path = try context.required(output)
        if ReplicaFiles.isPart(of: context.replicaPath, path: path) {
            throw CommandFailure("\(path) is the replica itself: export to another file")
        }
        let store = try context.openStore()
        let summary = try store.exportChangeSet(all: context.arguments.flag(all), path: path)
        if context.json {
            context.printJSON(.object(["file": .string(path), "changes": .number(Double(summary.changes)), "records": .number(Double(summary.records))]))
        } else {
            context.say("wrote \(Plural.count(summary.changes, "change")) (\(Plural.count(summary.records, "record"))) to \(path)")
        }
    }

    static let `import` = Command(
        "import",
        summary: "Merge a change-set file into this replica (importing it again changes nothing).",
        positionals: [PositionalSpec("FILE", help: "a change-set file written by `boucle export`")]
    ) { context in
        let path = context.arguments.positionals[0]
        let store = try context.openStore()
        let summary = try store.importChangeSet(path: path)
        if context.json {
            context.printJSON(.object([
                "file": .string(path), "changes": .number(Double(summary.changes)),
                "applied": .number(Double(summary.applied)), "conflicts": .number(Double(summary.conflicts.count)),
            ]))
            return
        }
        let origin = summary.origin.map { String($0.rawValue.prefix(8)) } ?? "?"
        var line = "imported \(Plural.count(summary.changes, "change")) from replica \(origin): \(summary.applied) new here"
        if !summary.conflicts.isEmpty {
            line += ", \(Plural.count(summary.conflicts.count, "conflict")) (see `boucle conflicts`)"
        }
        context.say(line)
    }
}
