#include "stdtax/jsonw.h"
#include "stdtax/error.h"
#include "stdtax/utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The answers are written in one piece of this size (a classification is ~3 KiB). */
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

/* The slow side of ROOM: the buffer doubled until need more bytes and a NUL fit.  False
 * (and w failed) when memory runs out. */
static bool grow(struct jsonw *w, size_t need)
{
    if (need >= SIZE_MAX / 4 - w->len) {
        fail(w, STDTAX_ENOMEM);
        return false;
    }
    size_t cap = w->cap ? w->cap : JSONW_FIRST_CAP;
    while (cap < w->len + need + 1)
        cap *= 2;
    char *p = realloc(w->data, cap);
    if (!p) {
        fail(w, STDTAX_ENOMEM);
        return false;
    }
    w->data = p;
    w->cap = cap;
    return true;
}

/* Room for need more bytes and a NUL. */
#define ROOM(w, need) ((w)->cap - (w)->len > (need) || grow((w), (need)))

/* memcpy, inline for the short pieces an answer is made of (keys, codes, numbers):
 * two overlapping fixed-size copies instead of a call. */
static inline void copy(char *d, const char *s, size_t n)
{
    if (n >= 16 && n <= 32) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
}

static bool in_object(const struct jsonw *w)
{
    return w->depth > 0 && (w->objects >> (w->depth - 1) & 1);
}

/* Where a value of at most n bytes is written, after its comma; NULL when w has failed
 * or a value cannot go here (an object wants a key first).  value_done ends it. */
static char *value_at(struct jsonw *w, size_t n)
{
    if (w->error)
        return NULL;
    bool comma = false;
    if (in_object(w)) {
        if (!w->want_value) {
            fail(w, STDTAX_EINVAL);
            return NULL;
        }
        w->want_value = false;
    } else {
        comma = w->comma; /* top-level values have none: JSON Lines puts a newline */
    }
    if (!ROOM(w, n + 1))
        return NULL;
    char *p = w->data + w->len;
    if (comma)
        *p++ = ',';
    return p;
}

