// The merge: how a change is folded into a record's state. Protocol/SPEC.md §3 is the rule:
//
//   1. Delete wins: a tombstone erases every field and drops every set, earlier or later.
//      Of two tombstones, the one whose stamp beats the other is kept.
//   2. Last writer wins per field: an incoming register replaces the stored one when its stamp
//      beats it (`Stamp.beats`); fields a change does not name are untouched. Two different
//      values under one stamp (only a broken or hostile writer makes them) keep the value whose
//      canonical JSON bytes are greater, so that even then every replica agrees.
//   3. Team: the lexicographically smaller of two claimed teams is kept.
//   4. Collection: a change for another collection than the record's is refused.
//
// These make the merge idempotent, commutative and associative. Nothing here reads a clock or
// does I/O: the store passes the local sequence number.
//
// Conflicts (Protocol/SPEC.md, "The conflict log"). Every write carries, per field, `prev`: the
// stamp of the value its writer replaced. A write W "had seen" a stamp s when W's prev is s or
// beats s. When two different values of one field meet, the loser is logged unless the winner's
// writer had seen it (a sequential edit, not a conflict) or both come from the same replica. A
// tombstone keeps the stamps its deleter had seen: edits it had not seen are logged, valueless.

/// One field's last-writer-wins register.
///
/// `seq` is local bookkeeping, not replicated state: the replica's sequence number at which it
/// stored this register, used to find what to export or push.
public struct FieldRegister: Equatable, Sendable {
    public var value: FieldValue
    public var stamp: Stamp
    /// The stamp of the value this write replaced on its writer's replica (nil: a new field).
    public var prev: Stamp?
    public var seq: Int64

    public init(value: FieldValue, stamp: Stamp, prev: Stamp? = nil, seq: Int64) {
        self.value = value
        self.stamp = stamp
        self.prev = prev
        self.seq = seq
    }
}

/// The merged state of one record on one replica.
///
/// Invariant: a record with a tombstone has no fields.
public struct RecordState: Equatable, Sendable {
    public var collection: RecordCollection
    public var team: String
    public var tombstone: Stamp?
    /// The field stamps the winning delete had seen (field names and stamps only: no values).
    public var tombstonePrev: [String: Stamp]
    public var fields: [String: FieldRegister]

    public init(collection: RecordCollection, team: String, tombstone: Stamp? = nil,
                tombstonePrev: [String: Stamp] = [:], fields: [String: FieldRegister] = [:]) {
        self.collection = collection
        self.team = team
        self.tombstone = tombstone
        self.tombstonePrev = tombstonePrev
        self.fields = fields
    }

    /// The highest sequence number of any register (0 without fields).
    public var maxSeq: Int64 { fields.values.map(\.seq).max() ?? 0 }
}

/// A write that lost, kept so that nothing is lost silently.
public struct Conflict: Equatable, Sendable {
    /// Why the write lost; see Protocol/SPEC.md, "The conflict log".
    public enum Kind: String, Sendable, CaseIterable {
        /// A write held here was beaten by an incoming one whose writer had not seen it.
        case overwritten
        /// An incoming write lost to a write held here whose writer had not seen it.
        case rejected
        /// A write met a tombstone; its value is not kept.
        case deleted
        /// A write this replica pushed lost at the server.
        case beaten
    }

    public let kind: Kind
    public let recordID: UUIDString
    public let collection: RecordCollection
    public let field: String
    public let loser: Stamp
    /// The losing value; nil once the record is deleted (a delete leaves no personal data).
    public let loserValue: FieldValue?
    public let winner: Stamp
    public let winnerValue: FieldValue?

    public init(kind: Kind, recordID: UUIDString, collection: RecordCollection, field: String,
                loser: Stamp, loserValue: FieldValue?, winner: Stamp, winnerValue: FieldValue?) {
        self.kind = kind
        self.recordID = recordID
        self.collection = collection
        self.field = field
        self.loser = loser
        self.loserValue = loserValue
        self.winner = winner
        self.winnerValue = winnerValue
    }
}

/// Why a change could not be merged at all.
public enum MergeError: Error, Equatable, CustomStringConvertible {
    case collectionMismatch(id: UUIDString, stored: RecordCollection, incoming: RecordCollection)

    public var description: String {
        switch self {
        case let .collectionMismatch(id, stored, incoming):
            "record \(id) is \(stored.withArticle), but a change names it \(incoming.withArticle): refusing the collection change"
        }
    }
}

