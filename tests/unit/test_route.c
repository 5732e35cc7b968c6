#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

static int h_dummy(struct api_ctx *a, const struct api_request *r, struct api_response *s)
{
    (void)a;
    (void)r;
    (void)s;
    return 0;
}

static const struct api_route table[] = {
    {API_GET, "/v1/taxonomy", h_dummy, 0, CFG_SCOPE_READ, NULL, "a"},
    {API_GET, "/v1/taxonomy/{code}", h_dummy, 0, CFG_SCOPE_READ, NULL, "b"},
    {API_POST, "/v1/proposals", h_dummy, API_F_JSON_BODY, CFG_SCOPE_SUBMIT, NULL, "c"},
    {API_GET, "/v1/proposals", h_dummy, 0, CFG_SCOPE_READ, NULL, "d"},
    {API_GET, "/v1/proposals/{id}", h_dummy, 0, CFG_SCOPE_READ, NULL, "e"},
    {API_PATCH, "/v1/proposals/{id}", h_dummy, API_F_JSON_BODY, CFG_SCOPE_ADMIN, NULL,
     "f"},
    {API_DELETE, "/v1/proposals/{id}", h_dummy, 0, CFG_SCOPE_ADMIN, NULL, "g"},
    {API_GET, "/v1/a/{x}/b/{y}", h_dummy, 0, CFG_SCOPE_READ, NULL, "h"},
};
#define N (sizeof table / sizeof table[0])

static int match(unsigned method, const char *path, struct api_match *m)
{
    return api_route_match(table, N, method, path, strlen(path), m);
}

Test(route, literal_and_parameter_paths)
{
    struct api_match m;
    cr_expect_eq(match(API_GET, "/v1/taxonomy", &m), 0);
    cr_expect_eq(m.n_params, 0);
    cr_expect_eq(match(API_GET, "/v1/taxonomy/core.ml", &m), 1);
    cr_assert_eq(m.n_params, 1);
    cr_expect_eq(m.params[0].name_len, 4);
    cr_expect_eq(strncmp(m.params[0].name, "code", 4), 0);
    cr_expect_eq(m.params[0].value_len, 7);
    cr_expect_eq(strncmp(m.params[0].value, "core.ml", 7), 0);
    cr_expect_eq(match(API_GET, "/v1/a/1/b/22", &m), 7);
    cr_assert_eq(m.n_params, 2);
    cr_expect_eq(m.params[1].value_len, 2);
}

Test(route, method_selects_the_row)
{
    struct api_match m;
    cr_expect_eq(match(API_POST, "/v1/proposals", &m), 2);
    cr_expect_eq(match(API_GET, "/v1/proposals", &m), 3);
    cr_expect_eq(match(API_PATCH, "/v1/proposals/42", &m), 5);
    cr_expect_eq(match(API_DELETE, "/v1/proposals/42", &m), 6);
    cr_expect_eq(match(API_HEAD, "/v1/proposals/42", &m), 4, "HEAD uses the GET route");
}

Test(route, unknown_path_has_no_allow)
{
    struct api_match m;
    const char *paths[] = {"/",
                           "/v1",
                           "/v1/taxonomy/",
                           "/v1/taxonomy//",
                           "/v1/taxonomyx",
                           "/v1/taxonomy/a/b",
                           "/v1/proposals/",
                           "/v1/a//b/1",
                           ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        cr_expect_eq(match(API_GET, paths[i], &m), -1, "%s", paths[i]);
        cr_expect_eq(m.allow, 0, "%s", paths[i]);
    }
}

Test(route, wrong_method_reports_allow)
{
    struct api_match m;
    cr_expect_eq(match(API_PUT, "/v1/proposals/7", &m), -1);
    cr_expect_eq(m.allow, API_GET | API_HEAD | API_PATCH | API_DELETE | API_OPTIONS);
    char text[128];
    api_allow_format(m.allow, text, sizeof text);
    cr_expect_str_eq(text, "GET, HEAD, PATCH, DELETE, OPTIONS");
    cr_expect_eq(match(API_DELETE, "/v1/taxonomy", &m), -1);
    api_allow_format(m.allow, text, sizeof text);
    cr_expect_str_eq(text, "GET, HEAD, OPTIONS");
}

