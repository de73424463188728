import Foundation

/// A change-set file read in pieces of 64 KiB: an import (a replica's `import`, a server's
/// `import`) holds one piece at a time, whatever the file's size.
struct ChangeSetFile {
    let path: String
    private let handle: FileHandle

    /// Opens `path`; refuses a folder, a missing file or one that cannot be read.
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path)
        else {
            throw StoreError.io("cannot read \(path): no such file, a folder, or no permission")
        }
        self.path = path
        self.handle = handle
    }

    /// The next piece of the file, nil at its end.
    func nextChunk() throws -> [UInt8]? {
        do {
            let data = try handle.read(upToCount: 1 << 16) ?? Data()
            return data.isEmpty ? nil : [UInt8](data)
        } catch {
            throw StoreError.io("cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// Closes the file; called once, when the import is done with it.
    func close() {
        try? handle.close()
    }
}
