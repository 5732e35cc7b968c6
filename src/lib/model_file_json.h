/* A strict cursor over JSON text for a fixed layout (the model file, model_file_load.c):
 * it reads the values the layout expects where it expects them and records the first
 * error with its line, column and JSON pointer; everything after an error does nothing.
 * Syntax errors are STDTAX_EPARSE, valid JSON of another shape STDTAX_EINVAL.  Strings
 * are decoded by jsonflat_string_decode and must be valid UTF-8 without NUL. */
#ifndef STDTAX_MODEL_FILE_JSON_H
#define STDTAX_MODEL_FILE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "stdtax/error.h"

#define MF_STRING_MAX 4096 /* bytes of JSON text of one string */
#define MF_KEY_MAX 64      /* bytes of a member's name, NUL included */
#define MF_DEPTH 8         /* segments of a JSON pointer */
#define MF_NUMBER_MAX 63   /* characters of one number */

struct mf {
    const char *text, *p, *end;
    /* The JSON pointer of what is being read: a name, or NULL for the index idx[i]. */
    const char *seg[MF_DEPTH];
    size_t idx[MF_DEPTH];
    int depth;
    int rc; /* the first error, 0 while there is none */
    struct stdtax_error *err;
    char str[MF_STRING_MAX + 1]; /* the last string read, decoded */
    size_t str_len;
};

/* Records the first error, at the cursor, for the member being read.  Returns it. */
int mf_fail(struct mf *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void mf_push(struct mf *r, const char *name); /* NULL: an index, idx[depth - 1] */
void mf_pop(struct mf *r);

/* The next character after white space, -1 at the end. */
static inline int mf_peek(struct mf *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
    return r->p < r->end ? (unsigned char)*r->p : -1;
}

/* 1 and past c when it comes next; 0 (and no error) otherwise. */
static inline int mf_char(struct mf *r, char c)
{
    if (r->rc || mf_peek(r) != (unsigned char)c)
        return 0;
    r->p++;
    return 1;
}

/* The functions below return 1 when they read what they were asked for, else 0 with
 * the error recorded. */

/* Fails: want (a value) is not what comes next. */
int mf_wrong(struct mf *r, const char *want);
/* '[' or '{'. */
int mf_open(struct mf *r, char c);
/* After an element: 1 when ',' (another follows), 0 at close or an error. */
int mf_more(struct mf *r, char close);
/* ',' and the close of an array of a fixed length; shape names it for the error. */
int mf_comma(struct mf *r, char close, const char *shape);
int mf_close(struct mf *r, char close, const char *shape);
/* A string into r->str / r->str_len. */
int mf_string(struct mf *r);
/* r->str cut to at most max bytes, between characters, for an error message. */
const char *mf_clipped(struct mf *r, size_t max);
/* An integer (no fraction, no exponent, at most 18 digits) in [lo, hi]. */
int mf_int(struct mf *r, int64_t lo, int64_t hi, int64_t *v);
/* A number in [lo, hi] (finite; an integer is read as one, so -0 is 0). */
int mf_real(struct mf *r, double lo, double hi, double *v);
int mf_bool(struct mf *r, int *v);
/* 1 and past it when null comes next; 0 (and no error) otherwise. */
int mf_null(struct mf *r);

/* An object's members in the order they come: n names, each the first member of an
 * element of a table of stride bytes; bit i of optional: member i may be absent; what
 * (may be NULL) is added to the error for a member in the wrong place. */
struct mf_object {
    const void *table;
    size_t stride, n;
    unsigned optional;
    const char *what;
};

#define MF_NAMES(names, optional)                                                        \
    {                                                                                    \
        (names), sizeof(names)[0], sizeof(names) / sizeof(names)[0], (optional), NULL    \
    }

typedef void (*mf_member_fn)(struct mf *r, void *ctx, size_t i);

/* The next member's name (into key, MF_KEY_MAX bytes) and its ':'. */
int mf_key(struct mf *r, char *key);
/* An object of o's members in their order, read(r, ctx, i) for each one present with
 * its name on the pointer; another name, a missing member or one more is refused.
 * Returns the members present (bit i). */
unsigned mf_members(struct mf *r, const struct mf_object *o, mf_member_fn read,
                    void *ctx);

#endif
