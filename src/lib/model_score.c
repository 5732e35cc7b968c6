/* Scoring: the tables derived from a model's counts (after training or loading) and
 * the scores of a text; see model.h. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* Complement naive Bayes (Rennie et al. 2003): a class is scored by how unlike the
 * other classes' text the text is, which is steadier than its own likelihood when the
 * classes have few and unequal examples.  With T_g the count of n-gram g over all
 * classes of the level and N~c the tokens of the classes other than c,
 *     score(c) = sum_g f_g [log(T_g + a) - log(T_g - n_cg + a)] + F log(N~c + aV)
 * (class-independent terms dropped; F = sum f_g), which keeps the sparse form: the
 * delta of an entry is the first bracket, zero where n_cg = 0. */
static void complement_finish(struct model *m)
{
    for (int l = 0; l < LV_COUNT; l++) {
        struct level *lv = &m->lv[l];
        uint64_t all = 0;
        for (size_t c = 0; c < lv->n; c++)
            all += lv->tokens[c];
        for (size_t c = 0; c < lv->n; c++)
            lv->logdenom[c] = m->log_alpha - log((double)(all - lv->tokens[c]) +
                                                 m->cfg.alpha * (double)m->n_feat);
    }
    for (size_t f = 0; f < m->n_feat; f++)
        for (int l = 0; l < LV_COUNT; l++) {
            uint64_t t = 0;
            for (uint32_t k = 0; k < m->count[l][f]; k++)
                t += m->ent[m->start[l][f] + k].count;
            for (uint32_t k = 0; k < m->count[l][f]; k++) {
                struct entry *en = &m->ent[m->start[l][f] + k];
                en->delta = log((double)t + m->cfg.alpha) -
                            log((double)(t - en->count) + m->cfg.alpha);
            }
        }
}

static const struct fslot *fslot_find(const struct model *m, uint64_t key);

/* Whether field f feeds the neighbour vectors: with nn_titles only the titles, where
 * the parts of a series and the members of a family look alike. */
static int nn_field(const struct model_config *cfg, int f)
{
    return !cfg->nn_titles || f == MODEL_FIELD_TITLE || f == MODEL_FIELD_TITLE_EN;
}

/* Postings of the training examples' n-grams, by feature-table slot.  An example's
 * vector is tf-idf (tf: the field-weighted count, idf = ln((N + 1) / (df + 1)) + 1 as in
 * scikit-learn) over its Euclidean norm; the query's n-grams come with their field
 * weight only, so each posting also carries the idf of the query's side.  The cosine
 * then differs from the stored dot product by the query's norm, one factor for every
 * example, which neither the ranking nor the vote shares see. */
int nn_finish(struct model *m)
{
    size_t n = m->n_nn, slots = m->fmask + 1, pairs = m->nn_first[n];
    uint32_t *df = calloc(m->n_feat + 1, sizeof *df);
    double *idf = malloc((m->n_feat + 1) * sizeof *idf);
    m->prange = calloc(slots + 1, sizeof *m->prange);
    m->post = malloc((pairs + 1) * sizeof *m->post);
    if (!df || !idf || !m->prange || !m->post) {
        free(df);
        free(idf);
        return STDTAX_ENOMEM;
    }
    for (size_t k = 0; k < pairs; k++)
        df[m->nn_feat[k]]++;
    /* N-grams in more than a fraction nn_max_df of the examples (人工, 智能, "w:ai") say
     * little about which examples are alike and would make most of the work: left out
     * of the vectors, as scikit-learn's max_df does. */
    for (size_t f = 0; f < m->n_feat; f++) {
        if ((double)df[f] > m->cfg.nn_max_df * (double)n)
            df[f] = 0;
        idf[f] = df[f] ? log((double)(n + 1) / (double)(df[f] + 1)) + 1.0 : 0.0;
    }
    for (size_t f = 0; f < m->n_feat; f++) {
        size_t h = (size_t)(fslot_find(m, m->key[f]) - m->fslots);
        m->prange[h].n = df[f];
    }
    uint32_t at = 0;
    for (size_t h = 0; h < slots; h++) {
        m->prange[h].first = at;
        at += m->prange[h].n;
        m->prange[h].n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double norm = 0;
        for (uint32_t k = m->nn_first[i]; k < m->nn_first[i + 1]; k++) {
            double x = m->nn_count[k] * idf[m->nn_feat[k]];
            norm += x * x;
        }
        norm = norm > 0 ? sqrt(norm) : 1.0;
        for (uint32_t k = m->nn_first[i]; k < m->nn_first[i + 1]; k++) {
            uint32_t f = m->nn_feat[k];
            if (!df[f])
                continue;
            size_t h = (size_t)(fslot_find(m, m->key[f]) - m->fslots);
            m->post[m->prange[h].first + m->prange[h].n++] = (struct npost){
                (uint32_t)i, (float)(m->nn_count[k] * idf[f] * idf[f] / norm)};
        }
    }
    free(df);
    free(idf);
    return 0;
}

