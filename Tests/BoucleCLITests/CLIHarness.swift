import Foundation
import XCTest

/// Runs the real `boucle` binary as a child process, on real files in a fresh temporary folder.
///
/// The binary is the one SwiftPM built next to the test bundle (the test target depends on the
/// `boucle` executable, so `swift test` builds it first). Children get the test's environment
/// without `BOUCLE_REPLICA` (so a developer's own setting never leaks in), plus what a test adds.
enum CLI {
    /// What one run of a program printed, and how it exited.
    typealias Output = (status: Int32, out: String, err: String)

    /// The `boucle` executable in the products folder, which is the parent of the `.xctest` bundle.
    static let binary: URL? = {
        var folders: [URL] = Bundle.allBundles.map(\.bundleURL)
            .filter { $0.pathExtension == "xctest" }
            .map { $0.deletingLastPathComponent() }
        var folder = Bundle.main.bundleURL
        for _ in 0..<4 {
            folders.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        return folders.map { $0.appendingPathComponent("boucle") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs `boucle arguments…`, optionally through `launcher` (e.g. `faketime DATE`).
    static func run(_ arguments: [String], environment extra: [String: String] = [:], in folder: URL? = nil,
                    launcher: [String] = []) throws -> Output {
        guard let binary else {
            throw HarnessError("the boucle executable was not found next to the test bundle: run `swift build` first")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["BOUCLE_REPLICA"] = nil
        environment.merge(extra) { $1 }
        let command = launcher + [binary.path] + arguments
        return try runProgram(command, environment: environment, in: folder)
    }

    /// Runs `command[0]` with the rest as arguments; stdout and stderr go to files (no pipe can
    /// fill up and block the child), read back once it exits.
    static func runProgram(_ command: [String], environment: [String: String], in folder: URL?) throws -> Output {
        let captures = FileManager.default.temporaryDirectory
            .appendingPathComponent("boucle-capture-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: captures) }
        let outURL = captures.appendingPathComponent("stdout")
        let errURL = captures.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw HarnessError("cannot create capture files in \(captures.path)") }
        let outHandle = try FileHandle(forWritingTo: outURL)
        defer { try? outHandle.close() }
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        if let folder { process.currentDirectoryURL = folder }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        // Foundation's waitUntilExit() alone polls its run loop every 50 ms; the termination
        // handler wakes us as soon as the child exits.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        exited.wait()
        process.waitUntilExit()
        let out = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let err = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }

    /// The full path of `program` found on `$PATH`, if any.
    static func onPath(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One replica file used by a test, and the commands run against it with `--replica PATH`.
struct Replica {
    /// A short name for messages ("nord").
    let name: String
    /// The folder holding the replica file (and nothing else of the test's).
    let folder: URL
    /// `folder/replica.db`.
    var path: String { folder.appendingPathComponent("replica.db").path }

    /// Runs `boucle args… --replica PATH`.
    func run(_ args: String..., env: [String: String] = [:], launcher: [String] = []) throws -> CLI.Output {
        try run(args, env: env, launcher: launcher)
    }

    func run(_ args: [String], env: [String: String] = [:], launcher: [String] = []) throws -> CLI.Output {
        try CLI.run(args + ["--replica", path], environment: env, in: folder, launcher: launcher)
    }

    /// Runs a command that must succeed silently on stderr; returns its stdout without the final
    /// newline. A failure records an XCTest failure at the caller's line and throws.
    @discardableResult
    func ok(_ args: String..., launcher: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ok(args, launcher: launcher, file: file, line: line)
    }

    @discardableResult
    func ok(_ args: [String], launcher: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(args, launcher: launcher)
        guard result.status == 0, result.err.isEmpty else {
            let message = "`boucle \(args.joined(separator: " "))` on \(name) exited \(result.status): \(result.err)"
            XCTFail(message, file: file, line: line)
            throw HarnessError(message)
        }
        return result.out.hasSuffix("\n") ? String(result.out.dropLast()) : result.out
    }

    /// The parsed `--json` output of a command that must succeed.
    func json(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        let text = try ok(args + ["--json"], file: file, line: line)
        return try JSON.parse(text, file: file, line: line)
    }

    /// `status --json` as an object.
    func status(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try JSON.object(try json("status", file: file, line: line), file: file, line: line)
    }

    /// The state digest from `status --json`.
    func digest(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let value = try status(file: file, line: line)["digest"] as? String
        return try XCTUnwrap(value, "status --json has no string digest", file: file, line: line)
    }

    /// `conflicts --json` as an array of objects.
    func conflicts(file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        try JSON.objects(try json("conflicts", file: file, line: line), file: file, line: line)
    }

    /// Adds an offer and returns its id (the command prints nothing else).
    func addOffer(_ extra: String..., category: String = "groceries", title: String = "Courses le samedi",
                  file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ok(["offer", "add", "--category", category, "--title", title] + extra, file: file, line: line)
    }

    /// Writes what is new here to `file` (a path) and returns it.
    @discardableResult
    func export(to file: String, all: Bool = false, fileID: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ok(["export", "-o", file] + (all ? ["--all"] : []), file: fileID, line: line)
        return file
    }

    /// Imports `file`; returns what `import` printed.
    @discardableResult
    func importFile(_ file: String, fileID: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ok(["import", file], file: fileID, line: line)
    }

    /// Every byte of the replica's files that exist (`replica.db`, `-wal`, `-shm`), concatenated.
    func rawBytes() throws -> [(String, Data)] {
        try ["", "-wal", "-shm"].map { path + $0 }
            .filter { FileManager.default.fileExists(atPath: $0) }
            .map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) }
    }
}

/// Foundation's JSON parser, with typed accessors that fail the test on the wrong shape.
enum JSON {
    static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            XCTFail("not valid JSON: \(text)", file: file, line: line)
            throw error
        }
    }

    static func object(_ value: Any, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(value as? [String: Any], "expected a JSON object, got \(value)", file: file, line: line)
    }

    static func objects(_ value: Any, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        try XCTUnwrap(value as? [[String: Any]], "expected a JSON array of objects, got \(value)", file: file, line: line)
    }
}

/// A test case with a fresh temporary folder, removed afterwards.
class CLITestCase: XCTestCase {
    /// This test's own folder; replicas and change-set files go in it.
    private(set) var folder = URL(fileURLWithPath: "/nonexistent")

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("boucle-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
        try super.tearDownWithError()
    }

    /// A path in this test's folder.
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `boucle args…` with `--replica replica` when given, in this test's folder.
    func boucle(_ args: String..., replica: String? = nil, env: [String: String] = [:]) throws -> CLI.Output {
        try CLI.run(args + (replica.map { ["--replica", $0] } ?? []), environment: env, in: folder)
    }

    /// Creates a replica in its own sub-folder with `boucle init`.
    func makeReplica(_ name: String, team: String, tenant: String? = "lyon",
                     file: StaticString = #filePath, line: UInt = #line) throws -> Replica {
        let replicaFolder = folder.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: replicaFolder, withIntermediateDirectories: true)
        let replica = Replica(name: name, folder: replicaFolder)
        try replica.ok(["init", "--team", team] + (tenant.map { ["--tenant", $0] } ?? []), file: file, line: line)
        return replica
    }

    /// Exports what is new on `from` and imports it into `to`; returns the import's output.
    @discardableResult
    func send(_ from: Replica, to: Replica, as name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let changeSet = try from.export(to: path(name), fileID: file, line: line)
        return try to.importFile(changeSet, fileID: file, line: line)
    }

    /// Both replicas export, then each imports the other's file: what each did apart meets.
    func exchange(_ a: Replica, _ b: Replica, file: StaticString = #filePath, line: UInt = #line) throws {
        let fromA = try a.export(to: path("\(a.name).changeset"), fileID: file, line: line)
        let fromB = try b.export(to: path("\(b.name).changeset"), fileID: file, line: line)
        try a.importFile(fromB, fileID: file, line: line)
        try b.importFile(fromA, fileID: file, line: line)
    }
}