static void value_done(struct jsonw *w, const char *end)
{
    w->len = (size_t)(end - w->data);
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

/* Most a string of n bytes takes, quoted (every byte as \u00XX). */
static bool string_room(struct jsonw *w, size_t n, size_t *room)
{
    if (n > SIZE_MAX / 8) {
        fail(w, STDTAX_ENOMEM);
        return false;
    }
    *room = n * 6 + 2;
    return true;
}

/* s[0..n) quoted and escaped at o; returns the end, or NULL (w failed) when s is not
 * UTF-8. */
static char *string_write(struct jsonw *w, char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* upper case, as jansson */
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    *o++ = '"';
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x80) {
            /* The common sequences checked here (CJK: E1..EC or EE..EF and two
             * continuation bytes; C2..DF and one), the rest by utf8_char_decode. */
            size_t left = (size_t)(end - p);
            if (left >= 3 && c >= 0xE1 && c <= 0xEF && c != 0xED &&
                (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
                memcpy(o, p, 3);
                o += 3;
                p += 3;
                continue;
            }
            if (left >= 2 && c >= 0xC2 && c <= 0xDF && (p[1] & 0xC0) == 0x80) {
                memcpy(o, p, 2);
                o += 2;
                p += 2;
                continue;
            }
            uint32_t cp;
            size_t k = utf8_char_decode((const char *)p, left, &cp);
            if (k == 0) {
                fail(w, STDTAX_EUTF8);
                return NULL;
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
    return o;
}

/* Where a key of at most n bytes is written, after its comma; NULL when w has failed or
 * no key can go here.  key_done ends it. */
static char *key_at(struct jsonw *w, size_t n)
{
    if (w->error)
        return NULL;
    if (!in_object(w) || w->want_value) {
        fail(w, STDTAX_EINVAL);
        return NULL;
    }
    if (!ROOM(w, n + 1))
        return NULL;
    char *p = w->data + w->len;
    if (w->comma)
        *p++ = ',';
    return p;
}

static void key_done(struct jsonw *w, const char *end)
{
    w->len = (size_t)(end - w->data);
    w->want_value = true;
    w->comma = false;
}

void jsonw_keyn(struct jsonw *w, const char *key, size_t n)
{
    size_t room;
    char *p;
    if (string_room(w, n, &room) && (p = key_at(w, room + 1)) &&
        (p = string_write(w, p, key, n))) {
        *p++ = ':';
        key_done(w, p);
    }
}

void jsonw_key(struct jsonw *w, const char *key)
{
    jsonw_keyn(w, key, strlen(key));
}

void jsonw_key_quoted(struct jsonw *w, const char *quoted, size_t n)
{
    char *p = key_at(w, n);
    if (p) {
        copy(p, quoted, n);
        key_done(w, p + n);
    }
}

void jsonw_stringn(struct jsonw *w, const char *s, size_t n)
{
    size_t room;
    char *p;
    if (string_room(w, n, &room) && (p = value_at(w, room)) &&
        (p = string_write(w, p, s, n)))
        value_done(w, p);
}

void jsonw_string(struct jsonw *w, const char *s)
{
    jsonw_stringn(w, s, strlen(s));
}

/* ---- numbers and literals ------------------------------------------------------- */

static void literal(struct jsonw *w, const char *s, size_t n)
{
    char *p = value_at(w, n);
    if (p) {
        copy(p, s, n);
        value_done(w, p + n);
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

/* The decimal digits of v at p; returns their end. */
static char *digits(char *p, uint64_t v)
{
    size_t n = 1;
    for (uint64_t t = v; t >= 10; t /= 10)
        n++;
    char *end = p + n;
    p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    char *p = value_at(w, 20);
    if (!p)
        return;
    if (v < 0)
        *p++ = '-';
    value_done(w, digits(p, v < 0 ? 0 - (uint64_t)v : (uint64_t)v));
}

/* The answers' reals are probabilities and weights rounded to 4 decimals: written from
 * their integer ten-thousandths, the text %.<p>g makes of them (p <= 15, at most p
 * significant digits: the double nearest a decimal of at most 15 digits prints as that
 * decimal), without snprintf's cost.  Writes at o and returns the end, or NULL when v
 * is not such a value. */
static char *real_fixed4(const struct jsonw *w, double v, char *o)
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
        return NULL;
    /* Rounded by hand (round() is a call): a wrong neighbour fails the check below. */
    uint64_t mag = (uint64_t)(fabs(v * 10000.0) + 0.5);
    if ((v < 0 ? -(double)mag : (double)mag) / 10000.0 != v || mag >= pow10[w->precision])
        return NULL;
    if (v < 0)
        *o++ = '-';
    o = digits(o, mag / 10000);
    *o++ = '.';
    unsigned f = (unsigned)(mag % 10000);
    o[0] = (char)('0' + f / 1000);
    o[1] = (char)('0' + f / 100 % 10);
    o[2] = (char)('0' + f / 10 % 10);
    o[3] = (char)('0' + f % 10);
    size_t nfrac = 4;
    while (nfrac > 1 && o[nfrac - 1] == '0')
        nfrac--;
    return o + nfrac;
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

#define REAL_MAX 48

void jsonw_real(struct jsonw *w, double v)
{
    if (w->error)
        return;
    if (!isfinite(v)) {
        fail(w, STDTAX_EINVAL);
        return;
    }
    char *p = value_at(w, REAL_MAX), *end = p ? real_fixed4(w, v, p) : NULL;
    if (!p)
        return;
    if (!end) {
        size_t n = real_general(w, v, p, REAL_MAX);
        if (n == 0) {
            fail(w, STDTAX_EINVAL);
            return;
        }
        end = p + n;
    }
    value_done(w, end);
}

/* ---- containers ------------------------------------------------------------------ */

static void open_container(struct jsonw *w, const char *text, size_t n, bool object)
{
    if (w->depth == JSONW_DEPTH_MAX) {
        fail(w, STDTAX_ETOOBIG);
        return;
    }
    char *p = value_at(w, n);
    if (!p)
        return;
    memcpy(p, text, n);
    w->len = (size_t)(p + n - w->data);
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
    if (!ROOM(w, 1))
        return;
    w->data[w->len++] = c;
    w->depth--;
    w->comma = w->depth > 0;
}

void jsonw_object_begin(struct jsonw *w)
{
    open_container(w, "{", 1, true);
}

void jsonw_object_end(struct jsonw *w)
{
    close_container(w, '}', true);
}

void jsonw_array_begin(struct jsonw *w)
{
    open_container(w, "[", 1, false);
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
    open_container(w, text, n - 1, true);
    w->comma = n > 2;
}

void jsonw_newline(struct jsonw *w)
{
    if (w->depth != 0)
        fail(w, STDTAX_EINVAL);
    if (w->error || !ROOM(w, 1))
        return;
    w->data[w->len++] = '\n';
}

/* ---- jansson values --------------------------------------------------------------- */

int jsonw_member_cmp(const void *x, const void *y)
{
    const struct jsonw_member *a = x, *b = y;
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The members of object v, at most n, into m sorted; returns how many. */
static size_t members_sort(const json_t *v, struct jsonw_member *m, size_t n)
{
    const char *key;
    size_t klen, i = 0;
    json_t *item;
    json_object_keylen_foreach((json_t *)v, key, klen, item)
    {
        if (i < n)
            m[i++] = (struct jsonw_member){key, klen, item};
    }
    qsort(m, i, sizeof *m, jsonw_member_cmp);
    return i;
}

int jsonw_members_sorted(const json_t *object, struct jsonw_member **members, size_t *n)
{
    size_t size = json_object_size(object);
    *members = NULL;
    *n = 0;
    if (size == 0)
        return 0;
    if (!(*members = malloc(size * sizeof **members)))
        return STDTAX_ENOMEM;
    *n = members_sort(object, *members, size);
    return 0;
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
    struct jsonw_member stack[MEMBERS_ON_STACK], *m = stack;
    size_t n = json_object_size(v);
    if (n > MEMBERS_ON_STACK && !(m = malloc(n * sizeof *m))) {
        fail(w, STDTAX_ENOMEM);
        return;
    }
    size_t i = members_sort(v, m, n);
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
    int rc = w->error || !ROOM(w, 0) ? w->error : 0;
    if (rc == 0) {
        w->data[w->len] = '\0';
        *text = w->data;
        *len = w->len;
        w->data = NULL;
    }
    jsonw_free(w);
    jsonw_init(w, w->precision, w->flags);
    return rc;
}
