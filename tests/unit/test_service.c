/* The application service over the shipped taxonomy and model and a real store. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/classifier.h"
#include "stdtax/jsonw.h"
#include "stdtax/service.h"
#include "submit.h"

#define TAXONOMY STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json"
#define MODEL STDTAX_SRCDIR "/taxonomy/model-2023.json"

/* 2023-09-01 00:00 UTC: before both deadlines of the 2023 call. */
#define BEFORE_DEADLINES ((time_t)1693526400)
/* 2026-01-01: after both. */
#define AFTER_DEADLINES ((time_t)1767225600)

static char data_dir[64];
static char taxonomy_copy[96];
static struct svc *svc;
static const struct svc_caller service = {"svc-test", false};
static const struct svc_caller secretariat = {"secretariat-test", true};

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", path, jerr.text);
    return j;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void setup(void)
{
    strcpy(data_dir, "/tmp/stdtax-svc-XXXXXX");
    cr_assert_not_null(mkdtemp(data_dir));
    snprintf(taxonomy_copy, sizeof taxonomy_copy, "%s/taxonomy.json", data_dir);
    copy_file(TAXONOMY, taxonomy_copy);
    struct svc_options o = {
        .data_dir = data_dir, .taxonomy_path = taxonomy_copy, .model_path = MODEL};
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    cr_assert_eq(svc_open(&o, &svc, problems, &err), 0, "%s: %s", err.field, err.text);
    json_decref(problems);
}

static void teardown(void)
{
    svc_close(svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
    cr_expect_eq(system(cmd), 0);
}

static bool has_pointer(const json_t *problems, const char *pointer)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "pointer")), pointer) == 0)
            return true;
    }
    return false;
}

static json_t *submit_ok(const char *file, const struct svc_caller *who, time_t now,
                         const char *key)
{
    json_t *sub = load_json(file);
    json_t *rec = NULL, *problems = json_array();
    bool created = false;
    struct stdtax_error err = {0};
    int rc = submit_one(
        svc, sub,
        &(struct svc_submit_options){.caller = who, .idem_key = key, .now = now}, &rec,
        &created, NULL, problems, &err);
    char *p = json_dumps(problems, 0);
    cr_assert_eq(rc, 0, "%s: %s %s", err.field, err.text, p);
    free(p);
    json_decref(problems);
    json_decref(sub);
    return rec;
}

static json_int_t stats_count(const char *code)
{
    json_t *stats = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_stats_get(svc, NULL, &stats, problems, &err), 0, "%s", err.text);
    json_int_t found = -1;
    if (strcmp(code, "total") == 0)
        found = json_integer_value(json_object_get(stats, "total"));
    size_t i, j;
    json_t *c, *s;
    json_array_foreach(json_object_get(stats, "categories"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "code")), code) == 0)
            found = json_integer_value(json_object_get(c, "count"));
        json_array_foreach(json_object_get(c, "subcategories"), j, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "code")), code) == 0)
                found = json_integer_value(json_object_get(s, "count"));
        }
    }
    json_decref(stats);
    json_decref(problems);
    return found;
}

TestSuite(service, .init = setup, .fini = teardown);

Test(service, classify_answers_a_category_with_evidence)
{
    json_t *in = json_pack("{s:s}", "title", "智能网联汽车 自动驾驶系统 功能安全要求");
    json_t *res = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_text_classify(svc, in, &res, problems, &err), 0, "%s", err.text);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(res, "category"), "code")),
        "products");
    cr_expect_gt(json_array_size(json_object_get(res, "evidence")), 0);
    json_decref(res);
    json_decref(in);
    json_decref(problems);
}

