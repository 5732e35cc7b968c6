/* Same-standard keys: numbers with and without year, project prefix and noise words;
 * titles across spacing, Chinese part numerals and draft stages. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/stdident.h"

static char *number(const char *code)
{
    char *k = NULL;
    cr_assert_eq(stdident_number_key(code, &k), 0, "%s", code);
    return k;
}

static char *title(const char *t)
{
    char *k = NULL;
    cr_assert_eq(stdident_title_key(t, &k), 0, "%s", t);
    return k;
}

typedef char *(*key_fn)(const char *);

static void expect_pairs(key_fn key, const char *const (*pairs)[2], size_t n, bool same)
{
    for (size_t i = 0; i < n; i++) {
        char *a = key(pairs[i][0]), *b = key(pairs[i][1]);
        cr_assert(a && b, "no key: \"%s\" or \"%s\"", pairs[i][0], pairs[i][1]);
        if (same)
            cr_expect_str_eq(a, b, "\"%s\" and \"%s\" are one standard", pairs[i][0],
                             pairs[i][1]);
        else
            cr_expect_str_neq(a, b, "\"%s\" and \"%s\" are two standards", pairs[i][0],
                              pairs[i][1]);
        free(a);
        free(b);
    }
}

Test(stdident, one_number_written_several_ways)
{
    static const char *const same[][2] = {
        {"GB/T 36464.2-2018", "GB/T 36464.2"},
        {"GA/T 1093-2023", "GA/T 1093-2013"},
        {"IEEE Std 3168-2024", "IEEE P3168"},
        {"IEEE 2945-2023", "IEEE Std 2945-2023"},
        {"ISO/IEC TR 24030:2021", "ISO/IEC 24030"},
        {"ISO/IEC 22989:2022", "ISO/IEC 22989"},
        {"ＧＢ／Ｔ　41867—2022", "gb/t 41867-2022"},
        {"IEEE 2030-2011", "IEEE Std 2030"},
        {"YY/T 1907-2023", "YY/T 1907"},
        {"ISO/IEC FDIS 12792", "ISO/IEC 12792:2025"},
    };
    expect_pairs(number, same, sizeof same / sizeof same[0], true);
    static const char *const other[][2] = {
        {"GB/T 36464", "GB/T 36464.2-2018"}, {"GB/T 5271.28-2001", "GB/T 5271.31-2006"},
        {"IEEE 2941.1", "IEEE 2941"},        {"ISO/IEC 42001:2023", "ISO/IEC 4200"},
        {"IEEE 2030", "IEEE 2031"},
    };
    expect_pairs(number, other, sizeof other / sizeof other[0], false);
}

Test(stdident, codes_without_a_number_have_no_key)
{
    static const char *const none[] = {"GB/T", "ISO/IEC", "中国信通院（编号不详）",
                                       "国家标准（2026，编号不详）", ""};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        char *k = (char *)"unset";
        cr_expect_eq(stdident_number_key(none[i], &k), 0);
        cr_expect_null(k, "\"%s\" gave the key \"%s\"", none[i], k ? k : "");
        free(k);
    }
}

Test(stdident, one_title_written_several_ways)
{
    static const char *const same[][2] = {
        {"信息技术 智能语音交互系统 第三部分：智能客服",
         "信息技术 智能语音交互系统 第3部分：智能客服"},
        {"机器人 第十二部分：术语", "机器人 第12部分 术语"},
        {"机器人 第十部分", "机器人 第10部分"},
        {"机器人 第二十部分", "机器人 第20部分"},
        {"MaaS模型即服务 技术要求", "MaaS 模型即服务 技术要求"},
        {"法律大模型评估指标和测评方法（征求意见稿）", "法律大模型评估指标和测评方法"},
        {"Information technology — Artificial intelligence — Use cases",
         "information technology - artificial intelligence - use cases"},
    };
    expect_pairs(title, same, sizeof same / sizeof same[0], true);
    static const char *const other[][2] = {
        {"机器人 第二部分", "机器人 第3部分"},
        {"机器人 第十一部分", "机器人 第1部分"},
        {"第一次 工业机器人",
         "第1次 工业机器人"}, /* not a part number: left as written */
    };
    expect_pairs(title, other, sizeof other / sizeof other[0], false);
}

Test(stdident, keys_as_written)
{
    static const struct {
        const char *title, *key;
    } rows[] = {
        {"机器人 第二十一部分：术语", "机器人第21部分术语"},
        {"第九十九部分", "第99部分"},
        /* past 99, or not a numeral: left as written */
        {"第十十十十十十十十十十部分", "第十十十十十十十十十十部分"},
        {"第一百部分", "第一百部分"},
        {"第二二部分", "第二二部分"},
        {"第十十部分", "第十十部分"},
        {"第零十部分", "第零十部分"},
        {"送审稿管理系统 技术要求", "送审稿管理系统技术要求"},
        {"管理系统 技术要求（送审稿）", "管理系统技术要求"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *k = title(rows[i].title);
        cr_expect_str_eq(k, rows[i].key);
        free(k);
    }
}

Test(stdident, bad_utf8_and_empty_titles)
{
    char *k = (char *)"unset";
    cr_expect_eq(stdident_title_key("\xff\xfe", &k), STDTAX_EUTF8);
    cr_expect_null(k);
    cr_expect_eq(stdident_number_key("GB/T \xc3\x28", &k), STDTAX_EUTF8);
    cr_expect_null(k);
    cr_expect_eq(stdident_title_key(" —— ", &k), 0);
    cr_expect_null(k);
}
