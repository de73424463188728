/// A strict RFC 8259 JSON parser, hand-written because Foundation's is too slow for the
/// change-set codec.
///
/// The whole input must be exactly one value, optionally surrounded by JSON whitespace (space,
/// tab, LF, CR). Rejected, each with a `JSONError` giving the byte offset: trailing characters,
/// duplicate object keys, nesting of arrays and objects deeper than `maxDepth`, invalid UTF-8
/// (overlong forms, encoded surrogates, code points above U+10FFFF), unescaped control
/// characters in strings, unknown escapes, `\u` escapes of unpaired or mis-ordered UTF-16
/// surrogates, numbers outside the RFC grammar (`01`, `+1`, `.5`, `1.`, `NaN`, `Infinity`) and
/// numbers too large for a `Double`. A byte-order mark is not accepted.
///
/// Parsing recurses once per level of nesting, so `maxDepth` also bounds stack use: keep it
/// modest (the default is 32).
public enum JSONParser {
    /// Parses one JSON text from raw bytes.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) throws(JSONError) -> JSONValue {
        let result = bytes.withMemoryRebound(to: UInt8.self) { buffer in
            Result { () throws(JSONError) -> JSONValue in
                var parser = JSONByteParser(bytes: buffer, maxDepth: maxDepth)
                return try parser.parseDocument()
            }
        }
        return try result.get()
    }

    /// Parses one JSON text from an array of bytes.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses one JSON text from a slice of bytes; offsets count from the slice's start.
    public static func parse(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 32) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses one JSON text from the UTF-8 encoding of `text`.
    public static func parse(_ text: String, maxDepth: Int = 32) throws(JSONError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}

/// The parser's state over one input: a cursor into borrowed bytes.
///
/// Invariant: `0 <= pos <= bytes.count`; every read checks `pos < bytes.count` first.
fileprivate struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var pos = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if pos < bytes.count { throw JSONError(offset: pos, reason: "trailing characters") }
        return value
    }

    // MARK: Values

    /// Parses the value at `pos`; `depth` is the number of arrays and objects around it.
    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard pos < bytes.count else { throw endOfInput() }
        switch bytes[pos] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "+"), UInt8(ascii: "."):
            throw JSONError(offset: pos, reason: "invalid number")
        default:
            throw JSONError(offset: pos, reason: "expected a value")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONError(offset: pos, reason: "nesting too deep") }
        pos += 1
        skipWhitespace()
        var elements: [JSONValue] = []
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(elements)
        }
        repeat {
            elements.append(try parseValue(depth: depth))
        } while try anotherElement(before: UInt8(ascii: "]"))
        return .array(elements)
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONError(offset: pos, reason: "nesting too deep") }
        pos += 1
        skipWhitespace()
        var members: [String: JSONValue] = [:]
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(members)
        }
        while true {
            guard pos < bytes.count else { throw endOfInput() }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                throw JSONError(offset: pos, reason: "expected a string key")
            }
            let keyOffset = pos
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count else { throw endOfInput() }
            guard bytes[pos] == UInt8(ascii: ":") else { throw JSONError(offset: pos, reason: "expected ':'") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            if members.updateValue(value, forKey: key) != nil {
                throw JSONError(offset: keyOffset, reason: "duplicate key \(Self.quotedForMessage(key))")
            }
            if try !anotherElement(before: UInt8(ascii: "}")) { return .object(members) }
        }
    }

    /// After an array element or an object member: consumes `,` (true: another follows) or
    /// `close` (false: the array or object ends here).
    mutating func anotherElement(before close: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw endOfInput() }
        switch bytes[pos] {
        case UInt8(ascii: ","):
            pos += 1
            skipWhitespace()
            return true
        case close:
            pos += 1
            return false
        default:
            throw JSONError(offset: pos, reason: "expected ',' or '\(Character(Unicode.Scalar(close)))'")
        }
    }

    /// Matches `true`, `false` or `null` exactly.
    mutating func parseLiteral(_ literal: StaticString) throws(JSONError) {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - pos >= expected.count else { throw JSONError(offset: pos, reason: "invalid literal") }
        for i in 0..<expected.count where bytes[pos + i] != expected[i] {
            throw JSONError(offset: pos, reason: "invalid literal")
        }
        pos += expected.count
    }

    // MARK: Whitespace and errors

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    func endOfInput() -> JSONError {
        JSONError(offset: bytes.count, reason: "unexpected end of input")
    }

    /// A key for an error message: JSON-quoted, so control characters stay visible, and
    /// shortened so a huge key cannot flood a log line.
    static func quotedForMessage(_ key: String) -> String {
        let limit = 40
        let shown = key.count > limit ? String(key.prefix(limit)) + "…" : key
        return JSONWriter.string(.string(shown))
    }
}

// MARK: Strings

