import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// The files a replica lives in: the database, its WAL and its shared memory.
enum ReplicaFiles {
    /// True when `path` names one of the replica's files (after resolving `.`, `..` and links).
    static func isPart(of replica: String, path: String) -> Bool {
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: replica).standardizedFileURL.resolvingSymlinksInPath().path
        return [base, base + "-wal", base + "-shm", base + "-journal"].contains(target)
    }
}

/// How records, times and tables are shown to people and scripts.
enum Rendering {
    /// A record as JSON: `id`, `collection`, `team` and its set fields.
    static func json(_ record: StoredRecord) -> JSONValue {
        var object = record.values.mapValues(\.json)
        object["id"] = .string(record.id.rawValue)
        object["collection"] = .string(record.collection.rawValue)
        object["team"] = .string(record.state.team)
        return .object(object)
    }

    /// A stamp for people: its wall time and the writer's short replica id.
    static func stamp(_ stamp: Stamp) -> String {
        "\(WallTime.readable(stamp.hlc.milliseconds)) UTC by replica \(stamp.replica.rawValue.prefix(8))"
    }

    /// Left-aligned columns, two spaces apart; cells cut to `maxWidth` characters.
    static func table(_ header: [String], _ rows: [[String]], maxWidth: Int = 40) -> String {
        let cut = rows.map { $0.map { cell in
            let flat = TerminalText.escaped(oneLine(cell))
            return flat.count > maxWidth ? String(flat.prefix(maxWidth - 1)) + "…" : flat
        } }
        var widths = header.map(\.count)
        for row in cut {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }.joined()
        }
        return ([line(header)] + cut.map(line)).joined(separator: "\n") + "\n"
    }

    /// `text` with each line feed made a space (in Swift, without Foundation's slower bridge).
    private static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "\n")) else { return text }
        var flat = String.UnicodeScalarView()
        flat.append(contentsOf: text.unicodeScalars.lazy.map { $0 == "\n" ? " " : $0 })
        return String(flat)
    }
}

/// A JSON array written element by element, exactly as `Context.printJSON` writes a whole one
/// (pretty, sorted keys): a long list streams instead of being built in memory first.
struct JSONArrayOutput {
    private var count = 0

    mutating func append(_ element: JSONValue) {
        StandardStreams.out((count == 0 ? "[\n  " : ",\n  ") + JSONWriter.string(element, pretty: true, indent: 1))
        count += 1
    }

    func finish() {
        StandardStreams.out(count == 0 ? "[]\n" : "\n]\n")
    }
}
