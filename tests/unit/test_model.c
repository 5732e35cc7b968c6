#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/model.h"
#include "stdtax/utf8.h"

/* The model of a JSON value, through the one loader: its text as the writer lays it out
 * (members by name). */
static int load_from_json(const json_t *j, const struct tax_taxonomy *t,
                          struct model **out, struct stdtax_error *err)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    int rc = model_text_load(text, strlen(text), t, out, err);
    free(text);
    return rc;
}

static char *data_path(const char *name)
{
    static char path[4][4096];
    static int next;
    char *p = path[next++ % 4];
    const char *src = getenv("STDTAX_SRCDIR");
    snprintf(p, sizeof path[0], "%s/tests/data/%s", src ? src : ".", name);
    return p;
}

static struct tax_taxonomy *tax;
static struct model_example *ex;
static size_t n_ex;
static char sha[65];

static void setup(void)
{
    struct stdtax_error err = {0};
    cr_assert_eq(tax_file_load(data_path("fixture-taxonomy.json"), &tax, NULL, &err), 0,
                 "%s", err.text);
    cr_assert_eq(
        model_examples_read(data_path("fixture-train.jsonl"), tax, &ex, &n_ex, sha, &err),
        0, "%s: %s", err.field, err.text);
}

static void teardown(void)
{
    model_examples_free(ex, n_ex);
    tax_taxonomy_free(tax);
}

TestSuite(model, .init = setup, .fini = teardown);

Test(model, reads_examples_by_code_and_label)
{
    cr_assert_eq(n_ex, 10); /* the blank line is skipped */
    cr_expect_eq(ex[1].category, tax_node_find(tax, "infra"));
    cr_expect_eq(ex[1].subcategory, tax_node_find(tax, "infra.chips"));
    cr_expect_eq(ex[4].category, tax_node_find(tax, "products"));
    cr_expect_eq(ex[4].subcategory, tax_node_find(tax, "products.robots"));
    cr_expect_null(ex[7].subcategory);
    cr_expect_str_eq(ex[0].field[MODEL_FIELD_TITLE_EN],
                     "Technical requirements for neural network processor chips");
    cr_expect_null(ex[1].field[MODEL_FIELD_SCOPE]);
    cr_expect_eq(strlen(sha), 64);
}

static int read_lines(const char *text, struct stdtax_error *err)
{
    char path[] = "/tmp/stdtax-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct model_example *e = NULL;
    size_t n = 0;
    int rc = model_examples_read(path, tax, &e, &n, NULL, err);
    model_examples_free(e, n);
    unlink(path);
    return rc;
}

