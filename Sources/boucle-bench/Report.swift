import BoucleCore
import Foundation

/// One target of the issue, checked on this run's numbers.
struct TargetCheck {
    let phase: Phase
    let text: String
    let measured: String
    let pass: Bool
}

/// The bench's output: a table for people, or one JSON object per line.
struct Report {
    let options: BenchOptions
    let outcome: Bench.Outcome

    static let memoryLimitBytes = 150_000_000
    static let memoryTargetRecords = 1_000_000

    private func result(_ phase: Phase) -> PhaseResult? { outcome.results.first { $0.phase == phase } }

    /// `phase`'s speed as a share of its floor's: records per second against sqlite-floor's
    /// for the phases that move the whole workload, the floor query's seconds against the
    /// read's for a read.
    private func ratioToFloor(_ phase: Phase) -> Double? {
        guard let measured = result(phase) else { return nil }
        if phase.isRead {
            guard let floor = measured.extras["floor_seconds"], measured.seconds > 0 else { return nil }
            return floor / measured.seconds
        }
        guard [.localImport, .replicaFloor, .export, .push, .clone].contains(phase), let floor = result(.sqliteFloor), floor.perSecond > 0 else { return nil }
        return measured.perSecond / floor.perSecond
    }

    /// `phase`'s seconds at N over its seconds in the baseline run.
    private func ratioToBaseline(_ phase: Phase) -> Double? {
        guard let baseline = outcome.baseline[phase], baseline.seconds > 0, let measured = result(phase) else { return nil }
        return measured.seconds / baseline.seconds
    }

    /// " (the issue sets it at N = 1,000,000)" when this run is smaller.
    private var atAMillion: String {
        options.records < Report.memoryTargetRecords ? " (the issue sets it at N = 1,000,000)" : ""
    }

    /// The issue's targets that this run has the numbers for.
    var targets: [TargetCheck] {
        var checks: [TargetCheck] = []
        for (phase, share) in [(Phase.localImport, 0.70), (.clone, 0.50), (.push, 0.33)] {
            if let ratio = ratioToFloor(phase) {
                checks.append(TargetCheck(phase: phase, text: "\(phase.rawValue) ≥ \(Int(share * 100)) % of sqlite-floor records/s",
                                          measured: Report.percent(ratio), pass: ratio >= share))
            }
        }
        for phase in [Phase.incremental] + Phase.reads {
            if let ratio = ratioToBaseline(phase) {
                checks.append(TargetCheck(phase: phase,
                                          text: "\(phase.rawValue) at N = \(Report.count(options.records)) ≤ 1.5 × at N = \(Report.count(options.baselineRecords))",
                                          measured: String(format: "%.2f ×", ratio), pass: ratio <= 1.5))
            }
        }
        if let show = result(.readShow), show.seconds > 0 {
            for phase in Phase.reads where phase != .readShow {
                guard let read = result(phase) else { continue }
                checks.append(TargetCheck(phase: phase, text: "\(phase.rawValue) ≤ 3 × show (median seconds)\(atAMillion)",
                                          measured: String(format: "%.2f ×", read.seconds / show.seconds), pass: read.seconds <= 3 * show.seconds))
            }
        }
        for phase in Phase.reads {
            guard let read = result(phase) else { continue }
            checks.append(TargetCheck(phase: phase, text: "\(phase.rawValue) < 100 ms\(atAMillion)",
                                      measured: String(format: "%.0f ms", read.seconds * 1000), pass: read.seconds < 0.1))
        }
        for phase in [Phase.localImport, .clone, .csvImport] {
            if let peak = result(phase)?.peakRSSBytes {
                checks.append(TargetCheck(phase: phase, text: "\(phase.rawValue) peak RSS < 150 MB\(atAMillion)",
                                          measured: Report.megabytes(peak), pass: peak < Report.memoryLimitBytes))
            }
        }
        if let https = result(.httpsClone), let plain = result(.clone), plain.seconds > 0 {
            let ratio = https.seconds / plain.seconds
            checks.append(TargetCheck(phase: .httpsClone, text: "https-clone ≤ 1.5 × clone (seconds)",
                                      measured: String(format: "%.2f ×", ratio), pass: ratio <= 1.5))
        }
        if let concurrent = result(.concurrent), let p50 = concurrent.extras["p50_seconds"], let p99 = concurrent.extras["p99_seconds"], p50 > 0 {
            checks.append(TargetCheck(phase: .concurrent, text: "concurrent p99 < 10 × p50",
                                      measured: String(format: "%.1f ×", p99 / p50), pass: p99 < 10 * p50))
        }
        return checks
    }

