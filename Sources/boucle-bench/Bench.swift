import ArgumentParsing
import BoucleCore
import Foundation

/// A whole bench run: the workload, a server when a phase needs one, and each phase in a child
/// process of its own (`boucle-bench --phase NAME`), so that each phase's peak memory is its own.
struct Bench {
    let options: BenchOptions

    /// What a run found, for the report.
    struct Outcome {
        var results: [PhaseResult] = []
        var workloadBytes: Int?
        var generateSeconds: Double?
        /// The incremental and read phases at `options.baselineRecords`, for the 1.5× targets.
        var baseline: [Phase: PhaseResult] = [:]
        var folder = ""
        /// The machine: its cores, and its 1-minute load average when the run started (other
        /// processes make timings noisy).
        var cores = ProcessInfo.processInfo.activeProcessorCount
        var loadAverage = Bench.loadAverage()
    }

    func run() throws -> Outcome {
        let folder = try BenchFolder(path: Bench.makeTemporaryFolder())
        defer {
            if options.keep {
                log("kept \(folder.path)")
            } else {
                try? FileManager.default.removeItem(atPath: folder.path)
            }
        }
        var outcome = Outcome(folder: folder.path)
        let workload = Workload(records: options.records, seed: options.seed)
        let plan = Phase.plan(options.phases)
        if plan.contains(.localImport) {
            log("writing the workload: \(Report.count(options.records)) offers")
            let clock = Stopwatch()
            outcome.workloadBytes = try workload.writeChangeSet(to: folder.workload)
            outcome.generateSeconds = clock.seconds
        }
        var server: ServerProcess?
        defer { server?.stop() }
        var proxy: HTTPSProxy?
        defer { proxy?.stop() }
        for phase in plan {
            if phase.needsServer, server == nil {
                server = try ServerProcess(folder: folder)
                log("boucle-server listening at \(server?.settings.url ?? "?")")
            }
            if phase == .httpsClone, let server {
                switch try HTTPSProxy.start(folder: folder, upstream: server.settings) {
                case .success(let started):
                    proxy = started
                    log("nginx listening at \(started.url), in front of the server")
                case .failure(let why):
                    log("https-clone skipped: it \(why.description)")
                    continue
                }
            }
            if let server { PeakMemory.reset(pid: server.pid) }
            let serverCPU = server.flatMap { ProcessCPU.seconds(pid: $0.pid) }
            log("\(phase.rawValue)…")
            var result = try runChild(phase, folder: folder)
            if phase.needsServer, let server {
                if let peak = PeakMemory.of(pid: server.pid) { result.extras["server_peak_rss_bytes"] = Double(peak) }
                if let before = serverCPU, let after = ProcessCPU.seconds(pid: server.pid) {
                    result.extras["server_cpu_seconds"] = after - before
                }
            }
            log("\(phase.rawValue): \(Report.seconds(result.seconds)) s, \(Report.count(Int(result.perSecond.rounded()))) records/s")
            outcome.results.append(result)
        }
        server?.stop()
        server = nil
        let scaled = plan.filter { $0 == .incremental || $0.isRead }
        if !scaled.isEmpty, options.baselineRecords > 0, options.baselineRecords != options.records {
            outcome.baseline = try runBaseline(scaled)
        }
        return outcome
    }

    /// Runs one phase in a child process and reads the result line it prints.
    private func runChild(_ phase: Phase, folder: BenchFolder) throws -> PhaseResult {
        let arguments = ["--phase", phase.rawValue, "--dir", folder.path, "--records", String(options.records), "--seed", String(options.seed)]
        let output = try ChildProcess.output(of: try ChildProcess.ownExecutable(), arguments, what: "the \(phase.rawValue) phase")
        guard let line = output.split(separator: "\n").last, let json = try? JSONParser.parse(String(line)) else {
            throw BenchError("the \(phase.rawValue) phase printed no result")
        }
        return try PhaseResult(json: json)
    }

    /// `phases` (incremental and reads) in a whole second run at the baseline size (with its
    /// own server and folder), for the targets "at N within 1.5× of N = 10,000".
    private func runBaseline(_ phases: [Phase]) throws -> [Phase: PhaseResult] {
        log("baseline: \(phases.map(\.rawValue).joined(separator: ", ")) in a run at \(Report.count(options.baselineRecords)) records")
        let arguments = ["--records", String(options.baselineRecords), "--phases", phases.map(\.rawValue).joined(separator: ","), "--json",
                         "--seed", String(options.seed), "--baseline-records", "0"]
        let output = try ChildProcess.output(of: try ChildProcess.ownExecutable(), arguments, what: "the baseline run")
        var results: [Phase: PhaseResult] = [:]
        for line in output.split(separator: "\n") {
            if let json = try? JSONParser.parse(String(line)), let result = try? PhaseResult(json: json), phases.contains(result.phase) {
                results[result.phase] = result
            }
        }
        guard results.count == phases.count else { throw BenchError("the baseline run printed no result for some of \(phases.map(\.rawValue))") }
        return results
    }

    /// The 1-minute load average, from `/proc/loadavg` (proc(5)).
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// A new folder under `$TMPDIR` (mkdtemp(3)).
    private static func makeTemporaryFolder() throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/boucle-bench-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw BenchError("cannot make a temporary folder in \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    private func log(_ text: String) {
        StandardStreams.err("boucle-bench: \(text)\n")
    }
}

/// The child side: runs one phase in this process and prints its result as one JSON line,
/// with this process's peak RSS.
enum PhaseChild {
    static func run(_ phase: Phase, folder: BenchFolder, workload: Workload) throws {
        var result: PhaseResult
        switch phase {
        case .sqliteFloor: result = try LocalPhases.sqliteFloor(workload, folder)
        case .localImport: result = try LocalPhases.localImport(workload, folder)
        case .replicaFloor: result = try LocalPhases.replicaFloor(workload, folder)
        case .export: result = try LocalPhases.export(workload, folder)
        case .push: result = try SyncPhases.push(workload, folder)
        case .clone: result = try SyncPhases.clone(workload, folder)
        case .httpsClone: result = try SyncPhases.httpsClone(workload, folder)
        case .incremental: result = try SyncPhases.incremental(workload, folder)
        case .concurrent: result = try ConcurrentPhase.run(workload, folder)
        case .csvImport: result = try ReadPhases.csvImport(workload, folder)
        case .serverImport: result = try ReadPhases.serverImport(workload, folder)
        case .readStatus, .readList, .readNear, .readMatch, .readShow: result = try ReadPhases.run(phase, workload, folder)
        }
        // The whole-process imports report their process's peak; reads report none.
        if !phase.runsItsOwnProcess, !phase.isRead { result.peakRSSBytes = PeakMemory.ofSelf() }
        StandardStreams.out(JSONWriter.string(result.json) + "\n")
    }
}
