/* The application service: what the daemon's handlers and the CLI's commands do, once.
 *
 * A struct svc binds the classifier engine (taxonomy + model, swappable on reload), the
 * store and the call's rules (deadlines from the taxonomy file).  Every operation takes
 * JSON in and gives JSON out, validates what comes from outside and reports each bad
 * field by its JSON pointer, so the daemon and the CLI stay thin.  Thread-safe: the
 * daemon's workers call it concurrently; an engine reload never disturbs a request that
 * already holds the old engine (reference counts). */
#ifndef STDTAX_SERVICE_H
#define STDTAX_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stdtax/error.h"
#include "stdtax/store.h"

struct svc_options {
    const char *data_dir;      /* LMDB environment directory (created if missing) */
    const char *taxonomy_path; /* taxonomy JSON file */
    const char *model_path;    /* model file, or NULL for keywords only */
    size_t map_size;           /* initial LMDB map size; 0: the store's default */
    bool read_only;            /* open the store read-only (stdtax stats, export) */
    uint64_t idempotency_ttl;  /* seconds an idempotency key is kept; 0: for ever.
                                  Opening for writing removes the older ones. */
};

struct svc;

/* Loads the taxonomy and model, builds the classifier and opens the store.  Problems of
 * the taxonomy file go to problems (may be NULL) as {pointer, detail}.  *out is new:
 * release with svc_close.  Errors name the file in err->field. */
int svc_open(const struct svc_options *opts, struct svc **out, json_t *problems,
             struct stdtax_error *err);
void svc_close(struct svc *svc);

/* Loads the taxonomy and model again from the paths given at open (SIGHUP).  On any
 * failure the engine in use keeps serving and the error says why.  On success requests
 * that started before keep the old engine until they finish.  *versions (may be NULL)
 * is new: {"taxonomy_version", "model_version"} of the engine now in use. */
int svc_engine_reload(struct svc *svc, json_t **versions, json_t *problems,
                      struct stdtax_error *err);

/* Who is asking: the secretariat (admin scope) may submit late and correct records. */
struct svc_caller {
    const char *name; /* token name, recorded in corrections; NULL: anonymous */
    bool admin;
};

/* Classifies {title, title_en?, scope?, text?}.  Unknown members are rejected
 * (STDTAX_EINVAL with problems), non-string members too; STDTAX_EEMPTY when there is
 * no text; STDTAX_EUTF8/ETOOBIG with err->field naming the member.  *result is new
 * (shape in doc/classifier.md). */
int svc_text_classify(struct svc *svc, const json_t *input, json_t **result,
                      json_t *problems, struct stdtax_error *err);

/* svc_text_classify with the result written on w (clf_text_classify_write: the object
 * is left open for the caller's members) without building a JSON value: the daemon's
 * hot path.  Same checks and errors; on error nothing is written. */
struct jsonw;
int svc_text_classify_write(struct svc *svc, const json_t *input, struct jsonw *w,
                            json_t *problems, struct stdtax_error *err);

/* A submission goes in by one path, in two halves: svc_proposal_prepare does the CPU
 * work (checks, classification, record, fingerprint, advisory overlaps) on the caller's
 * thread, outside any write transaction; svc_proposal_commit stores n prepared items in
 * ONE durable write transaction, deciding there the call's duplicate rule (duplicate.h)
 * and idempotency.  The daemon (one committer storing many requests' items), stdtax
 * import (a file in batches) and the tests all use these two. */

#define SVC_OVERLAP_LIMIT 10 /* overlaps answered with a proposal or a classification */

/* How a submission is taken. */
struct svc_submit_options {
    const struct svc_caller *caller; /* may be NULL: anonymous */
    const char *idem_key;            /* may be NULL; borrowed until the commit */
    time_t now;
    /* The call's duplicate rule (the daemon's duplicate-check setting): a submission
     * that duplicates a live proposal of the same organisation is STDTAX_ECONFLICT at
     * the commit, with the item's existing. */
    bool duplicate_check;
    /* > 0: prepare lists in the item's overlaps the catalogue entries and proposals
     * (any organisation) at least this similar (doc/overlap.md); advisory. */
    double overlap_threshold;
};

struct dup_print;

