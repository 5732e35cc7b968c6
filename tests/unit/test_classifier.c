#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/classifier.h"
#include "stdtax/jsonw.h"

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

static struct clf_engine *engine;

static void setup(void)
{
    struct stdtax_error err = {0};
    cr_assert_eq(
        clf_engine_load(data_path("fixture-taxonomy.json"), NULL, &engine, NULL, &err), 0,
        "%s", err.text);
}

static void teardown(void)
{
    clf_engine_free(engine);
}

TestSuite(classifier, .init = setup, .fini = teardown);

static struct clf_input input(const char *title, const char *title_en, const char *scope,
                              const char *text)
{
    struct clf_input in = {{title, title_en, scope, text}, {0}};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        in.len[f] = in.field[f] ? strlen(in.field[f]) : 0;
    return in;
}

static json_t *classify(const struct clf_engine *e, struct clf_input in)
{
    json_t *r = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_text_classify(e, &in, &r, &err), 0, "%s: %s", err.field, err.text);
    return r;
}

static const char *code_at(const json_t *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r, key), "code"));
}

/* The evidence entry for term, or NULL. */
static const json_t *evidence_for(const json_t *r, const char *term, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "evidence"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "term")), term) == 0 &&
            strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return e;
    }
    return NULL;
}

Test(classifier, result_shape_and_labels)
{
    json_t *r = classify(engine, input("服务机器人通用技术条件", NULL, NULL, NULL));
    cr_expect_str_eq(code_at(r, "category"), "products");
    cr_expect_str_eq(code_at(r, "subcategory"), "products.robots");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(r, "subcategory"), "zh")),
        "智能机器人");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(r, "category"), "en")),
        "Products and services");
    double conf = json_real_value(json_object_get(r, "confidence"));
    cr_expect(conf > 0.0 && conf <= 1.0, "confidence %g", conf);
    json_t *alts = json_object_get(r, "alternatives");
    cr_expect_gt(json_array_size(alts), 0);
    cr_expect_leq(json_array_size(alts), CLF_ALTERNATIVES_MAX);
    for (size_t i = 0; i < json_array_size(alts); i++) {
        json_t *a = json_array_get(alts, i);
        cr_expect_str_neq(json_string_value(json_object_get(a, "code")),
                          "products.robots");
        if (i > 0)
            cr_expect_geq(
                json_real_value(json_object_get(json_array_get(alts, i - 1), "score")),
                json_real_value(json_object_get(a, "score")));
    }
    cr_expect_str_eq(json_string_value(json_object_get(r, "taxonomy_version")),
                     "fixture.1");
    cr_expect(json_is_null(json_object_get(r, "model_version")));
    json_decref(r);
}

Test(classifier, evidence_offsets_point_into_the_original_text)
{
    /* Full-width "ＡＩ" (6 bytes) normalises to "ai" (2 bytes). */
    const char *title = "用于ＡＩ　Accelerator的芯片。";
    json_t *r = classify(engine, input(title, NULL, NULL, NULL));
    const json_t *e = evidence_for(r, "AI accelerator", "title");
    cr_assert_not_null(e);
    size_t off = (size_t)json_integer_value(json_object_get(e, "offset"));
    size_t len = (size_t)json_integer_value(json_object_get(e, "length"));
    cr_expect_eq(off, strlen("用于"));
    cr_expect_eq(len, strlen("ＡＩ　Accelerator"));
    cr_expect_str_eq(json_string_value(json_object_get(e, "node")), "infra.chips");
    const json_t *chip = evidence_for(r, "芯片", "title");
    cr_assert_not_null(chip);
    cr_expect_eq(json_integer_value(json_object_get(chip, "offset")),
                 (json_int_t)strlen("用于ＡＩ　Accelerator的"));
    /* The trailing "。" is not part of the match. */
    cr_expect_eq(json_integer_value(json_object_get(chip, "length")),
                 (json_int_t)strlen("芯片"));
    cr_expect_str_eq(code_at(r, "subcategory"), "infra.chips");
    json_decref(r);
}

Test(classifier, field_weights_put_title_above_scope)
{
    /* Equal term weights (1.0): the title's decides. */
    json_t *r = classify(engine, input("医疗", NULL, "机器人", NULL));
    cr_expect_str_eq(code_at(r, "subcategory"), "industry.healthcare");
    const json_t *t = evidence_for(r, "医疗", "title");
    const json_t *s = evidence_for(r, "机器人", "scope");
    cr_assert_not_null(t);
    cr_assert_not_null(s);
    cr_expect_gt(json_real_value(json_object_get(t, "weight")),
                 json_real_value(json_object_get(s, "weight")));
    json_decref(r);
    r = classify(engine, input("机器人", NULL, "医疗", NULL));
    cr_expect_str_eq(code_at(r, "subcategory"), "products.robots");
    json_decref(r);
    /* title_en sits between title and scope. */
    r = classify(engine, input(NULL, "medical", "机器人", NULL));
    cr_expect_str_eq(code_at(r, "category"), "industry");
    json_decref(r);
    r = classify(engine, input(NULL, NULL, "机器人 车辆", "medical"));
    cr_expect_str_eq(code_at(r, "category"), "products");
    json_decref(r);
}

