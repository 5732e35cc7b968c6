#include "stdtax/jsonw.h"
#include "stdtax/error.h"
#include "stdtax/utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONW_FIRST_CAP 4096

void jsonw_init(struct jsonw *w, int precision, unsigned flags)
{
    memset(w, 0, sizeof *w);
    w->precision = precision;
    w->flags = flags;
    if (precision < 1 || precision > JSONW_PRECISION_EXACT)
        w->error = STDTAX_EINVAL;
}

void jsonw_free(struct jsonw *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

int jsonw_error(const struct jsonw *w)
{
    return w->error;
}

static void fail(struct jsonw *w, int rc)
{
    if (!w->error)
        w->error = rc;
}

/* Room for need more bytes and a NUL: where to write them, or NULL (w failed). */
static char *reserve(struct jsonw *w, size_t need)
{
    if (w->error)
        return NULL;
    if (need >= SIZE_MAX / 2 - w->len) {
        fail(w, STDTAX_ENOMEM);
        return NULL;
    }
    if (w->len + need + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : JSONW_FIRST_CAP;
        while (cap < w->len + need + 1)
            cap *= 2;
        char *p = realloc(w->data, cap);
        if (!p) {
            fail(w, STDTAX_ENOMEM);
            return NULL;
        }
        w->data = p;
        w->cap = cap;
    }
    return w->data + w->len;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
    char *p = reserve(w, n);
    if (p) {
        memcpy(p, s, n);
        w->len += n;
    }
}

static bool in_object(const struct jsonw *w)
{
    return w->depth > 0 && (w->objects >> (w->depth - 1) & 1);
}

/* Before any value: its comma, or the check that a key came first. */
static bool value_start(struct jsonw *w)
{
    if (w->error)
        return false;
    if (in_object(w)) {
        if (!w->want_value) {
            fail(w, STDTAX_EINVAL);
            return false;
        }
        w->want_value = false;
        return true;
    }
    if (w->comma)
        put(w, ",", 1);
    return !w->error;
}

/* Top-level values are not separated by commas (JSON Lines puts a newline). */
static void value_end(struct jsonw *w)
{
    w->comma = w->depth > 0;
}

/* ---- strings ---------------------------------------------------------------------- */

/* What a byte below 0x80 becomes inside a string: 0 itself, 'u' \u00XX, else the letter
 * after the backslash. */
static const char ascii_escape[128] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', [0x00] = 'u',
    [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u', [0x06] = 'u',
    [0x07] = 'u', [0x0B] = 'u', [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1A] = 'u', [0x1B] = 'u', [0x1C] = 'u', [0x1D] = 'u',
    [0x1E] = 'u', [0x1F] = 'u', ['"'] = '"',  ['\\'] = '\\'};

static void string_put(struct jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* upper case, as jansson */
    if (n > SIZE_MAX / 8) {
        fail(w, STDTAX_ENOMEM);
        return;
    }
    char *start = reserve(w, n * 6 + 2), *o = start;
    if (!o)
        return;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    *o++ = '"';
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = utf8_char_decode((const char *)p, (size_t)(end - p), &cp);
            if (k == 0) {
                fail(w, STDTAX_EUTF8);
                return;
            }
            memcpy(o, p, k);
            o += k;
            p += k;
            continue;
        }
        p++;
        char e = ascii_escape[c];
        if (!e) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        *o++ = e;
        if (e == 'u') {
            memcpy(o, "00", 2);
            o[2] = hex[c >> 4];
            o[3] = hex[c & 15];
            o += 4;
        }
    }
    *o++ = '"';
    w->len += (size_t)(o - start);
}

void jsonw_keyn(struct jsonw *w, const char *key, size_t n)
{
    if (w->error)
        return;
    if (!in_object(w) || w->want_value) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    if (w->comma)
        put(w, ",", 1);
    string_put(w, key, n);
    put(w, ":", 1);
    w->want_value = true;
    w->comma = false;
}

void jsonw_key(struct jsonw *w, const char *key)
{
    jsonw_keyn(w, key, strlen(key));
}

void jsonw_stringn(struct jsonw *w, const char *s, size_t n)
{
    if (value_start(w)) {
        string_put(w, s, n);
        value_end(w);
    }
}

