/* Multinomial naive Bayes over character n-grams; see model.h and doc/classifier.md. */
#include "stdtax/model.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/jsonflat.h"
#include "stdtax/sha256.h"
#include "stdtax/utf8.h"

#define WORD_BIT (UINT64_C(1) << 63)
#define WORD_MAX 64 /* longer ASCII runs are not words but codes or noise */
#define FEATURES_MAX (1u << 24)
/* Bytes: a model file larger than this is refused. */
#define MODEL_FILE_MAX (256u << 20)

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

/* ---- features ---------------------------------------------------------------------- */

typedef void (*gram_fn)(void *ctx, uint64_t key, const char *gram, size_t len,
                        unsigned weight);

static uint64_t word_key(const char *w, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)w[i];
        h *= UINT64_C(1099511628211);
    }
    return h | WORD_BIT;
}

static int is_ascii_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* One character of normalised (so valid) UTF-8, inline: this runs for every character
 * scored.  Anything that is not a well-formed sequence within len gives 0. */
static inline size_t char_decode(const char *p, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xF0) == 0xE0 && len >= 3 && (u[1] & 0xC0) == 0x80 &&
        (u[2] & 0xC0) == 0x80) {
        *cp =
            (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
        return 3;
    }
    return utf8_char_decode(p, len, cp);
}

/* Calls fn for every n-gram (within runs of non-space characters) and every ASCII word
 * of the normalised text.  gram/len give the bytes of the feature in the text. */
static void grams_each(const struct model_config *cfg, const char *s, size_t len,
                       unsigned weight, gram_fn fn, void *ctx)
{
    uint32_t win[3];
    size_t wpos[3]; /* byte offset of each window character */
    size_t have = 0, i = 0, word_start = 0, word_len = 0;
    while (i <= len) {
        uint32_t cp = ' ';
        size_t step = 1;
        if (i < len) {
            step = char_decode(s + i, len - i, &cp);
            if (step == 0) { /* normalised text is valid; be safe anyway */
                cp = ' ';
                step = 1;
            }
        }
        if (cfg->words) {
            if (is_ascii_alnum(cp)) {
                if (word_len == 0)
                    word_start = i;
                word_len++;
            } else {
                if (word_len > 0 && word_len <= WORD_MAX)
                    fn(ctx, word_key(s + word_start, word_len), s + word_start, word_len,
                       weight);
                word_len = 0;
            }
        }
        if (cp == ' ') {
            have = 0;
            i += step;
            continue;
        }
        if (have == 3) {
            win[0] = win[1], win[1] = win[2];
            wpos[0] = wpos[1], wpos[1] = wpos[2];
            have = 2;
        }
        win[have] = cp;
        wpos[have] = i;
        have++;
        for (int n = cfg->ngram_min; n <= cfg->ngram_max; n++) {
            if ((size_t)n > have)
                break;
            uint64_t key = 0;
            for (size_t k = have - n; k < have; k++)
                key = key << 21 | win[k];
            size_t from = wpos[have - n];
            fn(ctx, key, s + from, i + step - from, weight);
        }
        i += step;
    }
}

