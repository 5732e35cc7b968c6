/* SHA-256 (FIPS 180-4): which training file a model was built from, the hash of a
 * submission kept with its idempotency key, draft ids of catalogue entries.  The
 * digest itself is nettle's (Debian's libnettle, also used by GnuTLS): a library that
 * is tested against the standard's vectors and uses the CPU's SHA instructions where
 * they exist.  This module only adds the lowercase hex form every caller wants.
 * struct sha256_ctx is nettle's. */
#ifndef STDTAX_SHA256_H
#define STDTAX_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>

void sha256_ctx_init(struct sha256_ctx *c);
void sha256_ctx_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex; c is initialised again. */
void sha256_ctx_final_hex(struct sha256_ctx *c, char hex[65]);

#endif
