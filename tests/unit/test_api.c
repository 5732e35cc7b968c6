#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "metrics.h"
#include "stdtax/jsonw.h"

static struct stdtax_config cfg;

static void cfg_setup(void)
{
    struct stdtax_error err;
    cr_assert_eq(cfg_config_init(&cfg), 0);
    const char *text = "token ci submit SUBMIT-secret-0123456789\n"
                       "token sec admin ADMIN-secret-0123456789\n";
    cr_assert_eq(cfg_text_parse(&cfg, "t", text, strlen(text), &err), 0, "%s", err.text);
}

static void cfg_teardown(void)
{
    cfg_config_free(&cfg);
}

TestSuite(auth, .init = cfg_setup, .fini = cfg_teardown);

static int check(const char *header, enum cfg_scope need, enum cfg_scope *granted,
                 const char **name)
{
    return api_auth_check(&cfg, header, need, granted, name);
}

Test(auth, open_routes_need_no_token)
{
    enum cfg_scope g;
    const char *name;
    cr_expect_eq(check(NULL, CFG_SCOPE_NONE, &g, &name), 0);
    cr_expect_eq(check(NULL, CFG_SCOPE_READ, &g, &name), 0);
    cr_expect_eq(g, CFG_SCOPE_NONE);
    cr_expect_null(name);
    cfg.require_read_token = true;
    cr_expect_eq(check(NULL, CFG_SCOPE_READ, &g, &name), API_EUNAUTHORIZED);
    cr_expect_eq(check(NULL, CFG_SCOPE_NONE, &g, &name), 0, "healthz stays open");
    cr_expect_eq(check("Bearer SUBMIT-secret-0123456789", CFG_SCOPE_READ, &g, &name), 0);
}

Test(auth, writes_need_the_scope)
{
    enum cfg_scope g;
    const char *name;
    cr_expect_eq(check(NULL, CFG_SCOPE_SUBMIT, &g, &name), API_EUNAUTHORIZED);
    cr_expect_eq(check("Bearer SUBMIT-secret-0123456789", CFG_SCOPE_SUBMIT, &g, &name),
                 0);
    cr_expect_eq(g, CFG_SCOPE_SUBMIT);
    cr_expect_str_eq(name, "ci");
    cr_expect_eq(check("Bearer SUBMIT-secret-0123456789", CFG_SCOPE_ADMIN, &g, &name),
                 STDTAX_EFORBIDDEN);
    cr_expect_eq(check("bearer   ADMIN-secret-0123456789 ", CFG_SCOPE_SUBMIT, &g, &name),
                 0, "admin includes submit; scheme is case-insensitive");
    cr_expect_str_eq(name, "sec");
    cr_expect_eq(check("Bearer ADMIN-secret-0123456789", CFG_SCOPE_ADMIN, &g, &name), 0);
}

Test(auth, bad_credentials_are_refused_even_on_open_routes)
{
    enum cfg_scope g;
    const char *name;
    const char *bad[] = {"Bearer",
                         "Bearer ",
                         "Basic dXNlcjpwYXNz",
                         "Bearer ADMIN-secret-012345678",
                         "Bearer ADMIN-secret-01234567890",
                         "Bearer admin-secret-0123456789",
                         "ADMIN-secret-0123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(check(bad[i], CFG_SCOPE_READ, &g, &name), API_EUNAUTHORIZED, "%s",
                     bad[i]);
        cr_expect_null(name);
    }
}

Test(auth, secret_equal)
{
    cr_expect(api_secret_equal("abc", 3, "abc", 3));
    cr_expect_not(api_secret_equal("abd", 3, "abc", 3));
    cr_expect_not(api_secret_equal("ab", 2, "abc", 3));
    cr_expect_not(api_secret_equal("abcd", 4, "abc", 3));
    cr_expect_not(api_secret_equal("", 0, "abc", 3));
}

