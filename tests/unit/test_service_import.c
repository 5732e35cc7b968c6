/* What stdtax import needs from the service: svc_proposal_check (the submission's checks
 * without storing) and svc_proposal_submit_batch (group commit), on the shipped taxonomy
 * and model and a real store. */
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

/* Three items: valid, invalid, and the first one again with the same key. */
Test(service_import, batch_items_each_their_own_result)
{
    json_t *a = load(LOCAL), *b = load(GROUP);
    json_object_set_new(b, "ccs", json_string("I99"));
    struct svc_submit_item items[3] = {
        {.submission = a, .idem_key = "import-test-a", .problems = json_array()},
        {.submission = b, .idem_key = "import-test-b", .problems = json_array()},
        {.submission = a, .idem_key = "import-test-a", .problems = json_array()},
    };
    struct stdtax_error err = {0};
    cr_assert_eq(
        svc_proposal_submit_batch(svc, items, 3, &importer, BEFORE_DEADLINES, &err), 0,
        "%s", err.text);
    cr_expect_eq(items[0].rc, 0, "%s", items[0].err.text);
    cr_expect(items[0].created);
    cr_expect_eq(items[1].rc, STDTAX_EINVAL);
    cr_expect_null(items[1].record);
    cr_expect_eq(json_array_size(items[1].problems), 1);
    cr_expect_eq(items[2].rc, 0, "%s", items[2].err.text);
    cr_expect_not(items[2].created);
    const char *id0 = json_string_value(json_object_get(items[0].record, "id"));
    const char *id2 = json_string_value(json_object_get(items[2].record, "id"));
    cr_assert(id0 && id2);
    cr_expect_str_eq(id0, id2);
    cr_expect_str_eq(json_string_value(json_object_get(items[0].record, "status")),
                     "submitted");
    cr_expect(json_is_string(
        json_object_get(json_object_get(items[0].record, "classification"), "category")));
    cr_expect_eq(total(), 1);

    /* The same key with another submission: a conflict for that item only. */
    json_t *c = load(GROUP);
    struct svc_submit_item again[2] = {
        {.submission = c, .idem_key = "import-test-a", .problems = json_array()},
        {.submission = c, .idem_key = "import-test-c", .problems = json_array()},
    };
    cr_assert_eq(
        svc_proposal_submit_batch(svc, again, 2, &importer, BEFORE_DEADLINES, &err), 0);
    cr_expect_eq(again[0].rc, STDTAX_ECONFLICT);
    cr_expect_eq(again[1].rc, 0);
    cr_expect(again[1].created);
    cr_expect_eq(total(), 2);

    for (size_t i = 0; i < 3; i++) {
        json_decref(items[i].record);
        json_decref(items[i].problems);
    }
    for (size_t i = 0; i < 2; i++) {
        json_decref(again[i].record);
        json_decref(again[i].problems);
    }
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

Test(service_import, batch_late_only_for_secretariat)
{
    json_t *a = load(LOCAL);
    struct svc_submit_item it = {.submission = a, .problems = json_array()};
    struct stdtax_error err = {0};
    cr_assert_eq(svc_proposal_submit_batch(svc, &it, 1, &importer, AFTER_DEADLINES, &err),
                 0);
    cr_expect_eq(it.rc, STDTAX_ELATE);
    cr_expect_eq(total(), 0);
    cr_assert_eq(
        svc_proposal_submit_batch(svc, &it, 1, &secretariat, AFTER_DEADLINES, &err), 0);
    cr_assert_eq(it.rc, 0, "%s", it.err.text);
    cr_expect(json_is_true(json_object_get(it.record, "late")));
    cr_expect_eq(total(), 1);
    json_decref(it.record);
    json_decref(it.problems);
    json_decref(a);
}
