/* The one JSON writer: compact text written as it is produced (no tree), for the
 * daemon's answers, the classifier's result and the store's records.
 *
 * Commas are put where they belong; a misuse (a key in an array, a value in an object
 * without its key, an end that does not match its begin) and every failure (out of
 * memory, a real JSON cannot carry, invalid UTF-8, nesting deeper than JSONW_DEPTH_MAX)
 * set a sticky error that jsonw_finish reports, so a caller writes a whole document
 * and checks once.  Strings are escaped as jansson escapes them without
 * JSON_ENSURE_ASCII ('"', '\\' and control characters; everything else as is).
 * Dumping a jansson value is about twice as fast as json_dumps (jansson 2.14 formats
 * and hashes a loop-check key for every container it writes). */
#ifndef STDTAX_JSONW_H
#define STDTAX_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Containers open at once, at most: a document nested deeper is refused. */
#define JSONW_DEPTH_MAX 64

/* Significant digits of reals: what the answers carry (jansson's
 * JSON_REAL_PRECISION(15)), and what reads back as the same double (the store). */
#define JSONW_PRECISION_ANSWER 15
#define JSONW_PRECISION_EXACT 17

enum jsonw_flags {
    JSONW_SORT_KEYS = 1, /* jsonw_value writes object members sorted by key (memcmp) */
};

struct jsonw {
    char *data; /* owned; len bytes written so far */
    size_t len, cap;
    int error;      /* 0 or the first enum stdtax_err met (sticky) */
    int precision;  /* significant digits of reals, 1..17 */
    unsigned flags; /* enum jsonw_flags */
    unsigned depth; /* containers open */
    bool comma;     /* the next key or value follows a sibling */
    bool want_value;
    uint64_t objects; /* bit d-1: the container at depth d is an object */
};

/* An empty writer (no memory yet); precision as jsonw_real uses it. */
void jsonw_init(struct jsonw *w, int precision, unsigned flags);

/* Frees the text; w may then be initialised again. */
void jsonw_free(struct jsonw *w);

/* 0, or the error that stopped the writer: STDTAX_ENOMEM, STDTAX_EUTF8 (a string is not
 * UTF-8), STDTAX_ETOOBIG (deeper than JSONW_DEPTH_MAX), STDTAX_EINVAL (a non-finite
 * real, a misuse). */
int jsonw_error(const struct jsonw *w);

/* Hands over the text written (new, NUL-terminated, *len bytes) and empties w.  Returns
 * 0, or the error (and *text NULL, w emptied) when one was met or a container is still
 * open. */
int jsonw_finish(struct jsonw *w, char **text, size_t *len);

/* Forgets the text written so far, keeping the memory (a caller that sends it in parts,
 * between top-level values). */
void jsonw_clear(struct jsonw *w);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);

/* The key of the next member (n bytes of UTF-8). */
void jsonw_keyn(struct jsonw *w, const char *key, size_t n);
void jsonw_key(struct jsonw *w, const char *key);
/* A key written by the caller as text, quoted and with its colon: JSONW_KEY. */
void jsonw_key_quoted(struct jsonw *w, const char *quoted, size_t n);
/* A key known at compile time that needs no escape (letters, digits, '_', '\''...):
 * copied, not escaped, on the hot paths. */
#define JSONW_KEY(w, lit) jsonw_key_quoted((w), "\"" lit "\":", sizeof(lit) + 2)

/* n bytes of UTF-8 (NUL bytes included, as \u0000). */
void jsonw_stringn(struct jsonw *w, const char *s, size_t n);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
/* As jansson writes a real at w's precision ("%.<p>g", ".0" when it would read back as
 * an integer, no '+' or leading zeros in the exponent); NaN and infinities are refused
 * (STDTAX_EINVAL). */
void jsonw_real(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* The text of v (borrowed); NULL is refused (STDTAX_EINVAL). */
void jsonw_value(struct jsonw *w, const json_t *v);

/* A member of a jansson object, borrowed from it. */
struct jsonw_member {
    const char *key;
    size_t len;
    const json_t *value;
};

/* JSONW_SORT_KEYS order (jansson's: memcmp, then the shorter key first); a qsort
 * comparator of struct jsonw_member. */
int jsonw_member_cmp(const void *a, const void *b);

/* The members of object in JSONW_SORT_KEYS order, for a caller that writes them one by
 * one: *members new (free(); NULL when there are none), *n of them.  0 or
 * STDTAX_ENOMEM. */
int jsonw_members_sorted(const json_t *object, struct jsonw_member **members, size_t *n);

/* Text a jsonw made (jsonw_finish) of one whole value, copied as is: for strings and
 * objects escaped once and written many times. */
void jsonw_raw(struct jsonw *w, const char *text, size_t n);

/* Begins an object holding the members of text, an object a jsonw made: more members
 * can follow before jsonw_object_end. */
void jsonw_object_extend(struct jsonw *w, const char *text, size_t n);

/* Ends a line of JSON Lines: a '\n' after a complete top-level value. */
void jsonw_newline(struct jsonw *w);

#endif
