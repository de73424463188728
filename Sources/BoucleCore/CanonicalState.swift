extension RecordState {
    /// The canonical JSON line of this record (Protocol/SPEC.md §3, "state digest"):
    /// `{"id":…,"collection":…,"team":…,"deleted":"HLC@REPLICA"|null,"fields":{name:[value,"HLC@REPLICA"],…}}`
    /// with fields sorted by name. Local sequence numbers and `prev` stamps are not part of it.
    public func canonicalJSON(id: UUIDString) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONWriter.appendString(id.rawValue, to: &out)
        out.append(contentsOf: #","collection":"#.utf8)
        JSONWriter.appendString(collection.rawValue, to: &out)
        out.append(contentsOf: #","team":"#.utf8)
        JSONWriter.appendString(team, to: &out)
        out.append(contentsOf: #","deleted":"#.utf8)
        if let tombstone {
            JSONWriter.appendString(tombstone.description, to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","fields":{"#.utf8)
        for (index, name) in fields.keys.sorted().enumerated() {
            guard let register = fields[name] else { continue }
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(name, to: &out)
            out.append(contentsOf: ":[".utf8)
            register.value.appendJSON(to: &out)
            out.append(UInt8(ascii: ","))
            JSONWriter.appendString(register.stamp.description, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The changes that rebuild this record elsewhere: one set change per stamp among its fields,
    /// or one delete for a tombstone (Protocol/SPEC.md §4). Only registers with `seq > since`
    /// are included; a tombstone is included when `includeTombstone` is true.
    public func changes(id: UUIDString, fieldsSince since: Int64, includeTombstone: Bool) -> [Change] {
        if let tombstone {
            guard includeTombstone else { return [] }
            return [Change(collection: collection, id: id, team: team, stamp: tombstone, operation: .delete, prev: tombstonePrev)]
        }
        var groups: [Stamp: [String: FieldRegister]] = [:]
        for (name, register) in fields where register.seq > since {
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
