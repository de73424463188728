import BoucleCore
import Foundation
import XCTest

/// The CSV codec (RFC 4180): one test per rule, whole error texts asserted, and a seeded round
/// trip of awkward cells.
final class CSVTests: XCTestCase {
    private func rows(_ text: String) throws(CSVError) -> [CSVRow] { try CSV.rows(Array(text.utf8)) }

    private func assertRefuses(_ bytes: [UInt8], _ expected: CSVError, _ description: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            let rows = try CSV.rows(bytes)
            XCTFail("accepted as \(rows)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
            XCTAssertEqual(error.description, description, file: file, line: line)
        }
    }

    private func assertRefuses(_ text: String, _ expected: CSVError, _ description: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        assertRefuses(Array(text.utf8), expected, description, file: file, line: line)
    }

    // MARK: Writing

    func testWriterQuotesOnlyCellsWithACommaAQuoteOrALineBreak() {
        let bytes = CSV.encode([
            ["plain", "Crème brûlée", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", ""],
        ])
        XCTAssertEqual(
            String(decoding: bytes, as: UTF8.self),
            "plain,Crème brûlée,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",\n"
        )
    }

    func testWriterEndsRowsWithLineFeeds() {
        XCTAssertEqual(String(decoding: CSV.encode([["a", "b"], ["c", "d"]]), as: UTF8.self), "a,b\nc,d\n")
    }

    func testWriterQuotesTheLoneEmptyCellOfARowSoItIsNotABlankLine() throws {
        let bytes = CSV.encode([["id"], [""], ["x"]])
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "id\n\"\"\nx\n")
        XCTAssertEqual(try CSV.rows(bytes).map(\.cells), [["id"], [""], ["x"]])
    }

    // MARK: Reading

    func testQuotedCellKeepsCommasAndDoubledQuotes() throws {
        XCTAssertEqual(try rows("a,\"b, c\",\"say \"\"hi\"\"\",\"\"\n"), [CSVRow(line: 1, cells: ["a", "b, c", "say \"hi\"", ""])])
    }

    func testQuoteInsideAnUnquotedCellIsKeptAsItIs() throws {
        XCTAssertEqual(try rows("a,5\" screen\n"), [CSVRow(line: 1, cells: ["a", "5\" screen"])])
    }

    func testEmbeddedNewlineStaysInItsCellAndLaterRowsKeepTheirFileLine() throws {
        XCTAssertEqual(try rows("id,details\n1,\"first\nsecond\r\nthird\"\n2,x\n"), [
            CSVRow(line: 1, cells: ["id", "details"]),
            CSVRow(line: 2, cells: ["1", "first\nsecond\r\nthird"]),
            CSVRow(line: 5, cells: ["2", "x"]),
        ])
    }

    func testCRLFLineEndsReadLikeLineFeeds() throws {
        XCTAssertEqual(try rows("a,b\r\n\"c\",d\r\n"), try rows("a,b\n\"c\",d\n"))
        XCTAssertEqual(try rows("a,b\r\n\"c\",d\r\n"), [CSVRow(line: 1, cells: ["a", "b"]), CSVRow(line: 2, cells: ["c", "d"])])
    }

    func testByteOrderMarkAtTheStartIsSkipped() throws {
        XCTAssertEqual(try CSV.rows([0xEF, 0xBB, 0xBF] + Array("id,title\r\n".utf8)), [CSVRow(line: 1, cells: ["id", "title"])])
    }

    func testLastRowNeedsNoLineEndAndATrailingCommaIsAnEmptyCell() throws {
        XCTAssertEqual(try rows("a,b,c\n1,2,"), [CSVRow(line: 1, cells: ["a", "b", "c"]), CSVRow(line: 2, cells: ["1", "2", ""])])
    }

    func testBlankLinesAreSkippedAndStillCounted() throws {
        XCTAssertEqual(try rows("a,b\n\n\r\n1,2\n\n"), [CSVRow(line: 1, cells: ["a", "b"]), CSVRow(line: 4, cells: ["1", "2"])])
        XCTAssertEqual(try rows(""), [])
    }

    func testSpacesAroundCellsAreKept() throws {
        XCTAssertEqual(try rows(" a , b \n"), [CSVRow(line: 1, cells: [" a ", " b "])])
    }

    // MARK: Refusing

    func testRowWithMoreCellsThanTheHeaderIsRefusedWithItsLine() {
        assertRefuses("a,b\n1,2\n\"x\ny\",2,3\n", .wrongCellCount(line: 3, expected: 2, found: 3),
                      "line 3: more cells than the header's 2")
    }

