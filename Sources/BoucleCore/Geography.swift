import Foundation

/// Distances on the Earth's surface.
public enum GreatCircle {
    /// The mean Earth radius (IUGG), in metres.
    public static let earthRadius = 6_371_008.8

    /// The great-circle distance in metres between two points (haversine formula).
    public static func distance(_ a: Coordinate, _ b: Coordinate) -> Double {
        let radians = Double.pi / 180
        let dLat = (b.lat - a.lat) * radians
        let dLon = (b.lon - a.lon) * radians
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.lat * radians) * cos(b.lat * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * earthRadius * asin(min(1, sqrt(h)))
    }

    /// Half the Earth's circumference: no two points are further apart.
    public static let halfCircumference = Double.pi * earthRadius

    /// A latitude and longitude range holding every point within `radius` metres of `center`
    /// (a box to search an index with; the exact distance is checked afterwards). The whole
    /// range of longitudes when the circle reaches a pole or crosses the antimeridian.
    public static func box(around center: Coordinate, radius: Double) -> (minLat: Double, maxLat: Double, minLon: Double, maxLon: Double) {
        let degrees = 180 / Double.pi
        let angle = radius / earthRadius
        let margin = 1e-6
        let minLat = center.lat - angle * degrees - margin
        let maxLat = center.lat + angle * degrees + margin
        guard minLat > -90, maxLat < 90, angle < Double.pi / 2 else { return (max(minLat, -90), min(maxLat, 90), -180, 180) }
        let spread = sin(angle) / cos(center.lat * Double.pi / 180)
        guard spread < 1 else { return (minLat, maxLat, -180, 180) }
        let dLon = asin(spread) * degrees + margin
        guard center.lon - dLon > -180, center.lon + dLon < 180 else { return (minLat, maxLat, -180, 180) }
        return (minLat, maxLat, center.lon - dLon, center.lon + dLon)
    }
}

/// A point: latitude and longitude in degrees (WGS 84).
public struct Coordinate: Equatable, Sendable {
    public let lat: Double
    public let lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    /// Parses `LAT,LON` (as `--near` takes it); nil unless both are in range.
    public init?(_ text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]),
              (-90...90).contains(lat), (-180...180).contains(lon) else { return nil }
        self.init(lat: lat, lon: lon)
    }
}

/// The normalized key of a building's address, so that "12, Rue Mercière – apt 4, 69002 LYON"
/// and "12 rue merciere 69002 Lyon" are the same building: the seed's "solidarity loops" at the
/// scale of each address.
///
/// Rules, in order: lowercase; accents dropped; flat, floor, staircase and building words with
/// the word after them dropped (`apt 4`, `appartement 12`, `bât. B`, `3e étage`, `escalier C`,
/// `porte 5`); common abbreviations spelt out (`r.`→`rue`, `av`→`avenue`, `bd`→`boulevard`,
/// `pl`→`place`, `bis`/`ter` kept); punctuation turned into spaces; the town name after a
/// 5-digit postcode dropped; spaces collapsed.
public enum AddressKey {
    private static let unitWords: Set<String> = [
        "apt", "appt", "app", "appartement", "bat", "batiment", "etage", "escalier", "esc", "porte", "residence", "res",
    ]
    private static let abbreviations: [String: String] = [
        "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "pl": "place",
        "imp": "impasse", "che": "chemin", "ch": "chemin", "crs": "cours", "qu": "quai", "mte": "montee", "st": "saint", "ste": "sainte",
    ]

    /// The key of `address`; nil when nothing is left of it.
    public static func make(_ address: String) -> String? {
        let folded = address.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")).lowercased()
        let spaced = String(folded.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : " " })
        var words = spaced.split(separator: " ").map(String.init)
        var kept: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if unitWords.contains(word) {
                index += 2
                continue
            }
            // "3e etage", "2eme etage": an ordinal followed by a floor word.
            if index + 1 < words.count, words[index + 1] == "etage" {
                index += 2
                continue
            }
            kept.append(abbreviations[word] ?? word)
            // A French postcode ends the address: the town after it says nothing more.
            if word.count == 5, word.allSatisfy(\.isNumber), index > 0 { break }
            index += 1
        }
        words = kept
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}
