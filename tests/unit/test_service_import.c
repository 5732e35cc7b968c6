/* What stdtax import needs from the service: svc_proposal_check (the submission's checks
 * without storing), then svc_proposal_prepare and svc_proposal_commit (group commit with
 * the call's duplicate rule), on the shipped taxonomy and model and a real store. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/service.h"

#define TAXONOMY STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json"
#define MODEL STDTAX_SRCDIR "/taxonomy/model-2023.json"
#define LOCAL STDTAX_SRCDIR "/tests/data/proposal-local.json"
#define GROUP STDTAX_SRCDIR "/tests/data/proposal-group.json"

/* 2023-09-01 00:00 UTC: before both deadlines of the 2023 call; 2026: after both. */
#define BEFORE_DEADLINES ((time_t)1693526400)
#define AFTER_DEADLINES ((time_t)1767225600)

static char data_dir[64];
static struct svc *svc;
static const struct svc_caller importer = {"import-test", false};
static const struct svc_caller secretariat = {"secretariat-test", true};

static json_t *load(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", path, jerr.text);
    return j;
}

static void setup(void)
{
    strcpy(data_dir, "/tmp/stdtax-svcimp-XXXXXX");
    cr_assert_not_null(mkdtemp(data_dir));
    struct svc_options o = {
        .data_dir = data_dir, .taxonomy_path = TAXONOMY, .model_path = MODEL};
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

static json_int_t total(void)
{
    json_t *st = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    cr_assert_eq(svc_stats_get(svc, NULL, &st, problems, &err), 0, "%s", err.text);
    json_int_t n = json_integer_value(json_object_get(st, "total"));
    json_decref(st);
    json_decref(problems);
    return n;
}

TestSuite(service_import, .init = setup, .fini = teardown);

Test(service_import, check_valid_stores_nothing)
{
    json_t *sub = load(LOCAL), *problems = json_array();
    struct stdtax_error err = {0};
    bool late = true;
    cr_assert_eq(
        svc_proposal_check(svc, sub, &importer, BEFORE_DEADLINES, &late, problems, &err),
        0, "%s", err.text);
    cr_expect_not(late);
    cr_expect_eq(json_array_size(problems), 0);
    cr_expect_eq(total(), 0);
    json_decref(sub);
    json_decref(problems);
}

Test(service_import, check_reports_every_problem)
{
    json_t *sub = load(GROUP), *problems = json_array();
    json_object_del(sub, "title");
    json_object_set_new(json_object_get(sub, "contact"), "email", json_string("x@"));
    struct stdtax_error err = {0};
    cr_assert_eq(
        svc_proposal_check(svc, sub, &importer, BEFORE_DEADLINES, NULL, problems, &err),
        STDTAX_EINVAL);
    cr_expect_eq(json_array_size(problems), 2);
    json_decref(sub);
    json_decref(problems);
}

Test(service_import, check_late)
{
    json_t *sub = load(LOCAL), *problems = json_array();
    struct stdtax_error err = {0};
    bool late = false;
    cr_assert_eq(
        svc_proposal_check(svc, sub, &importer, AFTER_DEADLINES, &late, problems, &err),
        STDTAX_ELATE);
    cr_expect_str_eq(err.field, "/track");
    cr_assert_eq(svc_proposal_check(svc, sub, &secretariat, AFTER_DEADLINES, &late,
                                    problems, &err),
                 0);
    cr_expect(late);
    cr_expect_eq(total(), 0);
    json_decref(sub);
    json_decref(problems);
}

/* Prepares each submission as stdtax import does (the call's duplicate rule on); those
 * prepared go to it[0..], the others' rc to rcs[i].  Returns how many were prepared. */
static size_t prepare_all(json_t *const *subs, const char *const *keys, size_t n,
                          const struct svc_caller *who, time_t now,
                          struct svc_batch_item *it, int *rcs, json_t *problems)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct svc_submit_options o = {who, keys ? keys[i] : NULL, now, true, 0};
        struct stdtax_error err = {0};
        rcs[i] = svc_proposal_prepare(svc, subs[i], &o, &it[m], problems, &err);
        if (rcs[i] == 0)
            m++;
    }
    return m;
}

