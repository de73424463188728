import BoucleCore

/// A whole change-set decoded and checked (count and SHA-256) ahead of its import.
///
/// `boucle sync` decodes each pulled page on the thread that received it, while the previous
/// page is being merged, so that merging never waits for decoding. A page is bounded (at most
/// 10,000 records), so holding its changes is too.
///
/// Invariant: `items` are the items before the first error, in order; `error` is that error, or
/// nil when the change-set is whole and intact. Importing it replays the items, then throws the
/// error, exactly as a streaming import meets them.
public struct DecodedChangeSet: Sendable {
    public let items: [DecodedItem]
    public let error: ChangeSetError?

    public init(_ bytes: [UInt8]) {
        var decoder = ChangeSetDecoder()
        var items: [DecodedItem] = []
        do {
            try decoder.consume(bytes) { items.append(DecodedItem($0)) }
            try decoder.finish()
            error = nil
        } catch let failure as ChangeSetError {
            error = failure
        } catch {
            // `consume` throws only what the decoder or the closure throws, and this closure does not.
            self.error = .truncated
        }
        self.items = items
    }
}

/// A decoded item of a change-set, and for a set change what the record it makes, if the record
/// is new where it is merged, brings with it (`NewRecord`: its digest hash and read columns,
/// which follow from its change alone). Computed where the change is decoded (the decoding
/// thread of an import, the decoding stage of a pull), so that the merging thread, the one that
/// waits on SQLite, does not spend its time on them.
public struct DecodedItem: Sendable {
    public let item: ChangeSetDecoder.Item
    let newRecord: NewRecord?

    /// `item`, with what its record brings if new computed only `forReplica` (a server keeps
    /// no digest and its merge needs nothing more).
    init(_ item: ChangeSetDecoder.Item, forReplica: Bool = true) {
        self.item = item
        guard forReplica, case .change(let change) = item, case .set(let fields) = change.operation else {
            newRecord = nil
            return
        }
        newRecord = NewRecord(change, fields: fields)
    }
}

/// What the record a set change makes, where it is new, adds to the state digest and to the
/// read columns.
struct NewRecord: Sendable {
    let digestHash: (low: UInt64, high: UInt64)
    let read: ReadColumns

    init(_ change: Change, fields: [String: FieldValue]) {
        digestHash = StateDigest.recordHash(RecordState.canonicalJSON(newFrom: change, fields: fields))
        read = ReadColumns(change.collection, fields)
    }
}