Test(model, bad_example_lines_name_the_line)
{
    static const struct {
        const char *text;
        int rc;
        const char *line;
    } rows[] = {
        {"{\"title\": \"x\", \"category\": \"infra\"}\n{\"title\": \"y\"}\n",
         STDTAX_EINVAL, ":2"},
        {"{\"title\": \"x\", \"category\": \"infra.chips\"}\n", STDTAX_EINVAL, ":1"},
        {"{\"title\": \"x\", \"category\": \"infra\", \"subcategory\": "
         "\"industry.transport\"}\n",
         STDTAX_EINVAL, ":1"},
        {"{\"title\": 5, \"category\": \"infra\"}\n", STDTAX_EINVAL, ":1"},
        {"{\"category\": \"infra\"}\n", STDTAX_EINVAL, ":1"},
        {"\n\n{\"title\": \"x\", \n", STDTAX_EPARSE, ":3"},
        {"[1]\n", STDTAX_EINVAL, ":1"},
        {"{\"title\": \"x\", \"category\": \"infra\", \"code\": 7}\n", STDTAX_EINVAL,
         ":1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct stdtax_error err = {0};
        cr_expect_eq(read_lines(rows[i].text, &err), rows[i].rc, "row %zu: %s", i,
                     err.text);
        const char *colon = strrchr(err.field, ':');
        cr_expect(colon && strcmp(colon, rows[i].line) == 0, "row %zu: field %s", i,
                  err.field);
    }
}

static struct model *train(const struct model_config *cfg)
{
    struct model *m = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(model_train(tax, ex, n_ex, cfg, "fixture-train.jsonl", sha, &m, &err), 0,
                 "%s", err.text);
    return m;
}

static void score(const struct model *m, const char *title, double *logp)
{
    struct norm_text nt;
    struct stdtax_error err;
    cr_assert_eq(norm_text_new(title, strlen(title), &nt, &err), 0);
    const struct norm_text *fields[MODEL_FIELD_COUNT] = {&nt, NULL, NULL, NULL};
    double n_feat = -1;
    cr_assert_eq(model_text_score(m, fields, logp, &n_feat), 0);
    cr_expect_gt(n_feat, 0);
    norm_text_free(&nt);
}

Test(model, predicts_its_training_examples)
{
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = train(&cfg);
    double *logp = calloc(tax->n_nodes, sizeof *logp);
    for (size_t i = 0; i < n_ex; i++) {
        score(m, ex[i].field[MODEL_FIELD_TITLE], logp);
        size_t best = SIZE_MAX;
        double sum = 0;
        for (size_t k = 0; k < tax->n_nodes; k++) {
            if (tax->nodes[k].depth != 0)
                continue;
            cr_expect_leq(logp[k], 0.0);
            if (isfinite(logp[k]))
                sum += exp(logp[k]);
            if (best == SIZE_MAX || logp[k] > logp[best])
                best = k;
        }
        cr_expect_float_eq(sum, 1.0, 1e-9, "example %zu: probabilities sum to 1", i);
        cr_expect_eq(best, ex[i].category->index, "example %zu: %s", i,
                     ex[i].field[MODEL_FIELD_TITLE]);
    }
    free(logp);
    model_free(m);
}

/* The model through a file and back. */
static struct model *save_and_load(const struct model *m)
{
    char path[] = "/tmp/stdtax-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct stdtax_error err = {0};
    cr_assert_eq(model_file_save(m, path, &err), 0, "%s", err.text);
    struct model *c = NULL;
    cr_assert_eq(model_file_load(path, tax, &c, &err), 0, "%s: %s", err.field, err.text);
    unlink(path);
    return c;
}

Test(model, training_is_deterministic_and_round_trips)
{
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *a = train(&cfg), *b = train(&cfg);
    json_t *ja = model_to_json(a), *jb = model_to_json(b);
    char *sa = json_dumps(ja, JSON_COMPACT | JSON_SORT_KEYS);
    char *sb = json_dumps(jb, JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect_str_eq(sa, sb);
    cr_expect_str_eq(model_version(a), model_version(b));
    cr_expect_eq(strncmp(model_version(a), "nb1-", 4), 0);

    struct model *c = save_and_load(a);
    cr_expect_str_eq(model_version(c), model_version(a));
    json_t *jc = model_to_json(c);
    cr_expect(json_equal(ja, jc));
    const char *title = "汽车芯片传感器";
    double *la = calloc(tax->n_nodes, sizeof *la), *lc = calloc(tax->n_nodes, sizeof *lc);
    score(a, title, la);
    score(c, title, lc);
    for (size_t k = 0; k < tax->n_nodes; k++)
        cr_expect(la[k] == lc[k], "node %zu: %g vs %g", k, la[k], lc[k]);
    free(la);
    free(lc);
    free(sa);
    free(sb);
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    model_free(a);
    model_free(b);
    model_free(c);
}

Test(model, recorded_config_and_source)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.ngram_min = 2;
    cfg.alpha = 0.5;
    struct model *m = train(&cfg);
    cr_expect_eq(model_config_get(m)->ngram_min, 2);
    json_t *j = model_to_json(m);
    cr_expect_str_eq(json_string_value(json_object_get(j, "taxonomy_version")),
                     "fixture.1");
    json_t *tr = json_object_get(j, "training");
    cr_expect_str_eq(json_string_value(json_object_get(tr, "sha256")), sha);
    cr_expect_eq(json_integer_value(json_object_get(tr, "examples")), 10);
    cr_expect_float_eq(
        json_real_value(json_object_get(json_object_get(j, "config"), "alpha")), 0.5,
        1e-12);
    /* No feature is a single character when n-grams start at 2 (words aside). */
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "features"), i, row)
    {
        const char *g = json_string_value(json_array_get(row, 0));
        if (strncmp(g, "w:", 2) != 0)
            cr_expect_gt(strlen(g), 1, "feature %s", g);
    }
    json_decref(j);
    model_free(m);
}

