/* The optional multinomial logistic regression over the naive Bayes' n-grams
 * (config lr); see model.h and doc/classifier.md. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* The documents of the regression: each training example and each taxonomy node with
 * evidence terms (its pseudo-document, as the naive Bayes counts it), as n-gram counts
 * over the document's weighted n-gram total T, so a class's score
 * sum_g x_g w_cg + b_c has the per-n-gram form the classifier uses for the naive
 * Bayes. */
struct lr_docs {
    size_t n, cap, used, cap_pairs;
    uint32_t *first, *cls; /* cls: n x LV_COUNT, UINT32_MAX = none */
    uint32_t *feat;
    double *x;
};

static int lr_doc_add(struct lr_docs *d, struct nn_acc *a, uint32_t cat, uint32_t sub)
{
    if (d->n + 1 >= d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 256;
        uint32_t *first = realloc(d->first, (cap + 1) * sizeof *first);
        if (first)
            d->first = first;
        uint32_t *cls = realloc(d->cls, cap * LV_COUNT * sizeof *cls);
        if (cls)
            d->cls = cls;
        if (!first || !cls)
            return STDTAX_ENOMEM;
        d->cap = cap;
    }
    if (d->used + a->n_touched > d->cap_pairs) {
        size_t cap = d->cap_pairs ? d->cap_pairs : 4096;
        while (d->used + a->n_touched > cap)
            cap *= 2;
        uint32_t *feat = realloc(d->feat, cap * sizeof *feat);
        if (feat)
            d->feat = feat;
        double *x = realloc(d->x, cap * sizeof *x);
        if (x)
            d->x = x;
        if (!feat || !x)
            return STDTAX_ENOMEM;
        d->cap_pairs = cap;
    }
    /* Ascending features: the sums below run in one order whatever the hash did. */
    qsort(a->touched, a->n_touched, sizeof *a->touched, u32_cmp);
    double total = 0;
    for (size_t k = 0; k < a->n_touched; k++)
        total += a->count[a->touched[k]];
    d->first[d->n] = (uint32_t)d->used;
    for (size_t k = 0; k < a->n_touched; k++) {
        d->feat[d->used] = a->touched[k];
        d->x[d->used++] = a->count[a->touched[k]] / total;
        a->count[a->touched[k]] = 0;
    }
    d->cls[d->n * LV_COUNT + LV_CAT] = cat;
    d->cls[d->n * LV_COUNT + LV_SUB] = sub;
    d->n++;
    d->first[d->n] = (uint32_t)d->used;
    a->n_touched = 0;
    return 0;
}

/* A taxonomy document ends here: what was collected since the last one becomes one. */
struct lr_part {
    struct lr_docs *d;
    struct nn_acc *a;
    uint32_t cat, sub;
};

static int lr_part_end(void *ctx)
{
    struct lr_part *p = ctx;
    return p->a->n_touched > 0 ? lr_doc_add(p->d, p->a, p->cat, p->sub) : 0;
}

static void lr_docs_free(struct lr_docs *d)
{
    free(d->first);
    free(d->cls);
    free(d->feat);
    free(d->x);
}

static int lr_docs_collect(struct model *m, const struct model_example *ex, size_t n,
                           const size_t *cls_index, struct lr_docs *d,
                           struct stdtax_error *err)
{
    const struct model_config *cfg = &m->cfg;
    const struct tax_taxonomy *tax = m->tax;
    struct nn_acc a = {.m = m};
    a.count = calloc(m->n_feat + 1, sizeof *a.count);
    a.touched = malloc((m->n_feat + 1) * sizeof *a.touched);
    int rc = a.count && a.touched ? 0 : STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && cfg->taxonomy_weight > 0 && i < tax->n_nodes; i++) {
        const struct tax_node *node = &tax->nodes[i];
        if (node->n_terms == 0)
            continue;
        const struct tax_node *cat = node->parent ? node->parent : node;
        struct lr_part part = {d, &a, (uint32_t)cls_index[cat->index],
                               node->parent ? (uint32_t)cls_index[node->index]
                                            : UINT32_MAX};
        rc = model_node_grams(cfg, node, nn_gram, &a, cfg->lr_terms ? lr_part_end : NULL,
                              &part);
        if (rc == 0 && !cfg->lr_terms)
            rc = lr_part_end(&part);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = model_example_grams(cfg, &ex[i], 0, nn_gram, &a, err);
        struct lr_part part = {d, &a, (uint32_t)cls_index[ex[i].category->index],
                               ex[i].subcategory
                                   ? (uint32_t)cls_index[ex[i].subcategory->index]
                                   : UINT32_MAX};
        if (rc == 0)
            rc = lr_part_end(&part);
    }
    free(a.count);
    free(a.touched);
    return rc;
}

