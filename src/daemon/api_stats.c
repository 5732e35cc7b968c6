/* GET /v1/stats and GET /v1/coverage: counts and gaps, from the counts database. */
#include "app.h"

#include "stdtax/service_overlap.h"

#define COVERAGE_MIN_DEFAULT 3
/* A threshold above any plausible call: the report lists every node anyway. */
#define COVERAGE_MIN_MAX 1000000

static void filter_from_query(const struct api_request *req, struct svc_filter *f)
{
    f->call = api_query_get(&req->query, "call");
    f->track = api_query_get(&req->query, "track");
    f->status = api_query_get(&req->query, "status");
}

/* The counts behind both routes: stats ignores min. */
typedef int (*counts_fn)(struct svc *svc, const struct svc_filter *f, uint64_t min,
                         json_t **out, json_t *problems, struct stdtax_error *err);

static int stats_counts(struct svc *svc, const struct svc_filter *f, uint64_t min,
                        json_t **out, json_t *problems, struct stdtax_error *err)
{
    (void)min;
    return svc_stats_get(svc, f, out, problems, err);
}

/* Both routes: the answer cache, the filter, existing standards beside the proposals. */
static int counts_answer(struct api_ctx *ctx, const struct api_request *req,
                         struct api_response *resp, counts_fn get, uint64_t min)
{
    struct app *app = app_of(ctx);
    char key[APP_CACHE_KEY_MAX];
    bool cacheable = app_cache_key(req, key);
    if (cacheable && app_cache_answer(app, key, resp))
        return 0;
    uint64_t generation = atomic_load(&app->generation);
    struct svc_filter f = {0};
    filter_from_query(req, &f);
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *out = NULL;
    int rc = get(app->svc, &f, min, &out, problems, &err);
    if (rc == 0)
        rc = svc_catalog_counts_merge(app->svc, out, &err);
    if (rc) {
        json_decref(out);
        return app_problem(resp, rc, problems, &err);
    }
    json_decref(problems);
    if (cacheable)
        app_cache_store(app, key, generation, out);
    return api_response_json(resp, 200, out);
}

int api_stats_get(struct api_ctx *ctx, const struct api_request *req,
                  struct api_response *resp)
{
    return counts_answer(ctx, req, resp, stats_counts, 0);
}

int api_coverage_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    uint64_t min = COVERAGE_MIN_DEFAULT;
    int qrc = app_query_uint(req, "min", 1, COVERAGE_MIN_MAX, &min, resp);
    return qrc ? qrc : counts_answer(ctx, req, resp, svc_coverage_get, min);
}