/* The feature table: key -> feature index + 1. */
int feature_table_build(struct model *m)
{
    if (table_init(&m->table, m->n_feat) != 0)
        return STDTAX_ENOMEM;
    for (size_t f = 0; f < m->n_feat; f++) {
        uint32_t *slot = table_slot(&m->table, m->key, m->key[f]);
        if (*slot)
            return STDTAX_EINVAL; /* the same feature twice */
        *slot = (uint32_t)f + 1;
    }
    return 0;
}

/* Derived values from the counts: priors, denominators, deltas, the lookup table. */
int model_finish(struct model *m)
{
    m->log_alpha = log(m->cfg.alpha);
    for (int l = 0; l < LV_COUNT; l++) {
        struct level *lv = &m->lv[l];
        uint64_t docs = 0;
        for (size_t c = 0; c < lv->n; c++)
            docs += lv->docs[c];
        for (size_t c = 0; c < lv->n; c++) {
            lv->logprior[c] = m->cfg.uniform_prior
                                  ? 0.0
                                  : log((lv->docs[c] + 1.0) / ((double)docs + lv->n));
            lv->logdenom[c] =
                log((double)lv->tokens[c] + m->cfg.alpha * (double)m->n_feat);
        }
    }
    for (size_t e = 0; e < m->n_ent; e++)
        m->ent[e].delta = log(m->ent[e].count + m->cfg.alpha) - m->log_alpha;
    if (m->cfg.complement)
        complement_finish(m);
    /* The blend with the logistic regression, folded into the same entries and
     * per-class terms: raw / T = (1 - rho) L_nb + rho (sum_g f_g w_cg / T + b_c). */
    double rho = m->cfg.lr ? m->cfg.lr_blend : 0.0;
    if (rho != 0) {
        for (size_t e = 0; e < m->n_ent; e++)
            m->ent[e].delta = (1 - rho) * m->ent[e].delta + rho * m->ent[e].lr;
    }
    for (int l = 0; l < LV_COUNT; l++) {
        struct level *lv = &m->lv[l];
        for (size_t c = 0; c < lv->n; c++) {
            lv->prior_mix[c] = lv->logprior[c];
            lv->per_gram[c] = m->log_alpha - lv->logdenom[c];
            if (rho != 0) {
                lv->prior_mix[c] *= 1 - rho;
                lv->per_gram[c] = (1 - rho) * lv->per_gram[c] + rho * lv->lr_bias[c];
            }
        }
    }
    if (!m->table.slot) { /* the regression's training may have built it */
        int rc = feature_table_build(m);
        if (rc != 0)
            return rc;
    }
    size_t cap = 16;
    while (cap < 2 * m->n_feat)
        cap <<= 1;
    m->fslots = calloc(cap, sizeof *m->fslots);
    m->sent = malloc((m->n_ent + 1) * sizeof *m->sent);
    if (!m->fslots || !m->sent)
        return STDTAX_ENOMEM;
    m->fmask = cap - 1;
    m->n_classes = m->lv[LV_CAT].n + m->lv[LV_SUB].n;
    m->row = (m->n_classes + DENSE_LANES - 1) / DENSE_LANES * DENSE_LANES;
    size_t n_dense = 0;
    for (size_t f = 0; f < m->n_feat; f++)
        n_dense += m->count[LV_CAT][f] + m->count[LV_SUB][f] >= DENSE_MIN;
    m->dense = calloc(n_dense * m->row + 1, sizeof *m->dense);
    if (!m->dense)
        return STDTAX_ENOMEM;
    n_dense = 0;
    for (size_t f = 0; f < m->n_feat; f++) {
        size_t h = table_hash(m->key[f], m->fmask);
        while (m->fslots[h].key)
            h = (h + 1) & m->fmask;
        uint32_t n = m->count[LV_CAT][f] + m->count[LV_SUB][f];
        int dense = n >= DENSE_MIN;
        /* Entries of a feature are stored level after level, so they are contiguous. */
        m->fslots[h] =
            (struct fslot){m->key[f], dense ? (uint32_t)n_dense : m->start[LV_CAT][f],
                           dense ? FSLOT_DENSE : n};
        for (int l = 0; l < LV_COUNT; l++)
            for (uint32_t k = 0; k < m->count[l][f]; k++) {
                size_t e = m->start[l][f] + k;
                uint32_t base = l == LV_SUB ? (uint32_t)m->lv[LV_CAT].n : 0;
                m->sent[e] =
                    (struct sentry){base + m->ent[e].cls, (float)m->ent[e].delta};
                if (dense)
                    m->dense[n_dense * m->row + m->sent[e].cls] = m->sent[e].delta;
            }
        n_dense += dense;
    }
    return m->n_nn ? nn_finish(m) : 0;
}