Test(service, classify_rejects_unknown_members_and_empty_text)
{
    json_t *in = json_pack("{s:s, s:i}", "titel", "x", "scope", 3);
    json_t *res = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_expect_eq(svc_text_classify(svc, in, &res, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/titel"));
    cr_expect(has_pointer(problems, "/scope"));
    json_decref(in);
    json_array_clear(problems);
    in = json_pack("{s:s}", "title", " \t　");
    cr_expect_eq(svc_text_classify(svc, in, &res, problems, &err), STDTAX_EEMPTY);
    cr_expect_null(res);
    json_decref(in);
    json_decref(problems);
}

/* The daemon's text path gives the JSON result (read back, the same value) on every
 * labelled example of the shipped model and each of its fields alone; errors write
 * nothing. */
static void expect_write_matches(json_t *in)
{
    json_t *res = NULL, *p1 = json_array(), *p2 = json_array();
    struct stdtax_error e1 = {0}, e2 = {0};
    int rc1 = svc_text_classify(svc, in, &res, p1, &e1);
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    int rc2 = svc_text_classify_write(svc, in, &w, p2, &e2);
    cr_expect_eq(rc1, rc2);
    cr_expect(json_equal(p1, p2));
    if (rc1 == 0) {
        jsonw_object_end(&w);
        char *text;
        size_t len;
        cr_assert_eq(jsonw_finish(&w, &text, &len), 0);
        json_t *got = json_loadb(text, len, 0, NULL);
        cr_expect(json_equal(got, res), "%s", text);
        json_decref(got);
        free(text);
    } else {
        cr_expect_eq(w.len, 0);
    }
    jsonw_free(&w);
    json_decref(res);
    json_decref(p1);
    json_decref(p2);
}

Test(service, classify_write_matches_the_json_result)
{
    FILE *f = fopen(STDTAX_SRCDIR "/taxonomy/train/labelled-2023.jsonl", "r");
    cr_assert_not_null(f);
    static const char *const fields[] = {"title", "title_en", "scope", "text"};
    char line[65536];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t jerr;
        json_t *ex = json_loads(line, 0, &jerr);
        cr_assert_not_null(ex, "%s", jerr.text);
        json_t *all = json_object();
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            json_t *v = json_object_get(ex, fields[i]);
            if (!json_is_string(v))
                continue;
            json_object_set(all, fields[i], v);
            json_t *one = json_pack("{s:O}", fields[i], v);
            expect_write_matches(one);
            json_decref(one);
        }
        expect_write_matches(all);
        json_decref(all);
        json_decref(ex);
        n++;
    }
    fclose(f);
    cr_expect_gt(n, 100);
    json_t *bad = json_pack("{s:s, s:i}", "titel", "x", "scope", 3);
    expect_write_matches(bad);
    json_decref(bad);
    bad = json_pack("{s:s}", "title", " \t　");
    expect_write_matches(bad);
    json_decref(bad);
    bad = json_pack("{s:s}", "title", "\x01\x7f control \xe2\x80\xa8 \"quoted\" \\");
    expect_write_matches(bad);
    json_decref(bad);
}

Test(service, submit_refuses_late_unless_secretariat)
{
    json_t *sub = load_json(STDTAX_SRCDIR "/tests/data/proposal-local.json");
    json_t *rec = NULL, *problems = json_array();
    bool created = true;
    struct stdtax_error err = {0};
    cr_expect_eq(submit_one(svc, sub,
                            &(struct svc_submit_options){.caller = &service,
                                                         .idem_key = NULL,
                                                         .now = AFTER_DEADLINES},
                            &rec, &created, NULL, problems, &err),
                 STDTAX_ELATE);
    cr_expect_str_eq(err.field, "/track");
    cr_expect_null(rec);
    cr_expect_eq(stats_count("total"), 0);
    json_decref(sub);
    json_decref(problems);

    rec = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-local.json", &secretariat,
                    AFTER_DEADLINES, NULL);
    cr_expect(json_is_true(json_object_get(rec, "late")));
    cr_expect_eq(stats_count("total"), 1);
    json_decref(rec);
}

Test(service, submit_classifies_stores_and_counts)
{
    json_t *rec = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                            BEFORE_DEADLINES, NULL);
    const char *id = json_string_value(json_object_get(rec, "id"));
    cr_assert_not_null(id);
    const char *cat = json_string_value(
        json_object_get(json_object_get(rec, "classification"), "category"));
    cr_assert_not_null(cat);
    cr_expect(json_is_false(json_object_get(rec, "late")));
    cr_expect_eq(stats_count(cat), 1);
    cr_expect_eq(stats_count("total"), 1);

    json_t *again = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_get(svc, id, &again, &err), 0);
    /* What a read adds from the materials (doc/materials.md): none yet. */
    cr_expect(json_is_false(json_object_get(again, "complete")));
    cr_expect_eq(json_array_size(json_object_get(again, "materials")), 0);
    cr_expect(json_is_array(json_object_get(again, "materials")));
    json_object_del(again, "complete");
    json_object_del(again, "materials");
    cr_expect(json_equal(rec, again));
    json_decref(again);
    json_decref(rec);
}

