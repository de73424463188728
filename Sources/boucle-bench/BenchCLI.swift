import ArgumentParsing
import Foundation

/// What `boucle-bench` was asked to do.
struct BenchOptions {
    var records = 100_000
    var json = false
    var phases: [Phase] = Phase.allCases
    var keep = false
    var seed: UInt64 = 1
    var baselineRecords = 10_000
    /// Whole runs of the bench, one after the other (the targets must hold in each).
    var runs = 1
    /// Internal: run only this phase, in this process, on the files of `directory`.
    var childPhase: Phase?
    var directory: String?

    static let recordsOption = OptionSpec.value("--records", "N", help: "offers in the workload (default: \(BenchOptions().records))")
    static let jsonOption = OptionSpec.flag("--json", help: "print one JSON object per phase and line instead of a table")
    static let phasesOption = OptionSpec.value("--phases", "LIST", help: "run only these phases, comma-separated (their prerequisites run too): "
        + Phase.allCases.map(\.rawValue).joined(separator: ","))
    static let keepOption = OptionSpec.flag("--keep", help: "keep the temporary folder (replicas, change-sets, server database and log)")
    static let seedOption = OptionSpec.value("--seed", "N", help: "the workload's seed (default: \(BenchOptions().seed))")
    static let baselineOption = OptionSpec.value("--baseline-records", "N",
                                                 help: "also run incremental and the reads at this N, for their 1.5× targets (default: \(BenchOptions().baselineRecords); 0 skips)")
    static let runsOption = OptionSpec.value("--runs", "N",
                                             help: "run the whole bench N times (default: 1) and say, for each target, in how many runs it held")
    static let phaseOption = OptionSpec.value("--phase", "NAME", help: "internal: run one phase in this process on the files of --dir")
    static let dirOption = OptionSpec.value("--dir", "PATH", help: "internal: the folder of a run, with --phase")

    static let spec = CommandSpec(
        "", summary: "Measure Boucle on one shared workload of N offers (6 text fields and a point), on temporary files.",
        options: [recordsOption, jsonOption, phasesOption, keepOption, seedOption, baselineOption, runsOption, phaseOption, dirOption],
        examples: [
            "boucle-bench", "boucle-bench --records 10000 --json", "boucle-bench --records 1000000 --phases local-import,clone",
            "boucle-bench --runs 10 --phases local-import,push,clone",
        ]
    )

    static func parse(_ arguments: [String]) throws(UsageError) -> BenchOptions {
        let parsed = try ArgumentParser.parse(arguments, spec: spec, program: "boucle-bench")
        var options = BenchOptions()
        options.json = parsed.flag(jsonOption)
        options.keep = parsed.flag(keepOption)
        if let text = parsed.value(recordsOption) {
            guard let number = count(text), (100...100_000_000).contains(number) else {
                throw UsageError("--records takes a whole number from 100 to 100000000, e.g. --records 100000")
            }
            options.records = number
        }
        if let text = parsed.value(seedOption) {
            guard let seed = UInt64(text) else { throw UsageError("--seed takes a whole number, e.g. --seed 1") }
            options.seed = seed
        }
        if let text = parsed.value(baselineOption) {
            guard let number = count(text), number == 0 || (100...100_000_000).contains(number) else {
                throw UsageError("--baseline-records takes 0 (skip) or a whole number from 100, e.g. --baseline-records 10000")
            }
            options.baselineRecords = number
        }
        if let text = parsed.value(runsOption) {
            guard let runs = Int(text), (1...100).contains(runs) else { throw UsageError("--runs takes a whole number from 1 to 100, e.g. --runs 10") }
            options.runs = runs
        }
        if let text = parsed.value(phasesOption) {
            options.phases = try text.split(separator: ",").map { name throws(UsageError) -> Phase in
                let name = name.trimmingCharacters(in: .whitespaces)
                guard let phase = Phase(rawValue: name) else {
                    throw UsageError("unknown phase \"\(name.prefix(40))\": choose among \(Phase.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return phase
            }
            if options.phases.isEmpty { throw UsageError("--phases needs at least one phase, e.g. --phases local-import,clone") }
        }
        if let name = parsed.value(phaseOption) {
            guard let phase = Phase(rawValue: name) else { throw UsageError("unknown phase \"\(name.prefix(40))\"") }
            guard let directory = parsed.value(dirOption) else { throw UsageError("--phase needs --dir, the folder of a run") }
            options.childPhase = phase
            options.directory = directory
        }
        return options
    }

    /// A count typed with or without separators: `100000`, `100_000`, `100,000`.
    private static func count(_ text: String) -> Int? {
        Int(text.filter { $0 != "_" && $0 != "," })
    }

    static var help: String {
        ArgumentParser.help(for: spec, globalOptions: [], program: "boucle-bench")
            .replacingOccurrences(of: "boucle-bench  [options]", with: "boucle-bench [options]")
    }
}

/// The `boucle-bench` command line.
enum BenchCLI {
    /// Runs the bench with `arguments` (without the program name); returns the exit status.
    static func run(_ arguments: [String]) -> Int32 {
        if ArgumentParser.isHelpRequest(arguments) {
            StandardStreams.out(BenchOptions.help)
            return 0
        }
        do {
            let options = try BenchOptions.parse(arguments)
            if let phase = options.childPhase, let directory = options.directory {
                try PhaseChild.run(phase, folder: BenchFolder(path: directory), workload: Workload(records: options.records, seed: options.seed))
                return 0
            }
            var reports: [Report] = []
            for run in 1...options.runs {
                let report = Report(options: options, outcome: try Bench(options: options).run())
                if options.runs > 1, !options.json { StandardStreams.out("run \(run) of \(options.runs)\n") }
                StandardStreams.out(options.json ? report.jsonLines(run: options.runs > 1 ? run : nil) : report.table())
                reports.append(report)
            }
            if options.runs > 1, !options.json { StandardStreams.out(Report.acrossRuns(reports)) }
            return 0
        } catch let error as UsageError {
            // The bench is one command without a name: "for `boucle-bench `" reads better without the space.
            let message = error.message.replacingOccurrences(of: "`boucle-bench `", with: "`boucle-bench`")
            StandardStreams.err("boucle-bench: error: \(message)\n")
            return 2
        } catch {
            StandardStreams.err("boucle-bench: error: \(error)\n")
            return 1
        }
    }
}
