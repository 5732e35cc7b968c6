/* GET /v1/taxonomy and GET /v1/taxonomy/{code}. */
#include "app.h"

#include <string.h>

int api_taxonomy_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    (void)req; /* the dispatcher refused any query: the whole tree, always */
    struct stdtax_error err = {0};
    json_t *out = NULL;
    int rc = svc_taxonomy_get(app_of(ctx)->svc, NULL, &out, NULL, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}

int api_taxonomy_node_get(struct api_ctx *ctx, const struct api_request *req,
                          struct api_response *resp)
{
    const char *code = api_param(req, "code");
    struct stdtax_error err = {0};
    json_t *out = NULL, *nearest = NULL;
    int rc = svc_taxonomy_get(app_of(ctx)->svc, code, &out, &nearest, &err);
    if (rc == STDTAX_ENOTFOUND) {
        /* The nearest codes go in the detail for people and in "nearest" for code. */
        char list[256] = "";
        size_t i;
        json_t *c;
        json_array_foreach(nearest, i, c)
        {
            size_t len = strlen(list);
            const char *nc = json_string_value(json_object_get(c, "code"));
            snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", nc ? nc : "?");
        }
        api_response_problem(resp, rc, NULL, "no taxonomy node '%.64s'%s%s", code,
                             list[0] ? "; nearest: " : "", list);
        if (resp->body)
            json_object_set_new(resp->body, "nearest", nearest ? nearest : json_array());
        else
            json_decref(nearest);
        return rc;
    }
    json_decref(nearest);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}