Test(classifier, subcategory_evidence_adds_up_in_the_parent)
{
    /* vehicles alone (1.0) beats either infra subcategory (0.9, 0.8) but not both. */
    json_t *r = classify(engine, input("自动驾驶 传感器 芯片", NULL, NULL, NULL));
    cr_expect_str_eq(code_at(r, "category"), "infra");
    cr_expect_str_eq(code_at(r, "subcategory"), "infra.sensors");
    json_decref(r);
    r = classify(engine, input("自动驾驶 传感器", NULL, NULL, NULL));
    cr_expect_str_eq(code_at(r, "category"), "products");
    cr_expect_str_eq(code_at(r, "subcategory"), "products.vehicles");
    json_decref(r);
}

Test(classifier, priority_topics_follow_the_nodes)
{
    json_t *r = classify(engine, input("自动驾驶系统", NULL, NULL, NULL));
    json_t *topics = json_object_get(r, "priority_topics");
    cr_assert_eq(json_array_size(topics), 1);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_array_get(topics, 0), "code")), "driving");
    json_decref(r);
    r = classify(engine, input("医疗", NULL, NULL, NULL));
    cr_expect_eq(json_array_size(json_object_get(r, "priority_topics")), 0);
    json_decref(r);
}

Test(classifier, other_when_no_category_has_enough_evidence)
{
    json_t *r = classify(engine, input("会计核算规范", NULL, "适用于财务报表。", NULL));
    cr_expect_str_eq(code_at(r, "category"), "other");
    cr_expect(json_is_null(json_object_get(r, "subcategory")));
    cr_expect_eq(json_array_size(json_object_get(r, "evidence")), 0);
    json_decref(r);
    /* One weak word in the body is not enough either. */
    r = classify(engine, input("会计核算规范", NULL, NULL, "硬件"));
    cr_expect_str_eq(code_at(r, "category"), "other");
    json_decref(r);
}

Test(classifier, english_terms_match_whole_words_only)
{
    json_t *r = classify(engine, input(NULL, "multisensor robotics", NULL, NULL));
    cr_expect_null(evidence_for(r, "sensor", "title_en"));
    cr_expect_null(evidence_for(r, "robot", "title_en"));
    json_decref(r);
    r = classify(engine, input(NULL, "Sensor array", NULL, NULL));
    cr_expect_not_null(evidence_for(r, "sensor", "title_en"));
    json_decref(r);
}

static const char *decide_code(const struct clf_engine *e, struct clf_input in)
{
    struct clf_decision d;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_text_decide(e, &in, &d, &err), 0, "%s", err.text);
    return d.category->code;
}

static struct clf_engine *engine_with(const struct clf_params *p)
{
    struct clf_engine *e = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_engine_new(clf_engine_taxonomy(engine), NULL, p, &e, &err), 0);
    return e;
}

/* An application domain named in the title outranks the technology it uses: robots 1.0
 * against medical 1.0 would go to the earlier category (products) by file order. */
Test(classifier, industry_in_the_title_outranks_technology)
{
    cr_expect_str_eq(decide_code(engine, input("医疗机器人", NULL, NULL, NULL)),
                     "industry");
    /* Only from the title, and only for a term at least as strong as the threshold. */
    cr_expect_str_eq(decide_code(engine, input("机器人", NULL, "医疗", NULL)),
                     "products");
    struct clf_params p;
    clf_params_default(&p);
    p.precedence = 0.95;
    struct clf_engine *strict = engine_with(&p);
    cr_expect_str_eq(decide_code(strict, input("交通机器人", NULL, NULL, NULL)),
                     "products", "交通 0.9 is below 0.95: robots 1.0 wins");
    cr_expect_str_eq(decide_code(strict, input("医疗机器人", NULL, NULL, NULL)),
                     "industry");
    clf_engine_free(strict);
    p.precedence = 0;
    struct clf_engine *off = engine_with(&p);
    cr_expect_str_eq(decide_code(off, input("医疗机器人", NULL, NULL, NULL)), "products");
    clf_engine_free(off);
}

static double decide_confidence(const struct clf_engine *e, struct clf_input in)
{
    struct clf_decision d;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_text_decide(e, &in, &d, &err), 0, "%s", err.text);
    return d.confidence;
}

/* "sensors" is evidence for the term "sensor", counted once with its singular. */
Test(classifier, english_plural_matches_the_singular_term_once)
{
    json_t *r = classify(engine, input(NULL, "Sensors for robots", NULL, NULL));
    const json_t *ev = evidence_for(r, "sensor", "title_en");
    cr_assert_not_null(ev);
    cr_expect_eq(json_integer_value(json_object_get(ev, "offset")), 0);
    cr_expect_eq(json_integer_value(json_object_get(ev, "length")), 7);
    cr_expect_not_null(evidence_for(r, "robot", "title_en"));
    json_decref(r);
    cr_expect(decide_confidence(engine, input(NULL, "sensor sensors", NULL, NULL)) ==
              decide_confidence(engine, input(NULL, "sensor", NULL, NULL)));
    struct clf_params p;
    clf_params_default(&p);
    p.plurals = 0;
    struct clf_engine *off = engine_with(&p);
    r = classify(off, input(NULL, "Sensors for robots", NULL, NULL));
    cr_expect_null(evidence_for(r, "sensor", "title_en"));
    json_decref(r);
    clf_engine_free(off);
}

