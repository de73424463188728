import Foundation

/// What the outside world gives the replica: the wall clock and fresh ids.
///
/// Injected everywhere time or randomness is needed, so tests control both. The merge itself
/// never reads it.
public struct Environment: Sendable {
    /// Wall-clock milliseconds since the Unix epoch.
    public var now: @Sendable () -> UInt64
    /// A fresh random UUID.
    public var newID: @Sendable () -> UUIDString

    public init(now: @escaping @Sendable () -> UInt64, newID: @escaping @Sendable () -> UUIDString) {
        self.now = now
        self.newID = newID
    }

    /// The real clock and the system's random generator (getrandom(2)).
    public static let system = Environment(
        now: { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) },
        newID: {
            var generator = SystemRandomNumberGenerator()
            return UUIDString.random(using: &generator)
        }
    )
}