/* ---- scoring ---------------------------------------------------------------------- */

/* N-grams are collected a batch at a time and then looked up with the next lookups
 * prefetched: the feature table and its entries do not stay in the L1/L2 cache, and a
 * lookup that waits for memory one after the other is what dominated the scoring. */
#define SCORE_BATCH 256
#define SCORE_AHEAD 8

typedef float vfloat __attribute__((vector_size(DENSE_LANES * sizeof(float))));

struct score_ctx {
    const struct model *m;
    float *acc; /* category classes, then subcategory classes; m->row, aligned */
    float *dot; /* per training example, or NULL: no neighbour search */
    double total;
    size_t n;
    uint64_t key[SCORE_BATCH];
    unsigned weight[SCORE_BATCH];
    const struct fslot *slot[SCORE_BATCH];
};

static const struct fslot *fslot_find(const struct model *m, uint64_t key)
{
    size_t h = table_hash(key, m->fmask);
    while (m->fslots[h].key && m->fslots[h].key != key)
        h = (h + 1) & m->fmask;
    return m->fslots[h].key ? &m->fslots[h] : NULL;
}

static const void *fslot_data(const struct model *m, const struct fslot *fs)
{
    if (fs->n == FSLOT_DENSE)
        return m->dense + (size_t)fs->first * m->row;
    return m->sent + fs->first;
}

