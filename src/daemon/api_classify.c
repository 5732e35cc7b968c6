/* POST /v1/classify and POST /v1/classify/batch: nothing is stored. */
#include "app.h"

#include "stdtax/classifier.h"
#include "stdtax/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int api_classify_post(struct api_ctx *ctx, const struct api_request *req,
                      struct api_response *resp)
{
    struct app *app = app_of(ctx);
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    /* Written as text by the classifier: building the result as jansson values and
     * dumping them cost more than classifying (tests/bench/RESULTS.md, "http"). */
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    int rc = svc_text_classify_write(app->svc, req->body, &w, problems, &err);
    if (rc) {
        jsonw_free(&w);
        return app_problem(resp, rc, problems, &err);
    }
    json_decref(problems);
    atomic_fetch_add(&app->classifications, 1);
    /* The overlaps go last, as app_overlaps_attach would add them to the result. */
    json_t *overlaps = app_overlaps(app, req->body);
    if (overlaps) {
        JSONW_KEY(&w, "overlaps");
        jsonw_value(&w, overlaps);
        json_decref(overlaps);
    }
    jsonw_object_end(&w);
    jsonw_newline(&w);
    char *text;
    size_t len;
    if ((rc = jsonw_finish(&w, &text, &len)) != 0)
        return api_response_problem(resp, rc, NULL, "%s", stdtax_strerror(rc));
    return api_response_raw(resp, 200, "application/json; charset=utf-8", text, len);
}

/* Rewrites each problem's pointer to point into the batch body: "/title" of item 3
 * becomes "/items/3/title". */
static void problems_prefix(json_t *problems, size_t index)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        char buf[STDTAX_FIELD_MAX + 32];
        snprintf(buf, sizeof buf, "/items/%zu%s", index, ptr ? ptr : "");
        json_object_set_new(p, "pointer", json_string(buf));
    }
}

/* The problem object of one failed item, as a whole response would carry it. */
static json_t *item_problem(int rc, json_t *problems, struct stdtax_error *err,
                            size_t index, const struct api_request *req)
{
    if (err->field[0] == '/') {
        char buf[STDTAX_FIELD_MAX + 32];
        snprintf(buf, sizeof buf, "/items/%zu%s", index, err->field);
        /* Cut, if ever, at the end: a field pointer this long is not ours. */
        buf[sizeof err->field - 1] = '\0';
        memcpy(err->field, buf, sizeof err->field);
    }
    problems_prefix(problems, index);
    struct api_response tmp = {0};
    app_problem(&tmp, rc, problems, err);
    api_problem_localise(tmp.body, msg_lang_from_accept_language(req->accept_language));
    json_t *body = json_incref(tmp.body);
    api_response_clear(&tmp);
    return body;
}

int api_classify_batch_post(struct api_ctx *ctx, const struct api_request *req,
                            struct api_response *resp)
{
    struct app *app = app_of(ctx);
    const json_t *items = json_object_get(req->body, "items");
    json_t *problems = json_array();
    if (!json_is_object(req->body)) {
        stdtax_problem_add(problems, "", "must be an object {\"items\": [...]}");
    } else {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)req->body, key, v)
        {
            if (strcmp(key, "items") != 0)
                stdtax_problem_add(problems, "/", "unknown member '%.64s'", key);
        }
        if (!items)
            stdtax_problem_add(problems, "/items", "required");
        else if (!json_is_array(items))
            stdtax_problem_add(problems, "/items", "must be an array");
        else if (json_array_size(items) == 0)
            stdtax_problem_add(problems, "/items", "must hold at least one item");
    }
    if (json_array_size(problems))
        return api_response_problem(resp, STDTAX_EINVAL, problems,
                                    "the batch is not {\"items\": [...]}");
    json_decref(problems);
    size_t n = json_array_size(items);
    if (n > ctx->cfg->batch_max)
        return api_response_problem(resp, STDTAX_ETOOBIG, NULL,
                                    "%zu items; at most %u in one batch (batch-max)", n,
                                    ctx->cfg->batch_max);
    json_t *results = json_array();
    if (!results)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        struct stdtax_error err = {0};
        json_t *result = NULL;
        problems = json_array();
        int rc = svc_text_classify(app->svc, json_array_get(items, i), &result, problems,
                                   &err);
        if (rc == STDTAX_ENOMEM) {
            json_decref(problems);
            json_decref(results);
            return api_response_problem(resp, rc, NULL, "out of memory");
        }
        if (rc) {
            result =
                json_pack("{s:o}", "error", item_problem(rc, problems, &err, i, req));
        } else {
            json_decref(problems);
            ok++;
        }
        json_array_append_new(results, result);
    }
    atomic_fetch_add(&app->classifications, ok);
    return api_response_json(resp, 200, json_pack("{s:o}", "results", results));
}
