/* Store administration through the service (service_store.h): each call hands the
 * service's store to the store function that does the work, so that no caller above
 * the service holds the store itself. */
#include "stdtax/service_store.h"

#include "service_internal.h"

int svc_store_check(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_check(svc->store, report, err);
}

int svc_store_repair(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_repair(svc->store, report, err);
}

int svc_store_stats(struct svc *svc, json_t **out, struct stdtax_error *err)
{
    return store_stats_raw(svc->store, out, err);
}

int svc_catalog_check(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_catalog_check(svc->store, report, err);
}

int svc_catalog_repair(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_catalog_repair(svc->store, report, err);
}

int svc_catalog_counts(struct svc *svc, json_t **out, struct stdtax_error *err)
{
    return store_catalog_counts(svc->store, out, err);
}

int svc_overlap_search(struct svc *svc, const struct overlap_query *query, json_t **out,
                       struct stdtax_error *err)
{
    return overlap_find(svc->store, query, out, err);
}