static void score_flush(struct score_ctx *sc)
{
    const struct model *m = sc->m;
    size_t n = sc->n;
    for (size_t i = 0; i < n && i < SCORE_AHEAD; i++)
        __builtin_prefetch(&m->fslots[table_hash(sc->key[i], m->fmask)]);
    for (size_t i = 0; i < n; i++) {
        if (i + SCORE_AHEAD < n)
            __builtin_prefetch(
                &m->fslots[table_hash(sc->key[i + SCORE_AHEAD], m->fmask)]);
        const struct fslot *fs = fslot_find(m, sc->key[i]);
        sc->slot[i] = fs;
        if (fs) {
            __builtin_prefetch(fslot_data(m, fs));
            if (sc->dot)
                __builtin_prefetch(&m->prange[fs - m->fslots]);
        }
    }
    float *acc = sc->acc;
    size_t lanes = m->row / DENSE_LANES, nd = 0;
    const float *rows[SCORE_BATCH];
    float rw[SCORE_BATCH];
    for (size_t i = 0; i < n; i++) {
        const struct fslot *fs = sc->slot[i];
        if (!fs)
            continue; /* unseen in training: says nothing about any class */
        float w = (float)sc->weight[i];
        sc->total += sc->weight[i];
        if (sc->dot) {
            size_t h = (size_t)(fs - m->fslots);
            const struct npost *p = m->post + m->prange[h].first;
            for (uint32_t k = 0; k < m->prange[h].n; k++)
                sc->dot[p[k].ex] += w * p[k].val;
        }
        if (fs->n == FSLOT_DENSE) {
            rows[nd] = fslot_data(m, fs);
            rw[nd++] = w;
            continue;
        }
        const struct sentry *e = fslot_data(m, fs);
        for (uint32_t k = 0; k < fs->n; k++)
            acc[e[k].cls] += w * e[k].delta;
    }
    /* Dense rows four at a time: one load and store of the accumulators per four rows.
     * The order of the additions is fixed, so the result is too. */
    size_t d = 0;
    for (; d + 4 <= nd; d += 4) {
        const float *r0 = rows[d], *r1 = rows[d + 1], *r2 = rows[d + 2],
                    *r3 = rows[d + 3];
        float w0 = rw[d], w1 = rw[d + 1], w2 = rw[d + 2], w3 = rw[d + 3];
        for (size_t k = 0; k < lanes * DENSE_LANES; k += DENSE_LANES) {
            vfloat a, x0, x1, x2, x3;
            memcpy(&a, acc + k, sizeof a);
            memcpy(&x0, r0 + k, sizeof a);
            memcpy(&x1, r1 + k, sizeof a);
            memcpy(&x2, r2 + k, sizeof a);
            memcpy(&x3, r3 + k, sizeof a);
            a += (w0 * x0 + w1 * x1) + (w2 * x2 + w3 * x3);
            memcpy(acc + k, &a, sizeof a);
        }
    }
    for (; d < nd; d++) {
        const float *r0 = rows[d];
        float w0 = rw[d];
        for (size_t k = 0; k < lanes * DENSE_LANES; k += DENSE_LANES) {
            vfloat a, x0;
            memcpy(&a, acc + k, sizeof a);
            memcpy(&x0, r0 + k, sizeof a);
            a += w0 * x0;
            memcpy(acc + k, &a, sizeof a);
        }
    }
    sc->n = 0;
}

static inline void score_push(struct score_ctx *sc, uint64_t key, unsigned weight)
{
    sc->key[sc->n] = key;
    sc->weight[sc->n] = weight;
    if (++sc->n == SCORE_BATCH)
        score_flush(sc);
}

/* model_grams_each's callback for scoring: the key and weight, not the text. */
static void score_gram(void *ctx, uint64_t key, const char *gram, size_t len,
                       unsigned weight)
{
    (void)gram;
    (void)len;
    score_push(ctx, key, weight);
}

/* Votes of the k examples most similar to the text (by dot[]), each weighted by its
 * similarity, as shares per level; ties go to the earlier example. */
