/* The daemon's per-request fast paths give what the slow ones gave: cached answers
 * shared instead of copied (app.c), flat JSON bodies parsed without jansson's loader
 * (api.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"

static struct app app;

static void cache_setup(void)
{
    memset(&app, 0, sizeof app);
    app_cache_init(&app.cache);
}

static void cache_teardown(void)
{
    app_cache_free(&app.cache);
}

TestSuite(cache, .init = cache_setup, .fini = cache_teardown);

static json_t *body_of(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j);
    return j;
}

/* The answer's text is one line holding body. */
static bool answers(const struct api_response *r, const json_t *body)
{
    if (r->raw_len == 0 || r->raw[r->raw_len - 1] != '\n')
        return false;
    json_t *got = json_loadb(r->raw, r->raw_len - 1, 0, NULL);
    bool same = got && json_equal(got, body);
    json_decref(got);
    return same;
}

Test(cache, answers_share_one_text_that_outlives_its_entry)
{
    json_t *b1 = body_of("{\"total\":1,\"share\":0.5}");
    app_cache_store(&app, "/v1/stats", 0, b1);
    struct api_response r1 = {0}, r2 = {0};
    cr_assert(app_cache_answer(&app, "/v1/stats", &r1));
    cr_assert(app_cache_answer(&app, "/v1/stats", &r2));
    cr_assert_eq(r1.status, 200);
    cr_assert_not_null(r1.raw_release, "a shared body, not a copy to free");
    cr_assert_eq(r1.raw, r2.raw, "both answers send the same bytes");
    cr_assert(answers(&r1, b1));
    cr_assert_str_eq(r1.content_type, "application/json; charset=utf-8");

    /* A write replaces the entry while both answers are still being sent: theirs stay
     * valid (AddressSanitizer would see a read after free) until each is released. */
    json_t *b2 = body_of("{\"total\":2}");
    app_cache_store(&app, "/v1/stats", 1, b2);
    cr_assert(answers(&r1, b1));
    api_response_clear(&r1);
    cr_assert(answers(&r2, b1));
    api_response_clear(&r2);

    /* The entry made at generation 1 answers only while the generation is 1. */
    struct api_response r3 = {0};
    cr_assert_not(app_cache_answer(&app, "/v1/stats", &r3));
    atomic_store(&app.generation, 1);
    cr_assert(app_cache_answer(&app, "/v1/stats", &r3));
    cr_assert(answers(&r3, b2));
    cr_assert_not(app_cache_answer(&app, "/v1/coverage", &r1));
    /* Replacing a response's body releases the shared one (no leak, no double free). */
    char *own = strdup("x");
    api_response_raw(&r3, 200, NULL, own, 1);
    cr_assert_null(r3.raw_release);
    api_response_clear(&r3);
    json_decref(b1);
    json_decref(b2);
}

Test(cache, every_slot_can_be_replaced_while_in_use)
{
    struct api_response held[APP_CACHE_SLOTS + 4];
    json_t *b = body_of("[1,2,3]");
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "/k%zu", i);
        app_cache_store(&app, key, 0, b);
        memset(&held[i], 0, sizeof held[i]);
        cr_assert(app_cache_answer(&app, key, &held[i]));
    }
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        cr_assert(answers(&held[i], b));
        api_response_clear(&held[i]);
    }
    json_decref(b);
}

static const struct api_route stats_route = {API_GET, "/v1/stats", NULL,   0,
                                             0,       NULL,        "stats"};

