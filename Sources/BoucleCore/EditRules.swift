/// The domain rules of an edit made on a replica, written once: `add`, `set`, `match`,
/// `import-csv` and `category add` all go through `EditRules.violation` and, for a match,
/// `EditRules.requestStatus` (the store's one edit path calls them).
///
/// - a new record gets `Schema.defaults` for the fields left out, and must then have its
///   collection's `required` fields;
/// - `lat` and `lon` go together: a record has both or neither;
/// - an offer's or a request's category is a live category of the replica;
/// - a sign-up's round, a match's request and offer name live records of those collections;
/// - a field every record of its collection has (required, or with a default) is never cleared;
/// - a category's slug is its identity: it never changes (its id derives from it, SPEC §1);
/// - a match's status moves its request's status (`requestStatus`).
///
/// These rules look at other records, so only the replica where an edit is made can apply them:
/// a change received from elsewhere (an import, a pull, a push at the server) is checked by
/// `Change.problem()` alone, since refusing it for the state of another record would make
/// replicas disagree (Protocol/SPEC.md §3, "Writers' rules").
public enum EditRules {
    /// The fields a new record must have, after defaults (`boucle … add` requires them too).
    public static let required: [RecordCollection: [String]] = [
        .offer: ["category", "title"],
        .request: ["category", "title"],
        .match: ["request", "offer"],
        .round: ["kind", "date"],
        .signup: ["round", "volunteer"],
        .category: ["slug", "label"],
    ]

    /// What the rules may look at besides the edited record: the replica's live records. A
    /// lookup that fails throws (the edit fails with it), never passes for "none".
    public struct Surroundings {
        /// The collection of the live record `id`, or nil when there is none.
        public var collectionOf: (UUIDString) throws -> RecordCollection?
        /// The slugs of the live categories.
        public var categories: () throws -> Set<String>

        public init(collectionOf: @escaping (UUIDString) throws -> RecordCollection?, categories: @escaping () throws -> Set<String>) {
            self.collectionOf = collectionOf
            self.categories = categories
        }
    }

    /// The first rule an edit breaks, or nil. `existing` holds the record's values before the
    /// edit (nil for a new record, which has had its defaults applied); `changes` the values the
    /// edit sets (`.null` clears a field).
    public static func violation(_ collection: RecordCollection, existing: [String: FieldValue]?, changes: [String: FieldValue],
                                 in surroundings: Surroundings) throws -> EditViolation? {
        let result = (existing ?? [:]).merging(changes) { $1 }.filter { $0.value != .null }
        if existing == nil {
            let missing = (required[collection] ?? []).filter { result[$0] == nil }
            if !missing.isEmpty { return .missingFields(collection, missing) }
        } else if collection == .category, let slug = changes["slug"], slug != existing?["slug"] {
            return .slugIsIdentity
        } else if let existing, let field = (kept[collection] ?? []).first(where: { field in
            changes[field] == .null && existing[field].map { $0 != .null } == true
        }) {
            return .cannotClear(collection, field)
        }
        if collection.fields["lat"] != nil, (result["lat"] == nil) != (result["lon"] == nil) {
            return .latLonApart
        }
        if collection == .offer || collection == .request, case .text(let slug)? = changes["category"] {
            let known = try surroundings.categories()
            if !known.contains(slug) { return .unknownCategory(slug, known: known.sorted()) }
        }
        for (field, target) in references(collection) {
            guard case .text(let text)? = changes[field] else { continue }
            guard let id = UUIDString(text), try surroundings.collectionOf(id) == target else {
                return .missingReference(field: field, target)
            }
        }
        return nil
    }

    /// The fields every record of a collection has, in name order: its required fields and
    /// those with a default. An edit may change them, never clear them. Derived once, not on
    /// every edit (an import of a spreadsheet checks each row).
    public static let kept: [RecordCollection: [String]] = Dictionary(uniqueKeysWithValues: RecordCollection.allCases.map { collection in
        (collection, Set(required[collection] ?? []).union((Schema.defaults[collection] ?? [:]).keys).sorted())
    })

    /// The fields of `collection` that name another record, with the collection they name.
    public static func references(_ collection: RecordCollection) -> [(field: String, target: RecordCollection)] {
        switch collection {
        case .signup: [("round", .round)]
        case .match: [("offer", .offer), ("request", .request)]
        case .offer, .request, .round, .category: []
        }
    }

    /// The status a request takes when one of its matches takes `matchStatus`: `matched` for a
    /// proposed or accepted match, `done` for a done one, and for a cancelled one `open`, unless
    /// another match of the request is still proposed or accepted (then `matched`). Nil for an
    /// unknown status.
    public static func requestStatus(forMatchStatus matchStatus: String, anotherMatchActive: Bool) -> String? {
        switch matchStatus {
        case "proposed", "accepted": "matched"
        case "done": "done"
        case "cancelled": anotherMatchActive ? "matched" : "open"
        default: nil
        }
    }

    /// The match statuses that keep a request matched.
    public static let activeMatchStatuses: Set<String> = ["proposed", "accepted"]
}

/// A rule of `EditRules` that an edit breaks: the facts, for the command line to word.
/// Never quotes a field's value (a category slug is not personal data).
public enum EditViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// A new record lacks fields its collection requires.
    case missingFields(RecordCollection, [String])
    /// `lat` without `lon`, or the other way round.
    case latLonApart
    /// The category is not a live category of the replica.
    case unknownCategory(String, known: [String])
    /// A field names no live record of the collection it must name.
    case missingReference(field: String, RecordCollection)
    /// An edit changes a category's slug.
    case slugIsIdentity
    /// An edit clears a field every record of the collection has (`kept`).
    case cannotClear(RecordCollection, String)
    /// A new category's slug is a live category already.
    case categoryExists(String)
    /// A new category's slug was deleted: its id (derived from the slug) stays deleted.
    case categoryDeleted(String)
    /// The nine default categories cannot be deleted.
    case defaultCategory(String)
    /// A field's value does not fit its kind (the message names the field).
    case invalidField(String)
    /// The edit names no field.
    case nothingToSet

    public var description: String {
        switch self {
        case let .missingFields(collection, fields):
            "a new \(collection.rawValue) needs \(fields.joined(separator: " and "))"
        case .latLonApart:
            "lat and lon go together: give both or neither"
        case let .unknownCategory(slug, known):
            "unknown category \"\(slug.prefix(40))\": known categories are \(known.joined(separator: ", ")) (add one with `boucle category add`)"
        case let .missingReference(field, collection):
            "\(field) names no \(collection.rawValue) of this replica"
        case .slugIsIdentity:
            "a category's slug is its identity and cannot change: add a new category instead"
        case let .cannotClear(collection, field):
            "\(field) cannot be cleared: every \(collection.rawValue) has one (set another value instead)"
        case .categoryExists(let slug):
            "category \"\(slug)\" exists already"
        case .categoryDeleted(let slug):
            "category \"\(slug)\" was deleted, and a deleted category's slug cannot be used again: choose another slug"
        case .defaultCategory(let slug):
            "\"\(slug)\" is one of the nine default categories, which cannot be deleted (relabel it instead)"
        case .invalidField(let problem):
            problem
        case .nothingToSet:
            "name at least one field to set"
        }
    }
}