static void nn_votes(const struct model *m, const float *dot, unsigned k, double *votes)
{
    uint32_t top[MODEL_NEIGHBOURS_MAX];
    unsigned nt = 0;
    for (size_t i = 0; i < m->n_nn; i++) {
        if (!(dot[i] > 0))
            continue;
        if (nt == k && dot[i] <= dot[top[nt - 1]])
            continue;
        unsigned j = nt < k ? nt++ : nt - 1;
        while (j > 0 && dot[top[j - 1]] < dot[i]) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = (uint32_t)i;
    }
    for (int l = 0; l < LV_COUNT; l++) {
        double sum = 0;
        for (unsigned j = 0; j < nt; j++)
            if (m->nn_cls[top[j] * LV_COUNT + l] != UINT32_MAX)
                sum += dot[top[j]];
        for (unsigned j = 0; j < nt && sum > 0; j++) {
            uint32_t c = m->nn_cls[top[j] * LV_COUNT + l];
            if (c != UINT32_MAX)
                votes[m->lv[l].node[c]] += dot[top[j]] / sum;
        }
    }
}

int model_text_score_raw(const struct model *m, const struct norm_text *const *fields,
                         double *logp, double *n_features)
{
    return model_text_score_nn(m, fields, logp, n_features, 0, NULL);
}

#define NN_STACK 1024 /* training examples scored without a heap buffer */

int model_text_score_nn(const struct model *m, const struct norm_text *const *fields,
                        double *logp, double *n_features, unsigned k, double *votes)
{
    float facc[TAX_NODES_MAX + DENSE_LANES];
    float dot_buf[NN_STACK], *dot = NULL;
    memset(facc, 0, m->row * sizeof *facc);
    if (votes) {
        for (size_t i = 0; i < m->tax->n_nodes; i++)
            votes[i] = 0;
        if (k > MODEL_NEIGHBOURS_MAX)
            k = MODEL_NEIGHBOURS_MAX;
        if (k > 0 && m->n_nn > 0) {
            dot = m->n_nn <= NN_STACK ? dot_buf : malloc(m->n_nn * sizeof *dot);
            if (!dot)
                return STDTAX_ENOMEM;
            memset(dot, 0, m->n_nn * sizeof *dot);
        }
    }
    struct score_ctx sc;
    sc.m = m;
    sc.acc = facc;
    sc.dot = dot;
    sc.total = 0;
    sc.n = 0;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        if (!fields[f] || m->cfg.field_weight[f] == 0)
            continue;
        float *want = nn_field(&m->cfg, f) ? dot : NULL;
        if (sc.dot != want) {
            score_flush(&sc); /* the batch so far is for the other set of fields */
            sc.dot = want;
        }
        model_grams_each(&m->cfg, fields[f]->bytes, fields[f]->len,
                         m->cfg.field_weight[f], score_gram, &sc);
    }
    score_flush(&sc);
    for (size_t i = 0; i < m->tax->n_nodes; i++)
        logp[i] = -HUGE_VAL;
    const float *a = facc;
    for (int l = 0; l < LV_COUNT; l++) {
        const struct level *lv = &m->lv[l];
        for (size_t c = 0; c < lv->n; c++)
            logp[lv->node[c]] =
                (double)a[c] + lv->prior_mix[c] + sc.total * lv->per_gram[c];
        a += lv->n;
    }
    if (n_features)
        *n_features = sc.total;
    if (dot) {
        nn_votes(m, dot, k, votes);
        if (dot != dot_buf)
            free(dot);
    }
    return 0;
}

int model_text_score(const struct model *m, const struct norm_text *const *fields,
                     double *logp, double *n_features)
{
    model_text_score_raw(m, fields, logp, n_features);
    for (int l = 0; l < LV_COUNT; l++) {
        const struct level *lv = &m->lv[l];
        double best = -HUGE_VAL;
        for (size_t c = 0; c < lv->n; c++)
            if (logp[lv->node[c]] > best)
                best = logp[lv->node[c]];
        double sum = 0;
        for (size_t c = 0; c < lv->n; c++)
            sum += exp(logp[lv->node[c]] - best);
        double lse = best + log(sum);
        for (size_t c = 0; c < lv->n; c++)
            logp[lv->node[c]] -= lse;
    }
    return 0;
}
