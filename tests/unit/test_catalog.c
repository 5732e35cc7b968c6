/* The catalogue and the overlap index against a real LMDB environment; each test opens
 * its own (Criterion forks per test). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/catalog.h"
#include "service_internal.h"
#include "stdtax/store.h"
#include "store_internal.h"

static char dir[64];
static struct store *st;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/stdtax-catalog-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    struct stdtax_error err = {0};
    cr_assert_eq(store_open(dir, NULL, &st, &err), 0, "%s", err.text);
}

static void teardown(void)
{
    store_close(st);
    st = NULL;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(catalog, .init = setup, .fini = teardown);

static json_t *entry(const char *number, const char *title, const char *title_en,
                     const char *cat, const char *sub)
{
    json_t *e = json_pack("{s:s?, s:s?, s:s?, s:{s:s, s:s?}}", "number", number, "title",
                          title, "title_en", title_en, "classification", "category", cat,
                          "subcategory", sub);
    cr_assert_not_null(e);
    return e;
}

static json_t *import(json_t *entries)
{
    json_t *report = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(catalog_import(st, entries, &report, problems, &err), 0, "%s", err.text);
    cr_assert_eq(json_array_size(problems), 0);
    json_decref(problems);
    json_decref(entries);
    return report;
}

static void check_ok(void)
{
    json_t *r;
    struct stdtax_error err = {0};
    cr_assert_eq(store_catalog_check(st, &r, &err), 0, "%s", err.text);
    char *s = json_dumps(r, 0);
    cr_assert(json_is_true(json_object_get(r, "ok")), "%s", s);
    free(s);
    json_decref(r);
}

static json_int_t count(const char *group, const char *key)
{
    json_t *c;
    cr_assert_eq(store_catalog_counts(st, &c, NULL), 0);
    json_t *v = group ? json_object_get(json_object_get(c, group), key)
                      : json_object_get(c, "total");
    json_int_t n = v ? json_integer_value(v) : 0;
    json_decref(c);
    return n;
}

static json_int_t rep(json_t *r, const char *k)
{
    return json_integer_value(json_object_get(r, k));
}

Test(catalog, kind_from_the_number)
{
    cr_assert_str_eq(catalog_kind_guess("GB/T 41867-2022"), "national");
    cr_assert_str_eq(catalog_kind_guess("GB 44497-2024"), "national");
    cr_assert_str_eq(catalog_kind_guess("DB31/T 1234-2023"), "local");
    cr_assert_str_eq(catalog_kind_guess("T/SHAI 001-2023"), "group");
    cr_assert_str_eq(catalog_kind_guess("ISO/IEC 42001:2023"), "international");
    cr_assert_str_eq(catalog_kind_guess("IEEE Std 7000-2021"), "international");
    cr_assert_str_eq(catalog_kind_guess("YD/T 4157-2022"), "industry");
    cr_assert_str_eq(catalog_kind_guess("JTG/T 2430-2023"), "industry");
    cr_assert_null(catalog_kind_guess("foo"));
    cr_assert_null(catalog_kind_guess(NULL));
}

Test(catalog, entry_check_reports_every_problem)
{
    json_t *problems = json_array(), *out;
    json_t *e =
        json_pack("{s:i, s:s, s:s, s:{s:s}, s:s}", "number", 5, "kind", "planet",
                  "status", "old", "classification", "category", "a b", "extra", "x");
    cr_assert_eq(catalog_entry_check(e, "/3", &out, problems, NULL), STDTAX_EINVAL);
    cr_assert_null(out);
    char *s = json_dumps(problems, 0);
    const char *want[] = {"/3/extra", "/3/number", "/3/title",
                          "/3/kind",  "/3/status", "/3/classification"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(s, want[i]), "%s missing in %s", want[i], s);
    free(s);
    json_decref(e);
    json_decref(problems);

    e = json_pack("{s:s}", "title", "人工智能 术语（征求意见稿）");
    cr_assert_eq(catalog_entry_check(e, "", &out, NULL, NULL), 0);
    cr_assert_str_eq(json_string_value(json_object_get(out, "status")), "planned");
    cr_assert_str_eq(json_string_value(json_object_get(out, "kind")), "other");
    cr_assert_eq(strncmp(json_string_value(json_object_get(out, "id")), "draft-", 6), 0);
    json_decref(out);
    json_decref(e);
}

Test(catalog, counts_and_indexes_stay_exact_through_writes)
{
    json_t *r = import(json_pack(
        "[o, o, o]",
        entry("GB/T 41867-2022", "信息技术 人工智能 术语", NULL, "core", "core.ml"),
        entry("GA/T 1324-2017", "安全防范 人脸识别应用 静态人脸图像采集规范", NULL,
              "industry", "industry.public-safety"),
        entry("ISO/IEC 42001:2023", NULL,
              "Information technology - Artificial intelligence - Management system",
              "safety", "safety.foundational")));
    cr_assert_eq(rep(r, "created"), 3);
    json_decref(r);
    cr_assert_eq(count(NULL, NULL), 3);
    cr_assert_eq(count("nodes", "core"), 1);
    cr_assert_eq(count("nodes", "core.ml"), 1);
    cr_assert_eq(count("kinds", "industry"), 1);
    cr_assert_eq(count("statuses", "published"), 3);
    check_ok();

    /* The same entries again: nothing changes. */
    r = import(json_pack("[o]", entry("GB/T 41867-2022", "信息技术 人工智能 术语", NULL,
                                      "core", "core.ml")));
    cr_assert_eq(rep(r, "unchanged"), 1);
    json_decref(r);

    /* A correction moves the counts and the fingerprint. */
    r = import(json_pack("[o]", entry("GB/T 41867-2022", "信息技术 人工智能 词汇", NULL,
                                      "core", "core.kg")));
    cr_assert_eq(rep(r, "updated"), 1);
    json_decref(r);
    cr_assert_eq(count("nodes", "core.ml"), 0);
    cr_assert_eq(count("nodes", "core.kg"), 1);
    cr_assert_eq(count("nodes", "core"), 1);
    check_ok();

    cr_assert_eq(store_catalog_delete(st, "GA/T 1324-2017", NULL), 0);
    cr_assert_eq(store_catalog_delete(st, "GA/T 1324-2017", NULL), STDTAX_ENOTFOUND);
    cr_assert_eq(count(NULL, NULL), 2);
    cr_assert_eq(count("nodes", "industry"), 0);
    check_ok();
    json_t *got;
    cr_assert_eq(store_catalog_get(st, "GA/T 1324-2017", &got, NULL), STDTAX_ENOTFOUND);
    cr_assert_eq(store_catalog_get(st, "ISO/IEC 42001:2023", &got, NULL), 0);
    cr_assert_str_eq(json_string_value(json_object_get(got, "kind")), "international");
    json_decref(got);
}

