/* The catalogue and overlaps at the service level, over the shipped taxonomy and model
 * and a real store. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/service_overlap.h"

#define TAXONOMY STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json"
#define MODEL STDTAX_SRCDIR "/taxonomy/model-2023.json"
#define PROPOSAL STDTAX_SRCDIR "/tests/data/proposal-local.json"
#define BEFORE_DEADLINES ((time_t)1693526400) /* 2023-09-01 */

static char data_dir[64];
static struct svc *svc;
static const struct svc_caller service = {"svc-test", false};

static void setup(void)
{
    strcpy(data_dir, "/tmp/stdtax-svcov-XXXXXX");
    cr_assert_not_null(mkdtemp(data_dir));
    struct svc_options o = {
        .data_dir = data_dir, .taxonomy_path = TAXONOMY, .model_path = MODEL};
    struct stdtax_error err = {0};
    cr_assert_eq(svc_open(&o, &svc, NULL, &err), 0, "%s: %s", err.field, err.text);
}

static void teardown(void)
{
    svc_close(svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(svc_overlap, .init = setup, .fini = teardown);

static int has_pointer(const json_t *problems, const char *pointer)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "pointer")), pointer) == 0)
            return 1;
    }
    return 0;
}

static const char catalogue[] =
    "{\"number\": \"GB/T 42755-2023\", \"title\": \"人工智能 "
    "面向机器学习的数据标注规程\", "
    "\"classification\": {\"category\": \"关键通用技术\", \"subcategory\": "
    "\"机器学习\"}}\n"
    "\n"
    "{\"number\": \"T/X 1-2023\", \"title\": \"大模型 训练数据质量评价规范\", "
    "\"classification\": {\"category\": \"core\", \"subcategory\": "
    "\"core.foundation-models\"}}\n";

static void import_catalogue(void)
{
    json_t *entries, *report, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(
        svc_catalog_parse(catalogue, strlen(catalogue), &entries, problems, &err), 0,
        "%s", err.text);
    cr_assert_eq(json_array_size(entries), 2);
    cr_assert_eq(svc_catalog_import(svc, entries, &report, problems, &err), 0, "%s",
                 err.text);
    cr_assert_eq(json_array_size(problems), 0);
    cr_assert_eq(json_integer_value(json_object_get(report, "created")), 2);
    json_decref(report);
    json_decref(entries);
    json_decref(problems);
}

Test(svc_overlap, parse_jsonl_and_arrays)
{
    json_t *entries, *problems = json_array();
    struct stdtax_error err = {0};
    const char *bad = "{\"title\": \"a\"}\n{oops\n";
    cr_assert_eq(svc_catalog_parse(bad, strlen(bad), &entries, problems, &err),
                 STDTAX_EPARSE);
    cr_assert(has_pointer(problems, "/1"));
    const char *arr = " [{\"title\": \"a\"}, {\"title\": \"b\"}]";
    cr_assert_eq(svc_catalog_parse(arr, strlen(arr), &entries, problems, &err), 0);
    cr_assert_eq(json_array_size(entries), 2);
    json_decref(entries);
    json_decref(problems);
}

