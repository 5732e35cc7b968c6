/* N-gram extraction: the features of a normalised text, of a taxonomy node's
 * pseudo-document and of a training example; the feature-key table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "stdtax/normalise.h"

/* The key of a feature as written in the model file: "w:" + word, or 1..3 characters. */
int model_gram_key_parse(const char *g, uint64_t *key)
{
    size_t len = strlen(g);
    if (len > 2 && g[0] == 'w' && g[1] == ':') {
        *key = model_word_key(g + 2, len - 2);
        return 0;
    }
    uint64_t k = 0;
    int n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t step = utf8_char_decode(g + i, len - i, &cp);
        if (step == 0 || cp == ' ' || ++n > 3)
            return -1;
        k = k << 21 | cp;
        i += step;
    }
    if (n == 0)
        return -1;
    *key = k;
    return 0;
}

int table_init(struct table *t, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    t->slot = calloc(cap, sizeof *t->slot);
    t->mask = cap - 1;
    return t->slot ? 0 : STDTAX_ENOMEM;
}

/* Returns the slot for key: either empty or holding key. */
uint32_t *table_slot(const struct table *t, const uint64_t *keys, uint64_t key)
{
    size_t h = table_hash(key, t->mask);
    while (t->slot[h] && keys[t->slot[h] - 1] != key)
        h = (h + 1) & t->mask;
    return &t->slot[h];
}

/* The n-grams of a node's pseudo-document: its terms, each repeated in proportion to
 * its weight, and its labels.  each_part (may be NULL) is called after every term and
 * label, for callers that make each one a document of its own; its non-zero return
 * stops the walk and is returned. */
int model_node_grams(const struct model_config *cfg, const struct tax_node *node,
                     gram_fn fn, void *ctx, int (*each_part)(void *), void *part_ctx)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < node->n_terms; k++) {
        const struct tax_term *term = &node->terms[k];
        long rep = lround(term->weight * cfg->taxonomy_weight);
        model_grams_each(cfg, term->norm, strlen(term->norm), rep < 1 ? 1 : (unsigned)rep,
                         fn, ctx);
        rc = each_part ? each_part(part_ctx) : 0;
    }
    const char *labels[2] = {node->zh, node->en};
    for (int k = 0; rc == 0 && k < 2; k++) {
        char *norm = norm_string_new(labels[k]);
        if (!norm)
            return STDTAX_ENOMEM;
        model_grams_each(cfg, norm, strlen(norm), cfg->taxonomy_weight, fn, ctx);
        free(norm);
        rc = each_part ? each_part(part_ctx) : 0;
    }
    return rc;
}

/* The n-grams of a training example's fields (a title_en equal to the title once),
 * with their field weights; titles_only for the neighbour vectors of nn_titles. */
int model_example_grams(const struct model_config *cfg, const struct model_example *ex,
                        int titles_only, gram_fn fn, void *ctx, struct stdtax_error *err)
{
    struct norm_text nt[MODEL_FIELD_COUNT];
    int have[MODEL_FIELD_COUNT] = {0};
    int rc = 0;
    for (int f = 0; f < MODEL_FIELD_COUNT && rc == 0; f++) {
        if (!ex->field[f])
            continue;
        rc = norm_text_new(ex->field[f], strlen(ex->field[f]), &nt[f], err);
        have[f] = rc == 0;
        if (rc != 0 && err)
            snprintf(err->field, sizeof err->field, "%s", model_field_name(f));
    }
    if (rc == 0) {
        int use[MODEL_FIELD_COUNT];
        memcpy(use, have, sizeof use);
        model_fields_dedupe(nt, use);
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            if (use[f] && cfg->field_weight[f] > 0 &&
                (!titles_only || f == MODEL_FIELD_TITLE || f == MODEL_FIELD_TITLE_EN))
                model_grams_each(cfg, nt[f].bytes, nt[f].len, cfg->field_weight[f], fn,
                                 ctx);
    }
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (have[f])
            norm_text_free(&nt[f]);
    return rc;
}

void nn_gram(void *vctx, uint64_t key, const char *gram, size_t len, unsigned weight)
{
    (void)gram;
    (void)len;
    struct nn_acc *a = vctx;
    uint32_t slot = *table_slot(&a->m->table, a->m->key, key);
    if (!slot)
        return; /* cannot happen: every training n-gram is a feature */
    if (a->count[slot - 1] == 0)
        a->touched[a->n_touched++] = slot - 1;
    a->count[slot - 1] += weight;
}

int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}