Test(classifier, rejects_empty_bad_and_oversized_input)
{
    static const struct {
        struct clf_input in;
        int rc;
        const char *field;
    } rows[] = {
        {{{NULL, NULL, NULL, NULL}, {0}}, STDTAX_EEMPTY, ""},
        {{{"", "", "", ""}, {0}}, STDTAX_EEMPTY, ""},
        {{{" \t\u3000", NULL, "。，！", NULL}, {5, 0, 9, 0}}, STDTAX_EEMPTY, ""},
        {{{"ok", NULL, "bad \xff byte", NULL}, {2, 0, 10, 0}}, STDTAX_EUTF8, "/scope"},
        {{{"\xc0\xaf", NULL, NULL, NULL}, {2, 0, 0, 0}}, STDTAX_EUTF8, "/title"},
        {{{"ok", "a\0b", NULL, NULL}, {2, 3, 0, 0}}, STDTAX_EUTF8, "/title_en"},
        {{{"ok", NULL, NULL, "\xed\xa0\x80"}, {2, 0, 0, 3}}, STDTAX_EUTF8, "/text"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct stdtax_error err = {0};
        json_t *r = (json_t *)1;
        cr_expect_eq(clf_text_classify(engine, &rows[i].in, &r, &err), rows[i].rc,
                     "row %zu: %s", i, err.text);
        cr_expect_null(r, "row %zu", i);
        cr_expect_str_eq(err.field, rows[i].field, "row %zu", i);
        struct clf_decision d;
        cr_expect_eq(clf_text_decide(engine, &rows[i].in, &d, &err), rows[i].rc);
    }
    char *big = malloc(CLF_BODY_MAX + 2);
    memset(big, 'a', CLF_BODY_MAX + 1);
    big[CLF_BODY_MAX + 1] = '\0';
    struct clf_input in = input("ok", NULL, big, NULL);
    struct stdtax_error err = {0};
    json_t *r;
    cr_expect_eq(clf_text_classify(engine, &in, &r, &err), STDTAX_ETOOBIG);
    cr_expect_str_eq(err.field, "/scope");
    in = input(big + CLF_BODY_MAX - CLF_TITLE_MAX, NULL, NULL, NULL);
    cr_expect_eq(clf_text_classify(engine, &in, &r, &err), STDTAX_ETOOBIG);
    cr_expect_str_eq(err.field, "/title");
    in = input("ok", NULL, big + 1, NULL); /* exactly at the limit is fine */
    cr_expect_eq(clf_text_classify(engine, &in, &r, &err), 0);
    json_decref(r);
    free(big);
}

Test(classifier, input_from_json_checks_types)
{
    json_t *o = json_pack("{s:s, s:n, s:s}", "title", "芯片", "scope", "text", "x");
    struct clf_input in;
    struct stdtax_error err = {0};
    cr_expect_eq(clf_input_from_json(o, &in, &err), 0);
    cr_expect_str_eq(in.field[MODEL_FIELD_TITLE], "芯片");
    cr_expect_null(in.field[MODEL_FIELD_SCOPE]);
    cr_expect_eq(in.len[MODEL_FIELD_TEXT], 1);
    json_object_set_new(o, "title_en", json_integer(3));
    cr_expect_eq(clf_input_from_json(o, &in, &err), STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "/title_en");
    json_decref(o);
    json_t *a = json_array();
    cr_expect_eq(clf_input_from_json(a, &in, &err), STDTAX_EINVAL);
    json_decref(a);
}

Test(classifier, deterministic_with_and_without_a_model)
{
    struct stdtax_error err = {0};
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    struct model_example *ex = NULL;
    size_t n = 0;
    cr_assert_eq(
        model_examples_read(data_path("fixture-train.jsonl"), tax, &ex, &n, NULL, &err),
        0, "%s", err.text);
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = NULL;
    cr_assert_eq(model_train(tax, ex, n, &cfg, "t", "", &m, &err), 0);
    struct clf_engine *with = NULL;
    cr_assert_eq(clf_engine_new(tax, m, NULL, &with, &err), 0);
    struct clf_input in =
        input("交通信号 芯片 传感器", "traffic sensor", "医疗机器人", NULL);
    const struct clf_engine *engines[2] = {engine, with};
    for (int k = 0; k < 2; k++) {
        json_t *a = classify(engines[k], in);
        json_t *b = classify(engines[k], in);
        char *sa = json_dumps(a, JSON_COMPACT), *sb = json_dumps(b, JSON_COMPACT);
        cr_expect_str_eq(sa, sb);
        struct clf_decision d;
        cr_assert_eq(clf_text_decide(engines[k], &in, &d, &err), 0);
        cr_expect_str_eq(d.category->code, code_at(a, "category"));
        free(sa);
        free(sb);
        json_decref(a);
        json_decref(b);
    }
    json_t *r = classify(with, in);
    cr_expect_str_eq(json_string_value(json_object_get(r, "model_version")),
                     model_version(m));
    json_decref(r);
    /* The model alone learned the training titles. */
    struct clf_params p;
    clf_params_default(&p);
    p.use_keywords = 0;
    struct clf_engine *model_only = NULL;
    cr_assert_eq(clf_engine_new(tax, m, &p, &model_only, &err), 0);
    for (size_t i = 0; i < n; i++) {
        struct clf_input ei = input(ex[i].field[0], ex[i].field[1], ex[i].field[2], NULL);
        struct clf_decision d;
        cr_assert_eq(clf_text_decide(model_only, &ei, &d, &err), 0);
        cr_expect_eq(d.category, ex[i].category, "example %zu", i);
    }
    clf_engine_free(model_only);
    clf_engine_free(with);
    model_free(m);
    model_examples_free(ex, n);
}

Test(classifier, longest_match_drops_nested_occurrences)
{
    struct clf_params p;
    clf_params_default(&p);
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    struct stdtax_error err = {0};
    for (int longest = 0; longest <= 1; longest++) {
        p.longest_match = longest;
        struct clf_engine *e = NULL;
        cr_assert_eq(clf_engine_new(tax, NULL, &p, &e, &err), 0);
        json_t *r = classify(e, input("交通信号灯", NULL, NULL, NULL));
        cr_expect_not_null(evidence_for(r, "交通信号", "title"));
        if (longest)
            cr_expect_null(evidence_for(r, "交通", "title"), "inside 交通信号");
        else
            cr_expect_not_null(evidence_for(r, "交通", "title"));
        json_decref(r);
        clf_engine_free(e);
    }
}

/* Examples where sensors and transport both appear but the label is always transport:
 * the fitted calibration must learn to prefer industry evidence. */
Test(classifier, calibration_learns_category_preferences)
{
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    const struct tax_node *transport = tax_node_find(tax, "industry.transport");
    const struct tax_node *chips = tax_node_find(tax, "infra.chips");
    static const char *const titles[] = {"交通传感器",  "交通 传感器 接口",
                                         "交通 sensor", "交通传感器 标定",
                                         "芯片",        "芯片 接口"};
    struct model_example ex[6];
    memset(ex, 0, sizeof ex);
    for (size_t i = 0; i < 6; i++) {
        ex[i].field[MODEL_FIELD_TITLE] = (char *)titles[i];
        ex[i].subcategory = i < 4 ? transport : chips;
        ex[i].category = ex[i].subcategory->parent;
    }
    struct model_config cfg;
    model_config_default(&cfg);
    struct clf_params p;
    clf_params_default(&p);
    p.model_weight = p.sub_model_weight = 0; /* keywords only, but calibrated */
    p.precedence = 0;                        /* the calibration alone must learn it */
    struct model *m = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_model_train(tax, ex, 6, &cfg, &p, "t", "", &m, &err), 0, "%s",
                 err.text);
    struct model_cal cal_infra, cal_ind;
    cr_expect_eq(model_calibration_get(m, tax_node_find(tax, "infra")->index, &cal_infra),
                 1);
    model_calibration_get(m, transport->parent->index, &cal_ind);
    cr_expect_gt(cal_ind.scale, cal_infra.scale);

    struct clf_input in = input("新型交通传感器", NULL, NULL, NULL);
    struct clf_decision d;
    struct clf_engine *plain = NULL;
    cr_assert_eq(clf_engine_new(tax, NULL, &p, &plain, &err), 0);
    cr_assert_eq(clf_text_decide(plain, &in, &d, &err), 0);
    cr_expect_str_eq(d.category->code, "infra",
                     "uncalibrated: sensors 0.9 = transport 0.9,"
                     " file order decides");
    clf_engine_free(plain);
    struct clf_engine *cal = NULL;
    cr_assert_eq(clf_engine_new(tax, m, &p, &cal, &err), 0);
    cr_assert_eq(clf_text_decide(cal, &in, &d, &err), 0);
    cr_expect_str_eq(d.category->code, "industry");
    /* Saved and loaded, the calibration and its decisions stay the same. */
    char path[] = "/tmp/stdtax-cal-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(model_file_save(m, path, &err), 0);
    struct model *loaded = NULL;
    cr_assert_eq(model_file_load(path, tax, &loaded, &err), 0, "%s", err.text);
    unlink(path);
    struct model_cal cal2;
    model_calibration_get(loaded, transport->parent->index, &cal2);
    cr_expect(cal2.scale == cal_ind.scale && cal2.bias == cal_ind.bias &&
              cal2.weak == cal_ind.weak);
    cr_expect_str_eq(model_version(loaded), model_version(m));
    clf_engine_free(cal);
    model_free(loaded);
    model_free(m);
}

