/// The collections a record can live in. Adding one is a new protocol version.
public enum RecordCollection: String, CaseIterable, Sendable, Comparable {
    case offer, request, match, round, signup, category

    /// The fields a record of this collection may carry, by name.
    public var fields: [String: FieldKind] { Schema.fields[self] ?? [:] }

    public static func < (lhs: RecordCollection, rhs: RecordCollection) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a field holds, and how a value is checked.
public enum FieldKind: Sendable, Equatable {
    /// Free text, at most `FieldKind.maxTextBytes` bytes of UTF-8.
    case text
    /// A category slug: 1 to 40 of `a-z`, `0-9`, `-`.
    case slug
    /// A number within a closed range.
    case number(ClosedRange<Double>)
    case bool
    /// One of a fixed list of words.
    case choice([String])
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// Another record's id.
    case uuid

    public static let maxTextBytes = 4_096

    /// Checks `value` for this kind; nil when it fits, else what is wrong (without the value:
    /// it may be personal data).
    public func problem(with value: FieldValue) -> String? {
        switch (self, value) {
        case (_, .null):
            return nil
        case (.text, .text(let text)):
            return text.utf8.count <= FieldKind.maxTextBytes ? nil : "is longer than \(FieldKind.maxTextBytes) bytes"
        case (.slug, .text(let text)):
            return FieldKind.isSlug(text) ? nil : "must be 1 to 40 of a-z, 0-9 and -"
        case (.number(let range), .number(let number)):
            return range.contains(number) ? nil : "must be between \(FieldKind.plain(range.lowerBound)) and \(FieldKind.plain(range.upperBound))"
        case (.bool, .bool):
            return nil
        case (.choice(let words), .text(let text)):
            return words.contains(text) ? nil : "must be one of \(words.joined(separator: ", "))"
        case (.date, .text(let text)):
            return FieldKind.isDate(text) ? nil : "must be a date YYYY-MM-DD"
        case (.uuid, .text(let text)):
            return UUIDString(text) == nil ? "must be a record id (a lowercase UUID)" : nil
        default:
            return "must be \(expectation)"
        }
    }

    /// What a value of this kind looks like, for error messages.
    public var expectation: String {
        switch self {
        case .text: "text"
        case .slug: "a slug (a-z, 0-9, -)"
        case .number(let range): "a number between \(FieldKind.plain(range.lowerBound)) and \(FieldKind.plain(range.upperBound))"
        case .bool: "true or false"
        case .choice(let words): "one of \(words.joined(separator: ", "))"
        case .date: "a date YYYY-MM-DD"
        case .uuid: "a record id"
        }
    }

    /// Reads a value of this kind typed by a person (a CLI argument, a spreadsheet cell): "" is
    /// null, numbers and booleans are parsed, everything else is text. Nil when it cannot be read
    /// (the range and word checks are `problem(with:)`'s job).
    public func parse(_ text: String) -> FieldValue? {
        if text.isEmpty { return .null }
        switch self {
        case .number:
            guard let number = Double(text), number.isFinite else { return nil }
            return .number(number)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "oui", "1": return .bool(true)
            case "false", "no", "non", "0": return .bool(false)
            default: return nil
            }
        case .text, .slug, .choice, .date, .uuid:
            return .text(text)
        }
    }

    public static func isSlug(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...40).contains(bytes.count)
            && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              year >= 1970, (1...12).contains(month)
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    private static func plain(_ number: Double) -> String {
        var bytes: [UInt8] = []
        JSONWriter.appendNumber(number, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The fields of every collection (protocol version 1), as `Protocol/SPEC.md` lists them.
public enum Schema {
    public static let offerStatuses = ["open", "paused", "closed"]
    public static let requestStatuses = ["open", "matched", "done", "cancelled"]
    public static let matchStatuses = ["proposed", "accepted", "done", "cancelled"]
    public static let roundKinds = ["food-distribution", "maraude", "other"]
    public static let roundStatuses = ["planned", "done", "cancelled"]
    public static let signupStatuses = ["confirmed", "cancelled"]
    public static let urgencies = ["low", "normal", "high"]

    private static let helpFields: [String: FieldKind] = [
        "category": .slug, "title": .text, "details": .text, "address": .text,
        "lat": .number(-90...90), "lon": .number(-180...180), "remote": .bool,
        "contact_name": .text, "phone": .text,
    ]

    static let fields: [RecordCollection: [String: FieldKind]] = [
        .offer: helpFields.merging(["status": .choice(offerStatuses)]) { $1 },
        .request: helpFields.merging([
            "status": .choice(requestStatuses), "urgency": .choice(urgencies), "on_behalf_of": .text,
        ]) { $1 },
        .match: ["request": .uuid, "offer": .uuid, "status": .choice(matchStatuses), "note": .text],
        .round: ["kind": .choice(roundKinds), "date": .date, "area": .text, "title": .text, "status": .choice(roundStatuses)],
        .signup: ["round": .uuid, "volunteer": .text, "phone": .text, "status": .choice(signupStatuses)],
        .category: ["slug": .slug, "label": .text],
    ]

    /// The values a new record takes for the fields its maker leaves out (`boucle … add`,
    /// `boucle import-csv`, `boucle match --offer`).
    public static let defaults: [RecordCollection: [String: FieldValue]] = [
        .offer: ["status": .text("open"), "remote": .bool(false)],
        .request: ["status": .text("open"), "remote": .bool(false), "urgency": .text("normal")],
        .match: ["status": .text("proposed")],
        .round: ["status": .text("planned")],
        .signup: ["status": .text("confirmed")],
    ]

    /// Checks one field of a collection; nil when fine, else a message naming the field.
    public static func problem(collection: RecordCollection, field: String, value: FieldValue) -> String? {
        guard let kind = collection.fields[field] else {
            return "unknown field \"\(field)\" for \(collection.rawValue) (known: \(collection.fields.keys.sorted().joined(separator: ", ")))"
        }
        return kind.problem(with: value).map { "field \"\(field)\" \($0)" }
    }
}
