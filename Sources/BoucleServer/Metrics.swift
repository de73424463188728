import Foundation

/// The server's figures, rendered in the Prometheus text format for `GET /v1/metrics`.
///
/// Thread-safe: every connection thread records into one instance behind a lock.
public final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requestsByStatus: [Int: Int] = [:]
    private var changesApplied = 0
    private var conflicts = 0
    /// Upper bounds (seconds) of the sync duration histogram's buckets.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private var syncBuckets = [Int](repeating: 0, count: Metrics.buckets.count)
    private var syncCount = 0
    private var syncSum = 0.0

    public init() {}

    /// Counts one answered request.
    public func request(status: Int) {
        lock.withLock { requestsByStatus[status, default: 0] += 1 }
    }

    /// Counts a push's applied changes and the pushed writes that lost.
    public func push(applied: Int, conflicts lost: Int) {
        lock.withLock {
            changesApplied += applied
            conflicts += lost
        }
    }

    /// Records how long one sync request (a push or a pull page) took.
    public func sync(seconds: Double) {
        lock.withLock {
            syncCount += 1
            syncSum += seconds
            for (index, bound) in Metrics.buckets.enumerated() where seconds <= bound { syncBuckets[index] += 1 }
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func render(openConnections: Int) -> String {
        lock.withLock {
            var lines = [
                "# HELP boucle_requests_total HTTP requests answered, by status.",
                "# TYPE boucle_requests_total counter",
            ]
            for status in requestsByStatus.keys.sorted() {
                lines.append("boucle_requests_total{status=\"\(status)\"} \(requestsByStatus[status] ?? 0)")
            }
            lines += [
                "# HELP boucle_changes_applied_total Pushed changes that changed the server's state.",
                "# TYPE boucle_changes_applied_total counter",
                "boucle_changes_applied_total \(changesApplied)",
                "# HELP boucle_conflicts_total Pushed writes that lost at the server.",
                "# TYPE boucle_conflicts_total counter",
                "boucle_conflicts_total \(conflicts)",
                "# HELP boucle_open_connections Connections open now.",
                "# TYPE boucle_open_connections gauge",
                "boucle_open_connections \(openConnections)",
                "# HELP boucle_sync_duration_seconds Time to answer a push or a pull page.",
                "# TYPE boucle_sync_duration_seconds histogram",
            ]
            for (index, bound) in Metrics.buckets.enumerated() {
                lines.append("boucle_sync_duration_seconds_bucket{le=\"\(bound)\"} \(syncBuckets[index])")
            }
            lines += [
                "boucle_sync_duration_seconds_bucket{le=\"+Inf\"} \(syncCount)",
                "boucle_sync_duration_seconds_sum \(syncSum)",
                "boucle_sync_duration_seconds_count \(syncCount)",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