Test(svc_overlap, import_resolves_labels_and_refuses_unknown_nodes)
{
    import_catalogue();
    json_t *page, *problems = json_array();
    struct stdtax_error err = {0};
    struct svc_catalog_filter f = {.category = "机器学习"};
    cr_assert_eq(svc_catalog_list(svc, &f, NULL, 0, &page, problems, &err), 0, "%s",
                 err.text);
    json_t *items = json_object_get(page, "items");
    cr_assert_eq(json_array_size(items), 1);
    json_t *cls = json_object_get(json_array_get(items, 0), "classification");
    cr_assert_str_eq(json_string_value(json_object_get(cls, "category")), "core");
    cr_assert_str_eq(json_string_value(json_object_get(cls, "subcategory")), "core.ml");
    json_decref(page);

    json_t *entries = json_pack("[{s:s, s:{s:s}}, {s:s, s:{s:s, s:s}}, {s:s}]", "title",
                                "甲", "classification", "category", "no-such-node",
                                "title", "乙", "classification", "category", "infra",
                                "subcategory", "core.ml", "title", "丙");
    json_t *report;
    cr_assert_eq(svc_catalog_import(svc, entries, &report, problems, &err), 0);
    cr_assert(has_pointer(problems, "/0/classification/category"));
    cr_assert(has_pointer(problems, "/1/classification/subcategory"));
    cr_assert_not(has_pointer(problems, "/0"), "no second problem for a replaced entry");
    cr_assert_eq(json_integer_value(json_object_get(report, "created")), 1);
    json_decref(report);
    json_decref(entries);

    f = (struct svc_catalog_filter){.kind = "planet"};
    cr_assert_eq(svc_catalog_list(svc, &f, NULL, 0, &page, problems, &err),
                 STDTAX_EINVAL);
    cr_assert(has_pointer(problems, "/query/kind"));
    json_decref(problems);
}

static json_t *load(const char *path)
{
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j);
    return j;
}

/* One submission as the daemon takes it (prepare with the duplicate rule and the
 * overlaps, then commit); *overlaps (may be NULL) is the prepared item's. */
static int submit(json_t *sub, const char *key, json_t **rec, bool *created,
                  json_t **existing, json_t **overlaps, struct stdtax_error *err)
{
    struct svc_submit_options o = {&service, key, BEFORE_DEADLINES, true,
                                   SVC_OVERLAP_THRESHOLD};
    struct svc_batch_item it;
    json_t *problems = json_array();
    *rec = *existing = NULL;
    if (overlaps)
        *overlaps = NULL;
    int rc = svc_proposal_prepare(svc, sub, &o, &it, problems, err);
    json_decref(problems);
    if (rc)
        return rc;
    rc = svc_proposal_commit(svc, &it, 1, err);
    if (rc == 0 && (rc = it.rc) != 0)
        *err = it.err;
    *created = it.created;
    *rec = it.record;
    *existing = it.existing;
    if (overlaps)
        *overlaps = it.overlaps;
    else
        json_decref(it.overlaps);
    it.record = it.existing = it.overlaps = NULL;
    svc_batch_item_clear(&it);
    return rc;
}