Test(headers, content_type_json)
{
    const char *good[] = {
        "application/json", "Application/JSON", "application/json; charset=utf-8",
        "application/json;charset=UTF-8", "application/json; charset=\"utf-8\""};
    const char *bad[] = {NULL,
                         "",
                         "text/plain",
                         "application/jsonx",
                         "application/json; charset=latin1",
                         "application/x-www-form-urlencoded",
                         "application/json; boundary=x",
                         "application/json-patch+json"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(api_content_type_json(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(api_content_type_json(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
}

Test(headers, cors_origins, .init = cfg_setup, .fini = cfg_teardown)
{
    cr_expect_not(api_cors_allowed(&cfg, "https://a.example"), "none by default");
    struct stdtax_error err;
    char *v[] = {"https://a.example"};
    cr_assert_eq(cfg_directive_set(&cfg, "cors-origin", 1, v, CFG_SOURCE_FILE, "t", &err),
                 0);
    cr_expect(api_cors_allowed(&cfg, "https://a.example"));
    cr_expect_not(api_cors_allowed(&cfg, "https://b.example"));
    cr_expect_not(api_cors_allowed(&cfg, NULL));
}

static int body(const char *ct, const char *data, json_t **out, struct api_response *r)
{
    return api_body_parse(&cfg, ct, data, strlen(data), out, r);
}

Test(body, json_parsed_and_media_type_checked, .init = cfg_setup, .fini = cfg_teardown)
{
    struct api_response r = {0};
    json_t *j;
    cr_assert_eq(
        body("application/json; charset=utf-8", "{\"title\": \"\u667a\"}", &j, &r), 0);
    cr_expect_str_eq(json_string_value(json_object_get(j, "title")), "\xe6\x99\xba");
    json_decref(j);
    cr_expect_eq(body("text/plain", "{}", &j, &r), API_EMEDIATYPE);
    cr_expect_eq(r.status, 415);
    cr_expect_null(j);
    api_response_clear(&r);
    cr_expect_eq(body(NULL, "{}", &j, &r), API_EMEDIATYPE);
    api_response_clear(&r);
}

Test(body, errors_carry_line_and_column, .init = cfg_setup, .fini = cfg_teardown)
{
    struct api_response r = {0};
    json_t *j;
    cr_assert_eq(body("application/json", "{\n  \"a\": 1,\n  \"b\": }", &j, &r),
                 STDTAX_EPARSE);
    cr_expect_eq(r.status, 400);
    cr_expect_eq(json_integer_value(json_object_get(r.body, "line")), 3);
    cr_expect_eq(json_integer_value(json_object_get(r.body, "column")), 8);
    cr_expect(strstr(json_string_value(json_object_get(r.body, "detail")), "line 3") !=
              NULL);
    api_response_clear(&r);
    const char *bad[] = {
        "",    "{\"a\": 1, \"a\": 2}", "{\"a\": \"\xff\"}", "{\"a\": \"\\u0000\"}",
        "[1,", "{\"a\": 1} x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(body("application/json", bad[i], &j, &r), STDTAX_EPARSE, "%s",
                     bad[i]);
        cr_expect_eq(r.status, 400, "%s", bad[i]);
        api_response_clear(&r);
    }
}

Test(body, over_the_limit_is_413, .init = cfg_setup, .fini = cfg_teardown)
{
    struct api_response r = {0};
    json_t *j;
    cfg.max_body = 8;
    cr_expect_eq(body("application/json", "{\"a\": 12345}", &j, &r), STDTAX_ETOOBIG);
    cr_expect_eq(r.status, 413);
    api_response_clear(&r);
}

Test(problem, table_maps_codes_to_statuses)
{
    const struct {
        int code, status;
    } rows[] = {{STDTAX_EPARSE, 400},     {API_EUNAUTHORIZED, 401},
                {STDTAX_EFORBIDDEN, 403}, {STDTAX_ENOTFOUND, 404},
                {API_EMETHOD, 405},       {STDTAX_ECONFLICT, 409},
                {STDTAX_ETOOBIG, 413},    {API_EMEDIATYPE, 415},
                {STDTAX_EINVAL, 422},     {STDTAX_EEMPTY, 422},
                {API_ETOOMANY, 429},      {API_EUNAVAILABLE, 503},
                {STDTAX_ESTORE, 500},     {-999, 500}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect_eq(api_err_status(rows[i].code), rows[i].status, "code %d",
                     rows[i].code);
    /* Every library code has a row of its own. */
    for (int code = STDTAX_ENOMEM; code >= STDTAX_EFORBIDDEN; code--) {
        struct api_response r = {0};
        api_response_problem(&r, code, NULL, "x");
        const char *type = json_string_value(json_object_get(r.body, "type"));
        cr_expect(type && strncmp(type, "urn:stdtaxd:problem:", 20) == 0, "code %d",
                  code);
        api_response_clear(&r);
    }
}

Test(problem, body_has_rfc9457_members_and_errors)
{
    struct api_response r = {0};
    json_t *errors = json_array();
    stdtax_problem_add(errors, "/title", "required");
    int rc = api_response_problem(&r, STDTAX_EINVAL, errors, "%d problems", 1);
    cr_expect_eq(rc, STDTAX_EINVAL);
    cr_expect_eq(r.status, 422);
    cr_expect_str_eq(r.content_type, "application/problem+json; charset=utf-8");
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "type")),
                     "urn:stdtaxd:problem:invalid");
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "title")),
                     "Invalid content");
    cr_expect_eq(json_integer_value(json_object_get(r.body, "status")), 422);
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "detail")), "1 problems");
    json_t *e0 = json_array_get(json_object_get(r.body, "errors"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(e0, "pointer")), "/title");
    api_response_clear(&r);
}

