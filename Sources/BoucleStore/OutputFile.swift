#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes a file whole or not at all, and only where a regular file may be: the one way every
/// command writes a file (`export -o`, `export-csv -o`, `export-geojson -o`).
///
/// The bytes go to a temporary file beside the target, synced, then renamed over it: a crash
/// never leaves half a file under the final name. A folder, a device or other special file, or
/// a symlink to one is refused; a symlink to a regular file is followed (the file it names is
/// replaced). Nothing is ever removed but the temporary file.
public enum OutputFile {
    /// Writes the file at `path`: `body` appends its bytes through the closure it is given.
    public static func write(to path: String, _ body: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        let target = try destination(path)
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        let temporary = folder + "/." + URL(fileURLWithPath: target).lastPathComponent + ".partial-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            try body { bytes in try handle.write(contentsOf: bytes) }
            try handle.synchronize()
            try handle.close()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.io("cannot write \(path): \(error.localizedDescription)")
        }
        guard rename(temporary, target) == 0 else { throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        renamed = true
    }

    /// Writes `bytes` as the file at `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { append in try append(bytes) }
    }

    /// The file to replace for `path`: `path` itself when nothing or a regular file is there, the
    /// file a symlink names; refuses a folder, a device or special file, a missing folder.
    static func destination(_ path: String) throws -> String {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            guard errno == ENOENT else { throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw StoreError.io("cannot write \(path): the folder \(folder) does not exist")
            }
            return path
        }
        if status.st_mode & S_IFMT == S_IFLNK {
            guard stat(path, &status) == 0 else { throw StoreError.notARegularFile(path: path, kind: "a symlink that leads nowhere") }
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        case S_IFDIR: throw StoreError.notARegularFile(path: path, kind: "a folder")
        default: throw StoreError.notARegularFile(path: path, kind: "a device or a special file")
        }
    }
}
