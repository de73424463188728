/// A parsed JSON value (RFC 8259).
///
/// Numbers are `Double`s: integers are exact up to 2^53. Objects are dictionaries, so member
/// order is not kept (`JSONWriter` always writes keys sorted by their UTF-8 bytes) and keys are
/// unique. Keys are Swift `String`s, which compare by canonical equivalence: two keys that differ
/// only in Unicode normalization are the same key.
///
///     let value = try JSONParser.parse(#"{"name": "Ada", "tags": ["x"]}"#)
///     value["name"]?.stringValue  // "Ada"
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: Double? {
        if case .number(let x) = self { return x }
        return nil
    }

    /// The Boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The member named `key`; nil when this is not an object or has no such member.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

/// What was wrong with a JSON text, and where.
///
/// `offset` is the 0-based byte offset in the input of the first byte of the offending token (the
/// opening quote of an unterminated string or a repeated key, the backslash of a bad escape, the
/// first byte of a bad number or UTF-8 sequence), or the input's length when it ended too early.
/// `reason` is a short fixed phrase; it never quotes string values (only, for a repeated key,
/// the key, escaped and shortened).
public struct JSONError: Error, Equatable, CustomStringConvertible {
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    /// A short phrase saying what was wrong, such as "unterminated string".
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "invalid JSON at byte 12: unterminated string".
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
