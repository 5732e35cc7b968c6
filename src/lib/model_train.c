/* Training the naive Bayes: counting the examples' and the taxonomy's n-grams per
 * class, then the optional regression and neighbours; see model.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "stdtax/normalise.h"

/* ---- training ---------------------------------------------------------------------- */

struct train {
    const struct model_config *cfg;
    size_t n_cls[LV_COUNT];
    size_t cls_of[LV_COUNT]; /* the current example's class per level, SIZE_MAX = none */
    size_t n_feat, cap;
    uint64_t *key;
    char **gram;
    uint32_t *counts; /* n_feat x (n_cls[0] + n_cls[1]) */
    struct table table;
    int oom;
};

static int train_grow(struct train *t)
{
    size_t width = t->n_cls[LV_CAT] + t->n_cls[LV_SUB];
    size_t cap = t->cap ? 2 * t->cap : 4096;
    uint64_t *key = realloc(t->key, cap * sizeof *key);
    if (key)
        t->key = key;
    char **gram = realloc(t->gram, cap * sizeof *gram);
    if (gram)
        t->gram = gram;
    uint32_t *counts = realloc(t->counts, cap * width * sizeof *counts);
    if (counts)
        t->counts = counts;
    if (!key || !gram || !counts)
        return STDTAX_ENOMEM;
    memset(t->counts + t->cap * width, 0, (cap - t->cap) * width * sizeof *counts);
    free(t->table.slot);
    if (table_init(&t->table, cap) != 0)
        return STDTAX_ENOMEM;
    for (size_t f = 0; f < t->n_feat; f++)
        *table_slot(&t->table, t->key, t->key[f]) = (uint32_t)f + 1;
    t->cap = cap;
    return 0;
}

static void train_gram(void *vctx, uint64_t key, const char *gram, size_t len,
                       unsigned weight)
{
    struct train *t = vctx;
    if (t->oom)
        return;
    uint32_t *slot = table_slot(&t->table, t->key, key);
    if (!*slot) {
        if (t->n_feat >= FEATURES_MAX) {
            t->oom = 1;
            return;
        }
        if (t->n_feat == t->cap) {
            if (train_grow(t) != 0) {
                t->oom = 1;
                return;
            }
            slot = table_slot(&t->table, t->key, key);
        }
        int word = (key & WORD_BIT) != 0;
        char *g = malloc(len + 3);
        if (!g) {
            t->oom = 1;
            return;
        }
        snprintf(g, len + 3, "%s%.*s", word ? "w:" : "", (int)len, gram);
        t->key[t->n_feat] = key;
        t->gram[t->n_feat] = g;
        *slot = (uint32_t)++t->n_feat;
    }
    size_t width = t->n_cls[LV_CAT] + t->n_cls[LV_SUB];
    uint32_t *row = t->counts + (size_t)(*slot - 1) * width;
    if (t->cls_of[LV_CAT] != SIZE_MAX)
        row[t->cls_of[LV_CAT]] += weight;
    if (t->cls_of[LV_SUB] != SIZE_MAX)
        row[t->n_cls[LV_CAT] + t->cls_of[LV_SUB]] += weight;
}

/* The taxonomy's own words as pseudo-documents: each node's labels and evidence terms
 * count for it (and a subcategory's for its parent too), each term repeated in
 * proportion to its weight.  This is prior knowledge, not data: it gives classes with
 * few or no labelled examples a vocabulary to generalise from. */
static void train_taxonomy(struct train *t, const struct tax_taxonomy *tax,
                           const size_t *cls_index)
{
    for (size_t i = 0; i < tax->n_nodes && !t->oom; i++) {
        const struct tax_node *node = &tax->nodes[i];
        if (node->n_terms == 0)
            continue;
        const struct tax_node *cat = node->parent ? node->parent : node;
        t->cls_of[LV_CAT] = cls_index[cat->index];
        t->cls_of[LV_SUB] = node->parent ? cls_index[node->index] : SIZE_MAX;
        if (model_node_grams(t->cfg, node, train_gram, t, NULL, NULL) != 0)
            t->oom = 1;
    }
}

struct order {
    const char *gram;
    size_t idx;
};

static int order_cmp(const void *a, const void *b)
{
    return strcmp(((const struct order *)a)->gram, ((const struct order *)b)->gram);
}

/* Keeps every training example's field-weighted n-gram counts (the same features the
 * naive Bayes counted), for the nearest-neighbour votes. */
