/* The proposal store: one LMDB environment holding the proposal records, their
 * indexes, exact counts, idempotency keys and metadata (doc/store.md).
 *
 * Every write (put, replace, update, delete, batch put) changes the record, its
 * index entries and its counts in one durable write transaction.  A struct store
 * is safe to share between threads: writers are serialised by LMDB, each reader
 * uses its own read transaction (MDB_NOTLS), and the map grows by itself.
 *
 * The store reads only these paths of a record (a jansson object built by the
 * proposal module): /id, /call, /track, /status, /classification/category,
 * /classification/subcategory, /priority_topics, /received.  It keeps the whole
 * record as compact JSON with sorted keys. */
#ifndef STDTAX_STORE_H
#define STDTAX_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stdtax/error.h"

/* 2: the group index (doc/store.md); a version-1 store gets it when opened for writing.
 */
#define STORE_SCHEMA_VERSION 2

#define STORE_ID_MAX 65                /* bytes of an id including the NUL */
#define STORE_CODE_MAX 64              /* node and topic codes */
#define STORE_CALL_MAX 32              /* call ids such as "2023" */
#define STORE_TOPICS_MAX 32            /* priority topics on one record */
#define STORE_IDEM_KEY_MAX 255         /* client idempotency keys */
#define STORE_HASH_MAX 128             /* request hashes given with an idempotency key */
#define STORE_RECORD_MAX (1024 * 1024) /* bytes of one record's compact JSON */
#define STORE_LIST_LIMIT_MAX 1000      /* items in one listing page */
#define STORE_LIST_SCAN_MAX 10000      /* index entries one listing call may read */
#define STORE_LIST_TEST_MAX 5000       /* records one listing call may give to match */
#define STORE_GROUP_KEY_MAX 128        /* bytes of a group key */

struct store;

/* The group of a stored record, for building the group index of a store written before
 * it existed: fills key (1..STORE_GROUP_KEY_MAX printable ASCII and NUL) and returns 0,
 * or returns nonzero for a record in no group.  The service gives the key it puts with
 * each record (service.c: a hash of the normalised organisation). */
typedef int (*store_group_fn)(const json_t *record, char key[STORE_GROUP_KEY_MAX + 1],
                              void *arg);

struct store_options {
    size_t map_size;         /* initial map size in bytes; 0 = 64 MiB */
    size_t map_size_max;     /* the map never grows past this; 0 = 1 TiB */
    unsigned max_readers;    /* concurrent read transactions; 0 = 256 */
    int read_only;           /* open without write access (stats, export, check) */
    store_group_fn group_of; /* NULL: a version-1 store cannot be opened for writing */
    void *group_arg;
    uint64_t idem_ttl; /* seconds an idempotency key is kept (store_idem_expire); 0: for
                          ever */
};

/* Writes a compacted copy of the store's environment (data.mdb) into the existing,
 * empty directory dir, as one read transaction sees it: writers go on meanwhile. */
int store_copy(struct store *store, const char *dir, struct stdtax_error *err);
/* The directory the store was opened in; borrowed, valid until store_close. */
const char *store_dir(const struct store *store);

/* Removes the idempotency keys older than the store's idem_ttl at now (a key past it
 * is already as if absent to a put); keys stored before keys expired are given the
 * time now.  *removed (may be NULL) counts them. */
int store_idem_expire(struct store *store, time_t now, size_t *removed,
                      struct stdtax_error *err);

/* Opens (and creates when missing, unless read_only) the store in directory dir.
 * opts may be NULL for the defaults.  On success *out is new: store_close() it.
 * Errors: STDTAX_EVERSION (another schema version), STDTAX_ESTORE (a file that is
 * not an LMDB environment, not a stdtaxd store), STDTAX_EIO, STDTAX_ENOTFOUND
 * (read_only and no store there); err names the directory or file. */
int store_open(const char *dir, const struct store_options *opts, struct store **out,
               struct stdtax_error *err);

/* No transaction of this store may be running.  NULL is accepted. */
void store_close(struct store *store);

/* Inserts a record.  When record has no /id the store assigns one:
 * "P<call>-<n>" with n from a per-call sequence in the meta database, zero
 * padded to 6 digits ("P2023-000042").  On success /id is set in record (the
 * caller's object), id receives it, and *created is 1.
 * With idem_key (and request_hash, both non-NULL): a second put with the same
 * key and the same hash returns the first id with *created = 0 and changes
 * nothing (record is left as it is); the same key with another hash is
 * STDTAX_ECONFLICT.
 * An /id that already exists is STDTAX_ECONFLICT.  created may be NULL. */
