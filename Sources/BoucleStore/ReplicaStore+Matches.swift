import BoucleCore

extension StoredRecord {
    /// Where the record's help is given or needed.
    public var place: Place {
        var coordinate: Coordinate?
        if case .number(let lat)? = state.fields["lat"]?.value, case .number(let lon)? = state.fields["lon"]?.value {
            coordinate = Coordinate(lat: lat, lon: lon)
        }
        return Place(address: text("address"), coordinate: coordinate, remote: state.fields["remote"]?.value == .bool(true))
    }
}

/// What recording a match did.
public struct MatchRecorded: Equatable, Sendable {
    public let match: UUIDString
    /// The request's new status, or nil when it was left alone (it belongs to another team,
    /// whose coordinator updates it).
    public let requestStatus: String?
}

extension ReplicaStore {
    /// Records a match of `request` with `offer` (status `proposed`) and moves the request to
    /// `matched`, in one transaction.
    public func recordMatch(request: UUIDString, offer: UUIDString) throws -> MatchRecorded {
        try write {
            let requestRecord = try record(request)
            let offerRecord = try record(offer)
            guard requestRecord.collection == .request else { throw StoreError.invalid("\(request) is not a request") }
            guard offerRecord.collection == .offer else { throw StoreError.invalid("\(offer) is not an offer") }
            let match = environment.newID()
            let fields = (Schema.defaults[.match] ?? [:]).merging(["request": .text(request.rawValue), "offer": .text(offer.rawValue)]) { $1 }
            try applyLocalEdit(Change(collection: .match, id: match, team: team, stamp: nextStamp(), operation: .set(fields)))
            return MatchRecorded(match: match, requestStatus: try followMatch(request: requestRecord, matchStatus: "proposed"))
        }
    }

    /// Sets the request of a match to the status its matches call for (`Matching.requestStatus`),
    /// if the request is this team's: a cancelled match reopens the request only when no other
    /// proposed or accepted match of it remains. Returns the status set, if any.
    @discardableResult
    func followMatch(request: StoredRecord, matchStatus: String) throws -> String? {
        guard request.state.team == team, var status = Matching.requestStatus(forMatchStatus: matchStatus) else { return nil }
        if status == "open" {
            let active = try records(in: .match).contains { match in
                match.text("request") == request.id.rawValue && ["proposed", "accepted"].contains(match.text("status") ?? "")
            }
            if active { status = "matched" }
        }
        guard request.text("status") != status else { return status }
        try applyLocalEdit(Change(collection: .request, id: request.id, team: request.state.team, stamp: nextStamp(),
                                  operation: .set(["status": .text(status)]),
                                  prev: request.state.fields["status"].map { ["status": $0.stamp] } ?? [:]))
        return status
    }
}
