/* Knowing when it is unsure (issue 17): the shipped model carries a confidence
 * calibration learned inside its training, every classification says whether it
 * needs review, and the calibration survives the model file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/classifier.h"
#include "stdtax/model.h"

#define TAXONOMY STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json"
#define MODEL STDTAX_SRCDIR "/taxonomy/model-2023.json"

static struct clf_input input(const char *title)
{
    struct clf_input in = {{title, NULL, NULL, NULL}, {0}};
    in.len[0] = strlen(title);
    return in;
}

Test(review, flag_is_the_confidence_under_the_models_threshold)
{
    struct clf_engine *e = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_engine_load(TAXONOMY, MODEL, &e, NULL, &err), 0, "%s", err.text);
    struct model_confidence c;
    model_confidence_get(clf_engine_model(e), &c);
    cr_assert(c.temperature > 0 && c.temperature != 1, "a temperature was learned");
    cr_assert(c.review_threshold > 0 && c.review_threshold <= 1);
    static const char *const titles[] = {"通用 规范", "自动驾驶汽车 车路协同 测试规范",
                                         "人工智能 术语", "Face recognition"};
    for (size_t i = 0; i < sizeof titles / sizeof *titles; i++) {
        struct clf_input in = input(titles[i]);
        json_t *r = NULL;
        cr_assert_eq(clf_text_classify(e, &in, &r, &err), 0);
        double conf = json_real_value(json_object_get(r, "confidence"));
        bool flagged = json_is_true(json_object_get(r, "needs_review"));
        /* the result's confidence is rounded to 4 decimals */
        if (fabs(conf - c.review_threshold) > 1e-4)
            cr_expect_eq(flagged, conf < c.review_threshold, "%s: %g against %g",
                         titles[i], conf, c.review_threshold);
        json_decref(r);
    }
    clf_engine_free(e);
}

Test(review, calibration_round_trips_and_old_files_have_none)
{
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(tax_file_load(TAXONOMY, &tax, NULL, &err), 0);
    struct model *m = NULL;
    cr_assert_eq(model_file_load(MODEL, tax, &m, &err), 0, "%s", err.text);
    struct model_confidence want = {0.5, 0.75}, got;
    model_confidence_set(m, &want);
    char path[] = "/tmp/stdtax-review-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(model_file_save(m, path, &err), 0, "%s", err.text);
    model_free(m);
    cr_assert_eq(model_file_load(path, tax, &m, &err), 0, "%s", err.text);
    model_confidence_get(m, &got);
    cr_expect_eq(got.temperature, 0.5);
    cr_expect_eq(got.review_threshold, 0.75);
    model_free(m);
    /* a file without the member: no calibration (temperature 1, nothing flagged) */
    json_t *doc = json_load_file(MODEL, 0, NULL);
    cr_assert_not_null(doc);
    json_object_del(doc, "confidence");
    json_object_del(json_object_get(doc, "config"), "review_cv");
    cr_assert_eq(json_dump_file(doc, path, JSON_COMPACT | JSON_SORT_KEYS), 0);
    json_decref(doc);
    int rc = model_file_load(path, tax, &m, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s %s", err.field, err.text);
    model_confidence_get(m, &got);
    cr_expect_eq(got.temperature, 1);
    cr_expect_eq(got.review_threshold, 0);
    model_free(m);
    tax_taxonomy_free(tax);
}
