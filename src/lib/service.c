/* The application service (service.h): engines, classification, corrections, listing
 * and counts with their labels (submissions: service_submit.c).  The daemon and the
 * CLI only translate to and from it. */
#include "service_internal.h"
#include "stdtax/service_materials.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/classifier.h"
#include "stdtax/duplicate.h"
#include "stdtax/proposal.h"
#include "stdtax/taxonomy.h"
#include "stdtax/textquery.h"

#define SVC_LIST_DEFAULT 50

/* --- engines ------------------------------------------------------------------ */

static void engine_free(struct svc_engine *e)
{
    if (!e)
        return;
    clf_engine_free(e->clf);
    free(e->cov_nodes);
    free(e->cov_topics);
    free(e->topic_nodes);
    free(e);
}

static int engine_coverage_build(struct svc_engine *e, struct stdtax_error *err)
{
    const struct tax_taxonomy *tax = e->tax;
    size_t n_links = 0;
    for (size_t i = 0; i < tax->n_topics; i++)
        n_links += tax->topics[i].n_nodes;
    e->cov_nodes = calloc(tax->n_nodes ? tax->n_nodes : 1, sizeof *e->cov_nodes);
    e->cov_topics = calloc(tax->n_topics ? tax->n_topics : 1, sizeof *e->cov_topics);
    e->topic_nodes = calloc(n_links ? n_links : 1, sizeof *e->topic_nodes);
    if (!e->cov_nodes || !e->cov_topics || !e->topic_nodes)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t i = 0; i < tax->n_nodes; i++) {
        const struct tax_node *n = &tax->nodes[i];
        e->cov_nodes[i] = (struct store_coverage_node){
            n->code, n->parent ? n->parent->code : NULL, n->zh, n->en};
    }
    size_t at = 0;
    for (size_t i = 0; i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        for (size_t j = 0; j < t->n_nodes; j++)
            e->topic_nodes[at + j] = t->nodes[j]->code;
        e->cov_topics[i] = (struct store_coverage_topic){t->code, t->zh, t->en,
                                                         &e->topic_nodes[at], t->n_nodes};
        at += t->n_nodes;
    }
    return 0;
}

static int engine_load(const char *taxonomy_path, const char *model_path,
                       struct svc_engine **out, json_t *problems,
                       struct stdtax_error *err)
{
    struct svc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    int rc = clf_engine_load(taxonomy_path, model_path, &e->clf, problems, err);
    if (rc != 0) {
        free(e);
        return rc;
    }
    e->tax = clf_engine_taxonomy(e->clf);
    rc = svc_engine_rules_build(e, err);
    if (rc == 0)
        rc = engine_coverage_build(e, err);
    if (rc != 0) {
        engine_free(e);
        return rc;
    }
    e->refs = 1; /* the svc's own reference */
    *out = e;
    return 0;
}

struct svc_engine *svc_engine_acquire(struct svc *svc)
{
    pthread_mutex_lock(&svc->engine_lock);
    struct svc_engine *e = svc->engine;
    e->refs++;
    pthread_mutex_unlock(&svc->engine_lock);
    return e;
}

void svc_engine_release(struct svc *svc, struct svc_engine *e)
{
    pthread_mutex_lock(&svc->engine_lock);
    unsigned left = --e->refs;
    pthread_mutex_unlock(&svc->engine_lock);
    if (left == 0)
        engine_free(e);
}

/* --- open, close, reload ------------------------------------------------------ */

int svc_open(const struct svc_options *opts, struct svc **out, json_t *problems,
             struct stdtax_error *err)
{
    struct svc *svc = calloc(1, sizeof *svc);
    if (!svc)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    pthread_mutex_init(&svc->engine_lock, NULL);
    pthread_mutex_init(&svc->reload_lock, NULL);
    svc->taxonomy_path = strdup(opts->taxonomy_path);
    svc->model_path = opts->model_path ? strdup(opts->model_path) : NULL;
    int rc = 0;
    if (!svc->taxonomy_path || (opts->model_path && !svc->model_path))
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        rc =
            engine_load(svc->taxonomy_path, svc->model_path, &svc->engine, problems, err);
    if (rc == 0) {
        struct store_options so = {.map_size = opts->map_size,
                                   .read_only = opts->read_only,
                                   .group_of = dup_group_of,
                                   .idem_ttl = opts->idempotency_ttl};
        rc = store_open(opts->data_dir, &so, &svc->store, err);
        if (rc == 0 && !opts->read_only && opts->idempotency_ttl)
            rc = store_idem_expire(svc->store, time(NULL), NULL, err);
    }
    if (rc == 0)
        rc = svc_engine_crosswalk_check(svc, svc->engine, NULL, problems, err);
    if (rc != 0) {
        svc_close(svc);
        return rc;
    }
    *out = svc;
    return 0;
}

