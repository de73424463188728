import Foundation

/// The programs the bench runs: itself (one child per phase) and `boucle-server`.
enum ChildProcess {
    /// This executable, from `/proc/self/exe` (proc(5)).
    static func ownExecutable() throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            throw BenchError("cannot find the bench's own executable through /proc/self/exe: \(error.localizedDescription)")
        }
    }

    /// `boucle-server`, found next to the bench: both are products of the same build.
    static func serverExecutable() throws -> String { try sibling("boucle-server") }

    /// `boucle`, found next to the bench.
    static func clientExecutable() throws -> String { try sibling("boucle") }

    private static func sibling(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: try ownExecutable()).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("no \(name) next to boucle-bench (\(path)): build them together, e.g. swift build -c release")
        }
        return path
    }

    /// The `sqlite3` shell on the PATH, for the read phases' floors.
    static func sqliteShell() throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        guard let path = folders.map({ "\($0)/sqlite3" }).first(where: FileManager.default.isExecutableFile) else {
            throw BenchError("the read phases measure their floor with the sqlite3 shell: install it (apt-get install sqlite3)")
        }
        return path
    }

    /// Runs `executable` to its end and returns its standard output; its standard error goes to
    /// ours. Throws when it exits with another status than 0.
    static func output(of executable: String, _ arguments: [String], what: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited with status \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            throw BenchError("\(what) \(how) (its errors are above)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// One run of a program to its end with its standard output discarded (its errors go to ours),
/// through posix_spawn and wait4: its wall time and its peak RSS, for the phases that time whole
/// `boucle` processes.
enum Spawn {
    struct Run {
        let seconds: Double
        let peakRSSBytes: Int
    }

    static func run(_ executable: String, _ arguments: [String], what: String) throws -> Run {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let clock = Stopwatch()
        let started = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard started == 0 else { throw BenchError("cannot start \(what): \(String(cString: strerror(started)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0, errno == EINTR {}
        let seconds = clock.seconds
        // wait(2)'s status: the low 7 bits are the signal that ended it (0: it exited), the next 8 its exit status.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let how = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            throw BenchError("\(what) \(how) (its errors are above)")
        }
        return Run(seconds: seconds, peakRSSBytes: Int(usage.ru_maxrss) * 1024)   // ru_maxrss is in KiB
    }
}

/// The pid of the running server, for the SIGINT handler: a C signal handler cannot capture.
nonisolated(unsafe) private var serverPIDForSignals: pid_t = 0

/// A `boucle-server serve` child on 127.0.0.1 and a free port, with its own temporary database,
/// a tenant `bench` with an admin token and a tenant `crowd` with a coordinator token. Its request log goes to
/// `server.log` in the bench folder. Stopped with SIGTERM, as an operator would.
final class ServerProcess {
    private let process: Process
    /// Kept open so that the server never writes to a closed pipe.
    private let stdout: Pipe
    let settings: ServerSettings

    var pid: Int32 { process.processIdentifier }

    init(folder: BenchFolder) throws {
        let binary = try ChildProcess.serverExecutable()
        let db = ["--db", folder.serverDatabase]
        func admin(_ arguments: [String]) throws -> String {
            try ChildProcess.output(of: binary, arguments + db, what: "boucle-server \(arguments.prefix(2).joined(separator: " "))")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try admin(["tenant", "create", Workload.tenant])
        _ = try admin(["tenant", "create", ConcurrentPhase.team])
        // The workload was written by another replica than the one that pushes it (it imported
        // the workload's file): relaying another replica's writes takes an admin token.
        let token = try admin(["token", "create", "--tenant", Workload.tenant, "--team", Workload.team, "--role", "admin"])
        let crowdToken = try admin(["token", "create", "--tenant", ConcurrentPhase.team, "--team", ConcurrentPhase.team, "--role", "coordinator"])

        guard FileManager.default.createFile(atPath: folder.serverLog, contents: nil),
              let log = FileHandle(forWritingAtPath: folder.serverLog)
        else { throw BenchError("cannot write \(folder.serverLog)") }
        defer { try? log.close() }   // the child has its own copy
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + db
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = log
        try process.run()
        serverPIDForSignals = process.processIdentifier
        ServerProcess.stopOnInterrupt()

        // "boucle-server 0.1.0 listening on 127.0.0.1:PORT (database …)"
        var text = ""
        while !text.contains("\n") {
            let data = stdout.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let range = text.range(of: "listening on "),
              let address = text[range.upperBound...].split(separator: " ").first.map(String.init)
        else {
            process.terminate()
            process.waitUntilExit()
            throw BenchError("boucle-server did not start listening: see \(folder.serverLog)")
        }
        self.process = process
        self.stdout = stdout
        settings = ServerSettings(url: "http://\(address)", token: token, crowdToken: crowdToken)
        try settings.write(to: folder.serverSettings)
    }

    /// Sends SIGTERM and waits: the server finishes the requests in flight and exits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        serverPIDForSignals = 0
    }

    deinit { stop() }

    /// On ^C, a hang-up or a closed output pipe (`boucle-bench | head`), stops the server before
    /// the bench dies, so that no server outlives the run.
    private static func stopOnInterrupt() {
        for stopSignal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            signal(stopSignal) { received in
                if serverPIDForSignals > 0 { kill(serverPIDForSignals, SIGTERM) }
                _exit(128 + received)
            }
        }
    }
}
