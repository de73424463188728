#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import Foundation

/// Why a TLS connection to the server was refused, each told apart so that the user knows what
/// to fix: the certificate's authority, its dates, its name, or the handshake itself.
public enum TLSFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The certificate is signed by no authority this client trusts (a city's own CA not given
    /// with `--ca-file`, a self-signed certificate, a missing intermediate).
    case unknownAuthority
    /// The certificate's validity ended (or this laptop's clock is far ahead).
    case expired
    /// The certificate's validity has not begun (or this laptop's clock is far behind).
    case notYetValid
    /// The certificate is valid, but for another name than the URL's host.
    case nameMismatch(host: String)
    /// The certificate failed another check (OpenSSL's words).
    case rejected(String)
    /// The handshake failed before any certificate was checked: not TLS at that port, no
    /// common protocol version (OpenSSL's words).
    case handshake(String)
    /// The authorities given in place of the system's (`--ca-file`) hold no PEM certificate.
    case unusableAuthorities

    public var description: String {
        switch self {
        case .unknownAuthority: "the server's certificate is signed by an authority this laptop does not trust"
        case .expired: "the server's certificate has expired (or this laptop's clock is wrong)"
        case .notYetValid: "the server's certificate is not valid yet (or this laptop's clock is wrong)"
        case .nameMismatch(let host): "the server's certificate is not for \(host)"
        case .rejected(let why): "the server's certificate was refused: \(why)"
        case .handshake(let why): "the TLS handshake with the server failed (\(why)): is it https at that port?"
        case .unusableAuthorities: "the certificate authority given holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        }
    }
}

/// The certificates a client trusts, and the protocol versions it accepts (TLS 1.2 and up):
/// the system's authorities (`/etc/ssl/certs`), or only the authorities of given PEM bytes (a
/// city's own CA).
///
/// Owns an OpenSSL `SSL_CTX`, freed in `deinit`.
final class TLSContext {
    let context: OpaquePointer

    init(authorities: [UInt8]?) throws(TLSFailure) {
        // A write to a peer that closed raises SIGPIPE; OpenSSL writes without MSG_NOSIGNAL.
        signal(SIGPIPE, SIG_IGN)
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .handshake(Self.lastError()) }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        boucle_ssl_ctx_require_tls12(context)
        boucle_ssl_ctx_ignore_unexpected_eof(context)
        if let authorities {
            guard Self.trust(authorities, in: context) > 0 else { throw .unusableAuthorities }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
    }

    /// Adds every PEM certificate of `pem` to the context's trusted store; returns how many.
    private static func trust(_ pem: [UInt8], in context: OpaquePointer) -> Int {
        let store = SSL_CTX_get_cert_store(context)
        var count = 0
        pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                if X509_STORE_add_cert(store, certificate) == 1 { count += 1 }
                X509_free(certificate)
            }
        }
        _ = lastError()   // the end of the PEM text leaves a "no start line" error behind
        return count
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL's last error, in its words, emptying its error queue.
    static func lastError() -> String {
        var reason = "unknown error"
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            buffer.withUnsafeMutableBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            reason = text.split(separator: ":").last.map(String.init) ?? text
        }
        return reason
    }
}

/// TLS over a connected socket, verified against a `TLSContext` and the host name of the URL.
///
/// Reads and writes keep the socket's semantics: a read waits at most the socket's receive
/// timeout (nil when it passes), a write of everything must end before its deadline.
final class TLSStream: ByteStream {
    private let socket: SocketDescriptor
    private let ssl: OpaquePointer

    /// Performs the handshake with `host` (checked against the certificate: a DNS name, or an
    /// IP address) on `socket`, whose receive timeout bounds each step.
    init(socket: SocketDescriptor, host: String, context: TLSContext) throws(TLSFailure) {
        guard let ssl = SSL_new(context.context) else { throw .handshake(TLSContext.lastError()) }
        self.socket = socket
        self.ssl = ssl
        if Self.isIPAddress(host) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            SSL_set1_host(ssl, host)
            boucle_ssl_set_server_name(ssl, host)
        }
        SSL_set_fd(ssl, socket.rawValue)
        guard SSL_connect(ssl) == 1 else {
            let reason = TLSContext.lastError()
            throw Self.failure(verifyResult: Int32(SSL_get_verify_result(ssl)), host: host, reason: reason)
        }
    }

    deinit { SSL_free(ssl) }

    func setReceiveTimeout(seconds: Double) throws(SocketError) {
        try socket.setReceiveTimeout(seconds: seconds)
    }

    func sendAll(_ bytes: [UInt8], before deadline: Date) throws(SocketError) {
        guard !bytes.isEmpty else { return }
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw SocketError(call: "SSL_write", code: ETIMEDOUT) }
            try socket.setSendTimeout(seconds: left)
            // After WANT_WRITE, OpenSSL wants the same buffer again: the whole of it, each time.
            let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if written > 0 { return }
            let error = SSL_get_error(ssl, written)
            guard error == SSL_ERROR_WANT_WRITE else {
                _ = TLSContext.lastError()
                throw SocketError(call: "SSL_write", code: errno == 0 ? ECONNRESET : errno)
            }
        }
    }

    func receive(into buffer: inout [UInt8]) throws(SocketError) -> Int? {
        let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        if count > 0 { return Int(count) }
        switch SSL_get_error(ssl, count) {
        case SSL_ERROR_WANT_READ: return nil
        case SSL_ERROR_ZERO_RETURN: return 0
        case SSL_ERROR_SYSCALL where errno == 0 || errno == ECONNRESET:
            _ = TLSContext.lastError()
            return 0
        default:
            _ = TLSContext.lastError()
            throw SocketError(call: "SSL_read", code: errno == 0 ? EPROTO : errno)
        }
    }

    func close() {
        SSL_shutdown(ssl)
        socket.close()
    }

    /// The failure a handshake met: the certificate check's verdict when there was one.
    private static func failure(verifyResult: Int32, host: String, reason: String) -> TLSFailure {
        switch verifyResult {
        case X509_V_OK: .handshake(reason)
        case X509_V_ERR_CERT_HAS_EXPIRED: .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: .notYetValid
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: .nameMismatch(host: host)
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            .unknownAuthority
        default: .rejected(String(cString: X509_verify_cert_error_string(Int(verifyResult))))
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, host, &storage) == 1 || inet_pton(AF_INET6, host, &storage) == 1
    }
}