Test(cache, key_is_the_route_and_the_query_as_given)
{
    struct api_request req = {.route = &stats_route};
    char key[APP_CACHE_KEY_MAX];
    cr_assert(app_cache_key(&req, key));
    cr_assert_str_eq(key, "/v1/stats");
    struct stdtax_error err = {0};
    const char *qs = "track=local&call=2023";
    cr_assert_eq(api_query_parse(qs, strlen(qs), &req.query, &err), 0);
    cr_assert(app_cache_key(&req, key));
    cr_assert_str_eq(key, "/v1/stats\ntrack=local\ncall=2023");
    api_query_free(&req.query);

    /* A key that does not fit is not cached: 9 + 1 + 1 + 1 + 500 = 512 bytes. */
    char long_qs[520] = "a=";
    memset(long_qs + 2, 'x', 500);
    long_qs[502] = '\0';
    cr_assert_eq(api_query_parse(long_qs, strlen(long_qs), &req.query, &err), 0);
    cr_assert_not(app_cache_key(&req, key));
    api_query_free(&req.query);
    long_qs[2 + 498] = '\0'; /* 510 bytes: fits with its NUL */
    cr_assert_eq(api_query_parse(long_qs, strlen(long_qs), &req.query, &err), 0);
    cr_assert(app_cache_key(&req, key));
    cr_assert_eq(strlen(key), 510);
    api_query_free(&req.query);
}

/* --- bodies ------------------------------------------------------------------------ */

static struct stdtax_config cfg;

static void cfg_setup(void)
{
    cr_assert_eq(cfg_config_init(&cfg), 0);
}

static void cfg_teardown(void)
{
    cfg_config_free(&cfg);
}

TestSuite(body, .init = cfg_setup, .fini = cfg_teardown);

/* The text jansson makes of v with its members in their order. */
static char *ordered(const json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    cr_assert_not_null(t);
    return t;
}

Test(body, flat_bodies_parse_as_jansson_parses_them)
{
    static const char *const bodies[] = {
        "{\"title\": \"人工智能 大模型 训练数据质量评价规范\", \"title_en\": \"AI\", "
        "\"scope\": \"本标准规定了…\"}",
        "{}",
        " \r\n\t{ \"z\" : \"last\" , \"a\" : null , \"m\" : \"\" } \n",
        "{\"esc\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"k\\u00e9y\": "
        "\"v\"}",
        /* Not flat: jansson's parse, the same result. */
        "{\"title\": \"x\", \"n\": 1, \"o\": {\"a\": [true, false, null]}}",
        "[\"a\", \"b\"]",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *got = NULL;
        struct api_response resp = {0};
        cr_assert_eq(api_body_parse(&cfg, "application/json", bodies[i],
                                    strlen(bodies[i]), &got, &resp),
                     0, "body %zu", i);
        json_t *want =
            json_loadb(bodies[i], strlen(bodies[i]), JSON_REJECT_DUPLICATES, NULL);
        cr_assert_not_null(want);
        cr_assert(json_equal(got, want), "body %zu", i);
        char *a = ordered(got), *b = ordered(want);
        cr_assert_str_eq(a, b, "body %zu: members in the same order", i);
        free(a);
        free(b);
        json_decref(got);
        json_decref(want);
        api_response_clear(&resp);
    }
}

Test(body, what_jansson_refuses_is_still_refused_with_its_position)
{
    static const char *const bad[] = {
        "{\"a\": \"x\", \"a\": \"y\"}", /* duplicate key */
        "{\"a\": \"\\u0000\"}",         /* NUL */
        "{\"a\": \"\xff\"}",            /* invalid UTF-8 */
        "{\"a\": \"x\",}",              /* trailing comma */
        "{\"a\": \"x\"} {}",            /* two values */
        "{\"a\": \"\\ud800\"}",         /* lone surrogate */
        "{\"a\": \"line\nbreak\"}",     /* control character */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *got = NULL;
        struct api_response resp = {0};
        cr_assert_eq(
            api_body_parse(&cfg, "application/json", bad[i], strlen(bad[i]), &got, &resp),
            STDTAX_EPARSE, "body %zu", i);
        cr_assert_null(got);
        cr_assert_not_null(json_object_get(resp.body, "column"), "body %zu", i);
        api_response_clear(&resp);
    }
}
