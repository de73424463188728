import Foundation
import Networking
import XCTest

/// A certificate authority made with the `openssl` command for one test: its certificate, and
/// server certificates it signs, all in the test's folder.
struct TestAuthority {
    let folder: URL
    let name: String

    /// The authority's certificate (PEM), what `--ca-file` takes.
    var certificate: String { folder.appendingPathComponent("\(name)-ca.pem").path }
    private var key: String { folder.appendingPathComponent("\(name)-ca.key").path }

    /// Makes the authority (an EC key, valid two days).
    init(named name: String, in folder: URL) throws {
        self.folder = folder
        self.name = name
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name) test authority"], in: folder)
    }

    /// Signs a server certificate for `names` (DNS names), valid one day; returns its certificate
    /// and key paths.
    func issue(_ file: String, for names: [String]) throws -> (certificate: String, key: String) {
        let base = folder.appendingPathComponent(file).path
        let extensions = base + ".ext"
        try Data("subjectAltName=\(names.map { "DNS:\($0)" }.joined(separator: ","))\n".utf8).write(to: URL(fileURLWithPath: extensions))
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", base + ".key",
                          "-out", base + ".csr", "-subj", "/CN=\(names[0])"], in: folder)
        try Self.openssl(["x509", "-req", "-in", base + ".csr", "-CA", certificate, "-CAkey", key, "-CAcreateserial",
                          "-out", base + ".pem", "-days", "1", "-extfile", extensions], in: folder)
        return (base + ".pem", base + ".key")
    }

    private static func openssl(_ arguments: [String], in folder: URL) throws {
        guard let openssl = CLI.onPath("openssl") else { throw XCTSkip("openssl is not installed (.ci/run installs it)") }
        let result = try CLI.runProgram([openssl] + arguments, environment: ProcessInfo.processInfo.environment, in: folder)
        guard result.status == 0 else { throw HarnessError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.err)") }
    }
}

/// nginx running the README's configuration (its `upstream` and `server` blocks, read from the
/// README itself) in front of a `boucle-server`, with a test certificate, on a free loopback port.
final class NginxProcess {
    let child: ChildProcess
    let port: UInt16

    /// Starts nginx in `folder` with `certificate` for `serverName`, proxying to `upstreamPort`.
    init(folder: URL, certificate: (certificate: String, key: String), serverName: String, upstreamPort: UInt16) throws {
        guard let nginx = CLI.onPath("nginx") ?? ["/usr/sbin/nginx"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("nginx is not installed (.ci/run installs it)")
        }
        port = try Self.freePort()
        let prefix = folder.appendingPathComponent("nginx", isDirectory: true)
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let block = try Self.readmeBlock()
            .replacingOccurrences(of: "listen 443 ssl;", with: "listen 127.0.0.1:\(port) ssl;")
            .replacingOccurrences(of: "server 127.0.0.1:8080;", with: "server 127.0.0.1:\(upstreamPort);")
            .replacingOccurrences(of: "server_name boucle.example.org;", with: "server_name \(serverName);")
            .replacingOccurrences(of: "/etc/letsencrypt/live/boucle.example.org/fullchain.pem", with: certificate.certificate)
            .replacingOccurrences(of: "/etc/letsencrypt/live/boucle.example.org/privkey.pem", with: certificate.key)
        let temporary = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .map { "\($0)_temp_path \(prefix.path)/\($0);" }.joined(separator: "\n    ")
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(prefix.path)/nginx.pid;
            error_log \(prefix.path)/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                \(temporary)
            \(block)
            }
            """
        let file = prefix.appendingPathComponent("nginx.conf")
        try Data(configuration.utf8).write(to: file)
        child = try ChildProcess([nginx, "-p", prefix.path, "-c", file.path], environment: ProcessInfo.processInfo.environment, in: folder)
        let deadline = Date().addingTimeInterval(10)
        while (try? SocketDescriptor.connect(to: SocketAddress(host: "127.0.0.1", port: port))) == nil {
            guard Date() < deadline, child.wait(timeout: 0.05) == nil else {
                child.kill()
                throw HarnessError("nginx did not start: \(child.stderr) \((try? String(contentsOf: prefix.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
            }
        }
    }

    deinit { stop() }

    func stop() {
        child.send(SIGQUIT)
        if child.wait(timeout: 5) == nil { child.kill() }
    }

    /// The README's nginx configuration: the first ```nginx block.
    static func readmeBlock() throws -> String {
        let readme = ServerHarness.fixtures.deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let start = text.range(of: "```nginx\n"), let end = text.range(of: "\n```", range: start.upperBound..<text.endIndex) else {
            throw HarnessError("README.md has no ```nginx block")
        }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> UInt16 {
        let socket = try SocketDescriptor.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        defer { socket.close() }
        guard let port = socket.localPort() else { throw HarnessError("no free port") }
        return port
    }
}