Test(svc_overlap, duplicates_of_the_same_organisation_conflict)
{
    import_catalogue();
    json_t *sub = load(PROPOSAL), *rec, *existing, *overlaps;
    bool created;
    struct stdtax_error err = {0};
    cr_assert_eq(submit(sub, "k1", &rec, &created, &existing, &overlaps, &err), 0, "%s",
                 err.text);
    cr_assert(created);
    const char *id = json_string_value(json_object_get(rec, "id"));
    /* The catalogue's 大模型 训练数据质量评价规范 overlaps the title. */
    cr_assert_geq(json_array_size(overlaps), 1);
    json_t *o = json_array_get(overlaps, 0);
    cr_assert_str_eq(json_string_value(json_object_get(o, "source")), "catalog");
    cr_assert_str_eq(json_string_value(json_object_get(o, "id")), "T/X 1-2023");
    cr_assert_gt(json_array_size(json_object_get(o, "spans")), 0);
    json_decref(overlaps);

    /* The same request again: the replay, not a conflict. */
    json_t *rec2;
    cr_assert_eq(submit(sub, "k1", &rec2, &created, &existing, NULL, &err), 0, "%s",
                 err.text);
    cr_assert_not(created);
    cr_assert_str_eq(json_string_value(json_object_get(rec2, "id")), id);
    json_decref(rec2);

    /* The same proposal without the key: 409 with a pointer to the first. */
    cr_assert_eq(submit(sub, NULL, &rec2, &created, &existing, NULL, &err),
                 STDTAX_ECONFLICT);
    cr_assert_not_null(existing);
    cr_assert_str_eq(json_string_value(json_object_get(existing, "id")), id);
    cr_assert_null(rec2);
    json_decref(existing);

    /* The replay again, with its overlaps: not a duplicate. */
    json_t *ov;
    cr_assert_eq(submit(sub, "k1", &rec2, &created, &existing, &ov, &err), 0,
                 "a replay is not a duplicate");
    cr_assert_null(existing);
    cr_assert_geq(json_array_size(ov), 2);
    cr_assert_leq(json_array_size(ov), SVC_OVERLAP_LIMIT);
    json_decref(ov);
    json_decref(rec2);

    /* Another organisation may propose the same: it is stored, and told. */
    json_object_set_new(sub, "organisation", json_string("另一家研究院"));
    cr_assert_eq(submit(sub, NULL, &rec2, &created, &existing, &overlaps, &err), 0, "%s",
                 err.text);
    cr_assert(created);
    int saw_first = 0;
    size_t i;
    json_array_foreach(overlaps, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
            saw_first = 1;
    }
    cr_assert(saw_first);
    json_decref(overlaps);
    json_decref(rec2);

    json_t *po;
    cr_assert_eq(svc_proposal_overlaps(svc, id, SVC_OVERLAP_THRESHOLD, &po, &err), 0);
    cr_assert_geq(json_array_size(json_object_get(po, "overlaps")), 2);
    json_decref(po);
    cr_assert_eq(svc_proposal_overlaps(svc, "P2023-999999", 0.5, &po, &err),
                 STDTAX_ENOTFOUND);

    /* Withdrawn proposals no longer count as duplicates. */
    cr_assert_eq(svc_proposal_withdraw(svc, id, &service, BEFORE_DEADLINES, NULL, &err),
                 0);
    json_object_set_new(
        sub, "organisation",
        json_string(json_string_value(json_object_get(rec, "organisation"))));
    cr_assert_eq(submit(sub, NULL, &rec2, &created, &existing, NULL, &err), 0, "%s",
                 err.text);
    json_decref(rec2);
    json_decref(rec);
    json_decref(sub);
}

/* A proposal of the same organisation behind a full answer of overlaps (here eleven
 * standards with its very titles, which share more bands with it) is still a
 * duplicate. */
Test(svc_overlap, a_duplicate_behind_a_full_answer_is_found)
{
    json_t *sub = load(PROPOSAL), *rec, *existing, *overlaps;
    bool created;
    struct stdtax_error err = {0};
    cr_assert_eq(submit(sub, NULL, &rec, &created, &existing, &overlaps, &err), 0, "%s",
                 err.text);
    json_decref(overlaps);
    json_t *entries = json_array(), *report, *problems = json_array();
    for (int i = 0; i <= SVC_OVERLAP_LIMIT; i++) {
        char number[32];
        snprintf(number, sizeof number, "T/X %d-2023", 100 + i);
        json_array_append_new(entries,
                              json_pack("{s:s, s:O, s:O, s:O}", "number", number, "title",
                                        json_object_get(sub, "title"), "title_en",
                                        json_object_get(sub, "title_en"), "scope",
                                        json_object_get(sub, "scope")));
    }
    cr_assert_eq(svc_catalog_import(svc, entries, &report, problems, &err), 0, "%s",
                 err.text);
    json_decref(report);
    json_decref(entries);
    json_decref(problems);

    /* The answer's overlaps are full of standards; the rule, which reads the
     * organisation's proposals, still finds the first. */
    json_t *ov, *rec2;
    cr_assert_eq(submit(sub, NULL, &rec2, &created, &existing, &ov, &err),
                 STDTAX_ECONFLICT);
    cr_assert_eq(json_array_size(ov), SVC_OVERLAP_LIMIT);
    size_t i;
    json_t *o;
    json_array_foreach(ov, i, o)
    {
        cr_assert_str_eq(json_string_value(json_object_get(o, "source")), "catalog",
                         "the standards come first");
    }
    json_decref(ov);
    cr_assert_null(rec2);
    cr_assert_str_eq(json_string_value(json_object_get(existing, "id")),
                     json_string_value(json_object_get(rec, "id")));
    json_decref(existing);
    json_decref(rec);
    json_decref(sub);
}