Test(catalog, invalid_entries_are_skipped_and_reported)
{
    json_t *report, *problems = json_array();
    json_t *a =
        json_pack("[o, s, {}]", entry("T/X 1-2023", "一个标准", NULL, "core", NULL),
                  "not an object");
    cr_assert_eq(catalog_import(st, a, &report, problems, NULL), 0);
    cr_assert_eq(rep(report, "created"), 1);
    cr_assert_eq(rep(report, "invalid"), 2);
    char *s = json_dumps(problems, 0);
    cr_assert_not_null(strstr(s, "\"/1\""), "%s", s);
    cr_assert_not_null(strstr(s, "/2/title"), "%s", s);
    free(s);
    json_decref(report);
    json_decref(problems);
    json_decref(a);
}

static json_t *find(const char *title, const char *title_en, const char *exclude,
                    unsigned what)
{
    struct overlap_query q = {.title = title,
                              .title_en = title_en,
                              .exclude_id = exclude,
                              .what = what,
                              .threshold = 0.5};
    json_t *out;
    struct stdtax_error err = {0};
    cr_assert_eq(overlap_find(st, &q, &out, &err), 0, "%s", err.text);
    return out;
}

static json_t *proposal(const char *title)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s}", "title", title,
                     "organisation", "某研究院", "call", "2023", "track", "local",
                     "status", "submitted", "classification", "category", "core",
                     "received", "2023-08-01T10:00:00Z");
}