static int nn_collect(struct model *m, const struct model_example *ex, size_t n,
                      const size_t *cls_index, struct stdtax_error *err)
{
    const struct model_config *cfg = &m->cfg;
    struct nn_acc a = {.m = m};
    size_t cap = 4096, used = 0;
    a.count = calloc(m->n_feat + 1, sizeof *a.count);
    a.touched = malloc((m->n_feat + 1) * sizeof *a.touched);
    m->nn_cls = malloc((n * LV_COUNT + 1) * sizeof *m->nn_cls);
    m->nn_first = malloc((n + 1) * sizeof *m->nn_first);
    m->nn_feat = malloc(cap * sizeof *m->nn_feat);
    m->nn_count = malloc(cap * sizeof *m->nn_count);
    int rc = 0;
    if (!a.count || !a.touched || !m->nn_cls || !m->nn_first || !m->nn_feat ||
        !m->nn_count)
        rc = STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        a.n_touched = 0;
        rc = model_example_grams(cfg, &ex[i], cfg->nn_titles, nn_gram, &a, err);
        if (rc != 0)
            break;
        if (used + a.n_touched > cap) {
            while (used + a.n_touched > cap)
                cap *= 2;
            uint32_t *nf = realloc(m->nn_feat, cap * sizeof *nf);
            if (nf)
                m->nn_feat = nf;
            uint32_t *nc = realloc(m->nn_count, cap * sizeof *nc);
            if (nc)
                m->nn_count = nc;
            if (!nf || !nc) {
                rc = STDTAX_ENOMEM;
                break;
            }
        }
        qsort(a.touched, a.n_touched, sizeof *a.touched, u32_cmp);
        m->nn_first[i] = (uint32_t)used;
        for (size_t k = 0; k < a.n_touched; k++) {
            m->nn_feat[used] = a.touched[k];
            m->nn_count[used++] = a.count[a.touched[k]];
            a.count[a.touched[k]] = 0;
        }
        m->nn_cls[i * LV_COUNT + LV_CAT] = (uint32_t)cls_index[ex[i].category->index];
        m->nn_cls[i * LV_COUNT + LV_SUB] =
            ex[i].subcategory ? (uint32_t)cls_index[ex[i].subcategory->index]
                              : UINT32_MAX;
    }
    if (rc == 0) {
        m->nn_first[n] = (uint32_t)used;
        m->n_nn = n;
        rc = nn_finish(m);
    }
    free(a.count);
    free(a.touched);
    return rc;
}

static void train_free(struct train *t)
{
    for (size_t f = 0; t->gram && f < t->n_feat; f++)
        free(t->gram[f]);
    free(t->gram);
    free(t->key);
    free(t->counts);
    free(t->table.slot);
}

/* Classes: the nodes with at least one example, in taxonomy order; with taxonomy
 * pseudo-documents also every node that has evidence terms (and its category).  Fills
 * the model's levels, t->n_cls and cls_index (class of each node within its level). */
static int classes_choose(struct model *m, struct train *t,
                          const struct model_example *ex, size_t n, size_t *cls_index)
{
    const struct tax_taxonomy *tax = m->tax;
    uint64_t *docs = calloc(tax->n_nodes + 1, sizeof *docs);
    int *is_cls = calloc(tax->n_nodes + 1, sizeof *is_cls);
    int rc = docs && is_cls ? 0 : STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        docs[ex[i].category->index]++;
        if (ex[i].subcategory)
            docs[ex[i].subcategory->index]++;
    }
    for (size_t i = 0; rc == 0 && i < tax->n_nodes; i++) {
        const struct tax_node *node = &tax->nodes[i];
        is_cls[i] |= docs[i] > 0;
        if (t->cfg->taxonomy_weight > 0 && node->n_terms > 0) {
            is_cls[i] = 1;
            if (node->parent)
                is_cls[node->parent->index] = 1;
        }
    }
    for (size_t i = 0; rc == 0 && i < tax->n_nodes; i++)
        if (is_cls[i])
            t->n_cls[tax->nodes[i].depth == 0 ? LV_CAT : LV_SUB]++;
    for (int l = 0; rc == 0 && l < LV_COUNT; l++)
        rc = level_alloc(&m->lv[l], t->n_cls[l]);
    size_t fill[LV_COUNT] = {0, 0};
    for (size_t i = 0; rc == 0 && i < tax->n_nodes; i++) {
        if (!is_cls[i])
            continue;
        int l = tax->nodes[i].depth == 0 ? LV_CAT : LV_SUB;
        cls_index[i] = fill[l];
        m->lv[l].node[fill[l]] = i;
        m->lv[l].docs[fill[l]] = docs[i];
        fill[l]++;
    }
    free(docs);
    free(is_cls);
    return rc;
}

/* Counts every n-gram of the taxonomy's pseudo-documents and of the examples per class.
 * An example whose text does not normalise is named in err->field ("example 3/title"). */
static int train_count(struct train *t, const struct tax_taxonomy *tax,
                       const struct model_example *ex, size_t n, const size_t *cls_index,
                       struct stdtax_error *err)
{
    int rc = train_grow(t);
    if (rc == 0 && t->cfg->taxonomy_weight > 0)
        train_taxonomy(t, tax, cls_index);
    for (size_t i = 0; rc == 0 && i < n && !t->oom; i++) {
        t->cls_of[LV_CAT] = cls_index[ex[i].category->index];
        t->cls_of[LV_SUB] =
            ex[i].subcategory ? cls_index[ex[i].subcategory->index] : SIZE_MAX;
        rc = model_example_grams(t->cfg, &ex[i], 0, train_gram, t, err);
        if (rc != 0 && err) {
            char field[16]; /* a field's name */
            snprintf(field, sizeof field, "%.15s", err->field);
            snprintf(err->field, sizeof err->field, "example %zu/%s", i, field);
        }
    }
    return rc == 0 && t->oom ? STDTAX_ENOMEM : rc;
}

