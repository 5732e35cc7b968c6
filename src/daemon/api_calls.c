/* GET /v1/calls and GET /v1/calls/{id}: the calls of the taxonomy in use. */
#include "app.h"

int api_calls_list(struct api_ctx *ctx, const struct api_request *req,
                   struct api_response *resp)
{
    (void)req; /* the dispatcher refused any query */
    struct stdtax_error err = {0};
    json_t *out = NULL;
    int rc = svc_calls_list(app_of(ctx)->svc, &out, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}

int api_call_get(struct api_ctx *ctx, const struct api_request *req,
                 struct api_response *resp)
{
    struct stdtax_error err = {0};
    json_t *out = NULL;
    int rc = svc_call_get(app_of(ctx)->svc, api_param(req, "id"), &out, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}
