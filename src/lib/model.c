/* The model's lifetime, settings and accessors; see model.h and doc/classifier.md. */
#include "stdtax/model.h"

#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static const char *const field_names[MODEL_FIELD_COUNT] = {"title", "title_en", "scope",
                                                           "text"};

const char *model_field_name(enum model_field f)
{
    return (unsigned)f < MODEL_FIELD_COUNT ? field_names[f] : "?";
}

void model_config_default(struct model_config *cfg)
{
    /* Chosen by 5-fold cross-validation on the development data; see
     * tests/bench/RESULTS.md. */
    *cfg = (struct model_config){
        .ngram_min = 2, /* unigrams: no better in cross-validation, 1.5x slower */
        .ngram_max = 3,
        .words = 1,
        .alpha = 0.1,
        .uniform_prior = 0,
        .complement = 1, /* model alone: 0.63 -> 0.72 top level in 5-fold CV */
        .field_weight = {3, 2, 1, 1},
        .taxonomy_weight = 3,
        .cal_l2_scale = 0.01,
        .cal_l2_bias = 0.1,
        .cal_l2_weak = 0.001,
        .cal_weak = 1,
        .neighbours = 0, /* opt-in: +0.006 top1 in CV, 18-36 % slower (RESULTS.md) */
        .nn_max_df = 0.5,
        .nn_titles = 0,
        .lr = 0, /* opt-in: see RESULTS.md "round 4" */
        .lr_l2 = 0.001,
        .lr_terms = 1,
        .lr_iters = 300,
        .lr_blend = 1.0,
        .review_cv = 5, /* the confidence and needs_review (doc/classifier.md) */
    };
}

void model_fields_dedupe(const struct norm_text *nt, int *have)
{
    if (have[MODEL_FIELD_TITLE] && have[MODEL_FIELD_TITLE_EN] &&
        nt[MODEL_FIELD_TITLE].len == nt[MODEL_FIELD_TITLE_EN].len &&
        memcmp(nt[MODEL_FIELD_TITLE].bytes, nt[MODEL_FIELD_TITLE_EN].bytes,
               nt[MODEL_FIELD_TITLE].len) == 0)
        have[MODEL_FIELD_TITLE_EN] = 0;
}

const char *const model_level_names[LV_COUNT] = {"category", "subcategory"};

void model_free(struct model *m)
{
    if (!m)
        return;
    free(m->version);
    free(m->tax_version);
    free(m->train_file);
    free(m->train_sha);
    for (int l = 0; l < LV_COUNT; l++) {
        free(m->lv[l].node);
        free(m->lv[l].docs);
        free(m->lv[l].tokens);
        free(m->lv[l].logprior);
        free(m->lv[l].logdenom);
        free(m->lv[l].lr_bias);
        free(m->lv[l].prior_mix);
        free(m->lv[l].per_gram);
        free(m->start[l]);
        free(m->count[l]);
    }
    for (size_t i = 0; m->gram && i < m->n_feat; i++)
        free(m->gram[i]);
    free(m->gram);
    free(m->key);
    free(m->ent);
    free(m->table.slot);
    free(m->fslots);
    free(m->sent);
    free(m->dense);
    free(m->cal);
    free(m->nn_cls);
    free(m->nn_first);
    free(m->nn_feat);
    free(m->nn_count);
    free(m->prange);
    free(m->post);
    free(m);
}

int model_has_neighbours(const struct model *m)
{
    return m->n_nn > 0;
}

const struct model_cal model_cal_identity = {.scale = 1, .bias = 0, .weak = 0};

int model_calibration_set(struct model *m, const struct model_cal *cal)
{
    size_t n = m->tax->n_nodes;
    if (!m->cal)
        m->cal = calloc(n + 1, sizeof *m->cal);
    if (!m->cal)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (m->tax->nodes[i].depth != 0) {
            m->cal[i] = model_cal_identity;
            continue;
        }
        m->cal[i] = (struct model_cal){round6(cal[i].scale), round6(cal[i].bias),
                                       round6(cal[i].weak)};
    }
    return model_version_compute(m);
}

int model_calibration_get(const struct model *m, size_t node_index, struct model_cal *out)
{
    if (!m->cal || node_index >= m->tax->n_nodes) {
        *out = model_cal_identity;
        return 0;
    }
    *out = m->cal[node_index];
    return 1;
}

