/// Header fields in order, with case-insensitive lookup by name.
///
/// ```swift
/// var headers: HTTPHeaders = ["Content-Type": "application/json"]
/// headers.add("Cache-Control", "no-store")
/// headers["content-type"]  // "application/json"
/// ```
///
/// Invariants:
/// - Fields keep the order in which they were received or added, and their names keep the
///   spelling they were given: nothing is lowercased or merged.
/// - Lookups (`subscript`, `values(_:)`, `replace`, `remove`) compare names ASCII-case-insensitively.
/// - A name may appear several times; the subscript answers the first value, `values(_:)` all of them.
/// - Two values are equal when they hold the same fields, spelled the same, in the same order.
/// - Fields that came out of a parser have token names and values without control characters
///   (other than HTAB) and without surrounding whitespace. Fields added by code are not checked;
///   serialization writes any CR or LF in them as a space, so no field can smuggle in another.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One `name: value` line.
    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    private(set) var fields: [Field]

    /// Headers holding `pairs` in order.
    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Headers holding the literal's pairs in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value of the field called `name` (any case), or nil when there is none.
    public subscript(name: String) -> String? {
        fields.first { ASCII.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value of the fields called `name` (any case), in order.
    public func values(_ name: String) -> [String] {
        fields.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// Whether a field called `name` (any case) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Appends a field, keeping any already there with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Sets the one value of `name`: the first field of that name takes the new name and value
    /// (in place), the others are removed; when there was none, the field is appended.
    public mutating func replace(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, name) }) else {
            add(name, value)
            return
        }
        fields[first] = Field(name: name, value: value)
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if ASCII.equalsIgnoringCase(fields[index].name, name) {
                fields.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// Removes every field called `name` (any case).
    public mutating func remove(_ name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// The number of fields (a name given twice counts twice).
    public var count: Int { fields.count }

    public var isEmpty: Bool { fields.isEmpty }

    /// Whether a comma-separated field such as `Connection` lists `token` (any case) in any of its lines.
    public func containsToken(_ token: String, in name: String) -> Bool {
        let wanted = token.lowercased()
        for value in values(name) {
            for item in Array(value.utf8).split(separator: ASCII.comma) {
                if ASCII.equalsIgnoringCase(ASCII.trimmingWhitespace(item), lowercase: wanted) { return true }
            }
        }
        return false
    }

    /// Iterates over the fields in order.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Field]>

        public mutating func next() -> (name: String, value: String)? {
            guard let field = base.next() else { return nil }
            return (field.name, field.value)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }

    public var underestimatedCount: Int { fields.count }
}

extension HTTPHeaders {
    /// Appends the fields as `name: value\r\n` lines, skipping those called `skipping` (any case).
    /// CR and LF inside a name or value are written as spaces: a field can never end the line early.
    func write(to bytes: inout [UInt8], skipping excluded: String? = nil) {
        for field in fields {
            if let excluded, ASCII.equalsIgnoringCase(field.name, excluded) { continue }
            Self.appendNeutralized(field.name, to: &bytes)
            bytes.append(ASCII.colon)
            bytes.append(ASCII.space)
            Self.appendNeutralized(field.value, to: &bytes)
            bytes.append(ASCII.cr)
            bytes.append(ASCII.lf)
        }
    }

    private static func appendNeutralized(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            bytes.append(byte == ASCII.cr || byte == ASCII.lf || byte == 0 ? ASCII.space : byte)
        }
    }
}
