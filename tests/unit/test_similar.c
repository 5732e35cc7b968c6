/* Shingles, MinHash/LSH bands, the overlap score and the common spans. */
#include <criterion/criterion.h>
#include <string.h>

#include "stdtax/similar.h"

static struct sim_set set_of(const char *t, int title)
{
    struct sim_set s;
    struct stdtax_error err = {0};
    cr_assert_eq(sim_set_new(t, strlen(t), title, &s, &err), 0, "%s", err.text);
    return s;
}

static double sim2(const char *q, const char *r)
{
    struct sim_set a = set_of(q, 1), b = set_of(r, 1);
    const struct sim_set *rs[] = {&b};
    double x = sim_score(&a, rs, 1);
    sim_set_free(&a);
    sim_set_free(&b);
    return x;
}

Test(similar, cjk_bigrams_within_runs)
{
    struct sim_set s = set_of("计算中心 评估", 0);
    /* 计算 算中 中心 | 评估: no bigram across the space */
    cr_assert_eq(s.n, 4);
    cr_assert_eq(s.n_cjk, 4);
    sim_set_free(&s);
    s = set_of("Computing centers, computing CENTER", 0);
    cr_assert_eq(s.n, 2, "plural and case fold to one word each");
    cr_assert_eq(s.n_cjk, 0);
    cr_assert(s.h[0] & SIM_LATIN_BIT);
    sim_set_free(&s);
}

Test(similar, series_prefixes_carry_no_identity)
{
    cr_assert_float_eq(sim2("信息技术 人工智能 术语", "术语"), 1.0, 1e-9);
    cr_assert_float_eq(sim2("人工智能 术语 信息技术", "信息技术 人工智能 术语"), 1.0,
                       1e-9);
    cr_assert_float_eq(sim2("Information technology - Artificial intelligence - "
                            "Management system",
                            "Management systems"),
                       1.0, 1e-9);
    /* Not a whole segment: kept. */
    cr_assert_lt(sim2("人工智能芯片", "芯片"), 0.5);
    /* A title that is only a series name keeps it. */
    struct sim_set s = set_of("人工智能", 1);
    cr_assert_eq(s.n, 3);
    sim_set_free(&s);
}

Test(similar, reordering_and_editions_keep_the_set)
{
    cr_assert_float_eq(sim2("计算能力评估 计算中心", "人工智能 计算中心 计算能力评估"),
                       1.0, 1e-9);
    cr_assert_float_eq(sim2("数据标注通用工作规程（2025版）", "数据标注通用工作规程"),
                       1.0, 1e-9);
    cr_assert_float_eq(sim2("Use cases (2024 edition)", "Use cases"), 1.0, 1e-9);
}

Test(similar, unrelated_titles_score_low)
{
    cr_assert_lt(sim2("人工智能 计算中心 计算能力评估",
                      "人工智能 计算设备调度与协同 第1部分：虚拟化与调度"),
                 0.2);
    cr_assert_lt(sim2("IEEE Standard for Transparency of Autonomous Systems",
                      "IEEE Guide for Electric-Power-Oriented Knowledge Graph"),
                 0.1);
}

Test(similar, score_is_common_over_the_larger_set)
{
    /* q: 智能 能家 家居 ; r: 智能 能家 家居 家电 ... */
    struct sim_set q = set_of("智能家居", 0), r = set_of("智能家居 家电", 0);
    const struct sim_set *rs[] = {&r};
    cr_assert_eq(sim_common(&q, &r), 3);
    cr_assert_float_eq(sim_score(&q, rs, 1), 3.0 / 4.0, 1e-9);
    cr_assert_float_eq(sim_score(&r, (const struct sim_set *[]){&q}, 1), 3.0 / 4.0, 1e-9);
    struct sim_set empty = set_of("", 0);
    cr_assert_eq(empty.n, 0);
    cr_assert_float_eq(sim_score(&empty, rs, 1), 0.0, 1e-9);
    sim_set_free(&q);
    sim_set_free(&r);
    sim_set_free(&empty);
}