void svc_close(struct svc *svc)
{
    if (!svc)
        return;
    store_close(svc->store);
    if (svc->engine)
        svc_engine_release(svc, svc->engine);
    pthread_mutex_destroy(&svc->engine_lock);
    pthread_mutex_destroy(&svc->reload_lock);
    free(svc->taxonomy_path);
    free(svc->model_path);
    free(svc);
}

static json_t *engine_versions(const struct svc_engine *e)
{
    const struct model *m = clf_engine_model(e->clf);
    return json_pack("{s:s, s:s?}", "taxonomy_version", e->tax->version, "model_version",
                     m ? model_version(m) : NULL);
}

int svc_engine_reload(struct svc *svc, json_t **versions, json_t *problems,
                      struct stdtax_error *err)
{
    pthread_mutex_lock(&svc->reload_lock);
    struct svc_engine *fresh = NULL;
    int rc = engine_load(svc->taxonomy_path, svc->model_path, &fresh, problems, err);
    if (rc == 0) {
        struct svc_engine *in_use = svc_engine_acquire(svc);
        rc = svc_engine_crosswalk_check(svc, fresh, in_use, problems, err);
        svc_engine_release(svc, in_use);
        if (rc != 0)
            svc_engine_release(svc, fresh);
    }
    if (rc == 0) {
        pthread_mutex_lock(&svc->engine_lock);
        struct svc_engine *old = svc->engine;
        svc->engine = fresh;
        pthread_mutex_unlock(&svc->engine_lock);
        svc_engine_release(svc, old);
    }
    pthread_mutex_unlock(&svc->reload_lock);
    if (rc == 0 && versions)
        *versions = svc_versions(svc);
    return rc;
}

json_t *svc_versions(struct svc *svc)
{
    struct svc_engine *e = svc_engine_acquire(svc);
    json_t *v = engine_versions(e);
    svc_engine_release(svc, e);
    return v;
}

/* --- classification ----------------------------------------------------------- */

static const char *const classify_members[] = {"title", "title_en", "scope", "text"};

static int classify_input_check(const json_t *input, json_t *problems,
                                struct stdtax_error *err)
{
    if (!json_is_object(input))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the body must be a JSON object");
    const char *key;
    const json_t *value;
    int bad = 0;
    json_object_foreach((json_t *)input, key, value)
    {
        size_t i = 0;
        while (i < sizeof classify_members / sizeof *classify_members &&
               strcmp(key, classify_members[i]) != 0)
            i++;
        char pointer[STDTAX_FIELD_MAX];
        snprintf(pointer, sizeof pointer, "/%.100s", key);
        if (i == sizeof classify_members / sizeof *classify_members) {
            stdtax_problem_add(problems, pointer, "unknown member");
            bad = 1;
        } else if (!json_is_string(value) && !json_is_null(value)) {
            stdtax_problem_add(problems, pointer, "must be a string");
            bad = 1;
        }
    }
    if (bad)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "invalid classification request");
    return 0;
}

int svc_engine_classify(struct svc_engine *e, const json_t *input, json_t **result,
                        json_t *problems, struct stdtax_error *err)
{
    struct clf_input in;
    int rc = clf_input_from_json(input, &in, err);
    if (rc == 0)
        rc = clf_text_classify(e->clf, &in, result, err);
    if (rc != 0 && rc != STDTAX_ENOMEM && problems && err && err->text[0])
        stdtax_problem_add(problems, err->field, "%s", err->text);
    return rc;
}

