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
        "ccs", "L70", "situation", "国内外 situation-only-word", "head_of_unit", "张三丰");
    cr_assert_not_null(r);
    return r;
}

static bool matches(const char *text, const json_t *rec)
{
    struct tq_query *q = NULL;
    struct stdtax_error err = {0};
    int rc = tq_query_new(text, &q, &err);
    cr_assert_eq(rc, 0, "query \"%s\": %s", text, err.text);
    bool m = tq_record_match(q, rec);
    cr_assert_eq(tq_record_match_fn(rec, q), m);
    tq_query_free(q);
    return m;
}

Test(textquery, searched_fields_match)
{
    json_t *r = record();
    static const char *const hits[] = {
        "大模型",            /* title */
        "安全评估规范",      /* title, a longer substring */
        "generative",        /* title_en, case folded */
        "GENERATIVE ai",     /* two words of title_en */
        "人工智能实验室",    /* organisation */
        "红队测试",          /* scope, inside full-width brackets */
        "P2023-000042",      /* id as written */
        "000042",            /* id, the number alone */
        "p2023 000042",      /* id normalised */
        "DB31/T 1234-2020",  /* replaces */
        "iso iec 22989",     /* adoption number */
        "35.240",            /* ICS */
        "l70",               /* CCS */
        "eval",              /* a substring of a word */
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
    json_t *r = json_pack("{s:s, s:s, s:s}", "id", "P1", "title", "xx ab", "title_en",
                          "cd yy");
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
        {"ab\xc3", STDTAX_EUTF8},         /* truncated sequence */
        {"\xed\xa0\x80", STDTAX_EUTF8},   /* a surrogate */
        {"\xc0\xaf", STDTAX_EUTF8},       /* overlong '/' */
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