/* One training example per row, titles only. */
struct titled_example {
    const char *title, *code;
    bool reference;
};

static void examples_fill(const struct tax_taxonomy *tax,
                          const struct titled_example *rows, size_t n,
                          struct model_example *ex)
{
    memset(ex, 0, n * sizeof *ex);
    for (size_t i = 0; i < n; i++) {
        ex[i].field[MODEL_FIELD_TITLE] = (char *)rows[i].title;
        ex[i].subcategory = tax_node_find(tax, rows[i].code);
        ex[i].category = ex[i].subcategory->parent;
        ex[i].reference = rows[i].reference;
    }
}

/* Reference examples (another corpus, other conventions) teach the naive Bayes but
 * leave the calibration, which learns this framework's conventions, as the framework's
 * own examples make it. */
Test(classifier, reference_examples_teach_the_model_not_the_calibration)
{
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    static const struct titled_example train[] = {
        {"交通传感器", "industry.transport", false},
        {"交通 传感器 接口", "industry.transport", false},
        {"芯片 接口", "infra.chips", false},
        /* the other corpus files sensors under sensors */
        {"交通传感器 标定", "infra.sensors", true},
        {"交通 传感器 网络", "infra.sensors", true},
        {"传感器 交通 数据", "infra.sensors", true}};
    size_t n = sizeof train / sizeof train[0];
    struct model_example ex[sizeof train / sizeof train[0]];
    examples_fill(tax, train, n, ex);
    struct model_config cfg;
    model_config_default(&cfg);
    struct clf_params p;
    clf_params_default(&p);
    struct stdtax_error err = {0};
    struct model *own = NULL, *with_ref = NULL, *as_own = NULL;
    cr_assert_eq(clf_model_train(tax, ex, 3, &cfg, &p, "t", "", &own, &err), 0, "%s",
                 err.text);
    cr_assert_eq(clf_model_train(tax, ex, n, &cfg, &p, "t", "", &with_ref, &err), 0, "%s",
                 err.text);
    for (size_t i = 0; i < n; i++)
        ex[i].reference = false;
    cr_assert_eq(clf_model_train(tax, ex, n, &cfg, &p, "t", "", &as_own, &err), 0, "%s",
                 err.text);
    for (size_t c = 0; c < tax->n_roots; c++) {
        struct model_cal a, b, x;
        size_t idx = tax->roots[c]->index;
        model_calibration_get(own, idx, &a);
        model_calibration_get(with_ref, idx, &b);
        model_calibration_get(as_own, idx, &x);
        cr_expect(a.scale == b.scale && a.bias == b.bias && a.weak == b.weak,
                  "%s: the reference examples moved the calibration",
                  tax->roots[c]->code);
        if (tax->roots[c] == tax_node_find(tax, "infra"))
            cr_expect(x.bias != a.bias,
                      "labelled as the framework's own, they calibrate");
    }
    /* The naive Bayes did learn from them: sensors gain on a sensor title. */
    const char *title = "交通传感器 标定";
    struct norm_text nt;
    cr_assert_eq(norm_text_new(title, strlen(title), &nt, &err), 0);
    const struct norm_text *nf[MODEL_FIELD_COUNT] = {&nt};
    double *l_own = calloc(tax->n_nodes, sizeof *l_own);
    double *l_ref = calloc(tax->n_nodes, sizeof *l_ref);
    double t_own = 0, t_ref = 0;
    model_text_score_raw(own, nf, l_own, &t_own);
    model_text_score_raw(with_ref, nf, l_ref, &t_ref);
    size_t sensors = tax_node_find(tax, "infra.sensors")->index;
    size_t transport = tax_node_find(tax, "industry.transport")->index;
    cr_expect_gt(l_ref[sensors] - l_ref[transport], l_own[sensors] - l_own[transport]);
    free(l_own);
    free(l_ref);
    norm_text_free(&nt);
    model_free(own);
    model_free(with_ref);
    model_free(as_own);
}

