/* SHA-256 (FIPS 180-4), used to record which training file a model was built from. */
#ifndef STDTAX_SHA256_H
#define STDTAX_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t fill;
};

void sha256_ctx_init(struct sha256_ctx *c);
void sha256_ctx_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex. */
void sha256_ctx_final_hex(struct sha256_ctx *c, char hex[65]);

#endif
