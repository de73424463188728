import ArgumentParsing
import XCTest

final class ArgumentParserTests: XCTestCase {
    let spec = CommandSpec(
        "offer add", summary: "Add an offer.",
        positionals: [PositionalSpec("ID", help: "an id", optional: true)],
        options: [.value("--title", "T", help: "a title"), .flag("--remote", help: "at a distance"),
                  .value("--lat", "X", help: "latitude"), .value("--tag", "TAG", help: "a tag", repeatable: true)]
    )

    func testValuesFlagsAndPositionalsAreRead() throws {
        let parsed = try ArgumentParser.parse(["--title", "Courses", "abc", "--remote", "--lat=45.7", "--tag", "a", "--tag", "b"], spec: spec)
        XCTAssertEqual(parsed.value("--title"), "Courses")
        XCTAssertTrue(parsed.flag("--remote"))
        XCTAssertEqual(parsed.value("--lat"), "45.7")
        XCTAssertEqual(parsed.all("--tag"), ["a", "b"])
        XCTAssertEqual(parsed.positionals, ["abc"])
    }

    func testNegativeNumbersAreValuesNotOptions() throws {
        XCTAssertEqual(try ArgumentParser.parse(["--lat", "-45.7"], spec: spec).value("--lat"), "-45.7")
        XCTAssertEqual(try ArgumentParser.parse(["-3"], spec: spec).positionals, ["-3"])
    }

    func testDoubleDashEndsOptions() throws {
        XCTAssertEqual(try ArgumentParser.parse(["--", "--title"], spec: spec).positionals, ["--title"])
    }

    func testUnknownOptionSuggestsTheClosestOne() {
        XCTAssertThrowsError(try ArgumentParser.parse(["--titel", "x"], spec: spec)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "unknown option --titel for `boucle offer add`: did you mean --title?")
        }
    }

    func testMissingValueSaysWhatToType() {
        XCTAssertThrowsError(try ArgumentParser.parse(["--title"], spec: spec)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "--title needs a value: --title T")
        }
    }

    func testOptionGivenTwiceIsRefusedUnlessRepeatable() {
        XCTAssertThrowsError(try ArgumentParser.parse(["--title", "a", "--title", "b"], spec: spec)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "--title is given twice: give it once")
        }
    }

    func testFlagTakesNoValue() {
        XCTAssertThrowsError(try ArgumentParser.parse(["--remote=yes"], spec: spec)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "--remote takes no value")
        }
    }

    func testExtraPositionalIsRefusedWithTheUsage() {
        XCTAssertThrowsError(try ArgumentParser.parse(["a", "b"], spec: spec)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "unexpected argument \"b\": usage: boucle offer add [ID] [options]")
        }
    }

    func testHelpIsRecognisedBeforeDoubleDashOnly() {
        XCTAssertTrue(ArgumentParser.isHelpRequest(["x", "--help"]))
        XCTAssertTrue(ArgumentParser.isHelpRequest(["-h"]))
        XCTAssertFalse(ArgumentParser.isHelpRequest(["--", "--help"]))
    }

    func testHelpTextListsArgumentsOptionsAndGlobals() {
        let help = ArgumentParser.help(for: spec, globalOptions: [.flag("--json", help: "print JSON")])
        XCTAssertEqual(help, """
            usage: boucle offer add [ID] [options]

            Add an offer.

            arguments:
              ID  an id

            options:
              --title T  a title
              --remote   at a distance
              --lat X    latitude
              --tag TAG  a tag

            global options:
              --json      print JSON
              -h, --help  show this help

            """)
    }
}