Test(service, submit_reports_every_invalid_field)
{
    json_t *sub = load_json(STDTAX_SRCDIR "/tests/data/proposal-group.json");
    json_object_set_new(sub, "seconding_units", json_pack("[s]", "只有一家"));
    json_object_set_new(sub, "colour", json_string("blue"));
    json_t *rec = NULL, *problems = json_array();
    bool created;
    struct stdtax_error err = {0};
    cr_expect_eq(submit_one(svc, sub,
                            &(struct svc_submit_options){.caller = &service,
                                                         .idem_key = NULL,
                                                         .now = BEFORE_DEADLINES},
                            &rec, &created, NULL, problems, &err),
                 STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/seconding_units"));
    cr_expect(has_pointer(problems, "/colour"));
    cr_expect_eq(stats_count("total"), 0);
    json_decref(sub);
    json_decref(problems);
}

Test(service, idempotent_submit_counts_once)
{
    json_t *a = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                          BEFORE_DEADLINES, "key-1");
    json_t *sub = load_json(STDTAX_SRCDIR "/tests/data/proposal-group.json");
    json_t *b = NULL, *problems = json_array();
    bool created = true;
    struct stdtax_error err = {0};
    cr_assert_eq(submit_one(svc, sub,
                            &(struct svc_submit_options){.caller = &service,
                                                         .idem_key = "key-1",
                                                         .now = BEFORE_DEADLINES + 5},
                            &b, &created, NULL, problems, &err),
                 0);
    cr_expect_not(created);
    cr_expect_str_eq(json_string_value(json_object_get(a, "id")),
                     json_string_value(json_object_get(b, "id")));
    cr_expect_eq(stats_count("total"), 1);
    json_decref(b);

    json_object_set_new(sub, "title", json_string("另一个标题：智能机器人通用技术要求"));
    cr_expect_eq(submit_one(svc, sub,
                            &(struct svc_submit_options){.caller = &service,
                                                         .idem_key = "key-1",
                                                         .now = BEFORE_DEADLINES},
                            &b, &created, NULL, problems, &err),
                 STDTAX_ECONFLICT);
    cr_expect_eq(stats_count("total"), 1);
    json_decref(a);
    json_decref(sub);
    json_decref(problems);
}

Test(service, patch_moves_counts_and_keeps_the_suggestion)
{
    json_t *rec = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                            BEFORE_DEADLINES, NULL);
    const char *id = json_string_value(json_object_get(rec, "id"));
    json_t *patch =
        json_pack("{s:s, s:s}", "subcategory", "智慧城市", "status", "under-review");
    json_t *out = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_patch(svc, id, patch, &secretariat, BEFORE_DEADLINES + 60,
                                    &out, problems, &err),
                 0, "%s %s", err.field, err.text);
    json_t *cls = json_object_get(out, "classification");
    cr_expect_str_eq(json_string_value(json_object_get(cls, "category")), "industry");
    cr_expect_str_eq(json_string_value(json_object_get(cls, "subcategory")),
                     "industry.city");
    cr_expect_str_eq(json_string_value(json_object_get(cls, "source")), "secretariat");
    cr_expect_not_null(json_object_get(cls, "suggested"));
    cr_expect_str_eq(json_string_value(json_object_get(out, "status")), "under-review");
    cr_expect_eq(stats_count("industry.city"), 1);
    cr_expect_eq(stats_count("industry"), 1);
    /* A topic needs its own evidence: a text about generative AI content security put
     * under 智慧城市 does not count as the smart-city topic. */
    cr_expect_eq(json_array_size(json_object_get(out, "priority_topics")), 0);
    json_decref(out);
    json_decref(patch);

    patch = json_pack("{s:s}", "subcategory", "safety.data-algorithm-model");
    cr_assert_eq(svc_proposal_patch(svc, id, patch, &secretariat, BEFORE_DEADLINES + 90,
                                    &out, problems, &err),
                 0, "%s %s", err.field, err.text);
    json_t *topics = json_object_get(out, "priority_topics");
    cr_expect_eq(json_array_size(topics), 1);
    cr_expect_str_eq(json_string_value(json_array_get(topics, 0)), "genai-security");
    /* the record keeps the terms that made the topic */
    json_t *found = json_array_get(
        json_object_get(json_object_get(out, "classification"), "priority_topics"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(found, "code")), "genai-security");
    cr_expect_gt(json_array_size(json_object_get(found, "evidence")), 0);
    json_decref(out);
    json_decref(patch);

    patch = json_pack("{s:s, s:s, s:s}", "category", "safety", "subcategory",
                      "industry.city", "status", "no-such");
    cr_expect_eq(svc_proposal_patch(svc, id, patch, &secretariat, BEFORE_DEADLINES, &out,
                                    problems, &err),
                 STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/subcategory"));
    cr_expect(has_pointer(problems, "/status"));
    cr_expect_eq(stats_count("safety.data-algorithm-model"), 1);
    cr_expect_eq(stats_count("industry.city"), 0);
    json_decref(patch);
    json_decref(rec);
    json_decref(problems);
}

