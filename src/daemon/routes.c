/* The route table.  One row per operation; a new endpoint is a new row here, a
 * handler in its resource file (api_taxonomy.c, api_proposals.c, ...) and an
 * operation in api/openapi.json (a test checks both name the same operations and the
 * same query parameters).
 *
 * The columns hold what every handler would otherwise repeat; the dispatcher
 * (server.c) applies them, in this order, before the handler runs:
 *   method, pattern  which requests the row serves (HEAD is served by GET rows);
 *                    a path with no row is 404, a method with no row 405 + Allow
 *   scope            the token scope needed: 401 / 403 (api_auth_check)
 *   flags            API_F_JSON_BODY (+ API_F_MERGE_PATCH, API_F_JSONL_BODY): the body
 *                    is parsed into req->body, or 415 / 413 / 400;
 *                    API_F_QUERY_IGNORED: the query is not checked (pages, probes);
 *                    API_F_WRITE: after an answer that is not a refusal, the answer
 *                    cache is dropped (hooks->written) before the answer leaves,
 *                    also for an answer deferred to the group commit
 *   query            the parameters the handler reads: any other, or one given
 *                    twice, is 400 at /query/NAME (api_query_allowed)
 *   operation        operationId in api/openapi.json */
#include "api.h"
#include "app.h"

static const char *const proposals_query[] = {
    "category", "track", "status", "topic",        "call", "q",
    "cursor",   "limit", "format", "needs_review", NULL};
static const char *const stats_query[] = {"call", "track", "status", NULL};
static const char *const coverage_query[] = {"min", "call", "track", "status", NULL};
static const char *const overlaps_query[] = {"threshold", NULL};
static const char *const catalog_query[] = {"q",     "kind",   "status", "category",
                                            "limit", "cursor", NULL};

static const struct api_route routes[] = {
    /* method, pattern, handler, flags, scope, query, operationId */
    {API_GET, "/healthz", api_healthz_get, API_F_QUERY_IGNORED, CFG_SCOPE_NONE, NULL,
     "getHealth"},
    {API_GET, "/metrics", api_metrics_get, API_F_QUERY_IGNORED, CFG_SCOPE_READ, NULL,
     "getMetrics"},
    {API_GET, "/v1/openapi.json", api_openapi_get, API_F_QUERY_IGNORED, CFG_SCOPE_NONE,
     NULL, "getOpenApi"},
    {API_GET, "/v1/taxonomy", api_taxonomy_get, 0, CFG_SCOPE_READ, NULL, "getTaxonomy"},
    {API_GET, "/v1/taxonomy/{code}", api_taxonomy_node_get, 0, CFG_SCOPE_READ, NULL,
     "getTaxonomyNode"},
    {API_GET, "/v1/calls", api_calls_list, 0, CFG_SCOPE_READ, NULL, "listCalls"},
    {API_GET, "/v1/calls/{id}", api_call_get, 0, CFG_SCOPE_READ, NULL, "getCall"},
    {API_POST, "/v1/classify", api_classify_post, API_F_JSON_BODY, CFG_SCOPE_READ, NULL,
     "classify"},
    {API_POST, "/v1/classify/batch", api_classify_batch_post, API_F_JSON_BODY,
     CFG_SCOPE_READ, NULL, "classifyBatch"},
    {API_POST, "/v1/proposals", api_proposals_post, API_F_JSON_BODY | API_F_WRITE,
     CFG_SCOPE_SUBMIT, NULL, "createProposal"},
    {API_GET, "/v1/proposals", api_proposals_list, 0, CFG_SCOPE_READ, proposals_query,
     "listProposals"},
    {API_GET, "/v1/proposals/{id}", api_proposal_get, 0, CFG_SCOPE_READ, NULL,
     "getProposal"},
    {API_PATCH, "/v1/proposals/{id}", api_proposal_patch,
     API_F_JSON_BODY | API_F_MERGE_PATCH | API_F_WRITE, CFG_SCOPE_ADMIN, NULL,
     "updateProposal"},
    {API_DELETE, "/v1/proposals/{id}", api_proposal_delete, API_F_WRITE, CFG_SCOPE_ADMIN,
     NULL, "deleteProposal"},
    {API_GET, "/v1/stats", api_stats_get, 0, CFG_SCOPE_READ, stats_query, "getStats"},
    {API_GET, "/v1/coverage", api_coverage_get, 0, CFG_SCOPE_READ, coverage_query,
     "getCoverage"},
    {API_GET, "/v1/proposals/{id}/overlaps", api_proposal_overlaps_get, 0, CFG_SCOPE_READ,
     overlaps_query, "getProposalOverlaps"},
    /* Materials are unpublished drafts: a token is needed even to read them, and
     * the service decides whose they are (doc/materials.md). */
    {API_GET, "/v1/proposals/{id}/materials", api_materials_list, 0, CFG_SCOPE_SUBMIT,
     NULL, "listMaterials"},
    {API_PUT, "/v1/proposals/{id}/materials/{kind}", api_material_put,
     API_F_RAW_BODY | API_F_WRITE, CFG_SCOPE_SUBMIT, NULL, "putMaterial"},
    {API_POST, "/v1/proposals/{id}/materials/{kind}", api_material_post,
     API_F_RAW_BODY | API_F_WRITE, CFG_SCOPE_SUBMIT, NULL, "addMaterial"},
    {API_GET, "/v1/proposals/{id}/materials/{kind}", api_material_get, 0,
     CFG_SCOPE_SUBMIT, NULL, "getMaterial"},
    {API_DELETE, "/v1/proposals/{id}/materials/{kind}", api_material_delete, API_F_WRITE,
     CFG_SCOPE_ADMIN, NULL, "deleteMaterial"},
    {API_POST, "/v1/catalog", api_catalog_post,
     API_F_JSON_BODY | API_F_JSONL_BODY | API_F_WRITE, CFG_SCOPE_ADMIN, NULL,
     "importCatalog"},
    {API_GET, "/v1/catalog", api_catalog_list, 0, CFG_SCOPE_READ, catalog_query,
     "listCatalog"},
    {API_POST, "/v1/admin/backup", api_backup_post, 0, CFG_SCOPE_ADMIN, NULL,
     "startBackup"},
    {API_GET, "/v1/admin/backups/{name}", api_backup_get, 0, CFG_SCOPE_ADMIN, NULL,
     "getBackup"},
    /* The dashboard is always open: it holds no data, it calls the API, and the
     * API applies require-read-token to what the page asks for. */
    {API_GET, "/", api_index_get, API_F_QUERY_IGNORED, CFG_SCOPE_NONE, NULL,
     "getDashboard"},
    {API_GET, "/ui/{file}", api_ui_get, API_F_QUERY_IGNORED, CFG_SCOPE_NONE, NULL,
     "getDashboardFile"},
};

const struct api_route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
