/* What the files of the classifier share (classifier.h is the API): the engine, one
 * classification's working state and the steps one file hands to another.
 *   classifier.c         the engine: parameters, keyword automaton, lifetime
 *   classifier_match.c   a text's fields prepared and scanned: keyword evidence
 *   classifier_score.c   evidence and model scores into the decision and alternatives
 *   classifier_result.c  the result as a JSON value
 *   classifier_write.c   the result as JSON text (clf_text_classify_write)
 *   classifier_topics.c  the priority topics a text counts under, by their own terms
 *   classifier_train.c   the model's keyword calibration and `other` threshold */
#ifndef STDTAX_CLASSIFIER_INTERNAL_H
#define STDTAX_CLASSIFIER_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "stdtax/classifier.h"
#include "stdtax/matcher.h"
#include "stdtax/normalise.h"

struct frag {
    char *s;
    size_t n;
};

struct term_ref {
    const struct tax_node *node;
    const struct tax_term *term;
};

struct topic_term {
    const struct tax_topic *topic;
    const struct tax_term *term;
};

struct clf_engine {
    const struct tax_taxonomy *tax;
    const struct model *model;
    struct tax_taxonomy *own_tax;
    struct model *own_model;
    struct clf_params p;
    struct match_automaton *ac;
    struct term_ref *terms;
    size_t n_terms;
    struct match_automaton *topic_ac; /* the priority topics' own terms */
    struct topic_term *topic_terms;
    size_t n_topic_terms;
    const struct tax_node *other;
    const struct tax_node *prec; /* the precedence category, NULL when none */
    /* JSON text of the taxonomy's strings, escaped once, for clf_text_classify_write:
     * per node the object {"code":..,"zh":..,"en":..}, per term its
     * quoted term, per node its quoted code, per field its quoted name. */
    struct frag *node_frag, *node_code, *term_frag;
    struct frag field_name[MODEL_FIELD_COUNT];
};

/* Builds and frees the engine's JSON text fragments (classifier_write.c).  Build: 0 or
 * STDTAX_ENOMEM. */
int fragments_build(struct clf_engine *e);
void fragments_free(struct clf_engine *e);

/* The settings the keyword evidence K depends on, as a model records them. */
struct model_keywords keywords_of(const struct clf_params *p);

/* Adds terms[k] to ac with id: English terms at word boundaries, and with plurals its
 * regular plural unless the list holds that form itself.  0 or the matcher's error. */
int term_pattern_add(struct match_automaton *ac, const struct tax_term *terms,
                     size_t n_terms, size_t k, uint32_t id, int plurals);

/* ---- one classification ------------------------------------------------------------ */

struct hit {
    uint32_t term;
    uint32_t field;
    uint32_t start, end; /* in the normalised field (fields are at most 64 KiB) */
};

#define RUN_HITS 256 /* occurrences kept on the stack; more go to the heap */
#define RUN_ARENA                                                                        \
    4096 /* normalised bytes kept on the stack; longer fields use the heap */

/* Everything one classification needs.  It lives on the caller's stack and is only
 * partly initialised (run_init), so a typical title + scope costs no allocation at all.
 */
struct run {
    const struct clf_engine *e;
    int want_offsets; /* source offsets, for the evidence of a full result */
    struct norm_text nt[MODEL_FIELD_COUNT];
    int have[MODEL_FIELD_COUNT];
    int heap[MODEL_FIELD_COUNT]; /* nt[f] was allocated */
    size_t arena_used;
    uint32_t field;   /* being scanned */
    struct hit *seen; /* kept occurrences of every field, for the K sums */
    size_t n_seen, cap_seen;
    struct hit hits[CLF_EVIDENCE_MAX]; /* evidence listed in the result */
    size_t n_hits;
    struct hit *found; /* every occurrence in the field being scanned */
    size_t n_found, cap_found;
    int oom;
    double *K; /* keyword evidence per node (own terms only) */
    double *T; /* strongest term of the node in a title field */
    double *L; /* model log-probabilities per node (up to a constant per level) */
    double *S; /* combined score per node */
    double *P; /* probability: categories among categories, subcategories within
                  their parent */
    size_t idx[TAX_NODES_MAX];
    unsigned char sub_done[TAX_NODES_MAX]; /* P of the node's subcategories computed */
    double *N; /* nearest-neighbour vote shares per node (per level) */
    double v[6 * TAX_NODES_MAX];
    struct hit seen_buf[RUN_HITS], found_buf[RUN_HITS];
    char arena[RUN_ARENA];
    size_t arena_offs[RUN_ARENA];
};

/* classifier_match.c */
void run_init(struct run *r, const struct clf_engine *e, int want_offsets);
void run_free(struct run *r);
/* Validates and normalises every field. */
int run_prepare(struct run *r, const struct clf_input *in, struct stdtax_error *err);
/* Scans the prepared fields for the taxonomy's terms: the evidence list and K. */
int run_keywords(struct run *r, struct stdtax_error *err);

/* classifier_score.c */
/* The whole scoring: fills K, L, S, P and the decision. */
int run_score(struct run *r, const struct clf_input *in, struct clf_decision *d,
              struct stdtax_error *err);
/* run_init and run_score; on an error the run is freed, else the caller frees it. */
int run_decide(struct run *r, const struct clf_engine *e, int want_offsets,
               const struct clf_input *in, struct clf_decision *d,
               struct stdtax_error *err);
/* K of a category: its own terms, every subcategory's, and for `other` the baseline. */
double category_evidence(const struct run *r, const struct tax_node *c);
/* How little keyword evidence the text has, in (0, 1]: 1 with none. */
double weak_evidence(const struct run *r);

struct alt {
    const struct tax_node *node;
    double score;
};

/* The best CLF_ALTERNATIVES_MAX leaves other than the answer into top.  Returns how
 * many. */
size_t alternatives_top(struct run *r, const struct clf_decision *d, struct alt *top);

/* classifier_result.c */
/* Byte offset and length of an evidence hit in the caller's field. */
void hit_span(const struct run *r, const struct clf_input *in, const struct hit *h,
              size_t *from, size_t *len);

/* classifier_topics.c */
#define TOPICS_MAX 64
#define TOPIC_EVIDENCE_MAX 8 /* terms named per topic in a result */
struct topic_found {
    const struct tax_topic *topic;
    uint32_t term[TOPIC_EVIDENCE_MAX]; /* indexes into e->topic_terms */
    uint32_t field[TOPIC_EVIDENCE_MAX];
    size_t n;
};
/* The topic automaton of e (at engine build).  0 or an error. */
int topic_automaton_build(struct clf_engine *e, struct stdtax_error *err);
/* The topics of category and subcategory (either may be NULL) whose own terms occur in
 * the prepared text, in file order, with the distinct terms found.  Returns how many. */
size_t topics_found(const struct run *r, const struct tax_node *category,
                    const struct tax_node *subcategory, struct topic_found *found);
/* [{"code","zh","en","evidence":[{"term","field"}]}]: new, NULL when out of memory. */
json_t *topics_json(const struct clf_engine *e, const struct topic_found *found,
                    size_t n);

/* Probabilities and weights in a result: 4 decimals. */
static inline double round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

#endif
