/* The application behind the HTTP layer: the service (include/stdtax/service.h) and
 * what the handlers share, plugged into struct api_ctx as ctx->app.  Handlers in
 * api_taxonomy.c, api_classify.c, api_proposals.c and api_stats.c stay thin: parse the
 * query or body, call one svc_* function, map its answer to a status and JSON. */
#ifndef STDTAXD_APP_H
#define STDTAXD_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api.h"
#include "stdtax/service.h"

struct commit_queue;

/* Answers of GET /v1/stats and /v1/coverage, by route and query, as sent: they change
 * only when a proposal is written, and building them (counts, labels, shares) costs
 * far more than copying them.  An entry is used while no write went through this
 * daemon since it was made (app.generation) and for at most APP_CACHE_TTL_US, which
 * bounds how stale a count gets after a write by another process (stdtax). */
#define APP_CACHE_SLOTS 16
#define APP_CACHE_TTL_US 1000000u
#define APP_CACHE_KEY_MAX 512
/* One cached answer's bytes, shared by the cache and by every response still sending
 * them (evbuffer_add_reference): no copy per answer.  Freed by whoever drops the last
 * reference, so a write, a reload or a replacement may retire an entry while
 * responses still send it. */
struct app_cache_text {
    atomic_size_t refs;
    size_t len;
    char text[];
};
struct app_cache_entry {
    char key[APP_CACHE_KEY_MAX];
    uint64_t generation, made_us;
    struct app_cache_text *body; /* one reference owned; NULL: free slot */
};
struct app_cache {
    pthread_mutex_t lock;
    struct app_cache_entry slots[APP_CACHE_SLOTS];
    unsigned next; /* round robin replacement */
};

struct app {
    struct svc *svc;                      /* owned: svc_close after the workers stop */
    const struct stdtax_config *cfg;      /* borrowed */
    atomic_uint_fast64_t classifications; /* texts classified by /v1/classify[/batch] */
    struct commit_queue *commits; /* group commit of submissions; NULL: commit inline */
    /* Bumped by the written hook (after every answer of an API_F_WRITE route, before
     * it leaves) and after a reload: a cache entry of an older one is not used. */
    atomic_uint_fast64_t generation;
    struct app_cache cache;
    _Atomic(struct app_backup *) backup; /* POST /v1/admin/backup (api_backup.c) */
};

/* The service promises to name the file in err->field; where it gives a JSON pointer
 * or nothing instead, finds out which of the taxonomy and the model failed and puts
 * that file's name in front, so a message always says which file to fix. */
void app_engine_error_locate(const struct stdtax_config *cfg, struct stdtax_error *err);

/* Borrowed: the application of a context. */
static inline struct app *app_of(struct api_ctx *ctx)
{
    return (struct app *)ctx->app;
}

/* The hooks (reload on SIGHUP, metrics gauges, readiness) for an api_ctx whose app is
 * a struct app.  Borrowed, static. */
const struct api_hooks *app_hooks(void);

/* Who is asking, for the service: the token's name and whether it is the
 * secretariat's (admin scope). */
static inline struct svc_caller app_caller(const struct api_request *req)
{
    return (struct svc_caller){.name = req->token_name,
                               .admin = req->scope >= CFG_SCOPE_ADMIN};
}

/* Answers a failed svc_* call: status and type from api.c's table, detail from err,
 * and `errors` from problems (steals problems; may be NULL or empty).  A field that
 * err names becomes the one problem when problems is empty.  A text over a size limit
 * inside a valid body is content (422), not a too large request.  Returns rc. */
int app_problem(struct api_response *resp, int rc, json_t *problems,
                const struct stdtax_error *err);

/* Parses an unsigned decimal query parameter in [min, max]; absent leaves *out.
 * 400 with a /query/NAME problem when malformed or out of range. */
int app_query_uint(const struct api_request *req, const char *name, uint64_t min,
                   uint64_t max, uint64_t *out, struct api_response *resp);

/* Overlaps (doc/overlap.md).  A new array of the closest standards and proposals to
 * input's title, title_en and scope at the overlap-threshold; empty when the query
 * fails (the answer it decorates matters more). */
json_t *app_overlaps(struct app *app, const json_t *input);

/* Sets body's "overlaps" to overlaps (steals; NULL does nothing), leaving out the
 * proposal that body is. */
void app_overlaps_attach(json_t *body, json_t *overlaps);

/* The 409 of a submission that duplicates a proposal of the same organisation: the
 * problem for rc/err with "existing" (steals; its "href" added).  Returns rc. */
int app_duplicate_problem(struct api_response *resp, int rc, json_t *existing,
                          const struct stdtax_error *err);

/* ?threshold= (0..1) or the configured overlap-threshold; 400 when malformed. */
int app_query_threshold(const struct api_request *req, const struct stdtax_config *cfg,
                        double *out, struct api_response *resp);

void app_cache_init(struct app_cache *c);
void app_cache_free(struct app_cache *c);

/* Answers a GET from the cache when a fresh entry for key exists (returns true with
 * resp filled: a shared body, released when sent), else false. */
bool app_cache_answer(struct app *app, const char *key, struct api_response *resp);

/* Keeps body (borrowed), made when app->generation was generation, for key. */
void app_cache_store(struct app *app, const char *key, uint64_t generation,
                     const json_t *body);

/* Builds the cache key of a request: route pattern and the query as given.  False
 * when it does not fit (then the answer is not cached). */
bool app_cache_key(const struct api_request *req, char key[APP_CACHE_KEY_MAX]);

/* Handlers (one file per resource). */
int api_taxonomy_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_taxonomy_node_get(struct api_ctx *ctx, const struct api_request *req,
                          struct api_response *resp);
int api_classify_post(struct api_ctx *ctx, const struct api_request *req,
                      struct api_response *resp);
int api_classify_batch_post(struct api_ctx *ctx, const struct api_request *req,
                            struct api_response *resp);
int api_proposals_post(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp);
int api_proposals_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp);
int api_proposal_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_proposal_patch(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp);
int api_proposal_delete(struct api_ctx *ctx, const struct api_request *req,
                        struct api_response *resp);
int api_stats_get(struct api_ctx *ctx, const struct api_request *req,
                  struct api_response *resp);
/* /v1/admin/backup (api_backup.c); api_backup_stop waits for a backup under way. */
int api_backup_post(struct api_ctx *ctx, const struct api_request *req,
                    struct api_response *resp);
int api_backup_get(struct api_ctx *ctx, const struct api_request *req,
                   struct api_response *resp);
void api_backup_stop(struct app *app);
/* /v1/proposals/{id}/materials (api_materials.c). */
int api_materials_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp);
int api_material_put(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_material_post(struct api_ctx *ctx, const struct api_request *req,
                      struct api_response *resp);
int api_material_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_material_delete(struct api_ctx *ctx, const struct api_request *req,
                        struct api_response *resp);
int api_catalog_post(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_catalog_list(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_proposal_overlaps_get(struct api_ctx *ctx, const struct api_request *req,
                              struct api_response *resp);
int api_coverage_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp);
int api_calls_list(struct api_ctx *ctx, const struct api_request *req,
                   struct api_response *resp);
int api_call_get(struct api_ctx *ctx, const struct api_request *req,
                 struct api_response *resp);

/* Re-files the proposals the taxonomy's crosswalk maps (svc_migrate), logging what it
 * did: at the start and after a reload.  Returns svc_migrate's code. */
int app_migrate(struct app *app);

#endif