    func testRowWithFewerCellsThanTheHeaderIsRefusedWithItsLine() {
        assertRefuses("a,b,c\n1,2,3\n4\n", .wrongCellCount(line: 3, expected: 3, found: 1),
                      "line 3: 1 cell where the header has 3")
    }

    func testUnterminatedQuoteNamesTheLineItOpensOn() {
        assertRefuses("a,b\n1,\"never closed\n2,3\n", .unterminatedQuote(line: 2),
                      "line 2: a quoted cell is never closed (a \" is missing)")
    }

    func testTextAfterAClosingQuoteIsRefused() {
        assertRefuses("a,b\n\"x\"y,2\n", .textAfterClosingQuote(line: 2),
                      "line 2: text after the closing quote of a cell (write a \" inside a quoted cell as \"\")")
    }

    func testCarriageReturnWithoutLineFeedIsRefused() {
        assertRefuses("a,b\r1,2\n", .bareCarriageReturn(line: 1),
                      "line 1: a carriage return without a line feed (save the file with CRLF or LF line ends)")
    }

    func testCellsMustBeUTF8() {
        assertRefuses(Array("a,b\n1,caf".utf8) + [0xE9] + Array("\n".utf8), .invalidUTF8(line: 2),
                      "line 2: not valid UTF-8 (save the file as \"CSV UTF-8\")")
    }

    /// A row with more cells than the header is refused at its first extra cell (a line of a
    /// million separators does not grow a million cells), and a header over `CSV.maxColumns`.
    func testExtraCellsAndAnOversizedHeaderAreRefusedAsTheyComeIn() {
        assertRefuses("a,b\n1,2,3\n", .wrongCellCount(line: 2, expected: 2, found: 3), "line 2: more cells than the header's 2")
        assertRefuses("a,b\n" + String(repeating: ",", count: 1_000_000) + "\n", .wrongCellCount(line: 2, expected: 2, found: 3),
                      "line 2: more cells than the header's 2")
        XCTAssertEqual(try rows(String(repeating: "a,", count: CSV.maxColumns - 1) + "a\n").first?.cells.count, CSV.maxColumns)
        assertRefuses(String(repeating: "a,", count: CSV.maxColumns) + "a\n", .tooManyColumns, "line 1: the header has more than 100 columns")
    }

    /// A file read in chunks of 1 to 7 bytes (so that every CRLF, `""`, byte order mark and
    /// UTF-8 sequence is cut somewhere) reads as the same rows as in one piece, and fails the
    /// same way.
    func testRowsReadTheSameWhateverTheChunks() throws {
        let seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? 20_261_201
        print("CSVTests chunks seed \(seed) (replay with BOUCLE_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        let files = [
            CSV.encode([["id", "title", "lat"], ["1", "Courses; pain \"bio\"", "45,76"], ["", "é\r\nà", "🚲"]], dialect: .excel),
            CSV.encode([["a"], [""], ["x,y"]]),
            Array("a,b\r\n\r\n1,\"2\"\"\"\n\n".utf8),
            Array("a,b\n1,\"never closed\n".utf8),
            Array("a,b\n1,2\r3\n".utf8),
        ]
        for file in files {
            let whole = Result { () throws(CSVError) in try CSV.rows(file) }
            for _ in 0..<50 {
                var reader = try CSVReader(Chunks(file, sizes: { Int.random(in: 1...7, using: &rng) }))
                let chunked = Result { () throws(CSVError) in
                    var rows: [CSVRow] = []
                    while let row = try reader.next() { rows.append(row) }
                    return rows
                }
                XCTAssertEqual(chunked, whole, "seed \(seed): \(String(decoding: file, as: UTF8.self))")
            }
        }
    }
    func testCellOverSixtyFourKibibytesIsRefused() throws {
        let fits = String(repeating: "é", count: CSV.maxCellBytes / 2)
        XCTAssertEqual(try rows("a\n\"\(fits)\"\n").last?.cells, [fits])
        assertRefuses("a\nb\n\"" + fits + "x\"\n", .cellTooLong(line: 3), "line 3: a cell is longer than 64 KiB")
        assertRefuses("a\n" + fits + "x\n", .cellTooLong(line: 2), "line 2: a cell is longer than 64 KiB")
    }

    func testErrorsNeverQuoteACell() {
        let secret = "06 39 98 12 34"
        for text in ["a,b\n\(secret)\n", "a\n\"\(secret)\n", "a\n\"\(secret)\"x\n"] {
            do {
                _ = try rows(text)
                XCTFail("accepted \(text)")
            } catch {
                XCTAssertFalse(error.description.contains(secret), error.description)
            }
        }
    }

