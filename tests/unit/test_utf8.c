#include <criterion/criterion.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/utf8.h"

struct bad_case {
    const char *name;
    const char *bytes;
    size_t len;
    size_t bad_offset;
};

#define BAD(name, lit, off)                                                              \
    {                                                                                    \
        name, lit, sizeof(lit) - 1, off                                                  \
    }

/* One row per way UTF-8 can be wrong (RFC 3629 plus our NUL rule), each behind a
 * valid prefix so the offset is not trivially 0. */
static const struct bad_case bad_cases[] = {
    BAD("stray continuation", "ab\x80", 2),
    BAD("stray continuation after char", "\xc3\xa9\xbf", 2),
    BAD("lead C0 (overlong 2)", "a\xc0\xaf", 1),
    BAD("lead C1 (overlong 2)", "a\xc1\xbf", 1),
    BAD("overlong 3 (E0 80..9F)", "a\xe0\x80\xaf", 1),
    BAD("overlong 3 max", "a\xe0\x9f\xbf", 1),
    BAD("overlong 4 (F0 80..8F)", "a\xf0\x8f\xbf\xbf", 1),
    BAD("high surrogate D800", "a\xed\xa0\x80", 1),
    BAD("low surrogate DFFF", "a\xed\xbf\xbf", 1),
    BAD("above U+10FFFF (F4 90)", "a\xf4\x90\x80\x80", 1),
    BAD("lead F5", "a\xf5\x80\x80\x80", 1),
    BAD("lead FF", "a\xff", 1),
    BAD("lead FE", "a\xfe", 1),
    BAD("truncated 2 at end", "ab\xc3", 2),
    BAD("truncated 3 at end", "ab\xe4\xb8", 2),
    BAD("truncated 4 at end", "ab\xf0\x9f\x98", 2),
    BAD("truncated 3 before ASCII", "a\xe4\xb8z", 1),
    BAD("truncated 4 before ASCII", "a\xf0\x9f\x98z", 1),
    BAD("bad third byte", "a\xe4\xb8\xc0", 1),
    BAD("bad fourth byte", "a\xf0\x9f\x98\x41", 1),
    BAD("NUL byte", "ab\0c", 2),
    BAD("NUL byte after fast path", "abcdefghijklmnop\0", 16),
    BAD("bad byte after 8-byte run", "abcdefgh\xff", 8),
    BAD("second char bad", "\xe4\xb8\xad\xe6\x96", 3),
};

Test(utf8, rejects_every_kind_of_bad_sequence)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t off = (size_t)-1;
        cr_expect_eq(utf8_text_validate(c->bytes, c->len, &off), STDTAX_EUTF8, "%s",
                     c->name);
        cr_expect_eq(off, c->bad_offset, "%s: offset %zu, want %zu", c->name, off,
                     c->bad_offset);
        cr_expect_eq(utf8_text_validate(c->bytes, c->len, NULL), STDTAX_EUTF8, "%s",
                     c->name);
    }
}

Test(utf8, accepts_boundary_scalars)
{
    static const char *good[] = {
        "",
        "plain ASCII text longer than eight bytes",
        "\x7f",
        "\xc2\x80",         /* U+0080 */
        "\xdf\xbf",         /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xed\x9f\xbf",     /* U+D7FF */
        "\xee\x80\x80",     /* U+E000 */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
        "人工智能 AI 标准 Ä ｓ",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t off = 12345;
        cr_expect_eq(utf8_text_validate(good[i], strlen(good[i]), &off), 0, "case %zu",
                     i);
        cr_expect_eq(off, 12345, "offset untouched on success");
    }
}

Test(utf8, decode_returns_length_and_code_point)
{
    static const struct {
        const char *s;
        size_t n;
        uint32_t cp;
    } rows[] = {
        {"A", 1, 0x41},
        {"\xc3\xa9", 2, 0xE9},
        {"\xe4\xb8\xad", 3, 0x4E2D},
        {"\xef\xbc\xa1", 3, 0xFF21},
        {"\xf0\x9f\x98\x80", 4, 0x1F600},
        {"\xf4\x8f\xbf\xbf", 4, 0x10FFFF},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint32_t cp = 0;
        cr_expect_eq(utf8_char_decode(rows[i].s, strlen(rows[i].s), &cp), rows[i].n);
        cr_expect_eq(cp, rows[i].cp, "row %zu: U+%04X", i, (unsigned)cp);
    }
    uint32_t cp;
    cr_expect_eq(utf8_char_decode("\xe4\xb8\xad", 2, &cp), 0, "length limit honoured");
    cr_expect_eq(utf8_char_decode("", 0, &cp), 0);
    cr_expect_eq(utf8_char_decode("\xed\xa0\x80", 3, &cp), 0);
}

Test(utf8, encode_round_trips_and_rejects_non_scalars)
{
    static const uint32_t cps[] = {0x0,    0x41,   0x7F,   0x80,    0x7FF,    0x800,
                                   0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF, 0x4E2D};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        size_t n = utf8_char_encode(cps[i], buf);
        cr_assert(n >= 1 && n <= 4);
        uint32_t back = 0xFFFFFFFF;
        cr_expect_eq(utf8_char_decode(buf, n, &back), n);
        cr_expect_eq(back, cps[i]);
    }
    char buf[4];
    cr_expect_eq(utf8_char_encode(0xD800, buf), 0);
    cr_expect_eq(utf8_char_encode(0xDFFF, buf), 0);
    cr_expect_eq(utf8_char_encode(0x110000, buf), 0);
}

/* Arithmetic reference: a sequence is valid iff its bits decode to a value that needs
 * exactly that many bytes, is not a surrogate and is <= U+10FFFF. */
static size_t reference_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t v, min;
    if (p[0] < 0x80)
        return *cp = p[0], 1;
    if ((p[0] & 0xE0) == 0xC0)
        n = 2, v = p[0] & 0x1F, min = 0x80;
    else if ((p[0] & 0xF0) == 0xE0)
        n = 3, v = p[0] & 0x0F, min = 0x800;
    else if ((p[0] & 0xF8) == 0xF0)
        n = 4, v = p[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return *cp = v, n;
}

Test(utf8, decoder_agrees_with_arithmetic_reference_on_all_lead_and_second_bytes)
{
    /* Every first and second byte, with third/fourth bytes drawn from the edges of the
     * continuation range and from outside it. */
    static const unsigned char tails[] = {0x80, 0xBF, 0x7F, 0xC0};
    unsigned char buf[4];
    for (unsigned b0 = 0; b0 < 256; b0++)
        for (unsigned b1 = 0; b1 < 256; b1++)
            for (size_t t2 = 0; t2 < sizeof tails; t2++)
                for (size_t t3 = 0; t3 < sizeof tails; t3++) {
                    buf[0] = (unsigned char)b0, buf[1] = (unsigned char)b1;
                    buf[2] = tails[t2], buf[3] = tails[t3];
                    uint32_t a = 0, b = 0;
                    size_t na = utf8_char_decode((const char *)buf, 4, &a);
                    size_t nb = reference_decode(buf, 4, &b);
                    if (na != nb || (na && a != b))
                        cr_assert_fail(
                            "bytes %02x %02x %02x %02x: got %zu/U+%X, want %zu/U+%X",
                            buf[0], buf[1], buf[2], buf[3], na, (unsigned)a, nb,
                            (unsigned)b);
                }
}
