#ifndef BOUCLE_COPENSSL_SHIM_H
#define BOUCLE_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* OpenSSL spells these as macros over SSL_ctrl and SSL_CTX_ctrl, which Swift cannot call. */

/* The server name sent in the handshake (SNI), so that a proxy serving several names picks the
   right certificate. */
static inline int boucle_ssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/* Refuses protocol versions older than TLS 1.2. */
static inline int boucle_ssl_ctx_require_tls12(SSL_CTX *context) {
    return SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

/* A peer that closes without TLS's close_notify ends the stream like a plain close (OpenSSL 3
   otherwise reports it as an error). */
static inline void boucle_ssl_ctx_ignore_unexpected_eof(SSL_CTX *context) {
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
}
#endif