/* The key of a feature as written in the model file: "w:" + word, or 1..3 characters. */
static int gram_key_parse(const char *g, uint64_t *key)
{
    size_t len = strlen(g);
    if (len > 2 && g[0] == 'w' && g[1] == ':') {
        *key = word_key(g + 2, len - 2);
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

/* ---- hash table: key -> feature index --------------------------------------------- */

struct table {
    uint32_t *slot; /* feature index + 1, 0 = empty */
    size_t mask;
};

/* Keys are code points packed 21 bits apart, so their low bits are far from random:
 * a multiply alone left long probe runs (measured: almost five extra probes per lookup
 * at 30 % load).  The MurmurHash3 finaliser mixes every bit into the low ones. */
static size_t table_hash(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    key *= UINT64_C(0xc4ceb9fe1a85ec53);
    key ^= key >> 33;
    return (size_t)key & mask;
}

static int table_init(struct table *t, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    t->slot = calloc(cap, sizeof *t->slot);
    t->mask = cap - 1;
    return t->slot ? 0 : STDTAX_ENOMEM;
}

/* Returns the slot for key: either empty or holding key. */
static uint32_t *table_slot(const struct table *t, const uint64_t *keys, uint64_t key)
{
    size_t h = table_hash(key, t->mask);
    while (t->slot[h] && keys[t->slot[h] - 1] != key)
        h = (h + 1) & t->mask;
    return &t->slot[h];
}

/* ---- the model ----------------------------------------------------------------------
 */

enum { LV_CAT, LV_SUB, LV_COUNT };
static const char *const level_names[LV_COUNT] = {"category", "subcategory"};

struct level {
    size_t n;
    size_t *node;     /* taxonomy node index of each class */
    uint64_t *docs;   /* training examples per class */
    uint64_t *tokens; /* weighted feature occurrences per class */
    double *logprior;
    double *logdenom; /* log(tokens + alpha * V) */
    double *lr_bias;  /* the logistic regression's bias per class (cfg.lr) */
    /* What scoring adds per class: the blend of the naive Bayes' prior and per-n-gram
     * term with the regression's bias (model_finish). */
    double *prior_mix, *per_gram;
};

#define DENSE_LANES 4          /* floats per vector: one SSE register */
#define DENSE_MIN 16           /* entries from which a feature gets a dense row */
#define FSLOT_DENSE UINT32_MAX /* n of a feature whose first is its dense row */

struct fslot {
    uint64_t key; /* 0: empty (no feature key is 0) */
    uint32_t first;
    uint32_t n;
};

struct sentry {
    uint32_t cls; /* category classes first, then subcategory classes */
    float delta;
};

struct prange {
    uint32_t first, n;
};

struct npost {
    uint32_t ex;
    float val;
};

struct entry {
    uint32_t cls;
    uint32_t count;
    double delta; /* log(count + alpha) - log(alpha) */
    double lr;    /* the logistic regression's weight (cfg.lr), else 0 */
};

struct model {
    const struct tax_taxonomy *tax;
    struct model_config cfg;
    char *version, *tax_version, *train_file, *train_sha;
    uint64_t n_examples;
    struct level lv[LV_COUNT];
    size_t n_feat;
    uint64_t *key;
    char **gram;
    uint32_t *start[LV_COUNT], *count[LV_COUNT]; /* entries of each feature per level */
    struct entry *ent;
    size_t n_ent;
    struct table table;
    /* The scoring path, laid out for one cache miss per n-gram: the key, where its
     * entries start and how many there are (both levels, classes numbered across the
     * levels), and compact entries. */
    struct fslot *fslots;
    size_t fmask;
    struct sentry *sent;
    /* Frequent n-grams (in most classes: 人工, 智能, 技术) hold nearly all the entries a
     * text touches; for them a dense row of deltas over every class (padded to a whole
     * number of vectors) replaces the scattered entries. */
    float *dense;
    size_t n_classes, row; /* classes of both levels; row = padded width */
    double log_alpha;
    struct model_cal *cal;    /* per node index; NULL when not calibrated */
    struct model_keywords kw; /* what the calibration was fitted with, when has_kw */
    bool has_kw;
    /* The training examples as weighted n-gram counts, for nearest-neighbour votes
     * (cfg.neighbours): example i has the pairs nn_feat/nn_count[nn_first[i] ..
     * nn_first[i + 1]) sorted by feature index, and class nn_cls[i * LV_COUNT + l] per
     * level (UINT32_MAX: none). */
    double other_threshold;
    size_t n_nn;
    uint32_t *nn_cls, *nn_first, *nn_feat, *nn_count;
    /* Derived: per feature-table slot, the examples holding that n-gram with their
     * tf-idf weight over the example's norm, times the n-gram's idf (the query's side).
     */
    struct prange *prange;
    struct npost *post;
};

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

static int model_version_compute(struct model *m);

/* Six decimals: what the file keeps, so a loaded model scores exactly like the trained
 * one. */
static double round6(double x)
{
    return round(x * 1e6) / 1e6;
}

static const struct model_cal cal_identity = {.scale = 1, .bias = 0, .weak = 0};

int model_calibration_set(struct model *m, const struct model_cal *cal)
{
    size_t n = m->tax->n_nodes;
    if (!m->cal)
        m->cal = calloc(n + 1, sizeof *m->cal);
    if (!m->cal)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (m->tax->nodes[i].depth != 0) {
            m->cal[i] = cal_identity;
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
        *out = cal_identity;
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

double model_other_threshold(const struct model *m)
{
    return m->other_threshold;
}

const char *model_version(const struct model *m)
{
    return m->version;
}

const struct model_config *model_config_get(const struct model *m)
{
    return &m->cfg;
}

static int level_alloc(struct level *lv, size_t n)
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
static int nn_finish(struct model *m)
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
static int feature_table_build(struct model *m)
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
static int model_finish(struct model *m)
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

/* grams_each for scoring: the same features in the same order, without the callback
 * and the feature's text, which scoring does not need. */
static void score_text(struct score_ctx *sc, const struct model_config *cfg,
                       const char *s, size_t len, unsigned weight)
{
    uint64_t win = 0; /* the last three code points, 21 bits each, newest lowest */
    size_t have = 0, i = 0, word_start = 0, word_len = 0;
    const uint64_t mask[4] = {0, (UINT64_C(1) << 21) - 1, (UINT64_C(1) << 42) - 1,
                              (UINT64_C(1) << 63) - 1};
    while (i <= len) {
        uint32_t cp = ' ';
        size_t step = 1;
        if (i < len) {
            step = char_decode(s + i, len - i, &cp);
            if (step == 0) {
                cp = ' ';
                step = 1;
            }
        }
        if (cfg->words) {
            if (is_ascii_alnum(cp)) {
                if (word_len == 0)
                    word_start = i;
                word_len++;
            } else {
                if (word_len > 0 && word_len <= WORD_MAX)
                    score_push(sc, word_key(s + word_start, word_len), weight);
                word_len = 0;
            }
        }
        if (cp == ' ') {
            have = 0;
            win = 0;
            i += step;
            continue;
        }
        win = (win << 21 | cp) & mask[3];
        if (have < 3)
            have++;
        for (int n = cfg->ngram_min; n <= cfg->ngram_max && (size_t)n <= have; n++)
            score_push(sc, win & mask[n], weight);
        i += step;
    }
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
        score_text(&sc, &m->cfg, fields[f]->bytes, fields[f]->len,
                   m->cfg.field_weight[f]);
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
/* The n-grams of a node's pseudo-document: its terms, each repeated in proportion to
 * its weight, and its labels.  each_part (may be NULL) is called after every term and
 * label, for callers that make each one a document of its own; its non-zero return
 * stops the walk and is returned. */
static int node_grams(const struct model_config *cfg, const struct tax_node *node,
                      gram_fn fn, void *ctx, int (*each_part)(void *), void *part_ctx)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < node->n_terms; k++) {
        const struct tax_term *term = &node->terms[k];
        long rep = lround(term->weight * cfg->taxonomy_weight);
        grams_each(cfg, term->norm, strlen(term->norm), rep < 1 ? 1 : (unsigned)rep, fn,
                   ctx);
        rc = each_part ? each_part(part_ctx) : 0;
    }
    const char *labels[2] = {node->zh, node->en};
    for (int k = 0; rc == 0 && k < 2; k++) {
        char *norm = norm_string_new(labels[k]);
        if (!norm)
            return STDTAX_ENOMEM;
        grams_each(cfg, norm, strlen(norm), cfg->taxonomy_weight, fn, ctx);
        free(norm);
        rc = each_part ? each_part(part_ctx) : 0;
    }
    return rc;
}

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
        if (node_grams(t->cfg, node, train_gram, t, NULL, NULL) != 0)
            t->oom = 1;
    }
}

/* The n-grams of a training example's fields (a title_en equal to the title once),
 * with their field weights; titles_only for the neighbour vectors of nn_titles. */
static int example_grams(const struct model_config *cfg, const struct model_example *ex,
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
    }
    if (rc == 0) {
        int use[MODEL_FIELD_COUNT];
        memcpy(use, have, sizeof use);
        model_fields_dedupe(nt, use);
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            if (use[f] && cfg->field_weight[f] > 0 &&
                (!titles_only || f == MODEL_FIELD_TITLE || f == MODEL_FIELD_TITLE_EN))
                grams_each(cfg, nt[f].bytes, nt[f].len, cfg->field_weight[f], fn, ctx);
    }
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (have[f])
            norm_text_free(&nt[f]);
    return rc;
}

struct order {
    const char *gram;
    size_t idx;
};

static int order_cmp(const void *a, const void *b)
{
    return strcmp(((const struct order *)a)->gram, ((const struct order *)b)->gram);
}

static char *strdup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* Sets m->version from the SHA-256 of the model's JSON without the version. */
static int model_version_compute(struct model *m)
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

struct nn_acc {
    const struct model *m;
    uint32_t *count;   /* per feature index, of the current example */
    uint32_t *touched; /* feature indexes with a count */
    size_t n_touched;
};

static void nn_gram(void *vctx, uint64_t key, const char *gram, size_t len,
                    unsigned weight)
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

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
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
        rc = example_grams(cfg, &ex[i], cfg->nn_titles, nn_gram, &a, err);
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

/* ---- logistic regression -------------------------------------------------------- */

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
        rc =
            node_grams(cfg, node, nn_gram, &a, cfg->lr_terms ? lr_part_end : NULL, &part);
        if (rc == 0 && !cfg->lr_terms)
            rc = lr_part_end(&part);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = example_grams(cfg, &ex[i], 0, nn_gram, &a, err);
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

