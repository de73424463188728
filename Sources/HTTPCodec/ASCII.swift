/// The bytes and byte classes of HTTP/1.1's grammar (RFC 9110 §5.6, RFC 9112), by name.
///
/// Everything here works on raw `UInt8`s so that the parsers never build a `String` to decide
/// anything: strings are made once, from bytes already known to be valid.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let ampersand: UInt8 = 0x26
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let question: UInt8 = 0x3F

    /// `tchar` (RFC 9110 §5.6.2): the characters of a method or a header field name.
    /// `!#$%&'*+-.^_`|~`, digits and letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true  // DIGIT, ALPHA
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E: return true  // ! # $ % & ' * + - .
        case 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true  // ^ _ ` | ~
        default: return false
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Optional whitespace (`OWS`): space or horizontal tab.
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// A byte allowed in a field value or a reason phrase: HTAB, SP, VCHAR, obs-text.
    /// Every other control character (NUL, a bare CR, DEL, …) is refused.
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// A byte allowed in a request target as received: visible ASCII except `#` (a fragment is
    /// never sent in a request). Spaces, controls and raw non-ASCII bytes must be percent-encoded.
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != hash
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// The value of a hexadecimal digit, either case.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// Compares two names ASCII-case-insensitively, without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }

    /// Compares bytes to a lowercase ASCII literal, ASCII-case-insensitively.
    static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, lowercase literal: String) -> Bool {
        let literal = literal.utf8
        guard bytes.count == literal.count else { return false }
        return zip(bytes, literal).allSatisfy { lowercased($0) == $1 }
    }

    /// `bytes` without the optional whitespace at either end.
    static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// Makes a `String` from bytes already checked against one of the classes above: ASCII bytes
    /// take the fast path; anything else must be valid UTF-8, or the answer is nil.
    static func string(_ bytes: ArraySlice<UInt8>) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }
}