extension JSONByteParser {
    /// Parses the string whose opening quote is at `pos`. Strings without escapes are made
    /// straight from the input bytes once validated; the first escape switches to a copy.
    mutating func parseString() throws(JSONError) -> String {
        let open = pos
        pos += 1
        var runStart = pos
        var unescaped: [UInt8] = []  // used only once an escape is seen
        var sawEscape = false
        while pos < bytes.count {
            let byte = bytes[pos]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<pos])
                pos += 1
                if !sawEscape { return String(decoding: run, as: UTF8.self) }
                unescaped.append(contentsOf: run)
                return String(decoding: unescaped, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                if !sawEscape {
                    sawEscape = true
                    unescaped.reserveCapacity(pos - runStart + 16)
                }
                unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<pos]))
                try parseEscape(into: &unescaped, stringStart: open)
                runStart = pos
            } else if byte < 0x20 {
                throw JSONError(offset: pos, reason: "unescaped control character")
            } else if byte < 0x80 {
                pos += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw JSONError(offset: open, reason: "unterminated string")
    }

    /// Decodes the escape whose backslash is at `pos` and appends its UTF-8.
    mutating func parseEscape(into out: inout [UInt8], stringStart: Int) throws(JSONError) {
        let escape = pos
        guard pos + 1 < bytes.count else { throw JSONError(offset: stringStart, reason: "unterminated string") }
        let simple: UInt8
        switch bytes[pos + 1] {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            var scalar = UInt32(unit)
            if (0xDC00..<0xE000).contains(unit) {
                throw JSONError(offset: escape, reason: "unpaired surrogate")
            }
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed at once by a `\u` low surrogate.
                guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                else { throw JSONError(offset: escape, reason: "unpaired surrogate") }
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONError(offset: escape, reason: "unpaired surrogate")
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            Self.appendUTF8(scalar, to: &out)
            return
        default:
            throw JSONError(offset: escape, reason: "invalid escape")
        }
        out.append(simple)
        pos += 2
    }

    /// Reads `\uXXXX` at `pos` (backslash and `u` already checked) and moves past it.
    mutating func parseHex4() throws(JSONError) -> UInt16 {
        let escape = pos
        guard bytes.count - pos >= 6 else { throw JSONError(offset: escape, reason: "invalid escape") }
        var unit: UInt16 = 0
        for i in 2..<6 {
            let byte = bytes[pos + i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONError(offset: escape, reason: "invalid escape")
            }
            unit = unit << 4 | UInt16(digit)
        }
        pos += 6
        return unit
    }

    /// Moves past the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at `pos`
    /// (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    mutating func skipUTF8Sequence() throws(JSONError) {
        let lead = bytes[pos]
        let length: Int
        var secondLow: UInt8 = 0x80, secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: throw JSONError(offset: pos, reason: "invalid UTF-8")
        }
        guard bytes.count - pos >= length,
              (secondLow...secondHigh).contains(bytes[pos + 1])
        else { throw JSONError(offset: pos, reason: "invalid UTF-8") }
        for i in 2..<length where bytes[pos + i] & 0xC0 != 0x80 {
            throw JSONError(offset: pos, reason: "invalid UTF-8")
        }
        pos += length
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

// MARK: Numbers

extension JSONByteParser {
    /// Exact powers of ten: every one up to 1e22 is representable in a `Double`.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses the number starting at `pos` (a `-` or a digit), following the RFC 8259 grammar
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// When the decimal significand has at most 19 digits, is at most 2^53 and the power of ten
    /// is within ±22, one correctly rounded multiplication or division gives the correctly
    /// rounded result (Clinger's fast path). Otherwise the validated text goes to `Double(_:)`
    /// (strtod).
    mutating func parseNumber() throws(JSONError) -> Double {
        let start = pos
        let negative = bytes[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }

        var significand: UInt64 = 0
        var significantDigits = 0  // digits after the first non-zero one
        var fractionDigits = 0

        // Integer part.
        guard pos < bytes.count, let first = digit(at: pos) else { throw invalidNumber(start) }
        pos += 1
        if first == 0 {
            if pos < bytes.count, digit(at: pos) != nil { throw invalidNumber(start) }  // leading zero
        } else {
            significand = UInt64(first)
            significantDigits = 1
            while pos < bytes.count, let d = digit(at: pos) {
                significantDigits += 1
                if significantDigits <= 19 { significand = significand &* 10 &+ UInt64(d) }
                pos += 1
            }
        }
        // Plain integers of up to 15 digits: exact, no further work.
        if significantDigits <= 15, pos == bytes.count || !Self.continuesNumber(bytes[pos]) {
            let value = Double(significand)
            return negative ? -value : value
        }

        // Fraction.
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, digit(at: pos) != nil else { throw invalidNumber(start) }
            while pos < bytes.count, let d = digit(at: pos) {
                fractionDigits += 1
                if significand != 0 || d != 0 {
                    significantDigits += 1
                    if significantDigits <= 19 { significand = significand &* 10 &+ UInt64(d) }
                }
                pos += 1
            }
        }

        // Exponent.
        var exponent = 0
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            var exponentNegative = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") {
                exponentNegative = bytes[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < bytes.count, digit(at: pos) != nil else { throw invalidNumber(start) }
            while pos < bytes.count, let d = digit(at: pos) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(d) }  // saturate; strtod decides
                pos += 1
            }
            if exponentNegative { exponent = -exponent }
        }

        // Clinger's fast path.
        let power = exponent - fractionDigits
        if significantDigits <= 19, significand <= 1 << 53 {
            var value = Double(significand)
            var exact = true
            if significand == 0 {
                // 0, 0.000, 0e999: zero whatever the exponent.
            } else if power >= 0, power <= 22 {
                value *= Self.exactPowersOfTen[power]
            } else if power < 0, power >= -22 {
                value /= Self.exactPowersOfTen[-power]
            } else {
                exact = false
            }
            if exact { return negative ? -value : value }
        }

        // Slow path: the validated text, through strtod.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let value = Double(text) else { throw invalidNumber(start) }
        guard value.isFinite else { throw JSONError(offset: start, reason: "number out of range") }
        return value
    }

    @inline(__always)
    func digit(at index: Int) -> UInt8? {
        let d = bytes[index] &- UInt8(ascii: "0")
        return d < 10 ? d : nil
    }

    /// Whether `byte` can follow an integer part inside the same number.
    @inline(__always)
    static func continuesNumber(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e")
    }

    func invalidNumber(_ start: Int) -> JSONError {
        JSONError(offset: start, reason: "invalid number")
    }
}