void jsonw_string(struct jsonw *w, const char *s)
{
    jsonw_stringn(w, s, strlen(s));
}

/* ---- numbers and literals ------------------------------------------------------- */

static void literal(struct jsonw *w, const char *s, size_t n)
{
    if (value_start(w)) {
        put(w, s, n);
        value_end(w);
    }
}

void jsonw_bool(struct jsonw *w, bool v)
{
    if (v)
        literal(w, "true", 4);
    else
        literal(w, "false", 5);
}

void jsonw_null(struct jsonw *w)
{
    literal(w, "null", 4);
}

/* The decimal digits of v at the end of buf (24 bytes); returns where they start. */
static char *digits(char *buf_end, uint64_t v)
{
    char *p = buf_end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *p = digits(end, mag);
    if (v < 0)
        *--p = '-';
    literal(w, p, (size_t)(end - p));
}

/* The answers' reals are probabilities and weights rounded to 4 decimals: written from
 * their integer ten-thousandths, the text %.<p>g makes of them (p <= 15, at most p
 * significant digits: the double nearest a decimal of at most 15 digits prints as that
 * decimal), without snprintf's cost.  Returns the length, 0 when v is not such a
 * value. */
static size_t real_fixed4(const struct jsonw *w, double v, char *buf)
{
    static const uint64_t pow10[] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000};
    if (w->precision > JSONW_PRECISION_ANSWER || !(fabs(v) < 1e11) ||
        (v == 0 && signbit(v)))
        return 0;
    double scaled = round(v * 10000.0);
    if (scaled / 10000.0 != v)
        return 0;
    uint64_t mag = (uint64_t)fabs(scaled);
    if (mag >= pow10[w->precision])
        return 0;
    char frac[4];
    uint64_t f = mag % 10000;
    for (int i = 3; i >= 0; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    size_t nfrac = 4;
    while (nfrac > 1 && frac[nfrac - 1] == '0')
        nfrac--;
    char whole[24], *p = digits(whole + sizeof whole, mag / 10000);
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    size_t nwhole = (size_t)(whole + sizeof whole - p);
    memcpy(buf + n, p, nwhole);
    n += nwhole;
    buf[n++] = '.';
    memcpy(buf + n, frac, nfrac);
    return n + nfrac;
}

/* jansson's jsonp_dtostr: %.<p>g, ".0" when the text would read back as an integer, no
 * '+' or leading zeros in the exponent. */
static size_t real_general(const struct jsonw *w, double v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%.*g", w->precision, v);
    if (n < 0 || (size_t)n + 3 > size)
        return 0;
    size_t len = (size_t)n;
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        buf[len++] = '.';
        buf[len++] = '0';
        buf[len] = '\0';
    }
    char *e = strchr(buf, 'e');
    if (e) {
        char *start = e + 1, *end = e + 1;
        if (*end == '+')
            end++;
        else if (*end == '-')
            start = ++end;
        while (*end == '0' && end[1])
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf) + 1);
            len -= (size_t)(end - start);
        }
    }
    return len;
}

void jsonw_real(struct jsonw *w, double v)
{
    if (w->error)
        return;
    if (!isfinite(v)) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    char buf[48];
    size_t n = real_fixed4(w, v, buf);
    if (n == 0)
        n = real_general(w, v, buf, sizeof buf);
    if (n == 0) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    literal(w, buf, n);
}

/* ---- containers ------------------------------------------------------------------ */

static void open_container(struct jsonw *w, char c, bool object)
{
    if (!value_start(w))
        return;
    if (w->depth == JSONW_DEPTH_MAX) {
        fail(w, STDTAX_ETOOBIG);
        return;
    }
    put(w, &c, 1);
    w->depth++;
    if (object)
        w->objects |= UINT64_C(1) << (w->depth - 1);
    else
        w->objects &= ~(UINT64_C(1) << (w->depth - 1));
    w->comma = false;
}

static void close_container(struct jsonw *w, char c, bool object)
{
    if (w->error)
        return;
    if (w->depth == 0 || in_object(w) != object || w->want_value) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    put(w, &c, 1);
    w->depth--;
    value_end(w);
}