/* Texts that name no node's terms (use cases, guidance, overviews) are labelled with
 * the products here (the fixture has no general-technology category): the
 * weak-evidence weight must learn to send such a text there, and texts with evidence
 * must still go where their evidence points. */
Test(classifier, calibration_learns_where_texts_without_evidence_go)
{
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    static const struct titled_example train[] = {
        {"芯片 接口", "infra.chips", false},
        {"芯片 测试", "infra.chips", false},
        {"交通 信号", "industry.transport", false},
        {"交通 调度", "industry.transport", false},
        {"用例 汇编", "products.robots", false},
        {"应用 指南 编写", "products.robots", false},
        {"概述 与 术语", "products.robots", false}};
    size_t n = sizeof train / sizeof train[0];
    struct model_example ex[sizeof train / sizeof train[0]];
    examples_fill(tax, train, n, ex);
    struct clf_params p;
    clf_params_default(&p);
    p.model_weight = p.sub_model_weight = 0; /* keywords only, but calibrated */
    double confidence[2];
    for (int weak = 0; weak < 2; weak++) {
        struct model_config cfg;
        model_config_default(&cfg);
        cfg.cal_weak = weak;
        struct model *m = NULL;
        struct clf_engine *e = NULL;
        struct stdtax_error err = {0};
        cr_assert_eq(clf_model_train(tax, ex, n, &cfg, &p, "t", "", &m, &err), 0, "%s",
                     err.text);
        struct model_cal products;
        model_calibration_get(m, tax_node_find(tax, "products")->index, &products);
        cr_expect(weak ? products.weak > 0.5 : products.weak == 0, "weak %d: %f", weak,
                  products.weak);
        cr_assert_eq(clf_engine_new(tax, m, &p, &e, &err), 0);
        struct clf_decision d;
        struct clf_input in = input("会议 纪要 格式", NULL, NULL, NULL);
        cr_assert_eq(clf_text_decide(e, &in, &d, &err), 0);
        cr_expect_str_eq(d.category->code, "products");
        confidence[weak] = d.confidence;
        in = input("芯片 封装", NULL, NULL, NULL);
        cr_assert_eq(clf_text_decide(e, &in, &d, &err), 0);
        cr_expect_str_eq(d.category->code, "infra");
        clf_engine_free(e);
        model_free(m);
    }
    cr_expect_gt(confidence[1], confidence[0] + 0.1, "%f, without: %f", confidence[1],
                 confidence[0]);
}

