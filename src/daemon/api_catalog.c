/* /v1/catalog (existing standards) and /v1/proposals/{id}/overlaps: the call's first
 * rule, no crossing or duplication of existing standards (doc/overlap.md). */
#include "app.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/service_overlap.h"

int api_catalog_post(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    struct app *app = app_of(ctx);
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *report = NULL;
    const json_t *entries = req->body;
    if (!json_is_array(entries)) {
        stdtax_problem_add(problems, "",
                           "must be a JSON array of catalogue entries, or JSON Lines");
        return app_problem(resp, STDTAX_EINVAL, problems, &err);
    }
    if (json_array_size(entries) > CATALOG_IMPORT_MAX) {
        json_decref(problems);
        return api_response_problem(resp, STDTAX_ETOOBIG, NULL,
                                    "%zu entries; at most %d in one request",
                                    json_array_size(entries), CATALOG_IMPORT_MAX);
    }
    int rc = svc_catalog_import(app->svc, entries, &report, problems, &err);
    if (rc)
        return app_problem(resp, rc, problems, &err);
    json_object_set_new(report, "errors", problems);
    return api_response_json(resp, 200, report);
}

int api_catalog_list(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    uint64_t limit = 50;
    int rc;
    if ((rc = app_query_uint(req, "limit", 1, STORE_LIST_LIMIT_MAX, &limit, resp)) != 0)
        return rc;
    struct svc_catalog_filter f = {.q = api_query_get(&req->query, "q"),
                                   .kind = api_query_get(&req->query, "kind"),
                                   .status = api_query_get(&req->query, "status"),
                                   .category = api_query_get(&req->query, "category")};
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *page = NULL;
    rc = svc_catalog_list(app_of(ctx)->svc, &f, api_query_get(&req->query, "cursor"),
                          (size_t)limit, &page, problems, &err);
    if (rc)
        return app_problem(resp, rc, problems, &err);
    json_decref(problems);
    return api_response_json(resp, 200, page);
}

/* ?threshold= overrides overlap-threshold for one request. */
int app_query_threshold(const struct api_request *req, const struct stdtax_config *cfg,
                        double *out, struct api_response *resp)
{
    const char *v = api_query_get(&req->query, "threshold");
    *out = cfg->overlap_threshold;
    if (!v)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (*end || end == v || !(x >= 0 && x <= 1)) {
        json_t *problems = json_array();
        stdtax_problem_add(problems, "/query/threshold", "a number from 0 to 1");
        return api_response_problem(resp, STDTAX_EPARSE, problems,
                                    "threshold must be a number from 0 to 1");
    }
    *out = x;
    return 0;
}

int api_proposal_overlaps_get(struct api_ctx *ctx, const struct api_request *req,
                              struct api_response *resp)
{
    double threshold;
    int rc;
    if ((rc = app_query_threshold(req, ctx->cfg, &threshold, resp)) != 0)
        return rc;
    struct stdtax_error err = {0};
    json_t *out = NULL;
    rc = svc_proposal_overlaps(app_of(ctx)->svc, api_param(req, "id"), threshold, &out,
                               &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}

json_t *app_overlaps(struct app *app, const json_t *input)
{
    struct stdtax_error err = {0};
    json_t *out = NULL;
    if (svc_overlaps_find(app->svc, input, NULL, app->cfg->overlap_threshold, &out,
                          &err) != 0)
        return json_array(); /* an answer without overlaps beats no answer */
    return out;
}

void app_overlaps_attach(json_t *body, json_t *overlaps)
{
    if (!overlaps)
        return;
    if (!json_is_object(body)) {
        json_decref(overlaps);
        return;
    }
    /* Computed before the commit: a replay's own record is among them, leave it out. */
    const char *id = json_string_value(json_object_get(body, "id"));
    for (size_t i = json_array_size(overlaps); id && i-- > 0;) {
        json_t *o = json_array_get(overlaps, i);
        const char *oid = json_string_value(json_object_get(o, "id"));
        const char *src = json_string_value(json_object_get(o, "source"));
        if (oid && src && strcmp(src, "proposal") == 0 && strcmp(oid, id) == 0)
            json_array_remove(overlaps, i);
    }
    json_object_set_new(body, "overlaps", overlaps);
}

int app_duplicate_problem(struct api_response *resp, int rc, json_t *existing,
                          const struct stdtax_error *err)
{
    app_problem(resp, rc, NULL, err);
    const char *id = json_string_value(json_object_get(existing, "id"));
    if (resp->body && existing && id) {
        char href[STORE_ID_MAX + 16];
        snprintf(href, sizeof href, "/v1/proposals/%s", id);
        json_object_set_new(existing, "href", json_string(href));
        json_object_set(resp->body, "existing", existing);
    }
    json_decref(existing);
    return rc;
}
