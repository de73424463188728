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
// does I/O: the store passes the local sequence number and says which registers are pending.

/// One field's last-writer-wins register.
///
/// `seq` is local bookkeeping, not replicated state: the replica's sequence number at which it
/// stored this register, used to find what to export or push.
public struct FieldRegister: Equatable, Sendable {
    public var value: FieldValue
    public var stamp: Stamp
    public var seq: Int64

    public init(value: FieldValue, stamp: Stamp, seq: Int64) {
        self.value = value
        self.stamp = stamp
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
    public var fields: [String: FieldRegister]

    public init(collection: RecordCollection, team: String, tombstone: Stamp? = nil, fields: [String: FieldRegister] = [:]) {
        self.collection = collection
        self.team = team
        self.tombstone = tombstone
        self.fields = fields
    }

    /// The highest sequence number of any register (0 without fields).
    public var maxSeq: Int64 { fields.values.map(\.seq).max() ?? 0 }
}

/// A write that lost, kept so that nothing is lost silently.
public struct Conflict: Equatable, Sendable {
    /// Why the write lost; see Protocol/SPEC.md, "The conflict log".
    public enum Kind: String, Sendable, CaseIterable {
        /// A pending local write was beaten by an incoming one.
        case overwritten
        /// An incoming write lost to a pending local write (or, at a server, to what it held).
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

/// Which losing writes a merge reports.
public struct ConflictPolicy: Sendable {
    /// True for a stored register holding a local write not yet pushed.
    public var isPending: @Sendable (FieldRegister) -> Bool
    /// Report every incoming write that loses to a different stored value (a server does; a
    /// replica reports only those that lose to its pending writes).
    public var reportEveryRejected: Bool

    public init(isPending: @escaping @Sendable (FieldRegister) -> Bool, reportEveryRejected: Bool) {
        self.isPending = isPending
        self.reportEveryRejected = reportEveryRejected
    }

    /// A server's policy: nothing is pending, every losing pushed write is reported.
    public static let server = ConflictPolicy(isPending: { _ in false }, reportEveryRejected: true)
}

/// Why a change could not be merged at all.
public enum MergeError: Error, Equatable, CustomStringConvertible {
    case collectionMismatch(id: UUIDString, stored: RecordCollection, incoming: RecordCollection)

    public var description: String {
        switch self {
        case let .collectionMismatch(id, stored, incoming):
            "record \(id) is a \(stored.rawValue), but a change names it a \(incoming.rawValue): refusing the collection change"
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

extension RecordState {
    /// Merges `change` into `existing` (nil when the record is unknown here), by the rules at the
    /// top of this file. Registers the change installs get sequence number `seq`.
    public static func merge(_ change: Change, into existing: RecordState?, seq: Int64,
                             policy: ConflictPolicy) throws(MergeError) -> MergeOutcome {
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

        switch change.operation {
        case .delete:
            if let tombstone = state.tombstone, !change.stamp.beats(tombstone) { break }
            for (name, register) in state.fields.sorted(by: { $0.key < $1.key }) where policy.isPending(register) {
                conflict(.deleted, field: name, loser: register.stamp, loserValue: nil, winner: change.stamp, winnerValue: nil)
            }
            state.tombstone = change.stamp
            state.fields = [:]
            changed = true

        case .set(let incoming):
            if let tombstone = state.tombstone {
                for name in incoming.keys.sorted() {
                    conflict(.deleted, field: name, loser: change.stamp, loserValue: nil, winner: tombstone, winnerValue: nil)
                }
                break
            }
            for (name, value) in incoming.sorted(by: { $0.key < $1.key }) {
                guard let stored = state.fields[name] else {
                    state.fields[name] = FieldRegister(value: value, stamp: change.stamp, seq: seq)
                    changed = true
                    continue
                }
                if change.stamp.beats(stored.stamp) || (change.stamp == stored.stamp && value.canonicallyAbove(stored.value)) {
                    if stored.value != value, policy.isPending(stored) {
                        conflict(.overwritten, field: name, loser: stored.stamp, loserValue: stored.value,
                                 winner: change.stamp, winnerValue: value)
                    }
                    state.fields[name] = FieldRegister(value: value, stamp: change.stamp, seq: seq)
                    changed = true
                } else if stored.stamp != change.stamp, stored.value != value,
                          policy.reportEveryRejected || policy.isPending(stored) {
                    conflict(.rejected, field: name, loser: change.stamp, loserValue: value,
                             winner: stored.stamp, winnerValue: stored.value)
                }
            }
        }
        return MergeOutcome(state: state, changed: changed, conflicts: conflicts)
    }
}
