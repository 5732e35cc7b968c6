#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/taxonomy.h"

static const char *fixture_path(void)
{
    static char path[4096];
    const char *src = getenv("STDTAX_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/fixture-taxonomy.json", src ? src : ".");
    return path;
}

static struct tax_taxonomy *load_fixture(void)
{
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    int rc = tax_file_load(fixture_path(), &tax, problems, &err);
    cr_assert_eq(rc, 0, "fixture: %s (%zu problems)", err.text,
                 json_array_size(problems));
    json_decref(problems);
    return tax;
}

Test(taxonomy, loads_fixture_and_builds_tree)
{
    struct tax_taxonomy *tax = load_fixture();
    cr_expect_str_eq(tax->version, "fixture.1");
    cr_expect_eq(tax->n_nodes, 10);
    cr_expect_eq(tax->n_roots, 4);
    const struct tax_node *infra = tax_node_find(tax, "infra");
    cr_assert_not_null(infra);
    cr_expect_eq(infra->depth, 0);
    cr_expect_null(infra->parent);
    cr_assert_eq(infra->n_children, 2);
    cr_expect_str_eq(infra->children[0]->code, "infra.chips");
    cr_expect_str_eq(infra->children[1]->code, "infra.sensors");
    const struct tax_node *chips = tax_node_find(tax, "infra.chips");
    cr_expect_eq(chips->parent, infra);
    cr_expect_eq(chips->depth, 1);
    cr_expect_eq(tax_node_root(chips), infra);
    cr_expect_eq(chips->n_terms, 3);
    cr_expect_str_eq(chips->terms[1].term, "AI accelerator");
    cr_expect_str_eq(chips->terms[1].norm, "ai accelerator");
    cr_expect_str_eq(infra->desc_zh, "基础软硬件标准");
    cr_expect_str_eq(chips->desc_zh, "");
    tax_taxonomy_free(tax);
}

Test(taxonomy, lookups_by_code_and_label)
{
    struct tax_taxonomy *tax = load_fixture();
    for (size_t i = 0; i < tax->n_nodes; i++)
        cr_expect_eq(tax_node_find(tax, tax->nodes[i].code), &tax->nodes[i]);
    cr_expect_null(tax_node_find(tax, "infra.nope"));
    cr_expect_null(tax_node_find(tax, ""));
    cr_expect_null(tax_node_find(tax, NULL));
    const struct tax_node *med = tax_node_find(tax, "industry.healthcare");
    cr_expect_eq(tax_node_find_label(tax, "智能医疗"), med);
    cr_expect_eq(tax_node_find_label(tax, "Intelligent healthcare"), med);
    cr_expect_eq(tax_node_find_label(tax, "INTELLIGENT HEALTHCARE"), med);
    cr_expect_null(tax_node_find_label(tax, "智能医"));
    cr_expect_eq(tax_node_resolve(tax, "industry.healthcare"), med);
    cr_expect_eq(tax_node_resolve(tax, "智能医疗"), med);
    cr_expect_eq(tax_node_resolve(tax, "其他"), tax_node_find(tax, "other"));
    tax_taxonomy_free(tax);
}

Test(taxonomy, topics_and_tracks)
{
    struct tax_taxonomy *tax = load_fixture();
    const struct tax_topic *drv = tax_topic_find(tax, "driving");
    cr_assert_not_null(drv);
    cr_expect_str_eq(drv->zh, "智能驾驶");
    cr_assert_eq(drv->n_nodes, 2);
    cr_expect_eq(drv->nodes[1], tax_node_find(tax, "industry.transport"));
    const struct tax_node *veh = tax_node_find(tax, "products.vehicles");
    cr_assert_eq(veh->n_topics, 1);
    cr_expect_eq(veh->topics[0], drv);
    cr_expect_null(tax_topic_find(tax, "nope"));
    const struct tax_track *local = tax_track_find(tax, "local");
    cr_assert_not_null(local);
    cr_expect_str_eq(local->suffix, "地标");
    cr_expect_str_eq(local->deadline, "2023-09-12T23:59:59+08:00");
    cr_expect_eq(local->deadline_t, (time_t)1694534399);
    cr_expect_null(tax_track_find(tax, "national"));
    cr_expect_str_eq(tax->current->id, "2023");
    tax_taxonomy_free(tax);
}

