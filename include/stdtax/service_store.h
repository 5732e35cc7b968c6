/* Store administration through the service: checking and repairing what the store
 * derives from its records (counts, indexes, the catalogue's counts and the overlap
 * index), the store's own figures, and the catalogue queries of `stdtax catalog`.  The
 * daemon and the CLI reach the store only through svc_* functions; these are the ones
 * that administer it rather than serve a request. */
#ifndef STDTAX_SERVICE_STORE_H
#define STDTAX_SERVICE_STORE_H

#include <jansson.h>

#include "stdtax/catalog.h"
#include "stdtax/service.h"
#include "stdtax/similar.h"

/* Recounts the proposals' counts and indexes from the records in one snapshot:
 * *report is new, as store_check ({"ok", "records", "bad_records", "counts",
 * "indexes"}). */
int svc_store_check(struct svc *svc, json_t **report, struct stdtax_error *err);

/* Rebuilds the proposals' counts and indexes from the records in one write
 * transaction: *report (may be NULL) is new, as store_repair ({"records",
 * "bad_records"}).  Needs a service opened read-write. */
int svc_store_repair(struct svc *svc, json_t **report, struct stdtax_error *err);

/* The store's own figures: *out is new, as store_stats_raw (map size, resizes, page
 * size, last page, entries per database). */
int svc_store_stats(struct svc *svc, json_t **out, struct stdtax_error *err);

/* Recounts the catalogue and recomputes the overlap index from the entries and the
 * proposals: *report is new, as store_catalog_check ({"ok", ...}). */
int svc_catalog_check(struct svc *svc, json_t **report, struct stdtax_error *err);

/* Rebuilds the catalogue's counts and the overlap index: *report is new, as
 * store_catalog_repair.  Needs a service opened read-write. */
int svc_catalog_repair(struct svc *svc, json_t **report, struct stdtax_error *err);

/* The catalogue's counts: *out is new {"total", "nodes", "kinds", "statuses"}. */
int svc_catalog_counts(struct svc *svc, json_t **out, struct stdtax_error *err);

/* The overlap query as it is given (what to look among, threshold, limit): *out is a
 * new array as store_overlap_find. */
int svc_overlap_search(struct svc *svc, const struct overlap_query *query, json_t **out,
                       struct stdtax_error *err);

#endif
