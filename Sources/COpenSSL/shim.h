#ifndef MARKETPRISM_COPENSSL_SHIM_H
#define MARKETPRISM_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/evp.h>

/* SSL_CTX_set_options and friends are macros or take flags Swift imports awkwardly. */
static inline void mp_ssl_ctx_disable_old_protocols(SSL_CTX *ctx) { SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); }
#endif
