import BoucleCore
import BoucleProtocol
import Foundation

/// What an import did.
public struct ImportSummary: Equatable, Sendable {
    /// The replica that wrote the change-set.
    public var origin: UUIDString?
    /// Change lines read.
    public var changes = 0
    /// Changes that changed this replica's state (the others were known here already).
    public var applied = 0
    /// Losing writes logged in the conflict log.
    public var conflicts: [Conflict] = []
}

/// What an export wrote.
public struct ExportSummary: Equatable, Sendable {
    public var changes = 0
    public var records = 0

    public init(changes: Int = 0, records: Int = 0) {
        self.changes = changes
        self.records = records
    }
}

extension ReplicaStore {
    /// Where an import's items come from.
    enum ImportSource {
        /// Bytes read piece by piece (nil at the end), decoded on a second thread while this one
        /// merges (`DecodingPipeline`).
        case chunks(() throws -> [UInt8]?)
        /// A change-set decoded beforehand.
        case decoded(DecodedChangeSet)
    }

    /// Merges a whole change-set read chunk by chunk from `nextChunk` (nil at the end), in one
    /// transaction: either every change is merged, or (on any error) none is. A change-set holding
    /// a change stamped more than `SyncDefaults.maxImportAhead` ahead of this replica's wall clock
    /// is refused (`clockAhead`).
    public func importChangeSet(_ nextChunk: () throws -> [UInt8]?) throws -> ImportSummary {
        try withoutActuallyEscaping(nextChunk) { chunks in
            try importChangeSet(from: .chunks(chunks), guarding: ClockGuard(now: environment.now(), maxAhead: SyncDefaults.maxImportAhead),
                                before: { false }, onChange: { _ in }, after: { _ in })
        }
    }

    /// The import of `source`, with `before` run first, `onChange` for each change merged, and
    /// `after` (given what `before` said) run last, all inside the import's transaction; refused
    /// whole if `guarding` finds a change stamped too far ahead.
    func importChangeSet(from source: ImportSource, guarding: ClockGuard?, before: () throws -> Bool,
                         onChange: (Change) throws -> Void, after: (Bool) throws -> Void) throws -> ImportSummary {
        try write {
            let context = try before()
            var summary = ImportSummary()
            var newest = HLC.zero
            var guardian = guarding
            var bulk = BulkWrite(rowsBefore: seq)
            func handle(_ decoded: DecodedItem) throws {
                switch decoded.item {
                case .header(let header):
                    try checkTenant(header.tenant)
                    summary.origin = header.origin
                case .change(let change):
                    guardian?.observe(change.stamp.hlc)
                    let outcome = try apply(change, newRecord: decoded.newRecord)
                    try onChange(change)
                    try bulk.noteWrite(table)
                    summary.changes += 1
                    if outcome.changed { summary.applied += 1 }
                    summary.conflicts += outcome.conflicts
                    newest = max(newest, change.stamp.hlc)
                }
            }
            do {
                switch source {
                case .chunks(let nextChunk):
                    let pipeline = DecodingPipeline(nextChunk: nextChunk)
                    defer { pipeline.finish() }
                    while let batch = try pipeline.next() {
                        for item in batch { try handle(item) }
                        pipeline.giveBack(batch)
                    }
                case .decoded(let changeSet):
                    for item in changeSet.items { try handle(item) }
                    if let error = changeSet.error { throw error }
                }
            } catch let error as ChangeSetError {
                throw StoreError.changeSet(error)
            }
            if let ahead = guardian?.summary(clock: "this replica's") { throw StoreError.clockAhead(ahead) }
            try bulk.finish(table)
            receive(newest)
            try after(context)
            return summary
        }
    }

    /// Imports the change-set file at `path`.
    public func importChangeSet(path: String) throws -> ImportSummary {
        let file = try ChangeSetFile(path: path)
        defer { file.close() }
        return try importChangeSet(file.nextChunk)
    }

    /// Writes the change-set file at `path` (`OutputFile`: whole or not at all, and only where
    /// a regular file may be) of the records changed since the last export (or, with `all`, of the
    /// whole state), and moves the export cursor, in one transaction. The cursor moves only once
    /// the file is written, synced and in place: a file that fails at any step leaves its changes
    /// to the next export.
    public func exportChangeSet(all: Bool, path: String) throws -> ExportSummary {
        try write {
            let since = all ? 0 : try metaInt(.exportedSeq)
            var summary = ExportSummary()
            try OutputFile.write(to: path) { append in summary = try writeChanges(since: since, to: append) }
            try setMeta(.exportedSeq, String(seq))
            return summary
        }
    }

    /// Encodes the registers changed after `since` as one change-set, drained to `sink` in pieces.
    func writeChanges(since: Int64, to sink: ([UInt8]) throws -> Void) throws -> ExportSummary {
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: tenant, origin: replicaID))
        var summary = ExportSummary()
        try table.forEach(changedSince: since) { id, state, _ in
            let changes = state.changes(id: id, fieldsSince: since)
            if changes.isEmpty { return }
            summary.records += 1
            for change in changes { encoder.append(change) }
            if encoder.pendingByteCount >= 1 << 16 { try sink(encoder.takeBytes()) }
        }
        summary.changes = encoder.count
        encoder.finish()
        try sink(encoder.takeBytes())
        return summary
    }
}

/// When an import is large beside the replica (more rows than it held before, and at least
/// `threshold`), it drops the wide read indexes after `threshold` rows and builds them again once at
/// the end, in the same transaction: building an index of a million rows in one sorted pass
/// costs a fraction of inserting them one at a time in random id order. A rollback brings the
/// indexes back with everything else.
struct BulkWrite {
    static let threshold = 20_000
    /// The rows the replica held before (at most its row sequence).
    let rowsBefore: Int64
    private var written = 0
    private var dropped = false

    init(rowsBefore: Int64) { self.rowsBefore = rowsBefore }

    mutating func noteWrite(_ table: RecordTable) throws {
        written += 1
        if !dropped, written >= BulkWrite.threshold, Int64(written) > rowsBefore {
            try table.dropReadIndexes()
            dropped = true
        }
    }

    /// Builds the indexes again if they were dropped.
    func finish(_ table: RecordTable) throws {
        if dropped { try table.restoreReadIndexes() }
    }
}
