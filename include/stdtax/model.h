/* The learned part of the classifier: a multinomial naive Bayes over character n-grams of
 * the normalised text (CJK has no spaces, so characters, not words, are the units), one
 * for the top-level category and one for the subcategory.
 * Optionally (config lr) a multinomial logistic regression over the same n-grams,
 * whose weights sit in the naive Bayes' entries and replace or blend with its scores.
 *
 * Training is counting, so it is exact and deterministic: the same examples and config
 * always give the same model file, byte for byte.  The file format is in
 * doc/classifier.md. A loaded model is immutable and may be shared by threads; it borrows
 * the taxonomy it was loaded against, which must outlive it. */
#ifndef STDTAX_MODEL_H
#define STDTAX_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdtax/error.h"
#include "stdtax/normalise.h"
#include "stdtax/taxonomy.h"

/* The text fields of a proposal, in decreasing order of weight. */
enum model_field {
    MODEL_FIELD_TITLE,
    MODEL_FIELD_TITLE_EN,
    MODEL_FIELD_SCOPE,
    MODEL_FIELD_TEXT,
    MODEL_FIELD_COUNT
};

/* "title", "title_en", "scope", "text".  Static. */
const char *model_field_name(enum model_field f);

/* An English-only standard often has its title twice, as title and title_en: counting
 * both would double its evidence against a Chinese one.  Clears have[TITLE_EN] when the
 * normalised title_en equals the normalised title. */
void model_fields_dedupe(const struct norm_text *nt, int *have);

#define MODEL_FORMAT_VERSION 1
#define MODEL_LINE_MAX (1u << 20) /* a training line longer than this is refused */

struct model_config {
    int ngram_min, ngram_max; /* character n-grams, 1 <= min <= max <= 3 */
    int words;                /* also ASCII words as features */
    double alpha;             /* Lidstone smoothing of the likelihoods */
    int uniform_prior;        /* ignore class frequencies */
    int complement;           /* complement naive Bayes (see model_score.c) */
    unsigned field_weight[MODEL_FIELD_COUNT]; /* integer repeat count per field */
    unsigned taxonomy_weight; /* repeat count of the taxonomy's labels and terms as
                                 pseudo-documents (0: none); see train_taxonomy */
    double cal_l2_scale, cal_l2_bias; /* ridge penalties of the keyword calibration
                                         (classifier.h, clf_model_train) */
    double cal_l2_weak;               /* ridge penalty of the weak-evidence weights */
    int cal_weak;       /* the calibration also learns where texts with little keyword
                           evidence go */
    int neighbours;     /* keep the training examples' n-gram counts in the model for
                           nearest-neighbour votes (model_text_score_nn) */
    double nn_max_df;   /* n-grams in more than this fraction of the examples are left
                           out of the neighbour vectors */
    int nn_titles;      /* only the title fields make the neighbour vectors */
    unsigned other_cv;  /* folds of the cross-validation inside the training set that
                           learns when to answer `other` (0: never learned) */
    unsigned review_cv; /* folds of the cross-validation inside the training set that
                           calibrates the confidence and chooses the needs_review
                           threshold (0: neither; doc/classifier.md) */
    int lr;             /* also train a multinomial logistic regression over the same
                           n-grams (per level, weights on the naive Bayes' entries) */
    double lr_l2;       /* its ridge penalty */
    unsigned lr_iters;  /* its full-batch AdaGrad steps from zero */
    int lr_terms;       /* each taxonomy term and label is its own document (else one
                           pseudo-document per node) */
    double lr_blend;    /* rho: the model's per-n-gram score is (1 - rho) * naive Bayes +
                           rho * logistic regression (1: the regression alone) */
};

/* The defaults the shipped model is trained with. */
void model_config_default(struct model_config *cfg);

struct model_example {
    char *field[MODEL_FIELD_COUNT];     /* raw UTF-8; NULL when absent */
    const struct tax_node *category;    /* top level, borrowed from the taxonomy */
    const struct tax_node *subcategory; /* NULL when the line names none */
    char *code; /* the standard's number ("GB/T 36464.2-2018"); NULL when absent */
    /* A reference example (another corpus, labelled outside this framework's
     * secretariat): it teaches the naive Bayes its n-grams but not the calibration, which
     * learns the framework's own conventions.  model_examples_read sets it to false. */
    bool reference;
};

/* Reads labelled JSONL (title, title_en?, scope?, text?, category, subcategory?, code?;
 * category and subcategory as codes or Chinese/English labels).  Stops at the first bad
 * line with err->field "PATH:LINE".  *out is new (free with model_examples_free);
 * sha256_hex (65 bytes, may be NULL) receives the file's SHA-256. */
int model_examples_read(const char *path, const struct tax_taxonomy *tax,
                        struct model_example **out, size_t *n, char *sha256_hex,
                        struct stdtax_error *err);
void model_examples_free(struct model_example *ex, size_t n);

struct model;

/* Trains from ex[0..n).  source_name and source_sha256 are recorded in the model (may be
 * NULL).  *out is new; it borrows tax. */
int model_train(const struct tax_taxonomy *tax, const struct model_example *ex, size_t n,
                const struct model_config *cfg, const char *source_name,
                const char *source_sha256, struct model **out, struct stdtax_error *err);

/* The model file as JSON (new); deterministic for a given model. */
json_t *model_to_json(const struct model *m);
int model_file_save(const struct model *m, const char *path, struct stdtax_error *err);

