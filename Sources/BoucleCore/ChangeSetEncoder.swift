/// The first line of a change-set: what it is, which version, whose tenant, which replica wrote it.
public struct ChangeSetHeader: Equatable, Sendable {
    public static let format = "boucle-changeset"
    public static let version = 1

    /// The tenant the changes belong to; "" for a replica that has not joined one yet.
    public let tenant: String
    /// The replica that wrote the change-set (not necessarily the writer of each change).
    public let origin: UUIDString

    public init(tenant: String, origin: UUIDString) {
        self.tenant = tenant
        self.origin = origin
    }
}

/// Writes a change-set (Protocol/SPEC.md §4) a line at a time, hashing as it goes.
///
/// Memory stays bounded: callers append changes and drain `takeBytes()` to a file or socket
/// whenever they like. After `finish()`, nothing more may be appended.
public struct ChangeSetEncoder {
    private var bytes: [UInt8] = []
    private var hash = SHA256()
    private var lineStart = 0
    /// How many changes have been appended.
    public private(set) var count = 0
    private var finished = false

    public init(header: ChangeSetHeader) {
        bytes.reserveCapacity(1 << 16)
        bytes.append(contentsOf: #"{"format":"#.utf8)
        JSONWriter.appendString(ChangeSetHeader.format, to: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        JSONWriter.appendNumber(Double(ChangeSetHeader.version), to: &bytes)
        bytes.append(contentsOf: #","tenant":"#.utf8)
        JSONWriter.appendString(header.tenant, to: &bytes)
        bytes.append(contentsOf: #","origin":"#.utf8)
        JSONWriter.appendString(header.origin.rawValue, to: &bytes)
        endLine()
    }

    /// Appends one change line.
    public mutating func append(_ change: Change) {
        precondition(!finished, "a finished change-set takes no more changes")
        bytes.append(contentsOf: #"{"collection":"#.utf8)
        JSONWriter.appendString(change.collection.rawValue, to: &bytes)
        bytes.append(contentsOf: #","id":"#.utf8)
        change.id.appendQuoted(to: &bytes)
        bytes.append(contentsOf: #","team":"#.utf8)
        JSONWriter.appendString(change.team, to: &bytes)
        bytes.append(contentsOf: #","hlc":""#.utf8)
        change.stamp.hlc.appendHex(to: &bytes)
        bytes.append(contentsOf: #"","replica":"#.utf8)
        change.stamp.replica.appendQuoted(to: &bytes)
        switch change.operation {
        case .delete:
            bytes.append(contentsOf: #","delete":true"#.utf8)
        case .set(let fields):
            bytes.append(contentsOf: #","set":{"#.utf8)
            for (index, name) in fields.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(name, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                fields[name, default: .null].appendJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        if !change.prev.isEmpty {
            bytes.append(contentsOf: #","prev":{"#.utf8)
            for (index, name) in change.prev.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(name, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                change.prev[name]?.appendQuoted(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        endLine()
        count += 1
    }

    /// Appends the trailer: the change count and the SHA-256 of every byte before it.
    public mutating func finish() {
        precondition(!finished, "a change-set is finished once")
        finished = true
        let digest = SHA256.hex(hash.finalize())
        bytes.append(contentsOf: #"{"end":{"changes":"#.utf8)
        JSONWriter.appendNumber(Double(count), to: &bytes)
        bytes.append(contentsOf: #","sha256":"#.utf8)
        JSONWriter.appendString(digest, to: &bytes)
        bytes.append(contentsOf: "}}\n".utf8)
        lineStart = bytes.count
    }

    /// The bytes written since the last call; the encoder forgets them.
    public mutating func takeBytes() -> [UInt8] {
        defer {
            bytes.removeAll(keepingCapacity: true)
            lineStart = 0
        }
        return bytes
    }

    /// How many bytes wait to be taken.
    public var pendingByteCount: Int { bytes.count }

    private mutating func endLine() {
        bytes.append(contentsOf: "}\n".utf8)
        bytes.withUnsafeBytes { raw in
            hash.update(UnsafeRawBufferPointer(rebasing: raw[lineStart...]))
        }
        lineStart = bytes.count
    }
}