Test(catalog, overlaps_with_standards_and_proposals)
{
    json_decref(
        import(json_pack("[o, o]",
                         entry("GB/T 46346-2025", "人工智能 计算中心 计算能力评估",
                               "Artificial intelligence - Computing center - Computing "
                               "capability assessment",
                               "infra", "infra.compute"),
                         entry("GB/T 42755-2023", "人工智能 面向机器学习的数据标注规程",
                               NULL, "core", "core.ml"))));
    json_t *out = find("计算能力评估 计算中心", NULL, NULL, 0);
    cr_assert_eq(json_array_size(out), 1);
    json_t *h = json_array_get(out, 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "source")), "catalog");
    cr_assert_str_eq(json_string_value(json_object_get(h, "id")), "GB/T 46346-2025");
    cr_assert_float_eq(json_real_value(json_object_get(h, "similarity")), 1.0, 1e-9);
    cr_assert_eq(json_array_size(json_object_get(h, "spans")), 2);
    json_decref(out);

    out = find(NULL, "computing capability assessment for computing centers", NULL, 0);
    cr_assert_eq(json_array_size(out), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(out, 0), "matched_field")),
        "title_en");
    json_decref(out);

    /* Proposals are indexed by store_proposal_put in the same transaction. */
    json_t *p = proposal("大模型 训练数据 质量评估规范");
    char id[STORE_ID_MAX];
    cr_assert_eq(store_proposal_put(st, p, NULL, NULL, id, NULL, NULL), 0);
    json_decref(p);
    check_ok();
    out = find("大模型训练数据质量评估规范", NULL, NULL, 0);
    cr_assert_eq(json_array_size(out), 1);
    h = json_array_get(out, 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "source")), "proposal");
    cr_assert_str_eq(json_string_value(json_object_get(h, "id")), id);
    cr_assert_str_eq(json_string_value(json_object_get(h, "organisation")), "某研究院");
    json_decref(out);
    out = find("大模型训练数据质量评估规范", NULL, id, 0);
    cr_assert_eq(json_array_size(out), 0, "the proposal itself is left out");
    json_decref(out);
    out = find("大模型训练数据质量评估规范", NULL, NULL, OVERLAP_STANDARDS);
    cr_assert_eq(json_array_size(out), 0);
    json_decref(out);

    /* A replaced title moves the fingerprint. */
    p = proposal("智能网联汽车 数据记录系统");
    cr_assert_eq(store_proposal_replace(st, id, p, NULL), 0);
    json_decref(p);
    check_ok();
    out = find("大模型训练数据质量评估规范", NULL, NULL, 0);
    cr_assert_eq(json_array_size(out), 0);
    json_decref(out);

    cr_assert_eq(store_proposal_delete(st, id, NULL), 0);
    check_ok();
    MDB_txn *txn;
    MDB_stat sig, band;
    cr_assert_eq(store_read_begin(st, &txn, NULL), 0);
    mdb_stat(txn, st->dbi_sim_sig, &sig);
    store_read_end(st, txn);
    cr_assert_eq(sig.ms_entries, 2, "only the two catalogue entries are left");
    (void)band;
}

static int set_withdrawn(json_t *r, void *arg, struct stdtax_error *err)
{
    (void)arg;
    (void)err;
    return json_object_set_new(r, "status", json_string("withdrawn"));
}

