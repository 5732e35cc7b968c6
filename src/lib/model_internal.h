/* What the files of the model share (model.h is the API): the in-memory model, its
 * feature keys and the steps one file of it hands to another.
 *   model.c           the model's lifetime, settings and accessors
 *   model_features.c  n-gram extraction and the texts it runs over
 *   model_train.c     counting the examples into a naive Bayes
 *   model_lr.c        the optional logistic regression over the same n-grams
 *   model_score.c     the scoring tables (derived after training or loading) and scoring
 *   model_file_write.c  the model file as JSON (doc/classifier.md), the version
 *   model_file_load.c   its one reader, over the JSON cursor of model_file_json.c
 *   model_examples.c  labelled examples from JSONL */
#ifndef STDTAX_MODEL_INTERNAL_H
#define STDTAX_MODEL_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "stdtax/model.h"
#include "stdtax/utf8.h"

#define WORD_BIT (UINT64_C(1) << 63)
#define WORD_MAX 64 /* longer ASCII runs are not words but codes or noise */
#define FEATURES_MAX (1u << 24)
/* Bytes: a model file larger than this is refused. */
#define MODEL_FILE_MAX (256u << 20)

/* ---- features ---------------------------------------------------------------------- */

/* Called for every feature of a text: key identifies it (model_word_key, or up to three
 * code points 21 bits apart); gram[0..len) are its bytes in the text. */
typedef void (*gram_fn)(void *ctx, uint64_t key, const char *gram, size_t len,
                        unsigned weight);

static inline uint64_t model_word_key(const char *w, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)w[i];
        h *= UINT64_C(1099511628211);
    }
    return h | WORD_BIT;
}

static inline int model_ascii_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* One character of normalised (so valid) UTF-8, inline: this runs for every character
 * scored.  Anything that is not a well-formed sequence within len gives 0. */