Test(route, percent_decode)
{
    char out[64];
    cr_expect_eq(api_percent_decode("a%20b+c", 7, out, true), 5);
    cr_expect_str_eq(out, "a b c");
    cr_expect_eq(api_percent_decode("a%20b+c", 7, out, false), 5);
    cr_expect_str_eq(out, "a b+c");
    cr_expect_eq(api_percent_decode("%E6%99%BA", 9, out, false), 3);
    cr_expect_str_eq(out, "\xe6\x99\xba");
    cr_expect_eq(api_percent_decode("%", 1, out, false), -1);
    cr_expect_eq(api_percent_decode("%4", 2, out, false), -1);
    cr_expect_eq(api_percent_decode("%4g", 3, out, false), -1);
    cr_expect_eq(api_percent_decode("ab%4", 4, out, false), -1);
}

Test(route, utf8_validation)
{
    cr_expect(api_utf8_valid("abc", 3));
    cr_expect(api_utf8_valid("\xe6\x99\xba\xe8\x83\xbd", 6));
    cr_expect(api_utf8_valid("\xf0\x9f\x98\x80", 4));
    cr_expect_not(api_utf8_valid("\xc0\xaf", 2), "overlong");
    cr_expect_not(api_utf8_valid("\xed\xa0\x80", 3), "surrogate");
    cr_expect_not(api_utf8_valid("\xe6\x99", 2), "truncated");
    cr_expect_not(api_utf8_valid("\xf4\x90\x80\x80", 4), "over U+10FFFF");
    cr_expect_not(api_utf8_valid("a\0b", 3), "NUL");
    cr_expect_not(api_utf8_valid("\xff", 1));
}

static struct api_query q;
static struct stdtax_error err;

static int qparse(const char *s)
{
    api_query_free(&q);
    return api_query_parse(s, strlen(s), &q, &err);
}

static void qfini(void)
{
    api_query_free(&q);
}

Test(query, pairs_decoding_and_repeats, .fini = qfini)
{
    cr_assert_eq(
        qparse("category=core&min=3&q=%E5%A4%A7%E6%A8%A1%E5%9E%8B+safety&category=infra"),
        0, "%s", err.text);
    cr_assert_eq(q.n, 4);
    cr_expect_str_eq(api_query_get(&q, "category"), "core");
    cr_expect_eq(api_query_count(&q, "category"), 2);
    cr_expect_str_eq(q.items[3].value, "infra");
    cr_expect_str_eq(api_query_get(&q, "q"),
                     "\xe5\xa4\xa7\xe6\xa8\xa1\xe5\x9e\x8b safety");
    cr_expect_null(api_query_get(&q, "missing"));
}

Test(query, empty_parts_and_flags, .fini = qfini)
{
    cr_assert_eq(qparse("&a&&b=&c=1&"), 0, "%s", err.text);
    cr_assert_eq(q.n, 3);
    cr_expect_str_eq(api_query_get(&q, "a"), "");
    cr_expect_str_eq(api_query_get(&q, "b"), "");
    cr_assert_eq(qparse(""), 0);
    cr_expect_eq(q.n, 0);
    cr_assert_eq(api_query_parse(NULL, 0, &q, &err), 0);
}

Test(query, rejects_bad_input, .fini = qfini)
{
    cr_expect_eq(qparse("a=%zz"), STDTAX_EPARSE);
    cr_expect_str_eq(err.field, "/query/a");
    cr_expect_eq(qparse("%zz=1"), STDTAX_EPARSE);
    cr_expect_eq(qparse("=1"), STDTAX_EPARSE);
    cr_expect_eq(qparse("a=%ff"), STDTAX_EUTF8);
    cr_expect_eq(qparse("a=%00"), STDTAX_EUTF8);
}

