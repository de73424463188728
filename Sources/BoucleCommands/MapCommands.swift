import ArgumentParsing
import BoucleCore
import BoucleStore
import Foundation

/// `boucle export-geojson`: the located open offers and requests, for uMap or QGIS.
enum MapCommands {
    static let withContacts = OptionSpec.flag("--with-contacts", help: "add names, phones, addresses and details, and exact coordinates")

    static let exportGeoJSON = Command(
        "export-geojson",
        summary: "Write the located open offers and requests as GeoJSON (RFC 7946), for uMap or QGIS.",
        options: [SpreadsheetCommands.outputOrStdout, withContacts],
        examples: [
            "boucle export-geojson -o carte.geojson",
            "# without --with-contacts: no contact_name, phone, on_behalf_of, address or details, and",
            "# coordinates rounded to 3 decimals (about 100 m: an exact point is an exact address)",
        ]
    ) { context in
        let store = try context.openStore()
        let records = try store.records(in: .offer) + store.records(in: .request)
        let contacts = context.arguments.flag(withContacts)
        let features = records.compactMap { GeoJSONExport.feature($0, withContacts: contacts) }
        let collection = JSONValue.object(["type": .string("FeatureCollection"), "features": .array(features)])
        let bytes = JSONWriter.encode(collection, pretty: true) + [UInt8(ascii: "\n")]
        guard let path = context.arguments.value(SpreadsheetCommands.outputOrStdout) else {
            context.write(String(decoding: bytes, as: UTF8.self))
            return
        }
        try OutputFile.write(bytes, to: path)
        if context.json {
            context.printJSON(.object(["file": .string(path), "features": .number(Double(features.count)), "contacts": .bool(contacts)]))
        } else {
            context.say("wrote \(Plural.count(features.count, "feature")) to \(path)\(contacts ? " (with contacts)" : "")")
        }
    }
}

/// Located open offers and requests as GeoJSON Features (RFC 7946): a Point geometry with
/// `[longitude, latitude]`, and `properties`. Without contacts, a feature carries no name,
/// phone, address, `on_behalf_of` or details, and its coordinates are rounded to 3 decimals
/// (about 100 m: an exact point is an exact address).
enum GeoJSONExport {
    /// The properties every feature carries (and `urgency` for requests).
    static let publicFields = ["category", "title", "status", "remote", "urgency"]
    /// The properties added by `--with-contacts`.
    static let contactFields = ["address", "contact_name", "phone", "on_behalf_of", "details"]

    /// The record's Feature; nil when it is not open or has no coordinates.
    static func feature(_ record: StoredRecord, withContacts: Bool) -> JSONValue? {
        let values = record.values
        guard record.text("status") == "open", case .number(var lat)? = values["lat"], case .number(var lon)? = values["lon"] else {
            return nil
        }
        if !withContacts {
            lat = (lat * 1000).rounded() / 1000
            lon = (lon * 1000).rounded() / 1000
        }
        var properties: [String: JSONValue] = ["id": .string(record.id.rawValue), "collection": .string(record.collection.rawValue)]
        for field in publicFields + (withContacts ? contactFields : []) {
            if let value = values[field] { properties[field] = value.json }
        }
        return .object([
            "type": .string("Feature"),
            "geometry": .object(["type": .string("Point"), "coordinates": .array([.number(lon), .number(lat)])]),
            "properties": .object(properties),
        ])
    }
}
