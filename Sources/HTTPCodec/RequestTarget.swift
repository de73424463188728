/// The decoded parts of an origin-form request target (`/path?query`, RFC 9112 §3.2.1).
///
/// Invariants: `path` is the part before the first `?`, percent-decoded (a `+` stays a `+`);
/// `query` maps each `&`-separated `name=value` (or bare `name`, with an empty value) to its
/// value, percent-decoded with `+` as a space; when a name repeats, the last value wins; empty
/// parts (`a=1&&b=2`) are skipped. Decoded text is valid UTF-8 without NUL.
/// The path is not normalized: `/a/../b` stays as it is, and a router must not map it to files.
struct RequestTarget: Equatable {
    var path: String
    var query: [String: String]

    /// Decodes a target already checked to be visible ASCII starting with `/`.
    init(decoding target: ArraySlice<UInt8>) throws(HTTPParseError) {
        let questionMark = target.firstIndex(of: ASCII.question)
        let pathBytes = target[target.startIndex..<(questionMark ?? target.endIndex)]
        guard let path = Self.percentDecoded(pathBytes, plusIsSpace: false) else { throw .invalidTarget }
        self.path = path
        query = [:]
        guard let questionMark else { return }
        for part in target[(questionMark + 1)...].split(separator: ASCII.ampersand, omittingEmptySubsequences: true) {
            let equals = part.firstIndex(of: ASCII.equals)
            let nameBytes = part[part.startIndex..<(equals ?? part.endIndex)]
            let valueBytes = equals.map { part[($0 + 1)...] } ?? []
            guard let name = Self.percentDecoded(nameBytes, plusIsSpace: true),
                  let value = Self.percentDecoded(valueBytes, plusIsSpace: true)
            else { throw .invalidTarget }
            query[name] = value
        }
    }

    /// `%XX` escapes decoded (two hex digits, either case), and `+` as a space when asked.
    /// Nil when an escape is malformed or the result has a NUL or is not UTF-8.
    static func percentDecoded(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.percent {
                guard index + 2 < bytes.endIndex,
                      let high = ASCII.hexValue(bytes[index + 1]), let low = ASCII.hexValue(bytes[index + 2])
                else { return nil }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(plusIsSpace && byte == ASCII.plus ? ASCII.space : byte)
                index += 1
            }
        }
        guard !decoded.contains(0) else { return nil }
        return ASCII.string(decoded[...])
    }
}
