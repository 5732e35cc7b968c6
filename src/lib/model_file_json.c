/* The strict JSON cursor of the model file reader; see model_file_json.h. */
#include "model_file_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/jsonflat.h"
#include "stdtax/utf8.h"

static void mf_pointer(const struct mf *r, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < r->depth && n < cap; i++) {
        int w = r->seg[i] ? snprintf(out + n, cap - n, "/%s", r->seg[i])
                          : snprintf(out + n, cap - n, "/%zu", r->idx[i]);
        n += w > 0 ? (size_t)w : 0;
    }
}

/* Records the first error, at the cursor, for the member being read. */
int mf_fail(struct mf *r, int code, const char *fmt, ...)
{
    if (r->rc)
        return r->rc;
    r->rc = code;
    char what[STDTAX_TEXT_MAX], ptr[STDTAX_FIELD_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mf_pointer(r, ptr, sizeof ptr);
    size_t line = 1;
    const char *line_start = r->text;
    for (const char *q = r->text; q < r->p; q++)
        if (*q == '\n') {
            line++;
            line_start = q + 1;
        }
    if (code == STDTAX_ENOMEM)
        return stdtax_error_set(r->err, code, "", "out of memory");
    stdtax_error_set(r->err, code, ptr, "model file: line %zu, column %zu: %s", line,
                     (size_t)(r->p - line_start) + 1, what);
    return code;
}

void mf_push(struct mf *r, const char *name)
{
    r->seg[r->depth] = name;
    r->idx[r->depth] = 0;
    r->depth++;
}

void mf_pop(struct mf *r)
{
    r->depth--;
}

/* Not what the layout has here: a value of another type is STDTAX_EINVAL, text that
 * is no JSON value at all STDTAX_EPARSE. */
int mf_wrong(struct mf *r, const char *want)
{
    int c = mf_peek(r);
    if (c < 0)
        return mf_fail(r, STDTAX_EPARSE, "the text ends where %s belongs", want);
    if (c && strchr("\"{[-0123456789tfn", c))
        return mf_fail(r, STDTAX_EINVAL, "%s expected", want);
    if (c >= 0x20 && c < 0x7f)
        return mf_fail(r, STDTAX_EPARSE, "'%c' is not JSON here (%s expected)", c, want);
    return mf_fail(r, STDTAX_EPARSE, "byte 0x%02x is not JSON here (%s expected)", c,
                   want);
}

int mf_open(struct mf *r, char c)
{
    if (mf_char(r, c))
        return 1;
    mf_wrong(r, c == '[' ? "an array" : "an object");
    return 0;
}

/* 1 when there is an error already, or the text ends (then that is the error). */
static int mf_ended(struct mf *r)
{
    if (r->rc == 0 && mf_peek(r) < 0)
        mf_fail(r, STDTAX_EPARSE, "the text ends early");
    return r->rc != 0;
}

/* After an element: 1 when another follows (','), 0 at the close (or an error). */
int mf_more(struct mf *r, char close)
{
    if (mf_char(r, ','))
        return 1;
    if (!mf_char(r, close) && !mf_ended(r))
        mf_fail(r, STDTAX_EPARSE, "',' or '%c' expected", close);
    return 0;
}

/* Between elements of a fixed length: too few is another layout, anything else not
 * JSON. */
int mf_comma(struct mf *r, char close, const char *shape)
{
    if (mf_char(r, ','))
        return 1;
    if (!mf_ended(r))
        mf_fail(r, mf_peek(r) == close ? STDTAX_EINVAL : STDTAX_EPARSE, "must be %s",
                shape);
    return 0;
}

int mf_close(struct mf *r, char close, const char *shape)
{
    if (mf_char(r, close))
        return 1;
    if (!mf_ended(r))
        mf_fail(r, mf_peek(r) == ',' ? STDTAX_EINVAL : STDTAX_EPARSE, "must be %s",
                shape);
    return 0;
}

/* A string into r->str: at most MF_STRING_MAX bytes of JSON, valid UTF-8, no NUL. */
int mf_string(struct mf *r)
{
    if (r->rc || mf_peek(r) != '"')
        return r->rc ? 0 : (mf_wrong(r, "a string"), 0);
    size_t left = (size_t)(r->end - r->p), q = 1; /* the closing quote's offset */
    while (q < left && r->p[q] != '"' && q <= MF_STRING_MAX)
        q += r->p[q] == '\\' ? 2 : 1;
    if (q >= left)
        return mf_fail(r, STDTAX_EPARSE, "a string does not end"), 0;
    if (q > MF_STRING_MAX)
        return mf_fail(r, STDTAX_EINVAL, "a string longer than %d bytes", MF_STRING_MAX),
               0;
    const char *from = r->p;
    if (!jsonflat_string_decode(&r->p, r->end, r->str, &r->str_len)) {
        r->p = from;
        return mf_fail(r, STDTAX_EPARSE, "a bad escape or control character in a string"),
               0;
    }
    if (utf8_text_validate(r->str, r->str_len, NULL) != 0) {
        r->p = from;
        return mf_fail(r, STDTAX_EPARSE, "a string is not valid UTF-8"), 0;
    }
    return 1;
}

/* A JSON number (RFC 8259: no leading zeros, no '+', digits around the point):
 * *integer when it has no fraction and no exponent.  Its length, 0 when none. */
static size_t mf_number_span(struct mf *r, int *integer)
{
    if (r->rc)
        return 0;
    int c = mf_peek(r);
    if (c != '-' && !(c >= '0' && c <= '9'))
        return mf_wrong(r, "a number"), 0;
    const char *q = r->p, *end = r->end;
    q += *q == '-';
    const char *digits = q;
    if (q < end && *q == '0')
        q++;
    else
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    int ok = q > digits;
    *integer = 1;
    if (ok && q < end && *q == '.') {
        const char *d = ++q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        ok = q > d;
        *integer = 0;
    }
    if (ok && q < end && (*q == 'e' || *q == 'E')) {
        q++;
        q += q < end && (*q == '+' || *q == '-');
        const char *d = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        ok = q > d;
        *integer = 0;
    }
    /* A number goes on where JSON's ends ("01", "1.2.3"): not JSON. */
    if (!ok || (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
                            *q == 'E' || *q == '+' || *q == '-')))
        return mf_fail(r, STDTAX_EPARSE, "not a JSON number"), 0;
    if (q - r->p > MF_NUMBER_MAX)
        return mf_fail(r, STDTAX_EINVAL, "a number longer than %d characters",
                       MF_NUMBER_MAX),
               0;
    return (size_t)(q - r->p);
}

