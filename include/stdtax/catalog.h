/* The catalogue of existing standards and the overlap index, both in the store's LMDB
 * environment (doc/overlap.md).
 *
 * A catalogue entry is {"number"?, "title"?, "title_en"?, "kind"?, "status"?,
 * "scope"?, "classification"?: {"category", "subcategory"?}, "source"?} with a title
 * in at least one language.  Its id is the number, or "draft-" and 12 hex digits of a
 * hash of its titles when it has none; importing an entry with an id that exists
 * replaces it.  Every write of an entry, and every write of a proposal (through
 * store_proposal_*), updates the entry's counts, its fingerprint and its LSH band
 * entries in the same write transaction. */
#ifndef STDTAX_CATALOG_H
#define STDTAX_CATALOG_H

#include <jansson.h>
#include <stddef.h>

#include "stdtax/error.h"
#include "stdtax/store.h"

#define CATALOG_NUMBER_MAX 64      /* bytes of a standard number */
#define CATALOG_TITLE_MAX 1200     /* bytes of a title */
#define CATALOG_SCOPE_MAX 15000    /* bytes of a scope */
#define CATALOG_SOURCE_MAX 2000    /* bytes of a source note or URL */
#define CATALOG_IMPORT_MAX 10000   /* entries in one store_catalog_import call */
#define OVERLAP_LIMIT_MAX 100      /* results of one overlap query */
#define OVERLAP_CANDIDATES_MAX 256 /* candidates scored exactly by one overlap query */
#define OVERLAP_SCAN_MAX 8192      /* band entries one overlap query reads */
#define OVERLAP_BUCKET_MAX 64      /* entries read from one band bucket */

/* Kinds: national, industry, local, group, international, other.  The kind of a
 * number by its prefix (GB -> national, DB31/T -> local, T/ -> group, ISO/IEC/IEEE/
 * ITU/ETSI -> international, other letters + "/T" -> industry); static string, NULL
 * when the prefix says nothing. */
const char *catalog_kind_guess(const char *number);

/* Checks one entry; on success *out is new: the entry as it will be stored, with
 * "id", "kind" (guessed from the number when absent) and "status" (default
 * "published" with a number, "planned" without) filled in.  Each problem goes to
 * problems (may be NULL) as {pointer: prefix + "/member", detail}; the return value is
 * then STDTAX_EINVAL.  Node codes are checked for form only; the caller checks them
 * against the taxonomy. */
int catalog_entry_check(const json_t *entry, const char *prefix, json_t **out,
                        json_t *problems, struct stdtax_error *err);

/* Stores the entries (a JSON array of at most CATALOG_IMPORT_MAX raw entries) in one
 * write transaction.  Invalid entries are reported in problems with the pointer
 * "/<index>/..." and skipped; the others are stored.  *report (may be NULL) is new:
 * {"received", "created", "updated", "unchanged", "invalid"}. */
int store_catalog_import(struct store *store, const json_t *entries, json_t **report,
                         json_t *problems, struct stdtax_error *err);

/* *out is new; STDTAX_ENOTFOUND when there is no such entry. */
int store_catalog_get(struct store *store, const char *id, json_t **out,
                      struct stdtax_error *err);

int store_catalog_delete(struct store *store, const char *id, struct stdtax_error *err);

/* Filters of a listing; NULL means any.  category matches the category or the
 * subcategory.  match (NULL: every entry) tests each entry that passes the others;
 * nonzero keeps it (the service's: the text query over the number and the titles,
 * textquery.h). */
struct catalog_filter {
    const char *kind;
    const char *status;
    const char *category;
    int (*match)(const json_t *entry, void *arg);
    void *match_arg;
};

/* One page in id order, as store_proposal_list: cursor NULL or a next_cursor of an
 * earlier call, limit 1..STORE_LIST_LIMIT_MAX, at most STORE_LIST_SCAN_MAX entries read
 * per call.  *items is a new array, *next_cursor a new string (free()) or NULL. */
int store_catalog_list(struct store *store, const struct catalog_filter *filter,
                       const char *cursor, size_t limit, json_t **items,
                       char **next_cursor, struct stdtax_error *err);

/* *out is new: {"total", "nodes": {code: n}, "kinds": {...}, "statuses": {...}},
 * read from the catalogue's counts (a parent node counts its subcategories' entries,
 * as for proposals). */
int store_catalog_counts(struct store *store, json_t **out, struct stdtax_error *err);

/* What to look for overlaps with. */
enum { OVERLAP_STANDARDS = 1, OVERLAP_PROPOSALS = 2 };

struct overlap_query {
    const char *title; /* each may be NULL */
    const char *title_en;
    const char *scope;
    const char *exclude_id; /* a proposal left out (the one being checked), or NULL */
    unsigned what;          /* OVERLAP_STANDARDS | OVERLAP_PROPOSALS; 0 means both */
    double threshold;       /* 0..1 */
    size_t limit;           /* 1..OVERLAP_LIMIT_MAX; 0 means 10 */
};

/* The catalogue entries and proposals (withdrawn ones left out) whose similarity to
 * the query is at least the threshold, best first.  *out is a new array of
 * {"source": "catalog"|"proposal", "id", "number"?, "title"?, "title_en"?, "kind"?,
 *  "status", "organisation"?, "classification"?, "similarity", "field",
 *  "matched_field", "spans": [{"start", "end", "text"}]}
 * where field is the query's member that matched (title, title_en or scope),
 * matched_field the record's, and the spans are byte offsets of common runs in the
 * query's field.  Invalid UTF-8 in the query is STDTAX_EUTF8 with err->field naming
 * the member. */
int store_overlap_find(struct store *store, const struct overlap_query *query,
                       json_t **out, struct stdtax_error *err);

/* The id of the proposal stored with an idempotency key: 0 with id filled, or
 * STDTAX_ENOTFOUND.  (The duplicate rule must not refuse the replay of a request.) */
int store_idem_find(struct store *store, const char *key, char id[STORE_ID_MAX],
                    struct stdtax_error *err);

/* Recounts the catalogue and recomputes every fingerprint and band entry from the
 * catalogue entries and the proposals in one snapshot.  *report is new:
 * {"ok", "entries", "counts": {"differences", "items"}, "fingerprints": {"missing",
 * "stale", "extra"}, "bands": {"missing", "extra"}}. */
int store_catalog_check(struct store *store, json_t **report, struct stdtax_error *err);

/* Rebuilds the catalogue counts, every fingerprint and the band index from the
 * catalogue entries and the proposals (`stdtax catalog check --repair`; also what a
 * store whose proposals were stored before the catalogue existed needs).  One write
 * transaction empties the three databases, then chunks of 2000 records each are
 * rebuilt in their own transaction, so a large store needs no giant transaction; until
 * it finishes, overlap queries may miss records.  *report (may be NULL) is new:
 * {"entries", "proposals"} rebuilt. */
int store_catalog_repair(struct store *store, json_t **report, struct stdtax_error *err);

#endif
