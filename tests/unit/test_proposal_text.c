/* White-box tests of what the proposal files share (src/lib/proposal_text.c): text
 * checks, "given", trimming, JSON pointers and the problem list with its cap. */
#include <criterion/criterion.h>
#include <string.h>

#include "proposal_internal.h"
#include "stdtax/error.h"
#include "stdtax/utf8.h"

static const char *scan(const char *s, size_t len, bool multiline, size_t *chars,
                        bool *blank)
{
    enum msg_id why = prop_text_scan(s, len, multiline, chars, blank);
    return why == MSG_NONE ? NULL : msg_text(why, MSG_EN);
}

Test(text_scan, counts_characters_not_bytes)
{
    size_t chars = 0;
    bool blank = true;
    cr_expect_null(scan("标准ab", strlen("标准ab"), false, &chars, &blank));
    cr_expect_eq(chars, 4);
    cr_expect_not(blank);
    cr_expect_null(
        scan(" \t\u3000\u00a0", strlen(" \t\u3000\u00a0"), true, &chars, &blank));
    cr_expect_eq(chars, 4);
    cr_expect(blank, "spaces, tabs, ideographic and no-break spaces are white space");
    cr_expect_null(scan("", 0, false, &chars, &blank));
    cr_expect_eq(chars, 0);
    cr_expect(blank);
}

Test(text_scan, refuses_bad_text_with_a_reason)
{
    size_t chars;
    bool blank;
    cr_expect_str_eq(scan("a\xff", 2, true, &chars, &blank), "is not valid UTF-8");
    cr_expect_str_eq(scan("\xe6\xa0", 2, true, &chars, &blank), "is not valid UTF-8");
    cr_expect_str_eq(scan("a\0b", 3, true, &chars, &blank), "holds a NUL character");
    cr_expect_str_eq(scan("a\nb", 3, false, &chars, &blank),
                     "holds a control character or line break");
    cr_expect_null(scan("a\r\n\tb", 5, true, &chars, &blank));
    cr_expect_str_eq(scan("a\x01", 2, true, &chars, &blank), "holds a control character");
    cr_expect_str_eq(scan("a\x7f", 2, true, &chars, &blank), "holds a control character");
    cr_expect_str_eq(scan("\xc2\x85", 2, true, &chars, &blank),
                     "holds a control character", "C1 controls too");
}

Test(given, null_blank_and_empty_are_not_given)
{
    json_t *v;
    cr_expect_not(prop_given(NULL));
    cr_expect_not(prop_given(v = json_null()));
    json_decref(v);
    cr_expect_not(prop_given(v = json_string(" \u3000 ")));
    json_decref(v);
    cr_expect_not(prop_given(v = json_array()));
    json_decref(v);
    cr_expect(prop_given(v = json_string(" x ")));
    json_decref(v);
    cr_expect(prop_given(v = json_integer(0)));
    json_decref(v);
    cr_expect(prop_given(v = json_object()), "an empty object is given: checked inside");
    json_decref(v);
    cr_expect(prop_given(v = json_stringn("a\0", 2)), "bad text counts as given");
    json_decref(v);
}

Test(given, str_of_reads_given_strings_only)
{
    json_t *o = json_pack("{s:s, s:s, s:i, s:n}", "a", "甲", "b", "  ", "c", 1, "d");
    cr_expect_str_eq(prop_str_of(o, "a"), "甲");
    cr_expect_null(prop_str_of(o, "b"));
    cr_expect_null(prop_str_of(o, "c"));
    cr_expect_null(prop_str_of(o, "d"));
    cr_expect_null(prop_str_of(o, "missing"));
    json_decref(o);
}

Test(trimmed, removes_unicode_white_space_at_both_ends)
{
    const char *start;
    size_t len;
    const char *s = "\u3000 上海 甲公司\u00a0\t";
    prop_trimmed(s, &start, &len);
    cr_expect_eq(len, strlen("上海 甲公司"));
    cr_expect_eq(memcmp(start, "上海 甲公司", len), 0);
    prop_trimmed("   ", &start, &len);
    cr_expect_eq(len, 0);
    prop_trimmed("x", &start, &len);
    cr_expect_eq(len, 1);
    cr_expect_eq(*start, 'x');
}

Test(ptr_join, escapes_and_cuts_at_a_character_boundary)
{
    char out[PROP_PTR_MAX];
    prop_ptr_join(out, "/contact", "email");
    cr_expect_str_eq(out, "/contact/email");
    prop_ptr_join(out, "", "a/b~c");
    cr_expect_str_eq(out, "/a~1b~0c");
    char key[600] = "";
    for (int i = 0; i < 100; i++)
        strcat(key, "标"); /* three bytes each */
    prop_ptr_join(out, "", key);
    size_t n = strlen(out);
    cr_expect_lt(n, (size_t)PROP_PTR_MAX);
    cr_expect_eq((n - 1) % 3, 0, "whole characters only: %zu bytes", n);
    size_t bad;
    cr_expect_eq(utf8_text_validate(out, n, &bad), 0);
}

Test(problems, appended_in_order_then_cut_once)
{
    json_t *list = json_array();
    struct prop_problems v = {.problems = list};
    prop_problem(&v, "/title", MSG_TOO_LONG_CHARS, "201", "200", NULL);
    cr_assert_eq(json_array_size(list), 1);
    json_t *p = json_array_get(list, 0);
    cr_expect_str_eq(json_string_value(json_object_get(p, "pointer")), "/title");
    cr_expect_str_eq(json_string_value(json_object_get(p, "detail")),
                     "too long: 201 characters, at most 200");
    cr_expect_str_eq(json_string_value(json_object_get(p, "rule")), "too-long-chars");
    for (int i = 1; i < PROP_PROBLEMS_MAX + 10; i++)
        prop_problem(&v, "/x", MSG_REQUIRED, NULL);
    cr_expect_eq(json_array_size(list), PROP_PROBLEMS_MAX + 1);
    p = json_array_get(list, PROP_PROBLEMS_MAX);
    cr_expect_str_eq(json_string_value(json_object_get(p, "pointer")), "");
    cr_expect_str_eq(json_string_value(json_object_get(p, "rule")), "list-cut");
    cr_expect_eq(v.n, PROP_PROBLEMS_MAX + 1, "the cut counts as one more, then it stops");
    cr_expect_eq(v.rc, 0);
    json_decref(list);
}