/* A proposal's fingerprint is the one its put carried (made by the caller, outside the
 * write); a change that leaves its texts keeps it and rewrites only the summary, so no
 * fingerprint is made inside that write either.  (Here the carried one is deliberately
 * not the record's: check calls it stale, and still after the status change.) */
Test(catalog, a_status_change_keeps_the_fingerprint_the_put_carried)
{
    json_t *p = proposal("大模型 训练数据 质量评估规范");
    static const uint32_t one[] = {12345};
    struct store_fingerprint fp = {{one, NULL, NULL}, {1, 0, 0}, {0, 0, 0}};
    struct store_put_item it = {.record = p, .fp = &fp};
    cr_assert_eq(store_proposal_put_batch(st, &it, 1, NULL), 0);
    cr_assert_eq(it.rc, 0);
    json_t *r = NULL;
    cr_assert_eq(store_catalog_check(st, &r, NULL), 0);
    cr_expect_eq(rep(json_object_get(r, "fingerprints"), "stale"), 1);
    json_decref(r);
    cr_assert_eq(store_proposal_update(st, it.id, set_withdrawn, NULL, NULL, NULL), 0);
    cr_assert_eq(store_catalog_check(st, &r, NULL), 0);
    cr_expect_eq(rep(json_object_get(r, "fingerprints"), "stale"), 1, "kept, not remade");
    json_decref(r);
    /* The summary follows the record: a withdrawn proposal is no overlap. */
    json_t *out = find("大模型训练数据质量评估规范", NULL, NULL, 0);
    cr_expect_eq(json_array_size(out), 0);
    json_decref(out);
    /* A changed title makes the fingerprint anew from the record: no longer stale. */
    json_object_set_new(p, "title", json_string("智能网联汽车 数据记录系统"));
    json_object_del(p, "id");
    cr_assert_eq(store_proposal_replace(st, it.id, p, NULL), 0);
    check_ok();
    json_decref(p);
}

Test(catalog, check_finds_a_lost_band_entry)
{
    json_decref(import(json_pack("[o]", entry("GB/T 1-2020", "智能语音交互系统", NULL,
                                              "domain", "domain.speech"))));
    check_ok();
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    MDB_cursor *c;
    MDB_val k, v;
    cr_assert_eq(mdb_cursor_open(txn, st->dbi_sim_band, &c), 0);
    cr_assert_eq(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    cr_assert_eq(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    json_t *r;
    cr_assert_eq(store_catalog_check(st, &r, NULL), 0);
    cr_assert(json_is_false(json_object_get(r, "ok")));
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(r, "bands"), "missing")), 1);
    json_decref(r);
}

static int title_has(const json_t *entry, void *arg)
{
    const char *t = json_string_value(json_object_get(entry, "title"));
    return t && strstr(t, arg);
}

Test(catalog, list_filters_and_pages)
{
    json_decref(import(json_pack(
        "[o, o, o]",
        entry("GB/T 1-2020", "智能语音交互系统", NULL, "domain", "domain.speech"),
        entry("GB/T 2-2020", "语音合成 技术要求", NULL, "domain", "domain.speech"),
        entry("ISO 3:2020", NULL, "Speech synthesis", "domain", "domain.speech"))));
    json_t *items;
    char *next;
    /* The text query is the service's (test_service_overlap.c); here a caller's test. */
    struct catalog_filter f = {.match = title_has, .match_arg = "语音"};
    cr_assert_eq(store_catalog_list(st, &f, NULL, 10, &items, &next, NULL), 0);
    cr_assert_eq(json_array_size(items), 2);
    cr_assert_null(next);
    json_decref(items);
    f = (struct catalog_filter){.kind = "international"};
    cr_assert_eq(store_catalog_list(st, &f, NULL, 10, &items, &next, NULL), 0);
    cr_assert_eq(json_array_size(items), 1);
    json_decref(items);
    cr_assert_eq(store_catalog_list(st, NULL, NULL, 2, &items, &next, NULL), 0);
    cr_assert_eq(json_array_size(items), 2);
    cr_assert_not_null(next);
    json_decref(items);
    char *cursor = next;
    cr_assert_eq(store_catalog_list(st, NULL, cursor, 2, &items, &next, NULL), 0);
    cr_assert_eq(json_array_size(items), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "id")),
                     "ISO 3:2020");
    cr_assert_null(next);
    free(cursor);
    json_decref(items);
    cr_assert_eq(store_catalog_list(st, NULL, "zz", 2, &items, &next, NULL),
                 STDTAX_EINVAL);
}