    // MARK: JSON

    /// One JSON object per phase and line: `name`, `records`, `seconds`, `per_second`,
    /// `peak_rss_bytes`, the phase's extras, its ratios and `pass` where a target applies, and
    /// `run` (its number) when the bench runs more than once.
    func jsonLines(run: Int? = nil) -> String {
        let checks = targets
        return outcome.results.map { result in
            guard case .object(var object) = result.json else { return "" }
            if let ratio = ratioToFloor(result.phase), result.phase != .sqliteFloor { object["ratio_to_floor"] = .number(Report.round(ratio)) }
            if let baseline = outcome.baseline[result.phase], let ratio = ratioToBaseline(result.phase) {
                object["baseline_records"] = .number(Double(options.baselineRecords))
                object["baseline_seconds"] = .number(baseline.seconds)
                object["ratio_to_baseline"] = .number(Report.round(ratio))
            }
            let own = checks.filter { $0.phase == result.phase }
            if !own.isEmpty { object["pass"] = .bool(own.allSatisfy(\.pass)) }
            if let run { object["run"] = .number(Double(run)) }
            return JSONWriter.string(.object(object)) + "\n"
        }.joined()
    }

    /// Each target of several runs: held (in every run) or not, in how many it held, and what
    /// each run measured, in order.
    static func acrossRuns(_ reports: [Report]) -> String {
        var measured: [(text: String, values: [String], passes: Int)] = []
        for report in reports {
            for check in report.targets {
                if let index = measured.firstIndex(where: { $0.text == check.text }) {
                    measured[index].values.append(check.measured)
                    measured[index].passes += check.pass ? 1 : 0
                } else {
                    measured.append((check.text, [check.measured], check.pass ? 1 : 0))
                }
            }
        }
        let width = measured.map(\.text.count).max() ?? 0
        var lines = ["", "targets across \(reports.count) runs (held: met in every run):"]
        let tally = { (passes: Int) in
            let text = "\(passes)/\(reports.count)"
            return String(repeating: " ", count: max(0, 2 * String(reports.count).count + 1 - text.count)) + text
        }
        for target in measured {
            let held = target.passes == reports.count && target.values.count == reports.count
            lines.append("  \(held ? "HELD" : "FAIL")  \(tally(target.passes))  "
                + "\(target.text.padding(toLength: width, withPad: " ", startingAt: 0))  \(target.values.joined(separator: ", "))")
        }
        let bounds = reports.compactMap { $0.ratioToFloor(.replicaFloor) }
        if !bounds.isEmpty {
            lines.append("  replica-floor (SQLite alone writing the replica's rows: the most local-import and clone can reach): "
                + bounds.map(Report.percent).joined(separator: ", ") + " of sqlite-floor")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Table

    func table() -> String {
        var lines: [String] = []
        var heading = "boucle-bench: \(Report.count(options.records)) offers × 6 text fields and a point, seed \(options.seed)"
        if let bytes = outcome.workloadBytes, let seconds = outcome.generateSeconds {
            heading += " (workload change-set \(Report.megabytes(bytes)), written in \(Report.seconds(seconds)) s)"
        }
        var machine = "\(outcome.cores) cores"
        if let load = outcome.loadAverage { machine += String(format: ", 1-minute load average %.2f when the run started", load) }
        lines += [heading, machine, ""]
        let checks = targets
        var rows = [["phase", "records", "seconds", "records/s", "CPU s", "server CPU s", "peak RSS", "server RSS", "vs floor", "targets"]]
        for result in outcome.results {
            let own = checks.filter { $0.phase == result.phase }
            rows.append([
                result.phase.rawValue, Report.count(result.records), Report.seconds(result.seconds),
                result.phase.isRead ? "-" : Report.count(Int(result.perSecond.rounded())),
                result.extras["cpu_seconds"].map(Report.seconds) ?? "-",
                result.extras["server_cpu_seconds"].map(Report.seconds) ?? "-",
                result.peakRSSBytes.map(Report.megabytes) ?? "-",
                result.extras["server_peak_rss_bytes"].map { Report.megabytes(Int($0)) } ?? "-",
                result.phase == .sqliteFloor ? "100 %" : ratioToFloor(result.phase).map(Report.percent) ?? "-",
                own.isEmpty ? "-" : own.allSatisfy(\.pass) ? "PASS" : "FAIL",
            ])
        }
        lines += Report.align(rows)
        lines.append("")
        lines += notes()
        if !checks.isEmpty {
            lines += ["", "targets (ratios within this run):"]
            let width = checks.map(\.text.count).max() ?? 0
            for check in checks {
                lines.append("  \(check.pass ? "PASS" : "FAIL")  \(check.text.padding(toLength: width, withPad: " ", startingAt: 0))  \(check.measured)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func notes() -> [String] {
        var lines = [
            "  CPU s: user + system time of the process that ran the phase (seconds minus CPU s: waiting for the disk or the server);",
            "  server CPU s: boucle-server's, during the phase. Peak RSS: the child process that ran the phase; server RSS: boucle-server's peak during it",
        ]
        if let bound = result(.replicaFloor) {
            lines.append("  replica-floor: SQLite alone writing the rows local-import left, as they are, into an emptied replica (\(Report.seconds(bound.extras["index_seconds"] ?? 0)) s "
                + "of it building the three wide read indexes): local-import and clone write the same rows and can go no faster")
        }
        if let incremental = result(.incremental) {
            var line = "  incremental: median of \(Int(incremental.extras["rounds"] ?? 0)) syncs of 10 changed records into a replica holding "
                + "\(Report.count(options.records)) (min \(Report.seconds(incremental.extras["min_seconds"] ?? 0)) s, "
                + "max \(Report.seconds(incremental.extras["max_seconds"] ?? 0)) s; the editor's push of the 10: "
                + "\(Report.seconds(incremental.extras["push_seconds"] ?? 0)) s)"
            if let baseline = outcome.baseline[.incremental] {
                line += "; at N = \(Report.count(options.baselineRecords)): \(Report.seconds(baseline.seconds)) s"
            }
            lines.append(line)
        }
        let reads = Phase.reads.compactMap(result)
        if !reads.isEmpty {
            lines.append("  reads: median of \(ReadPhases.runs) whole `boucle` processes on the imported replica; vs floor: the same query's median "
                + "through the sqlite3 shell on the floor's table with indexes, over the read's. In ms, read / floor"
                + (outcome.baseline.isEmpty ? "" : " / read at N = \(Report.count(options.baselineRecords))") + ": "
                + reads.map { read in
                    let baseline = outcome.baseline[read.phase].map { String(format: " / %.1f", $0.seconds * 1000) } ?? ""
                    return "\(read.phase.rawValue) " + String(format: "%.1f / %.1f", read.seconds * 1000, (read.extras["floor_seconds"] ?? 0) * 1000) + baseline
                }.joined(separator: ", "))
        }
        if let concurrent = result(.concurrent) {
            lines.append("  concurrent: \(Int(concurrent.extras["clients"] ?? 0)) clients × \(ConcurrentPhase.changesPerClient) new records, "
                + "syncing at once: p50 \(Report.seconds(concurrent.extras["p50_seconds"] ?? 0)) s, "
                + "p99 \(Report.seconds(concurrent.extras["p99_seconds"] ?? 0)) s per sync")
        }
        if options.keep { lines.append("  files kept in \(outcome.folder)") }
        return lines
    }

    // MARK: Formatting

    /// Columns left-aligned for the first, right-aligned for the others.
    static func align(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "   ")
        }
    }

    /// `1234567` as `1,234,567`.
    static func count(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return number < 0 ? "-" + out : out
    }

    static func seconds(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
    static func percent(_ ratio: Double) -> String { String(format: "%.0f %%", ratio * 100) }
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
    private static func round(_ ratio: Double) -> Double { (ratio * 1000).rounded() / 1000 }
}