int svc_text_classify(struct svc *svc, const json_t *input, json_t **result,
                      json_t *problems, struct stdtax_error *err)
{
    int rc = classify_input_check(input, problems, err);
    if (rc != 0)
        return rc;
    struct svc_engine *e = svc_engine_acquire(svc);
    rc = svc_engine_classify(e, input, result, problems, err);
    svc_engine_release(svc, e);
    return rc;
}

int svc_text_classify_write(struct svc *svc, const json_t *input, struct jsonw *w,
                            json_t *problems, struct stdtax_error *err)
{
    int rc = classify_input_check(input, problems, err);
    if (rc != 0)
        return rc;
    struct svc_engine *e = svc_engine_acquire(svc);
    struct clf_input in;
    rc = clf_input_from_json(input, &in, err);
    if (rc == 0)
        rc = clf_text_classify_write(e->clf, &in, w, err);
    svc_engine_release(svc, e);
    if (rc != 0 && rc != STDTAX_ENOMEM && problems && err && err->text[0])
        stdtax_problem_add(problems, err->field, "%s", err->text);
    return rc;
}

/* --- proposals: get and corrections (submissions: service_submit.c) ---------- */

int svc_proposal_get(struct svc *svc, const char *id, json_t **record,
                     struct stdtax_error *err)
{
    int rc = store_proposal_get(svc->store, id, record, err);
    if (rc == 0 && (rc = svc_material_summary_add(svc, *record, err)) != 0) {
        json_decref(*record);
        *record = NULL;
    }
    return rc;
}

/* A correction resolved against the taxonomy before the store transaction runs. */
struct patch_plan {
    const struct tax_node *category;    /* NULL: unchanged */
    const struct tax_node *subcategory; /* NULL: none (when category is set) */
    const char *status;                 /* NULL: unchanged */
    const char *note;
    const char *who;
    time_t when;
    const struct clf_engine *clf; /* reads the record's text for the topics' evidence */
};

/* The priority topics the record counts under in the plan's nodes, by the topics' own
 * evidence in its text: *codes the codes (for the record's priority_topics and the
 * counts), *topics the topics with the terms that made them (for the classification).
 * Both new. */
static int patch_topics(const struct patch_plan *plan, const json_t *record,
                        json_t **codes, json_t **topics, struct stdtax_error *err)
{
    json_t *input = svc_classify_input(record);
    struct clf_input in;
    *codes = NULL;
    *topics = NULL;
    int rc = input ? clf_input_from_json(input, &in, err) : STDTAX_ENOMEM;
    if (rc == 0)
        rc = clf_text_topics(plan->clf, &in, plan->category, plan->subcategory, topics,
                             err);
    json_t *out = rc == 0 ? json_array() : NULL;
    size_t i;
    json_t *t;
    json_array_foreach(*topics, i, t) if (out)
        json_array_append(out, json_object_get(t, "code"));
    if (rc == 0 && !out)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    json_decref(input);
    if (rc != 0) {
        json_decref(*topics);
        *topics = NULL;
        return rc;
    }
    *codes = out;
    return 0;
}