Test(query, bounds, .fini = qfini)
{
    char s[API_QUERY_MAX * 6 + 16] = "";
    for (int i = 0; i <= API_QUERY_MAX; i++)
        strcat(s, "k=v&");
    cr_expect_eq(qparse(s), STDTAX_ETOOBIG);
    char key[API_QUERY_KEY_MAX + 8];
    memset(key, 'k', sizeof key - 3);
    strcpy(key + sizeof key - 3, "=1");
    cr_expect_eq(qparse(key), STDTAX_ETOOBIG);
    static char val[API_QUERY_VALUE_MAX + 8];
    strcpy(val, "v=");
    memset(val + 2, 'x', API_QUERY_VALUE_MAX + 1);
    cr_expect_eq(qparse(val), STDTAX_ETOOBIG);
    val[2 + API_QUERY_VALUE_MAX] = '\0';
    cr_expect_eq(qparse(val), 0);
}

/* --- the table's query column, as the dispatcher applies it ---------------------- */

/* The problem in r: a 400 "unparsable" whose detail is detail and whose one error
 * points at pointer. */
static void expect_query_problem(const struct api_response *r, const char *what,
                                 const char *pointer, const char *detail)
{
    cr_expect_eq(r->status, 400, "%s", what);
    cr_expect_str_eq(json_string_value(json_object_get(r->body, "type")),
                     "urn:stdtaxd:problem:unparsable", "%s", what);
    cr_expect_str_eq(json_string_value(json_object_get(r->body, "detail")), detail, "%s",
                     what);
    json_t *errors = json_object_get(r->body, "errors");
    cr_assert_eq(json_array_size(errors), 1, "%s", what);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_array_get(errors, 0), "pointer")), pointer,
        "%s", what);
}

/* Every route of the daemon's table: a parameter outside its query column is a 400
 * naming it, each listed one passes alone and is a 400 given twice; routes marked
 * API_F_QUERY_IGNORED let anything through.  The handlers no longer check: without
 * the dispatcher's step nothing would refuse. */
Test(query, every_route_enforces_its_column, .fini = qfini)
{
    size_t n;
    const struct api_route *routes = api_routes(&n);
    size_t ignoring = 0;
    for (size_t r = 0; r < n; r++) {
        const struct api_route *route = &routes[r];
        struct api_response resp = {0};
        cr_assert_eq(qparse("zz-unknown=1"), 0);
        int rc = api_query_allowed(route, &q, &resp);
        if (route->flags & API_F_QUERY_IGNORED) {
            ignoring++;
            cr_expect_eq(rc, 0, "%s", route->pattern);
            cr_expect_null(route->query, "%s reads no query", route->pattern);
            cr_expect_null(resp.body);
            continue;
        }
        cr_expect_eq(rc, STDTAX_EPARSE, "%s", route->pattern);
        expect_query_problem(&resp, route->pattern, "/query/zz-unknown",
                             "unknown query parameter 'zz-unknown'");
        api_response_clear(&resp);
        cr_assert_eq(qparse(""), 0);
        cr_expect_eq(api_query_allowed(route, &q, &resp), 0, "%s", route->pattern);
        for (size_t k = 0; route->query && route->query[k]; k++) {
            const char *name = route->query[k];
            char text[128], what[128];
            snprintf(what, sizeof what, "%s ?%s", route->pattern, name);
            snprintf(text, sizeof text, "%s=1", name);
            cr_assert_eq(qparse(text), 0);
            cr_expect_eq(api_query_allowed(route, &q, &resp), 0, "%s", what);
            cr_expect_null(resp.body, "%s", what);
            snprintf(text, sizeof text, "%s=1&%s=2", name, name);
            cr_assert_eq(qparse(text), 0);
            cr_expect_eq(api_query_allowed(route, &q, &resp), STDTAX_EPARSE, "%s", what);
            char pointer[80], detail[128];
            snprintf(pointer, sizeof pointer, "/query/%s", name);
            snprintf(detail, sizeof detail, "query parameter '%s' given more than once",
                     name);
            expect_query_problem(&resp, what, pointer, detail);
            api_response_clear(&resp);
        }
    }
    cr_expect_gt(ignoring, 0);
    cr_expect_lt(ignoring, n);
}

