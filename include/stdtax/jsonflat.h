/* A fast path for the common JSON line: one object whose members are all strings or
 * null (a classification request, a labelled example).  It answers "handled" only when
 * jansson (json_loadb with JSON_REJECT_DUPLICATES) would accept the text and give the
 * same members; for anything else (nested values, numbers, duplicate keys, bad UTF-8,
 * \u0000, syntax errors) it answers "not handled" and the caller parses with jansson,
 * which also words the error.  It allocates nothing. */
#ifndef STDTAX_JSONFLAT_H
#define STDTAX_JSONFLAT_H

#include <jansson.h>
#include <stddef.h>

#define JSONFLAT_MEMBERS_MAX 32

struct jsonflat_member {
    const char *key, *value; /* decoded, NUL-terminated, in the caller's scratch */
    size_t key_len, value_len;
    int is_null; /* value is JSON null (value is "" then) */
};

/* Parses s[0..len).  scratch must have room for len + JSONFLAT_MEMBERS_MAX * 2 bytes
 * (decoded strings are never longer than their JSON text, plus one NUL each).  Returns
 * 1 and fills m[0..*n) when handled, else 0. */
int jsonflat_object_parse(const char *s, size_t len, char *scratch,
                          struct jsonflat_member *m, size_t *n);

/* s[0..len) as the object json_loadb (with JSON_REJECT_DUPLICATES) would make of it,
 * members in the same order: new, or NULL when jsonflat does not handle the text (or
 * out of memory): then let jansson parse it.  Texts up to JSONFLAT_NEW_MAX bytes;
 * allocates only the result. */
#define JSONFLAT_NEW_MAX 16384
json_t *jsonflat_object_new(const char *s, size_t len);

/* One JSON string at *s (its opening quote; the text ends at end), decoded into out,
 * which needs room for the string's JSON length + 1.  Returns 1 with *s after the
 * closing quote and out[0..*len) NUL-terminated; 0 where jansson would refuse the
 * string (bad escape, raw control character, \u0000, lone surrogate) or it is cut
 * off.  The raw bytes are copied as they are: the caller checks their UTF-8. */
int jsonflat_string_decode(const char **s, const char *end, char *out, size_t *len);

/* The member named key (NUL-terminated), or NULL. */
const struct jsonflat_member *jsonflat_member_get(const struct jsonflat_member *m,
                                                  size_t n, const char *key);

#endif
