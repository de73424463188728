/// The server's endpoints (Protocol/SERVER.md), declared once: the server's route table and
/// the sync client both name them from here.
public enum Endpoint: String, CaseIterable, Sendable {
    /// `GET`: no token; 200 once the database answers.
    case health = "/v1/health"
    /// `GET`: the Prometheus figures.
    case metrics = "/v1/metrics"
    /// `POST`: push a change-set; `GET`: pull one page of changes.
    case changes = "/v1/changes"

    /// The path, e.g. `/v1/changes`.
    public var path: String { rawValue }
}

/// The header fields of the sync protocol, declared once (Protocol/SERVER.md).
public enum SyncHeader {
    /// On a push: the pusher's pull cursor.
    public static let cursor = "Boucle-Cursor"
    /// On a pull page: where the next page starts.
    public static let next = "Boucle-Next"
    /// On a pull page: `true` when another page follows.
    public static let more = "Boucle-More"
    /// On a pull page: the number of change lines.
    public static let changes = "Boucle-Changes"
    /// On a pull page and a `stale_replica` refusal: the tenant's horizon sequence.
    public static let horizon = "Boucle-Horizon"
    /// On a pull page and a `stale_replica` refusal: the tenant's horizon time (milliseconds).
    public static let horizonTime = "Boucle-Horizon-Time"
    /// On a push or pull: the server generation the client last saw (none before its first
    /// sync); on their answers: the server's. A database restored from a backup has a new one.
    public static let generation = "Boucle-Generation"
    /// The media type of a change-set body.
    public static let changeSetType = "application/x-ndjson"
}