static int patch_apply(json_t *record, void *arg, struct stdtax_error *err)
{
    const struct patch_plan *plan = arg;
    int rc = 0;
    if (plan->category) {
        json_t *codes, *topics;
        rc = patch_topics(plan, record, &codes, &topics, err);
        if (rc == 0)
            rc =
                prop_record_reclassify(record, plan->category->code,
                                       plan->subcategory ? plan->subcategory->code : NULL,
                                       codes, plan->who, plan->when, err);
        if (rc == 0 && json_object_set(json_object_get(record, "classification"),
                                       "priority_topics", topics) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        json_decref(codes);
        json_decref(topics);
    }
    if (rc == 0 && plan->status) {
        /* A refused move is STDTAX_ECONFLICT (409): the request is valid, the
         * proposal's current status is what refuses it (doc/proposals.md). */
        rc = prop_record_set_status(record, plan->status, plan->who, plan->when, err);
    }
    if (rc == 0 && plan->note) {
        char when[40];
        prop_time_format(plan->when, when, sizeof when);
        json_t *notes = json_object_get(record, "notes");
        if (!json_is_array(notes)) {
            notes = json_array();
            json_object_set_new(record, "notes", notes);
        }
        json_array_append_new(notes, json_pack("{s:s, s:s, s:s}", "by", plan->who, "at",
                                               when, "text", plan->note));
    }
    return rc;
}

#define SVC_NOTE_MAX 2000

static int patch_plan_build(struct svc_engine *e, const json_t *patch,
                            struct patch_plan *plan, json_t *problems)
{
    int bad = 0;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)patch, key, value)
    {
        if (strcmp(key, "category") && strcmp(key, "subcategory") &&
            strcmp(key, "status") && strcmp(key, "note")) {
            char pointer[STDTAX_FIELD_MAX];
            snprintf(pointer, sizeof pointer, "/%.100s", key);
            stdtax_problem_add(problems, pointer,
                               "unknown member (category, subcategory, status, note)");
            bad = 1;
        } else if (!json_is_string(value) &&
                   !(json_is_null(value) && strcmp(key, "subcategory") == 0)) {
            char pointer[STDTAX_FIELD_MAX];
            snprintf(pointer, sizeof pointer, "/%s", key);
            stdtax_problem_add(problems, pointer, "must be a string");
            bad = 1;
        }
    }
    if (bad)
        return STDTAX_EINVAL;
    const char *cat = json_string_value(json_object_get(patch, "category"));
    const char *sub = json_string_value(json_object_get(patch, "subcategory"));
    bool sub_given = json_object_get(patch, "subcategory") != NULL;
    if (cat) {
        plan->category = tax_node_resolve(e->tax, cat);
        if (!plan->category || plan->category->parent) {
            stdtax_problem_add(problems, "/category",
                               "not a top-level category code or label of taxonomy %s",
                               e->tax->version);
            bad = 1;
        }
    }
    if (sub) {
        plan->subcategory = tax_node_resolve(e->tax, sub);
        if (!plan->subcategory || !plan->subcategory->parent) {
            stdtax_problem_add(problems, "/subcategory",
                               "not a subcategory code or label of taxonomy %s",
                               e->tax->version);
            bad = 1;
        } else if (plan->category && plan->subcategory->parent != plan->category) {
            stdtax_problem_add(problems, "/subcategory", "%s is not a subcategory of %s",
                               plan->subcategory->code, plan->category->code);
            bad = 1;
        } else if (!plan->category) {
            plan->category = plan->subcategory->parent;
        }
    } else if (sub_given && !cat) {
        stdtax_problem_add(problems, "/subcategory",
                           "clearing the subcategory needs the category too");
        bad = 1;
    }
    plan->status = json_string_value(json_object_get(patch, "status"));
    if (plan->status && prop_status_parse(plan->status) < 0) {
        stdtax_problem_add(problems, "/status", "unknown status");
        bad = 1;
    } else if (plan->status) {
        plan->status = prop_status_code(prop_status_parse(plan->status));
    }
    plan->note = json_string_value(json_object_get(patch, "note"));
    if (plan->note && (strlen(plan->note) == 0 || strlen(plan->note) > SVC_NOTE_MAX)) {
        stdtax_problem_add(problems, "/note", "must be 1 to %d bytes", SVC_NOTE_MAX);
        bad = 1;
    }
    if (!bad && !plan->category && !plan->status && !plan->note) {
        stdtax_problem_add(problems, "",
                           "nothing to change: give category, subcategory, status or "
                           "note");
        bad = 1;
    }
    return bad ? STDTAX_EINVAL : 0;
}

int svc_proposal_patch(struct svc *svc, const char *id, const json_t *patch,
                       const struct svc_caller *caller, time_t now, json_t **record,
                       json_t *problems, struct stdtax_error *err)
{
    *record = NULL;
    if (!json_is_object(patch))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the body must be a JSON object");
    struct svc_engine *e = svc_engine_acquire(svc);
    struct patch_plan plan = {.who =
                                  caller && caller->name ? caller->name : "secretariat",
                              .when = now,
                              .clf = e->clf};
    int rc = patch_plan_build(e, patch, &plan, problems);
    if (rc != 0)
        stdtax_error_set(err, rc, "", "invalid correction");
    else
        rc = store_proposal_update(svc->store, id, patch_apply, &plan, record, err);
    if (rc == STDTAX_EINVAL && err && err->field[0])
        stdtax_problem_add(problems, err->field, "%s", err->text);
    svc_engine_release(svc, e);
    return rc;
}

