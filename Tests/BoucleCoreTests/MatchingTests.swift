import BoucleCore
import XCTest

final class MatchingTests: XCTestCase {
    func id(_ n: Int) -> UUIDString { UUIDString("00000000-0000-4000-8000-\(String(format: "%012d", n))")! }

    func testGreatCircleDistanceMatchesKnownFigures() {
        let bellecour = Coordinate(lat: 45.7578, lon: 4.8320)
        let partDieu = Coordinate(lat: 45.7605, lon: 4.8597)
        XCTAssertEqual(GreatCircle.distance(bellecour, partDieu), 2_172, accuracy: 15)
        let paris = Coordinate(lat: 48.8566, lon: 2.3522)
        XCTAssertEqual(GreatCircle.distance(paris, bellecour) / 1000, 391.5, accuracy: 1.5)
        XCTAssertEqual(GreatCircle.distance(paris, paris), 0)
    }

    func testCoordinateTextIsLatitudeCommaLongitude() {
        XCTAssertEqual(try Coordinate(parsing: "45.76, 4.83"), Coordinate(lat: 45.76, lon: 4.83))
        XCTAssertThrowsError(try Coordinate(parsing: "95,4")) { XCTAssertEqual($0 as? Coordinate.ParseError, .latitudeOutOfRange) }
        XCTAssertThrowsError(try Coordinate(parsing: "45,181")) { XCTAssertEqual($0 as? Coordinate.ParseError, .longitudeOutOfRange) }
        XCTAssertThrowsError(try Coordinate(parsing: "45.76")) { XCTAssertEqual($0 as? Coordinate.ParseError, .notLatLon) }
        XCTAssertThrowsError(try Coordinate(parsing: "45.76,")) { XCTAssertEqual($0 as? Coordinate.ParseError, .notLatLon) }
    }

    func testAddressKeyIgnoresCaseAccentsPunctuationAndTown() {
        XCTAssertEqual(AddressKey.make("12 rue Mercière, 69002 Lyon"), "12 rue merciere 69002")
        XCTAssertEqual(AddressKey.make("12, RUE MERCIERE – 69002 LYON 2e"), "12 rue merciere 69002")
    }

    func testAddressKeyDropsFlatFloorAndStaircase() {
        let key = AddressKey.make("12 rue Mercière, 69002 Lyon")
        XCTAssertEqual(AddressKey.make("12 rue Mercière, apt 4, 69002 Lyon"), key)
        XCTAssertEqual(AddressKey.make("12 rue Mercière, bât. B, 3e étage, 69002 Lyon"), key)
        XCTAssertEqual(AddressKey.make("12 r. Mercière escalier C 69002"), key)
    }

    func testAddressKeyKeepsNumbersAndBisApart() {
        XCTAssertNotEqual(AddressKey.make("12 rue Mercière"), AddressKey.make("14 rue Mercière"))
        XCTAssertNotEqual(AddressKey.make("12 rue Mercière"), AddressKey.make("12 bis rue Mercière"))
        XCTAssertNil(AddressKey.make(" , - "))
    }

    func testSameAddressComesFirstThenRemoteThenNearest() {
        let request = Place(address: "12 rue Mercière, 69002 Lyon", coordinate: Coordinate(lat: 45.7622, lon: 4.8320), remote: false)
        let offers: [(id: UUIDString, place: Place)] = [
            (id(1), Place(address: "3 quai Saint-Antoine", coordinate: Coordinate(lat: 45.7640, lon: 4.8310), remote: false)),
            (id(2), Place(address: nil, coordinate: nil, remote: true)),
            (id(3), Place(address: "12, Rue Merciere apt 2, 69002 LYON", coordinate: Coordinate(lat: 45.7622, lon: 4.8320), remote: false)),
            (id(4), Place(address: "Part-Dieu", coordinate: Coordinate(lat: 45.7605, lon: 4.8597), remote: false)),
            (id(5), Place(address: nil, coordinate: nil, remote: false)),
        ]
        let ranked = Matching.rank(request: request, offers: offers, within: nil)
        XCTAssertEqual(ranked.map(\.id), [id(3), id(2), id(1), id(4), id(5)])
        XCTAssertEqual(ranked.map(\.tier), [.sameAddress, .remote, .located, .located, .unlocated])
    }

    func testWithinLeavesOutFarAndUnlocatedOffersButKeepsRemoteOnes() {
        let request = Place(address: nil, coordinate: Coordinate(lat: 45.7622, lon: 4.8320), remote: false)
        let offers: [(id: UUIDString, place: Place)] = [
            (id(1), Place(address: nil, coordinate: Coordinate(lat: 45.7640, lon: 4.8310), remote: false)),
            (id(2), Place(address: nil, coordinate: nil, remote: true)),
            (id(4), Place(address: nil, coordinate: Coordinate(lat: 45.7605, lon: 4.8597), remote: false)),
            (id(5), Place(address: nil, coordinate: nil, remote: false)),
        ]
        XCTAssertEqual(Matching.rank(request: request, offers: offers, within: 500).map(\.id), [id(2), id(1)])
    }

    func testEqualDistancesBreakByID() {
        let here = Coordinate(lat: 45.76, lon: 4.83)
        let request = Place(address: nil, coordinate: here, remote: false)
        let offers: [(id: UUIDString, place: Place)] = [(id(9), Place(address: nil, coordinate: here, remote: false)),
                                                        (id(2), Place(address: nil, coordinate: here, remote: false))]
        XCTAssertEqual(Matching.rank(request: request, offers: offers, within: nil).map(\.id), [id(2), id(9)])
    }
}
