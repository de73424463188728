import BoucleCore
import Foundation
import XCTest

/// One test per rule of Protocol/SPEC.md §3 (the rule is also written atop Merge.swift).
final class MergeTests: XCTestCase {
    let id = UUIDString("6f1c2a3b-0000-4000-8000-000000000001")!
    let replicaA = UUIDString("00000000-0000-4000-8000-00000000000a")!
    let replicaB = UUIDString("00000000-0000-4000-8000-00000000000b")!

    func stamp(_ ms: UInt64, _ replica: UUIDString? = nil) -> Stamp {
        Stamp(hlc: HLC(milliseconds: ms, counter: 0), replica: replica ?? replicaA)
    }

    func set(_ fields: [String: FieldValue], at stamp: Stamp, team: String = "nord", prev: [String: Stamp] = [:]) -> Change {
        Change(collection: .offer, id: id, team: team, stamp: stamp, operation: .set(fields), prev: prev)
    }

    func delete(at stamp: Stamp, prev: [String: Stamp] = [:]) -> Change {
        Change(collection: .offer, id: id, team: "nord", stamp: stamp, operation: .delete, prev: prev)
    }

    func merged(_ changes: [Change]) throws -> (RecordState?, [Conflict]) {
        var state: RecordState?
        var conflicts: [Conflict] = []
        for (index, change) in changes.enumerated() {
            let outcome = try RecordState.merge(change, into: state, seq: Int64(index + 1))
            state = outcome.state
            conflicts += outcome.conflicts
        }
        return (state, conflicts)
    }

    func canonical(_ state: RecordState?) -> String {
        state.map { String(decoding: $0.canonicalJSON(id: id), as: UTF8.self) } ?? "nil"
    }

    func testLaterClockWinsOnOneField() throws {
        let early = set(["title": .text("early")], at: stamp(1))
        let late = set(["title": .text("late")], at: stamp(2, replicaB))
        for order in [[early, late], [late, early]] {
            XCTAssertEqual(try merged(order).0?.fields["title"]?.value, .text("late"))
        }
    }

    func testEqualClocksAreBrokenByReplicaID() throws {
        let fromA = set(["title": .text("a")], at: stamp(5, replicaA))
        let fromB = set(["title": .text("b")], at: stamp(5, replicaB))
        XCTAssertEqual(try merged([fromA, fromB]).0?.fields["title"]?.value, .text("b"))
        XCTAssertEqual(try merged([fromB, fromA]).0?.fields["title"]?.value, .text("b"))
    }

    func testConcurrentEditsOfDifferentFieldsBothSurvive() throws {
        let title = set(["title": .text("t")], at: stamp(3, replicaA))
        let status = set(["status": .text("paused")], at: stamp(2, replicaB))
        let (state, _) = try merged([title, status])
        XCTAssertEqual(state?.fields["title"]?.value, .text("t"))
        XCTAssertEqual(state?.fields["status"]?.value, .text("paused"))
        XCTAssertEqual(canonical(state), canonical(try merged([status, title]).0))
    }

    func testDeleteWinsOverEarlierEdit() throws {
        let edit = set(["address": .text("1 rue X")], at: stamp(1))
        let gone = delete(at: stamp(2))
        for order in [[edit, gone], [gone, edit]] {
            let (state, _) = try merged(order)
            XCTAssertEqual(state?.tombstone, stamp(2))
            XCTAssertEqual(state?.fields, [:])
        }
    }

    func testDeleteWinsOverLaterEdit() throws {
        let gone = delete(at: stamp(2))
        let later = set(["address": .text("1 rue X")], at: stamp(9, replicaB))
        for order in [[gone, later], [later, gone]] {
            let (state, _) = try merged(order)
            XCTAssertNotNil(state?.tombstone)
            XCTAssertEqual(state?.fields, [:], "a tombstone keeps no payload")
        }
    }

    func testGreaterTombstoneIsKept() throws {
        let first = delete(at: stamp(2))
        let second = delete(at: stamp(7, replicaB))
        XCTAssertEqual(try merged([first, second]).0?.tombstone, stamp(7, replicaB))
        XCTAssertEqual(try merged([second, first]).0?.tombstone, stamp(7, replicaB))
    }

    func testNullClearsAFieldButKeepsItsStamp() throws {
        let (state, _) = try merged([set(["phone": .text("06")], at: stamp(1)), set(["phone": .null], at: stamp(2))])
        XCTAssertEqual(state?.fields["phone"]?.value, .null)
        XCTAssertEqual(state?.fields["phone"]?.stamp, stamp(2))
    }