int svc_proposal_withdraw(struct svc *svc, const char *id,
                          const struct svc_caller *caller, time_t now, json_t **record,
                          struct stdtax_error *err)
{
    struct patch_plan plan = {.status = "withdrawn",
                              .who =
                                  caller && caller->name ? caller->name : "secretariat",
                              .when = now};
    json_t *out = NULL;
    int rc = store_proposal_update(svc->store, id, patch_apply, &plan, &out, err);
    if (record)
        *record = out;
    else
        json_decref(out);
    return rc;
}

/* --- filters, listing, counts -------------------------------------------------- */

/* What a listing tests in each record's text: the text query and needs_review. */
struct list_match {
    struct tq_query *text; /* NULL: any */
    int review;            /* -1: any; else the needs_review wanted */
};

/* A record needs review while the classifier's answer stands and was flagged: a
 * secretariat correction settles it. */
static int record_needs_review(const char *text, size_t len)
{
    json_t *rec = json_loadb(text, len, 0, NULL);
    const json_t *cl = json_object_get(rec, "classification");
    const char *source = json_string_value(json_object_get(cl, "source"));
    int flagged =
        source && strcmp(source, "classifier") == 0 &&
        json_is_true(json_object_get(json_object_get(cl, "suggested"), "needs_review"));
    json_decref(rec);
    return flagged;
}

static int list_match_fn(const char *text, size_t len, void *arg)
{
    const struct list_match *m = arg;
    if (m->review >= 0 && record_needs_review(text, len) != m->review)
        return 0;
    return !m->text || tq_text_match_fn(text, len, m->text);
}

/* Checks and resolves in into out.  lm receives the parsed q (new: tq_query_free) and
 * needs_review for a listing; NULL for the counts, which refuse both. */
static int filter_resolve(struct svc_engine *e, const struct svc_filter *in,
                          struct store_filter *out, struct list_match *lm,
                          json_t *problems)
{
    memset(out, 0, sizeof *out);
    struct tq_query **text = lm ? &lm->text : NULL;
    if (lm)
        *lm = (struct list_match){NULL, -1};
    int bad = 0;
    if (!in)
        return 0;
    if (in->needs_review && !lm) {
        stdtax_problem_add(problems, "/query/needs_review",
                           "needs_review filters the list only; counts never read the "
                           "records");
        bad = 1;
    } else if (in->needs_review) {
        lm->review = strcmp(in->needs_review, "true") == 0    ? 1
                     : strcmp(in->needs_review, "false") == 0 ? 0
                                                              : -2;
        if (lm->review == -2) {
            stdtax_problem_add(problems, "/query/needs_review", "must be true or false");
            bad = 1;
        }
    }
    if (in->q && !text) {
        stdtax_problem_add(problems, "/query/q",
                           "a text query filters the list only; counts are kept per "
                           "call, track and status and never read the records");
        bad = 1;
    } else if (in->q) {
        struct stdtax_error qerr = {0};
        if (tq_query_new(in->q, text, &qerr) != 0) {
            stdtax_problem_add(problems, "/query/q", "%s", qerr.text);
            bad = 1;
        }
    }
    if (lm && (lm->text || lm->review >= 0)) {
        out->match = list_match_fn;
        out->match_arg = lm;
    }
    out->call = in->call;
    if (in->call && !tax_call_find(e->tax, in->call)) {
        char known[256] = "";
        for (size_t i = 0; i < e->tax->n_calls; i++) {
            size_t len = strlen(known);
            snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                     e->tax->calls[i].id);
        }
        stdtax_problem_add(problems, "/query/call", "unknown call (known: %s)", known);
        bad = 1;
    }
    if (in->track) {
        int t = prop_track_parse(in->track);
        if (t < 0) {
            stdtax_problem_add(problems, "/query/track", "must be local or group");
            bad = 1;
        } else {
            out->track = prop_track_code(t);
        }
    }
    if (in->status) {
        int s = prop_status_parse(in->status);
        if (s < 0) {
            stdtax_problem_add(problems, "/query/status", "unknown status");
            bad = 1;
        } else {
            out->status = prop_status_code(s);
        }
    }
    if (in->category) {
        const struct tax_node *n = tax_node_resolve(e->tax, in->category);
        if (!n) {
            stdtax_problem_add(problems, "/query/category", "unknown category");
            bad = 1;
        } else {
            out->category = n->code;
        }
    }
    if (in->topic) {
        const struct tax_topic *t = tax_topic_find(e->tax, in->topic);
        for (size_t i = 0; !t && i < e->tax->n_topics; i++)
            if (strcmp(e->tax->topics[i].zh, in->topic) == 0)
                t = &e->tax->topics[i];
        if (!t) {
            stdtax_problem_add(problems, "/query/topic", "unknown priority topic");
            bad = 1;
        } else {
            out->topic = t->code;
        }
    }
    if (bad && lm) {
        tq_query_free(lm->text);
        lm->text = NULL;
        out->match = NULL;
        out->match_arg = NULL;
    }
    return bad ? STDTAX_EINVAL : 0;
}

