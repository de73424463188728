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

    /// Why a text is not a point (`Coordinate(parsing:)`).
    public enum ParseError: Error, Equatable {
        /// Not two numbers with decimal points around one comma.
        case notLatLon
        /// The latitude is outside -90…90.
        case latitudeOutOfRange
        /// The longitude is outside -180…180.
        case longitudeOutOfRange
    }

    /// Parses `LAT,LON` (as `--near` takes it): two decimal numbers, the latitude within ±90 and
    /// the longitude within ±180.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]) else { throw .notLatLon }
        guard (-90...90).contains(lat) else { throw .latitudeOutOfRange }
        guard (-180...180).contains(lon) else { throw .longitudeOutOfRange }
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

    private static let french = Locale(identifier: "fr_FR")

    /// French letters with a diacritic and what folding leaves of them, lowercase.
    private static let accented: [Unicode.Scalar: UInt8] = {
        var table: [Unicode.Scalar: UInt8] = [:]
        for (plain, letters) in [("a", "àâäáãåÀÂÄÁÃÅ"), ("e", "éèêëÉÈÊË"), ("i", "îïíìÎÏÍÌ"), ("o", "ôöóòõÔÖÓÒÕ"),
                                 ("u", "ùûüúÙÛÜÚ"), ("c", "çÇ"), ("y", "ÿýŸÝ"), ("n", "ñÑ")] {
            for letter in letters.unicodeScalars { table[letter] = UInt8(ascii: plain.unicodeScalars.first ?? "a") }
        }
        return table
    }()
    private static let unitWordBytes = Set(unitWords.map { Array($0.utf8) })
    private static let abbreviationBytes = Dictionary(uniqueKeysWithValues: abbreviations.map { (Array($0.key.utf8), Array($0.value.utf8)) })
    private static let floor = Array("etage".utf8)

    /// The key of `address`; nil when nothing is left of it. Every record's address is keyed
    /// when it is written (the building index): ASCII and French accents are folded byte by
    /// byte, anything else through Foundation's folding.
    public static func make(_ address: String) -> String? {
        key(of: fastWords(address) ?? foldedWords(address))
    }

    /// The words of `address` lowercased, accents dropped, split at anything but letters and
    /// digits; nil when it holds a character other than ASCII and French accented letters.
    private static func fastWords(_ address: String) -> [[UInt8]]? {
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        for scalar in address.unicodeScalars {
            let byte: UInt8
            if scalar.isASCII {
                byte = UInt8(scalar.value)
            } else if let plain = accented[scalar] {
                byte = plain
            } else {
                return nil
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte + 32)
            default:
                if !word.isEmpty { words.append(word) }
                word = []
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// The same words, through Foundation's folding (`fr_FR`, diacritics and case).
    private static func foldedWords(_ address: String) -> [[UInt8]] {
        let folded = address.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: french).lowercased()
        var spaced = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars { spaced.append(isAlphanumeric(scalar) ? scalar : " ") }
        return String(spaced).split(separator: " ").map { Array($0.utf8) }
    }

    /// The key of the words: unit and floor words dropped with the word after them,
    /// abbreviations spelt out, nothing after a postcode.
    private static func key(of words: [[UInt8]]) -> String? {
        var kept: [UInt8] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if unitWordBytes.contains(word) {
                index += 2
                continue
            }
            // "3e etage", "2eme etage": an ordinal followed by a floor word.
            if index + 1 < words.count, words[index + 1] == floor {
                index += 2
                continue
            }
            if !kept.isEmpty { kept.append(UInt8(ascii: " ")) }
            kept += abbreviationBytes[word] ?? word
            // A French postcode ends the address: the town after it says nothing more.
            if word.count == 5, word.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), index > 0 { break }
            index += 1
        }
        return kept.isEmpty ? nil : String(decoding: kept, as: UTF8.self)
    }

    /// A letter, mark or number (what `CharacterSet.alphanumerics` holds), ASCII first.
    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