int store_proposal_put(struct store *store, json_t *record, const char *idem_key,
                       const char *request_hash, char id[STORE_ID_MAX], int *created,
                       struct stdtax_error *err);

/* A record's stored text with an empty id, "id":"" among the sorted keys, split between
 * those quotes where the id goes.  Made outside the write transaction, so the one
 * writer only copies bytes (tests/bench/RESULTS.md, "http"). */
struct store_record_text {
    char *text;   /* new, NUL-terminated; NULL: not made */
    size_t len;   /* bytes of text */
    size_t split; /* the id goes at text + split */
    int rc;       /* 0, or why the record cannot be encoded (reported by the put) */
    struct stdtax_error err;
};

/* Encodes record (an object; its /id is left out) into *t: compact, keys sorted, reals
 * that read back as the same double (jsonw, JSONW_PRECISION_EXACT).  A
 * record that cannot be encoded gets t->rc (STDTAX_EINVAL, or STDTAX_ENOMEM) and is
 * refused by the put that receives it.  Free with store_record_text_free. */
void store_record_encode(const json_t *record, struct store_record_text *t);
void store_record_text_free(struct store_record_text *t);

/* A record's fingerprint: per field (/title, /title_en, /scope) its shingle hashes,
 * sorted and unique, of which n_cjk come from CJK text (similar.h makes them; the store
 * keeps them and their LSH bands).  Borrowed. */
#define STORE_FP_FIELDS 3
struct store_fingerprint {
    const uint32_t *h[STORE_FP_FIELDS];
    size_t n[STORE_FP_FIELDS];
    size_t n_cjk[STORE_FP_FIELDS];
};

/* A stored record of the put's group, as the duplicate rule sees it; borrowed for the
 * call.  summary is what an overlap answer shows of it (compact JSON: title, title_en,
 * organisation, status, classification, ...). */
struct store_candidate {
    const char *id;
    const struct store_fingerprint *fp;
    const char *summary;
    size_t summary_len;
};

/* The duplicate rule of a put, decided in its write transaction: called for each record
 * of the item's group that is not withdrawn and has a fingerprint, in id order; nonzero
 * means the item duplicates c, and the item is refused (STDTAX_ECONFLICT, duplicate_of
 * naming c).  It must not call the store; it may be called again for the same item
 * (the transaction is retried after the map grows). */
typedef int (*store_duplicate_fn)(const struct store_candidate *c, void *arg);

/* One item of a batch put: the same contract as store_proposal_put per item. */
struct store_put_item {
    json_t *record;                       /* in, borrowed; /id is set on success */
    const struct store_record_text *text; /* in, optional: store_record_encode(record),
                                             made by the caller's thread */
    const char *idem_key;                 /* in, NULL or a client key */
    const char *request_hash;             /* in, required with idem_key */
    const struct store_fingerprint *fp;   /* in, optional: the record's fingerprint,
                                             made by the caller's thread; NULL: the store
                                             makes it from the record */
    const char *group;                    /* in, NULL or the record's group key (1..
                                             STORE_GROUP_KEY_MAX printable ASCII), kept in the
                                             group index */
    store_duplicate_fn duplicate; /* in, NULL or the rule (needs group); a replay of
                                     idem_key is answered before it */
    void *duplicate_arg;
    char id[STORE_ID_MAX];           /* out */
    int created;                     /* out */
    int rc;                          /* out: 0 or the enum stdtax_err of this item */
    struct stdtax_error err;         /* out, when rc != 0 */
    char duplicate_of[STORE_ID_MAX]; /* out: the record the rule matched, or "" */
};

/* Group commit: inserts every valid item in ONE durable write transaction.  An
 * item that is invalid or conflicts gets its own rc and is skipped; the others
 * are stored.  The return value is 0, or a store-wide failure (STDTAX_ENOSPC,
 * STDTAX_ESTORE, ...) in which case nothing was stored. */
int store_proposal_put_batch(struct store *store, struct store_put_item *items, size_t n,
                             struct stdtax_error *err);