Test(model, load_refuses_another_taxonomy_or_a_broken_file)
{
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = train(&cfg);
    struct stdtax_error err = {0};
    struct model *out = NULL;
    json_t *j = model_to_json(m);
    json_object_set_new(j, "taxonomy_version", json_string("other.1"));
    cr_expect_eq(load_from_json(j, tax, &out, &err), STDTAX_EVERSION);
    cr_expect_str_eq(err.field, "/taxonomy_version");
    json_decref(j);

    j = model_to_json(m);
    json_t *classes = json_object_get(
        json_object_get(json_object_get(j, "levels"), "category"), "classes");
    json_array_set_new(classes, 0, json_string("nope"));
    cr_expect_eq(load_from_json(j, tax, &out, &err), STDTAX_EVERSION);
    json_decref(j);

    j = model_to_json(m);
    json_array_set_new(json_object_get(j, "features"), 0, json_string("x"));
    cr_expect_eq(load_from_json(j, tax, &out, &err), STDTAX_EINVAL);
    json_decref(j);

    j = model_to_json(m);
    json_object_set_new(j, "format_version", json_integer(99));
    cr_expect_eq(load_from_json(j, tax, &out, &err), STDTAX_EVERSION);
    json_decref(j);
    cr_expect_null(out);

    cr_expect_eq(model_file_load("/nonexistent/model.json", tax, &out, &err),
                 STDTAX_ENOTFOUND);
    model_free(m);
}

/* text written to a temporary file and loaded; returns the status. */
static int load_text(const char *text, struct model **out, struct stdtax_error *err)
{
    char path[] = "/tmp/stdtax-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    int rc = model_file_load(path, tax, out, err);
    unlink(path);
    return rc;
}

/* The one loader reads the layout whatever the white space and escapes (what jansson or
 * Python write when they rewrite the file), and refuses everything else with the line,
 * the column and the JSON pointer of what is wrong. */
Test(model, file_load_reads_the_layout_in_any_spacing)
{
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = train(&cfg);
    json_t *j = model_to_json(m);
    const size_t flags[] = {JSON_COMPACT | JSON_SORT_KEYS,
                            JSON_INDENT(3) | JSON_SORT_KEYS,
                            JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_SORT_KEYS};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *text = json_dumps(j, flags[i]);
        struct model *c = NULL;
        struct stdtax_error err = {0};
        cr_assert_eq(load_text(text, &c, &err), 0, "layout %zu: %s", i, err.text);
        json_t *jc = model_to_json(c);
        cr_expect(json_equal(j, jc), "layout %zu", i);
        cr_expect_str_eq(model_version(c), model_version(m));
        json_decref(jc);
        model_free(c);
        free(text);
    }
    json_decref(j);
    model_free(m);
}

/* text with the first occurrence of from replaced by to (new). */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "%s", from);
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n);
    cr_assert_not_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