int svc_proposal_list(struct svc *svc, const struct svc_filter *filter,
                      const char *cursor, size_t limit, json_t **page, json_t *problems,
                      struct stdtax_error *err)
{
    *page = NULL;
    if (limit == 0)
        limit = SVC_LIST_DEFAULT;
    if (limit > STORE_LIST_LIMIT_MAX) {
        stdtax_problem_add(problems, "/query/limit", "must be 1 to %d",
                           STORE_LIST_LIMIT_MAX);
        return stdtax_error_set(err, STDTAX_EINVAL, "/query/limit", "limit too large");
    }
    struct svc_engine *e = svc_engine_acquire(svc);
    struct store_filter sf;
    struct list_match lm;
    int rc = filter_resolve(e, filter, &sf, &lm, problems);
    json_t *items = NULL;
    char *next = NULL;
    if (rc != 0) {
        stdtax_error_set(err, rc, "/query", "invalid filter");
    } else {
        rc = store_proposal_list(svc->store, &sf, cursor, limit, &items, &next, err);
        if (rc == STDTAX_EINVAL) /* the only caller-made mistake left: the cursor */
            stdtax_problem_add(problems, "/query/cursor", "%s", err->text);
    }
    if (rc == 0) {
        *page = json_pack("{s:o, s:s?, s:I}", "items", items, "next_cursor", next,
                          "limit", (json_int_t)limit);
        if (!*page)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    free(next);
    tq_query_free(lm.text);
    svc_engine_release(svc, e);
    return rc;
}

static json_t *filter_json(const struct store_filter *f)
{
    return json_pack("{s:s?, s:s?, s:s?}", "call", f->call, "track", f->track, "status",
                     f->status);
}

static json_int_t count_of(const json_t *map, const char *key)
{
    return json_integer_value(json_object_get(map, key));
}

static double share_of(json_int_t count, json_int_t total)
{
    return total > 0 ? (double)count / (double)total : 0.0;
}

static json_t *labels_json(const char *zh, const char *en)
{
    return json_pack("{s:s, s:s}", "zh", zh, "en", en);
}

static json_t *stats_categories(const struct tax_taxonomy *tax, const json_t *nodes,
                                json_int_t total)
{
    json_t *cats = json_array();
    for (size_t i = 0; cats && i < tax->n_roots; i++) {
        const struct tax_node *c = tax->roots[i];
        json_t *subs = json_array();
        for (size_t j = 0; subs && j < c->n_children; j++) {
            const struct tax_node *s = c->children[j];
            json_int_t n = count_of(nodes, s->code);
            json_array_append_new(subs,
                                  json_pack("{s:s, s:o, s:I, s:f}", "code", s->code,
                                            "labels", labels_json(s->zh, s->en), "count",
                                            n, "share", share_of(n, total)));
        }
        json_int_t n = count_of(nodes, c->code);
        json_array_append_new(
            cats, json_pack("{s:s, s:o, s:I, s:f, s:o}", "code", c->code, "labels",
                            labels_json(c->zh, c->en), "count", n, "share",
                            share_of(n, total), "subcategories", subs));
    }
    return cats;
}

static json_t *stats_topics(const struct tax_taxonomy *tax, const json_t *topics,
                            json_int_t total)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        json_t *nodes = json_array();
        for (size_t j = 0; nodes && j < t->n_nodes; j++)
            json_array_append_new(nodes, json_string(t->nodes[j]->code));
        json_int_t n = count_of(topics, t->code);
        json_array_append_new(arr,
                              json_pack("{s:s, s:o, s:o, s:I, s:f}", "code", t->code,
                                        "labels", labels_json(t->zh, t->en), "nodes",
                                        nodes, "count", n, "share", share_of(n, total)));
    }
    return arr;
}

