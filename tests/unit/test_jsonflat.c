#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/jsonflat.h"

static int parse(const char *s, size_t len, struct jsonflat_member *m, size_t *n,
                 char **scratch)
{
    *scratch = malloc(len + 2 * JSONFLAT_MEMBERS_MAX + 1);
    cr_assert_not_null(*scratch);
    return jsonflat_object_parse(s, len, *scratch, m, n);
}

/* Whatever the fast path handles, jansson accepts with the same members. */
static void expect_same_as_jansson(const char *s, size_t len)
{
    struct jsonflat_member m[JSONFLAT_MEMBERS_MAX];
    size_t n;
    char *scratch;
    int handled = parse(s, len, m, &n, &scratch);
    json_error_t je;
    json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (handled) {
        cr_assert_not_null(j, "handled but jansson says %s: %.*s", je.text, (int)len, s);
        cr_expect_eq(json_object_size(j), n);
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_object_getn(j, m[i].key, m[i].key_len);
            cr_assert_not_null(v, "member %zu", i);
            if (m[i].is_null) {
                cr_expect(json_is_null(v));
            } else {
                cr_assert(json_is_string(v));
                cr_expect_eq(json_string_length(v), m[i].value_len);
                cr_expect(memcmp(json_string_value(v), m[i].value, m[i].value_len) == 0);
            }
        }
    }
    /* The object made from it: jansson's, members in the same order; none when the
     * fast path does not handle the text. */
    json_t *o = jsonflat_object_new(s, len);
    cr_expect_eq(o != NULL, handled != 0);
    if (o) {
        char *a = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *b = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        cr_expect_str_eq(a, b);
        free(a);
        free(b);
    }
    json_decref(o);
    json_decref(j);
    free(scratch);
}

static int handled(const char *s)
{
    struct jsonflat_member m[JSONFLAT_MEMBERS_MAX];
    size_t n;
    char *scratch;
    int h = parse(s, strlen(s), m, &n, &scratch);
    free(scratch);
    return h;
}

Test(jsonflat, handles_objects_of_strings_and_nulls)
{
    const char *s =
        " {\"title\" : \"智能\\u8bed\\u97f3 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\t\","
        "\"scope\":null, \"x\":\"\"}\r\n";
    struct jsonflat_member m[JSONFLAT_MEMBERS_MAX];
    size_t n;
    char *scratch;
    cr_assert(parse(s, strlen(s), m, &n, &scratch));
    cr_assert_eq(n, 3);
    cr_expect_str_eq(m[0].key, "title");
    cr_expect_str_eq(m[0].value, "智能语音 \xf0\x9f\x98\x80 \"q\" \\ / \t");
    cr_expect(m[1].is_null);
    const struct jsonflat_member *x = jsonflat_member_get(m, n, "x");
    cr_assert_not_null(x);
    cr_expect_eq(x->value_len, 0);
    cr_expect(!x->is_null);
    cr_expect_null(jsonflat_member_get(m, n, "text"));
    free(scratch);
    cr_expect(handled("{}"));
    expect_same_as_jansson(s, strlen(s));
}

Test(jsonflat, leaves_everything_else_to_jansson)
{
    static const char *const other[] = {
        "",
        "[]",
        "\"s\"",
        "{\"a\":1}",
        "{\"a\":true}",
        "{\"a\":{\"b\":\"c\"}}",
        "{\"a\":[\"b\"]}",
        "{\"a\":\"b\",\"a\":\"c\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00x\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"b\"} x",
        "{\"a\":\"b\",}",
        "{\"a\" \"b\"}",
        "{\"a\":nul}",
        "{\"a\":nullx}",
        "{\"a\":\"b\"",
        "{\"a\":\"\xff\"}",
        "{a:\"b\"}",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        cr_expect(!handled(other[i]), "%s", other[i]);
    char many[2048] = "{";
    for (int i = 0; i <= JSONFLAT_MEMBERS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"k%d\":\"v\"",
                 i ? "," : "", i);
    strcat(many, "}");
    cr_expect(!handled(many));
}

/* Random edits of valid lines: the fast path never accepts what jansson would not, and
 * never reads members differently. */
Test(jsonflat, agrees_with_jansson_on_random_edits)
{
    static const char *const seeds[] = {
        "{\"title\":\"信息技术 人工智能 \\u672f\\u8bed\",\"scope\":null}",
        "{\"title\":\"a\\\"b\\\\c\",\"title_en\":\"AI \\ud83d\\ude00\",\"text\":\"x\"}",
        "{ \"k\" : \"v\" , \"n\" : null }",
    };
    static const char alphabet[] = "{}[]\":,\\nul tu0dD8e\xe4\xb8\x80\xff\x01";
    unsigned seed = 12345;
    char buf[256];
    for (int round = 0; round < 20000; round++) {
        const char *s = seeds[round % 3];
        size_t len = strlen(s);
        memcpy(buf, s, len);
        int edits = 1 + round % 3;
        for (int k = 0; k < edits; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
            switch ((seed >> 4) % 3) {
            case 0:
                buf[pos] = c;
                break;
            case 1: /* delete */
                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                len--;
                break;
            default: /* insert */
                if (len + 1 < sizeof buf) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = c;
                    len++;
                }
            }
            if (len == 0)
                break;
        }
        expect_same_as_jansson(buf, len);
    }
}
