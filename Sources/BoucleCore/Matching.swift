/// Where help is given or needed: an address, a point, or at a distance.
public struct Place: Equatable, Sendable {
    public let address: String?
    public let coordinate: Coordinate?
    public let remote: Bool

    public init(address: String?, coordinate: Coordinate?, remote: Bool) {
        self.address = address
        self.coordinate = coordinate
        self.remote = remote
    }

    /// The building key of the address (`AddressKey`), if there is one.
    public var buildingKey: String? { address.flatMap(AddressKey.make) }
}

/// An open offer as a candidate for a request, and why it ranks where it does.
public struct MatchCandidate: Equatable, Sendable {
    /// How the candidate relates to the request, in ranking order.
    public enum Tier: Int, Comparable, Sendable {
        /// Same building: the neighbour on the same landing comes first.
        case sameAddress = 0
        /// Help given at a distance: needs no trip.
        case remote = 1
        /// Located: ranked by great-circle distance.
        case located = 2
        /// Neither located nor remote: listed last, when no distance limit is asked.
        case unlocated = 3

        public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let id: UUIDString
    public let tier: Tier
    /// Metres from the request, when both are located.
    public let distance: Double?

    public init(id: UUIDString, tier: Tier, distance: Double?) {
        self.id = id
        self.tier = tier
        self.distance = distance
    }
}

/// Ranks open offers for a request (`boucle match`): same address first, then remote offers,
/// then located offers nearest first, then offers with no place at all. With `within`, located
/// offers further than that many metres are left out, and so are unlocated ones. Ties break by
/// id, so the order is the same on every replica.
public enum Matching {
    public static func rank(request: Place, offers: [(id: UUIDString, place: Place)], within: Double?) -> [MatchCandidate] {
        let requestKey = request.buildingKey
        var candidates: [MatchCandidate] = []
        for offer in offers {
            let distance = zip(request.coordinate, offer.place.coordinate).map(GreatCircle.distance)
            if let requestKey, offer.place.buildingKey == requestKey {
                candidates.append(MatchCandidate(id: offer.id, tier: .sameAddress, distance: distance))
            } else if offer.place.remote {
                candidates.append(MatchCandidate(id: offer.id, tier: .remote, distance: nil))
            } else if let distance {
                if let within, distance > within { continue }
                candidates.append(MatchCandidate(id: offer.id, tier: .located, distance: distance))
            } else if within == nil {
                candidates.append(MatchCandidate(id: offer.id, tier: .unlocated, distance: nil))
            }
        }
        return candidates.sorted { a, b in
            if a.tier != b.tier { return a.tier < b.tier }
            if a.tier == .located, let x = a.distance, let y = b.distance, x != y { return x < y }
            return a.id < b.id
        }
    }
}

private func zip(_ a: Coordinate?, _ b: Coordinate?) -> (Coordinate, Coordinate)? {
    guard let a, let b else { return nil }
    return (a, b)
}