    func testMergingTheSameChangeTwiceChangesNothing() throws {
        let change = set(["title": .text("t")], at: stamp(1))
        let state = try RecordState.merge(change, into: nil, seq: 1).state
        let again = try RecordState.merge(change, into: state, seq: 2)
        XCTAssertFalse(again.changed)
        XCTAssertEqual(again.conflicts, [])
        XCTAssertEqual(again.state.fields["title"]?.seq, 1)
    }

    func testSmallerTeamIsKeptWhenTwoChangesDisagree() throws {
        let north = set(["title": .text("a")], at: stamp(1), team: "nord")
        let south = set(["status": .text("open")], at: stamp(2), team: "est")
        XCTAssertEqual(try merged([north, south]).0?.team, "est")
        XCTAssertEqual(try merged([south, north]).0?.team, "est")
    }

    func testChangeForAnotherCollectionIsRefused() throws {
        let offer = set(["title": .text("a")], at: stamp(1))
        let request = Change(collection: .request, id: id, team: "nord", stamp: stamp(2), operation: .set(["title": .text("b")]))
        XCTAssertThrowsError(try merged([offer, request])) { error in
            XCTAssertEqual(error as? MergeError, .collectionMismatch(id: id, stored: .offer, incoming: .request))
        }
    }

    func testConcurrentEditBeatenByAnotherWriterIsLogged() throws {
        let mine = set(["title": .text("mine")], at: stamp(1, replicaA))
        let theirs = set(["title": .text("theirs")], at: stamp(2, replicaB))
        let state = try RecordState.merge(mine, into: nil, seq: 1).state
        let outcome = try RecordState.merge(theirs, into: state, seq: 2)
        XCTAssertEqual(outcome.conflicts, [Conflict(kind: .overwritten, recordID: id, collection: .offer, field: "title",
                                                     loser: stamp(1, replicaA), loserValue: .text("mine"),
                                                     winner: stamp(2, replicaB), winnerValue: .text("theirs"))])
    }

    func testEditMadeAfterSeeingTheValueIsNotAConflict() throws {
        let first = set(["title": .text("first")], at: stamp(1, replicaA))
        let after = set(["title": .text("second")], at: stamp(2, replicaB), prev: ["title": stamp(1, replicaA)])
        XCTAssertEqual(try merged([first, after]).1, [])
        XCTAssertEqual(try merged([after, first]).1, [], "the old value arriving late is not a conflict either")
    }

    func testEditMadeAfterSeeingALaterValueIsNotAConflict() throws {
        let first = set(["title": .text("first")], at: stamp(1, replicaA))
        let after = set(["title": .text("third")], at: stamp(5, replicaB), prev: ["title": stamp(3, replicaA)])
        XCTAssertEqual(try merged([first, after]).1, [])
    }

    func testIncomingEditLosingToAConcurrentOneIsLogged() throws {
        let mine = set(["title": .text("mine")], at: stamp(5, replicaA))
        let theirs = set(["title": .text("theirs")], at: stamp(2, replicaB))
        let state = try RecordState.merge(mine, into: nil, seq: 1).state
        let outcome = try RecordState.merge(theirs, into: state, seq: 2)
        XCTAssertFalse(outcome.changed)
        XCTAssertEqual(outcome.conflicts.map(\.kind), [.rejected])
        XCTAssertEqual(outcome.conflicts.first?.loserValue, .text("theirs"))
    }

    func testWritesOfOneReplicaNeverConflict() throws {
        let early = set(["title": .text("early")], at: stamp(1, replicaA))
        let late = set(["title": .text("late")], at: stamp(2, replicaA))
        XCTAssertEqual(try merged([early, late]).1, [])
        XCTAssertEqual(try merged([late, early]).1, [])
    }

    func testEditOfADeletedRecordItsDeleterHadNotSeenIsLoggedWithoutItsValue() throws {
        let state = try RecordState.merge(delete(at: stamp(3)), into: nil, seq: 1).state
        let outcome = try RecordState.merge(set(["phone": .text("0639980000")], at: stamp(4, replicaB)), into: state, seq: 2)
        XCTAssertEqual(outcome.conflicts.map(\.kind), [.deleted])
        XCTAssertNil(outcome.conflicts.first?.loserValue)
        XCTAssertEqual(outcome.state.fields, [:])
    }

