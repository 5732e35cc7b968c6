/* The text query of a listing: parsing (bounds, UTF-8, empty) and matching (fields,
 * width and case, AND over words, no word across two fields). */
#include <criterion/criterion.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/textquery.h"

static json_t *record(void)
{
    json_t *r = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s}", "id",
        "P2023-000042", "title", "生成式人工智能 大模型安全评估规范", "title_en",
        "Security Evaluation of Generative AI Large Models", "organisation",
        "上海人工智能实验室", "scope", "规定了大模型的安全评估方法（红队测试）。",
        "replaces", "DB31/T 1234-2020", "purpose", "保障数据安全 purpose-only-word",
        "adoption", "degree", "MOD", "number", "ISO/IEC 22989:2022", "ics", "35.240",
        "ccs", "L70", "situation", "国内外 situation-only-word", "head_of_unit",
        "张三丰");
    cr_assert_not_null(r);
    return r;
}

static bool matches(const char *query, const json_t *rec)
{
    struct tq_query *q = NULL;
    struct stdtax_error err = {0};
    int rc = tq_query_new(query, &q, &err);
    cr_assert_eq(rc, 0, "query \"%s\": %s", query, err.text);
    bool m = tq_record_match(q, rec);
    /* the listing's path, on the text as the store keeps it, answers the same */
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_not_null(text);
    cr_assert_eq(tq_text_match(q, text, strlen(text)), m, "query \"%s\" on %s", query,
                 text);
    free(text);
    tq_query_free(q);
    return m;
}

Test(textquery, searched_fields_match)
{
    json_t *r = record();
    static const char *const hits[] = {
        "大模型",           /* title */
        "安全评估规范",     /* title, a longer substring */
        "generative",       /* title_en, case folded */
        "GENERATIVE ai",    /* two words of title_en */
        "人工智能实验室",   /* organisation */
        "红队测试",         /* scope, inside full-width brackets */
        "P2023-000042",     /* id as written */
        "000042",           /* id, the number alone */
        "p2023 000042",     /* id normalised */
        "DB31/T 1234-2020", /* replaces */
        "iso iec 22989",    /* adoption number */
        "35.240",           /* ICS */
        "l70",              /* CCS */
        "eval",             /* a substring of a word */
    };
    for (size_t i = 0; i < sizeof hits / sizeof hits[0]; i++)
        cr_expect(matches(hits[i], r), "\"%s\" should match", hits[i]);
    json_decref(r);
}

Test(textquery, width_case_and_punctuation_insensitive)
{
    json_t *r = record();
    /* full-width Latin and digits, the ideographic space, full-width punctuation */
    cr_expect(matches("ＧＥＮＥＲＡＴＩＶＥ　ＡＩ", r));
    cr_expect(matches("Ｐ２０２３－００００４２", r));
    cr_expect(matches("《大模型》，安全！", r));
    cr_expect(matches("  large---models  ", r));
    json_decref(r);
}

Test(textquery, every_word_must_occur)
{
    json_t *r = record();
    cr_expect(matches("大模型 上海 security", r)); /* words from three fields */
    cr_expect_not(matches("大模型 区块链", r));    /* the second word nowhere */
    cr_expect_not(matches("区块链", r));
    cr_expect_not(matches("security blockchain", r));
    json_decref(r);
}

Test(textquery, other_fields_are_not_searched)
{
    json_t *r = record();
    cr_expect_not(matches("purpose-only-word", r));
    cr_expect_not(matches("situation-only-word", r));
    cr_expect_not(matches("张三丰", r)); /* head_of_unit */
    json_decref(r);
}

Test(textquery, a_word_never_spans_two_fields)
{
    /* title ends in "ab", title_en starts with "cd": "abcd" is in neither. */
    json_t *r =
        json_pack("{s:s, s:s, s:s}", "id", "P1", "title", "xx ab", "title_en", "cd yy");
    cr_expect(matches("ab cd", r));
    cr_expect_not(matches("abcd", r));
    json_decref(r);
}

