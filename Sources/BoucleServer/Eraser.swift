import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// Finishes erasures in the background while the server runs: every second, truncates the
/// write-ahead log without waiting for anyone (`ServerStore.finishErasure`) if a write erased
/// personal data that may remain in it. A push never waits for it; deleted values stay in the
/// log only while a reader holds it (a backup, a long pull), and while they do, the log says so
/// once, and `/v1/metrics` (`boucle_erasure_pending`) to the operator.
enum Eraser {
    static func start(databasePath: String, metrics: Metrics) {
        Thread {
            var store: ServerStore?
            var pendingSince: Date?
            var lastFailure: String?
            while true {
                do {
                    let opened = try store ?? ServerStore(path: databasePath)
                    store = opened
                    let finished = try opened.finishErasure()
                    metrics.erasure(pending: !finished)
                    if !finished, pendingSince == nil {
                        pendingSince = Date()
                        log("erasure pending: deleted personal data remains in the write-ahead log while a reader holds it (a backup, a long pull); retrying every second")
                    } else if finished, let since = pendingSince {
                        pendingSince = nil
                        log(String(format: "erasure finished: deleted personal data is gone from the database file and its write-ahead log (%.1f s after it was found pending)",
                                   Date().timeIntervalSince(since)))
                    }
                    lastFailure = nil
                } catch {
                    store = nil
                    if lastFailure != "\(error)" { log("erasure check failed: \(error)") }
                    lastFailure = "\(error)"
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }.start()
    }

    private static func log(_ line: String) {
        StandardStreams.err("\(WallTime.iso8601(Environment.system.now())) \(line)\n")
    }
}
