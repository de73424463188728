import BoucleCore

/// The binary form of a record's field registers, as the `fields` column of `records` holds them.
///
/// Compact on purpose: a replica stores every register of every record, and most registers of a
/// record share one stamp. Layout (integers are LEB128 varints unless said otherwise):
///
///     version byte 1, register count, then per register (in no particular order):
///       name:  length, UTF-8 bytes
///       value: tag (0 null, 1 text, 2 number, 3 false, 4 true); text: length, UTF-8 bytes;
///              number: the IEEE-754 bits, 8 bytes little endian
///       stamp: 0 = the previous register's stamp, 1 = a stamp follows
///       seq:   zigzag(rowSeq − seq), so a record written once stores 0
///       prev:  0 = none, 1 = a stamp follows
///     stamp: the HLC, 8 bytes big endian, then the replica id's 36 ASCII characters
///
/// Invariant: `decode(encode(fields, rowSeq: s), rowSeq: s) == fields`. Decoding checks every
/// length and id, and returns nil on anything else (the caller reports a damaged row).
enum FieldsCodec {
    static let version: UInt8 = 1

    static func encode(_ fields: [String: FieldRegister], rowSeq: Int64) -> [UInt8] {
        var out = start(count: fields.count)
        var previous: Stamp?
        for (name, register) in fields {
            appendRegister(name: name, value: register.value, stamp: register.stamp, delta: rowSeq &- register.seq,
                           prev: register.prev, previous: &previous, to: &out)
        }
        return out
    }

    /// The registers of a record new here, as `RecordState.merge` into nothing installs them:
    /// every field at `stamp`, with its `prev`, at the row's own sequence (whatever it is).
    static func encode(newRecord fields: [String: FieldValue], stamp: Stamp, prev: [String: Stamp]) -> [UInt8] {
        var out = start(count: fields.count)
        var previous: Stamp?
        for (name, value) in fields {
            appendRegister(name: name, value: value, stamp: stamp, delta: 0, prev: prev[name], previous: &previous, to: &out)
        }
        return out
    }

    private static func start(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + count * 48)
        out.append(version)
        appendVarint(UInt64(count), to: &out)
        return out
    }

    /// One register; `previous` is the stamp the register before it wrote out, if any.
    private static func appendRegister(name: String, value: FieldValue, stamp: Stamp, delta: Int64, prev: Stamp?,
                                       previous: inout Stamp?, to out: inout [UInt8]) {
        appendText(name, to: &out)
        switch value {
        case .null: out.append(0)
        case .text(let text):
            out.append(1)
            appendText(text, to: &out)
        case .number(let number):
            out.append(2)
            withUnsafeBytes(of: number.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .bool(let flag): out.append(flag ? 4 : 3)
        }
        if stamp == previous {
            out.append(0)
        } else {
            out.append(1)
            appendStamp(stamp, to: &out)
            previous = stamp
        }
        appendVarint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)), to: &out)
        if let prev {
            out.append(1)
            appendStamp(prev, to: &out)
        } else {
            out.append(0)
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, rowSeq: Int64) -> [String: FieldRegister]? {
        var reader = Reader(bytes: bytes)
        guard reader.byte() == version, let count = reader.varint(), count <= UInt64(bytes.count) else { return nil }
        var fields: [String: FieldRegister] = Dictionary(minimumCapacity: Int(count))
        var previous: Stamp?
        for _ in 0..<count {
            guard let name = reader.text(), let tag = reader.byte() else { return nil }
            let value: FieldValue
            switch tag {
            case 0: value = .null
            case 1:
                guard let text = reader.text() else { return nil }
                value = .text(text)
            case 2:
                guard let bits = reader.fixed64() else { return nil }
                value = .number(Double(bitPattern: UInt64(littleEndian: bits)))
            case 3: value = .bool(false)
            case 4: value = .bool(true)
            default: return nil
            }
            let stamp: Stamp
            switch reader.byte() {
            case 0:
                guard let previous else { return nil }
                stamp = previous
            case 1:
                guard let read = reader.stamp() else { return nil }
                stamp = read
                previous = read
            default: return nil
            }
            guard let zigzag = reader.varint() else { return nil }
            let delta = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            var prev: Stamp?
            switch reader.byte() {
            case 0: break
            case 1:
                guard let read = reader.stamp() else { return nil }
                prev = read
            default: return nil
            }
            fields[name] = FieldRegister(value: value, stamp: stamp, prev: prev, seq: rowSeq &- delta)
        }
        guard reader.atEnd, fields.count == Int(count) else { return nil }
        return fields
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// The text's length, then its UTF-8 bytes.
    private static func appendText(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count), to: &out)
            out.append(contentsOf: utf8)
        }
    }

    private static func appendStamp(_ stamp: Stamp, to out: inout [UInt8]) {
        withUnsafeBytes(of: stamp.hlc.rawValue.bigEndian) { out.append(contentsOf: $0) }
        var replica = stamp.replica.rawValue
        replica.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A bounds-checked cursor over the bytes: every read returns nil past the end.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while shift < 64, let byte = byte() {
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func slice(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }

        mutating func text() -> String? {
            guard let count = varint(), count <= UInt64(bytes.count), let slice = slice(Int(count)) else { return nil }
            return String(decoding: slice, as: UTF8.self)
        }

        mutating func fixed64() -> UInt64? {
            guard let slice = slice(8) else { return nil }
            return slice.loadUnaligned(as: UInt64.self)
        }

        mutating func stamp() -> Stamp? {
            guard let bits = fixed64(), let id = slice(36) else { return nil }
            let text = String(decoding: id, as: UTF8.self)
            guard let replica = UUIDString(text) else { return nil }
            return Stamp(hlc: HLC(rawValue: UInt64(bigEndian: bits)), replica: replica)
        }
    }
}