int model_keywords_set(struct model *m, const struct model_keywords *k)
{
    m->kw = *k;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        m->kw.field_weight[f] = round6(k->field_weight[f]);
    m->kw.other_baseline = round6(k->other_baseline);
    m->has_kw = true;
    return model_version_compute(m);
}

bool model_keywords_get(const struct model *m, struct model_keywords *out)
{
    if (m->has_kw)
        *out = m->kw;
    return m->has_kw;
}

int model_other_threshold_set(struct model *m, double t)
{
    m->other_threshold = round6(t);
    return model_version_compute(m);
}

void model_confidence_set(struct model *m, const struct model_confidence *c)
{
    m->confidence.temperature = round6(c->temperature);
    m->confidence.review_threshold = round6(c->review_threshold);
}

void model_confidence_get(const struct model *m, struct model_confidence *out)
{
    *out = m->confidence;
    if (!(out->temperature > 0)) /* a file from before the calibration */
        out->temperature = 1;
}

double model_other_threshold(const struct model *m)
{
    return m->other_threshold;
}

const char *model_version(const struct model *m)
{
    return m->version;
}

void model_training_get(const struct model *m, struct model_training *out)
{
    *out = (struct model_training){m->train_file ? m->train_file : "",
                                   m->train_sha ? m->train_sha : "", m->n_examples};
}

const struct model_config *model_config_get(const struct model *m)
{
    return &m->cfg;
}

int level_alloc(struct level *lv, size_t n)
{
    lv->n = n;
    lv->node = calloc(n + 1, sizeof *lv->node);
    lv->docs = calloc(n + 1, sizeof *lv->docs);
    lv->tokens = calloc(n + 1, sizeof *lv->tokens);
    lv->logprior = calloc(n + 1, sizeof *lv->logprior);
    lv->logdenom = calloc(n + 1, sizeof *lv->logdenom);
    lv->lr_bias = calloc(n + 1, sizeof *lv->lr_bias);
    lv->prior_mix = calloc(n + 1, sizeof *lv->prior_mix);
    lv->per_gram = calloc(n + 1, sizeof *lv->per_gram);
    return lv->node && lv->docs && lv->tokens && lv->logprior && lv->logdenom &&
                   lv->lr_bias && lv->prior_mix && lv->per_gram
               ? 0
               : STDTAX_ENOMEM;
}

char *model_strdup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int model_config_check(const struct model_config *cfg, struct stdtax_error *err)
{
    if (cfg->ngram_min < 1 || cfg->ngram_max > 3 || cfg->ngram_min > cfg->ngram_max)
        return stdtax_error_set(err, STDTAX_EINVAL, "/config", "n-grams must be 1..3");
    if (!(cfg->cal_l2_scale >= 0 && cfg->cal_l2_scale <= 100 && cfg->cal_l2_bias >= 0 &&
          cfg->cal_l2_bias <= 100))
        return stdtax_error_set(err, STDTAX_EINVAL, "/config",
                                "cal_l2_* must be in [0, 100]");
    if (!(cfg->cal_l2_weak >= 0 && cfg->cal_l2_weak <= 100))
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/cal_l2_weak",
                                "must be in [0, 100]");
    if (cfg->other_cv > 100)
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/other_cv", "at most 100");
    if (cfg->review_cv > 100)
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/review_cv", "at most 100");
    if (cfg->lr && !(cfg->lr_l2 >= 0 && cfg->lr_l2 <= 100 && cfg->lr_iters <= 100000 &&
                     cfg->lr_blend >= 0 && cfg->lr_blend <= 1))
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/lr",
                                "lr_l2 in [0, 100], lr_iters at most 100000, lr_blend "
                                "in [0, 1]");
    if (!(cfg->nn_max_df > 0 && cfg->nn_max_df <= 1))
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/nn_max_df",
                                "must be in (0, 1]");
    if (!(cfg->alpha > 0 && cfg->alpha <= 10))
        return stdtax_error_set(err, STDTAX_EINVAL, "/config/alpha",
                                "must be in (0, 10]");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (cfg->field_weight[f] > 100 || cfg->taxonomy_weight > 100)
            return stdtax_error_set(err, STDTAX_EINVAL, "/config/field_weights",
                                    "at most 100");
    return 0;
}