Test(service, withdraw_drops_from_counts_and_unknown_id_is_not_found)
{
    json_t *rec = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                            BEFORE_DEADLINES, NULL);
    const char *id = json_string_value(json_object_get(rec, "id"));
    struct stdtax_error err = {0};
    json_t *out = NULL;
    cr_assert_eq(
        svc_proposal_withdraw(svc, id, &secretariat, BEFORE_DEADLINES, &out, &err), 0,
        "%s", err.text);
    cr_expect_str_eq(json_string_value(json_object_get(out, "status")), "withdrawn");
    cr_expect_eq(stats_count("total"), 0);
    json_decref(out);
    cr_expect_eq(svc_proposal_withdraw(svc, "P2023-999999", &secretariat,
                                       BEFORE_DEADLINES, NULL, &err),
                 STDTAX_ENOTFOUND);
    json_decref(rec);
}

Test(service, coverage_lists_gaps_without_other)
{
    json_t *rec = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                            BEFORE_DEADLINES, NULL);
    json_t *cov = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_coverage_get(svc, NULL, 1, &cov, problems, &err), 0, "%s", err.text);
    size_t i;
    json_t *gap;
    size_t nodes = 0, topics = 0;
    json_array_foreach(json_object_get(cov, "gaps"), i, gap)
    {
        const char *code = json_string_value(json_object_get(gap, "code"));
        cr_expect_str_neq(code, "other");
        cr_expect_eq(json_integer_value(json_object_get(gap, "count")), 0);
        if (strcmp(json_string_value(json_object_get(gap, "kind")), "topic") == 0)
            topics++;
        else
            nodes++;
    }
    /* 51 nodes without `other`; the proposal fills its category and maybe a sub. */
    cr_expect(nodes >= 49 && nodes <= 50, "%zu node gaps", nodes);
    cr_expect(topics >= 10 && topics < 12, "%zu topic gaps", topics);
    json_decref(cov);
    struct svc_filter bad = {.track = "national"};
    cr_expect_eq(svc_coverage_get(svc, &bad, 1, &cov, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/query/track"));
    json_decref(problems);
    json_decref(rec);
}

Test(service, taxonomy_lookup_suggests_nearest_codes)
{
    json_t *out = NULL, *nearest = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(svc_taxonomy_get(svc, "industry.cty", &out, &nearest, &err),
                 STDTAX_ENOTFOUND);
    cr_assert_not_null(nearest);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_array_get(nearest, 0), "code")),
        "industry.city");
    json_decref(nearest);
    cr_assert_eq(svc_taxonomy_get(svc, "智能芯片", &out, &nearest, &err), 0);
    cr_expect_str_eq(json_string_value(json_object_get(out, "code")), "infra.chips");
    cr_expect_eq(json_integer_value(json_object_get(out, "count")), 0);
    json_decref(out);
    cr_assert_eq(svc_taxonomy_get(svc, NULL, &out, NULL, &err), 0);
    cr_expect_eq(json_array_size(json_object_get(out, "nodes")), 7);
    json_decref(out);
}

