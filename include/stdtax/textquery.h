/* The text query of a proposal listing (GET /v1/proposals?q=, stdtax export --query).
 *
 * A query is normalised like the classifier's input (normalise.h: full-width to
 * half-width, Latin case folding, every run of spaces and punctuation one space) and
 * split at its spaces into words.  A record matches when every word occurs, as a
 * substring, in the normalised text of at least one of its searched fields (the table
 * in textquery.c; doc/proposals.md lists them): AND over words, OR over fields, a word
 * never spanning two fields.  Pure logic: no store; a match allocates nothing for a
 * usual record (one buffer for a long one). */
#ifndef STDTAX_TEXTQUERY_H
#define STDTAX_TEXTQUERY_H

#include <jansson.h>
#include <stdbool.h>

#include "stdtax/error.h"

/* Bytes of a query as the client gives it (before normalisation). */
#define TQ_QUERY_MAX 256

struct tq_query;

/* Parses text (NUL-terminated).  Errors, with err->text saying why in words a client
 * understands (err->field is left empty for the caller to name its parameter):
 * STDTAX_ETOOBIG over TQ_QUERY_MAX bytes, STDTAX_EUTF8 for invalid UTF-8,
 * STDTAX_EEMPTY when nothing but spaces and punctuation is left.  *out is new:
 * release with tq_query_free. */
int tq_query_new(const char *text, struct tq_query **out, struct stdtax_error *err);
void tq_query_free(struct tq_query *q);

/* The normalised query, words separated by one space: borrowed, valid as long as q. */
const char *tq_query_text(const struct tq_query *q);

/* True when every word of q occurs in one of the fields val[0..n) (val[i] NULL:
 * absent; each valid UTF-8 without NUL, len[i] bytes), each normalised on its own:
 * the common end of the matches below, and the catalogue's search. */
bool tq_fields_match(const struct tq_query *q, const char *const *val, const size_t *len,
                     size_t n);

/* True when record (a stored proposal) matches q.  A record without any searched
 * field matches nothing; out of memory counts as no match. */
bool tq_record_match(const struct tq_query *q, const json_t *record);

/* tq_record_match on a record's stored JSON text (text[0..len), not NUL-terminated),
 * reading only the searched members, without building a JSON value: the listing's
 * test, where parsing every record would cost a hundred times more.  The same answer
 * as tq_record_match on the parsed text; malformed text matches nothing. */
bool tq_text_match(const struct tq_query *q, const char *text, size_t len);

/* tq_text_match with the signature of store_filter.match (arg is the query). */
int tq_text_match_fn(const char *text, size_t len, void *arg);

#endif
