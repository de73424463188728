import BoucleCore
import XCTest

/// Durations render as the options take them.
final class DurationTests: XCTestCase {
    func testOptionFormReadsBack() {
        for (milliseconds, text) in [(UInt64(90 * 86_400_000), "90d"), (5 * 60_000, "5m"), (3_600_000, "1h"), (30_000, "30s"), (90_000, "90s")] {
            XCTAssertEqual(Duration.option(milliseconds), text)
            XCTAssertEqual(Duration.parse(text), milliseconds)
        }
    }
}