Test(query, first_offender_is_named_and_escaped, .fini = qfini)
{
    static const char *const taken[] = {"limit", NULL};
    const struct api_route route = {API_GET,        "/x",  h_dummy, 0,
                                    CFG_SCOPE_READ, taken, "x"};
    struct api_response resp = {0};
    cr_assert_eq(qparse("limit=1&a%2Fb~c=1&other=2"), 0);
    cr_expect_eq(api_query_allowed(&route, &q, &resp), STDTAX_EPARSE);
    /* RFC 6901: '/' is ~1 and '~' is ~0, so the pointer resolves to the name. */
    expect_query_problem(&resp, "escaped", "/query/a~1b~0c",
                         "unknown query parameter 'a/b~c'");
    api_response_clear(&resp);
}

/* --- the write flag -------------------------------------------------------------- */

static unsigned written_calls;

static void count_written(void *app)
{
    (void)app;
    written_calls++;
}

/* The answer cache is dropped after every answer of a write route that is not a
 * refusal, and after no other answer. */
Test(write_flag, the_hook_runs_after_writes_that_were_not_refused)
{
    static const struct api_hooks hooks = {.written = count_written};
    struct api_ctx ctx = {.hooks = &hooks};
    const struct api_route *write = &table[2], *read = &table[3];
    const struct api_route stored = {API_POST,         "/w", h_dummy, API_F_WRITE,
                                     CFG_SCOPE_SUBMIT, NULL, "w"};
    static const struct {
        int status;
        bool written;
    } cases[] = {{0, true},    {200, true},  {201, true},  {204, true},
                 {400, false}, {401, false}, {404, false}, {409, false},
                 {422, false}, {500, true},  {503, true},  {507, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_response resp = {.status = cases[i].status};
        written_calls = 0;
        api_route_answered(&ctx, &stored, &resp);
        cr_expect_eq(written_calls, cases[i].written ? 1u : 0u, "status %d",
                     cases[i].status);
        written_calls = 0;
        api_route_answered(&ctx, write, &resp); /* a table row without the flag */
        api_route_answered(&ctx, read, &resp);
        api_route_answered(&ctx, NULL, &resp); /* no route matched */
        cr_expect_eq(written_calls, 0u, "status %d", cases[i].status);
    }
    static const struct api_hooks none = {0};
    ctx.hooks = &none;
    struct api_response ok = {.status = 201};
    api_route_answered(&ctx, &stored, &ok); /* no hook: nothing to call */
}

/* A route changes stored data exactly when it is not a GET and needs a token that
 * may write (submit or admin): classifying (POST, read scope) stores nothing, and a
 * backup (POST /v1/admin/backup) only reads the store. */
Test(write_flag, every_writing_route_has_it)
{
    size_t n;
    const struct api_route *routes = api_routes(&n);
    size_t writes = 0;
    for (size_t r = 0; r < n; r++) {
        bool writes_data = routes[r].method != API_GET &&
                           routes[r].scope >= CFG_SCOPE_SUBMIT &&
                           strcmp(routes[r].pattern, "/v1/admin/backup") != 0;
        cr_expect_eq(!!(routes[r].flags & API_F_WRITE), writes_data, "%s %s",
                     api_method_name(routes[r].method), routes[r].pattern);
        writes += writes_data;
    }
    cr_expect_eq(writes, 7,
                 "POST /v1/proposals, PATCH and DELETE /v1/proposals/{id}, "
                 "POST /v1/catalog, PUT, POST and DELETE of a material");
}
