/* Overlap with existing standards and other proposals, as the daemon's routes and the
 * CLI use it (doc/overlap.md): the catalogue with its codes checked against the
 * taxonomy, overlaps of a text or of a stored proposal, and catalogue counts beside the
 * proposal counts.  (The duplicate rule of a submission is decided when it is stored:
 * svc_proposal_commit, duplicate.h.)  Built only on the
 * public service API (service.h) and the store's catalogue (catalog.h). */
#ifndef STDTAX_SERVICE_OVERLAP_H
#define STDTAX_SERVICE_OVERLAP_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "stdtax/catalog.h"
#include "stdtax/service.h"

#define SVC_OVERLAP_THRESHOLD 0.5 /* the default of the overlap-threshold setting */

/* Parses a catalogue upload: a JSON array, or JSON Lines (one object per line, blank
 * lines allowed).  *entries is a new array.  A line that is not JSON is STDTAX_EPARSE
 * with a problem at "/<line index>"; more than CATALOG_IMPORT_MAX entries is
 * STDTAX_ETOOBIG. */
int svc_catalog_parse(const char *body, size_t len, json_t **entries, json_t *problems,
                      struct stdtax_error *err);

/* Stores catalogue entries (an array of at most CATALOG_IMPORT_MAX).  Classification
 * nodes may be given by code or by Chinese/English label and are stored as codes; an
 * unknown node, or a subcategory outside its category, is a problem at
 * "/<index>/classification/...".  Invalid entries are skipped and reported in problems;
 * the others are stored in one transaction.  *report (new) as store_catalog_import. */
int svc_catalog_import(struct svc *svc, const json_t *entries, json_t **report,
                       json_t *problems, struct stdtax_error *err);

struct svc_catalog_filter {
    const char *q; /* substring of number or titles */
    const char *kind;
    const char *status;
    const char *category; /* code or label; matches category or subcategory */
};

/* One page of the catalogue: *page is new {"items", "next_cursor", "limit"}.  limit 0
 * means 50.  A bad filter value is STDTAX_EINVAL with a problem at "/query/<name>". */
int svc_catalog_list(struct svc *svc, const struct svc_catalog_filter *filter,
                     const char *cursor, size_t limit, json_t **page, json_t *problems,
                     struct stdtax_error *err);

/* Overlaps of a text: input is an object whose string members title, title_en and scope
 * are compared (others are ignored, so a classification request or a submission can be
 * passed as it is).  *out is a new array as store_overlap_find, standards and proposals,
 * at most SVC_OVERLAP_LIMIT, exclude_id (may be NULL) left out. */
int svc_overlaps_find(struct svc *svc, const json_t *input, const char *exclude_id,
                      double threshold, json_t **out, struct stdtax_error *err);

/* Overlaps of a stored proposal with the catalogue and the other proposals: *out is new
 * {"id", "threshold", "overlaps": [...]}.  STDTAX_ENOTFOUND for an unknown id. */
int svc_proposal_overlaps(struct svc *svc, const char *id, double threshold, json_t **out,
                          struct stdtax_error *err);

/* Adds the catalogue beside the proposal counts, in place: in the output of
 * svc_stats_get every category and subcategory gets "standards": n (catalogue entries of
 * that node) and the root "standards_total"; in the output of svc_coverage_get every
 * node gap gets "standards": n.  Other objects are left as they are. */
int svc_catalog_counts_merge(struct svc *svc, json_t *stats_or_coverage,
                             struct stdtax_error *err);

#endif