static inline size_t model_char_decode(const char *p, size_t len, uint32_t *cp)
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
 * of the normalised text, in text order; gram/len give the bytes of the feature in the
 * text.  The one extraction of training and scoring, so both see the same features.
 * Always inlined: scoring passes a constant fn, which then becomes a direct, inlined
 * call instead of one indirect call per n-gram (scoring's hottest loop). */
static inline __attribute__((always_inline)) void
model_grams_each(const struct model_config *cfg, const char *s, size_t len,
                 unsigned weight, gram_fn fn, void *ctx)
{
    uint64_t win = 0; /* the last three code points, 21 bits each, newest lowest */
    size_t at[3] = {0, 0, 0}; /* their byte offsets, newest last */
    size_t have = 0, i = 0, word_start = 0, word_len = 0;
    const uint64_t mask[4] = {0, (UINT64_C(1) << 21) - 1, (UINT64_C(1) << 42) - 1,
                              (UINT64_C(1) << 63) - 1};
    while (i <= len) {
        uint32_t cp = ' ';
        size_t step = 1;
        if (i < len) {
            step = model_char_decode(s + i, len - i, &cp);
            if (step == 0) { /* normalised text is valid; be safe anyway */
                cp = ' ';
                step = 1;
            }
        }
        if (cfg->words) {
            if (model_ascii_alnum(cp)) {
                if (word_len == 0)
                    word_start = i;
                word_len++;
            } else {
                if (word_len > 0 && word_len <= WORD_MAX)
                    fn(ctx, model_word_key(s + word_start, word_len), s + word_start,
                       word_len, weight);
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
        at[0] = at[1];
        at[1] = at[2];
        at[2] = i;
        if (have < 3)
            have++;
        for (int n = cfg->ngram_min; n <= cfg->ngram_max && (size_t)n <= have; n++) {
            size_t from = at[3 - n];
            fn(ctx, win & mask[n], s + from, i + step - from, weight);
        }
        i += step;
    }
}

/* The key of a feature as written in the model file: "w:" + word, or 1..3 characters.
 * 0 or -1. */
int model_gram_key_parse(const char *g, uint64_t *key);

/* The n-grams of a node's pseudo-document: its terms, each repeated in proportion to
 * its weight, and its labels.  each_part (may be NULL) is called after every term and
 * label, for callers that make each one a document of its own; its non-zero return
 * stops the walk and is returned. */
int model_node_grams(const struct model_config *cfg, const struct tax_node *node,
                     gram_fn fn, void *ctx, int (*each_part)(void *), void *part_ctx);

/* The n-grams of a training example's fields (a title_en equal to the title once),
 * with their field weights; titles_only for the neighbour vectors of nn_titles.  A
 * field that does not normalise is named in err->field ("title"). */
int model_example_grams(const struct model_config *cfg, const struct model_example *ex,
                        int titles_only, gram_fn fn, void *ctx, struct stdtax_error *err);

/* ---- hash table: key -> feature index --------------------------------------------- */

struct table {
    uint32_t *slot; /* feature index + 1, 0 = empty */
    size_t mask;
};

/* Keys are code points packed 21 bits apart, so their low bits are far from random:
 * a multiply alone left long probe runs (measured: almost five extra probes per lookup
 * at 30 % load).  The MurmurHash3 finaliser mixes every bit into the low ones. */
static inline size_t table_hash(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    key *= UINT64_C(0xc4ceb9fe1a85ec53);
    key ^= key >> 33;
    return (size_t)key & mask;
}

/* Room for n keys.  0 or STDTAX_ENOMEM. */
int table_init(struct table *t, size_t n);
/* The slot for key: either empty or holding key. */
uint32_t *table_slot(const struct table *t, const uint64_t *keys, uint64_t key);

/* ---- the model ----------------------------------------------------------------------
 */

enum { LV_CAT, LV_SUB, LV_COUNT };
extern const char *const model_level_names[LV_COUNT]; /* "category", "subcategory" */

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
    struct model_confidence confidence; /* temperature 0: none in the file */
    size_t n_nn;
    uint32_t *nn_cls, *nn_first, *nn_feat, *nn_count;
    /* Derived: per feature-table slot, the examples holding that n-gram with their
     * tf-idf weight over the example's norm, times the n-gram's idf (the query's side).
     */
    struct prange *prange;
    struct npost *post;
};

/* Six decimals: what the file keeps, so a loaded model scores exactly like the trained
 * one. */
static inline double round6(double x)
{
    return round(x * 1e6) / 1e6;
}

/* The per-category calibration of a category without one. */
extern const struct model_cal model_cal_identity;

/* Room for n classes in lv.  0 or STDTAX_ENOMEM. */
int level_alloc(struct level *lv, size_t n);

/* A copy of s, "" for NULL (new); NULL when out of memory. */
char *model_strdup_or_empty(const char *s);

/* Refuses settings outside their documented ranges (a config from the command line or
 * from a model file).  0 or STDTAX_EINVAL. */
int model_config_check(const struct model_config *cfg, struct stdtax_error *err);

/* Sets m->version from the SHA-256 of the model's JSON without the version. */
int model_version_compute(struct model *m);

/* The feature table: key -> feature index + 1.  0, STDTAX_ENOMEM, or STDTAX_EINVAL
 * when a feature appears twice. */
int feature_table_build(struct model *m);

/* Derived values from the counts: priors, denominators, deltas, the scoring tables
 * (and the neighbour postings when m->n_nn).  0, STDTAX_ENOMEM or STDTAX_EINVAL (a
 * feature twice). */
int model_finish(struct model *m);

/* The neighbour postings from m->nn_* (model_finish calls it for a loaded model;
 * training once it has collected the examples).  0 or STDTAX_ENOMEM. */
int nn_finish(struct model *m);

/* ---- training steps shared by the naive Bayes, the regression and the neighbours --- */

/* One document's weighted n-gram counts by feature index, collected by nn_gram. */
struct nn_acc {
    const struct model *m;
    uint32_t *count;   /* per feature index, of the current example */
    uint32_t *touched; /* feature indexes with a count */
    size_t n_touched;
};

/* gram_fn adding to a struct nn_acc (ctx): every n-gram must be a feature of m. */
void nn_gram(void *vctx, uint64_t key, const char *gram, size_t len, unsigned weight);

/* qsort's comparison of uint32_t. */
int u32_cmp(const void *a, const void *b);

/* Fits the logistic regression of config lr into m's entries and biases (cls_index:
 * class of each taxonomy node per level).  0, STDTAX_ENOMEM, or an example's error. */
int lr_fit(struct model *m, const struct model_example *ex, size_t n,
           const size_t *cls_index, struct stdtax_error *err);

#endif