Test(similar, mixed_languages_cover_both_titles)
{
    struct sim_set q = set_of("人工智能 计算中心 Computing capability assessment", 1);
    struct sim_set zh = set_of("人工智能 计算中心 计算能力评估", 1);
    struct sim_set en = set_of(
        "Artificial intelligence - Computing center - Computing capability assessment",
        1);
    const struct sim_set *both[] = {&zh, &en}, *zh_only[] = {&zh};
    cr_assert_float_eq(sim_score(&q, both, 2), 1.0, 1e-9);
    cr_assert_lt(sim_score(&q, zh_only, 1), 0.5,
                 "the English part finds nothing in Chinese");
    sim_set_free(&q);
    sim_set_free(&zh);
    sim_set_free(&en);
}

Test(similar, minhash_and_bands_are_deterministic)
{
    struct sim_set a = set_of("安全防范 人脸识别应用 静态人脸图像采集规范", 1);
    struct sim_set b = set_of("静态人脸图像采集规范 安全防范 人脸识别应用", 1);
    struct sim_set c = set_of("车载通信终端语音识别功能技术要求和测试方法", 1);
    uint64_t sa[SIM_HASHES], sb[SIM_HASHES], sc[SIM_HASHES];
    uint64_t ba[SIM_BANDS], bb[SIM_BANDS], bc[SIM_BANDS];
    sim_minhash(a.h, a.n, sa);
    sim_minhash(b.h, b.n, sb);
    sim_minhash(c.h, c.n, sc);
    sim_bands(sa, ba);
    sim_bands(sb, bb);
    sim_bands(sc, bc);
    cr_assert_arr_eq(ba, bb, sizeof ba);
    int shared = 0;
    for (int i = 0; i < SIM_BANDS; i++)
        shared += ba[i] == bc[i];
    cr_assert_lt(shared, 2);
    uint64_t e[SIM_HASHES];
    sim_minhash(NULL, 0, e);
    cr_assert_eq(e[0], UINT64_MAX);
    /* Every band key differs between bands even for the same rows. */
    cr_assert_neq(ba[0], ba[1]);
    sim_set_free(&a);
    sim_set_free(&b);
    sim_set_free(&c);
}

Test(similar, set_from_sorts_and_dedups)
{
    uint32_t h[] = {5, SIM_LATIN_BIT | 1, 5, 3};
    struct sim_set s;
    cr_assert_eq(sim_set_from(h, 4, &s), 0);
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.n_cjk, 2);
    cr_assert_eq(s.h[0], 3);
    sim_set_free(&s);
}

