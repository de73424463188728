import Foundation

/// A wall clock moved by hand, for tests, simulations and benchmarks: time passes only when
/// `advance` or `set` says so, and ids come from a seeded generator, so a run replays exactly.
///
/// Thread-safe. Several replicas may share one clock, each seeing it shifted by its own offset.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var milliseconds: UInt64
    private var generator: SeededGenerator

    public init(milliseconds: UInt64 = 1_796_000_000_000, seed: UInt64 = 1) {
        self.milliseconds = milliseconds
        generator = SeededGenerator(seed: seed)
    }

    public var now: UInt64 { lock.withLock { milliseconds } }

    public func set(_ value: UInt64) { lock.withLock { milliseconds = value } }
    public func advance(by delta: UInt64) { lock.withLock { milliseconds += delta } }

    /// An environment reading this clock shifted by `offset` milliseconds (a laptop whose clock
    /// is behind or ahead), with ids drawn from the seeded generator.
    public func environment(offset: Int64 = 0) -> Environment {
        Environment(now: { [self] in UInt64(max(0, Int64(clamping: now) + offset)) }, newID: { [self] in
            lock.withLock { UUIDString.random(using: &generator) }
        })
    }

    /// The environment of this clock, unshifted.
    public var environment: Environment { environment() }
}
