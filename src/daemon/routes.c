/* The route table.  One row per operation; a new endpoint is a new row here, a
 * handler in its resource file (api_taxonomy.c, api_proposals.c, ...) and an
 * operation in api/openapi.json (a test checks both name the same operations). */
#include "api.h"

static const struct api_route routes[] = {
    /* method, pattern, handler, flags, scope, operationId */
    {API_GET, "/healthz", api_healthz_get, 0, CFG_SCOPE_NONE, "getHealth"},
    {API_GET, "/metrics", api_metrics_get, 0, CFG_SCOPE_NONE, "getMetrics"},
    {API_GET, "/v1/openapi.json", api_openapi_get, 0, CFG_SCOPE_NONE, "getOpenApi"},
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