/* The number at the cursor, not passed: its length (0 on an error), and its value as a
 * double and, when it is an integer of at most 18 digits (*small), as an integer. */
static size_t mf_number(struct mf *r, int *small, int64_t *iv, double *dv)
{
    int integer;
    size_t n = mf_number_span(r, &integer);
    if (n == 0)
        return 0;
    const char *q = r->p;
    int neg = *q == '-';
    *small = integer && n - (size_t)neg <= 18;
    if (*small) {
        int64_t x = 0;
        for (q += neg; q < r->p + n; q++)
            x = x * 10 + (*q - '0');
        *iv = neg ? -x : x;
        *dv = (double)*iv; /* as jansson: an integer, so -0 is 0, never -0.0 */
    } else {
        char buf[MF_NUMBER_MAX + 1];
        memcpy(buf, r->p, n);
        buf[n] = '\0';
        *dv = strtod(buf, NULL);
    }
    return n;
}

int mf_int(struct mf *r, int64_t lo, int64_t hi, int64_t *v)
{
    int small;
    double d;
    size_t n = mf_number(r, &small, v, &d);
    if (n == 0)
        return 0;
    if (!small)
        return mf_fail(r, STDTAX_EINVAL, "an integer of at most 18 digits expected"), 0;
    if (*v < lo || *v > hi)
        return mf_fail(r, STDTAX_EINVAL, "%lld is not in [%lld, %lld]", (long long)*v,
                       (long long)lo, (long long)hi),
               0;
    r->p += n;
    return 1;
}

int mf_real(struct mf *r, double lo, double hi, double *v)
{
    int small;
    int64_t i;
    size_t n = mf_number(r, &small, &i, v);
    if (n == 0)
        return 0;
    if (!(*v >= lo && *v <= hi))
        return mf_fail(r, STDTAX_EINVAL, "%.17g is not in [%g, %g]", *v, lo, hi), 0;
    r->p += n;
    return 1;
}

static int mf_literal(struct mf *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

int mf_bool(struct mf *r, int *v)
{
    int c = mf_peek(r);
    if (r->rc)
        return 0;
    if (c == 't' && mf_literal(r, "true"))
        return *v = 1;
    if (c == 'f' && mf_literal(r, "false"))
        return (*v = 0), 1;
    mf_wrong(r, "true or false");
    return 0;
}

int mf_null(struct mf *r)
{
    return r->rc == 0 && mf_peek(r) == 'n' && mf_literal(r, "null");
}

/* ---- objects of named members, in a fixed order ------------------------------------ */

const char *mf_clipped(struct mf *r, size_t max)
{
    if (r->str_len > max) {
        size_t n = max;
        while (n > 0 && ((unsigned char)r->str[n] & 0xC0) == 0x80)
            n--; /* not inside a character */
        r->str[n] = '\0';
        r->str_len = n;
    }
    return r->str;
}

static const char *mf_name(const struct mf_object *o, size_t i)
{
    return *(const char *const *)((const char *)o->table + i * o->stride);
}

/* The next member's name into key (truncated names are never a member's). */
int mf_key(struct mf *r, char *key)
{
    if (!mf_string(r))
        return 0;
    if (r->str_len < MF_KEY_MAX)
        memcpy(key, r->str, r->str_len + 1);
    else
        strcpy(key, "?");
    if (!mf_char(r, ':'))
        return mf_fail(r, STDTAX_EPARSE, "':' expected after \"%s\"", key), 0;
    return 1;
}

/* Reads an object of o's members in their order, read() called for each present one
 * with the member's name pushed on the pointer.  Returns the members present (bit i). */
unsigned mf_members(struct mf *r, const struct mf_object *o, mf_member_fn read, void *ctx)
{
    unsigned seen = 0;
    char key[MF_KEY_MAX];
    if (!mf_open(r, '{'))
        return 0;
    int have = !mf_char(r, '}') && mf_key(r, key);
    for (size_t i = 0; i < o->n && r->rc == 0; i++) {
        const char *name = mf_name(o, i);
        if (have && strcmp(key, name) == 0) {
            mf_push(r, name);
            read(r, ctx, i);
            mf_pop(r);
            seen |= 1u << i;
            have = mf_more(r, '}') && mf_key(r, key);
        } else if (!(o->optional >> i & 1)) {
            if (have)
                mf_fail(r, STDTAX_EINVAL, "member \"%s\" where \"%s\" belongs%s", key,
                        name, o->what ? o->what : "");
            else
                mf_fail(r, STDTAX_EINVAL, "member \"%s\" missing", name);
        }
    }
    if (have)
        mf_fail(r, STDTAX_EINVAL,
                "member \"%s\" unknown or out of order (see doc/classifier.md)", key);
    return seen;
}