static void items_clear(struct svc_batch_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        svc_batch_item_clear(&it[i]);
}

/* Three submissions: valid, invalid (refused at prepare), and the first one again with
 * the same key (a replay in the same batch). */
Test(service_import, batch_items_each_their_own_result)
{
    json_t *a = load(LOCAL), *b = load(GROUP);
    json_object_set_new(b, "ccs", json_string("I99"));
    json_t *subs[3] = {a, b, a};
    const char *keys[3] = {"import-test-a", "import-test-b", "import-test-a"};
    struct svc_batch_item items[3];
    int rcs[3];
    json_t *problems = json_array();
    size_t m =
        prepare_all(subs, keys, 3, &importer, BEFORE_DEADLINES, items, rcs, problems);
    cr_assert_eq(m, 2);
    cr_expect_eq(rcs[1], STDTAX_EINVAL);
    cr_expect_eq(json_array_size(problems), 1);
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_commit(svc, items, 2, &err), 0, "%s", err.text);
    cr_expect_eq(items[0].rc, 0, "%s", items[0].err.text);
    cr_expect(items[0].created);
    cr_expect_eq(items[1].rc, 0, "%s", items[1].err.text);
    cr_expect_not(items[1].created);
    const char *id0 = json_string_value(json_object_get(items[0].record, "id"));
    const char *id2 = json_string_value(json_object_get(items[1].record, "id"));
    cr_assert(id0 && id2);
    cr_expect_str_eq(id0, id2);
    cr_expect_str_eq(json_string_value(json_object_get(items[0].record, "status")),
                     "submitted");
    cr_expect(json_is_string(
        json_object_get(json_object_get(items[0].record, "classification"), "category")));
    cr_expect_eq(total(), 1);

    /* The same key with another submission: a conflict for that item only. */
    json_t *c = load(GROUP);
    json_t *subs2[2] = {c, c};
    const char *keys2[2] = {"import-test-a", "import-test-c"};
    struct svc_batch_item again[2];
    cr_assert_eq(
        prepare_all(subs2, keys2, 2, &importer, BEFORE_DEADLINES, again, rcs, problems),
        2);
    cr_assert_eq(svc_proposal_commit(svc, again, 2, &err), 0);
    cr_expect_eq(again[0].rc, STDTAX_ECONFLICT);
    cr_expect_str_eq(again[0].err.field, "/Idempotency-Key");
    cr_expect_null(again[0].existing);
    cr_expect_eq(again[1].rc, 0);
    cr_expect(again[1].created);
    cr_expect_eq(total(), 2);

    items_clear(items, 2);
    items_clear(again, 2);
    json_decref(problems);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

Test(service_import, batch_late_only_for_secretariat)
{
    json_t *a = load(LOCAL), *problems = json_array();
    struct svc_batch_item it;
    int rc;
    cr_expect_eq(prepare_all(&a, NULL, 1, &importer, AFTER_DEADLINES, &it, &rc, problems),
                 0);
    cr_expect_eq(rc, STDTAX_ELATE);
    cr_expect_eq(total(), 0);
    cr_assert_eq(
        prepare_all(&a, NULL, 1, &secretariat, AFTER_DEADLINES, &it, &rc, problems), 1);
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_commit(svc, &it, 1, &err), 0);
    cr_assert_eq(it.rc, 0, "%s", it.err.text);
    cr_expect(json_is_true(json_object_get(it.record, "late")));
    cr_expect_eq(total(), 1);
    items_clear(&it, 1);
    json_decref(problems);
    json_decref(a);
}

/* The call's duplicate rule, decided in the commit's write transaction: two proposals
 * of one organisation with different titles and the same scope in ONE batch - the
 * first is stored, the second refused naming it, whatever the timing; the same text
 * from another organisation is stored; the scope one sentence longer (the bug of
 * issue 13: stdtax import stored it) is refused in a later batch too. */
