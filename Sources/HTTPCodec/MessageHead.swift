/// The lines of a complete head: a start line, header field lines, and the final empty line.
///
/// Lines end at LF; one CR before the LF is part of the line ending, any other CR is part of the
/// line (and refused by whoever checks its characters).
struct HeadLines: IteratorProtocol {
    private var rest: ArraySlice<UInt8>

    init(_ head: ArraySlice<UInt8>) {
        rest = head
    }

    mutating func next() -> ArraySlice<UInt8>? {
        guard let lf = rest.firstIndex(of: ASCII.lf) else { return nil }
        var line = rest[rest.startIndex..<lf]
        if line.last == ASCII.cr { line = line.dropLast() }
        rest = rest[(lf + 1)...]
        return line
    }
}

/// The rules about header fields that requests and responses share (RFC 9112 §5, §6).
enum HeaderRules {
    /// Parses the field lines that follow a start line, up to the empty line.
    static func parseFields(_ lines: inout HeadLines, maxCount: Int) throws(HTTPParseError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        while let line = lines.next(), !line.isEmpty {
            guard headers.count < maxCount else { throw .tooManyHeaders }
            let (name, value) = try parseField(line)
            headers.add(name, value)
        }
        return headers
    }

    /// `field-line = field-name ":" OWS field-value OWS`, where the name is a token with nothing
    /// between it and the colon, and the value has no control character but HTAB. A line starting
    /// with whitespace is an obsolete folded continuation (obs-fold) and is refused.
    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let colon = line.firstIndex(of: ASCII.colon) else { throw .invalidHeader }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenByte) else { throw .invalidHeader }
        let value = ASCII.trimmingWhitespace(line[(colon + 1)...])
        guard value.allSatisfy(ASCII.isFieldValueByte), let valueString = ASCII.string(value) else {
            throw .invalidHeader
        }
        return (String(decoding: name, as: UTF8.self), valueString)
    }

    /// The body length the `Content-Length` fields declare, or nil when there is none.
    ///
    /// Each value must be one or more decimal digits (no sign, no list, no inner space) that fit
    /// in an `Int`. Several fields are accepted when they all give the same length
    /// (RFC 9110 §8.6), and refused as conflicting otherwise.
    static func contentLength(_ headers: HTTPHeaders) throws(HTTPParseError) -> Int? {
        var length: Int?
        for value in headers.values("Content-Length") {
            let parsed = try parseDecimal(value)
            if let length, length != parsed { throw .conflictingContentLength }
            length = parsed
        }
        return length
    }

    private static func parseDecimal(_ text: String) throws(HTTPParseError) -> Int {
        guard !text.utf8.isEmpty else { throw .invalidContentLength }
        var value = 0
        for byte in text.utf8 {
            guard ASCII.isDigit(byte) else { throw .invalidContentLength }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - ASCII.zero))
            guard !overflow1, !overflow2 else { throw .invalidContentLength }
            value = sum
        }
        return value
    }

    /// The minor version of `HTTP/1.0` or `HTTP/1.1`. Another well-formed `HTTP/d.d` is
    /// `unsupportedVersion`; anything else is `malformed`.
    static func parseVersion(_ bytes: ArraySlice<UInt8>, malformed: HTTPParseError) throws(HTTPParseError) -> Int {
        let prefix = "HTTP/".utf8
        guard bytes.count == 8, bytes.starts(with: prefix) else { throw malformed }
        let major = bytes[bytes.startIndex + 5], dot = bytes[bytes.startIndex + 6], minor = bytes[bytes.startIndex + 7]
        guard ASCII.isDigit(major), dot == ASCII.dot, ASCII.isDigit(minor) else { throw malformed }
        guard major == ASCII.zero + 1, minor == ASCII.zero || minor == ASCII.zero + 1 else { throw .unsupportedVersion }
        return Int(minor - ASCII.zero)
    }
}
