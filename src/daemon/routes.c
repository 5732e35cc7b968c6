/* The route table.  One row per operation; a new endpoint is a new row here, a
 * handler in its resource file (api_taxonomy.c, api_proposals.c, ...) and an
 * operation in api/openapi.json (a test checks both name the same operations). */
#include "api.h"

static const struct api_route routes[] = {
    /* method, pattern, handler, flags, scope, operationId */
    {API_GET, "/healthz", api_healthz_get, 0, CFG_SCOPE_NONE, "getHealth"},
    {API_GET, "/metrics", api_metrics_get, 0, CFG_SCOPE_NONE, "getMetrics"},
    {API_GET, "/v1/openapi.json", api_openapi_get, 0, CFG_SCOPE_NONE, "getOpenApi"},
};

const struct api_route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
