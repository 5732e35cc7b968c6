#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/normalise.h"
#include "stdtax/utf8.h"

static void expect_norm(const char *in, const char *want)
{
    char *got = norm_string_new(in);
    cr_assert_not_null(got, "input \"%s\"", in);
    cr_expect_str_eq(got, want, "input \"%s\"", in);
    free(got);
}

/* One row per rule of the contract. */
Test(normalise, each_rule)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        /* full-width ASCII letters and digits to half-width (and folded) */
        {"ＡＩ　标准１２３", "ai 标准123"},
        {"ｓｅｃｕｒｉｔｙ", "security"},
        /* full-width punctuation becomes a space after the shift */
        {"大模型！安全？", "大模型 安全"},
        {"ａ（ｂ）ｃ", "a b c"},
        /* ideographic space and every Unicode space */
        {"a\u3000b", "a b"},
        {"a\u00a0b\u1680c\u2000d\u2005e\u200af\u2028g\u2029h\u202fi\u205fj",
         "a b c d e f g h i j"},
        {"a\tb\nc\rd\ve\ff", "a b c d e f"},
        /* Latin case folding: ASCII, Latin-1, Latin Extended-A */
        {"MACHINE Learning", "machine learning"},
        {"ÀÉÎÕÜ ÇÑØÞ", "àéîõü çñøþ"},
        {"ŁÓDŹ ŽIŽEK ČAPEK ŐRY ŠKODA", "łódź žižek čapek őry škoda"},
        {"ĀĒĪŌŪ ĲĶĹĽŇŊŒŘŚŤŰŴŶŸŹŻŽ", "āēīōū ĳķĺľňŋœřśťűŵŷÿźżž"},
        {"İSTANBUL ſ", "istanbul s"},
        {"ß ĸ ı ŉ", "ß ĸ ı ŉ"},
        /* ASCII punctuation, including + # / . between digits */
        {"C++/C# v5.1: (draft) [x]_y", "c c v5 1 draft x y"},
        {"a!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~b", "a b"},
        /* Latin-1 punctuation and symbols; letters and digits there are kept */
        {"¡hola! «x» ¿y? a·b §1 ©", "hola x y a b 1"},
        {"2×3÷4", "2 3 4"},
        {"ª º µ ² ³ ¹ ½", "ª º µ ² ³ ¹ ½"},
        /* general punctuation */
        {"数据—算法–模型‘安全’“可信”…※", "数据 算法 模型 安全 可信"},
        /* CJK symbols and punctuation */
        {"《人工智能》「标准」【提案】、说明。", "人工智能 标准 提案 说明"},
        {"〈a〉『b』〔c〕〖d〗〘e〙〚f〛〝g〞", "a b c d e f g"},
        {"二〇二三年", "二〇二三年"},
        /* middle dots */
        {"Léon·Blum", "léon blum"},
        {"ジョン・スミス", "ジョン スミス"},
        /* CJK compatibility forms and small variants */
        {"a︰b﹏c﹐d", "a b c d"},
        /* runs collapse, ends are trimmed */
        {"  ,, 人工  智能 !! ", "人工 智能"},
        {"!!!", ""},
        {"", ""},
        /* invisible characters do not split words */
        {"人工\u200b智能 co\u00adoperate \ufeffai", "人工智能 cooperate ai"},
        /* everything else is kept unchanged */
        {"한국어 αβγ ΑΒΓ кириллица 😀", "한국어 αβγ ΑΒΓ кириллица 😀"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        expect_norm(rows[i].in, rows[i].want);
}

Test(normalise, mixed_chinese_and_english)
{
    expect_norm("基于Transformer的大模型（LLM）训练框架:PyTorch、MindSpore；GPU／NPU",
                "基于transformer的大模型 llm 训练框架 pytorch mindspore gpu npu");
}

