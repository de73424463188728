import Foundation

/// Why a change-set was refused. Messages say what is wrong and where, never a field's value.
public enum ChangeSetError: Error, Equatable, CustomStringConvertible {
    case empty
    case notAChangeSet(String)
    case unsupportedVersion(Int)
    case lineTooLong(line: Int, limit: Int)
    case invalidLineEnding(line: Int)
    case invalidJSON(line: Int, reason: String)
    case invalidChange(line: Int, reason: String)
    case truncated
    case countMismatch(declared: Int, actual: Int)
    case checksumMismatch
    case dataAfterEnd(line: Int)

    public var description: String {
        switch self {
        case .empty:
            "the change-set is empty (0 bytes)"
        case .notAChangeSet(let why):
            "not a Boucle change-set: \(why)"
        case .unsupportedVersion(let version):
            "unsupported change-set version \(version): this boucle reads version \(ChangeSetHeader.version); update boucle on this machine"
        case let .lineTooLong(line, limit):
            "line \(line) is longer than \(limit) bytes"
        case .invalidLineEnding(let line):
            "line \(line) has a Windows line ending (\\r\\n): change-sets use \\n alone"
        case let .invalidJSON(line, reason):
            "line \(line) is invalid JSON: \(reason)"
        case let .invalidChange(line, reason):
            "line \(line): \(reason)"
        case .truncated:
            "the change-set is truncated: it stops before its end line (was the copy interrupted?)"
        case let .countMismatch(declared, actual):
            "the end line declares \(declared) changes but the change-set holds \(actual): the change count does not match"
        case .checksumMismatch:
            "the checksum does not match: the change-set was damaged or altered after it was written"
        case .dataAfterEnd(let line):
            "line \(line) comes after the end line: data after the end of the change-set"
        }
    }
}

/// Reads a change-set (Protocol/SPEC.md §4) from bytes fed in pieces of any size.
///
/// The decoder hands out the header, then each change, as soon as its line is complete; memory is
/// bounded by the longest line. Changes handed out are not yet proven intact: a consumer applies
/// them inside a transaction and commits only once `finish()` returns, having checked the
/// trailer's count and SHA-256.
public struct ChangeSetDecoder {
    /// One item read from a change-set.
    public enum Item: Equatable, Sendable {
        case header(ChangeSetHeader)
        case change(Change)
    }

    public static let defaultMaxLineBytes = 1 << 20

    private let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var hash = SHA256()
    private var line = 0
    private var header: ChangeSetHeader?
    private var count = 0
    private var ended = false
    private var sawBytes = false

