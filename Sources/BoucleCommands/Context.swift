import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// What a running `boucle` command knows: its arguments, the replica's path and how to print.
struct Context {
    let arguments: ParsedArguments
    /// `--replica`, else `$BOUCLE_REPLICA`, else `./boucle.db`.
    let replicaPath: String
    /// `--json`: print JSON instead of text.
    let json: Bool
    let environment = BoucleCore.Environment.system

    init(arguments: ParsedArguments) {
        self.arguments = arguments
        let variable = ProcessInfo.processInfo.environment["BOUCLE_REPLICA"].flatMap { $0.isEmpty ? nil : $0 }
        replicaPath = arguments.value(BoucleCLI.replica) ?? variable ?? BoucleCLI.defaultReplica
        json = arguments.flag(BoucleCLI.json)
    }

    /// Opens the replica.
    func openStore() throws -> ReplicaStore {
        try ReplicaStore.open(at: replicaPath, environment: environment)
    }

    /// Prints a line (a newline is added).
    func say(_ text: String) { StandardStreams.out(text + "\n") }

    /// Prints text as it is.
    func write(_ text: String) { StandardStreams.out(text) }

    /// Prints a JSON value, pretty, with sorted keys.
    func printJSON(_ value: JSONValue) { StandardStreams.out(JSONWriter.string(value, pretty: true) + "\n") }

    /// The value of a required option.
    func required(_ option: OptionSpec) throws -> String {
        try arguments.required(option)
    }
}
