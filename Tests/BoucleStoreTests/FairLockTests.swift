@testable import BoucleStore
import Foundation
import XCTest

/// The lock the server's write transactions queue on: exclusive, and in the order asked.
final class FairLockTests: XCTestCase {
    func testOneHolderAtATime() {
        let lock = FairLock()
        let counter = Counter()
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            Thread {
                for _ in 0..<2_000 { lock.withLock { counter.value += 1 } }
                done.leave()
            }.start()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(counter.value, 16_000)
    }

    func testWaitersGoInTheOrderTheyAsked() {
        let lock = FairLock()
        let order = Counter()
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread {
            lock.withLock { _ = release.wait(timeout: .now() + 30) }
            done.leave()
        }.start()
        // Each waiter arrives well after the one before; all queue behind the holder.
        for number in 1...5 {
            usleep(100_000)
            done.enter()
            Thread {
                lock.withLock { order.values.append(number) }
                done.leave()
            }.start()
        }
        usleep(100_000)
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(order.values, [1, 2, 3, 4, 5])
    }
}

private final class Counter: @unchecked Sendable {
    var value = 0
    var values: [Int] = []
}