    public init(maxLineBytes: Int = ChangeSetDecoder.defaultMaxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds the next bytes; `handle` receives each item completed by them.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, _ handle: (Item) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        if !sawBytes {
            sawBytes = true
            if bytes[0] != UInt8(ascii: "{") {
                throw ChangeSetError.notAChangeSet("it does not start with a JSON header line")
            }
        }
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, 0x0a, bytes.count - start) else {
                partial.append(contentsOf: bytes[start...])
                if partial.count > maxLineBytes { throw tooLong() }
                return
            }
            let newline = UnsafeRawPointer(found) - base
            // The line with its newline, which the checksum covers, and without, which is parsed.
            let terminated = UnsafeRawBufferPointer(rebasing: bytes[start...newline])
            start = newline + 1
            if partial.isEmpty {
                try completeLine(terminated, handle)
            } else {
                partial.append(contentsOf: terminated)
                let whole = partial
                partial.removeAll(keepingCapacity: true)
                try whole.withUnsafeBytes { try completeLine($0, handle) }
            }
        }
    }

    /// Feeds a byte array.
    public mutating func consume(_ bytes: [UInt8], _ handle: (Item) throws -> Void) throws {
        try bytes.withUnsafeBytes { try consume($0, handle) }
    }

    /// Declares the input complete; throws unless a valid trailer ended it.
    public mutating func finish() throws(ChangeSetError) {
        if !sawBytes { throw .empty }
        if header == nil { throw .notAChangeSet("it has no header line") }
        if !ended { throw .truncated }
        if !partial.isEmpty { throw .dataAfterEnd(line: line + 1) }
    }

    private func tooLong() -> ChangeSetError {
        header == nil ? .notAChangeSet("its first line is not a change-set header")
            : .lineTooLong(line: line + 1, limit: maxLineBytes)
    }

    /// Handles one line; `terminated` ends with its newline.
    private mutating func completeLine(_ terminated: UnsafeRawBufferPointer, _ handle: (Item) throws -> Void) throws {
        let bytes = UnsafeRawBufferPointer(rebasing: terminated.dropLast())
        if bytes.count > maxLineBytes { throw tooLong() }  // before counting the line: tooLong() names line + 1
        line += 1
        if ended { throw ChangeSetError.dataAfterEnd(line: line) }
        if bytes.last == UInt8(ascii: "\r") { throw ChangeSetError.invalidLineEnding(line: line) }
        // Most lines come from Boucle's own writers: the fast reader takes those, the general
        // path below everything else (and says what is wrong with a bad line).
        if header != nil, let change = CanonicalChangeLine.parse(bytes) {
            hash.update(terminated)
            count += 1
            try handle(.change(change))
            return
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            if header == nil { throw ChangeSetError.notAChangeSet("its first line is not a change-set header") }
            throw ChangeSetError.invalidJSON(line: line, reason: "\(error.reason) at byte \(error.offset)")
        }
        guard header != nil else {
            let parsed = try ChangeSetDecoder.header(from: value)
            self.header = parsed
            hash.update(terminated)
            try handle(.header(parsed))
            return
        }
        if let end = value["end"] {
            try checkTrailer(end, in: value)
            ended = true
            return
        }
        let change: Change
        do {
            change = try ChangeSetDecoder.change(from: value)
        } catch {
            throw ChangeSetError.invalidChange(line: line, reason: error.reason)
        }
        hash.update(terminated)
        count += 1
        try handle(.change(change))
    }


    private mutating func checkTrailer(_ end: JSONValue, in line: JSONValue) throws(ChangeSetError) {
        guard line.objectValue?.count == 1, let fields = end.objectValue, fields.count == 2,
              let declared = fields["changes"]?.numberValue, let checksum = fields["sha256"]?.stringValue
        else {
            throw .invalidChange(line: self.line, reason: #"the end line must be {"end":{"changes":N,"sha256":"…"}}"#)
        }
        guard declared == Double(count) else {
            throw .countMismatch(declared: Int(exactly: declared) ?? -1, actual: count)
        }
        guard SHA256.hex(hash.finalize()) == checksum else { throw .checksumMismatch }
    }

    private static func header(from value: JSONValue) throws(ChangeSetError) -> ChangeSetHeader {
        guard let object = value.objectValue, object["format"]?.stringValue == ChangeSetHeader.format else {
            throw .notAChangeSet("its first line does not say \"format\":\"\(ChangeSetHeader.format)\"")
        }
        guard let number = object["version"]?.numberValue, let version = Int(exactly: number) else {
            throw .notAChangeSet("its header has no version number")
        }
        guard version == ChangeSetHeader.version else { throw .unsupportedVersion(version) }
        guard object.count == 4, let tenant = object["tenant"]?.stringValue,
              tenant.isEmpty || FieldKind.isSlug(tenant),
              let originText = object["origin"]?.stringValue, let origin = UUIDString(originText)
        else {
            throw .invalidChange(line: 1, reason: "the header must hold format, version, tenant (a slug or \"\") and origin (a replica id), and nothing else")
        }
        return ChangeSetHeader(tenant: tenant, origin: origin)
    }

    /// A problem found in one change line.
    struct LineProblem: Error { let reason: String }

    private static func change(from value: JSONValue) throws(LineProblem) -> Change {
        guard let object = value.objectValue else { throw LineProblem(reason: "a change must be a JSON object") }
        guard let collectionName = object["collection"]?.stringValue else {
            throw LineProblem(reason: "a change needs a \"collection\"")
        }
        guard let collection = RecordCollection(rawValue: collectionName) else {
            throw LineProblem(reason: "unknown collection \"\(collectionName.prefix(40))\" (known: \(RecordCollection.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let id = object["id"]?.stringValue.flatMap({ UUIDString($0) }) else {
            throw LineProblem(reason: "the record id must be a lowercase UUID")
        }
        guard let team = object["team"]?.stringValue else { throw LineProblem(reason: "a change needs a \"team\"") }
        guard let hlc = object["hlc"]?.stringValue.flatMap({ HLC(hex: $0) }) else {
            throw LineProblem(reason: "the hlc must be 16 lowercase hex digits")
        }
        guard let replica = object["replica"]?.stringValue.flatMap({ UUIDString($0) }) else {
            throw LineProblem(reason: "the replica must be a lowercase UUID")
        }
        let operation: Change.Operation
        switch (object["set"], object["delete"]) {
        case (let set?, nil):
            guard let fields = set.objectValue else { throw LineProblem(reason: "\"set\" must be an object of fields") }
            var values: [String: FieldValue] = [:]
            for (name, json) in fields {
                guard let value = FieldValue(json: json) else {
                    throw LineProblem(reason: "field \"\(name.prefix(40))\" must be text, a number, true, false or null")
                }
                values[name] = value
            }
            operation = .set(values)
        case (nil, .bool(true)?):
            operation = .delete
        default:
            throw LineProblem(reason: "a change holds either \"set\" or \"delete\":true")
        }
        var prev: [String: Stamp] = [:]
        if let json = object["prev"] {
            guard let entries = json.objectValue else { throw LineProblem(reason: "\"prev\" must be an object of field stamps") }
            for (name, text) in entries {
                guard let stamp = text.stringValue.flatMap({ Stamp(canonical: $0) }) else {
                    throw LineProblem(reason: "prev of field \"\(name.prefix(40))\" must be a stamp HLC@REPLICA")
                }
                prev[name] = stamp
            }
        }
        guard object.count == (object["prev"] == nil ? 6 : 7) else {
            throw LineProblem(reason: "a change holds collection, id, team, hlc, replica, set or delete, and prev, and nothing else")
        }
        let change = Change(collection: collection, id: id, team: team, stamp: Stamp(hlc: hlc, replica: replica),
                            operation: operation, prev: prev)
        if let problem = change.problem() { throw LineProblem(reason: problem) }
        return change
    }
}
