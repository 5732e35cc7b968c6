#include <criterion/criterion.h>
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
    {API_GET, "/v1/taxonomy", h_dummy, 0, CFG_SCOPE_READ, "a"},
    {API_GET, "/v1/taxonomy/{code}", h_dummy, 0, CFG_SCOPE_READ, "b"},
    {API_POST, "/v1/proposals", h_dummy, API_F_JSON_BODY, CFG_SCOPE_SUBMIT, "c"},
    {API_GET, "/v1/proposals", h_dummy, 0, CFG_SCOPE_READ, "d"},
    {API_GET, "/v1/proposals/{id}", h_dummy, 0, CFG_SCOPE_READ, "e"},
    {API_PATCH, "/v1/proposals/{id}", h_dummy, API_F_JSON_BODY, CFG_SCOPE_ADMIN, "f"},
    {API_DELETE, "/v1/proposals/{id}", h_dummy, 0, CFG_SCOPE_ADMIN, "g"},
    {API_GET, "/v1/a/{x}/b/{y}", h_dummy, 0, CFG_SCOPE_READ, "h"},
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