    // MARK: French Excel

    /// A header with more `;` than `,` outside quotes makes `;` the separator; commas are then
    /// text (decimal commas), and a quoted `;` stays in its cell.
    func testSemicolonsInTheHeaderMakeThemTheSeparator() throws {
        let read = try rows("id;title;lat\r\n1;\"Courses; pain\";45,76\r\n")
        XCTAssertEqual(read.map(\.cells), [["id", "title", "lat"], ["1", "Courses; pain", "45,76"]])
        XCTAssertEqual(try rows("id,\"a;b;c\",lat\n1,2,3\n").map(\.cells), [["id", "a;b;c", "lat"], ["1", "2", "3"]])
    }

    /// `.excel` writes a byte order mark, `;`, CRLF; a cell with either separator is quoted.
    func testExcelDialectWritesWhatFrenchExcelOpensAsColumns() {
        let bytes = CSV.encode([["id", "lat", "title"], ["1", "45,76", "a;b"]], dialect: .excel)
        XCTAssertEqual(bytes, [0xEF, 0xBB, 0xBF] + Array("id;lat;title\r\n1;\"45,76\";\"a;b\"\r\n".utf8))
    }

    /// UTF-16 (Excel's "Unicode text"), with or without a byte order mark, is refused with the fix.
    func testUTF16IsRefusedWithTheWayToSaveAsUTF8() {
        let message = "the file is UTF-16 (Excel's \"Unicode text\"): in Excel, save it as \"CSV UTF-8 (comma delimited)\" and import that file"
        let text = "id\ttitle\r\n"
        assertRefuses([0xFF, 0xFE] + Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, .utf16, message)
        assertRefuses(Array(text.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, .utf16, message)
    }

    // MARK: Round trip

    /// Rows of awkward cells (commas, quotes, CR, LF, accents, empty cells) read back equal.
    func testWrittenRowsReadBackEqual() throws {
        let seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? 20_261_102
        print("CSVTests round trip seed \(seed) (replay with BOUCLE_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        let pieces = ["a", "é", ",", ";", "\"", "\n", "\r\n", "\r", " ", "Lyon", "🚲", "\"\"", ""]
        for _ in 0..<200 {
            let width = Int.random(in: 1...6, using: &rng)
            let table = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                (0..<width).map { _ in
                    (0..<Int.random(in: 0...5, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "" }.joined()
                }
            }
            for dialect in [CSVDialect.standard, .excel] {
                let bytes = CSV.encode(table, dialect: dialect)
                XCTAssertEqual(try CSV.rows(bytes).map(\.cells), table, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    /// `CSV.trimmed`'s shortcut gives what Foundation's trimming gives, on random cells of
    /// spaces, tabs, no-break and other Unicode spaces, line breaks, combining marks and text.
    func testTrimmedEqualsFoundationsTrimming() {
        let seed = ProcessInfo.processInfo.environment["BOUCLE_SEED"].flatMap(UInt64.init) ?? 20_261_202
        print("CSVTests trimming seed \(seed) (replay with BOUCLE_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        let pieces = [" ", "\t", "\u{A0}", "\u{2009}", "\u{3000}", "\n", "\r\n", "\u{301}", "a", "45,76", "é", "🚲", ""]
        for _ in 0..<2_000 {
            let cell = (0..<Int.random(in: 0...5, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "" }.joined()
            XCTAssertEqual(CSV.trimmed(cell), cell.trimmingCharacters(in: .whitespaces), "seed \(seed): \(cell.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}

/// Bytes handed out in chunks of the sizes `sizes` draws.
private struct Chunks: CSVByteSource {
    private var rest: ArraySlice<UInt8>
    private let sizes: () -> Int

    init(_ bytes: [UInt8], sizes: @escaping () -> Int) {
        rest = bytes[...]
        self.sizes = sizes
    }

    mutating func nextChunk() throws(CSVError) -> [UInt8]? {
        guard !rest.isEmpty else { return nil }
        let chunk = Array(rest.prefix(sizes()))
        rest = rest.dropFirst(chunk.count)
        return chunk
    }
}

/// Bytes already in memory, as one chunk.
private struct BytesInMemory: CSVByteSource {
    var bytes: [UInt8]?

    mutating func nextChunk() throws(CSVError) -> [UInt8]? {
        defer { bytes = nil }
        return bytes
    }
}

extension CSV {
    /// Every row of `bytes`, the header first.
    static func rows(_ bytes: [UInt8]) throws(CSVError) -> [CSVRow] {
        var reader = try CSVReader(BytesInMemory(bytes: bytes))
        var rows: [CSVRow] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }
}