Test(problem, invalid_utf8_detail_still_makes_a_problem)
{
    struct api_response r = {0};
    api_response_problem(&r, STDTAX_ENOTFOUND, NULL, "no node %s", "\xff\xfe");
    cr_assert_not_null(r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "detail")), "Not found");
    api_response_clear(&r);
}

Test(response, headers_are_bounded_and_sanitised)
{
    struct api_response r = {0};
    cr_expect_eq(api_response_header(&r, "Location", "/v1/proposals/%d\r\nX: y", 7), 0);
    cr_expect_str_eq(api_response_header_get(&r, "location"), "/v1/proposals/7  X: y");
    for (int i = 1; i < API_HEADERS_MAX; i++)
        cr_expect_eq(api_response_header(&r, "X-N", "%d", i), 0);
    cr_expect_eq(api_response_header(&r, "X-N", "over"), STDTAX_ETOOBIG);
    api_response_clear(&r);
}

/* Handlers are called directly: no server, no evhttp. */
Test(handlers, healthz_and_metrics_without_a_server)
{
    static const struct api_hooks hooks = {0};
    struct api_ctx ctx = {.cfg = &cfg, .hooks = &hooks, .workers = 2};
    ctx.routes = api_routes(&ctx.n_routes);
    ctx.metrics = metrics_new(ctx.n_routes, 2);
    ctx.started_us = api_now_us();
    struct api_request req = {.method = API_GET, .path = "/healthz"};
    struct api_response resp = {0};
    cr_assert_eq(api_healthz_get(&ctx, &req, &resp), 0);
    cr_expect_eq(resp.status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(resp.body, "status")), "ok");
    cr_expect_eq(json_integer_value(json_object_get(resp.body, "workers")), 2);
    api_response_clear(&resp);

    atomic_store(&ctx.draining, 1);
    api_healthz_get(&ctx, &req, &resp);
    cr_expect_eq(resp.status, 503);
    api_response_clear(&resp);

    metrics_request_done(ctx.metrics, 1, 0, 200, 300);
    metrics_request_done(ctx.metrics, 0, 0, 200, 50);
    metrics_request_done(ctx.metrics, 0, -1, 404, 20000000);
    cr_assert_eq(api_metrics_get(&ctx, &req, &resp), 0);
    cr_assert_not_null(resp.raw);
    char *text = strndup(resp.raw, resp.raw_len);
    cr_expect(strstr(text,
                     "stdtaxd_http_requests_total{method=\"GET\",route=\"/healthz\","
                     "status=\"200\"} 2\n") != NULL,
              "%s", text);
    cr_expect(strstr(text, "route=\"unmatched\",status=\"404\"} 1\n") != NULL, "%s",
              text);
    cr_expect(
        strstr(text, "stdtaxd_http_request_duration_seconds_bucket{le=\"0.0001\"} 1\n") !=
            NULL,
        "%s", text);
    cr_expect(
        strstr(text, "stdtaxd_http_request_duration_seconds_bucket{le=\"0.0005\"} 2\n") !=
            NULL,
        "%s", text);
    cr_expect(strstr(text, "_bucket{le=\"+Inf\"} 3\n") != NULL, "%s", text);
    cr_expect(strstr(text, "stdtaxd_http_request_duration_seconds_count 3\n") != NULL,
              "%s", text);
    free(text);
    api_response_clear(&resp);
    metrics_free(ctx.metrics);
}

