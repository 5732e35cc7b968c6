/* /v1/proposals: submit, list (JSON pages or a CSV export), get, correct, withdraw. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commit.h"
#include "stdtax/proposal.h"
#include "stdtax/service_overlap.h"

/* An export pages through the store; past this many rows it refuses rather than
 * send a list that silently misses proposals. */
#define EXPORT_ROWS_MAX 100000
#define EXPORT_PAGE 1000

/* The answer to a submission: 201 + Location for a new record, 200 +
 * Idempotency-Replayed for a replay, else the problem for rc (steals record and
 * problems; either may be NULL).  Returns 0 or rc. */
static int api_proposal_answer(struct api_response *resp, int rc, json_t *record,
                               bool created, json_t *problems,
                               const struct stdtax_error *err)
{
    if (rc) {
        json_decref(record);
        return app_problem(resp, rc, problems, err);
    }
    json_decref(problems);
    const char *id = json_string_value(json_object_get(record, "id"));
    char location[STORE_ID_MAX + 16] = "";
    if (id)
        snprintf(location, sizeof location, "/v1/proposals/%s", id);
    api_response_json(resp, created ? 201 : 200, record);
    if (created && id)
        api_response_header(resp, "Location", "%s", location);
    if (!created) {
        /* A replay: the first answer's record, and where it lives, so a client that
         * lost the first response finds the resource the same way. */
        api_response_header(resp, "Idempotency-Replayed", "true");
        if (id)
            api_response_header(resp, "Content-Location", "%s", location);
    }
    return 0;
}

/* The answer of a committed submission: 201 (or 200 for a replay) with the record
 * and its overlaps, 409 with existing for a duplicate, or the item's problem.  Clears
 * the item. */
static int submission_answer(struct api_response *resp, struct svc_batch_item *item)
{
    int rc;
    if (item->rc == STDTAX_ECONFLICT && item->existing) {
        rc = app_duplicate_problem(resp, item->rc, item->existing, &item->err);
        item->existing = NULL;
    } else {
        rc = api_proposal_answer(resp, item->rc, item->record, item->created, NULL,
                                 &item->err);
        item->record = NULL;
        if (rc == 0) {
            app_overlaps_attach(resp->body, item->overlaps);
            item->overlaps = NULL;
        }
    }
    svc_batch_item_clear(item);
    return rc;
}

/* The commit queue's completion (commit.h): answers the deferred request. */
static void submission_committed(struct svc_batch_item *item, void *arg)
{
    struct api_response resp = {0};
    submission_answer(&resp, item);
    api_deferred_finish(arg, &resp);
}

int api_proposals_post(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp)
{
    struct app *app = app_of(ctx);
    struct svc_caller caller = app_caller(req);
    struct svc_submit_options opts = {.caller = &caller,
                                      .idem_key = req->idempotency_key,
                                      .now = time(NULL),
                                      .duplicate_check = app->cfg->duplicate_check,
                                      .overlap_threshold = app->cfg->overlap_threshold};
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    struct svc_batch_item item;
    int rc = svc_proposal_prepare(app->svc, req->body, &opts, &item, problems, &err);
    if (rc)
        return api_proposal_answer(resp, rc, NULL, false, problems, &err);
    json_decref(problems);
    /* The duplicate rule is decided in the commit's write transaction: nothing here
     * waits for another request. */
    struct api_deferred *later = app->commits ? api_request_defer(req) : NULL;
    if (later) {
        commit_queue_push(app->commits, &item, submission_committed, later);
        return API_DEFERRED;
    }
    rc = svc_proposal_commit(app->svc, &item, 1, &err);
    if (rc != 0) {
        item.rc = rc;
        item.err = err;
    }
    return submission_answer(resp, &item);
}

/* True when the list should be CSV: ?format=csv, or an Accept that names text/csv
 * before (or without) any JSON type.  *bad is set for a format we do not make. */
static bool want_csv(const struct api_request *req, bool *bad)
{
    const char *format = api_query_get(&req->query, "format");
    *bad = false;
    if (format) {
        if (strcmp(format, "csv") == 0)
            return true;
        *bad = strcmp(format, "json") != 0;
        return false;
    }
    const char *accept = req->accept;
    if (!accept)
        return false;
    const char *csv = strcasestr(accept, "text/csv");
    const char *json = strcasestr(accept, "application/json");
    return csv && (!json || csv < json);
}

/* False when Accept names neither JSON nor CSV nor a wildcard. */
static bool acceptable(const char *accept)
{
    if (!accept)
        return true;
    static const char *const ok[] = {"application/json", "text/csv", "*/*",
                                     "application/*", "text/*"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcasestr(accept, ok[i]))
            return true;
    return false;
}