/* One engine, several threads at once: every thread must see the sequential results. */
static const char *const thread_titles[] = {"服务机器人通用技术条件",
                                            "自动驾驶 传感器 芯片", "医疗影像",
                                            "会计核算规范", "traffic sensor"};
#define N_TITLES (sizeof thread_titles / sizeof thread_titles[0])
static char *expected[N_TITLES];

static void *classify_many(void *arg)
{
    (void)arg;
    for (int round = 0; round < 200; round++)
        for (size_t i = 0; i < N_TITLES; i++) {
            struct clf_input in = input(thread_titles[i], NULL, "用于交通与医疗。", NULL);
            json_t *r = NULL;
            struct stdtax_error err;
            if (clf_text_classify(engine, &in, &r, &err) != 0)
                return (void *)1;
            char *s = json_dumps(r, JSON_COMPACT);
            int same = s && strcmp(s, expected[i]) == 0;
            free(s);
            json_decref(r);
            if (!same)
                return (void *)1;
        }
    return NULL;
}

Test(classifier, one_engine_many_threads)
{
    for (size_t i = 0; i < N_TITLES; i++) {
        json_t *r =
            classify(engine, input(thread_titles[i], NULL, "用于交通与医疗。", NULL));
        expected[i] = json_dumps(r, JSON_COMPACT);
        json_decref(r);
    }
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        cr_assert_eq(pthread_create(&t[k], NULL, classify_many, NULL), 0);
    for (int k = 0; k < 4; k++) {
        void *rv;
        pthread_join(t[k], &rv);
        cr_expect_null(rv, "thread %d saw a different result", k);
    }
    for (size_t i = 0; i < N_TITLES; i++)
        free(expected[i]);
}

/* The text writer gives the JSON result: its text, read back, equals it.  It writes in
 * place (after what w holds) and leaves the object open for the caller's members. */
static void expect_writer_matches(const struct clf_engine *e, struct clf_input in)
{
    struct stdtax_error err = {0};
    json_t *r = classify(e, in);
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_array_begin(&w);
    jsonw_int(&w, 1);
    cr_assert_eq(clf_text_classify_write(e, &in, &w, &err), 0, "%s", err.text);
    JSONW_KEY(&w, "caller's");
    jsonw_bool(&w, true);
    jsonw_object_end(&w);
    jsonw_array_end(&w);
    char *text;
    size_t len;
    cr_assert_eq(jsonw_finish(&w, &text, &len), 0);
    json_error_t je;
    json_t *got = json_loadb(text, len, 0, &je);
    cr_assert_not_null(got, "%s: %s", je.text, text);
    json_t *written = json_array_get(got, 1);
    cr_expect(json_is_true(json_object_get(written, "caller's")));
    json_object_del(written, "caller's");
    cr_expect(json_equal(written, r), "%s", text);
    free(text);
    json_decref(got);
    json_decref(r);
}

static const char *const writer_titles[] = {
    "交通信号 芯片 传感器",
    "Sensors for robots",
    "医疗机器人 traffic",
    "完全无关",
    "自动驾驶车辆 交通 医疗 芯片 NPU robot medical 行业应用",
    "ａｂｃ　ＮＰＵ，芯片"};

Test(classifier, writer_matches_the_json_result)
{
    struct stdtax_error err = {0};
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    struct model_example *ex = NULL;
    size_t n = 0;
    cr_assert_eq(
        model_examples_read(data_path("fixture-train.jsonl"), tax, &ex, &n, NULL, &err),
        0, "%s", err.text);
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *m = NULL;
    cr_assert_eq(clf_model_train(tax, ex, n, &cfg, NULL, "t", "", &m, &err), 0);
    struct clf_engine *with = NULL;
    cr_assert_eq(clf_engine_new(tax, m, NULL, &with, &err), 0);
    for (size_t i = 0; i < sizeof writer_titles / sizeof writer_titles[0]; i++) {
        expect_writer_matches(engine, input(writer_titles[i], NULL, NULL, NULL));
        expect_writer_matches(
            with, input(writer_titles[i], "traffic sensor", "医疗机器人 的 芯片", "NPU"));
    }
    for (size_t i = 0; i < n; i++) {
        struct clf_input in = {{NULL}, {0}};
        for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
            in.field[f] = ex[i].field[f];
            in.len[f] = ex[i].field[f] ? strlen(ex[i].field[f]) : 0;
        }
        expect_writer_matches(with, in);
    }
    /* A text that cannot be classified writes nothing. */
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    struct clf_input bad = input("\xff", NULL, NULL, NULL);
    cr_expect_eq(clf_text_classify_write(engine, &bad, &w, &err), STDTAX_EUTF8);
    cr_expect_eq(w.len, 0);
    cr_expect_eq(jsonw_error(&w), 0);
    jsonw_free(&w);
    clf_engine_free(with);
    model_free(m);
    model_examples_free(ex, n);
}

