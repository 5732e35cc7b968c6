/* Telephone numbers as proposers write them on the forms (附件3 电话, 附件4 联系方式):
 * read, checked and normalised.  doc/proposals.md, "Telephone numbers". */
#include "proposal_internal.h"
#include "stdtax/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Full-width forms (U+FF01..FF5E) to ASCII, the ideographic and no-break spaces to a
 * space, the dashes people type to '-'; anything else unchanged. */
static uint32_t ascii_of(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return cp - 0xFEE0;
    if (cp == 0x3000 || cp == 0xA0)
        return ' ';
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
        return '-';
    return cp;
}

/* The extension markers, matched without case after the number. */
static const char *const ext_markers[] = {";ext=", "ext.", "ext", "转", "分机", "x"};

/* Digits of an extension at most (a big switchboard has 4 to 6). */
#define PHONE_EXT_MAX 8

struct phone {
    char main[24];  /* the digits of the number, '+' in front when written */
    char ext[12];   /* the extension's digits, or "" */
    size_t dash_at; /* main digits before the last '-' (0 = no dash) */
    size_t after_dash;
};

/* Reads s into p.  Returns MSG_NONE or the rule it breaks. */
static enum msg_id phone_read(const char *s, size_t len, struct phone *p)
{
    memset(p, 0, sizeof *p);
    size_t nmain = 0, next = 0, i = 0;
    int depth = 0;
    bool in_ext = false, seen = false, plus = false;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_char_decode(s + i, len - i, &cp);
        if (k == 0)
            return MSG_TEXT_UTF8;
        uint32_t c = ascii_of(cp);
        if (!in_ext && seen) {
            size_t m;
            for (m = 0; m < sizeof ext_markers / sizeof ext_markers[0]; m++) {
                size_t ml = strlen(ext_markers[m]);
                if (len - i >= ml && strncasecmp(s + i, ext_markers[m], ml) == 0)
                    break;
            }
            if (m < sizeof ext_markers / sizeof ext_markers[0]) {
                in_ext = true;
                i += strlen(ext_markers[m]);
                continue;
            }
        }
        i += k;
        if (c >= '0' && c <= '9') {
            if (in_ext) {
                if (next >= PHONE_EXT_MAX)
                    return MSG_PHONE_EXTENSION;
                p->ext[next++] = (char)c;
            } else {
                if (nmain + 1 >= sizeof p->main)
                    return MSG_PHONE_DIGITS;
                p->main[nmain++] = (char)c;
                p->after_dash++;
            }
            seen = true;
        } else if (c == ' ') {
            continue;
        } else if (in_ext) {
            /* "ext. 806", "转：806": punctuation before the digits only. */
            if (next > 0 || !(c == '.' || c == ':' || c == '-'))
                return MSG_PHONE_EXTENSION;
        } else if (c == '+') {
            if (seen)
                return MSG_PHONE_PLUS;
            p->main[nmain++] = '+';
            plus = seen = true;
        } else if (c == '(') {
            if (++depth > 1)
                return MSG_PHONE_PARENS;
            seen = true;
        } else if (c == ')') {
            if (--depth < 0)
                return MSG_PHONE_PARENS;
        } else if (c == '-') {
            p->dash_at = nmain - (plus ? 1 : 0);
            p->after_dash = 0;
            seen = true;
        } else {
            return MSG_PHONE_CHAR;
        }
    }
    if (depth != 0)
        return MSG_PHONE_PARENS;
    if (in_ext && next == 0)
        return MSG_PHONE_EXTENSION;
    size_t digits = nmain - (plus ? 1 : 0);
    if (digits < 7 || digits > 20)
        return MSG_PHONE_DIGITS;
    return MSG_NONE;
}

/* The national number: "+86" or "0086" becomes the trunk '0' (a written "(0)" after
 * the country code is dropped); else the digits as written. */
static void national_of(const struct phone *p, char *out, size_t size)
{
    const char *d = p->main;
    if (strncmp(d, "+86", 3) == 0)
        d += 3;
    else if (strncmp(d, "0086", 4) == 0)
        d += 4;
    else {
        snprintf(out, size, "%s", d);
        return;
    }
    if (*d == '0')
        d++;
    /* A mobile keeps no trunk prefix. */
    snprintf(out, size, "%s%s", *d == '1' ? "" : "0", d);
}

/* The last '-' group of a landline that is complete before it (0, area code and the
 * local number: 11 or 12 digits) is an extension: 021-5080 1234-806. */
static void dash_extension(struct phone *p)
{
    if (p->ext[0] || !p->dash_at || p->after_dash < 1 || p->after_dash > 6)
        return;
    struct phone before = *p;
    size_t plus = p->main[0] == '+';
    before.main[plus + p->dash_at] = '\0';
    char national[32];
    national_of(&before, national, sizeof national);
    if (national[0] != '0' || strlen(national) < 11)
        return;
    memcpy(p->ext, p->main + plus + p->dash_at, p->after_dash + 1);
    p->main[plus + p->dash_at] = '\0';
}

enum msg_id prop_phone_check(const char *s, size_t len)
{
    struct phone p;
    return phone_read(s, len, &p);
}

int prop_phone_normalise(const char *s, size_t len, char *out, size_t size)
{
    struct phone p;
    if (phone_read(s, len, &p) != MSG_NONE)
        return STDTAX_EINVAL;
    dash_extension(&p);
    char national[32];
    national_of(&p, national, sizeof national);
    const char *ext = p.ext[0] ? ";ext=" : "";
    int n;
    if (p.main[0] == '+' && strncmp(p.main, "+86", 3) != 0)
        n = snprintf(out, size, "%s%s%s", p.main, ext, p.ext); /* another country */
    else if (national[0] == '0' && national[1] != '0')
        n = snprintf(out, size, "+86%s%s%s", national + 1, ext, p.ext); /* landline */
    else if (national[0] == '1' && strlen(national) == 11)
        n = snprintf(out, size, "+86%s%s%s", national, ext, p.ext); /* mobile */
    else
        n = snprintf(out, size, "%s%s%s", national, ext, p.ext); /* no area code */
    return n > 0 && (size_t)n < size ? 0 : STDTAX_ETOOBIG;
}
