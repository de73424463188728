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

extension ReplicaStore {
    /// Records a match of `request` with `offer` (status `proposed`); the request becomes
    /// `matched` if it is this team's. One transaction, through the one edit path.
    public func recordMatch(request: UUIDString, offer: UUIDString) throws -> EditOutcome {
        try perform(.create(.match, fields: ["request": .text(request.rawValue), "offer": .text(offer.rawValue)]))
    }
}