Test(catalog, repair_rebuilds_a_lost_index)
{
    json_decref(import(json_pack("[o]", entry("GB/T 1-2020", "智能语音交互系统", NULL,
                                              "domain", "domain.speech"))));
    json_t *p = proposal("大模型 训练数据 质量评估规范");
    char id[STORE_ID_MAX];
    cr_assert_eq(store_proposal_put(st, p, NULL, NULL, id, NULL, NULL), 0);
    json_decref(p);
    /* As a store whose proposals came before the catalogue: no index at all. */
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_drop(txn, st->dbi_sim_sig, 0), 0);
    cr_assert_eq(mdb_drop(txn, st->dbi_sim_band, 0), 0);
    cr_assert_eq(mdb_drop(txn, st->dbi_cat_counts, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    json_t *r;
    cr_assert_eq(store_catalog_check(st, &r, NULL), 0);
    cr_assert(json_is_false(json_object_get(r, "ok")));
    json_decref(r);
    json_t *out = find("大模型训练数据质量评估规范", NULL, NULL, 0);
    cr_assert_eq(json_array_size(out), 0);
    json_decref(out);

    cr_assert_eq(store_catalog_repair(st, &r, NULL), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "entries")), 1);
    cr_assert_eq(json_integer_value(json_object_get(r, "proposals")), 1);
    json_decref(r);
    check_ok();
    cr_assert_eq(count(NULL, NULL), 1);
    out = find("大模型训练数据质量评估规范", NULL, NULL, 0);
    cr_assert_eq(json_array_size(out), 1);
    json_decref(out);
}

Test(catalog, a_copied_scope_is_found_under_another_title)
{
    const char *scope = "本文件规定了智能语音交互系统在智能家居场景下的框架、基本要求、"
                        "扩展要求以及相应的测试方法，适用于智能家居语音交互系统的设计、"
                        "开发、测试和应用。";
    json_t *e = entry("GB/T 36464.2-2018", "信息技术 智能语音交互系统 第2部分：智能家居",
                      NULL, "domain", "domain.speech");
    json_object_set_new(e, "scope", json_string(scope));
    json_decref(import(json_pack("[o]", e)));
    struct overlap_query q = {
        .title = "家用电器语音控制规范", .scope = scope, .threshold = 0.5};
    json_t *out;
    cr_assert_eq(overlap_find(st, &q, &out, NULL), 0);
    cr_assert_eq(json_array_size(out), 1);
    json_t *h = json_array_get(out, 0);
    cr_assert_str_eq(json_string_value(json_object_get(h, "field")), "scope");
    cr_assert_str_eq(json_string_value(json_object_get(h, "matched_field")), "scope");
    cr_assert_float_eq(json_real_value(json_object_get(h, "similarity")), 1.0, 1e-9);
    json_t *sp = json_array_get(json_object_get(h, "spans"), 0);
    cr_assert_eq(json_integer_value(json_object_get(sp, "start")), 0);
    /* The whole scope but its final 。, which normalisation drops. */
    cr_assert_eq(json_integer_value(json_object_get(sp, "end")),
                 (json_int_t)(strlen(scope) - strlen("。")));
    json_decref(out);
    check_ok();
}
