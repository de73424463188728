/// Writes JSON in one canonical form, so equal values always give equal bytes (hashes and golden
/// files depend on it).
///
/// - Object keys are sorted by their UTF-8 bytes.
/// - Strings escape only `"`, `\` and control characters (`\n \r \t \b \f`, others as `\u00XX`);
///   everything else, `/` and non-ASCII included, is written as raw UTF-8.
/// - Numbers are written as RFC 8785 (JSON Canonicalization Scheme, §3.2.2.3) writes them, which
///   is ECMAScript's `Number.prototype.toString`: the shortest digits that read back to the same
///   double, without exponent from 1e-6 up to below 1e21 (`0.000001`, `45.7627`,
///   `100000000000000000000`), with one otherwise (`1e-7`, `1.5e+21`); `-0` is `0`.
/// - Compact output has no whitespace; pretty output indents by two spaces, writes `"key": value`,
///   one member or element per line, `[]` and `{}` for empty containers, and no final newline.
///
/// Numbers must be finite: `JSONValue.number(.nan)` or an infinity is a programming error and traps.
public enum JSONWriter {
    /// Appends `s` quoted and escaped.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            out.reserveCapacity(out.count + utf8.count + 2)
            out.append(UInt8(ascii: "\""))
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                appendEscape(byte, to: &out)
                runStart = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Appends `x` in canonical form. Precondition: `x` is finite.
    public static func appendNumber(_ x: Double, to out: inout [UInt8]) {
        precondition(x.isFinite, "JSON cannot represent \(x)")
        if x.rounded(.towardZero) == x, x.magnitude < 9_007_199_254_740_992 {
            appendInteger(Int64(x), to: &out)
            return
        }
        if x < 0 { out.append(UInt8(ascii: "-")) }
        let (digits, point) = shortestDigits(x.magnitude)
        let k = digits.count
        let zero = UInt8(ascii: "0")
        switch point {
        case k...21:
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(zero, count: point - k))
        case 1...21:
            out.append(contentsOf: digits[..<point])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[point...])
        case -5...0:
            out.append(contentsOf: [zero, UInt8(ascii: ".")])
            out.append(contentsOf: repeatElement(zero, count: -point))
            out.append(contentsOf: digits)
        default:
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(contentsOf: "e\(point - 1 < 0 ? "-" : "+")\((point - 1).magnitude)".utf8)
        }
    }

    /// The shortest decimal digits of a positive finite `x` that read back to it (without
    /// leading or trailing zeros), and `point`: x = 0.d1d2…dk × 10^point. Swift's `description`
    /// gives the shortest round-trip digits; only their layout is read off it here.
    static func shortestDigits(_ x: Double) -> (digits: [UInt8], point: Int) {
        let text = Array(x.description.utf8)
        let e = text.firstIndex(of: UInt8(ascii: "e"))
        let mantissa = text[..<(e ?? text.endIndex)]
        let exponent = e.flatMap { Int(String(decoding: text[($0 + 1)...], as: UTF8.self)) } ?? 0
        var digits = mantissa.filter { $0 != UInt8(ascii: ".") }
        var point = (mantissa.firstIndex(of: UInt8(ascii: ".")) ?? mantissa.endIndex) - mantissa.startIndex + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, point)
    }

    /// The canonical encoding of `value`; `pretty` indents it, from `indent` levels in (for an
    /// element of an array written piece by piece).
    public static func encode(_ value: JSONValue, pretty: Bool = false, indent: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, pretty: pretty, indent: indent, to: &out)
        return out
    }

    /// The canonical encoding of `value`, as a `String`.
    public static func string(_ value: JSONValue, pretty: Bool = false, indent: Int = 0) -> String {
        String(decoding: encode(value, pretty: pretty, indent: indent), as: UTF8.self)
    }

    // MARK: Internals

    private static func append(_ value: JSONValue, pretty: Bool, indent: Int, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let x): appendNumber(x, to: &out)
        case .string(let s): appendString(s, to: &out)
        case .array(let elements):
            guard !elements.isEmpty else {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent: indent + 1, to: &out) }
                append(element, pretty: pretty, indent: indent + 1, to: &out)
            }
            if pretty { newline(indent: indent, to: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            // By UTF-8 bytes, not String's `<` (which compares canonical equivalents as equal).
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, member) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent: indent + 1, to: &out) }
                appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                append(member.value, pretty: pretty, indent: indent + 1, to: &out)
            }
            if pretty { newline(indent: indent, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(indent: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }
    }

    /// Appends the decimal digits of `n` without going through `String`.
    private static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
    }
}