Test(model, file_load_refuses_another_layout_naming_where)
{
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = train(&cfg);
    json_t *j = model_to_json(m);
    /* Broken rows: the status and the pointer of the row. */
    json_t *broken[5];
    for (int k = 0; k < 5; k++)
        broken[k] = json_deep_copy(j);
    json_t *row = json_array_get(json_object_get(broken[0], "features"), 2);
    json_array_set_new(row, 0, json_integer(7)); /* gram not a string */
    row = json_array_get(json_object_get(broken[1], "features"), 3);
    json_array_set_new(json_array_get(row, 1), 0,
                       json_pack("[i, i]", 0, 0)); /* count 0 */
    row = json_array_get(json_object_get(broken[2], "features"), 4);
    json_array_append_new(json_array_get(row, 1),
                          json_pack("[i, i]", 999, 1)); /* class */
    row = json_array_get(json_object_get(broken[3], "features"), 5);
    json_array_append_new(json_array_get(row, 2), json_pack("[f, i]", 1.5, 1)); /* real */
    row = json_array_get(json_object_get(broken[4], "features"), 6);
    json_array_set_new(row, 0, json_string("w:a b")); /* no feature: a space */
    static const char *const pointer[] = {"/features/2", "/features/3", "/features/4",
                                          "/features/5", "/features/6"};
    for (int k = 0; k < 5; k++) {
        struct model *c = NULL;
        struct stdtax_error err = {0};
        char *text = json_dumps(broken[k], JSON_INDENT(1) | JSON_SORT_KEYS);
        cr_expect_eq(load_text(text, &c, &err), STDTAX_EINVAL, "case %d: %s", k,
                     err.text);
        cr_expect_str_eq(err.field, pointer[k], "case %d", k);
        /* Indented, a row is far below the first line. */
        cr_expect_not_null(strstr(err.text, "model file: line "), "%s", err.text);
        cr_expect_null(strstr(err.text, "line 1,"), "%s", err.text);
        cr_expect_null(c);
        free(text);
        json_decref(broken[k]);
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    struct model *c = NULL;
    struct stdtax_error err = {0};
    /* Members out of order, twice, unknown or missing: another layout. */
    char *bad = json_dumps(j, JSON_COMPACT);
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    free(bad);
    bad = replaced(text, "{", "{\"features\":[],");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    cr_expect_not_null(strstr(err.text, "\"features\" where \"calibration\" belongs"),
                       "%s", err.text);
    free(bad);
    bad = replaced(text, "\"training\":", "\"trained\":1,\"training\":");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    free(bad);
    bad = replaced(text, "\"other_threshold\":0.0,", "");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    cr_expect_str_eq(err.field, "");
    free(bad);
    bad = replaced(text, "\"words\":true", "\"words\":1");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    cr_expect_str_eq(err.field, "/config/words");
    free(bad);
    bad = replaced(text, "\"ngram_max\":3", "\"ngram_max\":4");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    cr_expect_str_eq(err.field, "/config/ngram_max");
    free(bad);
    bad = replaced(text, "\"alpha\":0.1", "\"alpha\":1e999");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    free(bad);
    bad = replaced(text, "\"examples\":10", "\"examples\":12345678901234567890");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    cr_expect_str_eq(err.field, "/training/examples");
    free(bad);
    bad = replaced(text, "\"model_version\":\"nb1-", "\"model_version\":\"nb1-x");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EINVAL, "%s", err.text);
    free(bad);
    /* Not JSON: text after the object, a number JSON does not have, a cut file. */
    bad = malloc(strlen(text) + 3);
    cr_assert_not_null(bad);
    sprintf(bad, "%s x", text);
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EPARSE, "%s", err.text);
    free(bad);
    /* A byte order mark: the message names the byte, and stays valid UTF-8. */
    bad = malloc(strlen(text) + 4);
    cr_assert_not_null(bad);
    sprintf(bad, "\xef\xbb\xbf%s", text);
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EPARSE, "%s", err.text);
    cr_expect_not_null(strstr(err.text, "byte 0xef"), "%s", err.text);
    cr_expect_eq(utf8_text_validate(err.text, strlen(err.text), NULL), 0);
    free(bad);
    bad = replaced(text, ",1]", ",01]");
    cr_expect_eq(load_text(bad, &c, &err), STDTAX_EPARSE, "%s", err.text);
    free(bad);
    size_t len = strlen(text);
    for (size_t cut = 0; cut < len; cut += len / 7 + 1) {
        bad = strndup(text, cut);
        cr_expect_eq(load_text(bad, &c, &err), STDTAX_EPARSE, "cut at %zu: %s", cut,
                     err.text);
        free(bad);
    }
    cr_expect_null(c);
    free(text);
    json_decref(j);
    model_free(m);
}

Test(model, taxonomy_terms_give_unseen_classes_a_vocabulary)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.taxonomy_weight = 3;
    struct model *with = train(&cfg);
    double *lw = calloc(tax->n_nodes, sizeof *lw);
    /* "medical" appears in no training example, only in the taxonomy's terms. */
    const char *title = "medical";
    score(with, title, lw);
    size_t best = SIZE_MAX;
    for (size_t k = 0; k < tax->n_nodes; k++)
        if (tax->nodes[k].depth == 1 && (best == SIZE_MAX || lw[k] > lw[best]))
            best = k;
    cr_expect_str_eq(tax->nodes[best].code, "industry.healthcare");
    free(lw);
    model_free(with);
}

Test(model, a_title_en_equal_to_the_title_counts_once)
{
    const char *a = "Sensor  fusion, interface", *b = "SENSOR fusion interface";
    struct norm_text nt[MODEL_FIELD_COUNT];
    struct stdtax_error err;
    cr_assert_eq(norm_text_new(a, strlen(a), &nt[MODEL_FIELD_TITLE], &err), 0);
    cr_assert_eq(norm_text_new(b, strlen(b), &nt[MODEL_FIELD_TITLE_EN], &err), 0);
    int have[MODEL_FIELD_COUNT] = {1, 1, 0, 0};
    model_fields_dedupe(nt, have);
    cr_expect_eq(have[MODEL_FIELD_TITLE], 1);
    cr_expect_eq(have[MODEL_FIELD_TITLE_EN], 0);
    norm_text_free(&nt[MODEL_FIELD_TITLE_EN]);
    b = "Sensor fusion interfaces";
    cr_assert_eq(norm_text_new(b, strlen(b), &nt[MODEL_FIELD_TITLE_EN], &err), 0);
    have[MODEL_FIELD_TITLE_EN] = 1;
    model_fields_dedupe(nt, have);
    cr_expect_eq(have[MODEL_FIELD_TITLE_EN], 1);
    norm_text_free(&nt[MODEL_FIELD_TITLE]);
    norm_text_free(&nt[MODEL_FIELD_TITLE_EN]);

    /* In training: the example's words are counted with the title's weight only. */
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.taxonomy_weight = 0;
    struct model *m = train(&cfg);
    json_t *j = model_to_json(m);
    size_t i;
    json_t *row;
    json_int_t fusion = -1;
    json_array_foreach(json_object_get(j, "features"), i, row)
    {
        if (strcmp(json_string_value(json_array_get(row, 0)), "w:fusion") == 0)
            fusion = json_integer_value(
                json_array_get(json_array_get(json_array_get(row, 1), 0), 1));
    }
    cr_expect_eq(fusion, (json_int_t)cfg.field_weight[MODEL_FIELD_TITLE]);
    json_decref(j);
    model_free(m);
}

