/* Normalisation is one pass over the decoded code points.  What happens to a code point
 * is looked up in norm_rules, a sorted table of ranges and actions; anything not in the
 * table (letters, digits, CJK ideographs, kana, hangul, emoji...) is kept unchanged.
 *
 * Decisions that the table encodes:
 * - Every ASCII punctuation character becomes a space, including '+', '#', '/', '.',
 *   '-' and '_'.  So "C++" is "c", "5.1" is "5 1", "VR/AR" is "vr ar".  Keywords go
 *   through the same function (norm_string_new), so a keyword "VR/AR" still matches
 *   the text "VR / AR"; what is lost is only the ability to tell "c++" from "c", which
 *   no taxonomy keyword needs, in exchange for one rule without exceptions.
 * - C0/C1 control characters and DEL count as whitespace (a stray vertical tab or NEL
 *   separates words as a newline would).
 * - Invisible format characters (soft hyphen, zero-width space/joiners, word joiner,
 *   bidi marks, BOM) are dropped rather than turned into spaces: they show up inside
 *   copied Chinese words and must not split them.
 * - In the CJK Symbols block the characters that are letters or numbers (々 〆 〇,
 *   Hangzhou numerals, kana repeat marks) are kept: "二〇二三" is a number.
 * - Latin-1 letters ª º µ and the digits ² ³ ¹ ¼ ½ ¾ are kept, × and ÷ are symbols.
 * - Full-width ASCII is shifted to ASCII first and the result goes through the table
 *   again, so 'Ａ' becomes 'a' and '！' becomes a space.
 * - Case folding is the simple one-to-one kind: 'ß' stays, 'İ' becomes 'i', 'ſ' 's'.
 *   No mapping ever produces more UTF-8 bytes than it consumed, so the output fits in
 *   a buffer the size of the input. */
#include "stdtax/normalise.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/utf8.h"

enum norm_action {
    NORM_SPACE, /* whitespace or punctuation: becomes (part of) one ' ' */
    NORM_DROP,  /* invisible: removed */
    NORM_SHIFT, /* add arg (signed) and look the result up again */
    NORM_EVEN,  /* pairs where the even code point is upper case: even -> +1 */
    NORM_ODD,   /* pairs where the odd code point is upper case: odd -> +1 */
    NORM_MAP,   /* one code point to arg */
};

struct norm_rule {
    uint32_t lo, hi;
    enum norm_action action;
    int32_t arg;
};

