import BoucleCore
import XCTest

final class HybridLogicalClockTests: XCTestCase {
    func testLocalWriteTakesTheWallClockWhenItIsAhead() {
        let clock = HLC(milliseconds: 1_000, counter: 7)
        XCTAssertEqual(clock.tick(now: 2_000), HLC(milliseconds: 2_000, counter: 0))
    }

    func testLocalWriteCountsWhenTheWallClockStandsStill() {
        let clock = HLC(milliseconds: 1_000, counter: 7)
        XCTAssertEqual(clock.tick(now: 1_000), HLC(milliseconds: 1_000, counter: 8))
    }

    func testClockNeverRunsBackwardsWhenTheWallClockIsSetBack() {
        var clock = HLC(milliseconds: 5_000_000, counter: 0)
        for now in stride(from: UInt64(4_000_000), to: 3_000_000, by: -100_000) {
            guard let next = clock.tick(now: now) else { return XCTFail("the clock ran out") }
            XCTAssertGreaterThan(next, clock)
            clock = next
        }
        XCTAssertEqual(clock.milliseconds, 5_000_000)
    }

    func testCounterOverflowCarriesIntoMilliseconds() {
        let clock = HLC(milliseconds: 1_000, counter: .max)
        XCTAssertEqual(clock.tick(now: 0), HLC(milliseconds: 1_001, counter: 0))
    }

    /// The year-10889 file: at the top of its range the clock stops, it never wraps backwards.
    func testTheClockNeverRunsBackwardsAtTheTopOfItsRange() {
        XCTAssertNil(HLC.top.tick(now: 0), "no reading comes after the top")
        let nearTop = HLC(milliseconds: HLC.maxMilliseconds, counter: .max - 1)
        XCTAssertEqual(nearTop.tick(now: 0), HLC.top)
        XCTAssertEqual(HLC(milliseconds: 1_000, counter: 0).receive(HLC.top, now: 2_000), HLC.top)
        XCTAssertEqual(HLC.top.receive(HLC(milliseconds: 5, counter: 0), now: 2_000), HLC.top)
        XCTAssertEqual(HLC.top.hex, "fffffffffffeffff")
    }

    func testReceiveIsAboveBothClocks() {
        let local = HLC(milliseconds: 1_000, counter: 3)
        let remote = HLC(milliseconds: 9_000, counter: 5)
        let received = local.receive(remote, now: 2_000)
        XCTAssertEqual(received, HLC(milliseconds: 9_000, counter: 6))
        XCTAssertGreaterThan(received, local)
        XCTAssertGreaterThan(received, remote)
    }

    func testReceiveWithEqualMillisecondsTakesTheHigherCounter() {
        let local = HLC(milliseconds: 1_000, counter: 9)
        let remote = HLC(milliseconds: 1_000, counter: 4)
        XCTAssertEqual(local.receive(remote, now: 500), HLC(milliseconds: 1_000, counter: 10))
    }

    func testReceiveOfAnOlderStampFollowsTheWallClock() {
        let local = HLC(milliseconds: 1_000, counter: 9)
        XCTAssertEqual(local.receive(HLC(milliseconds: 10, counter: 1), now: 3_000), HLC(milliseconds: 3_000, counter: 0))
    }

    func testWireFormIsSixteenLowercaseHexDigits() {
        let clock = HLC(milliseconds: 0x0190_f1c2_a3b4, counter: 0x0001)
        XCTAssertEqual(clock.hex, "0190f1c2a3b40001")
        XCTAssertEqual(HLC(hex: "0190f1c2a3b40001"), clock)
        XCTAssertEqual(HLC.zero.hex, "0000000000000000")
    }

    func testMalformedWireFormsAreRefused() {
        for text in ["", "xyz", "0190F1C2A3B40001", "0190f1c2a3b4000", "0190f1c2a3b400011", "ffffffffffff0000", "-190f1c2a3b40001"] {
            XCTAssertNil(HLC(hex: text), text)
        }
    }

    func testStampOrderIsClockThenReplica() {
        let a = UUIDString("00000000-0000-4000-8000-00000000000a")!
        let b = UUIDString("00000000-0000-4000-8000-00000000000b")!
        let early = Stamp(hlc: HLC(milliseconds: 1, counter: 0), replica: b)
        let late = Stamp(hlc: HLC(milliseconds: 1, counter: 1), replica: a)
        XCTAssertTrue(late.beats(early))
        XCTAssertFalse(early.beats(late))
        let tieA = Stamp(hlc: late.hlc, replica: a)
        let tieB = Stamp(hlc: late.hlc, replica: b)
        XCTAssertTrue(tieB.beats(tieA))
        XCTAssertFalse(tieA.beats(tieA), "a stamp never beats itself")
        XCTAssertEqual(Stamp(canonical: tieB.description), tieB)
    }
}