/* *out is new.  STDTAX_ENOTFOUND when there is no such id. */
int store_proposal_get(struct store *store, const char *id, json_t **out,
                       struct stdtax_error *err);

/* Replaces the record of id with record (whose /id must be absent or equal to id;
 * it is set).  Indexes and counts follow the difference between old and new. */
int store_proposal_replace(struct store *store, const char *id, json_t *record,
                           struct stdtax_error *err);

/* Read-modify-write inside one write transaction, so concurrent changes of the
 * same record cannot be lost.  fn receives a new copy of the stored record to
 * change in place, and returns 0 or an enum stdtax_err (which aborts).  fn may be
 * called more than once (the transaction is retried after the map grows): it
 * must not have other side effects.  *out (may be NULL) receives a new reference
 * to the stored result. */
typedef int (*store_update_fn)(json_t *record, void *arg, struct stdtax_error *err);
int store_proposal_update(struct store *store, const char *id, store_update_fn fn,
                          void *arg, json_t **out, struct stdtax_error *err);

/* store_proposal_update for n records in ONE write transaction (all or nothing): fn
 * gets each record with args[i].  An id that is not there is skipped. */
int store_proposal_update_batch(struct store *store, const char *const *ids,
                                void *const *args, size_t n, store_update_fn fn,
                                struct stdtax_error *err);
/* Hard delete: the record, its indexes and its counts go. */
int store_proposal_delete(struct store *store, const char *id, struct stdtax_error *err);

/* Filters shared by counts, coverage and listing; NULL means any.  With status
 * NULL, withdrawn proposals are left out unless include_withdrawn is set (the
 * "statuses" map of the counts always lists every status). */
struct store_filter {
    const char *call;
    const char *track;
    const char *status;
    const char *category; /* a node code; a top-level code includes its subcategories */
    const char *topic;    /* a priority topic code */
    int include_withdrawn;
    /* Listing only (counts never read records): a test of each record that passes
     * the index filters, given its stored text (compact JSON, sorted keys; borrowed
     * for the call, not NUL-terminated) before any parse; nonzero keeps it.  NULL:
     * every record is kept. */
    int (*match)(const char *text, size_t len, void *arg);
    void *match_arg;
};

/* *out is new: {"total": n, "nodes": {code: n}, "tracks": {...},
 * "statuses": {...}, "topics": {...}, "calls": {...}}, summed from the counts
 * database (never from the records).  filter may be NULL; its category and topic
 * are ignored here. */
int store_counts_get(struct store *store, const struct store_filter *filter, json_t **out,
                     struct stdtax_error *err);

/* The taxonomy as the coverage report needs it (the caller owns every string). */
struct store_coverage_node {
    const char *code;
    const char *parent; /* NULL for a top-level category */
    const char *label_zh;
    const char *label_en;
};
struct store_coverage_topic {
    const char *code;
    const char *label_zh;
    const char *label_en;
    const char *const *nodes; /* the node codes the topic belongs to */
    size_t n_nodes;
};
struct store_coverage_nodes {
    const struct store_coverage_node *nodes;
    size_t n_nodes;
    const struct store_coverage_topic *topics;
    size_t n_topics;
};

/* *out is new: {"min": min, "gaps": [...]} where each gap is a node or topic
 * with count < min: {"kind": "node"|"topic", "code", "parent" (nodes),
 * "nodes" (topics), "labels": {"zh","en"}, "count", "missing": min - count,
 * "priority": bool (true for topics)}, sorted by missing descending, then
 * code.  Counts are those of store_counts_get with the same filter. */
int store_coverage_get(struct store *store, const struct store_filter *filter,
                       const struct store_coverage_nodes *nodes, uint64_t min,
                       json_t **out, struct stdtax_error *err);

/* One page of records matching filter, ordered by received time then id.
 * cursor is NULL for the first page, else a next_cursor from an earlier call.
 * limit is 1..STORE_LIST_LIMIT_MAX.  *items is a new array; *next_cursor is a
 * new string (free()) or NULL when there is nothing after this page.  A call
 * reads at most STORE_LIST_SCAN_MAX index entries and, with filter->match, reads
 * and tests at most STORE_LIST_TEST_MAX records, so a page may be short (even
 * empty) and still have a next_cursor.  Inserts between pages never shift them. */
int store_proposal_list(struct store *store, const struct store_filter *filter,
                        const char *cursor, size_t limit, json_t **items,
                        char **next_cursor, struct stdtax_error *err);

