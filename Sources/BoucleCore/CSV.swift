import Foundation

/// Comma-separated values as spreadsheets write them (RFC 4180, and French Excel's `;`): pure,
/// bytes in and rows out.
///
/// Reading:
/// - Cells are separated by `,`, or by `;` when the header line holds more `;` than `,` outside
///   quotes (French Excel, where the comma is the decimal mark); rows end with CRLF or LF (the
///   last row may have no line end). A CR that is not followed by LF, outside quotes, is refused.
/// - A cell that starts with `"` is quoted: it ends at the next lone `"`, `""` inside stands for
///   one `"`, and it may hold separators, CR and LF. After its closing quote comes the separator,
///   a line end or the end of the file; anything else is refused. A `"` inside an unquoted cell
///   is kept as it is.
/// - A UTF-8 byte order mark at the very start is skipped (Excel writes one); cells must be UTF-8.
///   A UTF-16 file (Excel's "Unicode text") is refused with the way to save it as UTF-8.
/// - Every row has as many cells as the first one (the header), which has at most `maxColumns`.
///   A line with no bytes at all is skipped (it holds no cell).
/// - Streamed: `CSVReader` holds one chunk of the file and one row, whatever the file's size;
///   a cell holds at most `maxCellBytes`.
///
/// Writing, in a `CSVDialect`: a cell is quoted only when it contains `,` or `;` (either
/// separator, so that the header line always tells the reader which one), `"`, CR or LF (or when
/// it is the only cell of its row and empty, so that the row does not read back as a blank line).
///
///     var reader = try CSVReader(file)   // a `CSVByteSource` holding: id,title⏎1,"Courses, pain"⏎
///     try reader.next()  // CSVRow(line: 1, cells: ["id", "title"])
///     try reader.next()  // CSVRow(line: 2, cells: ["1", "Courses, pain"])
public enum CSV {
    /// The largest cell read: 64 KiB.
    public static let maxCellBytes = 64 * 1024
    /// The most cells a header may have.
    public static let maxColumns = 100

    /// Appends one row, ended as `dialect` ends rows, quoting the cells that need it.
    public static func appendRow(_ cells: [String], to out: inout [UInt8], dialect: CSVDialect = .standard) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { out.append(dialect.separator) }
            let utf8 = cell.utf8
            let needsQuotes = utf8.contains { $0 == comma || $0 == semicolon || $0 == quote || $0 == cr || $0 == lf }
                || (cells.count == 1 && utf8.isEmpty)
            guard needsQuotes else {
                out.append(contentsOf: utf8)
                continue
            }
            out.append(quote)
            for byte in utf8 {
                if byte == quote { out.append(quote) }
                out.append(byte)
            }
            out.append(quote)
        }
        out.append(contentsOf: dialect.lineEnd)
    }

    /// The bytes of `rows` in `dialect`, its byte order mark first if it has one.
    public static func encode(_ rows: [[String]], dialect: CSVDialect = .standard) -> [UInt8] {
        var out: [UInt8] = dialect.byteOrderMark ? byteOrderMark : []
        for row in rows { appendRow(row, to: &out, dialect: dialect) }
        return out
    }

    /// `cell` without the spaces and tabs around it (`CharacterSet.whitespaces`, no-break spaces
    /// included), as cells of numbers, ids and headers are read. A cell with none, the usual case,
    /// is returned as it is, without going through Foundation (every `White_Space` character that
    /// `.whitespaces` holds is `Character.isWhitespace`; a test compares both on random cells).
    public static func trimmed(_ cell: String) -> String {
        guard cell.first?.isWhitespace == true || cell.last?.isWhitespace == true else { return cell }
        return cell.trimmingCharacters(in: .whitespaces)
    }

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let quote = UInt8(ascii: "\"")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
}

/// How a file separates its cells and ends its rows: RFC 4180's way (`,`, LF), or French
/// Excel's (`;`, CRLF, a UTF-8 byte order mark), which it opens as columns.
public struct CSVDialect: Equatable, Sendable {
    public let separator: UInt8
    public let lineEnd: [UInt8]
    public let byteOrderMark: Bool