Test(taxonomy, renders_tree_and_node_as_json)
{
    struct tax_taxonomy *tax = load_fixture();
    json_t *tree = tax_taxonomy_to_json(tax, NULL, 0);
    cr_assert_not_null(tree);
    cr_expect_str_eq(json_string_value(json_object_get(tree, "version")), "fixture.1");
    json_t *nodes = json_object_get(tree, "nodes");
    cr_assert_eq(json_array_size(nodes), 4);
    json_t *infra = json_array_get(nodes, 0);
    cr_expect_str_eq(json_string_value(json_object_get(infra, "code")), "infra");
    cr_expect(json_is_null(json_object_get(infra, "parent")));
    cr_expect_eq(json_array_size(json_object_get(infra, "children")), 2);
    cr_expect_null(json_object_get(infra, "evidence"));
    cr_expect_eq(json_array_size(json_object_get(tree, "priority_topics")), 2);
    json_t *tracks = json_object_get(json_object_get(tree, "call"), "tracks");
    cr_expect_eq(json_array_size(tracks), 2);
    json_decref(tree);

    json_t *chips = tax_taxonomy_to_json(tax, tax_node_find(tax, "infra.chips"), 1);
    cr_assert_not_null(chips);
    cr_expect_str_eq(json_string_value(json_object_get(chips, "parent")), "infra");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(chips, "labels"), "en")),
        "AI chips");
    cr_expect_eq(json_array_size(json_object_get(chips, "evidence")), 3);
    cr_expect_str_eq(
        json_string_value(json_array_get(json_object_get(chips, "priority_topics"), 0)),
        "chips-sensors");
    json_decref(chips);
    tax_taxonomy_free(tax);
}

/* ---- broken files: each mutation of the fixture must be reported at its pointer ---- */

/* Sets (value != NULL, JSON text) or deletes the member at a simple JSON pointer. */
static void mutate(json_t *root, const char *pointer, const char *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pointer);
    json_t *parent = root;
    char *tok = buf + 1, *slash;
    while ((slash = strchr(tok, '/')) != NULL) {
        *slash = '\0';
        parent = json_is_array(parent) ? json_array_get(parent, strtoul(tok, NULL, 10))
                                       : json_object_get(parent, tok);
        cr_assert_not_null(parent, "pointer %s", pointer);
        tok = slash + 1;
    }
    json_t *v = NULL;
    if (value) {
        json_error_t je;
        v = json_loads(value, JSON_DECODE_ANY, &je);
        cr_assert_not_null(v, "value %s: %s", value, je.text);
    }
    if (json_is_array(parent)) {
        size_t i = strtoul(tok, NULL, 10);
        if (v)
            json_array_set_new(parent, i, v);
        else
            json_array_remove(parent, i);
    } else if (v) {
        json_object_set_new(parent, tok, v);
    } else {
        json_object_del(parent, tok);
    }
}

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

static char *dump_problems(const json_t *problems)
{
    return json_dumps(problems, JSON_COMPACT);
}

/* A change to a taxonomy file and the pointer its problem must name. */
struct problem_row {
    const char *at, *value, *expect; /* value NULL: the member is deleted */
};

/* Each row applied alone to the file at path: the load fails naming row.expect. */
static void problem_rows_check(const char *path, const struct problem_row *rows, size_t n)
{
    json_error_t je;
    json_t *pristine = json_load_file(path, 0, &je);
    cr_assert_not_null(pristine, "%s: %s", path, je.text);
    for (size_t i = 0; i < n; i++) {
        json_t *root = json_deep_copy(pristine);
        mutate(root, rows[i].at, rows[i].value);
        json_t *problems = json_array();
        struct tax_taxonomy *tax = (struct tax_taxonomy *)1;
        struct stdtax_error err = {0};
        int rc = tax_json_load(root, &tax, problems, &err);
        char *dump = dump_problems(problems);
        cr_expect_eq(rc, STDTAX_EINVAL, "row %zu (%s)", i, rows[i].at);
        cr_expect_null(tax, "row %zu", i);
        cr_expect(has_pointer(problems, rows[i].expect),
                  "row %zu: %s = %s: want %s in %s", i, rows[i].at,
                  rows[i].value ? rows[i].value : "(deleted)", rows[i].expect, dump);
        free(dump);
        json_decref(problems);
        json_decref(root);
    }
    json_decref(pristine);
}