Test(textquery, record_without_fields_matches_nothing)
{
    json_t *r = json_pack("{s:i, s:[]}", "title", 5, "scope");
    cr_expect_not(matches("5", r));
    json_t *empty = json_object();
    cr_expect_not(matches("a", empty));
    json_decref(empty);
    json_decref(r);
}

Test(textquery, long_fields_use_the_heap)
{
    /* a scope longer than the stack buffer, the word at its very end */
    size_t n = 20000;
    char *scope = malloc(n + 8);
    cr_assert_not_null(scope);
    for (size_t i = 0; i < n; i++)
        scope[i] = (char)('a' + i % 3);
    strcpy(scope + n, " 终点");
    json_t *r = json_pack("{s:s, s:s}", "id", "P2", "scope", scope);
    free(scope);
    cr_expect(matches("终点", r));
    cr_expect_not(matches("起点", r));
    json_decref(r);
}

Test(textquery, normalised_text)
{
    struct tq_query *q = NULL;
    cr_assert_eq(tq_query_new("  ＡＩ，标准——Safety  ", &q, NULL), 0);
    cr_expect_str_eq(tq_query_text(q), "ai 标准 safety");
    tq_query_free(q);
    tq_query_free(NULL);
}

Test(textquery, bad_queries)
{
    static const struct {
        const char *text;
        int rc;
    } rows[] = {
        {"", STDTAX_EEMPTY},
        {"   ", STDTAX_EEMPTY},
        {"!?,.-- 。，、《》", STDTAX_EEMPTY},
        {"\xff\xfe", STDTAX_EUTF8},
        {"ab\xc3", STDTAX_EUTF8},       /* truncated sequence */
        {"\xed\xa0\x80", STDTAX_EUTF8}, /* a surrogate */
        {"\xc0\xaf", STDTAX_EUTF8},     /* overlong '/' */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct tq_query *q = (struct tq_query *)1;
        struct stdtax_error err = {0};
        cr_expect_eq(tq_query_new(rows[i].text, &q, &err), rows[i].rc, "row %zu", i);
        cr_expect_null(q, "row %zu", i);
        cr_expect_neq(err.text[0], 0, "row %zu has a reason", i);
    }
}

Test(textquery, length_bound)
{
    char text[TQ_QUERY_MAX + 2];
    memset(text, 'a', TQ_QUERY_MAX);
    text[TQ_QUERY_MAX] = 0;
    struct tq_query *q = NULL;
    struct stdtax_error err = {0};
    cr_expect_eq(tq_query_new(text, &q, &err), 0);
    tq_query_free(q);
    text[TQ_QUERY_MAX] = 'a';
    text[TQ_QUERY_MAX + 1] = 0;
    cr_expect_eq(tq_query_new(text, &q, &err), STDTAX_ETOOBIG);
    cr_expect_null(q);
    cr_expect(strstr(err.text, "256") != NULL, "%s", err.text);
    /* the bound is on bytes as given: 86 ideographs are 258 bytes */
    char cjk[3 * 86 + 1] = "";
    for (int i = 0; i < 86; i++)
        strcat(cjk, "标");
    cr_expect_eq(tq_query_new(cjk, &q, &err), STDTAX_ETOOBIG);
}

/* ---- the stored text: the same answers as the parsed record ------------------- */

static bool text_matches(const char *query, const char *text)
{
    struct tq_query *q = NULL;
    cr_assert_eq(tq_query_new(query, &q, NULL), 0, "%s", query);
    bool m = tq_text_match(q, text, strlen(text));
    cr_assert_eq(tq_text_match_fn(text, strlen(text), q), m);
    tq_query_free(q);
    return m;
}

/* Every query on a record gives the same answer from its text, written compact with
 * sorted keys (as the store keeps it), indented, and with every non-ASCII character
 * escaped. */
