extension RecordState {
    /// The canonical JSON line of this record (Protocol/SPEC.md §3, "state digest"):
    /// `{"id":…,"collection":…,"team":…,"deleted":"HLC@REPLICA"|null,"fields":{name:[value,"HLC@REPLICA"],…}}`
    /// with fields sorted by name. Local sequence numbers and `prev` stamps are not part of it.
    public func canonicalJSON(id: UUIDString) -> [UInt8] {
        RecordState.canonicalJSON(id: id, collection: collection, team: team, tombstone: tombstone,
                                  fields: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value.value, $0.value.stamp) })
    }

    /// The canonical JSON line of the record set change `change` (of `fields`) makes where it is
    /// new: that of the state merging it into nothing gives, without building the state (an
    /// import computes it for every record it receives).
    public static func canonicalJSON(newFrom change: Change, fields: [String: FieldValue]) -> [UInt8] {
        canonicalJSON(id: change.id, collection: change.collection, team: change.team, tombstone: nil,
                      fields: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value, change.stamp) })
    }

    /// The line of a record whose `fields` (name, value, stamp) are sorted by name.
    private static func canonicalJSON(id: UUIDString, collection: RecordCollection, team: String, tombstone: Stamp?,
                                      fields: [(name: String, value: FieldValue, stamp: Stamp)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"{"id":"#.utf8)
        id.appendQuoted(to: &out)
        out.append(contentsOf: #","collection":"#.utf8)
        JSONWriter.appendString(collection.rawValue, to: &out)
        out.append(contentsOf: #","team":"#.utf8)
        JSONWriter.appendString(team, to: &out)
        out.append(contentsOf: #","deleted":"#.utf8)
        if let tombstone {
            tombstone.appendQuoted(to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","fields":{"#.utf8)
        // Fields written together share a stamp: its text is written once and copied.
        var quotedStamp: (stamp: Stamp, bytes: [UInt8])?
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(field.name, to: &out)
            out.append(contentsOf: ":[".utf8)
            field.value.appendJSON(to: &out)
            out.append(UInt8(ascii: ","))
            if quotedStamp?.stamp != field.stamp {
                var bytes: [UInt8] = []
                field.stamp.appendQuoted(to: &bytes)
                quotedStamp = (field.stamp, bytes)
            }
            out.append(contentsOf: quotedStamp?.bytes ?? [])
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The changes that bring a record changed after local sequence `since` up to date elsewhere:
    /// one set change per stamp among its registers stored after `since`, or one delete for a
    /// tombstone (Protocol/SPEC.md §4). When none of its registers is newer (only its team
    /// changed), every register is sent, so the team travels with them.
    public func changes(id: UUIDString, fieldsSince since: Int64) -> [Change] {
        if let tombstone {
            return [Change(collection: collection, id: id, team: team, stamp: tombstone, operation: .delete, prev: tombstonePrev)]
        }
        let registers: [String: FieldRegister]
        if fields.values.allSatisfy({ $0.seq > since }) {
            registers = fields
        } else {
            let newer = fields.filter { $0.value.seq > since }
            registers = newer.isEmpty ? fields : newer
        }
        // The usual record, written at one stamp, is one change, without grouping.
        if let stamp = registers.first?.value.stamp, registers.values.allSatisfy({ $0.stamp == stamp }) {
            return [Change(collection: collection, id: id, team: team, stamp: stamp, operation: .set(registers.mapValues(\.value)),
                           prev: registers.compactMapValues(\.prev))]
        }
        var groups: [Stamp: [String: FieldRegister]] = [:]
        for (name, register) in registers {
            groups[register.stamp, default: [:]][name] = register
        }
        return groups
            .sorted { $1.key.beats($0.key) }
            .map { stamp, registers in
                Change(collection: collection, id: id, team: team, stamp: stamp, operation: .set(registers.mapValues(\.value)),
                       prev: registers.compactMapValues(\.prev))
            }
    }
}
