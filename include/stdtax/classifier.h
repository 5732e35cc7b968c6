/* The classifier: keyword evidence from the taxonomy through one Aho-Corasick automaton,
 * combined with the naive Bayes model (model.h) in a log-linear mix.  The formula is in
 * doc/classifier.md.
 *
 * An engine is built once from a taxonomy and an optional model and is read-only
 * afterwards: any number of threads may classify with it at once.  To reload, build a new
 * engine and swap it in. */
#ifndef STDTAX_CLASSIFIER_H
#define STDTAX_CLASSIFIER_H

#include <jansson.h>
#include <stddef.h>

#include "stdtax/error.h"
#include "stdtax/model.h"
#include "stdtax/taxonomy.h"

#define CLF_TITLE_MAX 1024u /* bytes of title and of title_en */
#define CLF_BODY_MAX 65536u /* bytes of scope and of text */
#define CLF_EVIDENCE_MAX 64 /* evidence entries listed in a result */
#define CLF_ALTERNATIVES_MAX 5

/* The fields of one text to classify; field[f] == NULL or len[f] == 0 means absent.
 * Pointers are borrowed for the duration of the call. */
struct clf_input {
    const char *field[MODEL_FIELD_COUNT];
    size_t len[MODEL_FIELD_COUNT];
};

/* Fills in from a JSON object's "title", "title_en", "scope" and "text" (each a string,
 * null or absent; other members are ignored).  The pointers borrow from obj.  Returns 0
 * or STDTAX_EINVAL with err->field naming the member. */
int clf_input_from_json(const json_t *obj, struct clf_input *in,
                        struct stdtax_error *err);

/* The knobs of the scoring formula (doc/classifier.md). */
struct clf_params {
    double field_weight[MODEL_FIELD_COUNT]; /* keyword evidence per field */
    double keyword_weight;                  /* beta: weight of keyword evidence K */
    double model_weight;                    /* lambda: weight of log P_nb(category) */
    double sub_model_weight; /* lambda_s: weight of log P_nb(subcategory) */
    double other_baseline;   /* tau: evidence `other` gets for free */
    double min_confidence;   /* below this the answer is `other` */
    int longest_match;       /* drop occurrences inside a longer one */
    double precedence;       /* title term weight from which industry outranks technology;
                                0: off */
    int plurals;             /* English terms also match their regular plural */
    unsigned knn_k;        /* nearest training examples that vote (model_text_score_nn) */
    double knn_weight;     /* mu: weight of their vote share for the category */
    double knn_sub_weight; /* mu_s: the same for the subcategory */
    int use_keywords, use_model;
};

void clf_params_default(struct clf_params *p);

struct clf_engine;

/* Builds an engine.  tax and model (may be NULL) are borrowed and must outlive the
 * engine; params NULL means the defaults.  *out is new: free with clf_engine_free. */
int clf_engine_new(const struct tax_taxonomy *tax, const struct model *model,
                   const struct clf_params *params, struct clf_engine **out,
                   struct stdtax_error *err);

/* Loads the taxonomy (problems as in tax_file_load) and the model (NULL: keywords only)
 * and builds an engine that owns both.  *out is new. */
int clf_engine_load(const char *taxonomy_path, const char *model_path,
                    struct clf_engine **out, json_t *problems, struct stdtax_error *err);

void clf_engine_free(struct clf_engine *e);

/* Borrowed, valid until clf_engine_free. */
const struct tax_taxonomy *clf_engine_taxonomy(const struct clf_engine *e);
const struct model *clf_engine_model(const struct clf_engine *e); /* may be NULL */
const struct clf_params *clf_engine_params(const struct clf_engine *e);

/* Trains a model for this classifier: the naive Bayes part (model_train), then the
 * per-category calibration of the taxonomy's keyword evidence on the same examples (a
 * multinomial logistic regression over the keyword scores, ridge-penalised towards
 * scale 1 and bias 0, fitted by fixed-step gradient descent, so deterministic).  params
 * (NULL: defaults) give the keyword field weights.  Reference examples (ex[i].reference)
 * count in the naive Bayes only.  *out is new and borrows tax. */
int clf_model_train(const struct tax_taxonomy *tax, const struct model_example *ex,
                    size_t n, const struct model_config *cfg,
                    const struct clf_params *params, const char *source_name,
                    const char *source_sha256, struct model **out,
                    struct stdtax_error *err);

struct clf_decision {
    const struct tax_node *category;    /* borrowed from the taxonomy */
    const struct tax_node *subcategory; /* NULL when none */
    double confidence;                  /* [0, 1] */
    const struct tax_node *runner_up;   /* the next most probable category, or NULL */
    int needs_review; /* confidence under the model's review threshold */
};

/* The decision only, without building JSON (evaluation, benchmarks).  Errors:
 * STDTAX_ETOOBIG / STDTAX_EUTF8 with err->field "/title" etc., STDTAX_EEMPTY when no
 * field has any text after normalisation, STDTAX_ENOMEM. */
int clf_text_decide(const struct clf_engine *e, const struct clf_input *in,
                    struct clf_decision *out, struct stdtax_error *err);

/* The full result (shape in doc/classifier.md); *result is new.  Same errors. */
int clf_text_classify(const struct clf_engine *e, const struct clf_input *in,
                      json_t **result, struct stdtax_error *err);

/* The priority topics a text counts under when it is put in category and subcategory
 * (either may be NULL): the topics of those nodes whose own evidence terms occur in the
 * text (doc/classifier.md).  *topics is new: [{"code","zh","en","evidence":[{"term",
 * "field"}]}], empty for a text without any field.  Errors as clf_text_decide, but
 * STDTAX_EEMPTY is not one. */
int clf_text_topics(const struct clf_engine *e, const struct clf_input *in,
                    const struct tax_node *category, const struct tax_node *subcategory,
                    json_t **topics, struct stdtax_error *err);

/* The full result written on w as clf_text_classify's would be, without building the
 * JSON value: begins the result object and writes its members, leaving it open, so the
 * caller can add members of its own before jsonw_object_end.  On a classification
 * error nothing is written.  Same errors as clf_text_decide, and w's error when it
 * has met one. */
struct jsonw;
int clf_text_classify_write(const struct clf_engine *e, const struct clf_input *in,
                            struct jsonw *w, struct stdtax_error *err);

#endif