Test(service, reload_keeps_the_old_engine_on_a_bad_file)
{
    json_t *v0 = svc_versions(svc);
    FILE *f = fopen(taxonomy_copy, "w");
    cr_assert_not_null(f);
    fputs("{\"format\": 1, \"version\": ", f);
    fclose(f);
    json_t *problems = json_array(), *v = NULL;
    struct stdtax_error err = {0};
    cr_expect_neq(svc_engine_reload(svc, &v, problems, &err), 0);
    json_t *v1 = svc_versions(svc);
    cr_expect(json_equal(v0, v1));
    json_decref(v1);

    /* A good file with another version is taken (the model then no longer matches the
     * taxonomy version, so reload keywords-only is not what we want: restore the
     * original instead and check it loads). */
    copy_file(TAXONOMY, taxonomy_copy);
    cr_expect_eq(svc_engine_reload(svc, &v, problems, &err), 0, "%s", err.text);
    cr_expect(json_equal(v, v0));
    json_decref(v);
    json_decref(v0);
    json_decref(problems);
}

/* Group commit as the daemon does it: prepared on one side, committed together,
 * callers of different scopes in one transaction, a replay and a reused key in the
 * same batch as new records. */
Test(service, prepare_then_commit_in_one_batch)
{
    json_t *local = load_json(STDTAX_SRCDIR "/tests/data/proposal-local.json");
    json_t *group = load_json(STDTAX_SRCDIR "/tests/data/proposal-group.json");
    struct svc_batch_item it[4];
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    cr_assert_eq(svc_proposal_prepare(
                     svc, local,
                     &(struct svc_submit_options){
                         .caller = &service, .idem_key = "k1", .now = BEFORE_DEADLINES},
                     &it[0], problems, &err),
                 0, "%s", err.text);
    cr_assert_eq(
        svc_proposal_prepare(svc, group,
                             &(struct svc_submit_options){.caller = &secretariat,
                                                          .idem_key = NULL,
                                                          .now = AFTER_DEADLINES},
                             &it[1], problems, &err),
        0, "%s", err.text);
    /* late for a service: refused at prepare, nothing to commit */
    cr_expect_eq(svc_proposal_prepare(
                     svc, group,
                     &(struct svc_submit_options){
                         .caller = &service, .idem_key = NULL, .now = AFTER_DEADLINES},
                     &it[2], problems, &err),
                 STDTAX_ELATE);
    cr_expect_null(it[2].record);
    /* Real records (reals, nested classification, Chinese text) read back, with their
     * id put in, as the record. */
    for (int k = 0; k < 2; k++) {
        json_t *copy = json_copy(it[k].record);
        json_object_set_new(copy, "id", json_string("P2023-000009"));
        const struct store_record_text *t = &it[k].text;
        cr_assert_not_null(t->text);
        char *joined = malloc(t->len + 16);
        cr_assert_not_null(joined);
        sprintf(joined, "%.*sP2023-000009%s", (int)t->split, t->text, t->text + t->split);
        json_t *got = json_loads(joined, 0, NULL);
        cr_expect(json_equal(got, copy), "%s", joined);
        json_decref(got);
        free(joined);
        json_decref(copy);
    }
    cr_assert_eq(svc_proposal_commit(svc, it, 2, &err), 0, "%s", err.text);
    cr_expect_eq(it[0].rc, 0);
    cr_expect(it[0].created);
    cr_expect_eq(it[1].rc, 0);
    cr_expect(json_is_true(json_object_get(it[1].record, "late")));
    const char *first = json_string_value(json_object_get(it[0].record, "id"));
    cr_assert_not_null(first);
    char first_id[64];
    snprintf(first_id, sizeof first_id, "%s", first);

    /* Next batch: the same key and body (a replay) and the same key with another body. */
    cr_assert_eq(svc_proposal_prepare(
                     svc, local,
                     &(struct svc_submit_options){
                         .caller = &service, .idem_key = "k1", .now = BEFORE_DEADLINES},
                     &it[2], problems, &err),
                 0);
    json_t *other = json_deep_copy(local);
    json_object_set_new(other, "title", json_string("另一个 标准 草案"));
    cr_assert_eq(svc_proposal_prepare(
                     svc, other,
                     &(struct svc_submit_options){
                         .caller = &service, .idem_key = "k1", .now = BEFORE_DEADLINES},
                     &it[3], problems, &err),
                 0);
    cr_assert_eq(svc_proposal_commit(svc, &it[2], 2, &err), 0, "%s", err.text);
    cr_expect_eq(it[2].rc, 0);
    cr_expect_not(it[2].created);
    cr_expect_str_eq(json_string_value(json_object_get(it[2].record, "id")), first_id);
    cr_expect_eq(it[3].rc, STDTAX_ECONFLICT);
    cr_expect_str_eq(it[3].err.field, "/Idempotency-Key");
    cr_expect_null(it[3].record);

    json_t *stats = NULL;
    cr_assert_eq(svc_stats_get(svc, &(struct svc_filter){0}, &stats, NULL, &err), 0);
    cr_expect_eq(json_integer_value(json_object_get(stats, "total")), 2);
    for (int i = 0; i < 3; i++)
        json_decref(it[i].record);
    json_decref(stats);
    json_decref(other);
    json_decref(problems);
    json_decref(local);
    json_decref(group);
}

