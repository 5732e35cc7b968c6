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
 * Returns MSG_NONE or the rule it breaks. */
enum msg_id prop_text_scan(const char *s, size_t len, bool multiline, size_t *chars,
                           bool *blank)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    bool all_space = true;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_char_decode((const char *)u + i, len - i, &cp);
        if (k == 0)
            return MSG_TEXT_UTF8;
        if (cp == 0)
            return MSG_TEXT_NUL;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            if (!(multiline && (cp == '\n' || cp == '\r' || cp == '\t')))
                return multiline ? MSG_TEXT_CONTROL : MSG_LINE_CONTROL;
        }
        if (!is_space_cp(cp))
            all_space = false;
        i += k;
        n++;
    }
    *chars = n;
    *blank = all_space;
    return MSG_NONE;
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

void prop_problem(struct prop_problems *v, const char *ptr, enum msg_id id, ...)
{
    if (v->rc != 0 || v->n > PROP_PROBLEMS_MAX)
        return;
    const char *args[5] = {0};
    if (v->n == PROP_PROBLEMS_MAX) {
        char max[24];
        snprintf(max, sizeof max, "%d", PROP_PROBLEMS_MAX);
        args[0] = max;
        if (stdtax_problem_add_msg(v->problems, "", MSG_LIST_CUT, args) != 0)
            v->rc = STDTAX_ENOMEM;
        v->n++;
        return;
    }
    va_list ap;
    va_start(ap, id);
    for (size_t i = 0; i < 4 && (args[i] = va_arg(ap, const char *)) != NULL; i++)
        ;
    va_end(ap);
    if (stdtax_problem_add_msg(v->problems, ptr, id, args) != 0)
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