/* One known bigram, scored by hand from the counts in the model file: multinomial naive
 * Bayes, and the complement form (Rennie et al. 2003) the classifier uses by default. */
Test(model, scores_follow_the_formulas)
{
    for (int complement = 0; complement < 2; complement++) {
        struct model_config cfg;
        model_config_default(&cfg);
        cfg.complement = complement;
        cfg.words = 0;
        struct model *m = train(&cfg);
        json_t *j = model_to_json(m);
        const json_t *lv = json_object_get(json_object_get(j, "levels"), "category");
        const json_t *classes = json_object_get(lv, "classes");
        size_t nc = json_array_size(classes),
               V = json_array_size(json_object_get(j, "features"));
        double alpha = cfg.alpha, f = cfg.field_weight[MODEL_FIELD_TITLE];
        double *cnt = calloc(nc, sizeof *cnt), t = 0, all = 0, docs = 0;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(j, "features"), i, row)
        {
            if (strcmp(json_string_value(json_array_get(row, 0)), "芯片") != 0)
                continue;
            size_t k;
            json_t *e;
            json_array_foreach(json_array_get(row, 1), k, e)
            {
                cnt[json_integer_value(json_array_get(e, 0))] =
                    (double)json_integer_value(json_array_get(e, 1));
                t += (double)json_integer_value(json_array_get(e, 1));
            }
        }
        cr_assert_gt(t, 0, "the fixture knows 芯片");
        for (size_t c = 0; c < nc; c++) {
            all += (double)json_integer_value(
                json_array_get(json_object_get(lv, "tokens"), c));
            docs += (double)json_integer_value(
                json_array_get(json_object_get(lv, "docs"), c));
        }
        double *want = calloc(nc, sizeof *want);
        for (size_t c = 0; c < nc; c++) {
            double tok = (double)json_integer_value(
                json_array_get(json_object_get(lv, "tokens"), c));
            double d = (double)json_integer_value(
                json_array_get(json_object_get(lv, "docs"), c));
            want[c] = log((d + 1) / (docs + (double)nc));
            if (complement)
                want[c] += f * (log(t + alpha) - log(t - cnt[c] + alpha)) +
                           f * log(all - tok + alpha * (double)V);
            else
                want[c] += f * (log(cnt[c] + alpha) - log(tok + alpha * (double)V));
        }
        double *logp = calloc(tax->n_nodes, sizeof *logp);
        score(m, "芯片", logp);
        const struct tax_node *c0 =
            tax_node_find(tax, json_string_value(json_array_get(classes, 0)));
        for (size_t c = 1; c < nc; c++) {
            const struct tax_node *node =
                tax_node_find(tax, json_string_value(json_array_get(classes, c)));
            /* log P differs from the score by one constant per level. */
            cr_expect_float_eq(logp[node->index] - logp[c0->index], want[c] - want[0],
                               1e-5, "complement %d class %zu", complement, c);
        }
        cr_expect_eq(
            json_is_true(json_object_get(json_object_get(j, "config"), "complement")),
            complement);
        free(logp);
        free(want);
        free(cnt);
        json_decref(j);
        model_free(m);
    }
}

/* Votes of the k nearest training examples for a title; returns their sum per level. */
static void nn_score(const struct model *m, const char *title, unsigned k, double *votes,
                     double sum[2])
{
    struct norm_text nt;
    struct stdtax_error err;
    cr_assert_eq(norm_text_new(title, strlen(title), &nt, &err), 0);
    const struct norm_text *fields[MODEL_FIELD_COUNT] = {&nt, NULL, NULL, NULL};
    double *logp = calloc(tax->n_nodes, sizeof *logp);
    cr_assert_eq(model_text_score_nn(m, fields, logp, NULL, k, votes), 0);
    sum[0] = sum[1] = 0;
    for (size_t i = 0; i < tax->n_nodes; i++) {
        cr_expect_geq(votes[i], 0.0);
        sum[tax->nodes[i].depth] += votes[i];
    }
    free(logp);
    norm_text_free(&nt);
}