/* One submission between the halves. */
struct svc_batch_item {
    json_t *record;       /* prepare: the record to store (new, owned by the item);
                             commit: the stored record, or the first one for a replay */
    const char *idem_key; /* borrowed from the options; NULL without a key */
    char hash[65];        /* the submission's hash, with idem_key */
    struct store_record_text text; /* prepare: the record's stored text (owned) */
    struct dup_print *print;       /* prepare: fingerprint and organisation (owned) */
    bool duplicate_check;
    json_t *overlaps; /* prepare: new array with overlap_threshold, else NULL; the
                         caller takes it (it stays through the commit) */
    json_t *existing; /* commit: for a duplicate (rc STDTAX_ECONFLICT, err naming the
                         field that matched), the stored proposal it duplicates as an
                         overlap item with "id" (new) */
    bool created;     /* commit: false for an idempotent replay */
    int rc;           /* commit: 0 or this item's error */
    struct stdtax_error err; /* commit: when rc != 0 */
};

/* The first half: validates (STDTAX_EINVAL with every problem in problems), checks the
 * deadline (STDTAX_ELATE unless caller->admin, who gets a record marked "late"),
 * classifies, builds the record and its stored text and fingerprint, and - with
 * opts->overlap_threshold - finds the overlaps; stores nothing.  On success the item
 * owns what it holds: pass it to svc_proposal_commit, or svc_batch_item_clear it. */
int svc_proposal_prepare(struct svc *svc, const json_t *submission,
                         const struct svc_submit_options *opts,
                         struct svc_batch_item *item, json_t *problems,
                         struct stdtax_error *err);

/* Frees what an item owns (record, text, print, overlaps, existing); the item can be
 * freed or reused after. */
void svc_batch_item_clear(struct svc_batch_item *item);

/* The second half for n prepared items: stores every one in ONE durable write
 * transaction, in order, so that an item is checked against the items before it.
 * Each item gets its own rc: 0 (record holds the stored record, created false for the
 * replay of an idempotency key - the first record), STDTAX_ECONFLICT for a key used
 * with another submission (err->field "/Idempotency-Key") or a duplicate (existing
 * set, err->field naming the member), or another error of the store.  The record text
 * and print are freed; overlaps stay.  Returns 0, or a store-wide failure (nothing
 * stored; every item has that rc and no record). */
int svc_proposal_commit(struct svc *svc, struct svc_batch_item *items, size_t n,
                        struct stdtax_error *err);

/* The checks of svc_proposal_prepare without classifying or storing anything (stdtax
 * import checks a whole file before it prepares a line): the form's validation against
 * the call's rules, then the deadline.  Returns 0 with *late (may be NULL) saying
 * whether the record would be marked late; STDTAX_EINVAL with every problem in
 * problems; STDTAX_ELATE (caller not admin) with err naming the field. */
int svc_proposal_check(struct svc *svc, const json_t *submission,
                       const struct svc_caller *caller, time_t now, bool *late,
                       json_t *problems, struct stdtax_error *err);

/* *record is new; STDTAX_ENOTFOUND for an unknown id. */
int svc_proposal_get(struct svc *svc, const char *id, json_t **record,
                     struct stdtax_error *err);

/* The secretariat's correction: patch is {"category"?, "subcategory"?, "status"?,
 * "note"?} where a node may be given by code or by Chinese/English label; a
 * subcategory alone implies its category; a category alone clears the subcategory.
 * The machine's suggestion is kept in the record.  Unknown members, unknown codes, a
 * subcategory outside the category and a status transition that is not allowed are
 * STDTAX_EINVAL with problems.  Counts follow in the same transaction.  *record new. */
int svc_proposal_patch(struct svc *svc, const char *id, const json_t *patch,
                       const struct svc_caller *caller, time_t now, json_t **record,
                       json_t *problems, struct stdtax_error *err);

/* Withdraws (status "withdrawn"; the record stays for the audit, counts drop it).
 * Withdrawing a withdrawn proposal is not an error.  *record (may be NULL) is new. */
int svc_proposal_withdraw(struct svc *svc, const char *id,
                          const struct svc_caller *caller, time_t now, json_t **record,
                          struct stdtax_error *err);

/* Filters as clients give them (strings from a query string or the CLI); every member
 * may be NULL.  category and topic may be codes or labels.  q is the text query of
 * the list (textquery.h, doc/proposals.md "Searching"): it reads records, so the
 * counts (stats, coverage) refuse it. */
struct svc_filter {
    const char *call;
    const char *track;
    const char *status;
    const char *category;
    const char *topic;
    const char *q;
    const char *needs_review; /* "true": only the classifier's answers flagged for
                                 review and not yet corrected; "false": the others
                                 (listing only) */
};

