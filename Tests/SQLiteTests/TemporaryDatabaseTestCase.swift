import Foundation
import XCTest

/// A test case with a fresh temporary folder for every test, removed afterwards; `path` is a
/// database file in it that does not exist yet.
class TemporaryDatabaseTestCase: XCTestCase {
    private(set) var folder = ""
    private(set) var path = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        folder = url.path
        path = url.appendingPathComponent("test.db").path
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: folder)
    }
}