Test(taxonomy, every_problem_is_reported_at_its_pointer)
{
    static const struct problem_row rows[] = {
        {"/format", "2", "/format"},
        {"/version", NULL, "/version"},
        {"/version", "\"\"", "/version"},
        {"/call", NULL, "/call"},
        {"/call/id", "7", "/call/id"},
        {"/call/tracks/0/deadline", "\"2023-09-12\"", "/call/tracks/0/deadline"},
        {"/call/tracks/0/deadline", "\"2023-02-30T00:00:00Z\"",
         "/call/tracks/0/deadline"},
        {"/call/tracks/0/deadline", "\"2023-09-12T23:59:59\"", "/call/tracks/0/deadline"},
        /* The old sscanf reader let these through; the one date parser refuses them. */
        {"/call/tracks/0/deadline", "\"2023- 9-12T23:59:59+08:00\"",
         "/call/tracks/0/deadline"},
        {"/call/tracks/0/deadline", "\"2023-09-12T23:59:59.0123456789+08:00\"",
         "/call/tracks/0/deadline"},
        {"/call/tracks/1/code", "\"national\"", "/call/tracks/1/code"},
        {"/call/tracks/1/code", "\"local\"", "/call/tracks/1/code"},
        {"/call/tracks/1/labels", NULL, "/call/tracks/1/labels"},
        {"/nodes", "[]", "/nodes"},
        {"/nodes/3", "5", "/nodes/3"},
        {"/nodes/0/parent", NULL, "/nodes/0/parent"},
        {"/nodes/1/code", "\"infra\"", "/nodes/1/code"},
        {"/nodes/1/code", "\"Infra.Chips\"", "/nodes/1/code"},
        {"/nodes/1/code", "\"products.chips\"", "/nodes/1/code"},
        {"/nodes/0/code", "\"in.fra\"", "/nodes/0/code"},
        {"/nodes/1/parent", "\"nope\"", "/nodes/1/parent"},
        {"/nodes/1/parent", "\"infra.sensors\"", "/nodes/1/parent"},
        {"/nodes/1/parent", "3", "/nodes/1/parent"},
        {"/nodes/2/labels/en", NULL, "/nodes/2/labels/en"},
        {"/nodes/2/labels/zh", "\"\"", "/nodes/2/labels/zh"},
        {"/nodes/2/labels/zh", "\"智能芯片\"", "/nodes/2/labels/zh"},
        {"/nodes/2/labels/en", "\"ai CHIPS\"", "/nodes/2/labels/en"},
        {"/nodes/2/labels", "\"x\"", "/nodes/2/labels"},
        {"/nodes/2/description", "[]", "/nodes/2/description"},
        {"/nodes/1/evidence", "{}", "/nodes/1/evidence"},
        {"/nodes/1/evidence/0", "\"芯片\"", "/nodes/1/evidence/0"},
        {"/nodes/1/evidence/0/weight", "0", "/nodes/1/evidence/0/weight"},
        {"/nodes/1/evidence/0/weight", "1.5", "/nodes/1/evidence/0/weight"},
        {"/nodes/1/evidence/0/weight", "\"1\"", "/nodes/1/evidence/0/weight"},
        {"/nodes/1/evidence/0/weight", NULL, "/nodes/1/evidence/0/weight"},
        {"/nodes/1/evidence/0/term", "\"\"", "/nodes/1/evidence/0/term"},
        {"/nodes/1/evidence/0/term", "\"。！\"", "/nodes/1/evidence/0/term"},
        {"/nodes/1/evidence/0/term",
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         "/nodes/1/evidence/0/term"},
        /* equal to "NPU" (index 2) after normalisation: the later one is the duplicate */
        {"/nodes/1/evidence/0/term", "\"ｎｐｕ\"", "/nodes/1/evidence/2/term"},
        {"/priority_topics", "{}", "/priority_topics"},
        {"/priority_topics/0/nodes/1", "\"nope\"", "/priority_topics/0/nodes/1"},
        {"/priority_topics/0/nodes", "[]", "/priority_topics/0/nodes"},
        {"/priority_topics/0/nodes/1", "\"infra.chips\"", "/priority_topics/0/nodes/1"},
        {"/priority_topics/1/code", "\"chips-sensors\"", "/priority_topics/1/code"},
        {"/priority_topics/1/labels/zh", NULL, "/priority_topics/1/labels/zh"},
        {"/priority_topics/0/evidence", NULL, "/priority_topics/0/evidence"},
        {"/priority_topics/0/evidence", "[]", "/priority_topics/0/evidence"},
        {"/priority_topics/0/evidence/1", "{\"term\": \"传感器\"}",
         "/priority_topics/0/evidence/1"},
        /* equal to "芯片" (index 0) after normalisation */
        {"/priority_topics/0/evidence/1", "\" 芯片 \"", "/priority_topics/0/evidence/1"},
    };
    problem_rows_check(fixture_path(), rows, sizeof rows / sizeof rows[0]);
}