Test(model, neighbours_vote_with_the_most_similar_examples)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.nn_max_df = 1.0;
    double *v = calloc(tax->n_nodes, sizeof *v), sum[2];
    const struct tax_node *ind = tax_node_find(tax, "industry"),
                          *tr = tax_node_find(tax, "industry.transport");

    /* Without the option the model keeps no examples and nobody votes. */
    struct model *plain = train(&cfg);
    cr_expect_not(model_has_neighbours(plain));
    nn_score(plain, "城市道路交通信号控制系统", 3, v, sum);
    cr_expect(sum[0] == 0 && sum[1] == 0);
    model_free(plain);

    cfg.neighbours = 1;
    struct model *m = train(&cfg);
    cr_assert(model_has_neighbours(m));
    /* k = 1: the training example itself (cosine 1) takes every vote of both levels. */
    nn_score(m, "城市道路交通信号控制系统", 1, v, sum);
    cr_expect_float_eq(v[ind->index], 1.0, 1e-9);
    cr_expect_float_eq(v[tr->index], 1.0, 1e-9);
    /* k = 3: shares of each level sum to 1, the nearest still ahead. */
    nn_score(m, "城市道路交通信号控制系统", 3, v, sum);
    cr_expect_float_eq(sum[0], 1.0, 1e-9);
    cr_expect_float_eq(sum[1], 1.0, 1e-9);
    cr_expect_gt(v[tr->index], 0.5);
    /* A text sharing no n-gram with any example: no votes. */
    nn_score(m, "qqqq zzzz", 3, v, sum);
    cr_expect(sum[0] == 0 && sum[1] == 0);
    /* k = 0: off. */
    nn_score(m, "城市道路交通信号控制系统", 0, v, sum);
    cr_expect(sum[0] == 0 && sum[1] == 0);
    /* The example without a subcategory votes only at the top level. */
    nn_score(m, "会议纪要格式", 1, v, sum);
    cr_expect_float_eq(v[tax_node_find(tax, "other")->index], 1.0, 1e-9);
    cr_expect(sum[1] == 0);
    free(v);
    model_free(m);
}

Test(model, neighbours_round_trip_and_are_checked_on_load)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.neighbours = 1;
    struct model *m = train(&cfg);
    struct stdtax_error err = {0};
    struct model *c = NULL;
    json_t *j = model_to_json(m);
    cr_assert_eq(load_from_json(j, tax, &c, &err), 0, "%s: %s", err.field, err.text);
    double *va = calloc(tax->n_nodes, sizeof *va), *vc = calloc(tax->n_nodes, sizeof *vc);
    double sa[2], sc[2];
    nn_score(m, "汽车芯片传感器", 3, va, sa);
    nn_score(c, "汽车芯片传感器", 3, vc, sc);
    for (size_t k = 0; k < tax->n_nodes; k++)
        cr_expect(va[k] == vc[k], "node %zu: %g vs %g", k, va[k], vc[k]);
    model_free(c);
    json_decref(j);

    static const char *const broken[] = {
        "[99, -1, [0, 1]]",      /* no such category class */
        "[0, 999, [0, 1]]",      /* no such subcategory class */
        "[0, -1, [3, 1, 2, 1]]", /* features out of order */
        "[0, -1, [0, 0]]",       /* count 0 */
        "[0, -1, [0]]",          /* odd pairs */
        "[0, -1, [99999999, 1]]" /* no such feature */
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        j = model_to_json(m);
        json_array_set_new(json_object_get(j, "neighbours"), 0,
                           json_loads(broken[i], 0, NULL));
        c = NULL;
        cr_expect_eq(load_from_json(j, tax, &c, &err), STDTAX_EINVAL, "%s", broken[i]);
        cr_expect_str_eq(err.field, "/neighbours/0");
        cr_expect_null(c);
        json_decref(j);
    }
    /* Examples without the config saying so, and the config without examples. */
    j = model_to_json(m);
    json_object_set_new(json_object_get(j, "config"), "neighbours", json_false());
    cr_expect_eq(load_from_json(j, tax, &c, &err), STDTAX_EINVAL);
    json_object_set_new(json_object_get(j, "config"), "neighbours", json_true());
    json_object_del(j, "neighbours");
    cr_expect_eq(load_from_json(j, tax, &c, &err), STDTAX_EINVAL);
    json_decref(j);
    free(va);
    free(vc);
    model_free(m);
}