/* The text query: combined with the other filters, refused by the counts. */
static size_t list_count(const struct svc_filter *f, json_t *problems, int *rc)
{
    json_t *page = NULL;
    struct stdtax_error err = {0};
    *rc = svc_proposal_list(svc, f, NULL, 100, &page, problems, &err);
    size_t n = json_array_size(json_object_get(page, "items"));
    json_decref(page);
    return n;
}

Test(service, list_text_query_combines_with_filters_and_counts_refuse_it)
{
    json_t *l = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-local.json", &service,
                          BEFORE_DEADLINES, NULL);
    json_t *g = submit_ok(STDTAX_SRCDIR "/tests/data/proposal-group.json", &service,
                          BEFORE_DEADLINES, NULL);
    json_t *problems = json_array();
    int rc;
    const struct {
        struct svc_filter f;
        size_t n;
    } cases[] = {
        {{.q = "人工智能"}, 2},
        {{.q = "训练数据"}, 1},
        {{.q = "ＧＥＮＥＲＡＴＩＶＥ　Ａｒｔｉｆｉｃｉａｌ"}, 1}, /* full-width */
        {{.q = "浦江智算"}, 1},                                   /* organisation */
        {{.q = "iso/iec 23894"}, 1},                              /* adoption number */
        {{.q = "人工智能 区块链"}, 0},                            /* AND */
        {{.q = "人工智能", .track = "group"}, 1},
        {{.q = "训练数据", .track = "group"}, 0},
        {{.q = "人工智能", .status = "withdrawn"}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(list_count(&cases[i].f, problems, &rc), cases[i].n, "case %zu", i);
        cr_expect_eq(rc, 0, "case %zu", i);
    }
    /* category by the record's own classification, so the case cannot drift with
     * the model */
    struct svc_filter f = {.q = "人工智能",
                           .category = json_string_value(json_object_get(
                               json_object_get(l, "classification"), "category"))};
    size_t same =
        strcmp(f.category, json_string_value(json_object_get(
                               json_object_get(g, "classification"), "category"))) == 0;
    cr_expect_eq(list_count(&f, problems, &rc), 1 + same);
    /* the id as the secretariat writes it */
    f = (struct svc_filter){.q = json_string_value(json_object_get(l, "id"))};
    cr_expect_eq(list_count(&f, problems, &rc), 1);

    static const char *const bad[] = {"", " ,.。 ", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_array_clear(problems);
        f = (struct svc_filter){.q = bad[i], .track = "national"};
        list_count(&f, problems, &rc);
        cr_expect_eq(rc, STDTAX_EINVAL, "bad %zu", i);
        /* every problem at once */
        cr_expect(has_pointer(problems, "/query/q"), "bad %zu", i);
        cr_expect(has_pointer(problems, "/query/track"), "bad %zu", i);
    }
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    json_array_clear(problems);
    f = (struct svc_filter){.q = big};
    list_count(&f, problems, &rc);
    cr_expect_eq(rc, STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/query/q"));

    json_t *out = NULL;
    struct stdtax_error err = {0};
    json_array_clear(problems);
    f = (struct svc_filter){.q = "人工智能"};
    cr_expect_eq(svc_stats_get(svc, &f, &out, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/query/q"));
    json_array_clear(problems);
    cr_expect_eq(svc_coverage_get(svc, &f, 1, &out, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/query/q"));
    cr_expect_null(out);
    json_decref(problems);
    json_decref(l);
    json_decref(g);
}