Test(textquery, text_path_agrees_with_the_parsed_record)
{
    json_t *r = record();
    /* members the test must pass over: nested objects and arrays with strings that
     * hold quotes, brackets and the searched names */
    json_object_set_new(r, "classification",
                        json_pack("{s:s, s:[{s:s, s:[s, s]}], s:{s:s}, s:n, s:b, s:f}",
                                  "category", "safety", "evidence", "term",
                                  "\"title\": \"区块链\" }]", "fields", "scope", "{[",
                                  "suggested", "title", "隐藏的标题", "x", "y", true, "z",
                                  0.5));
    json_object_set_new(r, "priority_topics", json_pack("[s, s]", "llm", "\\\""));
    json_object_set_new(r, "late", json_false());
    static const char *const queries[] = {
        "大模型",
        "安全评估规范",
        "generative",
        "人工智能实验室",
        "红队测试",
        "P2023-000042",
        "iso iec 22989",
        "35.240",
        "l70",
        "大模型 上海 security",
        "区块链",
        "隐藏的标题",
        "purpose-only-word",
        "张三丰",
        "safety",
        "llm",
        "term",
        "ＧＥＮＥＲＡＴＩＶＥ　ＡＩ",
    };
    static const size_t flags[] = {JSON_COMPACT | JSON_SORT_KEYS, JSON_INDENT(3),
                                   JSON_COMPACT | JSON_ENSURE_ASCII};
    struct tq_query *q;
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
        char *text = json_dumps(r, flags[f]);
        cr_assert_not_null(text);
        for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
            cr_assert_eq(tq_query_new(queries[i], &q, NULL), 0);
            cr_expect_eq(tq_text_match(q, text, strlen(text)), tq_record_match(q, r),
                         "flags %zu query \"%s\"", f, queries[i]);
            tq_query_free(q);
        }
        free(text);
    }
    /* and the answers are the right ones: nested strings are not searched */
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect(text_matches("大模型 上海 security", text));
    cr_expect_not(text_matches("区块链", text));
    cr_expect_not(text_matches("隐藏的标题", text));
    free(text);
    json_decref(r);
}

Test(textquery, text_escapes_are_decoded)
{
    /* \u escapes (a surrogate pair among them), escaped quotes and solidus */
    const char *text =
        "{\"id\":\"P1\",\"title\":\"\\u5927\\u6a21\\u578b \\\"AI\\\" "
        "a\\/b \\ud83d\\ude00 x\\ty\","
        "\"adoption\":{\"degree\":\"IDT\",\"number\":\"ISO\\/IEC 42001\"}}";
    cr_expect(text_matches("大模型", text));
    cr_expect(text_matches("ai a b", text));
    cr_expect(text_matches("42001", text));
    cr_expect(text_matches("x y", text)); /* \t is a space */
    cr_expect_not(text_matches("xy", text));
    cr_expect_not(text_matches("idt", text)); /* adoption.degree is not searched */
}

Test(textquery, text_bad_or_truncated_matches_nothing)
{
    const char *good = "{\"id\":\"P1\",\"title\":\"大模型\",\"scope\":\"x\"}";
    cr_expect(text_matches("大模型", good));
    static const char *const bad[] = {
        "",
        "[]",
        "{\"title\":\"大模型\"",                    /* no end */
        "{\"title\":\"大模型}",                     /* open string */
        "{\"title\" \"大模型\"}",                   /* no colon */
        "{\"title\":\"大模型\" \"scope\":\"x\"}",   /* no comma */
        "{\"title\":\"\\q大模型\"}",                /* unknown escape */
        "{\"title\":\"\\ud800大模型\"}",            /* lone high surrogate */
        "{\"title\":\"\\udc00大模型\"}",            /* lone low surrogate */
        "{\"title\":\"\\u12大模型\"}",              /* short \u */
        "{\"title\":\"大模型\\u0000\"}",            /* jansson refuses \u0000 too */
        "{\"title\":\"大模型\n\"}",                 /* a raw control character */
        "{\"title\":\"大模型\",\"x\":[1,{\"a\":2}", /* nesting never closed */
        "{\"title\":\"\xff大模型\"}",               /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(text_matches("大模型", bad[i]), "bad %zu", i);
    /* every prefix of a good text is malformed and must be read safely */
    size_t n = strlen(good);
    struct tq_query *q;
    cr_assert_eq(tq_query_new("大模型", &q, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        char *cut = malloc(i ? i : 1);
        memcpy(cut, good, i);
        cr_expect_not(tq_text_match(q, cut, i), "prefix %zu", i);
        free(cut);
    }
    tq_query_free(q);
}