    func testValuesTheDeleterHadSeenAreNotConflicts() throws {
        let created = set(["phone": .text("06"), "title": .text("t")], at: stamp(1, replicaB))
        let gone = delete(at: stamp(2), prev: ["phone": stamp(1, replicaB), "title": stamp(1, replicaB)])
        XCTAssertEqual(try merged([created, gone]).1, [])
        XCTAssertEqual(try merged([gone, created]).1, [], "the creation arriving after the delete was seen by the deleter")
    }

    func testEditsTheDeleterHadNotSeenAreLoggedWithoutValues() throws {
        let state = try RecordState.merge(set(["phone": .text("06"), "title": .text("t")], at: stamp(1, replicaB)), into: nil, seq: 1).state
        let outcome = try RecordState.merge(delete(at: stamp(2), prev: ["title": stamp(1, replicaB)]), into: state, seq: 2)
        XCTAssertEqual(outcome.conflicts.map(\.field), ["phone"])
        XCTAssertTrue(outcome.conflicts.allSatisfy { $0.kind == .deleted && $0.loserValue == nil && $0.winnerValue == nil })
    }

    func testExportGroupsFieldsByStamp() throws {
        let (state, _) = try merged([
            set(["title": .text("t"), "status": .text("open")], at: stamp(1)),
            set(["status": .text("paused")], at: stamp(2, replicaB)),
        ])
        let changes = try XCTUnwrap(state).changes(id: id, fieldsSince: 0)
        XCTAssertEqual(changes.map(\.stamp), [stamp(1), stamp(2, replicaB)])
        XCTAssertEqual(changes.map(\.operation), [.set(["title": .text("t")]), .set(["status": .text("paused")])])
        XCTAssertEqual(try XCTUnwrap(state).changes(id: id, fieldsSince: 1).count, 1)
    }
}

extension MergeTests {
    func testTwoValuesUnderOneStampKeepTheCanonicallyGreater() throws {
        let one = set(["title": .text("apple")], at: stamp(4))
        let other = set(["title": .text("banana")], at: stamp(4))
        XCTAssertEqual(try merged([one, other]).0?.fields["title"]?.value, .text("banana"))
        XCTAssertEqual(try merged([other, one]).0?.fields["title"]?.value, .text("banana"))
    }

    /// The fast path an import takes for a record new here (`canonicalJSON(newFrom:fields:)`,
    /// without building the state) writes the same canonical line as merging the change into
    /// nothing, on random set changes (seeded; `BOUCLE_SEED` replays).
    func testTheNewRecordLineEqualsTheMergedOne() throws {
        let seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("MergeTests new-record seed \(seed) (replay with BOUCLE_SEED=\(seed))")
        var generator = SeededGenerator(seed: seed)
        let texts = ["", "Courses", "é\"\\\n\u{1}", "🚲 vélo", String(repeating: "a", count: 300)]
        for round in 0..<500 {
            var fields: [String: FieldValue] = [:]
            for name in ["category", "title", "details", "address", "phone", "contact_name"] where Bool.random(using: &generator) {
                fields[name] = .text(texts.randomElement(using: &generator) ?? "")
            }
            if Bool.random(using: &generator) {
                fields["lat"] = .number(Double.random(in: -90...90, using: &generator))
                fields["lon"] = .number(Double.random(in: -180...180, using: &generator))
            }
            if Bool.random(using: &generator) { fields["remote"] = .bool(Bool.random(using: &generator)) }
            if fields.isEmpty || Bool.random(using: &generator) { fields["status"] = Bool.random(using: &generator) ? .text("open") : .null }
            let prev = Bool.random(using: &generator) ? fields.keys.first.map { [$0: stamp(1)] } ?? [:] : [:]
            let change = Change(collection: .offer, id: UUIDString.random(using: &generator), team: ["nord", "sud-est"].randomElement(using: &generator) ?? "nord",
                                stamp: stamp(UInt64.random(in: 2...1_000_000, using: &generator), Bool.random(using: &generator) ? replicaA : replicaB),
                                operation: .set(fields), prev: prev)
            let merged = try RecordState.merge(change, into: nil, seq: 7).state
            XCTAssertEqual(RecordState.canonicalJSON(newFrom: change, fields: fields), merged.canonicalJSON(id: change.id), "seed \(seed), round \(round)")
        }
    }
}