/* Labels with characters JSON must escape read back as they are. */
Test(classifier, writer_escapes_labels)
{
    json_error_t je;
    json_t *t = json_load_file(data_path("fixture-taxonomy.json"), 0, &je);
    cr_assert_not_null(t, "%s", je.text);
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(t, "nodes"), i, node)
    {
        if (strcmp(json_string_value(json_object_get(node, "code")), "products.robots") ==
            0)
            json_object_set_new(
                json_object_get(node, "labels"), "en",
                json_string("Robots \"quoted\" \\ back/slash \x01 tab\t"));
    }
    char path[] = "/tmp/stdtax-tax-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(json_dump_file(t, path, 0), 0);
    json_decref(t);
    struct clf_engine *e = NULL;
    struct stdtax_error err = {0};
    int rc = clf_engine_load(path, NULL, &e, NULL, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err.text);
    expect_writer_matches(e, input("服务机器人", NULL, NULL, NULL));
    clf_engine_free(e);
}

Test(classifier, other_threshold_is_learned_inside_training_and_applied)
{
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    const struct tax_node *transport = tax_node_find(tax, "industry.transport");
    const struct tax_node *chips = tax_node_find(tax, "infra.chips");
    const struct tax_node *other = tax_node_find(tax, "other");
    /* Texts with weak, mixed evidence labelled `other`; clear ones labelled by topic. */
    static const char *const titles[] = {
        "交通芯片",         "交通 芯片 指南", "芯片 交通 概述",   "交通与芯片",
        "城市交通信号系统", "交通流量采集",   "道路交通管理平台", "交通运输调度",
        "神经网络芯片",     "AI芯片测试方法", "芯片接口规范",     "芯片能效评估"};
    struct model_example ex[12];
    memset(ex, 0, sizeof ex);
    for (size_t i = 0; i < 12; i++) {
        ex[i].field[MODEL_FIELD_TITLE] = (char *)titles[i];
        ex[i].subcategory = i < 4 ? NULL : i < 8 ? transport : chips;
        ex[i].category = i < 4 ? other : ex[i].subcategory->parent;
    }
    struct model_config cfg;
    model_config_default(&cfg);
    struct model *plain = NULL, *m = NULL, *again = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_model_train(tax, ex, 12, &cfg, NULL, "t", "", &plain, &err), 0);
    cr_expect(model_other_threshold(plain) == 0, "not learned unless asked");
    cfg.other_cv = 3;
    cr_assert_eq(clf_model_train(tax, ex, 12, &cfg, NULL, "t", "", &m, &err), 0, "%s",
                 err.text);
    cr_assert_eq(clf_model_train(tax, ex, 12, &cfg, NULL, "t", "", &again, &err), 0);
    double t = model_other_threshold(m);
    cr_expect(t >= 0 && t <= 0.4, "one of the thresholds tried: %g", t);
    cr_expect(t == model_other_threshold(again));
    cr_expect_str_eq(model_version(m), model_version(again));
    cr_expect_str_neq(model_version(m), model_version(plain), "other_cv is recorded");
    /* Applied: under the threshold the answer is `other`. */
    cr_assert_eq(model_other_threshold_set(m, 0.9), 0);
    t = 0.9;

    struct clf_input in = input("交通 芯片", NULL, NULL, NULL);
    struct clf_decision d0, d1;
    struct clf_engine *e0 = NULL, *e1 = NULL;
    cr_assert_eq(clf_engine_new(tax, plain, NULL, &e0, &err), 0);
    cr_assert_eq(clf_engine_new(tax, m, NULL, &e1, &err), 0);
    cr_assert_eq(clf_text_decide(e0, &in, &d0, &err), 0);
    cr_assert_eq(clf_text_decide(e1, &in, &d1, &err), 0);
    cr_expect_neq(d0.category, other);
    cr_expect_lt(d0.confidence, t);
    cr_expect_eq(d1.category, other);
    cr_expect_float_eq(d1.confidence, 1.0 - d0.confidence, 1e-12);
    /* A clear text keeps its category. */
    in = input("城市道路交通信号控制", NULL, NULL, NULL);
    cr_assert_eq(clf_text_decide(e1, &in, &d1, &err), 0);
    cr_expect_str_eq(d1.category->code, "industry");

    /* Saved and loaded it stays; out of [0, 1] it is refused. */
    json_t *j = model_to_json(m);
    struct model *loaded = NULL;
    cr_assert_eq(load_from_json(j, tax, &loaded, &err), 0, "%s", err.text);
    cr_expect(model_other_threshold(loaded) == t);
    model_free(loaded);
    json_object_set_new(j, "other_threshold", json_real(1.5));
    loaded = NULL;
    cr_expect_eq(load_from_json(j, tax, &loaded, &err), STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "/other_threshold");
    json_decref(j);
    clf_engine_free(e0);
    clf_engine_free(e1);
    model_free(plain);
    model_free(m);
    model_free(again);
}