/* The query parameters an operation describes are the route's query column, in any
 * order; a route that does not read its query (API_F_QUERY_IGNORED) describes none
 * and no 400, and every other one describes the 400 its dispatcher step gives. */
static void query_column_matches(const json_t *op, const struct api_route *route)
{
    const char *m = api_method_name(route->method);
    size_t described = 0;
    size_t i;
    json_t *param;
    json_array_foreach(json_object_get(op, "parameters"), i, param)
    {
        if (strcmp(json_string_value(json_object_get(param, "in")) ?: "", "query") != 0)
            continue;
        const char *name = json_string_value(json_object_get(param, "name"));
        bool listed = false;
        for (size_t k = 0; name && route->query && route->query[k]; k++)
            listed |= strcmp(route->query[k], name) == 0;
        cr_expect(listed, "%s %s: openapi.json describes ?%s, the route does not take it",
                  m, route->pattern, name ? name : "(no name)");
        described++;
    }
    size_t taken = 0;
    while (route->query && route->query[taken])
        taken++;
    cr_expect_eq(described, taken, "%s %s: %zu query parameters described, %zu taken", m,
                 route->pattern, described, taken);
    bool refuses = json_object_get(json_object_get(op, "responses"), "400") != NULL;
    cr_expect_eq(refuses, !(route->flags & API_F_QUERY_IGNORED),
                 "%s %s: a 400 is described exactly when the query is checked", m,
                 route->pattern);
}

/* api/openapi.json is the contract: every route is an operation there, with the
 * same method, path and operationId, and every operation there is a route, except
 * those marked "x-stdtaxd-planned" (described ahead of their handlers); a route
 * must not keep that mark once it exists. */
Test(routes, table_and_openapi_name_the_same_operations)
{
    json_error_t jerr;
    const char *src = getenv("STDTAX_SRCDIR") ? getenv("STDTAX_SRCDIR") : STDTAX_SRCDIR;
    char path[4096];
    snprintf(path, sizeof path, "%s/api/openapi.json", src);
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    cr_assert_not_null(doc, "%s: %s", path, jerr.text);
    size_t n;
    const struct api_route *routes = api_routes(&n);
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < n; i++) {
        char method[16];
        const char *m = api_method_name(routes[i].method);
        for (size_t k = 0; k <= strlen(m); k++)
            method[k] = (char)(m[k] >= 'A' && m[k] <= 'Z' ? m[k] + 32 : m[k]);
        json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), method);
        cr_expect_not_null(op, "%s %s missing from openapi.json", m, routes[i].pattern);
        cr_expect_str_eq(json_string_value(json_object_get(op, "operationId")),
                         routes[i].operation, "%s %s", m, routes[i].pattern);
        cr_expect_null(json_object_get(op, "x-stdtaxd-planned"),
                       "%s %s is implemented: drop x-stdtaxd-planned", m,
                       routes[i].pattern);
        if (routes[i].flags & API_F_JSON_BODY)
            cr_expect_not_null(json_object_get(op, "requestBody"), "%s %s", m,
                               routes[i].pattern);
        query_column_matches(op, &routes[i]);
    }
    const char *key;
    json_t *item;
    size_t implemented = 0;
    json_object_foreach(paths, key, item)
    {
        const char *mk;
        json_t *op;
        json_object_foreach(item, mk, op)
        {
            cr_expect_not_null(json_object_get(op, "operationId"), "%s %s", mk, key);
            if (json_is_true(json_object_get(op, "x-stdtaxd-planned")))
                continue;
            implemented++;
            bool found = false;
            for (size_t i = 0; i < n; i++)
                found |= strcmp(routes[i].pattern, key) == 0 &&
                         strcasecmp(api_method_name(routes[i].method), mk) == 0;
            cr_expect(found, "openapi.json describes %s %s but no route serves it", mk,
                      key);
        }
    }
    cr_expect_eq(implemented, n,
                 "openapi.json has %zu implemented operations, routes %zu", implemented,
                 n);
    json_decref(doc);
}

