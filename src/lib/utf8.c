/* Strict UTF-8 (RFC 3629).  The decoder is the single source of truth: the validator
 * only adds an ASCII fast path and the NUL check in front of it, so the two can never
 * disagree about what is valid. */
#include "stdtax/utf8.h"

#include <string.h>

#include "stdtax/error.h"

/* Valid second-byte ranges per lead byte (RFC 3629 section 4, the UTF8-2/3/4 rules).
 * Narrowing the second byte is what rejects overlongs (E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF) without any
 * arithmetic on the decoded value.  Lead bytes 80..C1 and F5..FF have no entry. */
struct utf8_lead {
    unsigned char lo, hi; /* lead byte range */
    unsigned char len;    /* sequence length */
    unsigned char min2, max2;
};

static const struct utf8_lead utf8_leads[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

size_t utf8_char_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    const struct utf8_lead *lead = NULL;
    for (size_t i = 0; i < sizeof utf8_leads / sizeof utf8_leads[0]; i++) {
        if (p[0] >= utf8_leads[i].lo && p[0] <= utf8_leads[i].hi) {
            lead = &utf8_leads[i];
            break;
        }
    }
    if (lead == NULL || len < lead->len)
        return 0;
    if (p[1] < lead->min2 || p[1] > lead->max2)
        return 0;
    uint32_t v = p[0] & (0xFFu >> (lead->len + 1));
    v = (v << 6) | (p[1] & 0x3F);
    for (size_t i = 2; i < lead->len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return lead->len;
}

int utf8_text_validate(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path: eight bytes at a time while none has the top bit set.
         * NUL is still caught below because the word loop stops on it too. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            /* high bit set, or a zero byte (classic haszero trick) */
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (p[i] == 0)
            goto bad;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        /* Three-byte sequences with a lead whose second byte may be any continuation
         * byte (E1..EC, EE, EF: all of CJK) are checked inline. */
        if (p[i] >= 0xE1 && p[i] != 0xED && p[i] <= 0xEF && len - i >= 3 &&
            (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_char_decode(s + i, len - i, &cp);
        if (n == 0)
            goto bad;
        i += n;
    }
    return 0;
bad:
    if (bad_offset != NULL)
        *bad_offset = i;
    return STDTAX_EUTF8;
}

size_t utf8_char_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF)
        return 0;
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
