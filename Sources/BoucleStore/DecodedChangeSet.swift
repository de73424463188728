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
    public let items: [ChangeSetDecoder.Item]
    public let error: ChangeSetError?

    public init(_ bytes: [UInt8]) {
        var decoder = ChangeSetDecoder()
        var items: [ChangeSetDecoder.Item] = []
        do {
            try decoder.consume(bytes) { items.append($0) }
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
