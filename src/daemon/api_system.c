/* Operational routes: /healthz, /metrics, /v1/openapi.json. */
#include "api.h"
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "config.h" /* PACKAGE_VERSION */

int api_healthz_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp)
{
    (void)req;
    bool draining = atomic_load(&app->draining);
    struct stdtax_error why = {0};
    int not_ready = 0;
    if (app->hooks->ready)
        not_ready = app->hooks->ready(app->app, &why);
    const char *status = draining ? "shutting-down" : not_ready ? "not-ready" : "ok";
    json_int_t uptime = (json_int_t)((api_now_us() - app->started_us) / 1000000u);
    json_t *body = json_pack("{s:s, s:s, s:I, s:i, s:b}", "status", status, "version",
                             PACKAGE_VERSION, "uptime_seconds", uptime, "workers",
                             (int)app->workers, "ready", !draining && !not_ready);
    if (!body)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    if (not_ready && why.text[0])
        json_object_set_new(body, "detail", json_string(why.text));
    /* Liveness is "it answered"; readiness is the status code, so a load balancer
     * stops sending work while we shut down or cannot serve. */
    return api_response_json(resp, draining || not_ready ? 503 : 200, body);
}

int api_metrics_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp)
{
    (void)req;
    struct api_buf out = {0};
    metrics_render(app->metrics, app->routes, app->n_routes, &out);
    api_buf_printf(&out,
                   "# HELP stdtaxd_workers Event-loop threads.\n"
                   "# TYPE stdtaxd_workers gauge\nstdtaxd_workers %u\n"
                   "# HELP stdtaxd_uptime_seconds Seconds since start.\n"
                   "# TYPE stdtaxd_uptime_seconds gauge\nstdtaxd_uptime_seconds %.3f\n"
                   "# HELP stdtaxd_build_info Version of the running daemon.\n"
                   "# TYPE stdtaxd_build_info gauge\n"
                   "stdtaxd_build_info{version=\"%s\"} 1\n",
                   app->workers, (double)(api_now_us() - app->started_us) / 1e6,
                   PACKAGE_VERSION);
    if (app->hooks->metrics && app->hooks->metrics(app->app, &out) != 0) {
        api_buf_free(&out);
        return api_response_problem(resp, API_EINTERNAL, NULL,
                                    "the application could not report its metrics");
    }
    if (out.failed) {
        api_buf_free(&out);
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    }
    return api_response_raw(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
                            out.data, out.len);
}

int api_openapi_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp)
{
    (void)req;
    char *copy = malloc(app->openapi_len + 1);
    if (!copy)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    memcpy(copy, app->openapi, app->openapi_len + 1);
    return api_response_raw(resp, 200, "application/json; charset=utf-8", copy,
                            app->openapi_len);
}

int api_openapi_load(struct api_ctx *ctx, const char *path, struct stdtax_error *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return stdtax_error_set(err, STDTAX_EPARSE, path, "line %d column %d: %s",
                                jerr.line, jerr.column, jerr.text);
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "openapi")) ||
        !json_is_object(json_object_get(doc, "paths"))) {
        json_decref(doc);
        return stdtax_error_set(err, STDTAX_EINVAL, path,
                                "not an OpenAPI document (no \"openapi\" and \"paths\")");
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return stdtax_error_set(err, STDTAX_ENOMEM, path, "out of memory");
    free(ctx->openapi);
    ctx->openapi = text;
    ctx->openapi_len = strlen(text);
    return 0;
}
