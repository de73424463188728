import Foundation
import Networking

/// nginx in front of the bench's server, terminating TLS as the README deploys it: its
/// ```nginx block, read from `README.md` in the current folder, with a certificate for
/// `localhost` signed by a certificate authority made for the run with `openssl`. For the
/// `https-clone` phase. Stopped with SIGQUIT (nginx's graceful stop).
final class HTTPSProxy {
    private let process: Process
    /// `https://localhost:PORT`.
    let url: String

    /// Starts the proxy; a failure saying what is missing when nginx, openssl or the README is.
    static func start(folder: BenchFolder, upstream: ServerSettings) throws -> Result<HTTPSProxy, BenchError> {
        let search = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin"]
        func tool(_ name: String) -> String? {
            search.map { "\($0)/\(name)" }.first(where: FileManager.default.isExecutableFile)
        }
        guard let nginx = tool("nginx"), let openssl = tool("openssl") else { return .failure(BenchError("needs nginx and openssl")) }
        guard let readme = try? String(contentsOfFile: FileManager.default.currentDirectoryPath + "/README.md", encoding: .utf8),
              let start = readme.range(of: "```nginx\n"), let end = readme.range(of: "\n```", range: start.upperBound..<readme.endIndex)
        else { return .failure(BenchError("needs README.md (its nginx block) in the current folder")) }
        guard let upstreamPort = upstream.url.split(separator: ":").last else { throw BenchError("cannot read the server's port in \(upstream.url)") }

        let tls = folder.path + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        try Data("subjectAltName=DNS:localhost\n".utf8).write(to: URL(fileURLWithPath: tls + "/san.ext"))
        for arguments in [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", tls + "/ca.key",
             "-out", folder.authority, "-days", "1", "-subj", "/CN=boucle-bench authority"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", tls + "/server.key",
             "-out", tls + "/server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", tls + "/server.csr", "-CA", folder.authority, "-CAkey", tls + "/ca.key", "-CAcreateserial",
             "-out", tls + "/server.pem", "-days", "1", "-extfile", tls + "/san.ext"],
        ] {
            _ = try ChildProcess.output(of: openssl, arguments, what: "openssl \(arguments[0])")
        }

        let listener = try SocketDescriptor.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        guard let port = listener.localPort() else { throw BenchError("no free port for nginx") }
        listener.close()
        let block = String(readme[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "listen 443 ssl;", with: "listen 127.0.0.1:\(port) ssl;")
            .replacingOccurrences(of: "server 127.0.0.1:8080;", with: "server 127.0.0.1:\(upstreamPort);")
            .replacingOccurrences(of: "server_name boucle.example.org;", with: "server_name localhost;")
            .replacingOccurrences(of: "/etc/letsencrypt/live/boucle.example.org/fullchain.pem", with: tls + "/server.pem")
            .replacingOccurrences(of: "/etc/letsencrypt/live/boucle.example.org/privkey.pem", with: tls + "/server.key")
        let paths = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "\($0)_temp_path \(tls)/\($0);" }.joined(separator: " ")
        let configuration = "daemon off; master_process off; pid \(tls)/nginx.pid; error_log \(tls)/error.log warn;\n"
            + "events { worker_connections 256; }\nhttp { access_log off; \(paths)\n\(block)\n}\n"
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: tls + "/nginx.conf"))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", tls, "-c", tls + "/nginx.conf"]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while (try? SocketDescriptor.connect(to: SocketAddress(host: "127.0.0.1", port: port))) == nil {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { process.terminate() }
                throw BenchError("nginx did not start: see \(tls)/error.log")
            }
            usleep(20_000)
        }
        let proxy = HTTPSProxy(process: process, url: "https://localhost:\(port)")
        try Data(proxy.url.utf8).write(to: URL(fileURLWithPath: folder.httpsURL))
        return .success(proxy)
    }

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGQUIT)
        process.waitUntilExit()
    }
}