/* Sorted by lo and non-overlapping: norm_rule_find is a binary search. */
static const struct norm_rule norm_rules[] = {
    {0x0000, 0x0020, NORM_SPACE, 0},  /* controls, tab, LF, VT, FF, CR, space */
    {0x0021, 0x002F, NORM_SPACE, 0},  /* ! " # $ % & ' ( ) * + , - . / */
    {0x003A, 0x0040, NORM_SPACE, 0},  /* : ; < = > ? @ */
    {0x0041, 0x005A, NORM_SHIFT, 32}, /* A-Z */
    {0x005B, 0x0060, NORM_SPACE, 0},  /* [ \ ] ^ _ ` */
    {0x007B, 0x00A9, NORM_SPACE, 0},  /* { | } ~ DEL, C1 controls, NBSP, ¡..© */
    {0x00AB, 0x00AC, NORM_SPACE, 0},  /* « ¬ */
    {0x00AD, 0x00AD, NORM_DROP, 0},   /* soft hyphen */
    {0x00AE, 0x00B1, NORM_SPACE, 0},  /* ® ¯ ° ± */
    {0x00B4, 0x00B4, NORM_SPACE, 0},  /* ´ */
    {0x00B6, 0x00B8, NORM_SPACE, 0},  /* ¶ · ¸ */
    {0x00BB, 0x00BB, NORM_SPACE, 0},  /* » */
    {0x00BF, 0x00BF, NORM_SPACE, 0},  /* ¿ */
    {0x00C0, 0x00D6, NORM_SHIFT, 32}, /* À..Ö */
    {0x00D7, 0x00D7, NORM_SPACE, 0},  /* × */
    {0x00D8, 0x00DE, NORM_SHIFT, 32}, /* Ø..Þ */
    {0x00F7, 0x00F7, NORM_SPACE, 0},  /* ÷ */
    {0x0100, 0x012F, NORM_EVEN, 0},   /* Ā ā .. Į į */
    {0x0130, 0x0130, NORM_MAP, 0x69}, /* İ -> i */
    {0x0132, 0x0137, NORM_EVEN, 0},   /* Ĳ ĳ .. Ķ ķ */
    {0x0139, 0x0148, NORM_ODD, 0},    /* Ĺ ĺ .. Ň ň */
    {0x014A, 0x0177, NORM_EVEN, 0},   /* Ŋ ŋ .. Ŷ ŷ */
    {0x0178, 0x0178, NORM_MAP, 0xFF}, /* Ÿ -> ÿ */
    {0x0179, 0x017E, NORM_ODD, 0},    /* Ź ź .. Ž ž */
    {0x017F, 0x017F, NORM_MAP, 0x73}, /* ſ -> s */
    {0x1680, 0x1680, NORM_SPACE, 0},  /* ogham space mark */
    {0x2000, 0x200A, NORM_SPACE, 0},  /* en quad .. hair space */
    {0x200B, 0x200F, NORM_DROP, 0},   /* zero-width space/joiners, LRM, RLM */
    {0x2010, 0x2029, NORM_SPACE, 0},  /* dashes, quotes, bullets, LS, PS */
    {0x202A, 0x202E, NORM_DROP, 0},   /* bidi embedding controls */
    {0x202F, 0x205F, NORM_SPACE, 0},  /* NNBSP, ‰ ′ ‹ › ※ ... ⁞, MMSP */
    {0x2060, 0x206F, NORM_DROP, 0},   /* word joiner, invisible operators, bidi */
    {0x2E00, 0x2E7F, NORM_SPACE, 0},  /* supplemental punctuation */
    {0x3000, 0x3004, NORM_SPACE, 0},  /* ideographic space 、 。 〃 〄 */
    {0x3008, 0x3020, NORM_SPACE, 0}, /* 〈〉《》「」『』【】〒〓〔〕... 〠 */
    {0x302A, 0x3030, NORM_SPACE, 0}, /* tone marks, 〰 */
    {0x3036, 0x3037, NORM_SPACE, 0}, /* 〶 〷 */
    {0x303D, 0x303F, NORM_SPACE, 0}, /* 〽 〾 〿 */
    {0x30FB, 0x30FB, NORM_SPACE, 0}, /* katakana middle dot ・ */
    {0xFE10, 0xFE19, NORM_SPACE, 0}, /* vertical forms */
    {0xFE30, 0xFE6B, NORM_SPACE, 0}, /* CJK compatibility forms, small form variants */
    {0xFEFF, 0xFEFF, NORM_DROP, 0},  /* BOM / zero-width no-break space */
    {0xFF01, 0xFF5E, NORM_SHIFT, -0xFEE0}, /* full-width ASCII */
    {0xFF5F, 0xFF65, NORM_SPACE, 0},       /* ⦅ ⦆ ｡ ｢ ｣ ､ ･ */
    {0xFFE0, 0xFFEE, NORM_SPACE, 0},       /* full-width and half-width symbols */
};

#define NORM_RULES_COUNT (sizeof norm_rules / sizeof norm_rules[0])

static const struct norm_rule *norm_rule_find(uint32_t cp)
{
    size_t lo = 0, hi = NORM_RULES_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < norm_rules[mid].lo)
            hi = mid;
        else if (cp > norm_rules[mid].hi)
            lo = mid + 1;
        else
            return &norm_rules[mid];
    }
    return NULL;
}

enum norm_kind { KIND_CHAR, KIND_SPACE, KIND_DROP };

/* Maps one code point; *out is set for KIND_CHAR.  A SHIFT result is looked up again
 * (full-width 'Ａ' -> 'A' -> 'a'); two rounds are enough because no rule's result
 * lands in another SHIFT range twice. */