    public static let standard = CSVDialect(separator: CSV.comma, lineEnd: [CSV.lf], byteOrderMark: false)
    public static let excel = CSVDialect(separator: CSV.semicolon, lineEnd: [CSV.cr, CSV.lf], byteOrderMark: true)
}

/// One row of a CSV file and the 1-based line of the file it starts on (a quoted cell holding
/// line breaks makes a row span several lines).
public struct CSVRow: Equatable, Sendable {
    public let line: Int
    public let cells: [String]

    public init(line: Int, cells: [String]) {
        self.line = line
        self.cells = cells
    }
}

/// What is wrong with a CSV file, and on which line. Messages never quote a cell (it may be
/// personal data).
public enum CSVError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read to its end (a disk or permission error while reading).
    case unreadable
    /// The file is UTF-16 (Excel's "Unicode text"), not UTF-8.
    case utf16
    case cellTooLong(line: Int)
    /// A quoted cell opened on `line` is never closed.
    case unterminatedQuote(line: Int)
    case textAfterClosingQuote(line: Int)
    case bareCarriageReturn(line: Int)
    case invalidUTF8(line: Int)
    /// A row starting on `line` has `found` cells where the header has `expected`.
    case wrongCellCount(line: Int, expected: Int, found: Int)
    /// The header has more than `CSV.maxColumns` cells.
    case tooManyColumns

    public var description: String {
        switch self {
        case .unreadable:
            "the file could not be read to its end"
        case .utf16:
            "the file is UTF-16 (Excel's \"Unicode text\"): in Excel, save it as \"CSV UTF-8 (comma delimited)\" and import that file"
        case .cellTooLong(let line):
            "line \(line): a cell is longer than \(CSV.maxCellBytes / 1024) KiB"
        case .unterminatedQuote(let line):
            "line \(line): a quoted cell is never closed (a \" is missing)"
        case .textAfterClosingQuote(let line):
            "line \(line): text after the closing quote of a cell (write a \" inside a quoted cell as \"\")"
        case .bareCarriageReturn(let line):
            "line \(line): a carriage return without a line feed (save the file with CRLF or LF line ends)"
        case .invalidUTF8(let line):
            "line \(line): not valid UTF-8 (save the file as \"CSV UTF-8\")"
        case let .wrongCellCount(line, expected, found):
            found > expected
                ? "line \(line): more cells than the header's \(expected)"
                : "line \(line): \(found) \(found == 1 ? "cell" : "cells") where the header has \(expected)"
        case .tooManyColumns:
            "line 1: the header has more than \(CSV.maxColumns) columns"
        }
    }
}

/// Where a `CSVReader` reads its bytes from, one chunk at a time (`boucle import-csv`: the file
/// as it is read). Returns nil at the end.
public protocol CSVByteSource {
    mutating func nextChunk() throws(CSVError) -> [UInt8]?
}

/// Reads the rows of a CSV file one at a time (see `CSV` for the rules), holding only the
/// chunk being read and the row being built.
public struct CSVReader {
    private var source: any CSVByteSource
    /// The bytes read from the source and not yet consumed, from `index`.
    private var buffer: [UInt8] = []
    private var index = 0
    /// The line the next byte is on.
    private var line = 1
    /// Cells in the first row: every row must have as many.
    private var width: Int?
    /// `,` or `;`, as the header line says.
    public private(set) var separator = CSV.comma

    /// Refuses a UTF-16 file; skips a UTF-8 byte order mark; finds the separator in the header
    /// line.
    public init(_ source: some CSVByteSource) throws(CSVError) {
        self.source = source
        _ = try available(63)
        let start = buffer.prefix(64)
        // A UTF-16 byte order mark, or the zero bytes of UTF-16 text without one.
        guard !start.starts(with: [0xFF, 0xFE]), !start.starts(with: [0xFE, 0xFF]), !start.contains(0) else { throw .utf16 }
        index = start.starts(with: CSV.byteOrderMark) ? 3 : 0
        separator = try separatorOfHeader()
    }