static json_t *stats_tracks(const struct tax_taxonomy *tax, const json_t *tracks,
                            json_int_t total)
{
    json_t *arr = json_array();
    const struct tax_call *call = tax->current ? tax->current : &tax->calls[0];
    for (size_t i = 0; arr && i < call->n_tracks; i++) {
        const struct tax_track *t = &call->tracks[i];
        json_int_t n = count_of(tracks, t->code);
        json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:I, s:f}", "code", t->code,
                                             "labels", labels_json(t->zh, t->en),
                                             "deadline", t->deadline, "count", n, "share",
                                             share_of(n, total)));
    }
    return arr;
}

static json_t *stats_statuses(const json_t *statuses)
{
    json_t *arr = json_array();
    for (int s = 0; arr && s < PROP_ST_COUNT; s++) {
        const char *code = prop_status_code(s);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "code", code, "label",
                                             prop_status_label(s), "count",
                                             count_of(statuses, code)));
    }
    return arr;
}

static json_t *stats_calls(const json_t *calls)
{
    json_t *arr = json_array();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)calls, key, value)
    {
        json_array_append_new(
            arr, json_pack("{s:s, s:I}", "id", key, "count", json_integer_value(value)));
    }
    return arr;
}

int svc_stats_get(struct svc *svc, const struct svc_filter *filter, json_t **stats,
                  json_t *problems, struct stdtax_error *err)
{
    *stats = NULL;
    struct svc_engine *e = svc_engine_acquire(svc);
    struct store_filter sf;
    json_t *counts = NULL;
    int rc = filter_resolve(e, filter, &sf, NULL, problems);
    if (rc != 0)
        stdtax_error_set(err, rc, "/query", "invalid filter");
    else
        rc = store_counts_get(svc->store, &sf, &counts, err);
    if (rc == 0) {
        json_int_t total = json_integer_value(json_object_get(counts, "total"));
        *stats = json_pack(
            "{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "total", total,
            "taxonomy_version", e->tax->version, "filter", filter_json(&sf), "categories",
            stats_categories(e->tax, json_object_get(counts, "nodes"), total), "tracks",
            stats_tracks(e->tax, json_object_get(counts, "tracks"), total), "statuses",
            stats_statuses(json_object_get(counts, "statuses")), "priority_topics",
            stats_topics(e->tax, json_object_get(counts, "topics"), total), "calls",
            stats_calls(json_object_get(counts, "calls")));
        if (!*stats)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    json_decref(counts);
    svc_engine_release(svc, e);
    return rc;
}

int svc_coverage_get(struct svc *svc, const struct svc_filter *filter, uint64_t min,
                     json_t **coverage, json_t *problems, struct stdtax_error *err)
{
    *coverage = NULL;
    if (filter && filter->call && strchr(filter->call, ','))
        return svc_coverage_compare(svc, filter, min, coverage, problems, err);
    struct svc_engine *e = svc_engine_acquire(svc);
    struct store_filter sf;
    int rc = filter_resolve(e, filter, &sf, NULL, problems);
    if (rc != 0) {
        stdtax_error_set(err, rc, "/query", "invalid filter");
    } else {
        /* `other` is where nothing fits: few proposals there is not a gap. */
        struct store_coverage_nodes nodes = {e->cov_nodes, 0, e->cov_topics,
                                             e->tax->n_topics};
        struct store_coverage_node *kept =
            calloc(e->tax->n_nodes ? e->tax->n_nodes : 1, sizeof *kept);
        if (!kept) {
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        } else {
            for (size_t i = 0; i < e->tax->n_nodes; i++)
                if (strcmp(e->cov_nodes[i].code, "other") != 0)
                    kept[nodes.n_nodes++] = e->cov_nodes[i];
            nodes.nodes = kept;
            rc = store_coverage_get(svc->store, &sf, &nodes, min, coverage, err);
            free(kept);
        }
    }
    if (rc == 0) {
        json_object_set_new(*coverage, "filter", filter_json(&sf));
        json_object_set_new(*coverage, "taxonomy_version", json_string(e->tax->version));
    }
    svc_engine_release(svc, e);
    return rc;
}

/* --- taxonomy ------------------------------------------------------------------ */

static void tree_counts_add(json_t *node, const json_t *nodes)
{
    const char *code = json_string_value(json_object_get(node, "code"));
    if (code)
        json_object_set_new(node, "count", json_integer(count_of(nodes, code)));
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(node, "children"), i, child)
        tree_counts_add(child, nodes);
}

