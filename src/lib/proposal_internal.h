/* What the proposal files share (schema, validation, record, CSV); not installed.
 * The public API is include/stdtax/proposal.h. */
#ifndef STDTAX_PROPOSAL_INTERNAL_H
#define STDTAX_PROPOSAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "stdtax/proposal.h"

/* The call id format (1..31 of A-Z a-z 0-9 . _ -): MSG_NONE when good, else the
 * rule it breaks.  Shared by the field table and the rules. */
enum msg_id prop_check_call_id(const char *s, size_t len);

/* Checks text: valid UTF-8, no NUL or control characters (line breaks and tabs only in
 * multi-line text).  Sets *chars to the number of characters and *blank to whether it
 * is all white space.  Returns MSG_NONE or the rule it breaks. */
enum msg_id prop_text_scan(const char *s, size_t len, bool multiline, size_t *chars,
                           bool *blank);

/* A value counts as given when it is not null, a blank string or an empty array: forms
 * leave unused boxes empty, and clients send them so. */
bool prop_given(const json_t *v);

/* The value of a string member (borrowed from obj), or NULL when it is not a given
 * string. */
const char *prop_str_of(const json_t *obj, const char *name);

/* The NUL-terminated s without its surrounding white space: *start points into s
 * (borrowed), *len bytes. */
void prop_trimmed(const char *s, const char **start, size_t *len);

/* A record keeps a normalised field's value as written under its name + this. */
#define PROP_AS_WRITTEN "_as_written"

/* The problems of one validation, appended to a caller-owned jansson array. */
#define PROP_PTR_MAX 160
struct prop_problems {
    json_t *problems; /* borrowed */
    size_t n;         /* problems listed, the cut one included (> 0: invalid) */
    int rc;           /* STDTAX_ENOMEM once adding failed */
};

/* Appends the problem of rule `id` with its string arguments (NULL-terminated, at most
 * 4; stdtax_problem_add_msg); past PROP_PROBLEMS_MAX one last problem says the list was
 * cut, and later ones are dropped. */
void prop_problem(struct prop_problems *v, const char *ptr, enum msg_id id, ...)
    __attribute__((sentinel));

/* Writes base + "/" + token (RFC 6901 escaping) into out (PROP_PTR_MAX bytes), cut at a
 * character boundary when a hostile key is long. */
void prop_ptr_join(char *out, const char *base, const char *token);

#endif