/* Loads a model file (at most 256 MiB) and checks that it was trained for this
 * taxonomy (version and every class code): STDTAX_EVERSION otherwise.  *out is new and
 * borrows tax.  Errors name the file, the line and column and (err->field) the JSON
 * pointer of what was wrong. */
int model_file_load(const char *path, const struct tax_taxonomy *tax, struct model **out,
                    struct stdtax_error *err);
/* The same from the file's text[0..len): the one reader of the layout in
 * doc/classifier.md.  STDTAX_EPARSE for text that is not JSON, STDTAX_EINVAL for JSON
 * of another layout or with a value out of range, STDTAX_EVERSION for another format
 * version or taxonomy. */
int model_text_load(const char *text, size_t len, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err);

void model_free(struct model *m);

/* The per-category calibration of keyword evidence, fitted by the classifier
 * (clf_model_train): a category's keyword score is scale * K + bias + weak * W, with K
 * its keyword evidence and W in (0, 1] how little keyword evidence the text has (1:
 * none; classifier_score.c, weak_evidence). */
struct model_cal {
    double scale, bias, weak;
};

/* cal is indexed by taxonomy node index; only top-level nodes are used.  Setting
 * recomputes the model version.  Returns 0 or STDTAX_ENOMEM. */
int model_calibration_set(struct model *m, const struct model_cal *cal);
/* 1 and the values when the model is calibrated, else 0 and the identity {1, 0, 0}. */
int model_calibration_get(const struct model *m, size_t node_index,
                          struct model_cal *out);

/* The keyword settings the calibration was fitted with (the classifier's clf_params;
 * the model only keeps them, as "calibration": {"keywords": {...}}): K depends on them,
 * so a calibration is only right for the same settings. */
struct model_keywords {
    double field_weight[MODEL_FIELD_COUNT];
    bool longest_match, plurals;
    double other_baseline;
};
/* Rounded to 6 decimals like the calibration; recomputes the version.  0 or
 * STDTAX_ENOMEM. */
int model_keywords_set(struct model *m, const struct model_keywords *k);
/* true and the settings when the model records them (files from before 2026-11-26 do
 * not). */
bool model_keywords_get(const struct model *m, struct model_keywords *out);

/* The confidence under which the classifier answers `other`, learned in training
 * (clf_model_train); 0 when none.  Setting recomputes the model version.  Returns 0 or
 * STDTAX_ENOMEM. */
int model_other_threshold_set(struct model *m, double t);
/* The confidence calibration: the temperature T of the category softmax (1: none) and
 * the confidence under which a classification needs review (0: none); both learned by
 * cross-validation inside the training set (review_cv).  Set rounds to 6 decimals. */
struct model_confidence {
    double temperature;
    double review_threshold;
};
void model_confidence_set(struct model *m, const struct model_confidence *c);
void model_confidence_get(const struct model *m, struct model_confidence *out);
double model_other_threshold(const struct model *m);

/* Borrowed, valid until model_free. */
const char *model_version(const struct model *m);
/* What a model was trained from, as its file records it (borrowed strings; "" when
 * unknown). */
struct model_training {
    const char *file;   /* base names of the training files */
    const char *sha256; /* digest of the training set (doc/classifier.md) */
    uint64_t examples;  /* examples learned from, reference ones included */
};
void model_training_get(const struct model *m, struct model_training *out);
const struct model_config *model_config_get(const struct model *m);

/* Scores normalised fields (any may be NULL).  logp has tax->n_nodes entries: for each
 * top-level node log P(category | text), for each subcategory log P(subcategory | text)
 * (the two levels are separate distributions), and -HUGE_VAL for nodes the model has no
 * training data for.  *n_features (may be NULL) receives the weighted number of n-grams
 * the model knew, the evidence behind those log-probabilities.  Returns 0, or
 * STDTAX_ENOMEM. */
int model_text_score(const struct model *m, const struct norm_text *const *fields,
                     double *logp, double *n_features);

/* The same scores before each level is normalised: log P(class) + log P(text | class),
 * which differs from model_text_score's by one constant per level, so it ranks and
 * softmaxes alike at a fraction of the cost.  With config lr, (1 - lr_blend) times that
 * plus lr_blend * T * (the regression's per-n-gram score), T = *n_features
 * (doc/classifier.md).  Allocates nothing; always returns 0. */
int model_text_score_raw(const struct model *m, const struct norm_text *const *fields,
                         double *logp, double *n_features);

#define MODEL_NEIGHBOURS_MAX 64 /* largest k of model_text_score_nn */

/* 1 when the model keeps its training examples (config neighbours). */
int model_has_neighbours(const struct model *m);

/* model_text_score_raw, and votes (tax->n_nodes entries, may be NULL): the k (at most
 * MODEL_NEIGHBOURS_MAX) training examples most similar to the text by cosine of tf-idf
 * weighted n-gram counts, each voting for its category and its subcategory with its
 * similarity; votes[node] is the node's share of the votes of its level (0 everywhere
 * when the model keeps no examples, k is 0 or no example shares an n-gram).  Ties go
 * to the earlier example.  Returns 0, or STDTAX_ENOMEM (only with more than 1024
 * training examples, which need a buffer). */
int model_text_score_nn(const struct model *m, const struct norm_text *const *fields,
                        double *logp, double *n_features, unsigned k, double *votes);

#endif
