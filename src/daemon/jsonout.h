/* Compact JSON text for answers.  Byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15)) makes, at a fraction of its cost:
 * jansson 2.14 formats a loop-check key with snprintf and hashes it for every object
 * and array it dumps, which made serialising a classification cost almost as much as
 * computing it. */
#ifndef STDTAXD_JSONOUT_H
#define STDTAXD_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

#define JSONOUT_DEPTH_MAX 64

/* New text (free()) of v with *len bytes (NUL-terminated), or NULL when out of memory,
 * nested deeper than JSONOUT_DEPTH_MAX, or v holds a value that JSON cannot carry (a
 * non-finite real): the caller then falls back to json_dumps. */
char *jsonout_dump(const json_t *v, size_t *len);

#endif
