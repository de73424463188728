/// The value of one field: text, a number, a boolean, or null (a cleared field).
///
/// Numbers are finite doubles, written canonically (see `JSONWriter.appendNumber`), so that every
/// replica serializes the same value to the same bytes.
public enum FieldValue: Equatable, Hashable, Sendable {
    case null
    case text(String)
    case number(Double)
    case bool(Bool)

    /// Converts a parsed JSON scalar; nil for arrays and objects.
    public init?(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .string(let text): self = .text(text)
        case .number(let number): self = .number(number)
        case .bool(let flag): self = .bool(flag)
        case .array, .object: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .null: .null
        case .text(let text): .string(text)
        case .number(let number): .number(number)
        case .bool(let flag): .bool(flag)
        }
    }

    /// Appends the canonical JSON of this value.
    public func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .text(let text): JSONWriter.appendString(text, to: &out)
        case .number(let number): JSONWriter.appendNumber(number, to: &out)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        }
    }

    /// The value as a person reads it in a table ("" for null).
    public var display: String {
        switch self {
        case .null: ""
        case .text(let text): text
        case .number, .bool:
            {
                var bytes: [UInt8] = []
                appendJSON(to: &bytes)
                return String(decoding: bytes, as: UTF8.self)
            }()
        }
    }
}
