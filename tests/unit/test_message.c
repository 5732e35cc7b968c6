/* The one table of messages (src/lib/message.c): every message has its Chinese text
 * with the same arguments, rules render and translate, Accept-Language and the locale
 * pick the language. */
#include <criterion/criterion.h>
#include <string.h>

#include "stdtax/message.h"
#include "stdtax/proposal.h"
#include "stdtax/utf8.h"

static bool has_han(const char *s)
{
    for (size_t i = 0; s[i];) {
        uint32_t cp;
        size_t k = utf8_char_decode(s + i, strlen(s + i), &cp);
        if (k == 0)
            return false;
        if (cp >= 0x4E00 && cp <= 0x9FFF)
            return true;
        i += k;
    }
    return false;
}

/* The printf conversions of a text, in order, e.g. "%s|%zu|": what a text passes to its
 * arguments must be the same in both languages. */
static void conversions(const char *t, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *t; t++) {
        if (t[0] != '%')
            continue;
        if (t[1] == '%') {
            t++;
            continue;
        }
        size_t k = 1;
        while (t[k] && strchr("-+ #0123456789.*hlLqjzt", t[k]))
            k++;
        n += (size_t)snprintf(out + n, size - n, "%.*s|", (int)(k + 1), t);
        t += k;
    }
}

Test(messages, every_message_has_its_chinese_text_with_the_same_arguments)
{
    size_t count;
    const struct msg *table = msg_table(&count);
    cr_assert_gt(count, (size_t)MSG_ID_COUNT);
    for (size_t i = 0; i < count; i++) {
        const struct msg *m = &table[i];
        cr_assert_not_null(m->id, "message %zu has no id (a fixed id without a row?)", i);
        cr_assert_not_null(m->text[MSG_EN], "%s: no English text", m->id);
        cr_assert_not_null(m->text[MSG_ZH], "%s: no Chinese text", m->id);
        cr_expect(m->text[MSG_EN][0] && m->text[MSG_ZH][0], "%s: empty text", m->id);
        cr_expect(has_han(m->text[MSG_ZH]), "%s: the Chinese text has no Chinese: %s",
                  m->id, m->text[MSG_ZH]);
        size_t bad;
        cr_expect_eq(utf8_text_validate(m->text[MSG_ZH], strlen(m->text[MSG_ZH]), &bad),
                     0, "%s", m->id);
        char en[128], zh[128];
        conversions(m->text[MSG_EN], en, sizeof en);
        conversions(m->text[MSG_ZH], zh, sizeof zh);
        cr_expect_str_eq(zh, en, "%s: arguments differ: %s / %s", m->id, m->text[MSG_EN],
                         m->text[MSG_ZH]);
        if (i < MSG_ID_COUNT && i != MSG_NONE)
            for (const char *c = en; *c; c += 3)
                cr_expect(strncmp(c, "%s|", 3) == 0,
                          "%s: a rule's message takes strings only (%s)", m->id, en);
        for (size_t k = 0; k < i; k++) {
            cr_expect(strcmp(table[k].id, m->id) != 0, "id %s twice", m->id);
            cr_expect(strcmp(table[k].text[MSG_EN], m->text[MSG_EN]) != 0,
                      "English text of %s and %s is the same", table[k].id, m->id);
        }
    }
    for (int id = 0; id < MSG_ID_COUNT; id++) {
        cr_expect_eq(msg_of((enum msg_id)id), &table[id], "fixed id %d out of place", id);
        cr_expect(has_han(msg_text((enum msg_id)id, MSG_ZH)), "rule %s", table[id].id);
    }
}

/* Every problem a validation can report names a rule of the table, with its Chinese
 * text: the whole corpus of refused forms and a few more go through here. */
Test(messages, validation_problems_carry_their_rule)
{
    json_t *sub =
        json_pack("{s:s, s:s, s:i, s:{s:s}, s:[s,s]}", "track", "group", "title", "标准",
                  "budget", 5, "contact", "phone", "12", "seconding_units", "甲", "甲");
    json_t *problems = json_array();
    cr_assert_eq(prop_submission_validate(sub, NULL, problems), STDTAX_EINVAL);
    cr_assert_gt(json_array_size(problems), 5);
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *rule = json_string_value(json_object_get(p, "rule"));
        cr_assert_not_null(rule, "%s", json_dumps(p, 0));
        char zh[STDTAX_TEXT_MAX];
        msg_problem_detail(p, MSG_ZH, zh, sizeof zh);
        cr_expect(has_han(zh), "%s: %s", rule, zh);
    }
    msg_problems_render(problems, MSG_ZH);
    json_array_foreach(problems, i, p)
    {
        cr_expect(has_han(json_string_value(json_object_get(p, "detail"))));
        cr_expect_null(json_object_get(p, "args"), "the arguments are dropped");
    }
    json_decref(problems);
    json_decref(sub);
}

