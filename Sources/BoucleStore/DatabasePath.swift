#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What stands between a command and the SQLite file it names, said before SQLite says it in
/// its own words ("unable to open database file", "attempt to write a readonly database"): a
/// folder given for a file, a missing folder, a file or folder this user may not write.
///
/// A database in WAL mode writes two files beside itself (`-wal`, `-shm`): its folder must be
/// writable as well as the file.
enum DatabasePath {
    /// Refuses a `path` where no new database can be made: a folder, a missing folder, a
    /// folder this user may not write in. `example` is a file name to suggest for a folder.
    static func checkCreatable(_ path: String, example: String) throws {
        try checkNotAFolder(path, example: example)
        let folder = folder(of: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.noFolder(folder)
        }
        guard access(folder, W_OK) == 0 else { throw StoreError.readOnly(path: path, what: "its folder \(folder)") }
    }

    /// Refuses an existing database at `path` that cannot be written: a folder, a read-only
    /// file, or a read-only folder.
    static func checkWritable(_ path: String, example: String) throws {
        try checkNotAFolder(path, example: example)
        guard access(path, W_OK) == 0 else { throw StoreError.readOnly(path: path, what: "the file") }
        let folder = folder(of: path)
        guard access(folder, W_OK) == 0 else { throw StoreError.readOnly(path: path, what: "its folder \(folder)") }
    }

    private static func checkNotAFolder(_ path: String, example: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StoreError.isAFolder(path: path, example: (path.hasSuffix("/") ? path : path + "/") + example)
        }
    }

    private static func folder(of path: String) -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return folder.isEmpty ? "." : folder
    }
}