Test(taxonomy, reports_all_problems_at_once)
{
    json_error_t je;
    json_t *root = json_load_file(fixture_path(), 0, &je);
    mutate(root, "/format", "3");
    mutate(root, "/nodes/4/parent", "\"nope\"");
    mutate(root, "/nodes/8/evidence/1/weight", "-1");
    json_t *problems = json_array();
    struct tax_taxonomy *tax;
    struct stdtax_error err = {0};
    cr_expect_eq(tax_json_load(root, &tax, problems, &err), STDTAX_EINVAL);
    cr_expect_eq(json_array_size(problems), 3);
    cr_expect(has_pointer(problems, "/format"));
    cr_expect(has_pointer(problems, "/nodes/4/parent"));
    cr_expect(has_pointer(problems, "/nodes/8/evidence/1/weight"));
    cr_expect_str_eq(err.text, "3 problems in the taxonomy");
    json_decref(problems);
    json_decref(root);
}

Test(taxonomy, unparsable_and_missing_files)
{
    static const char text[] = "{\"format\": 1, \"version\": ";
    json_t *problems = json_array();
    struct tax_taxonomy *tax;
    struct stdtax_error err = {0};
    cr_expect_eq(tax_buffer_load(text, strlen(text), &tax, problems, &err),
                 STDTAX_EPARSE);
    cr_expect_eq(json_array_size(problems), 1);
    static const char dup[] = "{\"format\": 1, \"format\": 1}";
    cr_expect_eq(tax_buffer_load(dup, strlen(dup), &tax, NULL, &err), STDTAX_EPARSE);
    static const char arr[] = "[]";
    cr_expect_eq(tax_buffer_load(arr, strlen(arr), &tax, NULL, &err), STDTAX_EINVAL);
    cr_expect_eq(tax_file_load("/nonexistent/taxonomy.json", &tax, NULL, &err),
                 STDTAX_ENOTFOUND);
    cr_expect_null(tax);
    json_decref(problems);
}

