/* Error codes and the caller-owned error record shared by every library module.
 *
 * Library calls return 0 or a negative enum stdtax_err.  Where the caller needs
 * detail (a file, a request field), they also fill a struct stdtax_error that
 * lives on the caller's stack, like jansson's json_error_t.  Validation that can
 * find several problems at once appends them to a jansson array of problems
 * (see stdtax_problem_add). */
#ifndef STDTAX_ERROR_H
#define STDTAX_ERROR_H

#include <jansson.h>
#include <stddef.h>

enum stdtax_err {
    STDTAX_OK = 0,
    STDTAX_ENOMEM = -1,      /* out of memory */
    STDTAX_EINVAL = -2,      /* invalid content (a validation problem) */
    STDTAX_EUTF8 = -3,       /* text is not valid UTF-8 */
    STDTAX_EPARSE = -4,      /* unparsable input (JSON, CSV, config syntax) */
    STDTAX_ENOTFOUND = -5,   /* no such record, node or file */
    STDTAX_ECONFLICT = -6,   /* conflicts with an existing record */
    STDTAX_EIO = -7,         /* an operating-system I/O call failed */
    STDTAX_ETOOBIG = -8,     /* over a configured or built-in length limit */
    STDTAX_ESTORE = -9,      /* the LMDB store failed */
    STDTAX_ELATE = -10,      /* received after the track's deadline */
    STDTAX_EVERSION = -11,   /* a file or store of another schema version */
    STDTAX_ENOSPC = -12,     /* no space left on the device */
    STDTAX_EEMPTY = -13,     /* empty or whitespace-only text */
    STDTAX_EFORBIDDEN = -14, /* the caller lacks the scope for this action */
    STDTAX_ETYPE = -15,      /* a file of a type not accepted, or not the one declared */
};

/* Static, never NULL. */
const char *stdtax_strerror(int err);

#define STDTAX_FIELD_MAX 128
#define STDTAX_TEXT_MAX 320

struct stdtax_error {
    int code;                     /* an enum stdtax_err */
    char field[STDTAX_FIELD_MAX]; /* a JSON pointer, a file:line, or "" */
    char text[STDTAX_TEXT_MAX];   /* one line, no trailing newline */
};

/* Fills err (which may be NULL) and returns code, so a caller can write
 * `return stdtax_error_set(err, STDTAX_EINVAL, "/title", "too long");`. */
int stdtax_error_set(struct stdtax_error *err, int code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends {"pointer": field, "detail": text} to the problems array.
 * Returns 0 or STDTAX_ENOMEM. */
int stdtax_problem_add(json_t *problems, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