/* One page of proposals: *page is new {"items": [...], "next_cursor": str|null,
 * "limit": n}.  limit 0 means 50; at most 1000.  Every filter applies (AND); a bad
 * one is STDTAX_EINVAL with a problem at /query/NAME (a bad q: too long, not UTF-8,
 * or nothing but spaces and punctuation, at /query/q).  A page may be short, even
 * empty, and still have a next_cursor (store_proposal_list bounds each call). */
int svc_proposal_list(struct svc *svc, const struct svc_filter *filter,
                      const char *cursor, size_t limit, json_t **page, json_t *problems,
                      struct stdtax_error *err);

/* Counts with labels and shares, from the counts database (a filter with q is
 * STDTAX_EINVAL at /query/q: the counts never read records): *stats is new
 * {"total", "taxonomy_version", "filter": {...},
 *  "categories": [{"code","labels":{zh,en},"count","share",
 *                  "subcategories":[{"code","labels","count","share"}]}],
 *  "tracks": [{"code","labels","count","share"}], "statuses": [{"code","label","count"}],
 *  "priority_topics": [{"code","labels","nodes":[codes],"count","share"}],
 *  "calls": [{"id","count"}]}.
 * A share is count / total (0 when total is 0); a subcategory's share is of the total
 * too, so the chart and the table agree. */
int svc_stats_get(struct svc *svc, const struct svc_filter *filter, json_t **stats,
                  json_t *problems, struct stdtax_error *err);

/* The gaps: with a comma in filter->call, svc_coverage_compare.  Else nodes (categories
 * and subcategories; `other` is left out, a gap there is good news) and priority topics
 * with fewer than min proposals; *coverage is new
 * {"min", "filter", "gaps": [...]} as store_coverage_get, sorted by how far under. */
int svc_coverage_get(struct svc *svc, const struct svc_filter *filter, uint64_t min,
                     json_t **coverage, json_t *problems, struct stdtax_error *err);

/* The whole tree (code NULL) or one node, with the current counts (unfiltered) on every
 * node and topic.  STDTAX_ENOTFOUND for an unknown code, with *nearest (new) listing up
 * to 5 codes that are closest to it.  *out is new. */
int svc_taxonomy_get(struct svc *svc, const char *code, json_t **out, json_t **nearest,
                     struct stdtax_error *err);

/* The calls of the taxonomy in use (doc/taxonomy-format.md, "Calls"): *out is new
 * {"taxonomy_version", "current": id|null, "calls": [call with "proposals" (its count,
 * withdrawn left out)]}. */
int svc_calls_list(struct svc *svc, json_t **out, struct stdtax_error *err);
/* One call with its counts ("proposals", "tracks_count"); STDTAX_ENOTFOUND for an
 * unknown id.  *out is new. */
int svc_call_get(struct svc *svc, const char *id, json_t **out, struct stdtax_error *err);

/* Coverage compared across calls: filter->call is a comma-separated list of two or
 * more known calls (svc_coverage_get passes such a filter here).  *out is new
 * {"min", "calls": [ids], "filter", "taxonomy_version",
 *  "nodes": [{"kind": "node"|"topic", "code", "parent"?, "labels",
 *             "counts": {call: n}, "under_in_every_call"}] (taxonomy order),
 *  "gaps": [the rows under min in every call, with "missing" (min - the largest count)
 *           and "priority" (topics)]}; `other` is never a gap. */
int svc_coverage_compare(struct svc *svc, const struct svc_filter *filter, uint64_t min,
                         json_t **out, json_t *problems, struct stdtax_error *err);

/* Re-files the proposals under codes the taxonomy's crosswalk maps
 * (doc/taxonomy-format.md, "Framework versions") in write transactions of `batch` records
 * (0: SVC_MIGRATE_BATCH), each all or nothing: a record keeps its old codes in
 * classification.previous.  A record whose old code goes to several codes gets the one
 * the classifier prefers for its text, else the first.  Running it again continues where
 * a killed run stopped. to_version (may be NULL) must be the loaded taxonomy's version
 * (STDTAX_EINVAL). *report is new {"from", "to", "refiled", "batches", "by_code": {old:
 * {new: n}}}. */
#define SVC_MIGRATE_BATCH 500
int svc_migrate(struct svc *svc, const char *to_version, size_t batch, time_t now,
                json_t **report, struct stdtax_error *err);

/* Versions of the engine now in use: new {"taxonomy_version","model_version"}. */
json_t *svc_versions(struct svc *svc);

#endif
