#include "stdtax/sha256.h"

void sha256_ctx_init(struct sha256_ctx *c)
{
    sha256_init(c);
}

void sha256_ctx_update(struct sha256_ctx *c, const void *data, size_t len)
{
    sha256_update(c, len, data);
}

void sha256_ctx_final_hex(struct sha256_ctx *c, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(c, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}
