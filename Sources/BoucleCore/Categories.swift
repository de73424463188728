/// The categories every replica starts with, and how a category's record id follows from its slug.
///
/// Categories are data (`category` records): the city may add more without a new release. A
/// category's id is derived from its slug, so two replicas adding the same slug make one record.
public enum Categories {
    /// The nine default categories (slug, French label), seeded with `Stamp.seed` everywhere.
    public static let defaults: [(slug: String, label: String)] = [
        ("groceries", "Courses de première nécessité"),
        ("homework", "Aide aux devoirs"),
        ("conversation", "Conversation à distance"),
        ("crisis-staff", "Aide aux personnels de crise"),
        ("pets", "Promenade d'animaux"),
        ("it-paperwork", "Aide informatique et administrative"),
        ("masks", "Couture de masques"),
        ("printing", "Impression de documents"),
        ("other", "Autre"),
    ]

    /// The team that owns the seeded categories.
    public static let seedTeam = "boucle"

    /// The record id of the category `slug`: SHA-256("boucle-category:" + slug), first 16 bytes,
    /// stamped as a version-8 RFC 4122 UUID (Protocol/SPEC.md §1).
    public static func id(forSlug slug: String) -> UUIDString {
        var bytes = Array(SHA256.hash("boucle-category:" + slug).prefix(16))
        bytes[6] = bytes[6] & 0x0f | 0x80
        bytes[8] = bytes[8] & 0x3f | 0x80
        return UUIDString(bytes: bytes)
    }

    /// The seed changes every new replica merges: the same bytes on every replica.
    public static let seedChanges: [Change] = defaults.map { category in
        Change(collection: .category, id: id(forSlug: category.slug), team: seedTeam, stamp: .seed,
               operation: .set(["slug": .text(category.slug), "label": .text(category.label)]))
    }

    /// The ids of the nine default categories.
    public static let defaultIDs: Set<UUIDString> = Set(seedChanges.map(\.id))

    /// Whether `change` is a seed change or a part of one (some of its fields, as a record
    /// relabelled since exports its slug alone): only those carry the seed writer's stamp.
    public static func isSeeded(_ change: Change) -> Bool {
        guard change.stamp == .seed, change.team == seedTeam, change.prev.isEmpty, case .set(let fields) = change.operation,
              let seed = seedChanges.first(where: { $0.id == change.id }), case .set(let seeded) = seed.operation
        else { return false }
        return fields.allSatisfy { seeded[$0.key] == $0.value }
    }

    /// Whether `id` is one of the nine default categories (which can never be deleted).
    public static func isDefault(_ id: UUIDString) -> Bool { defaultIDs.contains(id) }
}
