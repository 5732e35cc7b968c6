/* What the proposal files share: text checks, the problem list and JSON pointers. */
#include "proposal_internal.h"
#include "stdtax/utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 ||
           cp == 0x3000;
}

/* Checks text: valid UTF-8, no NUL or control characters (line breaks and tabs only in
 * multi-line text).  Counts characters and tells whether it is all white space.
 * Returns NULL or a static reason. */
const char *prop_text_scan(const char *s, size_t len, bool multiline, size_t *chars,
                           bool *blank)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    bool all_space = true;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_char_decode((const char *)u + i, len - i, &cp);
        if (k == 0)
            return "is not valid UTF-8";
        if (cp == 0)
            return "holds a NUL character";
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            if (!(multiline && (cp == '\n' || cp == '\r' || cp == '\t')))
                return multiline ? "holds a control character"
                                 : "holds a control character or line break";
        }
        if (!is_space_cp(cp))
            all_space = false;
        i += k;
        n++;
    }
    *chars = n;
    *blank = all_space;
    return NULL;
}

/* A value counts as given when it is not null, a blank string or an empty array: forms
 * leave unused boxes empty, and clients send them so. */
bool prop_given(const json_t *v)
{
    if (!v || json_is_null(v))
        return false;
    if (json_is_string(v)) {
        size_t chars;
        bool blank;
        if (prop_text_scan(json_string_value(v), json_string_length(v), true, &chars,
                           &blank))
            return true; /* not blank; the bad text is reported where it is checked */
        return !blank;
    }
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return true;
}

/* The value of a string member, or NULL when it is not a given string. */
const char *prop_str_of(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) && prop_given(v) ? json_string_value(v) : NULL;
}

/* Text with surrounding white space removed, for comparing unit names. */
void prop_trimmed(const char *s, const char **start, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), b = 0, e = n;
    uint32_t cp;
    size_t k;
    while (b < e && (k = utf8_char_decode((const char *)u + b, e - b, &cp)) &&
           is_space_cp(cp))
        b += k;
    while (e > b) {
        size_t p = e - 1;
        while (p > b && (u[p] & 0xC0) == 0x80)
            p--;
        if (!(k = utf8_char_decode((const char *)u + p, e - p, &cp)) || !is_space_cp(cp))
            break;
        e = p;
    }
    *start = s + b;
    *len = e - b;
}

void prop_problem(struct prop_problems *v, const char *ptr, const char *fmt, ...)
{
    if (v->rc != 0)
        return;
    if (v->n == PROP_PROBLEMS_MAX) {
        if (stdtax_problem_add(v->problems, "", "more than %d problems; list cut",
                               PROP_PROBLEMS_MAX) != 0)
            v->rc = STDTAX_ENOMEM;
        v->n++;
        return;
    }
    if (v->n > PROP_PROBLEMS_MAX)
        return;
    char text[STDTAX_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (stdtax_problem_add(v->problems, ptr, "%s", text) != 0)
        v->rc = STDTAX_ENOMEM;
    v->n++;
}

/* Appends "/token" to a JSON pointer (RFC 6901 escaping), cutting a hostile long key. */
void prop_ptr_join(char *out, const char *base, const char *token)
{
    size_t n = (size_t)snprintf(out, PROP_PTR_MAX, "%s/", base);
    for (const char *t = token; *t && n + 3 < PROP_PTR_MAX; t++) {
        if (*t == '~') {
            out[n++] = '~', out[n++] = '0';
        } else if (*t == '/') {
            out[n++] = '~', out[n++] = '1';
        } else {
            out[n++] = *t;
        }
    }
    /* Do not leave a cut UTF-8 sequence at the end. */
    while (n > 0 && (out[n - 1] & 0xC0) == 0x80) {
        size_t k = n - 1;
        while (k > 0 && (out[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        if (utf8_char_decode(out + k, n - k, &cp) == n - k)
            break;
        n = k;
    }
    if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
        n--;
    out[n] = '\0';
}