static int export_csv(struct app *app, const struct svc_filter *f,
                      struct api_response *resp)
{
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    if (!out)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    int rc = prop_csv_header(out);
    char *cursor = NULL;
    size_t rows = 0;
    json_t *problems = json_array();
    struct stdtax_error err = {0};
    while (rc == 0) {
        json_t *page = NULL;
        rc = svc_proposal_list(app->svc, f, cursor, EXPORT_PAGE, &page, problems, &err);
        if (rc)
            break;
        size_t i;
        json_t *rec;
        json_t *items = json_object_get(page, "items");
        rows += json_array_size(items);
        if (rows > EXPORT_ROWS_MAX) {
            json_decref(page);
            rc = STDTAX_ETOOBIG;
            break;
        }
        json_array_foreach(items, i, rec)
        {
            if ((rc = prop_record_to_csv_row(rec, out)) != 0)
                break;
        }
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        free(cursor);
        cursor = next ? strdup(next) : NULL;
        json_decref(page);
        if (rc || !next)
            break;
        if (!cursor)
            rc = STDTAX_ENOMEM;
    }
    free(cursor);
    if (fclose(out) != 0 && rc == 0)
        rc = STDTAX_ENOMEM;
    if (rc == STDTAX_ETOOBIG) {
        free(data);
        json_decref(problems);
        json_t *p = json_array();
        stdtax_problem_add(p, "/query", "narrow the filter (call, track, status, ...)");
        return api_response_problem(resp, STDTAX_EINVAL, p,
                                    "more than %d proposals match; an export holds at "
                                    "most %d",
                                    EXPORT_ROWS_MAX, EXPORT_ROWS_MAX);
    }
    if (rc) {
        free(data);
        return app_problem(resp, rc, problems, &err);
    }
    json_decref(problems);
    api_response_raw(resp, 200, "text/csv; charset=utf-8; header=present", data, len);
    api_response_header(resp, "Content-Disposition",
                        "attachment; filename=\"proposals.csv\"");
    api_response_header(resp, "X-Total-Count", "%zu", rows);
    return 0;
}

int api_proposals_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp)
{
    int rc;
    uint64_t limit = 50;
    if ((rc = app_query_uint(req, "limit", 1, STORE_LIST_LIMIT_MAX, &limit, resp)))
        return rc;
    bool bad_format;
    bool csv = want_csv(req, &bad_format);
    if (bad_format) {
        json_t *p = json_array();
        stdtax_problem_add(p, "/query/format", "csv or json");
        return api_response_problem(resp, STDTAX_EPARSE, p, "format must be csv or json");
    }
    if (!csv && !api_query_get(&req->query, "format") && !acceptable(req->accept))
        return api_response_problem(resp, API_ENOTACCEPTABLE, NULL,
                                    "this list is application/json or text/csv, not "
                                    "'%.80s'",
                                    req->accept);
    struct svc_filter f = {
        .call = api_query_get(&req->query, "call"),
        .track = api_query_get(&req->query, "track"),
        .status = api_query_get(&req->query, "status"),
        .category = api_query_get(&req->query, "category"),
        .topic = api_query_get(&req->query, "topic"),
        .q = api_query_get(&req->query, "q"),
        .needs_review = api_query_get(&req->query, "needs_review"),
    };
    if (csv) {
        if (api_query_get(&req->query, "cursor") || api_query_get(&req->query, "limit")) {
            json_t *p = json_array();
            stdtax_problem_add(p, "/query",
                               "cursor and limit page JSON; a CSV export has every row");
            return api_response_problem(
                resp, STDTAX_EPARSE, p,
                "cursor and limit do not apply to the CSV export");
        }
        return export_csv(app_of(ctx), &f, resp);
    }
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *page = NULL;
    rc = svc_proposal_list(app_of(ctx)->svc, &f, api_query_get(&req->query, "cursor"),
                           (size_t)limit, &page, problems, &err);
    if (rc)
        return app_problem(resp, rc, problems, &err);
    json_decref(problems);
    return api_response_json(resp, 200, page);
}

int api_proposal_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    struct stdtax_error err = {0};
    json_t *record = NULL;
    const char *id = api_param(req, "id");
    int rc = svc_proposal_get(app_of(ctx)->svc, id, &record, &err);
    if (rc == STDTAX_ENOTFOUND)
        return api_response_problem(resp, rc, NULL, "no proposal '%.64s'", id);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, record);
}

int api_proposal_patch(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp)
{
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *record = NULL;
    const char *id = api_param(req, "id");
    int rc = svc_proposal_patch(app_of(ctx)->svc, id, req->body, &caller, time(NULL),
                                &record, problems, &err);
    if (rc == STDTAX_ENOTFOUND) {
        json_decref(problems);
        return api_response_problem(resp, rc, NULL, "no proposal '%.64s'", id);
    }
    if (rc)
        return app_problem(resp, rc, problems, &err);
    json_decref(problems);
    return api_response_json(resp, 200, record);
}

int api_proposal_delete(struct api_ctx *ctx, const struct api_request *req,
                        struct api_response *resp)
{
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    json_t *record = NULL;
    const char *id = api_param(req, "id");
    int rc =
        svc_proposal_withdraw(app_of(ctx)->svc, id, &caller, time(NULL), &record, &err);
    if (rc == STDTAX_ENOTFOUND)
        return api_response_problem(resp, rc, NULL, "no proposal '%.64s'", id);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, record);
}