/* The catalogue's text query: words in any order and in different fields (number,
 * title, English title), full width and case folded; a word never spans two fields. */
Test(svc_overlap, catalog_list_text_query)
{
    static const char entries_text[] =
        "{\"number\": \"GB/T 1-2020\", \"title\": \"智能语音交互系统\"}\n"
        "{\"number\": \"GB/T 2-2020\", \"title\": \"语音合成 技术要求\"}\n"
        "{\"number\": \"ISO 3:2020\", \"title_en\": \"Speech synthesis\"}\n";
    json_t *entries, *report, *problems = json_array(), *page;
    struct stdtax_error err = {0};
    cr_assert_eq(
        svc_catalog_parse(entries_text, strlen(entries_text), &entries, problems, &err),
        0, "%s", err.text);
    cr_assert_eq(svc_catalog_import(svc, entries, &report, problems, &err), 0, "%s",
                 err.text);
    json_decref(report);
    json_decref(entries);
    static const struct {
        const char *q;
        size_t n;
    } words[] = {{"语音", 2},
                 {"技术要求 语音", 1},
                 {"ＳＰＥＥＣＨ iso", 1},
                 {"synthesis 3:2020", 1},
                 {"语音 speech", 0},
                 {"2020 智能", 1},
                 {"2020语音", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        struct svc_catalog_filter f = {.q = words[i].q};
        cr_assert_eq(svc_catalog_list(svc, &f, NULL, 10, &page, problems, &err), 0, "%s",
                     err.text);
        cr_expect_eq(json_array_size(json_object_get(page, "items")), words[i].n, "%s",
                     words[i].q);
        json_decref(page);
    }
    struct svc_catalog_filter bad = {.q = "-- !"};
    cr_expect_eq(svc_catalog_list(svc, &bad, NULL, 10, &page, problems, &err),
                 STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/query/q"));
    json_decref(problems);
}

Test(svc_overlap, counts_show_standards_beside_proposals)
{
    import_catalogue();
    json_t *stats, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_stats_get(svc, NULL, &stats, problems, &err), 0, "%s", err.text);
    cr_assert_eq(svc_catalog_counts_merge(svc, stats, &err), 0);
    cr_assert_eq(json_integer_value(json_object_get(stats, "standards_total")), 2);
    size_t i, j;
    json_t *c, *s;
    json_int_t core = -1, ml = -1;
    json_array_foreach(json_object_get(stats, "categories"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "code")), "core") == 0)
            core = json_integer_value(json_object_get(c, "standards"));
        json_array_foreach(json_object_get(c, "subcategories"), j, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "code")), "core.ml") == 0)
                ml = json_integer_value(json_object_get(s, "standards"));
        }
    }
    cr_assert_eq(core, 2);
    cr_assert_eq(ml, 1);
    json_decref(stats);

    json_t *cov;
    cr_assert_eq(svc_coverage_get(svc, NULL, 1, &cov, problems, &err), 0, "%s", err.text);
    cr_assert_eq(svc_catalog_counts_merge(svc, cov, &err), 0);
    int seen = 0;
    json_array_foreach(json_object_get(cov, "gaps"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "code")), "core.ml") == 0 &&
            strcmp(json_string_value(json_object_get(c, "kind")), "node") == 0) {
            cr_assert_eq(json_integer_value(json_object_get(c, "standards")), 1);
            seen = 1;
        }
    }
    cr_assert(seen, "core.ml has no proposal: a gap, with one standard");
    json_decref(cov);
    json_decref(problems);
}