Test(service_import, duplicates_in_one_batch_store_the_first)
{
    json_t *a = load(LOCAL), *b = load(LOCAL), *c = load(LOCAL);
    json_object_set_new(b, "title",
                        json_string("完全不同的标题 用于同一范围的第二份提案"));
    json_object_set_new(b, "title_en", json_string("An entirely different second title"));
    json_object_set_new(c, "organisation", json_string("另一家完全无关的测试单位"));
    json_t *subs[3] = {a, b, c};
    struct svc_batch_item it[3];
    int rcs[3];
    json_t *problems = json_array();
    cr_assert_eq(
        prepare_all(subs, NULL, 3, &importer, BEFORE_DEADLINES, it, rcs, problems), 3);
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_commit(svc, it, 3, &err), 0, "%s", err.text);
    cr_assert_eq(it[0].rc, 0, "%s", it[0].err.text);
    cr_expect(it[0].created);
    const char *first = json_string_value(json_object_get(it[0].record, "id"));
    cr_assert_eq(it[1].rc, STDTAX_ECONFLICT);
    cr_expect_null(it[1].record);
    cr_expect_str_eq(it[1].err.field, "/scope");
    cr_expect(strstr(it[1].err.text, first) != NULL, "%s", it[1].err.text);
    cr_assert_not_null(it[1].existing);
    cr_expect_str_eq(json_string_value(json_object_get(it[1].existing, "id")), first);
    cr_expect_str_eq(json_string_value(json_object_get(it[1].existing, "source")),
                     "proposal");
    cr_expect_geq(json_real_value(json_object_get(it[1].existing, "similarity")), 0.8);
    cr_expect_str_eq(json_string_value(json_object_get(it[1].existing, "organisation")),
                     json_string_value(json_object_get(a, "organisation")));
    cr_expect_eq(it[2].rc, 0, "%s", it[2].err.text);
    cr_expect_eq(total(), 2);

    /* The scope one sentence longer, in a batch of its own. */
    json_t *d = load(LOCAL);
    char scope[4096];
    snprintf(scope, sizeof scope, "%s本标准也适用于相关系统的验收。",
             json_string_value(json_object_get(a, "scope")));
    json_object_set_new(d, "scope", json_string(scope));
    json_object_set_new(d, "title", json_string("另一个题目 与前者范围相同的提案"));
    struct svc_batch_item later;
    cr_assert_eq(
        prepare_all(&d, NULL, 1, &importer, BEFORE_DEADLINES, &later, rcs, problems), 1);
    cr_assert_eq(svc_proposal_commit(svc, &later, 1, &err), 0);
    cr_expect_eq(later.rc, STDTAX_ECONFLICT);
    cr_expect_str_eq(json_string_value(json_object_get(later.existing, "id")), first);
    cr_expect_eq(total(), 2);

    items_clear(&later, 1);
    /* Withdrawn: no longer a duplicate. */
    cr_assert_eq(
        svc_proposal_withdraw(svc, first, &secretariat, BEFORE_DEADLINES, NULL, &err), 0);
    cr_assert_eq(
        prepare_all(&d, NULL, 1, &importer, BEFORE_DEADLINES, &later, rcs, problems), 1);
    cr_assert_eq(svc_proposal_commit(svc, &later, 1, &err), 0);
    cr_expect_eq(later.rc, 0, "%s", later.err.text);
    items_clear(&later, 1);
    items_clear(it, 3);
    json_decref(problems);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
}

/* Without the rule (the daemon's duplicate-check no) both are stored. */
Test(service_import, duplicates_stored_without_the_rule)
{
    json_t *a = load(LOCAL), *problems = json_array();
    struct svc_batch_item it[2];
    struct svc_submit_options o = {&importer, NULL, BEFORE_DEADLINES, false, 0};
    struct stdtax_error err = {0};
    for (int i = 0; i < 2; i++)
        cr_assert_eq(svc_proposal_prepare(svc, a, &o, &it[i], problems, &err), 0);
    cr_assert_eq(svc_proposal_commit(svc, it, 2, &err), 0);
    cr_expect_eq(it[0].rc, 0);
    cr_expect_eq(it[1].rc, 0);
    cr_expect_eq(total(), 2);
    items_clear(it, 2);
    json_decref(problems);
    json_decref(a);
}
