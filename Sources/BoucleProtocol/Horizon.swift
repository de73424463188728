import HTTPCodec

/// The tombstone horizon of a tenant: tombstones of rows up to `sequence` may have been purged,
/// all of them deleted before `time` (wall-clock milliseconds).
///
/// A replica whose cursor is below `sequence` may have missed a delete the server no longer
/// remembers: it must re-sync in full before it pushes or pulls again (Protocol/SERVER.md).
public struct Horizon: Equatable, Sendable {
    public var sequence: Int64
    public var time: UInt64

    public init(sequence: Int64, time: UInt64) {
        self.sequence = sequence
        self.time = time
    }

    /// Writes `Boucle-Horizon` and `Boucle-Horizon-Time`.
    public func write(to headers: inout HTTPHeaders) {
        headers.replace(SyncHeader.horizon, String(sequence))
        headers.replace(SyncHeader.horizonTime, String(time))
    }

    /// Reads `Boucle-Horizon` and `Boucle-Horizon-Time`; nil when either is missing or malformed.
    public init?(headers: HTTPHeaders) {
        guard let sequence = headers[SyncHeader.horizon].flatMap(Int64.init), sequence >= 0,
              let time = headers[SyncHeader.horizonTime].flatMap(UInt64.init)
        else { return nil }
        self.init(sequence: sequence, time: time)
    }
}