/* ---- logistic regression (config lr) ----------------------------------------------- */

static void score_raw(const struct model *m, const char *title, double *raw, double *t)
{
    struct norm_text nt;
    struct stdtax_error err;
    cr_assert_eq(norm_text_new(title, strlen(title), &nt, &err), 0);
    const struct norm_text *fields[MODEL_FIELD_COUNT] = {&nt, NULL, NULL, NULL};
    cr_assert_eq(model_text_score_raw(m, fields, raw, t), 0);
    norm_text_free(&nt);
}

static struct model *train_on(const struct model_example *e, size_t n,
                              const struct model_config *cfg)
{
    struct model *m = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(model_train(tax, e, n, cfg, NULL, NULL, &m, &err), 0, "%s", err.text);
    return m;
}

/* Four texts in two categories, told apart only by one word each, and a word they all
 * share: the regression alone (no taxonomy documents, no penalty) puts every one of
 * them, and a new text with the telling word, in its category with high probability
 * (with all weights at 0 it would say 0.5). */
Test(model, logistic_regression_separates_a_tiny_set)
{
    static const char *const titles[] = {"alpha common", "alpha alpha common",
                                         "beta common", "common beta beta"};
    const struct tax_node *infra = tax_node_find(tax, "infra"),
                          *prod = tax_node_find(tax, "products");
    struct model_example e[4];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 4; i++) {
        e[i].field[MODEL_FIELD_TITLE] = (char *)titles[i];
        e[i].category = i < 2 ? infra : prod;
    }
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.taxonomy_weight = 0;
    cfg.ngram_min = cfg.ngram_max = 1; /* few features; words do the work */
    cfg.lr = 1;
    cfg.lr_l2 = 0;
    cfg.lr_blend = 1;
    struct model *m = train_on(e, 4, &cfg);
    double *logp = calloc(tax->n_nodes, sizeof *logp);
    static const char *const probe[] = {"alpha common", "alpha alpha common",
                                        "beta common", "common beta beta", "alpha"};
    for (int i = 0; i < 5; i++) {
        score(m, probe[i], logp);
        const struct tax_node *want = i < 2 || i == 4 ? infra : prod;
        cr_expect_gt(exp(logp[want->index]), 0.9, "%s: P = %g", probe[i],
                     exp(logp[want->index]));
    }
    free(logp);
    model_free(m);
}

/* The regression's per-n-gram score, by hand from the model file: one known bigram in
 * the title (weight f, so T = f) scores f * (w_cg + b_c), with w_cg = 0 where the class
 * has no entry for g; and a blend rho mixes it with the naive Bayes' raw score. */
Test(model, logistic_regression_scores_follow_the_formula_and_blend)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.words = 0;
    cfg.lr = 1;
    cfg.lr_blend = 1;
    struct model *m = train(&cfg);
    json_t *j = model_to_json(m);
    const json_t *lv = json_object_get(json_object_get(j, "levels"), "category");
    const json_t *classes = json_object_get(lv, "classes"),
                 *bias = json_object_get(lv, "lr_bias");
    size_t nc = json_array_size(classes);
    cr_assert_eq(json_array_size(bias), nc);
    double *w = calloc(nc, sizeof *w), f = cfg.field_weight[MODEL_FIELD_TITLE];
    size_t i, k;
    json_t *row, *e;
    int found = 0;
    json_array_foreach(json_object_get(j, "features"), i, row)
    {
        if (strcmp(json_string_value(json_array_get(row, 0)), "芯片") != 0)
            continue;
        found = 1;
        json_array_foreach(json_array_get(row, 1), k, e)
        {
            cr_assert_eq(json_array_size(e), 3, "[class, count, weight]");
            w[json_integer_value(json_array_get(e, 0))] =
                json_number_value(json_array_get(e, 2));
        }
    }
    cr_assert(found, "the fixture knows 芯片");
    double *raw = calloc(tax->n_nodes, sizeof *raw), t = 0;
    score_raw(m, "芯片", raw, &t);
    cr_expect_float_eq(t, f, 1e-12);
    double spread = 0;
    for (size_t c = 0; c < nc; c++) {
        const struct tax_node *node =
            tax_node_find(tax, json_string_value(json_array_get(classes, c)));
        double want = f * (w[c] + json_number_value(json_array_get(bias, c)));
        cr_expect_float_eq(raw[node->index], want, 1e-5, "class %zu", c);
        spread += fabs(w[c]);
    }
    cr_expect_gt(spread, 0.1, "the regression learned weights for 芯片");

    /* rho = 0.5: half the naive Bayes' raw score plus half the regression's. */
    cfg.lr_blend = 0.5;
    struct model *half = train(&cfg);
    cfg.lr = 0;
    struct model *nb = train(&cfg);
    double *rh = calloc(tax->n_nodes, sizeof *rh), *rn = calloc(tax->n_nodes, sizeof *rn);
    const char *text = "汽车芯片传感器";
    score_raw(m, text, raw, &t);
    score_raw(half, text, rh, &t);
    score_raw(nb, text, rn, &t);
    for (size_t c = 0; c < tax->n_nodes; c++)
        if (isfinite(rn[c]))
            cr_expect_float_eq(rh[c], 0.5 * rn[c] + 0.5 * raw[c], 1e-4, "node %zu", c);
    free(rh);
    free(rn);
    model_free(half);
    model_free(nb);
    free(raw);
    free(w);
    json_decref(j);
    model_free(m);
}