void jsonw_object_begin(struct jsonw *w)
{
    open_container(w, '{', true);
}

void jsonw_object_end(struct jsonw *w)
{
    close_container(w, '}', true);
}

void jsonw_array_begin(struct jsonw *w)
{
    open_container(w, '[', false);
}

void jsonw_array_end(struct jsonw *w)
{
    close_container(w, ']', false);
}

void jsonw_raw(struct jsonw *w, const char *text, size_t n)
{
    if (n == 0) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    literal(w, text, n);
}

void jsonw_object_extend(struct jsonw *w, const char *text, size_t n)
{
    if (n < 2 || text[0] != '{' || text[n - 1] != '}') {
        fail(w, STDTAX_EINVAL);
        return;
    }
    jsonw_object_begin(w);
    put(w, text + 1, n - 2);
    w->comma = n > 2;
}

void jsonw_newline(struct jsonw *w)
{
    if (w->depth != 0) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    put(w, "\n", 1);
}

/* ---- jansson values --------------------------------------------------------------- */

struct member {
    const char *key;
    size_t len;
    const json_t *value;
};

/* jansson's JSON_SORT_KEYS order: memcmp, then the shorter first. */
static int member_cmp(const void *x, const void *y)
{
    const struct member *a = x, *b = y;
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void value_dump(struct jsonw *w, const json_t *v);

#define MEMBERS_ON_STACK 32

static void object_dump(struct jsonw *w, const json_t *v)
{
    const char *key;
    size_t klen;
    json_t *item;
    jsonw_object_begin(w);
    if (!(w->flags & JSONW_SORT_KEYS)) {
        json_object_keylen_foreach((json_t *)v, key, klen, item)
        {
            jsonw_keyn(w, key, klen);
            value_dump(w, item);
            if (w->error)
                return;
        }
        jsonw_object_end(w);
        return;
    }
    struct member stack[MEMBERS_ON_STACK], *m = stack;
    size_t n = json_object_size(v), i = 0;
    if (n > MEMBERS_ON_STACK && !(m = malloc(n * sizeof *m))) {
        fail(w, STDTAX_ENOMEM);
        return;
    }
    json_object_keylen_foreach((json_t *)v, key, klen, item)
    {
        if (i < n)
            m[i++] = (struct member){key, klen, item};
    }
    qsort(m, i, sizeof *m, member_cmp);
    for (size_t k = 0; k < i && !w->error; k++) {
        jsonw_keyn(w, m[k].key, m[k].len);
        value_dump(w, m[k].value);
    }
    if (m != stack)
        free(m);
    jsonw_object_end(w);
}

static void value_dump(struct jsonw *w, const json_t *v)
{
    if (w->error)
        return;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        object_dump(w, v);
        return;
    case JSON_ARRAY: {
        jsonw_array_begin(w);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && !w->error; i++)
            value_dump(w, json_array_get(v, i));
        jsonw_array_end(w);
        return;
    }
    case JSON_STRING:
        jsonw_stringn(w, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        jsonw_int(w, json_integer_value(v));
        return;
    case JSON_REAL:
        jsonw_real(w, json_real_value(v));
        return;
    case JSON_TRUE:
        jsonw_bool(w, true);
        return;
    case JSON_FALSE:
        jsonw_bool(w, false);
        return;
    case JSON_NULL:
        jsonw_null(w);
        return;
    }
}

void jsonw_value(struct jsonw *w, const json_t *v)
{
    if (!v)
        fail(w, STDTAX_EINVAL);
    else
        value_dump(w, v);
}

/* ---- the text ---------------------------------------------------------------------- */

void jsonw_clear(struct jsonw *w)
{
    w->len = 0;
}

int jsonw_finish(struct jsonw *w, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    if (w->depth != 0 || w->want_value)
        fail(w, STDTAX_EINVAL);
    char *end = reserve(w, 0);
    int rc = w->error;
    if (rc == 0) {
        *end = '\0';
        *text = w->data;
        *len = w->len;
        w->data = NULL;
    }
    jsonw_free(w);
    jsonw_init(w, w->precision, w->flags);
    return rc;
}
