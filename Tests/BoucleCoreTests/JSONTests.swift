import BoucleCore
import Foundation
import XCTest

/// JSONParser and JSONWriter: RFC 8259 strictness, exact error texts, canonical output, and a
/// seeded mutation test that the parser never crashes.
final class JSONTests: XCTestCase {
    private func parse(_ text: String, maxDepth: Int = 32) throws -> JSONValue {
        try JSONParser.parse(text, maxDepth: maxDepth)
    }

    private func assertRejects(
        _ bytes: [UInt8], _ description: String, maxDepth: Int = 32,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let value = try JSONParser.parse(bytes, maxDepth: maxDepth)
            XCTFail("accepted \(bytes) as \(value)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, description, file: file, line: line)
        }
    }

    private func assertRejects(
        _ text: String, _ description: String, maxDepth: Int = 32,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertRejects(Array(text.utf8), description, maxDepth: maxDepth, file: file, line: line)
    }

    // MARK: Accepting

    func testParsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, true, false, null], "b": {"c": "d"}, "e": 1e3} "#)
        XCTAssertEqual(value, .object([
            "a": .array([.number(1), .number(-2.5), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
            "e": .number(1000),
        ]))
        XCTAssertEqual(value["b"]?["c"]?.stringValue, "d")
        XCTAssertEqual(value["a"]?.arrayValue?.count, 5)
        XCTAssertEqual(value["a"]?.arrayValue?[2].boolValue, true)
        XCTAssertEqual(value["e"]?.numberValue, 1000)
        XCTAssertEqual(value.objectValue?.count, 3)
        XCTAssertNil(value["missing"])
        XCTAssertNil(JSONValue.array([])["a"])
        XCTAssertNil(JSONValue.null.stringValue)
    }

    func testScalarsAreValidDocumentsWithSurroundingWhitespace() throws {
        XCTAssertEqual(try parse(" \t\r\n42\n"), .number(42))
        XCTAssertEqual(try parse("\"x\""), .string("x"))
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse("[ ]"), .array([]))
        XCTAssertEqual(try parse("{ }"), .object([:]))
    }

    func testEveryEntryPointParsesTheSameBytes() throws {
        let bytes = Array("xx[1,\"two\"]yy".utf8)
        let expected = JSONValue.array([.number(1), .string("two")])
        XCTAssertEqual(try JSONParser.parse(bytes[2..<(bytes.count - 2)]), expected)
        XCTAssertEqual(try JSONParser.parse(Array(bytes[2..<(bytes.count - 2)])), expected)
        try bytes.withUnsafeBytes { raw in
            XCTAssertEqual(try JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[2..<(raw.count - 2)])), expected)
        }
        // Offsets in errors count from the slice's start.
        XCTAssertThrowsError(try JSONParser.parse(bytes[1...])) { error in
            XCTAssertEqual(error as? JSONError, JSONError(offset: 0, reason: "expected a value"))
        }
    }

    func testEscapesDecode() throws {
        XCTAssertEqual(
            try parse(#""\" \\ \/ \b \f \n \r \t \u00e9 \u0041 \u20AC""#),
            .string("\" \\ / \u{8} \u{c} \n \r \t é A €"))
    }

    func testSurrogatePairDecodesToOneScalar() throws {
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse(#""a\uD834\uDD1Eb""#), .string("a𝄞b"))
    }

    func testNumbersFollowTheGrammar() throws {
        let table: [(String, Double)] = [
            ("0", 0), ("-0", 0), ("7", 7), ("-12", -12), ("0.5", 0.5), ("-0.0", 0),
            ("1e2", 100), ("1E2", 100), ("1e+2", 100), ("1e-2", 0.01), ("2.5E-3", 0.0025),
            ("123456789012345", 123_456_789_012_345), ("9007199254740993", 9_007_199_254_740_992),
            ("48.8566", 48.8566), ("1e308", 1e308), ("1e-400", 0), ("0e999999999999", 0),
            ("4.9e-324", .leastNonzeroMagnitude), ("0.1", 0.1), ("1.7976931348623157e308", 1.7976931348623157e308),
        ]
        for (text, expected) in table {
            XCTAssertEqual(try parse(text), .number(expected), text)
        }
        XCTAssertEqual(try parse("-0").numberValue?.sign, .minus)
    }

    func testFastNumberPathAgreesWithStrtod() throws {
        var rng = SeededGenerator(seed: Self.seed(#function))
        for _ in 0..<20_000 {
            let integer = rng.next() % 1_000_000_000_000
            let fraction = rng.next() % 10_000_000
            let exponent = Int(rng.next() % 61) - 30
            let sign = rng.next() % 2 == 0 ? "" : "-"
            let forms = [
                "\(sign)\(integer)",
                "\(sign)\(integer).\(fraction)",
                "\(sign)\(integer % 1000).\(fraction)e\(exponent)",
                "\(sign)0.\(String(repeating: "0", count: Int(rng.next() % 25)))\(fraction)",
            ]
            for text in forms {
                let expected = try XCTUnwrap(Double(text), text)
                XCTAssertEqual(try parse(text).numberValue?.bitPattern, expected.bitPattern, text)
            }
        }
    }

    func testDepthUpToMaxDepthIsAccepted() throws {
        let depth32 = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        XCTAssertNoThrow(try parse(depth32))
        XCTAssertNoThrow(try parse(#"{"a":{"b":[]}}"#, maxDepth: 3))
        XCTAssertEqual(try parse("1", maxDepth: 0), .number(1))
    }

    // MARK: Rejecting, with exact error texts

    func testTruncatedInputIsUnexpectedEnd() {
        assertRejects("", "invalid JSON at byte 0: unexpected end of input")
        assertRejects("   ", "invalid JSON at byte 3: unexpected end of input")
        assertRejects("[1,", "invalid JSON at byte 3: unexpected end of input")
        assertRejects("[1", "invalid JSON at byte 2: unexpected end of input")
        assertRejects(#"{"a""#, "invalid JSON at byte 4: unexpected end of input")
        assertRejects(#"{"a":"#, "invalid JSON at byte 5: unexpected end of input")
        assertRejects("{", "invalid JSON at byte 1: unexpected end of input")
    }

    func testTrailingCharactersAreRejected() {
        assertRejects("1 2", "invalid JSON at byte 2: trailing characters")
        assertRejects("{} x", "invalid JSON at byte 3: trailing characters")
        assertRejects("nullx", "invalid JSON at byte 4: trailing characters")
        assertRejects("[]]", "invalid JSON at byte 2: trailing characters")
        assertRejects("\u{FEFF}1", "invalid JSON at byte 0: expected a value")  // no BOM
    }

    func testDuplicateKeyIsRejectedAtTheRepeatedKey() {
        assertRejects(#"{"x":1,"x":2}"#, #"invalid JSON at byte 7: duplicate key "x""#)
        assertRejects(#"{"a":{"x\n":1, "x\n":2}}"#, #"invalid JSON at byte 15: duplicate key "x\n""#)
        let long = String(repeating: "k", count: 50)
        assertRejects(
            "{\"\(long)\":1,\"\(long)\":2}",
            "invalid JSON at byte 56: duplicate key \"\(String(repeating: "k", count: 40))…\"")
    }

    func testNestingDeeperThanMaxDepthIsRejected() {
        let depth33 = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        assertRejects(depth33, "invalid JSON at byte 32: nesting too deep")
        assertRejects(#"{"a":{"b":[]}}"#, "invalid JSON at byte 10: nesting too deep", maxDepth: 2)
        assertRejects("[]", "invalid JSON at byte 0: nesting too deep", maxDepth: 0)
        // Far deeper than the limit: stops at the limit, no stack overflow.
        assertRejects(String(repeating: "[", count: 100_000), "invalid JSON at byte 32: nesting too deep")
    }

    func testInvalidUTF8InStringsIsRejected() {
        let quote = UInt8(ascii: "\"")
        let cases: [[UInt8]] = [
            [0x80],  // lone continuation byte
            [0xC0, 0x80],  // overlong NUL
            [0xC1, 0xBF],  // overlong
            [0xE0, 0x80, 0x80],  // overlong three-byte
            [0xED, 0xA0, 0x80],  // encoded surrogate U+D800
            [0xF0, 0x80, 0x80, 0x80],  // overlong four-byte
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0xFF],
            [0xE2, 0x82],  // truncated, then the closing quote
            [0xE2, 0x28, 0xA1],  // bad continuation
        ]
        for bad in cases {
            assertRejects([quote, 0x61] + bad + [quote], "invalid JSON at byte 2: invalid UTF-8")
        }
        assertRejects([0x5B, 0xFF, 0x5D], "invalid JSON at byte 1: expected a value")
    }

    func testValidUTF8InStringsIsKept() throws {
        let text = "\"é € 😀 \u{10FFFF} \u{FFFD}\""
        XCTAssertEqual(try JSONParser.parse(Array(text.utf8)), .string("é € 😀 \u{10FFFF} \u{FFFD}"))
    }

    func testUnescapedControlCharactersAreRejected() {
        assertRejects("\"a\u{1}\"", "invalid JSON at byte 2: unescaped control character")
        assertRejects("\"a\nb\"", "invalid JSON at byte 2: unescaped control character")
        assertRejects("\"\t\"", "invalid JSON at byte 1: unescaped control character")
        XCTAssertEqual(try parse("\"\u{7F}\""), .string("\u{7F}"))  // DEL is not a control here
    }

    func testInvalidEscapesAreRejected() {
        assertRejects(#""ab\x""#, "invalid JSON at byte 3: invalid escape")
        assertRejects(#""\a""#, "invalid JSON at byte 1: invalid escape")
        assertRejects(#""\u12G4""#, "invalid JSON at byte 1: invalid escape")
        assertRejects(#""\u12""#, "invalid JSON at byte 1: invalid escape")
        assertRejects(#""\U0041""#, "invalid JSON at byte 1: invalid escape")
        assertRejects("\"\\\u{e9}\"", "invalid JSON at byte 1: invalid escape")
    }

    func testUnpairedOrMisorderedSurrogatesAreRejected() {
        assertRejects(#""\ud83d""#, "invalid JSON at byte 1: unpaired surrogate")
        assertRejects(#""\ud83dx""#, "invalid JSON at byte 1: unpaired surrogate")
        assertRejects(#""\ude00""#, "invalid JSON at byte 1: unpaired surrogate")
        assertRejects(#""\ude00\ud83d""#, "invalid JSON at byte 1: unpaired surrogate")
        assertRejects(#""x\ud83d\ud83d""#, "invalid JSON at byte 2: unpaired surrogate")
        assertRejects(#""\ud83d\u0041""#, "invalid JSON at byte 1: unpaired surrogate")
        assertRejects(#""\ud83d\u00""#, "invalid JSON at byte 7: invalid escape")
    }

    func testUnterminatedStringIsRejectedAtItsOpeningQuote() {
        assertRejects(#"["abc"#, "invalid JSON at byte 1: unterminated string")
        assertRejects(#""abc\"#, "invalid JSON at byte 0: unterminated string")
        assertRejects(#""abc\""#, "invalid JSON at byte 0: unterminated string")
    }

    func testNumbersOutsideTheGrammarAreRejected() {
        let invalid = ["01", "-01", "00", "+1", ".5", "1.", "-", "-a", "1.e5", "1e", "1e+", "1E-", "-.5",
                       "0x10", "1.5e", "- 1"]
        for text in invalid {
            let offset = text == "0x10" ? 1 : 0
            let reason = text == "0x10" ? "trailing characters" : "invalid number"
            assertRejects(text, "invalid JSON at byte \(offset): \(reason)")
        }
        assertRejects("[1, 01]", "invalid JSON at byte 4: invalid number")
        assertRejects("[.5]", "invalid JSON at byte 1: invalid number")
        assertRejects("NaN", "invalid JSON at byte 0: expected a value")
        assertRejects("Infinity", "invalid JSON at byte 0: expected a value")
        assertRejects("-Infinity", "invalid JSON at byte 0: invalid number")
        assertRejects("[nan]", "invalid JSON at byte 1: invalid literal")
    }

    func testNumbersThatOverflowAreRejected() {
        assertRejects("1e309", "invalid JSON at byte 0: number out of range")
        assertRejects("[-1e400]", "invalid JSON at byte 1: number out of range")
        assertRejects("1" + String(repeating: "0", count: 400), "invalid JSON at byte 0: number out of range")
    }

    func testBadLiteralsAndPunctuationAreRejected() {
        assertRejects("tru", "invalid JSON at byte 0: invalid literal")
        assertRejects("True", "invalid JSON at byte 0: expected a value")
        assertRejects("[nul]", "invalid JSON at byte 1: invalid literal")
        assertRejects("[1 2]", "invalid JSON at byte 3: expected ',' or ']'")
        assertRejects("[1,]", "invalid JSON at byte 3: expected a value")
        assertRejects("[,1]", "invalid JSON at byte 1: expected a value")
        assertRejects(#"{"a" 1}"#, "invalid JSON at byte 5: expected ':'")
        assertRejects(#"{"a":1 "b":2}"#, "invalid JSON at byte 7: expected ',' or '}'")
        assertRejects(#"{"a":1,}"#, "invalid JSON at byte 7: expected a string key")
        assertRejects("{a:1}", "invalid JSON at byte 1: expected a string key")
        assertRejects("{'a':1}", "invalid JSON at byte 1: expected a string key")
        assertRejects("[1]\u{0}", "invalid JSON at byte 3: trailing characters")
    }

    // MARK: Writing

    func testTrickyStringsRoundTrip() throws {
        let strings = [
            "", "plain", "😀👩‍👩‍👧", "\u{0}", "nul\u{0}inside", "\"quoted\"", "back\\slash", "\u{2028}\u{2029}",
            "tab\tnew\nline\rcr", "\u{1}\u{1F}\u{7F}", "a/b", "é (e\u{301})", "\u{10FFFF}", "\u{FEFF}bom",
        ]
        for s in strings {
            let encoded = JSONWriter.encode(.string(s))
            let decoded = try JSONParser.parse(encoded)
            XCTAssertEqual(decoded.stringValue.map { Array($0.utf8) }, Array(s.utf8), s)
        }
    }

    func testStringsEscapeOnlyQuotesBackslashesAndControls() {
        let table: [(String, String)] = [
            ("a\"b", #""a\"b""#),
            ("a\\b", #""a\\b""#),
            ("\n\r\t\u{8}\u{C}", #""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
            ("a/b", #""a/b""#),
            ("é😀\u{2028}\u{7F}", "\"é😀\u{2028}\u{7F}\""),
        ]
        for (input, expected) in table {
            var out: [UInt8] = []
            JSONWriter.appendString(input, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected)
        }
    }

    /// RFC 8785 §3.2.2.3 (ECMAScript's Number.prototype.toString), with values from its
    /// appendix B and from ECMAScript engines.
    func testNumbersAreWrittenCanonically() {
        let table: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (3, "3"), (-12, "-12"), (1e15, "1000000000000000"),
            (9_007_199_254_740_991, "9007199254740991"), (-9_007_199_254_740_991, "-9007199254740991"),
            (9_007_199_254_740_992, "9007199254740992"), (1e16, "10000000000000000"), (1e20, "100000000000000000000"),
            (1e21, "1e+21"), (1.5e21, "1.5e+21"), (123e18, "123000000000000000000"),
            (48.8566, "48.8566"), (-2.5, "-2.5"), (0.1, "0.1"), (1e+300, "1e+300"),
            (0.000001, "0.000001"), (0.00001, "0.00001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (-4.35e-7, "-4.35e-7"),
            (0.000123, "0.000123"), (123.456, "123.456"), (333333333.3333332, "333333333.3333332"),
            (.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (4.50, "4.5"), (2e-7, "2e-7"), (295147905179352830000, "295147905179352830000"),
        ]
        for (x, expected) in table {
            var out: [UInt8] = []
            JSONWriter.appendNumber(x, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "\(x)")
            XCTAssertEqual(try JSONParser.parse(out).numberValue, x, expected)
        }
    }

    func testCompactOutputSortsKeysByUTF8Bytes() {
        let value = JSONValue.object([
            "b": .number(1), "a": .array([.null, .bool(true)]), "é": .string("x"), "Z": .object([:]),
            "aa": .array([]), "\u{FFFD}": .bool(false), "😀": .null,
        ])
        XCTAssertEqual(
            JSONWriter.string(value),
            #"{"Z":{},"a":[null,true],"aa":[],"b":1,"é":"x","�":false,"😀":null}"#)
    }

    func testPrettyOutputMatchesGolden() {
        let value = JSONValue.object([
            "name": .string("Ada"),
            "tags": .array([.string("a"), .number(2), .object(["k": .null])]),
            "empty": .array([]),
            "none": .object([:]),
            "nested": .object(["y": .bool(true), "x": .number(-0.5)]),
        ])
        let golden = """
            {
              "empty": [],
              "name": "Ada",
              "nested": {
                "x": -0.5,
                "y": true
              },
              "none": {},
              "tags": [
                "a",
                2,
                {
                  "k": null
                }
              ]
            }
            """
        XCTAssertEqual(JSONWriter.string(value, pretty: true), golden)
        XCTAssertEqual(JSONWriter.string(.number(1), pretty: true), "1")
    }

    // MARK: Robustness

    /// Mutates valid documents thousands of times: the parser must return or throw, never crash,
    /// and whatever it accepts must re-encode (compact and pretty) and re-parse to an equal value.
    func testMutatedDocumentsNeverCrashAndAcceptedOnesRoundTrip() throws {
        let seed = Self.seed(#function)
        var rng = SeededGenerator(seed: seed)
        let corpus = [
            #"{"id":"r1","fields":{"title":"Soupe 🍲","qty":3,"price":-12.5e-1,"ok":true,"gone":null}}"#,
            #"[1, -0, 0.5, 1e10, "a\"b\\c\/d\u00e9\ud83d\ude00\n", [], {}, [[[{"x":[false]}]]]]"#,
            #"{"a":{"b":{"c":{"d":[1,2,3,"\u2028"]}}},"e":"","f":123456789012345678901234567890}"#,
            "\"plain ascii string with some length to it\"",
            "  42.125  ",
        ].map { Array($0.utf8) }
        let interesting = Array(#"{}[],:"\-+.0123456789eEtrufalsn u"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xED, 0xF0, 0xFF]
        var accepted = 0
        for iteration in 0..<20_000 {
            var doc = corpus[Int(rng.next() % UInt64(corpus.count))]
            for _ in 0..<(1 + rng.next() % 3) {
                let index = doc.isEmpty ? 0 : Int(rng.next() % UInt64(doc.count))
                let byte = rng.next() % 2 == 0
                    ? interesting[Int(rng.next() % UInt64(interesting.count))]
                    : UInt8(truncatingIfNeeded: rng.next())
                switch rng.next() % 4 {
                case 0 where !doc.isEmpty: doc[index] ^= UInt8(1) << (rng.next() % 8)
                case 1: doc.insert(byte, at: index)
                case 2 where !doc.isEmpty: doc.remove(at: index)
                case 3: doc.removeLast(doc.isEmpty ? 0 : Int(rng.next() % UInt64(doc.count)))
                default: doc.append(byte)
                }
            }
            do {
                let value = try JSONParser.parse(doc)
                accepted += 1
                for pretty in [false, true] {
                    let reparsed = try JSONParser.parse(JSONWriter.encode(value, pretty: pretty))
                    XCTAssertEqual(reparsed, value, "seed \(seed) iteration \(iteration) pretty \(pretty)")
                }
            } catch {
                XCTAssertTrue((0...doc.count).contains(error.offset), "seed \(seed) iteration \(iteration): \(error)")
                XCTAssertFalse(error.reason.isEmpty)
            }
        }
        print("\(#function): \(accepted) of 20000 mutated documents accepted")
        XCTAssertGreaterThan(accepted, 100, "seed \(seed): mutations too destructive to exercise round trips")
    }

    // MARK: Helpers

    /// The seed for a randomized test: `BOUCLE_TEST_SEED` if set, else a fresh one; printed so a
    /// failure can be replayed.
    static func seed(_ test: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["BOUCLE_TEST_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("\(test): seed \(seed) (replay with BOUCLE_TEST_SEED=\(seed))")
        return seed
    }
}

