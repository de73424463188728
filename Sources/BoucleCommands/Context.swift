import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// Writes to the process's standard output and error, unbuffered by Swift.
enum Output {
    static func out(_ text: String) { write(text, to: FileHandle.standardOutput) }
    static func err(_ text: String) { write(text, to: FileHandle.standardError) }

    private static func write(_ text: String, to handle: FileHandle) {
        // A closed pipe (`boucle list | head`) is not our failure: drop the output.
        try? handle.write(contentsOf: Data(text.utf8))
    }
}

/// What a running command knows: its arguments, the replica's path and how to print.
struct Context {
    let arguments: ParsedArguments
    let replicaPath: String
    let json: Bool
    let environment: BoucleCore.Environment

    /// Opens the replica named by `--replica`, `$BOUCLE_REPLICA` or `./boucle.db`.
    func openStore() throws -> ReplicaStore {
        try ReplicaStore.open(at: replicaPath, environment: environment)
    }

    /// Prints a line (a newline is added).
    func say(_ text: String) { Output.out(text + "\n") }

    /// Prints a JSON value, pretty, with sorted keys.
    func printJSON(_ value: JSONValue) { Output.out(JSONWriter.string(value, pretty: true) + "\n") }

    /// The value of a required option.
    func required(_ name: String) throws -> String {
        guard let value = arguments.value(name) else { throw UsageError("\(name) is required") }
        return value
    }
}