Test(normalise, offsets_point_at_source_characters)
{
    /* "　Ａ中，é  b" : U+3000 (3 bytes), U+FF21 (3), U+4E2D (3), U+FF0C (3), U+00C9 (2),
     * two spaces, 'B' */
    const char *in = "\xe3\x80\x80\xef\xbc\xa1\xe4\xb8\xad\xef\xbc\x8c\xc3\x89  B";
    size_t len = strlen(in);
    struct norm_text t;
    cr_assert_eq(norm_text_new(in, len, &t, NULL), 0);
    cr_assert_str_eq(t.bytes, "a中 é b");
    cr_assert_eq(t.len, strlen("a中 é b"));
    static const size_t want[] = {
        3,         /* 'a' from U+FF21 at 3 (the leading U+3000 is trimmed) */
        6,  6,  6, /* 中 */
        9,         /* the space comes from the full-width comma */
        12, 12,    /* é from É */
        14,        /* first of the two ASCII spaces */
        16,        /* b */
    };
    cr_assert_eq(t.len, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t.len; i++)
        cr_expect_eq(t.src_offset[i], want[i], "byte %zu: %zu, want %zu", i,
                     t.src_offset[i], want[i]);
    cr_expect_eq(t.src_offset[t.len], len);
    cr_expect_eq(t.bytes[t.len], '\0');
    norm_text_free(&t);
    cr_expect_null(t.bytes);
}

Test(normalise, offsets_of_four_byte_and_folded_characters)
{
    /* 😀 (4 bytes) kept, Ÿ (2 bytes) -> ÿ (2 bytes), İ (2 bytes) -> i (1 byte) */
    const char *in = "\xf0\x9f\x98\x80\xc5\xb8\xc4\xb0";
    struct norm_text t;
    cr_assert_eq(norm_text_new(in, strlen(in), &t, NULL), 0);
    cr_assert_str_eq(t.bytes, "\xf0\x9f\x98\x80\xc3\xbf"
                              "i");
    static const size_t want[] = {0, 0, 0, 0, 4, 4, 6};
    cr_assert_eq(t.len, 7);
    for (size_t i = 0; i < t.len; i++)
        cr_expect_eq(t.src_offset[i], want[i], "byte %zu", i);
    cr_expect_eq(t.src_offset[7], 8);
    norm_text_free(&t);
}

Test(normalise, rejects_invalid_utf8_and_nul_with_offset)
{
    struct norm_text t;
    struct stdtax_error err;
    cr_expect_eq(norm_text_new("ab\xe4\xb8", 4, &t, &err), STDTAX_EUTF8);
    cr_expect_eq(err.code, STDTAX_EUTF8);
    cr_expect_not_null(strstr(err.text, "offset 2"), "%s", err.text);
    cr_expect_null(t.bytes);
    cr_expect_eq(t.len, 0);
    cr_expect_eq(norm_text_new("a\0b", 3, &t, &err), STDTAX_EUTF8);
    cr_expect_not_null(strstr(err.text, "offset 1"), "%s", err.text);
    cr_expect_null(norm_string_new("\xed\xa0\x80"));
    cr_expect_null(norm_string_new(NULL));
}

Test(normalise, empty_input_gives_empty_text)
{
    struct norm_text t;
    cr_assert_eq(norm_text_new("", 0, &t, NULL), 0);
    cr_expect_eq(t.len, 0);
    cr_expect_str_eq(t.bytes, "");
    cr_expect_eq(t.src_offset[0], 0);
    norm_text_free(&t);
    cr_assert_eq(norm_text_new(" \t\u3000 ", strlen(" \t\u3000 "), &t, NULL), 0);
    cr_expect_eq(t.len, 0);
    cr_expect_eq(t.src_offset[0], strlen(" \t\u3000 "));
    norm_text_free(&t);
}

/* Properties over every scalar value: the output is valid UTF-8, never longer than
 * the input, idempotent, and has no leading, trailing or doubled space. */
Test(normalise, every_code_point_is_stable)
{
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        char in[16];
        size_t n = utf8_char_encode(cp, in + 1);
        if (n == 0)
            continue;
        in[0] = 'x';
        in[n + 1] = 'y';
        in[n + 2] = '\0';
        char *once = norm_string_new(in);
        if (once == NULL)
            cr_assert_fail("U+%04X: NULL", (unsigned)cp);
        size_t len = strlen(once);
        if (len > n + 2 || utf8_text_validate(once, len, NULL) != 0 ||
            strstr(once, "  ") != NULL || once[0] != 'x' || once[len - 1] != 'y')
            cr_assert_fail("U+%04X: bad output \"%s\"", (unsigned)cp, once);
        char *twice = norm_string_new(once);
        if (twice == NULL || strcmp(once, twice) != 0)
            cr_assert_fail("U+%04X: not idempotent", (unsigned)cp);
        free(once);
        free(twice);
    }
}