/* An answer's text is one line that reads back as its body; what cannot be written
 * (nested past the writer's bound) gives no text, so the server answers 500. */
Test(responses, answer_text_reads_back_as_the_body)
{
    json_t *body = json_pack("{s:s, s:f, s:[i, n, b], s:{}}", "title", "标准 \"x\"\n",
                             "score", 0.8132, "list", 1, 0, "empty");
    size_t len = 0;
    char *text = api_json_text(body, &len);
    cr_assert_not_null(text);
    cr_expect_eq(strlen(text), len);
    cr_expect_eq(text[len - 1], '\n');
    cr_expect_null(memchr(text, '\n', len - 1), "one line");
    json_t *got = json_loadb(text, len, 0, NULL);
    cr_expect(json_equal(got, body));
    json_decref(got);
    free(text);
    json_decref(body);

    json_t *deep = json_array(), *cur = deep;
    for (int i = 0; i < JSONW_DEPTH_MAX + 1; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    cr_expect_null(api_json_text(deep, &len));
    json_decref(deep);
}

/* Every problem type (doc/http-errors.md) has its title in Chinese: each code of the
 * status table, localised for a caller who prefers zh, changes its title into Chinese
 * and keeps it in English for the others. */
Test(problems, every_problem_type_has_a_chinese_title)
{
    static const int codes[] = {STDTAX_EPARSE,
                                STDTAX_EUTF8,
                                API_EUNAUTHORIZED,
                                STDTAX_EFORBIDDEN,
                                STDTAX_ENOTFOUND,
                                API_EMETHOD,
                                API_ENOTACCEPTABLE,
                                STDTAX_ECONFLICT,
                                STDTAX_ETOOBIG,
                                API_EURITOOLONG,
                                API_EMEDIATYPE,
                                STDTAX_EINVAL,
                                STDTAX_EEMPTY,
                                STDTAX_ELATE,
                                API_ETOOMANY,
                                STDTAX_ENOMEM,
                                STDTAX_EIO,
                                STDTAX_ESTORE,
                                STDTAX_EVERSION,
                                API_EINTERNAL,
                                API_EUNAVAILABLE,
                                STDTAX_ENOSPC,
                                -999 /* unknown: internal */};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct api_response en = {0}, zh = {0};
        api_response_problem(&en, codes[i], NULL, "out of memory");
        api_response_problem(&zh, codes[i], NULL, "out of memory");
        api_problem_localise(en.body, MSG_EN);
        api_problem_localise(zh.body, MSG_ZH);
        const char *t_en = json_string_value(json_object_get(en.body, "title"));
        const char *t_zh = json_string_value(json_object_get(zh.body, "title"));
        cr_expect(strcmp(t_en, t_zh) != 0, "code %d: %s has no Chinese title", codes[i],
                  t_en);
        cr_expect((unsigned char)t_zh[0] >= 0xE0, "code %d: %s", codes[i], t_zh);
        cr_expect_str_eq(json_string_value(json_object_get(zh.body, "detail")),
                         "内存不足");
        api_response_clear(&en);
        api_response_clear(&zh);
    }
}
