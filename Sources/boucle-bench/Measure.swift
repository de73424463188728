import Foundation

/// A failure of the bench itself (a phase that did not do what it measures, a child that
/// failed), reported as `boucle-bench: error: …` with exit status 1.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Elapsed wall time on the monotonic clock, and the CPU time this process spent meanwhile
/// (all its threads): their gap is time spent waiting, on the disk (fsync) or on the server.
struct Stopwatch {
    private let start = ContinuousClock.now
    private let cpuStart = Stopwatch.processCPUSeconds()

    var seconds: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    var cpuSeconds: Double { Stopwatch.processCPUSeconds() - cpuStart }

    /// `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`: user and system time of every thread.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Another process's CPU time (user and system), from `/proc/PID/stat` (proc(5)).
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": field 3 is the state; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A process's peak resident set size, from `VmHWM` in `/proc/PID/status` (proc(5)).
enum PeakMemory {
    /// This process's peak RSS in bytes, or nil when /proc cannot tell.
    static func ofSelf() -> Int? { read("/proc/self/status") }

    /// Process `pid`'s peak RSS in bytes, or nil when /proc cannot tell (it exited, or another kernel).
    static func of(pid: Int32) -> Int? { read("/proc/\(pid)/status") }

    /// Resets process `pid`'s peak RSS to its current RSS (writes `5` to `/proc/PID/clear_refs`,
    /// Linux 4.0 and later), so the next reading covers only what follows. False when refused.
    @discardableResult
    static func reset(pid: Int32) -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    private static func read(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let number = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return number.map { $0 * 1024 }   // the kernel writes kB (KiB)
        }
        return nil
    }
}

/// Summaries of a sample of latencies.
enum Percentile {
    /// The nearest-rank percentile `p` (0…1) of `values`: the smallest value with at least
    /// `p` of the sample at or below it. With 50 values, p99 is the largest.
    static func nearestRank(_ p: Double, of values: [Double]) -> Double {
        precondition(!values.isEmpty, "a percentile of nothing")
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func median(_ values: [Double]) -> Double { nearestRank(0.5, of: values) }
}