Test(model, logistic_regression_is_deterministic_and_round_trips)
{
    struct model_config cfg;
    model_config_default(&cfg);
    cfg.lr = 1;
    cfg.lr_blend = 0.5;
    struct model *a = train(&cfg), *b = train(&cfg);
    cr_expect_str_eq(model_version(a), model_version(b));
    json_t *ja = model_to_json(a), *jb = model_to_json(b);
    cr_expect(json_equal(ja, jb));
    json_t *jc = json_object_get(ja, "config");
    cr_expect(json_is_true(json_object_get(jc, "lr")));
    cr_expect_float_eq(json_number_value(json_object_get(jc, "lr_blend")), 0.5, 1e-12);

    struct stdtax_error err = {0};
    struct model *c = save_and_load(a);
    cr_expect_str_eq(model_version(c), model_version(a));
    cr_expect(model_config_get(c)->lr);
    cr_expect_float_eq(model_config_get(c)->lr_blend, 0.5, 1e-12);
    double *la = calloc(tax->n_nodes, sizeof *la), *lc = calloc(tax->n_nodes, sizeof *lc);
    double ta, tc;
    score_raw(a, "汽车芯片传感器 城市道路交通", la, &ta);
    score_raw(c, "汽车芯片传感器 城市道路交通", lc, &tc);
    for (size_t k = 0; k < tax->n_nodes; k++)
        cr_expect(la[k] == lc[k], "node %zu: %g vs %g", k, la[k], lc[k]);

    /* Without the option nothing of it is written: older files stay as they were. */
    cfg.lr = 0;
    struct model *p = train(&cfg);
    json_t *jp = model_to_json(p);
    cr_expect_null(json_object_get(json_object_get(jp, "config"), "lr"));
    cr_expect_null(json_object_get(
        json_object_get(json_object_get(jp, "levels"), "category"), "lr_bias"));
    cr_expect_eq(
        json_array_size(json_array_get(
            json_array_get(json_array_get(json_object_get(jp, "features"), 0), 1), 0)),
        2);
    json_decref(jp);
    model_free(p);

    /* Broken: a pair where a triple is due, a missing bias, a bias without the option. */
    json_t *bad = json_deep_copy(ja);
    json_t *first = json_array_get(json_object_get(bad, "features"), 0);
    json_t *pairs = json_array_get(first, 1);
    if (json_array_size(pairs) == 0)
        pairs = json_array_get(first, 2);
    json_array_remove(json_array_get(pairs, 0), 2);
    model_free(c);
    c = NULL;
    cr_expect_eq(load_from_json(bad, tax, &c, &err), STDTAX_EINVAL);
    cr_expect_null(c);
    json_decref(bad);
    bad = json_deep_copy(ja);
    json_object_del(json_object_get(json_object_get(bad, "levels"), "subcategory"),
                    "lr_bias");
    cr_expect_eq(load_from_json(bad, tax, &c, &err), STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "/levels/subcategory");
    json_decref(bad);
    bad = json_deep_copy(ja);
    json_object_set_new(json_object_get(bad, "config"), "lr_blend", json_real(2));
    cr_expect_eq(load_from_json(bad, tax, &c, &err), STDTAX_EINVAL);
    json_decref(bad);

    free(la);
    free(lc);
    json_decref(ja);
    json_decref(jb);
    model_free(a);
    model_free(b);
    model_free(c);
}
