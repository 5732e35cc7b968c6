/* Known answers of SHA-256: the examples of FIPS 180-4 (NIST's "SHA256.pdf" and the
 * SHA-2 test vectors), fed whole and in pieces that straddle the 64-byte blocks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/sha256.h"

static void hex_of(const void *data, size_t len, size_t piece, char hex[65])
{
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    const char *p = data;
    while (len > 0) {
        size_t n = piece && piece < len ? piece : len;
        sha256_ctx_update(&c, p, n);
        p += n;
        len -= n;
    }
    sha256_ctx_final_hex(&c, hex);
}

struct vector {
    const char *message;
    const char *digest;
};

static const struct vector vectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
     "klmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

Test(sha256, fips_180_examples)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char hex[65];
        hex_of(vectors[i].message, strlen(vectors[i].message), 0, hex);
        cr_expect_str_eq(hex, vectors[i].digest, "vector %zu", i);
    }
}

Test(sha256, pieces_across_blocks_give_the_same_digest)
{
    const struct vector *v = &vectors[3]; /* 112 bytes: two blocks */
    for (size_t piece = 1; piece <= 65; piece++) {
        char hex[65];
        hex_of(v->message, strlen(v->message), piece, hex);
        cr_expect_str_eq(hex, v->digest, "pieces of %zu bytes", piece);
    }
}

Test(sha256, one_million_a)
{
    size_t n = 1000000;
    char *a = malloc(n);
    cr_assert_not_null(a);
    memset(a, 'a', n);
    char hex[65];
    hex_of(a, n, 4093, hex);
    free(a);
    cr_expect_str_eq(hex,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, context_is_reusable_after_final)
{
    struct sha256_ctx c;
    char first[65], second[65];
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, "abc", 3);
    sha256_ctx_final_hex(&c, first);
    sha256_ctx_update(&c, "abc", 3);
    sha256_ctx_final_hex(&c, second);
    cr_expect_str_eq(first, second);
}