/* A calibration is fitted for the keyword settings of its training; the model records
 * them and an engine with other settings is refused, naming the setting.  Files without
 * the record (older ones) load with any settings. */
static void change_setting(struct clf_params *q, int which)
{
    switch (which) {
    case 0:
        q->longest_match = !q->longest_match;
        break;
    case 1:
        q->plurals = !q->plurals;
        break;
    case 2:
        q->field_weight[MODEL_FIELD_SCOPE] = 0.25;
        break;
    default:
        q->other_baseline = 0.75;
        break;
    }
}

Test(classifier, calibration_keeps_its_keyword_settings)
{
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    static const struct titled_example train[] = {
        {"交通传感器", "industry.transport", false}, {"芯片 接口", "infra.chips", false}};
    struct model_example ex[2];
    examples_fill(tax, train, 2, ex);
    struct model_config cfg;
    model_config_default(&cfg);
    struct clf_params p;
    clf_params_default(&p);
    struct stdtax_error err = {0};
    struct model *m = NULL;
    cr_assert_eq(clf_model_train(tax, ex, 2, &cfg, &p, "t", "", &m, &err), 0, "%s",
                 err.text);
    struct model_keywords kw;
    cr_assert(model_keywords_get(m, &kw));
    cr_expect(kw.longest_match == (p.longest_match != 0) &&
              kw.plurals == (p.plurals != 0));
    cr_expect(kw.field_weight[MODEL_FIELD_TITLE] == p.field_weight[MODEL_FIELD_TITLE]);

    struct clf_engine *e = NULL;
    cr_expect_eq(clf_engine_new(tax, m, &p, &e, &err), 0, "%s", err.text);
    clf_engine_free(e);
    cr_expect_eq(clf_engine_new(tax, m, NULL, &e, &err), 0, "defaults: %s", err.text);
    clf_engine_free(e);

    /* A model trained with other settings: without explicit parameters (the daemon,
     * stdtax classify) the engine counts keywords as the model was trained. */
    struct clf_params other = p;
    other.plurals = !p.plurals;
    other.field_weight[MODEL_FIELD_SCOPE] = 0.25;
    struct model *m2 = NULL;
    cr_assert_eq(clf_model_train(tax, ex, 2, &cfg, &other, "t", "", &m2, &err), 0, "%s",
                 err.text);
    cr_assert_eq(clf_engine_new(tax, m2, NULL, &e, &err), 0, "%s", err.text);
    cr_expect_eq(clf_engine_params(e)->plurals, other.plurals);
    cr_expect(clf_engine_params(e)->field_weight[MODEL_FIELD_SCOPE] == 0.25);
    clf_engine_free(e);
    cr_expect_eq(clf_engine_new(tax, m2, &p, &e, &err), STDTAX_EVERSION);
    model_free(m2);
    static const char *const fields[] = {
        "/calibration/keywords/longest_match", "/calibration/keywords/plurals",
        "/calibration/keywords/field_weights", "/calibration/keywords/other_baseline"};
    for (int which = 0; which < 4; which++) {
        struct clf_params q = p;
        change_setting(&q, which);
        e = NULL;
        cr_expect_eq(clf_engine_new(tax, m, &q, &e, &err), STDTAX_EVERSION, "%s",
                     fields[which]);
        cr_expect_str_eq(err.field, fields[which]);
        cr_expect_null(e);
        /* Without keywords the calibration is not used: the model alone is fine. */
        q.use_keywords = 0;
        cr_expect_eq(clf_engine_new(tax, m, &q, &e, &err), 0, "%s", err.text);
        clf_engine_free(e);
    }

    /* The record survives saving; a file without it loads and accepts any settings; a
     * malformed one is refused. */
    json_t *j = model_to_json(m);
    struct model *loaded = NULL;
    cr_assert_eq(load_from_json(j, tax, &loaded, &err), 0, "%s", err.text);
    struct model_keywords kw2;
    cr_expect(model_keywords_get(loaded, &kw2) && kw2.longest_match == kw.longest_match &&
              kw2.other_baseline == kw.other_baseline);
    model_free(loaded);
    json_t *cal = json_object_get(j, "calibration");
    json_object_set_new(cal, "keywords", json_string("yes"));
    loaded = NULL;
    cr_expect_eq(load_from_json(j, tax, &loaded, &err), STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "/calibration/keywords");
    json_object_del(cal, "keywords");
    cr_assert_eq(load_from_json(j, tax, &loaded, &err), 0, "%s", err.text);
    cr_expect_not(model_keywords_get(loaded, &kw2));
    struct clf_params q = p;
    q.longest_match = !q.longest_match;
    cr_expect_eq(clf_engine_new(tax, loaded, &q, &e, &err), 0, "%s", err.text);
    clf_engine_free(e);
    model_free(loaded);
    json_decref(j);
    model_free(m);
}
