import BoucleCore
import BoucleStore
import Foundation
import XCTest

/// The hand-over between the stages of an import or a pull, and a change-set decoded ahead.
final class BoundedQueueTests: XCTestCase {
    func testElementsComeOutInOrderAcrossThreadsAndCloseEndsTheTakes() {
        for capacity in [0, 1, 3] {
            let queue = BoundedQueue<Int>(capacity: capacity)
            let producer = Thread {
                for number in 0..<1_000 { queue.put(number) }
                queue.close()
            }
            producer.start()
            var taken: [Int] = []
            while let number = queue.take() { taken.append(number) }
            XCTAssertEqual(taken, Array(0..<1_000), "capacity \(capacity)")
        }
    }

    func testAHandOverWaitsUntilItsElementIsTaken() {
        let queue = BoundedQueue<Int>(capacity: 0)
        let handedOver = DispatchSemaphore(value: 0)
        Thread {
            queue.put(1)
            handedOver.signal()
        }.start()
        XCTAssertEqual(handedOver.wait(timeout: .now() + 0.2), .timedOut, "put returned before any take")
        XCTAssertEqual(queue.take(), 1)
        XCTAssertEqual(handedOver.wait(timeout: .now() + 10), .success)
    }

    func testCloseWakesAWaitingPutWhichDropsItsElement() {
        let queue = BoundedQueue<Int>(capacity: 1)
        queue.put(1)
        let result = BoxedBool()
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.value = queue.put(2)
            done.signal()
        }.start()
        usleep(50_000)
        queue.close()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(result.value, false)
        XCTAssertEqual(queue.take(), 1, "what was put before the close is still taken")
        XCTAssertNil(queue.take())
    }

    func testADecodedChangeSetKeepsTheItemsBeforeItsError() throws {
        let replica = UUIDString("0b6c1c1e-8d7c-4b7e-9a55-0c4f3f4a9e21")!
        var encoder = ChangeSetEncoder(header: ChangeSetHeader(tenant: "lyon", origin: replica))
        for index in 0..<3 {
            encoder.append(Change(collection: .offer, id: UUIDString(bytes: Array(repeating: UInt8(index), count: 16)), team: "nord",
                                  stamp: Stamp(hlc: HLC(milliseconds: 1_000 + UInt64(index), counter: 0), replica: replica),
                                  operation: .set(["title": .text("Courses")])))
        }
        encoder.finish()
        let whole = encoder.takeBytes()
        let intact = DecodedChangeSet(whole)
        XCTAssertNil(intact.error)
        XCTAssertEqual(intact.items.count, 4, "the header and three changes")

        let damaged = DecodedChangeSet(Array(whole.dropLast(20)))
        XCTAssertEqual(damaged.error, .truncated)
        XCTAssertEqual(damaged.items.count, 4, "every item read before the cut")
    }
}

private final class BoxedBool: @unchecked Sendable {
    var value: Bool?
}
