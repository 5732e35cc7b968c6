/* Flat JSON objects of strings and nulls, without allocation; see jsonflat.h. */
#include "stdtax/jsonflat.h"

#include <stdint.h>
#include <string.h>

#include "stdtax/utf8.h"

struct cursor {
    const char *s, *end;
    char *out;
};

static void skip_ws(struct cursor *c)
{
    while (c->s < c->end &&
           (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static int hex4(const char *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        x <<= 4;
        if (ch >= '0' && ch <= '9')
            x |= (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            x |= (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            x |= (uint32_t)(ch - 'A' + 10);
        else
            return 0;
    }
    *v = x;
    return 1;
}

/* A string at c->s (the opening quote), decoded into c->out.  1 or 0 (not handled). */
static int string_read(struct cursor *c, const char **val, size_t *len)
{
    if (c->s >= c->end || *c->s != '"')
        return 0;
    c->s++;
    char *start = c->out;
    for (;;) {
        /* Plain bytes up to the next quote, backslash or control character. */
        const char *p = c->s;
        while (p < c->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        memcpy(c->out, c->s, (size_t)(p - c->s));
        c->out += p - c->s;
        c->s = p;
        if (p >= c->end || (unsigned char)*p < 0x20)
            return 0;
        if (*p == '"')
            break;
        if (c->end - p < 2)
            return 0;
        char e = p[1];
        c->s = p + 2;
        static const char esc[] = "\"\\/bfnrt", dec[] = "\"\\/\b\f\n\r\t";
        const char *simple = e ? strchr(esc, e) : NULL;
        if (simple) {
            *c->out++ = dec[simple - esc];
            continue;
        }
        uint32_t cp, lo;
        if (e != 'u' || c->end - c->s < 4 || !hex4(c->s, &cp))
            return 0;
        c->s += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return 0;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (c->end - c->s < 6 || c->s[0] != '\\' || c->s[1] != 'u' ||
                !hex4(c->s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return 0;
            c->s += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0)
            return 0; /* jansson refuses \u0000 without JSON_ALLOW_NUL */
        /* \uXXXX is 6 bytes of JSON for at most 3 of UTF-8; a pair 12 for 4. */
        size_t n = utf8_char_encode(cp, c->out);
        if (n == 0)
            return 0;
        c->out += n;
    }
    c->s++; /* the closing quote */
    *len = (size_t)(c->out - start);
    *c->out++ = '\0';
    *val = start;
    return 1;
}

int jsonflat_string_decode(const char **s, const char *end, char *out, size_t *len)
{
    struct cursor c = {*s, end, out};
    const char *val;
    if (!string_read(&c, &val, len))
        return 0;
    *s = c.s;
    return 1;
}

int jsonflat_object_parse(const char *s, size_t len, char *scratch,
                          struct jsonflat_member *m, size_t *n)
{
    size_t bad;
    *n = 0;
    if (utf8_text_validate(s, len, &bad) != 0)
        return 0;
    struct cursor c = {s, s + len, scratch};
    skip_ws(&c);
    if (c.s >= c.end || *c.s++ != '{')
        return 0;
    skip_ws(&c);
    if (c.s < c.end && *c.s == '}') {
        c.s++;
    } else {
        for (;;) {
            if (*n == JSONFLAT_MEMBERS_MAX)
                return 0;
            struct jsonflat_member *mb = &m[*n];
            if (!string_read(&c, &mb->key, &mb->key_len))
                return 0;
            for (size_t i = 0; i < *n; i++)
                if (m[i].key_len == mb->key_len &&
                    memcmp(m[i].key, mb->key, mb->key_len) == 0)
                    return 0; /* duplicate: jansson says so */
            skip_ws(&c);
            if (c.s >= c.end || *c.s++ != ':')
                return 0;
            skip_ws(&c);
            if (c.end - c.s >= 4 && memcmp(c.s, "null", 4) == 0) {
                c.s += 4;
                mb->is_null = 1;
                mb->value = "";
                mb->value_len = 0;
            } else {
                mb->is_null = 0;
                if (!string_read(&c, &mb->value, &mb->value_len))
                    return 0;
            }
            (*n)++;
            skip_ws(&c);
            if (c.s >= c.end)
                return 0;
            if (*c.s == '}') {
                c.s++;
                break;
            }
            if (*c.s++ != ',')
                return 0;
            skip_ws(&c);
        }
    }
    skip_ws(&c);
    return c.s == c.end;
}

const struct jsonflat_member *jsonflat_member_get(const struct jsonflat_member *m,
                                                  size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (m[i].key_len == kl && memcmp(m[i].key, key, kl) == 0)
            return &m[i];
    return NULL;
}

json_t *jsonflat_object_new(const char *s, size_t len)
{
    if (len > JSONFLAT_NEW_MAX)
        return NULL;
    char scratch[JSONFLAT_NEW_MAX + 2 * JSONFLAT_MEMBERS_MAX];
    struct jsonflat_member m[JSONFLAT_MEMBERS_MAX];
    size_t n = 0;
    if (!jsonflat_object_parse(s, len, scratch, m, &n))
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++) {
        /* Handled means valid UTF-8 without \u0000, as jansson would have checked. */
        json_t *v =
            m[i].is_null ? json_null() : json_stringn_nocheck(m[i].value, m[i].value_len);
        if (!v || json_object_setn_new_nocheck(o, m[i].key, m[i].key_len, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}