static int lr_fit(struct model *m, const struct model_example *ex, size_t n,
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

static int config_check(const struct model_config *cfg, struct stdtax_error *err)
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

int model_train(const struct tax_taxonomy *tax, const struct model_example *ex, size_t n,
                const struct model_config *cfg, const char *source_name,
                const char *source_sha256, struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    int rc = config_check(cfg, err);
    if (rc)
        return rc;
    if (n == 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no training examples");
    struct model *m = calloc(1, sizeof *m);
    struct train t = {.cfg = cfg};
    size_t *cls_index = calloc(tax->n_nodes + 1, sizeof *cls_index);
    if (!m || !cls_index) {
        free(m);
        free(cls_index);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    m->tax = tax;
    m->cfg = *cfg;
    m->n_examples = n;
    rc = STDTAX_ENOMEM;

    /* Classes: the nodes with at least one example, in taxonomy order. */
    int *is_cls = NULL;
    uint64_t *docs = calloc(tax->n_nodes + 1, sizeof *docs);
    if (!docs)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        docs[ex[i].category->index]++;
        if (ex[i].subcategory)
            docs[ex[i].subcategory->index]++;
    }
    /* With taxonomy pseudo-documents every node that has evidence is a class. */
    is_cls = calloc(tax->n_nodes + 1, sizeof *is_cls);
    if (!is_cls)
        goto fail_docs;
    for (size_t i = 0; i < tax->n_nodes; i++) {
        const struct tax_node *node = &tax->nodes[i];
        is_cls[i] = docs[i] > 0;
        if (cfg->taxonomy_weight > 0 && node->n_terms > 0) {
            is_cls[i] = 1;
            if (node->parent)
                is_cls[node->parent->index] = 1;
        }
    }
    for (size_t i = 0; i < tax->n_nodes; i++)
        if (is_cls[i])
            t.n_cls[tax->nodes[i].depth == 0 ? LV_CAT : LV_SUB]++;
    for (int l = 0; l < LV_COUNT; l++)
        if (level_alloc(&m->lv[l], t.n_cls[l]) != 0)
            goto fail_docs;
    size_t fill[LV_COUNT] = {0, 0};
    for (size_t i = 0; i < tax->n_nodes; i++) {
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
    docs = NULL;
    is_cls = NULL;

    if (train_grow(&t) != 0)
        goto fail;
    if (cfg->taxonomy_weight > 0)
        train_taxonomy(&t, tax, cls_index);
    for (size_t i = 0; i < n && !t.oom; i++) {
        t.cls_of[LV_CAT] = cls_index[ex[i].category->index];
        t.cls_of[LV_SUB] =
            ex[i].subcategory ? cls_index[ex[i].subcategory->index] : SIZE_MAX;
        struct norm_text nt[MODEL_FIELD_COUNT];
        int have[MODEL_FIELD_COUNT] = {0};
        for (int f = 0; f < MODEL_FIELD_COUNT && rc == STDTAX_ENOMEM; f++) {
            if (!ex[i].field[f])
                continue;
            int nrc = norm_text_new(ex[i].field[f], strlen(ex[i].field[f]), &nt[f], err);
            if (nrc != 0) {
                rc = nrc;
                if (err)
                    snprintf(err->field, sizeof err->field, "example %zu/%s", i,
                             model_field_name(f));
                break;
            }
            have[f] = 1;
        }
        if (rc == STDTAX_ENOMEM) {
            int use[MODEL_FIELD_COUNT];
            memcpy(use, have, sizeof use);
            model_fields_dedupe(nt, use);
            for (int f = 0; f < MODEL_FIELD_COUNT; f++)
                if (use[f] && cfg->field_weight[f] > 0)
                    grams_each(cfg, nt[f].bytes, nt[f].len, cfg->field_weight[f],
                               train_gram, &t);
        }
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            if (have[f])
                norm_text_free(&nt[f]);
        if (rc != STDTAX_ENOMEM)
            goto fail;
    }
    if (t.oom)
        goto fail;

    /* Features sorted by their text, so the file and the version never depend on the
     * order of the examples' n-grams in memory. */
    struct order *ord = malloc((t.n_feat + 1) * sizeof *ord);
    if (!ord)
        goto fail;
    for (size_t f = 0; f < t.n_feat; f++)
        ord[f] = (struct order){t.gram[f], f};
    qsort(ord, t.n_feat, sizeof *ord, order_cmp);
    size_t width = t.n_cls[LV_CAT] + t.n_cls[LV_SUB];
    size_t n_ent = 0;
    for (size_t i = 0; i < t.n_feat * width; i++)
        n_ent += t.counts[i] != 0;
    m->n_feat = t.n_feat;
    m->key = malloc((t.n_feat + 1) * sizeof *m->key);
    m->gram = calloc(t.n_feat + 1, sizeof *m->gram);
    m->ent = malloc((n_ent + 1) * sizeof *m->ent);
    for (int l = 0; l < LV_COUNT; l++) {
        m->start[l] = malloc((t.n_feat + 1) * sizeof *m->start[l]);
        m->count[l] = calloc(t.n_feat + 1, sizeof *m->count[l]);
        if (!m->start[l] || !m->count[l])
            goto fail_ord;
    }
    if (!m->key || !m->gram || !m->ent)
        goto fail_ord;
    for (size_t f = 0; f < t.n_feat; f++) {
        size_t src = ord[f].idx;
        m->key[f] = t.key[src];
        m->gram[f] = t.gram[src];
        t.gram[src] = NULL;
        const uint32_t *row = t.counts + src * width;
        size_t off = 0;
        for (int l = 0; l < LV_COUNT; l++) {
            m->start[l][f] = (uint32_t)m->n_ent;
            for (size_t c = 0; c < t.n_cls[l]; c++) {
                if (!row[off + c])
                    continue;
                m->ent[m->n_ent++] = (struct entry){(uint32_t)c, row[off + c], 0, 0};
                m->count[l][f]++;
                m->lv[l].tokens[c] += row[off + c];
            }
            off += t.n_cls[l];
        }
    }
    free(ord);
    m->tax_version = strdup_or_empty(tax->version);
    m->train_file = strdup_or_empty(source_name);
    m->train_sha = strdup_or_empty(source_sha256);
    if (!m->tax_version || !m->train_file || !m->train_sha)
        goto fail;
    rc = cfg->lr ? lr_fit(m, ex, n, cls_index, err) : 0;
    if (rc == 0)
        rc = model_finish(m);
    if (rc == 0 && cfg->neighbours)
        rc = nn_collect(m, ex, n, cls_index, err);
    if (rc == 0)
        rc = model_version_compute(m);
    if (rc != 0)
        goto fail;
    for (size_t f = 0; f < t.n_feat; f++)
        free(t.gram[f]);
    free(t.gram);
    free(t.key);
    free(t.counts);
    free(t.table.slot);
    free(cls_index);
    *out = m;
    return 0;

fail_ord:
    free(ord);
fail_docs:
    free(docs);
    free(is_cls);
fail:
    for (size_t f = 0; f < t.n_feat; f++)
        free(t.gram[f]);
    free(t.gram);
    free(t.key);
    free(t.counts);
    free(t.table.slot);
    free(cls_index);
    model_free(m);
    if (rc == STDTAX_ENOMEM || t.oom)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory while training");
    return rc;
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
        json_object_set_new(levels, level_names[l], lj);
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
        json_object_set_new(weights, field_names[f],
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
                    json_object_set_new(fw, field_names[f],
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
        if (m->cfg.lr) { /* absent when off: such a model file did not change */
            json_object_set_new(c, "lr", json_true());
            json_object_set_new(c, "lr_l2", json_real(m->cfg.lr_l2));
            json_object_set_new(c, "lr_iters", json_integer(m->cfg.lr_iters));
            json_object_set_new(c, "lr_blend", json_real(m->cfg.lr_blend));
            json_object_set_new(c, "lr_terms", json_boolean(m->cfg.lr_terms));
        }
        json_object_set_new(root, "other_threshold", json_real(m->other_threshold));
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

static int bad(struct stdtax_error *err, const char *ptr, const char *what)
{
    return stdtax_error_set(err, STDTAX_EINVAL, ptr, "model file: %s", what);
}

static int load_levels(struct model *m, const json_t *levels, struct stdtax_error *err)
{
    const struct tax_taxonomy *tax = m->tax;
    for (int l = 0; l < LV_COUNT; l++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/levels/%s", level_names[l]);
        const json_t *lv = json_object_get(levels, level_names[l]);
        const json_t *classes = json_object_get(lv, "classes");
        const json_t *docs = json_object_get(lv, "docs");
        const json_t *tokens = json_object_get(lv, "tokens");
        size_t n = json_array_size(classes);
        if (!json_is_array(classes) || json_array_size(docs) != n ||
            json_array_size(tokens) != n)
            return bad(err, ptr, "classes, docs and tokens must be arrays of one length");
        if (level_alloc(&m->lv[l], n) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        for (size_t c = 0; c < n; c++) {
            const char *code = json_string_value(json_array_get(classes, c));
            const struct tax_node *node = tax_node_find(tax, code);
            if (!node || node->depth != l)
                return stdtax_error_set(err, STDTAX_EVERSION, ptr,
                                        "model class \"%s\" is not a %s of the taxonomy",
                                        code ? code : "?", level_names[l]);
            json_int_t d = json_integer_value(json_array_get(docs, c));
            json_int_t t = json_integer_value(json_array_get(tokens, c));
            if (d < 0 || t < 0)
                return bad(err, ptr, "docs and tokens must not be negative");
            m->lv[l].node[c] = node->index;
            m->lv[l].docs[c] = (uint64_t)d;
            m->lv[l].tokens[c] = (uint64_t)t;
        }
        const json_t *bias = json_object_get(lv, "lr_bias");
        if (!m->cfg.lr != !bias || (bias && json_array_size(bias) != n))
            return bad(err, ptr,
                       "lr_bias must be an array of one bias per class exactly "
                       "when config.lr is true");
        for (size_t c = 0; bias && c < n; c++) {
            const json_t *v = json_array_get(bias, c);
            if (!json_is_number(v) || !(fabs(json_number_value(v)) <= 1e6))
                return bad(err, ptr, "lr_bias values must be finite numbers");
            m->lv[l].lr_bias[c] = json_number_value(v);
        }
    }
    return 0;
}

/* Room for the feature table: n features and n_ent entries over both levels. */
static int features_alloc(struct model *m, size_t n, size_t n_ent,
                          struct stdtax_error *err)
{
    m->key = malloc((n + 1) * sizeof *m->key);
    m->gram = calloc(n + 1, sizeof *m->gram);
    m->ent = malloc((n_ent + 1) * sizeof *m->ent);
    for (int l = 0; l < LV_COUNT; l++) {
        m->start[l] = malloc((n + 1) * sizeof *m->start[l]);
        m->count[l] = calloc(n + 1, sizeof *m->count[l]);
        if (!m->start[l] || !m->count[l])
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (!m->key || !m->gram || !m->ent)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

static const char *features_row_shape(const struct model *m)
{
    return m->cfg.lr ? "bad [class, count, weight] triple" : "bad [class, count] pair";
}

/* Feature f's gram (g NULL: not a string). */
static int feature_gram_add(struct model *m, size_t f, const char *g, const char *ptr,
                            struct stdtax_error *err)
{
    if (!g || gram_key_parse(g, &m->key[f]) != 0)
        return bad(err, ptr, "must be [gram, [[class, count]...], [[class, count]...]]");
    m->gram[f] = strdup(g);
    if (!m->gram[f])
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    m->n_feat = f + 1;
    return 0;
}

/* One [class, count(, weight)] entry of feature f at level l; arity is how many numbers
 * it had, has_w whether the third is one. */
static int feature_entry_add(struct model *m, int l, size_t f, size_t arity, json_int_t c,
                             json_int_t cnt, int has_w, double w, const char *ptr,
                             struct stdtax_error *err)
{
    if (arity != (m->cfg.lr ? 3u : 2u) || c < 0 || (size_t)c >= m->lv[l].n || cnt <= 0 ||
        cnt > UINT32_MAX || (arity == 3 && !(has_w && fabs(w) <= 1e6)))
        return bad(err, ptr, features_row_shape(m));
    m->ent[m->n_ent++] =
        (struct entry){(uint32_t)c, (uint32_t)cnt, 0, arity == 3 ? w : 0};
    m->count[l][f]++;
    return 0;
}

static int load_features(struct model *m, const json_t *features,
                         struct stdtax_error *err)
{
    size_t n = json_array_size(features);
    if (!json_is_array(features) || n > FEATURES_MAX)
        return bad(err, "/features", "must be an array");
    size_t n_ent = 0;
    for (size_t f = 0; f < n; f++)
        for (int l = 0; l < LV_COUNT; l++)
            n_ent += json_array_size(json_array_get(json_array_get(features, f), 1 + l));
    int rc = features_alloc(m, n, n_ent, err);
    for (size_t f = 0; rc == 0 && f < n; f++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/features/%zu", f);
        const json_t *row = json_array_get(features, f);
        if (!json_is_array(row) || json_array_size(row) != 1 + LV_COUNT)
            return bad(err, ptr,
                       "must be [gram, [[class, count]...], [[class, count]...]]");
        rc = feature_gram_add(m, f, json_string_value(json_array_get(row, 0)), ptr, err);
        for (int l = 0; rc == 0 && l < LV_COUNT; l++) {
            const json_t *pairs = json_array_get(row, 1 + l);
            m->start[l][f] = (uint32_t)m->n_ent;
            for (size_t k = 0; rc == 0 && k < json_array_size(pairs); k++) {
                const json_t *p = json_array_get(pairs, k);
                const json_t *c = json_array_get(p, 0), *cnt = json_array_get(p, 1);
                const json_t *w = json_array_get(p, 2);
                /* Not integers: -1 and 0, which feature_entry_add refuses. */
                rc = feature_entry_add(m, l, f, json_array_size(p),
                                       json_is_integer(c) ? json_integer_value(c) : -1,
                                       json_is_integer(cnt) ? json_integer_value(cnt) : 0,
                                       json_is_number(w), json_number_value(w), ptr, err);
            }
        }
    }
    return rc;
}

/* ---- the feature table straight from the file's text ------------------------------
 * jansson spends ~200 M instructions building and freeing the ~100 000 small values of
 * a model's "features" (most of `stdtax classify`'s start-up and of a daemon's reload);
 * the rows have one fixed shape, read here without building values.  Anything else the
 * file may hold falls back to jansson, which then words the error. */

struct ftext {
    const char *p, *end;
    char *str; /* decoded gram; room for the longest string of the text */
};

static void ft_ws(struct ftext *t)
{
    while (t->p < t->end &&
           (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
        t->p++;
}

static int ft_char(struct ftext *t, char c)
{
    ft_ws(t);
    if (t->p < t->end && *t->p == c) {
        t->p++;
        return 1;
    }
    return 0;
}

/* Length of the JSON number at p (RFC 8259 grammar: no leading zeros, no '+', digits
 * on both sides of the point), 0 if there is none; *integer says whether it has no
 * fraction and no exponent. */
static size_t ft_number_len(const char *p, const char *end, int *integer)
{
    const char *q = p;
    if (q < end && *q == '-')
        q++;
    if (q >= end || *q < '0' || *q > '9')
        return 0;
    if (*q == '0')
        q++;
    else
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    *integer = 1;
    if (q < end && *q == '.') {
        *integer = 0;
        const char *d = ++q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return 0;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        *integer = 0;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        const char *d = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return 0;
    }
    return (size_t)(q - p);
}

/* A JSON number into *v (integer: one without fraction or exponent, at most 18 digits).
 */
static int ft_number(struct ftext *t, int want_integer, json_int_t *iv, double *dv)
{
    ft_ws(t);
    int integer;
    size_t n = ft_number_len(t->p, t->end, &integer);
    char buf[64];
    if (n == 0 || n >= sizeof buf || (want_integer && (!integer || n > 18)))
        return 0;
    memcpy(buf, t->p, n);
    buf[n] = 0;
    char *stop;
    if (integer && n <= 18) {
        /* as jansson: an integer, so "-0" is 0, never -0.0 */
        json_int_t x = strtoll(buf, &stop, 10);
        if (want_integer)
            *iv = x;
        else
            *dv = (double)x;
    } else if (want_integer) {
        return 0;
    } else {
        *dv = strtod(buf, &stop);
    }
    if ((size_t)(stop - buf) != n || (!want_integer && !isfinite(*dv)))
        return 0;
    t->p += n;
    return 1;
}

static int ft_int(struct ftext *t, json_int_t *v)
{
    return ft_number(t, 1, v, NULL);
}

static int ft_real(struct ftext *t, double *v)
{
    return ft_number(t, 0, NULL, v);
}

/* One pass over the "features" array text: with m NULL it only counts rows and entries;
 * with m it fills the table allocated for those counts.  0 on any text it does not
 * read (the caller falls back to jansson). */
static int ft_rows(struct ftext *t, struct model *m, size_t *n_rows, size_t *n_ent,
                   struct stdtax_error *err)
{
    size_t f = 0, e = 0;
    if (!ft_char(t, '['))
        return 0;
    if (ft_char(t, ']'))
        goto done;
    do {
        size_t glen;
        char ptr[64] = "";
        if (m)
            snprintf(ptr, sizeof ptr, "/features/%zu", f);
        if (!ft_char(t, '[') || (ft_ws(t), t->p >= t->end || *t->p != '"') ||
            !jsonflat_string_decode(&t->p, t->end, t->str, &glen) ||
            strlen(t->str) != glen || utf8_text_validate(t->str, glen, NULL) != 0)
            return 0; /* jansson takes valid UTF-8 only */
        if (m && feature_gram_add(m, f, t->str, ptr, err) != 0)
            return 0;
        for (int l = 0; l < LV_COUNT; l++) {
            if (!ft_char(t, ',') || !ft_char(t, '['))
                return 0;
            if (m)
                m->start[l][f] = (uint32_t)m->n_ent;
            if (ft_char(t, ']'))
                continue;
            do {
                json_int_t c, cnt;
                double w = 0;
                size_t arity = 2;
                if (!ft_char(t, '[') || !ft_int(t, &c) || !ft_char(t, ',') ||
                    !ft_int(t, &cnt))
                    return 0;
                if (ft_char(t, ',')) {
                    if (!ft_real(t, &w))
                        return 0;
                    arity = 3;
                }
                if (!ft_char(t, ']'))
                    return 0;
                if (m && feature_entry_add(m, l, f, arity, c, cnt, arity == 3, w, ptr,
                                           err) != 0)
                    return 0;
                e++;
            } while (ft_char(t, ','));
            if (!ft_char(t, ']'))
                return 0;
        }
        if (!ft_char(t, ']') || ++f > FEATURES_MAX)
            return 0;
    } while (ft_char(t, ','));
    if (!ft_char(t, ']'))
        return 0;
done:
    ft_ws(t);
    *n_rows = f;
    *n_ent = e;
    return t->p == t->end;
}

/* Past one JSON string at t->p (its opening quote). */
static int ft_skip_string(struct ftext *t)
{
    for (t->p++; t->p < t->end && *t->p != '"'; t->p++)
        if (*t->p == '\\' && ++t->p >= t->end)
            return 0;
    if (t->p >= t->end)
        return 0;
    t->p++;
    return 1;
}

/* Past one JSON value at t->p (strings, nesting), without checking it: jansson reads
 * the rest of the file and will. */
static int ft_skip(struct ftext *t)
{
    ft_ws(t);
    if (t->p >= t->end)
        return 0;
    if (*t->p == '"')
        return ft_skip_string(t);
    if (*t->p != '[' && *t->p != '{') { /* a number or a literal */
        const char *from = t->p;
        while (t->p < t->end && !strchr(",]} \t\r\n", *t->p))
            t->p++;
        return t->p > from;
    }
    size_t depth = 0;
    do {
        if (t->p >= t->end)
            return 0;
        char c = *t->p;
        if (c == '"') {
            if (!ft_skip_string(t))
                return 0;
            continue;
        }
        if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
        t->p++;
    } while (depth > 0);
    return 1;
}

/* Where the top-level member "features" of the object text[0..len) has its value
 * (*from, *to); 0 when it is not found exactly once. */
static int ft_features_span(const char *text, size_t len, char *scratch, size_t *from,
                            size_t *to)
{
    struct ftext t = {text, text + len, scratch};
    int found = 0;
    if (!ft_char(&t, '{'))
        return 0;
    do {
        size_t klen;
        ft_ws(&t);
        if (t.p >= t.end || *t.p != '"' ||
            !jsonflat_string_decode(&t.p, t.end, scratch, &klen) || !ft_char(&t, ':'))
            return 0;
        int is_features = klen == 8 && memcmp(scratch, "features", 8) == 0;
        ft_ws(&t);
        const char *v = t.p;
        if (!ft_skip(&t))
            return 0;
        if (is_features) {
            if (found++)
                return 0;
            *from = (size_t)(v - text);
            *to = (size_t)(t.p - text);
        }
    } while (ft_char(&t, ','));
    return found == 1 && ft_char(&t, '}');
}

static int model_json_head(const json_t *root, const struct tax_taxonomy *tax,
                           struct model **out, struct stdtax_error *err);
static int model_json_tail(struct model *m, const json_t *root, struct stdtax_error *err);

/* The model of text[0..len) with its feature table read by ft_rows, or 0 when the fast
 * path does not apply (then *out stays NULL and the caller parses with jansson). */
static int model_text_load_fast(const char *text, size_t len,
                                const struct tax_taxonomy *tax, struct model **out)
{
    *out = NULL;
    char *scratch = malloc(len + 1);
    char *rest = malloc(len + 3);
    size_t from = 0, to = 0, n_rows = 0, n_ent = 0;
    struct stdtax_error err = {0};
    json_t *root = NULL;
    struct model *m = NULL;
    int ok = scratch && rest && ft_features_span(text, len, scratch, &from, &to);
    if (ok) {
        /* The rest of the file with an empty feature list, for jansson. */
        memcpy(rest, text, from);
        memcpy(rest + from, "[]", 2);
        memcpy(rest + from + 2, text + to, len - to);
        root = json_loadb(rest, len - (to - from) + 2, JSON_REJECT_DUPLICATES, NULL);
        struct ftext count = {text + from, text + to, scratch};
        ok = root && ft_rows(&count, NULL, &n_rows, &n_ent, NULL);
    }
    if (ok)
        ok = model_json_head(root, tax, &m, &err) == 0 &&
             features_alloc(m, n_rows, n_ent, &err) == 0;
    if (ok) {
        struct ftext fill = {text + from, text + to, scratch};
        size_t r2, e2;
        ok = ft_rows(&fill, m, &r2, &e2, &err) && r2 == n_rows && e2 == n_ent &&
             model_json_tail(m, root, &err) == 0;
    }
    json_decref(root);
    free(scratch);
    free(rest);
    if (!ok) {
        model_free(m);
        return 0;
    }
    *out = m;
    return 1;
}

/* The training examples of the nearest-neighbour votes: optional, and required when the
 * config says the model keeps them. */
static int load_neighbours(struct model *m, const json_t *nn, struct stdtax_error *err)
{
    if (!m->cfg.neighbours)
        return nn ? bad(err, "/neighbours", "present but config.neighbours is false") : 0;
    size_t n = json_array_size(nn), pairs = 0;
    if (!json_is_array(nn) || n == 0 || n > UINT32_MAX / 2)
        return bad(err, "/neighbours", "must be a non-empty array");
    for (size_t i = 0; i < n; i++)
        pairs += json_array_size(json_array_get(json_array_get(nn, i), 2)) / 2;
    m->nn_cls = malloc((n * LV_COUNT + 1) * sizeof *m->nn_cls);
    m->nn_first = malloc((n + 1) * sizeof *m->nn_first);
    m->nn_feat = malloc((pairs + 1) * sizeof *m->nn_feat);
    m->nn_count = malloc((pairs + 1) * sizeof *m->nn_count);
    if (!m->nn_cls || !m->nn_first || !m->nn_feat || !m->nn_count)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/neighbours/%zu", i);
        const json_t *e = json_array_get(nn, i), *v = json_array_get(e, 2);
        json_int_t c = json_integer_value(json_array_get(e, 0));
        json_int_t sc = json_integer_value(json_array_get(e, 1));
        if (!json_is_array(e) || json_array_size(e) != 3 ||
            !json_is_integer(json_array_get(e, 0)) ||
            !json_is_integer(json_array_get(e, 1)) || c < 0 ||
            (size_t)c >= m->lv[LV_CAT].n || sc < -1 ||
            sc >= (json_int_t)m->lv[LV_SUB].n || !json_is_array(v) ||
            json_array_size(v) % 2 != 0)
            return bad(err, ptr, "must be [class, subclass or -1, [feature, count...]]");
        m->nn_cls[i * LV_COUNT + LV_CAT] = (uint32_t)c;
        m->nn_cls[i * LV_COUNT + LV_SUB] = sc < 0 ? UINT32_MAX : (uint32_t)sc;
        m->nn_first[i] = (uint32_t)used;
        json_int_t prev = -1;
        for (size_t k = 0; k + 1 < json_array_size(v); k += 2) {
            json_int_t f = json_integer_value(json_array_get(v, k));
            json_int_t cnt = json_integer_value(json_array_get(v, k + 1));
            if (!json_is_integer(json_array_get(v, k)) || f <= prev ||
                (size_t)f >= m->n_feat || cnt <= 0 || cnt > UINT32_MAX)
                return bad(err, ptr, "features must ascend, counts be positive");
            prev = f;
            m->nn_feat[used] = (uint32_t)f;
            m->nn_count[used++] = (uint32_t)cnt;
        }
    }
    m->nn_first[n] = (uint32_t)used;
    m->n_nn = n;
    return 0;
}

/* "keywords" is optional: a file from before it existed has none. */
static int load_keywords(struct model *m, const json_t *kw, struct stdtax_error *err)
{
    if (!kw)
        return 0;
    const json_t *fw = json_object_get(kw, "field_weights");
    const json_t *lm = json_object_get(kw, "longest_match");
    const json_t *pl = json_object_get(kw, "plurals");
    const json_t *ob = json_object_get(kw, "other_baseline");
    if (!json_is_object(kw) || !json_is_object(fw) || !json_is_boolean(lm) ||
        !json_is_boolean(pl) || !json_is_number(ob) || !isfinite(json_number_value(ob)))
        return bad(err, "/calibration/keywords",
                   "must be {field_weights: {...}, longest_match: bool, plurals: bool, "
                   "other_baseline: number}");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const json_t *w = json_object_get(fw, field_names[f]);
        if (!json_is_number(w) || !isfinite(json_number_value(w)))
            return bad(err, "/calibration/keywords/field_weights",
                       "needs a number for every field");
        m->kw.field_weight[f] = round6(json_number_value(w));
    }
    m->kw.longest_match = json_is_true(lm);
    m->kw.plurals = json_is_true(pl);
    /* Six decimals, as the engine's side is compared (a hand-written 0.3000001 is 0.3).
     */
    m->kw.other_baseline = round6(json_number_value(ob));
    m->has_kw = true;
    return 0;
}

/* "weak" is optional: a file from before it existed has none. */
static int load_calibration(struct model *m, const json_t *cal, struct stdtax_error *err)
{
    if (!cal || json_is_null(cal))
        return 0;
    int krc = load_keywords(m, json_object_get(cal, "keywords"), err);
    if (krc != 0)
        return krc;
    static const char *const keys[] = {"scale", "bias", "weak"};
    const json_t *maps[3];
    for (int k = 0; k < 3; k++) {
        maps[k] = json_object_get(cal, keys[k]);
        if (!(json_is_object(maps[k]) || (k == 2 && !maps[k])))
            return bad(err, "/calibration",
                       "must be {scale: {...}, bias: {...}, weak: {...}}");
    }
    size_t n = m->tax->n_nodes;
    m->cal = calloc(n + 1, sizeof *m->cal);
    if (!m->cal)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t i = 0; i < n; i++)
        m->cal[i] = cal_identity;
    for (int k = 0; k < 3; k++) {
        const char *code;
        const json_t *v;
        json_object_foreach((json_t *)maps[k], code, v)
        {
            const struct tax_node *node = tax_node_find(m->tax, code);
            if (!node || node->depth != 0)
                return stdtax_error_set(err, STDTAX_EVERSION, "/calibration",
                                        "\"%s\" is not a category of the taxonomy", code);
            if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
                fabs(json_number_value(v)) > 1e6)
                return bad(err, "/calibration", "values must be finite numbers");
            struct model_cal *c = &m->cal[node->index];
            double *dst[3] = {&c->scale, &c->bias, &c->weak};
            *dst[k] = json_number_value(v);
        }
    }
    return 0;
}

/* Everything of a model file before its feature table: *out is new on 0, its table
 * still empty. */
static int model_json_head(const json_t *root, const struct tax_taxonomy *tax,
                           struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    if (!json_is_object(root))
        return bad(err, "", "must be a JSON object");
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, "stdtax-naive-bayes") != 0)
        return bad(err, "/format", "not a stdtax naive Bayes model");
    if (json_integer_value(json_object_get(root, "format_version")) !=
        MODEL_FORMAT_VERSION)
        return stdtax_error_set(err, STDTAX_EVERSION, "/format_version",
                                "model format version %d expected", MODEL_FORMAT_VERSION);
    const char *tv = json_string_value(json_object_get(root, "taxonomy_version"));
    if (!tv || strcmp(tv, tax->version) != 0)
        return stdtax_error_set(err, STDTAX_EVERSION, "/taxonomy_version",
                                "model trained for taxonomy %s, loaded with %s",
                                tv ? tv : "?", tax->version);
    const json_t *cfg = json_object_get(root, "config");
    struct model *m = calloc(1, sizeof *m);
    if (!m)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    m->tax = tax;
    m->cfg.ngram_min = (int)json_integer_value(json_object_get(cfg, "ngram_min"));
    m->cfg.ngram_max = (int)json_integer_value(json_object_get(cfg, "ngram_max"));
    m->cfg.words = json_is_true(json_object_get(cfg, "words"));
    m->cfg.alpha = json_number_value(json_object_get(cfg, "alpha"));
    m->cfg.uniform_prior = json_is_true(json_object_get(cfg, "uniform_prior"));
    m->cfg.complement = json_is_true(json_object_get(cfg, "complement"));
    json_int_t tw = json_integer_value(json_object_get(cfg, "taxonomy_weight"));
    m->cfg.taxonomy_weight = tw < 0 || tw > 100 ? 1000 : (unsigned)tw;
    m->cfg.cal_l2_scale = json_number_value(json_object_get(cfg, "cal_l2_scale"));
    m->cfg.cal_l2_bias = json_number_value(json_object_get(cfg, "cal_l2_bias"));
    m->cfg.cal_l2_weak = json_number_value(json_object_get(cfg, "cal_l2_weak"));
    m->cfg.cal_weak = json_is_true(json_object_get(cfg, "cal_weak"));
    m->cfg.neighbours = json_is_true(json_object_get(cfg, "neighbours"));
    m->cfg.nn_titles = json_is_true(json_object_get(cfg, "nn_titles"));
    m->cfg.lr = json_is_true(json_object_get(cfg, "lr"));
    if (m->cfg.lr) {
        json_int_t it = json_integer_value(json_object_get(cfg, "lr_iters"));
        m->cfg.lr_iters = it < 0 || it > 100000 ? 1000000 : (unsigned)it;
        m->cfg.lr_l2 = json_number_value(json_object_get(cfg, "lr_l2"));
        const json_t *bl = json_object_get(cfg, "lr_blend");
        m->cfg.lr_blend = json_is_number(bl) ? json_number_value(bl) : -1;
        m->cfg.lr_terms = json_is_true(json_object_get(cfg, "lr_terms"));
    }
    json_int_t ocv = json_integer_value(json_object_get(cfg, "other_cv"));
    m->cfg.other_cv = ocv < 0 || ocv > 100 ? 1000 : (unsigned)ocv;
    const json_t *oth = json_object_get(root, "other_threshold");
    m->other_threshold = json_is_number(oth) ? json_number_value(oth) : 0.0;
    m->cfg.nn_max_df = json_is_number(json_object_get(cfg, "nn_max_df"))
                           ? json_number_value(json_object_get(cfg, "nn_max_df"))
                           : 1.0;
    const json_t *fw = json_object_get(cfg, "field_weights");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        json_int_t w = json_integer_value(json_object_get(fw, field_names[f]));
        m->cfg.field_weight[f] = w < 0 || w > 100 ? 1000 : (unsigned)w;
    }
    int rc = config_check(&m->cfg, err);
    if (rc == 0 && !(m->other_threshold >= 0 && m->other_threshold <= 1))
        rc = bad(err, "/other_threshold", "must be in [0, 1]");
    if (rc == 0)
        rc = load_levels(m, json_object_get(root, "levels"), err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Everything after the feature table; on an error the caller frees m. */
static int model_json_tail(struct model *m, const json_t *root, struct stdtax_error *err)
{
    const char *tv = json_string_value(json_object_get(root, "taxonomy_version"));
    const json_t *training = json_object_get(root, "training");
    int rc = 0;
    if (rc == 0) {
        m->tax_version = strdup(tv);
        m->train_file =
            strdup_or_empty(json_string_value(json_object_get(training, "file")));
        m->train_sha =
            strdup_or_empty(json_string_value(json_object_get(training, "sha256")));
        m->n_examples =
            (uint64_t)json_integer_value(json_object_get(training, "examples"));
        const char *ver = json_string_value(json_object_get(root, "model_version"));
        m->version = strdup_or_empty(ver);
        if (!m->tax_version || !m->train_file || !m->train_sha || !m->version)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        else if (!ver || !*ver)
            rc = bad(err, "/model_version", "missing");
    }
    if (rc == 0)
        rc = load_calibration(m, json_object_get(root, "calibration"), err);
    if (rc == 0)
        rc = load_neighbours(m, json_object_get(root, "neighbours"), err);
    if (rc == 0 && model_finish(m) != 0)
        rc = bad(err, "/features", "a feature appears twice");
    return rc;
}

int model_json_load(const json_t *root, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err)
{
    struct model *m = NULL;
    int rc = model_json_head(root, tax, &m, err);
    if (rc == 0)
        rc = load_features(m, json_object_get(root, "features"), err);
    if (rc == 0)
        rc = model_json_tail(m, root, err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int model_file_load(const char *path, const struct tax_taxonomy *tax, struct model **out,
                    struct stdtax_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, "",
                                "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    /* Never more than one byte over the bound: enough to refuse a larger file. */
    const size_t limit = (size_t)MODEL_FILE_MAX + 1;
    while (rc == 0) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 1u << 20;
            if (ncap > limit)
                ncap = limit;
            char *bigger = realloc(text, ncap);
            if (!bigger) {
                rc = STDTAX_ENOMEM;
                break;
            }
            text = bigger;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len > MODEL_FILE_MAX)
            rc = stdtax_error_set(err, STDTAX_ETOOBIG, "", "%s: over %u bytes", path,
                                  (unsigned)MODEL_FILE_MAX);
        else if (got == 0 && ferror(f))
            rc = stdtax_error_set(err, STDTAX_EIO, "", "%s: read error", path);
        else if (got == 0)
            break;
    }
    fclose(f);
    if (rc == STDTAX_ENOMEM)
        stdtax_error_set(err, rc, "", "out of memory");
    if (rc != 0) {
        free(text);
        return rc;
    }
    rc = model_text_load(text, len, tax, out, err);
    if (rc == STDTAX_EPARSE && err) {
        /* name the file, as the other errors of this function do */
        char detail[sizeof err->text];
        snprintf(detail, sizeof detail, "%s", err->text);
        stdtax_error_set(err, rc, "", "%s: %s", path, detail);
    }
    free(text);
    return rc;
}

int model_text_load(const char *text, size_t len, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    if (model_text_load_fast(text, len, tax, out))
        return 0;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return stdtax_error_set(err, STDTAX_EPARSE, "", "line %d: %s", je.line, je.text);
    int rc = model_json_load(root, tax, out, err);
    json_decref(root);
    return rc;
}

/* ---- labelled examples ------------------------------------------------------------- */

void model_examples_free(struct model_example *ex, size_t n)
{
    for (size_t i = 0; ex && i < n; i++) {
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            free(ex[i].field[f]);
        free(ex[i].code);
    }
    free(ex);
}

static int example_parse(const json_t *j, const struct tax_taxonomy *tax,
                         struct model_example *ex, const char **what)
{
    if (!json_is_object(j))
        return *what = "not a JSON object", -1;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const json_t *v = json_object_get(j, field_names[f]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v))
            return *what = "a text field is not a string", -1;
        if (json_string_length(v) == 0)
            continue;
        ex->field[f] = strdup(json_string_value(v));
        if (!ex->field[f])
            return *what = "out of memory", -1;
    }
    if (!ex->field[MODEL_FIELD_TITLE])
        return *what = "no title", -1;
    const json_t *code = json_object_get(j, "code");
    if (code && !json_is_null(code) && !json_is_string(code))
        return *what = "code is not a string", -1;
    if (json_string_length(code) > 0) {
        ex->code = strdup(json_string_value(code));
        if (!ex->code)
            return *what = "out of memory", -1;
    }
    const char *cat = json_string_value(json_object_get(j, "category"));
    ex->category = cat ? tax_node_resolve(tax, cat) : NULL;
    if (!ex->category || ex->category->depth != 0)
        return *what = "category is not a top-level code or label", -1;
    const json_t *sv = json_object_get(j, "subcategory");
    const char *sub = json_string_value(sv);
    if (sv && !json_is_null(sv) && !sub)
        return *what = "subcategory is not a string", -1;
    if (sub && *sub) {
        ex->subcategory = tax_node_resolve(tax, sub);
        if (!ex->subcategory || ex->subcategory->parent != ex->category)
            return *what = "subcategory is not a subcategory of the category", -1;
    }
    return 0;
}

int model_examples_read(const char *path, const struct tax_taxonomy *tax,
                        struct model_example **out, size_t *n, char *sha256_hex,
                        struct stdtax_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, "",
                                "%s: %s", path, strerror(errno));
    struct sha256_ctx sha;
    sha256_ctx_init(&sha);
    struct model_example *ex = NULL;
    size_t cap = 0, count = 0, lineno = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        sha256_ctx_update(&sha, line, (size_t)len);
        char where[STDTAX_FIELD_MAX];
        snprintf(where, sizeof where, "%s:%zu", path, lineno);
        if ((size_t)len > MODEL_LINE_MAX) {
            rc = stdtax_error_set(err, STDTAX_ETOOBIG, where, "line longer than %u bytes",
                                  MODEL_LINE_MAX);
            break;
        }
        size_t k = (size_t)len;
        while (k > 0 &&
               (line[k - 1] == '\n' || line[k - 1] == '\r' || line[k - 1] == ' '))
            k--;
        if (k == 0)
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, k, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            rc = stdtax_error_set(err, STDTAX_EPARSE, where, "%s", je.text);
            break;
        }
        if (count == cap) {
            size_t nc = cap ? 2 * cap : 64;
            struct model_example *ne = realloc(ex, nc * sizeof *ne);
            if (!ne) {
                json_decref(j);
                rc = stdtax_error_set(err, STDTAX_ENOMEM, where, "out of memory");
                break;
            }
            ex = ne;
            cap = nc;
        }
        memset(&ex[count], 0, sizeof ex[count]);
        const char *what = NULL;
        int prc = example_parse(j, tax, &ex[count], &what);
        json_decref(j);
        count++;
        if (prc != 0) {
            rc = stdtax_error_set(err, STDTAX_EINVAL, where, "%s", what);
            break;
        }
    }
    int read_failed = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && read_failed)
        rc = stdtax_error_set(err, STDTAX_EIO, "", "%s: read error", path);
    if (rc != 0) {
        model_examples_free(ex, count);
        return rc;
    }
    if (sha256_hex)
        sha256_ctx_final_hex(&sha, sha256_hex);
    *out = ex;
    *n = count;
    return 0;
}