Test(messages, render_takes_arguments_as_strings)
{
    char out[64];
    const char *args[] = {"201", "200"};
    msg_render(msg_of(MSG_TOO_LONG_CHARS), MSG_ZH, args, 2, out, sizeof out);
    cr_expect_str_eq(out, "过长：201 个字符，最多 200 个");
    msg_render(msg_of(MSG_TOO_LONG_CHARS), MSG_EN, args, 1, out, sizeof out);
    cr_expect_str_eq(out, "too long: 201 characters, at most ", "a missing one is empty");
    const char *hostile[] = {"%s%n%x"};
    msg_render(msg_of(MSG_ENUM), MSG_EN, hostile, 1, out, sizeof out);
    cr_expect_str_eq(out, "must be one of %s%n%x", "arguments are text, not formats");
    char small[8];
    msg_render(msg_of(MSG_REQUIRED), MSG_ZH, NULL, 0, small, 5);
    cr_expect_str_eq(small, "必", "cut at a character boundary");
}

Test(messages, english_texts_made_from_the_table_translate)
{
    char out[STDTAX_TEXT_MAX];
    cr_assert(
        msg_translate("3 problems: the proposal is not valid", MSG_ZH, out, sizeof out));
    cr_expect_str_eq(out, "3 个问题：建议书不符合要求");
    cr_assert(msg_translate("the local track of call 2023 closed at "
                            "2023-09-12T23:59:59+08:00; only the secretariat can still "
                            "accept this proposal",
                            MSG_ZH, out, sizeof out));
    cr_expect_str_eq(out, "地标类申报（征集批次 2023）已于 2023-09-12T23:59:59+08:00 "
                          "截止；只有秘书处还能接收此建议");
    cr_assert(msg_translate("no proposal 'P2023-000042'", MSG_ZH, out, sizeof out));
    cr_expect_str_eq(out, "没有编号为“P2023-000042”的建议");
    cr_assert(msg_translate("Invalid content", MSG_ZH, out, sizeof out));
    cr_expect_str_eq(out, "内容不符合要求");
    cr_expect_not(msg_translate("something nobody wrote", MSG_ZH, out, sizeof out));
    cr_expect_not(msg_translate("Invalid content", MSG_EN, out, sizeof out));
    /* Bounded work on a hostile text. */
    char long_text[300];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cr_expect_not(msg_translate(long_text, MSG_ZH, out, sizeof out));
}

Test(messages, accept_language_prefers_by_q_value)
{
    static const struct {
        const char *header;
        enum msg_lang want;
    } cases[] = {
        {NULL, MSG_EN},
        {"", MSG_EN},
        {"zh-CN", MSG_ZH},
        {"zh", MSG_ZH},
        {"ZH-tw", MSG_ZH},
        {"zh-Hans-CN;q=0.9", MSG_ZH},
        {"en", MSG_EN},
        {"en-US,en;q=0.9", MSG_EN},
        {"zh-CN,zh;q=0.9,en;q=0.8", MSG_ZH},
        {"en;q=0.8, zh;q=0.9", MSG_ZH},
        {"en, zh", MSG_EN},            /* a tie: the first listed */
        {"zh;q=0.5,en;q=0.5", MSG_ZH}, /* a tie: the first listed */
        {"zh;q=0", MSG_EN},            /* "not Chinese" */
        {"fr-FR,fr;q=0.9", MSG_EN},    /* neither: English */
        {"fr, zh;q=0.1", MSG_ZH},      /* Chinese before the default */
        {"*", MSG_EN},
        {"zhx, en;q=0.1", MSG_EN}, /* not a zh range */
        {"zh;q=garbage", MSG_ZH},  /* an unreadable q counts as 1 */
        {",, zh ,", MSG_ZH},       /* empty elements are skipped */
        {";q=1 zh", MSG_EN},       /* malformed: no range */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(msg_lang_from_accept_language(cases[i].header), cases[i].want, "%s",
                     cases[i].header ? cases[i].header : "(none)");
}

Test(messages, locale_order_is_lc_all_lc_messages_lang)
{
    cr_expect_eq(msg_lang_from_locale(NULL, NULL, "zh_CN.UTF-8"), MSG_ZH);
    cr_expect_eq(msg_lang_from_locale(NULL, NULL, "en_GB.UTF-8"), MSG_EN);
    cr_expect_eq(msg_lang_from_locale("C", NULL, "zh_CN.UTF-8"), MSG_EN);
    cr_expect_eq(msg_lang_from_locale("", "zh_TW.UTF-8", "en_US.UTF-8"), MSG_ZH);
    cr_expect_eq(msg_lang_from_locale(NULL, NULL, NULL), MSG_EN);
    cr_expect_str_eq(msg_lang_tag(MSG_ZH), "zh-CN");
    cr_expect_str_eq(msg_lang_tag(MSG_EN), "en");
}