/* Edit distance bounded to short codes; used to suggest the codes nearest a typo. */
static size_t code_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

static json_t *nearest_codes(const struct tax_taxonomy *tax, const char *code)
{
    enum { NEAREST = 5 };
    const struct tax_node *best[NEAREST] = {0};
    size_t dist[NEAREST];
    for (size_t i = 0; i < tax->n_nodes; i++) {
        const struct tax_node *n = &tax->nodes[i];
        size_t d = code_distance(code, n->code);
        /* A code that contains the query (or the reverse) is near whatever the length. */
        if (strstr(n->code, code) || strstr(code, n->code))
            d = d < 2 ? d : 2;
        for (size_t k = 0; k < NEAREST; k++) {
            if (!best[k] || d < dist[k]) {
                memmove(&best[k + 1], &best[k], (NEAREST - 1 - k) * sizeof *best);
                memmove(&dist[k + 1], &dist[k], (NEAREST - 1 - k) * sizeof *dist);
                best[k] = n;
                dist[k] = d;
                break;
            }
        }
    }
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < NEAREST && best[k]; k++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "code", best[k]->code,
                                             "zh", best[k]->zh, "en", best[k]->en));
    return arr;
}

int svc_taxonomy_get(struct svc *svc, const char *code, json_t **out, json_t **nearest,
                     struct stdtax_error *err)
{
    *out = NULL;
    if (nearest)
        *nearest = NULL;
    struct svc_engine *e = svc_engine_acquire(svc);
    const struct tax_node *node = NULL;
    json_t *counts = NULL;
    int rc = 0;
    if (code) {
        node = tax_node_resolve(e->tax, code);
        if (!node) {
            if (nearest)
                *nearest = nearest_codes(e->tax, code);
            rc = stdtax_error_set(err, STDTAX_ENOTFOUND, "/code",
                                  "no node %.64s in taxonomy %s", code, e->tax->version);
        }
    }
    if (rc == 0)
        rc = store_counts_get(svc->store, NULL, &counts, err);
    if (rc == 0) {
        json_t *tree = tax_taxonomy_to_json(e->tax, node, 0);
        const json_t *nodes = json_object_get(counts, "nodes");
        if (!tree) {
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        } else if (node) {
            tree_counts_add(tree, nodes);
        } else {
            size_t i;
            json_t *n;
            json_array_foreach(json_object_get(tree, "nodes"), i, n)
                tree_counts_add(n, nodes);
            json_t *topic;
            const json_t *topic_counts = json_object_get(counts, "topics");
            json_array_foreach(json_object_get(tree, "priority_topics"), i, topic)
            {
                const char *tc = json_string_value(json_object_get(topic, "code"));
                json_object_set_new(topic, "count",
                                    json_integer(tc ? count_of(topic_counts, tc) : 0));
            }
            json_object_set_new(tree, "total", json_integer(count_of(counts, "total")));
        }
        *out = tree;
    }
    json_decref(counts);
    svc_engine_release(svc, e);
    return rc;
}
