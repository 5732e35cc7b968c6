/* The service's state, shared between the service's source files (service.c and the
 * files beside it that need the store or the engine); not installed.  The daemon and
 * the CLI see only the opaque struct svc of service.h. */
#ifndef STDTAX_SERVICE_INTERNAL_H
#define STDTAX_SERVICE_INTERNAL_H

#include <pthread.h>

#include "stdtax/classifier.h"
#include "stdtax/proposal.h"
#include "stdtax/service.h"
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

#endif
