/* The route table.  One row per operation; a new endpoint is a new row here, a
 * handler in its resource file (api_taxonomy.c, api_proposals.c, ...) and an
 * operation in api/openapi.json (a test checks both name the same operations). */
#include "api.h"
#include "app.h"

static const struct api_route routes[] = {
    /* method, pattern, handler, flags, scope, operationId */
    {API_GET, "/healthz", api_healthz_get, 0, CFG_SCOPE_NONE, "getHealth"},
    {API_GET, "/metrics", api_metrics_get, 0, CFG_SCOPE_NONE, "getMetrics"},
    {API_GET, "/v1/openapi.json", api_openapi_get, 0, CFG_SCOPE_NONE, "getOpenApi"},
    {API_GET, "/v1/taxonomy", api_taxonomy_get, 0, CFG_SCOPE_READ, "getTaxonomy"},
    {API_GET, "/v1/taxonomy/{code}", api_taxonomy_node_get, 0, CFG_SCOPE_READ,
     "getTaxonomyNode"},
    {API_POST, "/v1/classify", api_classify_post, API_F_JSON_BODY, CFG_SCOPE_READ,
     "classify"},
    {API_POST, "/v1/classify/batch", api_classify_batch_post, API_F_JSON_BODY,
     CFG_SCOPE_READ, "classifyBatch"},
    {API_POST, "/v1/proposals", api_proposals_post, API_F_JSON_BODY, CFG_SCOPE_SUBMIT,
     "createProposal"},
    {API_GET, "/v1/proposals", api_proposals_list, 0, CFG_SCOPE_READ, "listProposals"},
    {API_GET, "/v1/proposals/{id}", api_proposal_get, 0, CFG_SCOPE_READ, "getProposal"},
    {API_PATCH, "/v1/proposals/{id}", api_proposal_patch,
     API_F_JSON_BODY | API_F_MERGE_PATCH, CFG_SCOPE_ADMIN, "updateProposal"},
    {API_DELETE, "/v1/proposals/{id}", api_proposal_delete, 0, CFG_SCOPE_ADMIN,
     "deleteProposal"},
    {API_GET, "/v1/stats", api_stats_get, 0, CFG_SCOPE_READ, "getStats"},
    {API_GET, "/v1/coverage", api_coverage_get, 0, CFG_SCOPE_READ, "getCoverage"},
    {API_GET, "/v1/proposals/{id}/overlaps", api_proposal_overlaps_get, 0, CFG_SCOPE_READ,
     "getProposalOverlaps"},
    {API_POST, "/v1/catalog", api_catalog_post, API_F_JSON_BODY | API_F_JSONL_BODY,
     CFG_SCOPE_ADMIN, "importCatalog"},
    {API_GET, "/v1/catalog", api_catalog_list, 0, CFG_SCOPE_READ, "listCatalog"},
    /* The dashboard is always open: it holds no data, it calls the API, and the
     * API applies require-read-token to what the page asks for. */
    {API_GET, "/", api_index_get, 0, CFG_SCOPE_NONE, "getDashboard"},
    {API_GET, "/ui/{file}", api_ui_get, 0, CFG_SCOPE_NONE, "getDashboardFile"},
};

const struct api_route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
