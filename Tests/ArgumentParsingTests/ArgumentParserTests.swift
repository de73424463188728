import ArgumentParsing
import XCTest

final class ArgumentParserTests: XCTestCase {
    let title = OptionSpec.value("--title", "T", help: "a title")
    let remote = OptionSpec.flag("--remote", help: "at a distance")
    let lat = OptionSpec.value("--lat", "X", help: "latitude")
    let tag = OptionSpec.value("--tag", "TAG", help: "a tag", repeatable: true)
    var spec: CommandSpec {
        CommandSpec("offer add", summary: "Add an offer.", positionals: [PositionalSpec("ID", help: "an id", optional: true)],
                    options: [title, remote, lat, tag])
    }

    func testValuesFlagsAndPositionalsAreRead() throws {
        let parsed = try ArgumentParser.parse(["--title", "Courses", "abc", "--remote", "--lat=45.7", "--tag", "a", "--tag", "b"], spec: spec)
        XCTAssertEqual(parsed.value(title), "Courses")
        XCTAssertTrue(parsed.flag(remote))
        XCTAssertEqual(parsed.value(lat), "45.7")
        XCTAssertEqual(parsed.all(tag), ["a", "b"])
        XCTAssertEqual(parsed.positionals, ["abc"])
    }

    func testNegativeNumbersAreValuesNotOptions() throws {
        XCTAssertEqual(try ArgumentParser.parse(["--lat", "-45.7"], spec: spec).value(lat), "-45.7")
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

    func testASoundSpecHasNoProblems() {
        XCTAssertEqual(spec.problems(), [])
        XCTAssertEqual(CommandSpec("export", summary: "", options: [.value("-o", "FILE", help: "")]).problems(), [])
    }

    func testBrokenDeclarationsAreNamed() {
        let broken = CommandSpec(
            "Offer add", summary: "",
            positionals: [PositionalSpec("A", help: "", variadic: true), PositionalSpec("B", help: "", optional: true), PositionalSpec("C", help: "")],
            options: [title, title, .value("-output", "F", help: ""), .value("title", "T", help: ""), .flag("--force", help: ""),
                      OptionSpec.flag("--help", help: "")]
        )
        XCTAssertEqual(broken.problems(), [
            "command name \"Offer add\" is not lowercase words",
            "option --title is declared twice",
            "option -output is neither --long-name nor -x",
            "option title is neither --long-name nor -x",
            "option --help is the tool's own",
            "positional A is variadic but not last",
            "positional C is required after an optional one",
        ])
    }

    func testATwiceDeclaredCommandIsNamed() {
        let command = Command(CommandSpec("status", summary: "")) { _ in }
        XCTAssertEqual(CommandLineTool.problems(of: [command, command]), ["command `status` is declared twice"])
    }
}