/* Recounts everything from the records in one snapshot and compares with the
 * counts and index databases.  Returns 0 when the check ran; *report is new:
 * {"ok": bool, "records": n, "bad_records": [...], "counts": {"differences": n,
 * "items": [{"key","stored","expected"}]}, "indexes": {"missing": n,
 * "extra": n, "items": [{"key","id","problem"}]}} (items capped at 100). */
int store_check(struct store *store, json_t **report, struct stdtax_error *err);

/* Rebuilds the counts and index databases from the records in one write
 * transaction.  *report (may be NULL) is new: {"records": n, "bad_records": [...]}. */
int store_repair(struct store *store, json_t **report, struct stdtax_error *err);

/* *out is new: map size, resizes, page size, entries per database. */
int store_stats_raw(struct store *store, json_t **out, struct stdtax_error *err);

/* Nonzero when v is 1..max-1 printable ASCII characters without space: the form of a
 * node code or key the store keeps (a checker's test before a put). */
int store_token_ok(const char *v, size_t max);

/* ---- the catalogue of existing standards and the overlap index (doc/overlap.md) --- */

#define CATALOG_NUMBER_MAX 64      /* bytes of a standard number */
#define CATALOG_IMPORT_MAX 10000   /* entries in one catalogue import */
#define OVERLAP_LIMIT_MAX 100      /* results of one overlap query */
#define OVERLAP_CANDIDATES_MAX 256 /* candidates scored exactly by one overlap query */
#define OVERLAP_SCAN_MAX 8192      /* band entries one overlap query reads */
#define OVERLAP_BUCKET_MAX 64      /* entries read from one band bucket */

/* A checked catalogue entry (catalog.h, catalog_entry_check: with its "id", "kind" and
 * "status") and its fingerprint (similar.h makes it); both borrowed. */
struct store_catalog_item {
    const json_t *entry;
    const struct store_fingerprint *fp;
};
/* What an import did: entries new, replaced, and already stored as they are. */
struct store_catalog_tally {
    size_t created, updated, unchanged;
};
/* Stores the n items (at most CATALOG_IMPORT_MAX) in one write transaction, each with
 * its counts, fingerprint and band entries; an entry whose id exists replaces it. */
int store_catalog_import(struct store *store, const struct store_catalog_item *items,
                         size_t n, struct store_catalog_tally *tally,
                         struct stdtax_error *err);

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

/* What an overlap probe looks for. */
enum { OVERLAP_STANDARDS = 1, OVERLAP_PROPOSALS = 2 };

/* The band keys of a query's fingerprint (similar.h makes them), looked up in this
 * order: at most OVERLAP_BUCKET_MAX entries of each, OVERLAP_SCAN_MAX in all. */
struct store_overlap_probe {
    const uint64_t *bands;
    size_t n_bands;
    unsigned what;          /* OVERLAP_STANDARDS | OVERLAP_PROPOSALS; 0 means both */
    const char *exclude_id; /* a proposal left out, or NULL */
};

/* A record the probe met; borrowed for the call.  summary is what an answer shows of
 * it (compact JSON: number, titles, kind, status, organisation, classification). */
struct store_overlap_candidate {
    char source; /* 'c' catalogue entry, 'p' proposal */
    const char *id;
    const struct store_fingerprint *fp;
    const char *summary;
    size_t summary_len;
    unsigned hits; /* band keys it shares with the probe */
};

/* Called for each candidate, most hits first; nonzero stops.  It must not call the
 * store. */
typedef int (*store_overlap_fn)(const struct store_overlap_candidate *c, void *arg);

/* In one read transaction, the records whose band entries the probe meets, ranked by
 * the number of band keys they share with it (the MinHash estimate of their
 * similarity): fn is called for the best OVERLAP_CANDIDATES_MAX of them that have a
 * fingerprint.  Returns 0 or an error. */
int store_overlap_candidates(struct store *store, const struct store_overlap_probe *probe,
                             store_overlap_fn fn, void *arg, struct stdtax_error *err);

/* *empty is nonzero when no record has a band entry (no candidate can be met: a query
 * need not make its fingerprint). */
int store_overlap_empty(struct store *store, int *empty, struct stdtax_error *err);

/* A candidate's summary as an object (new), or NULL. */
json_t *store_overlap_summary(const struct store_overlap_candidate *c);

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