Test(taxonomy, size_bounds_hold)
{
    json_error_t je;
    json_t *root = json_load_file(fixture_path(), 0, &je);
    json_t *terms = json_array();
    for (int i = 0; i <= TAX_NODE_TERMS_MAX; i++)
        json_array_append_new(terms, json_pack("{s:s, s:f}", "term", "x", "weight", 0.5));
    json_object_set_new(json_array_get(json_object_get(root, "nodes"), 1), "evidence",
                        terms);
    json_t *nodes = json_object_get(root, "nodes");
    json_t *many = json_array();
    for (int i = 0; i <= TAX_NODES_MAX; i++)
        json_array_append(many, json_array_get(nodes, 0));
    json_t *problems = json_array();
    struct tax_taxonomy *tax;
    struct stdtax_error err = {0};
    cr_expect_eq(tax_json_load(root, &tax, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/nodes/1/evidence"));
    json_object_set_new(root, "nodes", many);
    json_array_clear(problems);
    cr_expect_eq(tax_json_load(root, &tax, problems, &err), STDTAX_EINVAL);
    cr_expect(has_pointer(problems, "/nodes"));
    json_decref(problems);
    json_decref(root);
}

static const char *revision_path(void)
{
    static char path[4096];
    const char *src = getenv("STDTAX_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/taxonomy-2024-test.json", src ? src : ".");
    return path;
}

Test(taxonomy, calls_side_by_side_and_the_crosswalk)
{
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(tax_file_load(revision_path(), &tax, NULL, &err), 0, "%s", err.text);
    cr_expect_eq(tax->n_calls, 2);
    cr_assert_not_null(tax->current);
    cr_expect_str_eq(tax->current->id, "2024-test");
    const struct tax_call *old = tax_call_find(tax, "2023");
    cr_assert_not_null(old);
    cr_expect_eq(old->n_criteria, 5);
    cr_expect_eq(tax->current->n_criteria, 3);
    cr_expect_eq(tax->current->criteria[0].max, 30);
    cr_expect_str_eq(tax_call_track(old, "group")->deadline, "2023-10-31T23:59:59+08:00");
    cr_expect_str_eq(tax_call_track(tax->current, "group")->deadline,
                     "2099-11-15T23:59:59+08:00");
    cr_expect_eq(tax_track_find(tax, "group"), tax_call_track(tax->current, "group"));
    cr_expect_null(tax_call_find(tax, "2022"));
    const struct tax_crosswalk_entry *x = tax_crosswalk_find(tax, "domain.vr-ar");
    cr_assert_not_null(x);
    cr_expect_eq(x->n_to, 2);
    cr_expect_str_eq(x->to[1], "domain.ar");
    cr_expect_null(tax_crosswalk_find(tax, "domain.vr"));
    tax_taxonomy_free(tax);
}

Test(taxonomy, calls_and_crosswalk_problems_at_their_pointers)
{
    static const struct problem_row rows[] = {
        {"/call", "{}", "/call"}, /* beside /calls */
        {"/calls", "[]", "/calls"},
        {"/calls/0/current", "true", "/calls/1/current"}, /* two current calls */
        {"/calls/0/current", "1", "/calls/0/current"},
        {"/calls/1/id", "\"2023\"", "/calls/1/id"},
        {"/calls/1/id", "\"2024 test\"", "/calls/1/id"},
        {"/calls/1/published", "\"2024-02-30\"", "/calls/1/published"},
        {"/calls/1/tracks/0/deadline", "\"2024-09-30\"", "/calls/1/tracks/0/deadline"},
        {"/calls/1/criteria/0/max", "0", "/calls/1/criteria/0/max"},
        {"/calls/1/criteria/0/max", "2.5", "/calls/1/criteria/0/max"},
        {"/calls/1/criteria/0/weight", "-1", "/calls/1/criteria/0/weight"},
        {"/calls/1/criteria/1/code", "\"technical-leadership\"",
         "/calls/1/criteria/1/code"},
        {"/calls/1/criteria/1/labels", NULL, "/calls/1/criteria/1/labels"},
        {"/crosswalk/from", NULL, "/crosswalk/from"},
        {"/crosswalk/codes", "[]", "/crosswalk/codes"},
        {"/crosswalk/codes/domain.vr-ar", "[]", "/crosswalk/codes/domain.vr-ar"},
        {"/crosswalk/codes/domain.vr-ar/0", "\"domain.nowhere\"",
         "/crosswalk/codes/domain.vr-ar/0"},
        {"/crosswalk/codes/domain.vr-ar/1", "\"domain.vr\"",
         "/crosswalk/codes/domain.vr-ar/1"},
    };
    problem_rows_check(revision_path(), rows, sizeof rows / sizeof rows[0]);
}