/// The result of merging one change.
public struct MergeOutcome: Equatable, Sendable {
    public var state: RecordState
    /// True when the state differs from before the merge.
    public var changed: Bool
    public var conflicts: [Conflict]
}

extension FieldValue {
    /// The order of two values written under the same stamp: byte order of their canonical JSON.
    func canonicallyAbove(_ other: FieldValue) -> Bool {
        var mine: [UInt8] = []
        var theirs: [UInt8] = []
        appendJSON(to: &mine)
        other.appendJSON(to: &theirs)
        return theirs.lexicographicallyPrecedes(mine)
    }
}

extension Stamp {
    /// True when a writer whose `prev` is `self` had seen the write stamped `other`: `prev` is
    /// that write, or a later one (which had replaced it, or something after it).
    func covers(_ other: Stamp) -> Bool { self == other || beats(other) }
}

extension RecordState {
    /// Merges `change` into `existing` (nil when the record is unknown here), by the rules at the
    /// top of this file. Registers the change installs get sequence number `seq`.
    public static func merge(_ change: Change, into existing: RecordState?, seq: Int64) throws(MergeError) -> MergeOutcome {
        var state = existing ?? RecordState(collection: change.collection, team: change.team)
        guard state.collection == change.collection else {
            throw .collectionMismatch(id: change.id, stored: state.collection, incoming: change.collection)
        }
        var changed = existing == nil
        if change.team < state.team {
            state.team = change.team
            changed = true
        }
        var conflicts: [Conflict] = []
        func conflict(_ kind: Conflict.Kind, field: String, loser: Stamp, loserValue: FieldValue?,
                      winner: Stamp, winnerValue: FieldValue?) {
            conflicts.append(Conflict(kind: kind, recordID: change.id, collection: change.collection, field: field,
                                      loser: loser, loserValue: loserValue, winner: winner, winnerValue: winnerValue))
        }
        /// Whether `loser` lost to a writer (`winner`, who had seen `seen`) that had not seen it.
        func unseen(_ loser: Stamp, by winner: Stamp, seen: Stamp?) -> Bool {
            loser.replica != winner.replica && !(seen?.covers(loser) ?? false)
        }

        switch change.operation {
        case .delete:
            if let tombstone = state.tombstone, !change.stamp.beats(tombstone) { break }
            for (name, register) in state.fields.sorted(by: { $0.key < $1.key })
            where unseen(register.stamp, by: change.stamp, seen: change.prev[name]) {
                conflict(.deleted, field: name, loser: register.stamp, loserValue: nil, winner: change.stamp, winnerValue: nil)
            }
            state.tombstone = change.stamp
            state.tombstonePrev = change.prev
            state.fields = [:]
            changed = true

        case .set(let incoming) where existing == nil:
            // A record new here: every field is installed, nothing can conflict.
            state.fields = incoming.mapValues { FieldRegister(value: $0, stamp: change.stamp, prev: nil, seq: seq) }
            for (name, stamp) in change.prev { state.fields[name]?.prev = stamp }

        case .set(let incoming):
            if let tombstone = state.tombstone {
                for name in incoming.keys.sorted() where unseen(change.stamp, by: tombstone, seen: state.tombstonePrev[name]) {
                    conflict(.deleted, field: name, loser: change.stamp, loserValue: nil, winner: tombstone, winnerValue: nil)
                }
                break
            }
            for (name, value) in incoming.sorted(by: { $0.key < $1.key }) {
                let register = FieldRegister(value: value, stamp: change.stamp, prev: change.prev[name], seq: seq)
                guard let stored = state.fields[name] else {
                    state.fields[name] = register
                    changed = true
                    continue
                }
                if change.stamp.beats(stored.stamp) || (change.stamp == stored.stamp && value.canonicallyAbove(stored.value)) {
                    if stored.value != value, unseen(stored.stamp, by: change.stamp, seen: register.prev) {
                        conflict(.overwritten, field: name, loser: stored.stamp, loserValue: stored.value,
                                 winner: change.stamp, winnerValue: value)
                    }
                    state.fields[name] = register
                    changed = true
                } else if stored.stamp != change.stamp, stored.value != value, unseen(change.stamp, by: stored.stamp, seen: stored.prev) {
                    conflict(.rejected, field: name, loser: change.stamp, loserValue: value,
                             winner: stored.stamp, winnerValue: stored.value)
                }
            }
        }
        return MergeOutcome(state: state, changed: changed, conflicts: conflicts)
    }
}