Test(similar, spans_point_into_the_original_query)
{
    const char *q = "人工智能：计算中心，计算能力评估", *r = "计算能力评估 计算中心";
    struct sim_span sp[4];
    size_t n;
    cr_assert_eq(sim_spans_find(q, strlen(q), r, strlen(r), sp, 4, &n, NULL), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(sp[0].end - sp[0].start, strlen("计算中心"));
    cr_assert_eq(memcmp(q + sp[0].start, "计算中心", sp[0].end - sp[0].start), 0);
    cr_assert_eq(memcmp(q + sp[1].start, "计算能力评估", sp[1].end - sp[1].start), 0);
    cr_assert_eq(sp[1].end, strlen(q));
    /* Full-width letters: the span covers the original bytes. */
    const char *q2 = "ＡＩ Ｃｏｍｐｕｔｉｎｇ center";
    cr_assert_eq(sim_spans_find(q2, strlen(q2), "computing", 9, sp, 4, &n, NULL), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(memcmp(q2 + sp[0].start, "Ｃｏｍｐｕｔｉｎｇ", sp[0].end - sp[0].start),
                 0);
    /* Too short a run is no span. */
    cr_assert_eq(sim_spans_find("计算", 6, "计", 3, sp, 4, &n, NULL), 0);
    cr_assert_eq(n, 0);
}

Test(similar, invalid_utf8_is_refused)
{
    struct sim_set s;
    struct stdtax_error err = {0};
    cr_assert_eq(sim_set_new("ab\xff", 3, 1, &s, &err), STDTAX_EUTF8);
    cr_assert_eq(s.n, 0);
    struct sim_span sp[1];
    size_t n;
    cr_assert_eq(sim_spans_find("ok", 2, "\xc3", 1, sp, 1, &n, NULL), STDTAX_EUTF8);
}

Test(similar, large_sets_are_sorted_and_unique)
{
    /* Enough values for the quicksort path, with duplicates and runs. */
    static uint32_t h[5000];
    uint32_t x = 12345;
    for (size_t i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        h[i] = i % 7 == 0 ? 42u : (i % 11 == 0 ? (uint32_t)i : x);
    }
    struct sim_set s;
    cr_assert_eq(sim_set_from(h, 5000, &s), 0);
    cr_assert_gt(s.n, 4000);
    for (size_t i = 1; i < s.n; i++)
        cr_assert_lt(s.h[i - 1], s.h[i], "at %zu", i);
    for (size_t i = 0; i < 5000; i += 97) {
        int found = 0;
        for (size_t k = 0; k < s.n && !found; k++)
            found = s.h[k] == h[i];
        cr_assert(found || s.n == SIM_SHINGLES_MAX, "value %zu lost", i);
    }
    sim_set_free(&s);
}

Test(similar, the_first_bands_alone_are_the_same_bands)
{
    struct sim_set a = set_of("人工智能 计算中心 计算能力评估", 1);
    uint64_t all[SIM_HASHES], some[SIM_HASHES], ball[SIM_BANDS], bsome[SIM_BANDS];
    sim_minhash(a.h, a.n, all);
    sim_minhash_n(a.h, a.n, some, 8 * SIM_ROWS);
    cr_assert_arr_eq(all, some, 8 * SIM_ROWS * sizeof all[0]);
    sim_bands(all, ball);
    sim_bands_n(some, bsome, 8);
    cr_assert_arr_eq(ball, bsome, 8 * sizeof ball[0]);
    sim_set_free(&a);
}

/* Stored fingerprints and band entries were made by earlier builds: shingles, MinHash
 * and bands must give the same values for ever (values of the first release). */
Test(similar, fingerprints_never_change)
{
    static const char *const texts[] = {
        "信息技术 人工智能 大模型 训练数据质量评价规范 第2部分：方法与版本",
        "Information technology - Artificial intelligence - Quality of the training data "
        "systems, edition 2023 (AI) for libraries",
        "本标准规定了大模型训练数据（文本、图像、音频及多模态数据）的质量模型、质量指标、"
        "评价方法和评价流程。 Applies to LLMs and the 2024 AI studies."};
    static const struct {
        int title;
        size_t n, n_cjk;
        uint64_t hsum;
        uint64_t bands[SIM_BANDS];
    } want[] = {
        /* clang-format off */
    {1, 17, 16, UINT64_C(0x695d698937288936),
     {UINT64_C(0xcd94015936dc0711), UINT64_C(0xda1f95affe73e367), UINT64_C(0x5fb46f245d940e76),
      UINT64_C(0x45e1cef9793c3867), UINT64_C(0x2f88fe71b1b78731), UINT64_C(0xdf490d5d68e2f039),
      UINT64_C(0x4d141b243be39b2d), UINT64_C(0xc424bd2201019cdf), UINT64_C(0x73cb4db46dfbd3c4),
      UINT64_C(0x21af30e253f15f68), UINT64_C(0x187179821621add3), UINT64_C(0xb9c1925545976ed0),
      UINT64_C(0xe80457a847870eae), UINT64_C(0xb4aa393e49ccb83c), UINT64_C(0x8c0b6e896192ceba),
      UINT64_C(0x425ce0e791ae1682), UINT64_C(0x8c7c4a439ba7b9b8), UINT64_C(0x7b92f55adaf901be),
      UINT64_C(0xb90c557c9f638a64), UINT64_C(0x87cc710e1550589f)}},
    {1, 5, 0, UINT64_C(0x000952e2f7035a0d),
     {UINT64_C(0x662fa742dae0c6e4), UINT64_C(0xa0331209a25dd1af), UINT64_C(0x256cac61e9bbbf50),
      UINT64_C(0x6042ec3d0f328fe9), UINT64_C(0x3be9fb2aca662e3a), UINT64_C(0xfcd73330bf220091),
      UINT64_C(0x1bad10fbd4baddd6), UINT64_C(0x6084211e31933248), UINT64_C(0x4d5fb95cc35d925e),
      UINT64_C(0x262928e2f47d26a9), UINT64_C(0x1ddc4d6f492fbedc), UINT64_C(0x998dbf8e30ffd049),
      UINT64_C(0x4abb468fe5ba6602), UINT64_C(0x08c0e5e4c5795f7a), UINT64_C(0xb1b01a8e1501ecfc),
      UINT64_C(0x5d0676482f9ce7ac), UINT64_C(0x0cd20556a6efb543), UINT64_C(0x0fb1b12158a68edc),
      UINT64_C(0xce80edb333adfb60), UINT64_C(0x4f45d8d376c85463)}},
    {0, 36, 32, UINT64_C(0x926e235f488b7cef),
     {UINT64_C(0xf0f5d6bb1b55d2c3), UINT64_C(0x27ad6a0bab21aed8), UINT64_C(0xdf95a59b9c3b58c1),
      UINT64_C(0xc890f74d98c35136), UINT64_C(0x1c737fcf07636d4b), UINT64_C(0xab0ca167bfa76bc3),
      UINT64_C(0x7908206ecfafdc81), UINT64_C(0x57b31f2302676916), UINT64_C(0xd24f9b126b5ac76e),
      UINT64_C(0x6df2da6aeeaedd85), UINT64_C(0xe3ab058b772df485), UINT64_C(0xf968aa825befda5c),
      UINT64_C(0xeb2e5e3c27c9c8a5), UINT64_C(0x2f2d62f89eb500e6), UINT64_C(0x07ae31285a6a4289),
      UINT64_C(0x58181eca637c1544), UINT64_C(0xa119d913a25fbc87), UINT64_C(0x93956d98aff07c1a),
      UINT64_C(0x9743a2aac314fb25), UINT64_C(0x47b6ec26e600ff58)}},
        /* clang-format on */
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        struct sim_set s = set_of(texts[k], want[k].title);
        uint64_t sum = 0, sig[SIM_HASHES], bands[SIM_BANDS], some[SIM_BANDS];
        for (size_t i = 0; i < s.n; i++)
            sum = sum * 31 + s.h[i];
        cr_expect_eq(s.n, want[k].n, "text %zu", k);
        cr_expect_eq(s.n_cjk, want[k].n_cjk, "text %zu", k);
        cr_expect_eq(sum, want[k].hsum, "text %zu: shingle hashes changed", k);
        sim_minhash(s.h, s.n, sig);
        sim_bands(sig, bands);
        cr_expect_arr_eq(bands, want[k].bands, sizeof bands, "text %zu: bands changed",
                         k);
        sim_minhash_n(s.h, s.n, sig, 8 * SIM_ROWS);
        sim_bands_n(sig, some, 8);
        cr_expect_arr_eq(some, want[k].bands, 8 * sizeof some[0], "text %zu", k);
        sim_set_free(&s);
    }
}

Test(similar, text_check_refuses_what_sets_refuse)
{
    struct stdtax_error err = {0};
    struct sim_set s;
    cr_expect_eq(sim_text_check("ok 好", 6, &err), 0);
    cr_expect_eq(sim_text_check("", 0, &err), 0);
    cr_expect_eq(sim_text_check("ab\xff", 3, &err), STDTAX_EUTF8);
    cr_expect_eq(sim_set_new("ab\xff", 3, 0, &s, &err), STDTAX_EUTF8);
    /* Only the part a fingerprint reads is checked, as sim_set_new does. */
    static char big[SIM_TEXT_MAX + 2];
    memset(big, 'a', SIM_TEXT_MAX);
    big[SIM_TEXT_MAX] = '\xff';
    cr_expect_eq(sim_text_check(big, SIM_TEXT_MAX + 1, &err), 0);
    cr_expect_eq(sim_set_new(big, SIM_TEXT_MAX + 1, 0, &s, &err), 0);
    sim_set_free(&s);
    big[10] = '\xff';
    cr_expect_eq(sim_text_check(big, SIM_TEXT_MAX + 1, &err), STDTAX_EUTF8);
}
