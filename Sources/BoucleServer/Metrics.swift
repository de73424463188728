import Foundation

/// The server's figures, rendered in the Prometheus text format for `GET /v1/metrics`.
///
/// Counted per tenant: a tenant's admin reads its own tenant's figures, unlabelled; the
/// operator (`serve --operator-token-file`) reads every tenant's, labelled `tenant`, with the
/// requests no tenant made (`tenant="-"`: bad tokens, health checks) and the server's own gauges
/// (open connections, pending erasure). No tenant sees another's figures.
///
/// Thread-safe: every connection thread records into one instance behind a lock.
public final class Metrics: @unchecked Sendable {
    /// Upper bounds (seconds) of the sync duration histogram's buckets.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The label of requests made by no tenant.
    static let noTenant = "-"

    /// One tenant's counters.
    struct Figures {
        var requestsByStatus: [Int: Int] = [:]
        var changesApplied = 0
        var conflicts = 0
        var syncBuckets = [Int](repeating: 0, count: Metrics.buckets.count)
        var syncCount = 0
        var syncSum = 0.0
    }

    /// Who reads the figures.
    public enum Reader {
        /// A tenant's admin: that tenant's figures alone.
        case tenant(String)
        /// The operator: every tenant's, and the server's gauges.
        case `operator`(openConnections: Int)
    }

    private let lock = NSLock()
    private var figures: [String: Figures] = [:]
    /// Since when (monotonic seconds) erased personal data has waited in the write-ahead log.
    private var erasurePendingSince: Double?

    public init() {}

    /// Counts one answered request, by the tenant whose token made it (nil: none did).
    public func request(status: Int, tenant: String?) {
        lock.withLock { figures[tenant ?? Self.noTenant, default: Figures()].requestsByStatus[status, default: 0] += 1 }
    }

    /// Counts a push's applied changes and the pushed writes that lost.
    public func push(applied: Int, conflicts lost: Int, tenant: String) {
        lock.withLock {
            figures[tenant, default: Figures()].changesApplied += applied
            figures[tenant, default: Figures()].conflicts += lost
        }
    }

    /// Records how long one sync request (a push or a pull page) took.
    public func sync(seconds: Double, tenant: String) {
        lock.withLock {
            var tenantFigures = figures[tenant] ?? Figures()
            tenantFigures.syncCount += 1
            tenantFigures.syncSum += seconds
            for (index, bound) in Metrics.buckets.enumerated() where seconds <= bound { tenantFigures.syncBuckets[index] += 1 }
            figures[tenant] = tenantFigures
        }
    }

    /// Notes whether erased personal data waits in the write-ahead log (`Eraser`).
    public func erasure(pending: Bool) {
        lock.withLock {
            if !pending {
                erasurePendingSince = nil
            } else if erasurePendingSince == nil {
                erasurePendingSince = ProcessInfo.processInfo.systemUptime
            }
        }
    }

    /// The Prometheus text exposition (version 0.0.4) of what `reader` may see.
    public func render(for reader: Reader) -> String {
        lock.withLock {
            var lines: [String] = []
            func family(_ name: String, _ type: String, _ help: String, _ samples: [String]) {
                lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"] + samples
            }
            let shown: [(label: String, figures: Figures)]
            switch reader {
            case .tenant(let name): shown = [("", figures[name] ?? Figures())]
            case .operator: shown = figures.keys.sorted().map { ("tenant=\"\($0)\"", figures[$0] ?? Figures()) }
            }
            func labels(_ label: String, _ more: String = "") -> String {
                let all = [label, more].filter { !$0.isEmpty }.joined(separator: ",")
                return all.isEmpty ? "" : "{\(all)}"
            }
            family("boucle_requests_total", "counter", "HTTP requests answered, by status.", shown.flatMap { label, figures in
                figures.requestsByStatus.keys.sorted().map { "boucle_requests_total\(labels(label, "status=\"\($0)\"")) \(figures.requestsByStatus[$0] ?? 0)" }
            })
            family("boucle_changes_applied_total", "counter", "Pushed changes that changed the server's state.",
                   shown.map { "boucle_changes_applied_total\(labels($0.label)) \($0.figures.changesApplied)" })
            family("boucle_conflicts_total", "counter", "Pushed writes that lost at the server.",
                   shown.map { "boucle_conflicts_total\(labels($0.label)) \($0.figures.conflicts)" })
            family("boucle_sync_duration_seconds", "histogram", "Time to answer a push or a pull page.", shown.flatMap { label, figures in
                Metrics.buckets.enumerated().map { "boucle_sync_duration_seconds_bucket\(labels(label, "le=\"\($1)\"")) \(figures.syncBuckets[$0])" } + [
                    "boucle_sync_duration_seconds_bucket\(labels(label, "le=\"+Inf\"")) \(figures.syncCount)",
                    "boucle_sync_duration_seconds_sum\(labels(label)) \(figures.syncSum)",
                    "boucle_sync_duration_seconds_count\(labels(label)) \(figures.syncCount)",
                ]
            })
            if case .operator(let openConnections) = reader {
                family("boucle_open_connections", "gauge", "Connections open now.", ["boucle_open_connections \(openConnections)"])
                family("boucle_erasure_pending", "gauge",
                       "1 while deleted personal data remains in the write-ahead log (a reader holds it), else 0.",
                       ["boucle_erasure_pending \(erasurePendingSince == nil ? 0 : 1)"])
                let waited = erasurePendingSince.map { ProcessInfo.processInfo.systemUptime - $0 } ?? 0
                family("boucle_erasure_pending_seconds", "gauge", "How long deleted personal data has waited in the write-ahead log.",
                       ["boucle_erasure_pending_seconds \(String(format: "%.1f", waited))"])
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