static enum norm_kind norm_char_map(uint32_t cp, uint32_t *out)
{
    for (int round = 0; round < 3; round++) {
        const struct norm_rule *r = norm_rule_find(cp);
        if (r == NULL)
            break;
        switch (r->action) {
        case NORM_SPACE:
            return KIND_SPACE;
        case NORM_DROP:
            return KIND_DROP;
        case NORM_SHIFT:
            cp = (uint32_t)((int32_t)cp + r->arg);
            continue;
        case NORM_EVEN:
            *out = (cp % 2 == 0) ? cp + 1 : cp;
            return KIND_CHAR;
        case NORM_ODD:
            *out = (cp % 2 == 1) ? cp + 1 : cp;
            return KIND_CHAR;
        case NORM_MAP:
            *out = (uint32_t)r->arg;
            return KIND_CHAR;
        }
    }
    *out = cp;
    return KIND_CHAR;
}

int norm_text_new(const char *in, size_t len, struct norm_text *out,
                  struct stdtax_error *err)
{
    memset(out, 0, sizeof *out);
    size_t bad;
    if (in == NULL && len != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no input text");
    if (len > 0 && utf8_text_validate(in, len, &bad) != 0)
        return stdtax_error_set(err, STDTAX_EUTF8, "",
                                "invalid UTF-8 (or NUL) at byte offset %zu", bad);
    if (len >= SIZE_MAX / sizeof(size_t) - 1)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "", "text too long");

    char *bytes = malloc(len + 1);
    size_t *offs = malloc((len + 1) * sizeof *offs);
    if (bytes == NULL || offs == NULL) {
        free(bytes);
        free(offs);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    out->bytes = bytes;
    out->len = norm_text_fill(in, len, bytes, offs);
    out->src_offset = offs;
    return 0;
}

size_t norm_text_fill(const char *in, size_t len, char *bytes, size_t *offs)
{
    size_t o = 0;
    /* A pending space is written only when a kept character follows it: that both
     * collapses runs and trims the end; starting with pending = 0 trims the start. */
    int pending = 0;
    size_t pending_src = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp, mapped = 0;
        const unsigned char *u = (const unsigned char *)in + i;
        size_t n;
        /* The input is valid UTF-8: ASCII and 3-byte sequences (all of CJK) inline. */
        if (u[0] < 0x80) {
            cp = u[0];
            n = 1;
        } else if ((u[0] & 0xF0) == 0xE0 && len - i >= 3) {
            cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 |
                 (uint32_t)(u[2] & 0x3F);
            n = 3;
        } else {
            n = utf8_char_decode(in + i, len - i, &cp);
        }
        /* cannot fail after validation; guard anyway so a bug cannot loop */
        if (n == 0)
            n = 1, cp = 0xFFFD;
        /* CJK ideographs (extension A and the unified block) and ASCII lower case and
         * digits, nearly all of a text, have no rule: kept as they are. */
        if ((cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 'a' && cp <= 'z') ||
            (cp >= '0' && cp <= '9')) {
            if (pending) {
                bytes[o] = ' ';
                if (offs)
                    offs[o] = pending_src;
                o++;
                pending = 0;
            }
            for (size_t k = 0; k < n; k++) {
                if (offs)
                    offs[o] = i;
                bytes[o++] = in[i + k];
            }
            i += n;
            continue;
        }
        switch (norm_char_map(cp, &mapped)) {
        case KIND_SPACE:
            if (!pending && o > 0) {
                pending = 1;
                pending_src = i;
            }
            break;
        case KIND_DROP:
            break;
        case KIND_CHAR: {
            char enc[4];
            size_t m = utf8_char_encode(mapped, enc);
            if (m == 0 || m > n) {
                /* never happens with the table above; keep the input bytes */
                memcpy(enc, in + i, n);
                m = n;
            }
            if (pending) {
                bytes[o] = ' ';
                if (offs)
                    offs[o] = pending_src;
                o++;
                pending = 0;
            }
            for (size_t k = 0; k < m; k++) {
                if (offs)
                    offs[o] = i;
                bytes[o++] = enc[k];
            }
            break;
        }
        }
        i += n;
    }
    bytes[o] = '\0';
    if (offs)
        offs[o] = len;
    return o;
}

void norm_text_free(struct norm_text *text)
{
    if (text == NULL)
        return;
    free(text->bytes);
    free(text->src_offset);
    memset(text, 0, sizeof *text);
}

char *norm_string_new(const char *in)
{
    if (in == NULL)
        return NULL;
    struct norm_text t;
    if (norm_text_new(in, strlen(in), &t, NULL) != 0)
        return NULL;
    free(t.src_offset);
    return t.bytes; /* len + 1 bytes, NUL-terminated */
}