    /// `;` when the header line (up to its first line end outside quotes, within
    /// `CSV.maxCellBytes`) holds more `;` than `,` outside quotes, else `,`.
    private mutating func separatorOfHeader() throws(CSVError) -> UInt8 {
        var commas = 0
        var semicolons = 0
        var quoted = false
        var offset = 0
        while offset < CSV.maxCellBytes, let byte = try peek(offset) {
            offset += 1
            switch byte {
            case CSV.quote: quoted.toggle()
            case CSV.lf where !quoted: return semicolons > commas ? CSV.semicolon : CSV.comma
            case CSV.comma where !quoted: commas += 1
            case CSV.semicolon where !quoted: semicolons += 1
            default: break
            }
        }
        return semicolons > commas ? CSV.semicolon : CSV.comma
    }

    /// True when the byte `offset` bytes ahead is in the buffer, reading chunks until it is or
    /// the source ends. Consumed bytes are dropped when a chunk is read.
    private mutating func available(_ offset: Int) throws(CSVError) -> Bool {
        while index + offset >= buffer.count {
            guard let chunk = try source.nextChunk() else { return false }
            buffer.removeFirst(index)
            index = 0
            buffer.append(contentsOf: chunk)
        }
        return true
    }

    /// The byte `offset` bytes ahead, or nil at the end of the file.
    private mutating func peek(_ offset: Int) throws(CSVError) -> UInt8? {
        try available(offset) ? buffer[index + offset] : nil
    }

    /// The next row, or nil at the end of the file.
    public mutating func next() throws(CSVError) -> CSVRow? {
        // Blank lines hold no cell.
        while let byte = try peek(0) {
            let after = try peek(1)
            guard byte == CSV.lf || (byte == CSV.cr && after == CSV.lf) else { break }
            index += byte == CSV.cr ? 2 : 1
            line += 1
        }
        guard try available(0) else { return nil }
        let start = line
        var cells: [String] = []
        while true {
            cells.append(try cell(rowLine: start))
            if let width, cells.count > width { throw .wrongCellCount(line: start, expected: width, found: cells.count) }
            if width == nil, cells.count > CSV.maxColumns { throw .tooManyColumns }
            guard let byte = try peek(0) else { break }
            if byte == separator {
                index += 1
                continue
            }
            // A line end: cell() stops only at a separator, a line end or the end.
            index += byte == CSV.cr ? 2 : 1
            line += 1
            break
        }
        if let width, cells.count != width {
            throw .wrongCellCount(line: start, expected: width, found: cells.count)
        }
        width = width ?? cells.count
        return CSVRow(line: start, cells: cells)
    }

    /// Reads one cell and stops at the separator, line end or end of file after it.
    private mutating func cell(rowLine: Int) throws(CSVError) -> String {
        var text: [UInt8] = []
        let opened = line
        if try peek(0) == CSV.quote {
            index += 1
            while true {
                guard let byte = try peek(0) else { throw .unterminatedQuote(line: opened) }
                index += 1
                if byte == CSV.quote {
                    if try peek(0) == CSV.quote {
                        index += 1
                    } else {
                        break
                    }
                }
                if byte == CSV.lf { line += 1 }
                text.append(byte)
                if text.count > CSV.maxCellBytes { throw .cellTooLong(line: rowLine) }
            }
            if try available(0), try !isCellEnd() { throw .textAfterClosingQuote(line: line) }
        } else {
            while try available(0), try !isCellEnd() {
                text.append(buffer[index])
                index += 1
                if text.count > CSV.maxCellBytes { throw .cellTooLong(line: rowLine) }
            }
        }
        guard let string = String(validating: text, as: UTF8.self) else { throw .invalidUTF8(line: opened) }
        return string
    }

    /// True at a separator or a line end; throws at a CR without LF. The byte at `index` is in
    /// the buffer.
    private mutating func isCellEnd() throws(CSVError) -> Bool {
        switch buffer[index] {
        case separator, CSV.lf: return true
        case CSV.cr:
            guard try peek(1) == CSV.lf else { throw .bareCarriageReturn(line: line) }
            return true
        default: return false
        }
    }
}
