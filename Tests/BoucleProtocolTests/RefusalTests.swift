import BoucleCore
import BoucleProtocol
import HTTPCodec
import XCTest

/// A refusal travels as its status and JSON body, and is read back by its code alone.
final class RefusalTests: XCTestCase {
    func testEveryReasonRoundTripsThroughItsAnswerByCode() {
        for reason in Refusal.Reason.allCases {
            let refusal = Refusal(reason, "why \(reason.code)")
            let response = refusal.response()
            XCTAssertEqual(response.status, reason.status)
            XCTAssertEqual(Refusal.decode(response), .refusal(refusal))
        }
    }

    func testTheCodeDecidesNotTheStatus() {
        var response = Refusal(.clockAhead, "ahead").response()
        response.status = 400
        XCTAssertEqual(Refusal.decode(response), .refusal(Refusal(.clockAhead, "ahead")))
    }

    func testStaleReplicaCarriesItsHorizonInHeaders() {
        let horizon = Horizon(sequence: 42, time: 1_796_000_000_000)
        let response = Refusal(.staleReplica, "stale", horizon: horizon).response()
        XCTAssertEqual(response.headers["Boucle-Horizon"], "42")
        XCTAssertEqual(response.headers["Boucle-Horizon-Time"], "1796000000000")
        XCTAssertEqual(Refusal.decode(response), .refusal(Refusal(.staleReplica, "stale", horizon: horizon)))
    }

    func testAProxysBareAnswerIsForeignNotABoucleRefusal() {
        for (status, body) in [(502, "<html>Bad Gateway</html>"), (413, ""), (404, #"{"detail":"not found"}"#)] {
            XCTAssertEqual(Refusal.decode(HTTPResponse(status: status, body: Array(body.utf8))), .foreign(status: status))
        }
    }

    func testAnUnknownCodeIsSaidAsSuchNeverMappedToAKnownOne() {
        let body = #"{"error":{"code":"quota_exceeded","message":"too many"}}"#
        XCTAssertEqual(Refusal.decode(HTTPResponse(status: 429, body: Array(body.utf8))),
                       .unknownCode("quota_exceeded", status: 429, message: "too many"))
    }

    func testParseErrorsKeepTheirHTTPStatus() {
        let errors: [HTTPParseError] = [.bodyTooLarge(limit: 10), .headerTooLarge, .tooManyHeaders, .unsupportedTransferEncoding,
                                        .invalidRequestLine, .invalidTarget, .unsupportedVersion]
        for error in errors {
            XCTAssertEqual(Refusal(error).reason.status, error.status, "\(error)")
        }
    }
}

/// The push and pull exchanges read back what they write.
final class ExchangeTests: XCTestCase {
    func testPushAnswerRoundTripsWithItsLostWrites() throws {
        let replica = UUIDString("3db65972-0000-4000-8000-000000000001")
        let other = UUIDString("d430927a-0000-4000-8000-000000000002")
        let id = UUIDString("bf690190-0000-4000-8000-000000000003")
        guard let replica, let other, let id else { return XCTFail("bad fixture ids") }
        let lost = Conflict(kind: .rejected, recordID: id, collection: .offer, field: "title",
                            loser: Stamp(hlc: HLC(milliseconds: 10, counter: 1), replica: replica), loserValue: .text("a"),
                            winner: Stamp(hlc: HLC(milliseconds: 11, counter: 0), replica: other), winnerValue: .text("b"))
        let answer = PushAnswer(changes: 3, applied: 2, cursor: 41, lost: [lost])
        XCTAssertEqual(try PushAnswer(body: JSONWriter.encode(answer.json)), answer)
    }

    func testPushAnswerOfAnotherShapeIsInvalid() {
        XCTAssertThrowsError(try PushAnswer(body: Array(#"{"ok":true}"#.utf8))) { error in
            XCTAssertEqual("\(error)", "the server's answer to a push is not the JSON of Protocol/SERVER.md: is it a boucle-server of this version?")
        }
    }

    func testPullRequestRoundTripsThroughItsTarget() throws {
        let request = PullRequest(since: 5, after: 9, limit: 100).request(headers: [:])
        XCTAssertEqual(request.target, "/v1/changes?since=5&after=9&limit=100")
        XCTAssertEqual(try PullRequest(query: request.query), PullRequest(since: 5, after: 9, limit: 100))
    }

    func testPullRequestRefusesAfterBelowSinceAndCapsTheLimit() throws {
        XCTAssertThrowsError(try PullRequest(query: ["since": "5", "after": "4"])) { error in
            XCTAssertEqual((error as? Refusal)?.reason, .badRequest)
        }
        XCTAssertEqual(try PullRequest(query: ["limit": "99999999"]).limit, SyncDefaults.maxPageRecords)
    }

    func testPagePositionRoundTripsThroughHeaders() throws {
        let position = PagePosition(next: 12, more: true, changes: 3, horizon: Horizon(sequence: 2, time: 7),
                                    generation: UUIDString("7d41c0aa-0000-4000-8000-000000000001"))
        XCTAssertEqual(try PagePosition(headers: position.response(changeSet: []).headers), position)
    }

    func testAPageWithoutItsCursorIsInvalid() {
        XCTAssertThrowsError(try PagePosition(headers: ["Boucle-More": "false"])) { error in
            XCTAssertEqual("\(error)", "the server's answer has no Boucle-Next cursor: is it a boucle-server of this version?")
        }
    }
}
