/* The service's state, shared between the service's source files (service.c and the
 * files beside it that need the store or the engine); not installed.  The daemon and
 * the CLI see only the opaque struct svc of service.h. */
#ifndef STDTAX_SERVICE_INTERNAL_H
#define STDTAX_SERVICE_INTERNAL_H

#include <pthread.h>

#include "stdtax/classifier.h"
#include "stdtax/proposal.h"
#include "stdtax/service.h"
#include "stdtax/similar.h"
#include "stdtax/store.h"

/* One loaded taxonomy + model with everything derived from it.  Requests hold a
 * reference while they use it, so a reload can swap in a new one at any time. */
struct svc_engine {
    struct clf_engine *clf;
    const struct tax_taxonomy *tax; /* borrowed from clf */
    struct prop_rules rules;
    struct store_coverage_node *cov_nodes;
    struct store_coverage_topic *cov_topics;
    const char **topic_nodes; /* storage behind cov_topics[].nodes */
    unsigned refs;            /* guarded by svc->engine_lock */
};

struct svc {
    struct store *store;
    char *taxonomy_path;
    char *model_path; /* NULL: keywords only */
    pthread_mutex_t engine_lock;
    pthread_mutex_t reload_lock; /* one reload at a time */
    struct svc_engine *engine;   /* the one new requests get */
};

/* The engine new requests get, with a reference (service.c): release it when done. */
struct svc_engine *svc_engine_acquire(struct svc *svc);
void svc_engine_release(struct svc *svc, struct svc_engine *e);

/* Classifies input ({title, title_en, scope, text}) with e: *result new; a problem of the
 * input also goes to problems (may be NULL). */
int svc_engine_classify(struct svc_engine *e, const json_t *input, json_t **result,
                        json_t *problems, struct stdtax_error *err);

/* What of a submission or record the classifier reads ({title, title_en, scope, text}
 * from title, title_en, scope, purpose; service_submit.c).  New, NULL when out of
 * memory. */
json_t *svc_classify_input(const json_t *submission);

/* The catalogue entries and proposals (withdrawn ones left out) whose similarity to
 * the query is at least the threshold, best first: the store hands back the candidates
 * its band index meets (store_overlap_candidates), scored here (similar.h);
 * service_overlap_query.c.  *out is a new array of
 * {"source": "catalog"|"proposal", "id", "number"?, "title"?, "title_en"?, "kind"?,
 *  "status", "organisation"?, "classification"?, "similarity", "field",
 *  "matched_field", "spans": [{"start", "end", "text"}]}
 * where field is the query's member that matched (title, title_en or scope),
 * matched_field the record's, and the spans are byte offsets of common runs in the
 * query's field.  Invalid UTF-8 in the query is STDTAX_EUTF8 with err->field naming
 * the member. */
int overlap_find(struct store *store, const struct overlap_query *query, json_t **out,
                 struct stdtax_error *err);

/* service_calls.c: the calls' deadlines into e->rules. */
int svc_engine_rules_build(struct svc_engine *e, struct stdtax_error *err);
/* The submission with its call: a new reference to submission when it names one, else
 * a new copy naming the current call (a copy without one when no call is current). */
json_t *svc_submission_with_call(const struct svc_engine *e, const json_t *submission);
/* Refuses a fresh engine whose crosswalk leaves a code without a new home: a node of
 * the engine in use (old, may be NULL) or a code the store counts proposals under that
 * is neither a node of fresh nor mapped.  Problems at /crosswalk/codes. */
int svc_engine_crosswalk_check(struct svc *svc, const struct svc_engine *fresh,
                               const struct svc_engine *old, json_t *problems,
                               struct stdtax_error *err);

#endif
