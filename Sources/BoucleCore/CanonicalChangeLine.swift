/// A fast reader of change lines written exactly as Boucle's own writers write them (SPEC §4:
/// keys in the writer's order, no spaces, strings without escapes). Anything else (other key
/// orders, spaces, escapes, an odd number, a duplicate, a change that breaks a rule) makes it
/// give up, and the decoder's general path reads the line and says what is wrong with it. So it
/// accepts nothing the general path refuses, and builds the very same `Change`.
enum CanonicalChangeLine {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Change? {
        var reader = Reader(bytes: bytes)
        guard reader.literal(#"{"collection":""#), let collectionName = reader.string(),
              let collection = RecordCollection(rawValue: collectionName),
              reader.literal(#","id":""#), let id = reader.string().flatMap({ UUIDString($0) }),
              reader.literal(#","team":""#), let team = reader.string(),
              reader.literal(#","hlc":""#), let hlc = reader.string().flatMap({ HLC(hex: $0) }),
              reader.literal(#","replica":""#), let replica = reader.string().flatMap({ UUIDString($0) })
        else { return nil }
        let operation: Change.Operation
        if reader.literal(#","delete":true"#) {
            operation = .delete
        } else if reader.literal(#","set":{"#), let fields = reader.members(value: { $0.value() }), !fields.isEmpty {
            operation = .set(fields)
        } else {
            return nil
        }
        var prev: [String: Stamp] = [:]
        if reader.literal(#","prev":{"#) {
            guard let stamps = reader.members(value: { $0.string().flatMap { Stamp(canonical: $0) } }) else { return nil }
            prev = stamps
        }
        guard reader.literal("}"), reader.atEnd else { return nil }
        let change = Change(collection: collection, id: id, team: team, stamp: Stamp(hlc: hlc, replica: replica),
                            operation: operation, prev: prev)
        return change.problem() == nil ? change : nil
    }

    /// A cursor over the line's bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        var atEnd: Bool { position == bytes.count }

        /// Consumes `text` if the bytes continue with it.
        mutating func literal(_ text: StaticString) -> Bool {
            let start = position
            let matches = text.withUTF8Buffer { expected in
                guard start + expected.count <= bytes.count else { return false }
                for index in 0..<expected.count where bytes[start + index] != expected[index] { return false }
                return true
            }
            if matches { position += text.utf8CodeUnitCount }
            return matches
        }

        /// The rest of a string whose opening quote was consumed, up to its closing quote: valid
        /// UTF-8 without escapes or control characters.
        mutating func string() -> String? {
            let start = position
            var highBits: UInt8 = 0
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                    position += 1
                    // Decoding repairs invalid UTF-8; text that is not ASCII must come out unchanged.
                    var text = String(decoding: utf8, as: UTF8.self)
                    if highBits & 0x80 != 0, !text.withUTF8({ UnsafeRawBufferPointer($0).elementsEqual(utf8) }) { return nil }
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                highBits |= byte
                position += 1
            }
            return nil
        }

        /// `"name":VALUE,…}` after an opening brace, each value read by `value`; nil on any
        /// surprise, a duplicate name included.
        mutating func members<T>(value: (inout Reader) -> T?) -> [String: T]? {
            var result: [String: T] = [:]
            while true {
                guard literal("\""), let name = string(), literal(":"), let read = value(&self),
                      result.updateValue(read, forKey: name) == nil
                else { return nil }
                if literal("}") { return result }
                guard literal(",") else { return nil }
            }
        }

        /// A field value: a string, true, false, null or a plain number.
        mutating func value() -> FieldValue? {
            if literal("\"") { return string().map { .text($0) } }
            if literal("true") { return .bool(true) }
            if literal("false") { return .bool(false) }
            if literal("null") { return .null }
            return number().map { .number($0) }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` only (no exponent), as the writers write numbers.
        mutating func number() -> Double? {
            let start = position
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
            let integerDigits = position - integerStart
            guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != 48 else { return nil }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                let fractionStart = position
                while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
                guard position > fractionStart else { return nil }
            }
            guard position - start <= 40,
                  let number = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)),
                  number.isFinite
            else { return nil }
            return number
        }
    }
}