/* The counts as the model's feature table: features sorted by their text, so the file
 * and the version never depend on the order of the examples' n-grams in memory; each
 * feature's non-zero counts as entries, level after level.  Takes t's grams. */
static int features_from_counts(struct model *m, struct train *t)
{
    struct order *ord = malloc((t->n_feat + 1) * sizeof *ord);
    if (!ord)
        return STDTAX_ENOMEM;
    for (size_t f = 0; f < t->n_feat; f++)
        ord[f] = (struct order){t->gram[f], f};
    qsort(ord, t->n_feat, sizeof *ord, order_cmp);
    size_t width = t->n_cls[LV_CAT] + t->n_cls[LV_SUB];
    size_t n_ent = 0;
    for (size_t i = 0; i < t->n_feat * width; i++)
        n_ent += t->counts[i] != 0;
    m->n_feat = t->n_feat;
    m->key = malloc((t->n_feat + 1) * sizeof *m->key);
    m->gram = calloc(t->n_feat + 1, sizeof *m->gram);
    m->ent = malloc((n_ent + 1) * sizeof *m->ent);
    int rc = m->key && m->gram && m->ent ? 0 : STDTAX_ENOMEM;
    for (int l = 0; rc == 0 && l < LV_COUNT; l++) {
        m->start[l] = malloc((t->n_feat + 1) * sizeof *m->start[l]);
        m->count[l] = calloc(t->n_feat + 1, sizeof *m->count[l]);
        if (!m->start[l] || !m->count[l])
            rc = STDTAX_ENOMEM;
    }
    for (size_t f = 0; rc == 0 && f < t->n_feat; f++) {
        size_t src = ord[f].idx;
        m->key[f] = t->key[src];
        m->gram[f] = t->gram[src];
        t->gram[src] = NULL;
        const uint32_t *row = t->counts + src * width;
        size_t off = 0;
        for (int l = 0; l < LV_COUNT; l++) {
            m->start[l][f] = (uint32_t)m->n_ent;
            for (size_t c = 0; c < t->n_cls[l]; c++) {
                if (!row[off + c])
                    continue;
                m->ent[m->n_ent++] = (struct entry){(uint32_t)c, row[off + c], 0, 0};
                m->count[l][f]++;
                m->lv[l].tokens[c] += row[off + c];
            }
            off += t->n_cls[l];
        }
    }
    free(ord);
    return rc;
}

/* Where the model came from, as the file records it. */
static int provenance_set(struct model *m, const char *source_name,
                          const char *source_sha256)
{
    m->tax_version = model_strdup_or_empty(m->tax->version);
    m->train_file = model_strdup_or_empty(source_name);
    m->train_sha = model_strdup_or_empty(source_sha256);
    return m->tax_version && m->train_file && m->train_sha ? 0 : STDTAX_ENOMEM;
}

int model_train(const struct tax_taxonomy *tax, const struct model_example *ex, size_t n,
                const struct model_config *cfg, const char *source_name,
                const char *source_sha256, struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    int rc = model_config_check(cfg, err);
    if (rc)
        return rc;
    if (n == 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no training examples");
    struct model *m = calloc(1, sizeof *m);
    struct train t = {.cfg = cfg};
    size_t *cls_index = calloc(tax->n_nodes + 1, sizeof *cls_index);
    rc = m && cls_index ? 0 : STDTAX_ENOMEM;
    if (rc == 0) {
        m->tax = tax;
        m->cfg = *cfg;
        m->n_examples = n;
        rc = classes_choose(m, &t, ex, n, cls_index);
    }
    if (rc == 0)
        rc = train_count(&t, tax, ex, n, cls_index, err);
    if (rc == 0)
        rc = features_from_counts(m, &t);
    if (rc == 0)
        rc = provenance_set(m, source_name, source_sha256);
    if (rc == 0 && cfg->lr)
        rc = lr_fit(m, ex, n, cls_index, err);
    if (rc == 0)
        rc = model_finish(m);
    if (rc == 0 && cfg->neighbours)
        rc = nn_collect(m, ex, n, cls_index, err);
    if (rc == 0)
        rc = model_version_compute(m);
    train_free(&t);
    free(cls_index);
    if (rc != 0) {
        model_free(m);
        if (rc == STDTAX_ENOMEM)
            return stdtax_error_set(err, STDTAX_ENOMEM, "",
                                    "out of memory while training");
        return rc;
    }
    *out = m;
    return 0;
}