#define LR_STEP 1.0 /* AdaGrad's step: each weight moves by at most this per step */

/* One level: minimises the mean cross-entropy over the documents of that level plus
 * lr_l2 / 2 times the squared weights (the biases are not penalised), by lr_iters
 * full-batch AdaGrad steps from zero in a fixed order, so training is deterministic.
 * A weight exists only where the naive Bayes has an entry (class c has n-gram g in some
 * document): the class scores of one n-gram are only defined up to a common shift, so
 * fixing the classes without it at 0 leaves them one shared weight and keeps the model
 * as sparse as the counts. */
static int lr_fit_level(struct model *m, int l, const struct lr_docs *d)
{
    size_t nc = m->lv[l].n, ne = m->n_ent, nd = 0;
    double *grad = calloc(ne + 1, sizeof *grad), *acc = calloc(ne + 1, sizeof *acc);
    double *gb = calloc(nc + 1, sizeof *gb), *ab = calloc(nc + 1, sizeof *ab);
    double *z = calloc(nc + 1, sizeof *z);
    double *b = m->lv[l].lr_bias;
    if (!grad || !acc || !gb || !ab || !z) {
        free(grad);
        free(acc);
        free(gb);
        free(ab);
        free(z);
        return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < d->n; i++)
        nd += d->cls[i * LV_COUNT + l] != UINT32_MAX;
    for (unsigned it = 0; nd > 0 && nc > 0 && it < m->cfg.lr_iters; it++) {
        memset(grad, 0, ne * sizeof *grad);
        memset(gb, 0, nc * sizeof *gb);
        for (size_t i = 0; i < d->n; i++) {
            uint32_t y = d->cls[i * LV_COUNT + l];
            if (y == UINT32_MAX)
                continue;
            for (size_t c = 0; c < nc; c++)
                z[c] = b[c];
            for (uint32_t k = d->first[i]; k < d->first[i + 1]; k++) {
                uint32_t f = d->feat[k];
                const struct entry *e = m->ent + m->start[l][f];
                for (uint32_t j = 0; j < m->count[l][f]; j++)
                    z[e[j].cls] += d->x[k] * e[j].lr;
            }
            double best = z[0], sum = 0;
            for (size_t c = 1; c < nc; c++)
                best = z[c] > best ? z[c] : best;
            for (size_t c = 0; c < nc; c++)
                sum += z[c] = exp(z[c] - best);
            for (size_t c = 0; c < nc; c++)
                z[c] /= sum; /* now p_c; the gradient of the loss is p - y */
            z[y] -= 1;
            for (size_t c = 0; c < nc; c++)
                gb[c] += z[c];
            for (uint32_t k = d->first[i]; k < d->first[i + 1]; k++) {
                uint32_t f = d->feat[k];
                size_t e0 = m->start[l][f];
                for (uint32_t j = 0; j < m->count[l][f]; j++)
                    grad[e0 + j] += d->x[k] * z[m->ent[e0 + j].cls];
            }
        }
        for (size_t f = 0; f < m->n_feat; f++)
            for (uint32_t j = 0; j < m->count[l][f]; j++) {
                size_t e = m->start[l][f] + j;
                double g = grad[e] + m->cfg.lr_l2 * m->ent[e].lr;
                acc[e] += g * g;
                if (acc[e] > 0)
                    m->ent[e].lr -= LR_STEP * g / sqrt(acc[e]);
            }
        for (size_t c = 0; c < nc; c++) {
            double g = gb[c];
            ab[c] += g * g;
            if (ab[c] > 0)
                b[c] -= LR_STEP * g / sqrt(ab[c]);
        }
    }
    /* What the file keeps, so a loaded model scores exactly like the trained one. */
    for (size_t f = 0; f < m->n_feat; f++)
        for (uint32_t j = 0; j < m->count[l][f]; j++)
            m->ent[m->start[l][f] + j].lr = round6(m->ent[m->start[l][f] + j].lr);
    for (size_t c = 0; c < nc; c++)
        b[c] = round6(b[c]);
    free(grad);
    free(acc);
    free(gb);
    free(ab);
    free(z);
    return 0;
}

int lr_fit(struct model *m, const struct model_example *ex, size_t n,
           const size_t *cls_index, struct stdtax_error *err)
{
    struct lr_docs d = {0};
    int rc = feature_table_build(m);
    if (rc == 0)
        rc = lr_docs_collect(m, ex, n, cls_index, &d, err);
    for (int l = 0; rc == 0 && l < LV_COUNT; l++)
        rc = lr_fit_level(m, l, &d);
    lr_docs_free(&d);
    return rc;
}
