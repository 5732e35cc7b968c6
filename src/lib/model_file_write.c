/* The model file as JSON, and the model's version (a digest of that JSON); the format
 * is in doc/classifier.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "stdtax/sha256.h"

/* Sets m->version from the SHA-256 of the model's JSON without the version. */
int model_version_compute(struct model *m)
{
    free(m->version);
    m->version = NULL;
    json_t *j = model_to_json(m);
    if (!j)
        return STDTAX_ENOMEM;
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    if (!text)
        return STDTAX_ENOMEM;
    struct sha256_ctx c;
    char hex[65];
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, text, strlen(text));
    sha256_ctx_final_hex(&c, hex);
    free(text);
    m->version = malloc(20);
    if (!m->version)
        return STDTAX_ENOMEM;
    snprintf(m->version, 20, "nb%d-%.12s", MODEL_FORMAT_VERSION, hex);
    return 0;
}

/* ---- the model file ------------------------------------------------------------------
 */

json_t *model_to_json(const struct model *m)
{
    json_t *levels = json_object();
    for (int l = 0; l < LV_COUNT && levels; l++) {
        const struct level *lv = &m->lv[l];
        json_t *classes = json_array(), *docs = json_array(), *tokens = json_array();
        for (size_t c = 0; c < lv->n; c++) {
            json_array_append_new(classes, json_string(m->tax->nodes[lv->node[c]].code));
            json_array_append_new(docs, json_integer((json_int_t)lv->docs[c]));
            json_array_append_new(tokens, json_integer((json_int_t)lv->tokens[c]));
        }
        json_t *lj = json_pack("{s:o, s:o, s:o}", "classes", classes, "docs", docs,
                               "tokens", tokens);
        if (lj && m->cfg.lr) {
            json_t *bias = json_array();
            for (size_t c = 0; c < lv->n; c++)
                json_array_append_new(bias, json_real(lv->lr_bias[c]));
            json_object_set_new(lj, "lr_bias", bias);
        }
        json_object_set_new(levels, model_level_names[l], lj);
    }
    json_t *features = json_array();
    for (size_t f = 0; f < m->n_feat && features; f++) {
        json_t *row = json_array();
        json_array_append_new(row, json_string(m->gram[f]));
        for (int l = 0; l < LV_COUNT; l++) {
            json_t *pairs = json_array();
            const struct entry *e = m->ent + m->start[l][f];
            for (uint32_t k = 0; k < m->count[l][f]; k++)
                json_array_append_new(
                    pairs, m->cfg.lr ? json_pack("[I, I, f]", (json_int_t)e[k].cls,
                                                 (json_int_t)e[k].count, e[k].lr)
                                     : json_pack("[I, I]", (json_int_t)e[k].cls,
                                                 (json_int_t)e[k].count));
            json_array_append_new(row, pairs);
        }
        json_array_append_new(features, row);
    }
    json_t *weights = json_object();
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        json_object_set_new(weights, model_field_name(f),
                            json_integer(m->cfg.field_weight[f]));
    json_t *root = json_pack(
        "{s:s, s:i, s:s, s:{s:s, s:s, s:I}, s:{s:i, s:i, s:b, s:f, s:b, s:b, "
        "s:i, s:o}, s:o, s:o}",
        "format", "stdtax-naive-bayes", "format_version", MODEL_FORMAT_VERSION,
        "taxonomy_version", m->tax_version, "training", "file", m->train_file, "sha256",
        m->train_sha, "examples", (json_int_t)m->n_examples, "config", "ngram_min",
        m->cfg.ngram_min, "ngram_max", m->cfg.ngram_max, "words", m->cfg.words, "alpha",
        m->cfg.alpha, "uniform_prior", m->cfg.uniform_prior, "complement",
        m->cfg.complement, "taxonomy_weight", (int)m->cfg.taxonomy_weight,
        "field_weights", weights, "levels", levels, "features", features);
    if (root) {
        json_t *cal = json_null();
        if (m->cal) {
            json_t *sc = json_object(), *bi = json_object(), *we = json_object();
            for (size_t i = 0; i < m->tax->n_roots; i++) {
                const struct tax_node *c = m->tax->roots[i];
                const struct model_cal *k = &m->cal[c->index];
                json_object_set_new(sc, c->code, json_real(k->scale));
                json_object_set_new(bi, c->code, json_real(k->bias));
                json_object_set_new(we, c->code, json_real(k->weak));
            }
            cal = json_pack("{s:o, s:o, s:o}", "scale", sc, "bias", bi, "weak", we);
            if (cal && m->has_kw) {
                json_t *fw = json_object();
                for (int f = 0; f < MODEL_FIELD_COUNT; f++)
                    json_object_set_new(fw, model_field_name(f),
                                        json_real(m->kw.field_weight[f]));
                json_object_set_new(cal, "keywords",
                                    json_pack("{s:o, s:b, s:b, s:f}", "field_weights", fw,
                                              "longest_match", m->kw.longest_match,
                                              "plurals", m->kw.plurals, "other_baseline",
                                              m->kw.other_baseline));
            }
        }
        json_object_set_new(root, "calibration", cal);
        json_t *c = json_object_get(root, "config");
        json_object_set_new(c, "cal_l2_scale", json_real(m->cfg.cal_l2_scale));
        json_object_set_new(c, "cal_l2_bias", json_real(m->cfg.cal_l2_bias));
        json_object_set_new(c, "cal_l2_weak", json_real(m->cfg.cal_l2_weak));
        json_object_set_new(c, "cal_weak", json_boolean(m->cfg.cal_weak));
        json_object_set_new(c, "neighbours", json_boolean(m->cfg.neighbours));
        json_object_set_new(c, "nn_max_df", json_real(m->cfg.nn_max_df));
        json_object_set_new(c, "nn_titles", json_boolean(m->cfg.nn_titles));
        json_object_set_new(c, "other_cv", json_integer(m->cfg.other_cv));
        json_object_set_new(c, "review_cv", json_integer(m->cfg.review_cv));
        if (m->cfg.lr) { /* absent when off: such a model file did not change */
            json_object_set_new(c, "lr", json_true());
            json_object_set_new(c, "lr_l2", json_real(m->cfg.lr_l2));
            json_object_set_new(c, "lr_iters", json_integer(m->cfg.lr_iters));
            json_object_set_new(c, "lr_blend", json_real(m->cfg.lr_blend));
            json_object_set_new(c, "lr_terms", json_boolean(m->cfg.lr_terms));
        }
        json_object_set_new(root, "other_threshold", json_real(m->other_threshold));
        if (m->confidence.temperature > 0)
            json_object_set_new(root, "confidence",
                                json_pack("{s:f, s:f}", "review_threshold",
                                          m->confidence.review_threshold, "temperature",
                                          m->confidence.temperature));
        if (m->n_nn) {
            /* [category class, subcategory class or -1, [feature, count, ...]] */
            json_t *nn = json_array();
            for (size_t i = 0; i < m->n_nn; i++) {
                json_t *v = json_array();
                for (uint32_t k = m->nn_first[i]; k < m->nn_first[i + 1]; k++) {
                    json_array_append_new(v, json_integer(m->nn_feat[k]));
                    json_array_append_new(v, json_integer(m->nn_count[k]));
                }
                uint32_t sub = m->nn_cls[i * LV_COUNT + LV_SUB];
                json_array_append_new(
                    nn,
                    json_pack("[I, I, o]", (json_int_t)m->nn_cls[i * LV_COUNT],
                              sub == UINT32_MAX ? (json_int_t)-1 : (json_int_t)sub, v));
            }
            json_object_set_new(root, "neighbours", nn);
        }
    }
    if (root && m->version)
        json_object_set_new(root, "model_version", json_string(m->version));
    return root;
}

int model_file_save(const struct model *m, const char *path, struct stdtax_error *err)
{
    json_t *j = model_to_json(m);
    if (!j)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    FILE *f = fopen(path, "wb");
    if (!f) {
        json_decref(j);
        return stdtax_error_set(err, STDTAX_EIO, "", "%s: %s", path, strerror(errno));
    }
    /* Compact, sorted keys, one trailing newline: byte-identical for the same model. */
    int rc = json_dumpf(j, f, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    json_decref(j);
    if (rc == 0 && fputc('\n', f) == EOF)
        rc = -1;
    if (fclose(f) != 0 || rc != 0)
        return stdtax_error_set(err, STDTAX_EIO, "", "%s: write failed", path);
    return 0;
}
