/* Submissions (service.h): the one way a proposal goes in - svc_proposal_prepare (checks,
 * deadline, classification, record, fingerprint, advisory overlaps; no write
 * transaction) then svc_proposal_commit (one write transaction for n items, in which the
 * store applies idempotency keys and the call's duplicate rule, duplicate.h). */
#include "service_internal.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/catalog.h"
#include "stdtax/duplicate.h"
#include "stdtax/proposal.h"
#include "stdtax/sha256.h"
#include "stdtax/taxonomy.h"

static int request_hash(const json_t *submission, char hex[65])
{
    char *text = json_dumps(submission, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return STDTAX_ENOMEM;
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, text, strlen(text));
    sha256_ctx_final_hex(&c, hex);
    free(text);
    return 0;
}

/* What of a submission the classifier reads: the title (both languages), the scope
 * and main technical content, and the purpose as the weakest field. */
json_t *svc_classify_input(const json_t *submission)
{
    static const struct {
        const char *from, *to;
    } map[] = {{"title", "title"},
               {"title_en", "title_en"},
               {"scope", "scope"},
               {"purpose", "text"}};
    json_t *in = json_object();
    if (!in)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        json_t *v = json_object_get(submission, map[i].from);
        if (json_is_string(v) && json_object_set(in, map[i].to, v) != 0) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

/* What a submission must pass before it is classified and stored: the form's
 * validation, then the deadline of its track. */
static int submission_check(struct svc_engine *e, const json_t *submission,
                            const struct svc_caller *caller, time_t now, bool *late,
                            json_t *problems, struct stdtax_error *err)
{
    *late = false;
    if (!json_is_object(submission))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the body must be a JSON object");
    int rc = prop_submission_validate(submission, &e->rules, problems);
    if (rc != 0)
        return stdtax_error_set(err, rc, "", "the proposal is not valid");
    const char *call = json_string_value(json_object_get(submission, "call"));
    const char *track = json_string_value(json_object_get(submission, "track"));
    const struct tax_call *c = tax_call_find(e->tax, call);
    if (c && !tax_call_track(c, track)) {
        stdtax_problem_add(problems, "/track", "call %s has no %s track", call, track);
        return stdtax_error_set(err, STDTAX_EINVAL, "/track", "call %s has no %s track",
                                call, track);
    }
    rc = prop_deadline_check(&e->rules, call, track, now, caller && caller->admin, late);
    if (rc == STDTAX_ELATE) {
        const struct tax_track *t = tax_call_track(c, track);
        return stdtax_error_set(err, rc, "/track",
                                "the %s track of call %s closed at %s; only the "
                                "secretariat can still accept this proposal",
                                track, call, t ? t->deadline : "its deadline");
    }
    if (rc != 0)
        return stdtax_error_set(err, rc, "/call", "unknown call or track");
    return 0;
}

int svc_proposal_check(struct svc *svc, const json_t *submission,
                       const struct svc_caller *caller, time_t now, bool *late,
                       json_t *problems, struct stdtax_error *err)
{
    bool is_late;
    struct svc_engine *e = svc_engine_acquire(svc);
    json_t *with_call = svc_submission_with_call(e, submission);
    int rc = with_call
                 ? submission_check(e, with_call, caller, now, &is_late, problems, err)
                 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    json_decref(with_call);
    svc_engine_release(svc, e);
    if (late)
        *late = rc == 0 && is_late;
    return rc;
}

/* Everything of a submission before the store: the checks, the classification, the
 * record and (with an idempotency key) the request hash.  *rec is new. */
static int submission_prepare(struct svc_engine *e, const json_t *submission,
                              const struct svc_caller *caller, bool hashed, time_t now,
                              json_t **rec, char hash[65], json_t *problems,
                              struct stdtax_error *err)
{
    json_t *input = NULL, *classification = NULL;
    bool late = false;
    *rec = NULL;
    int rc = submission_check(e, submission, caller, now, &late, problems, err);
    if (rc != 0)
        return rc;
    input = svc_classify_input(submission);
    if (!input)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    rc = svc_engine_classify(e, input, &classification, problems, err);
    if (rc == 0)
        rc = prop_record_build(submission, classification, now, late, rec, err);
    /* Whose it is: a submit token may add materials to its own proposals only. */
    if (rc == 0 && caller && caller->name &&
        json_object_set_new(*rec, "submitted_by", json_string(caller->name)) != 0)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0 && hashed && (rc = request_hash(submission, hash)) != 0)
        stdtax_error_set(err, rc, "", "out of memory");
    if (rc != 0) {
        json_decref(*rec);
        *rec = NULL;
    }
    json_decref(input);
    json_decref(classification);
    return rc;
}

/* After the store's put: the answer of one submission.  Steals rec. */
static int submission_stored(struct svc *svc, int put_rc, const char *idem_key,
                             const char *id, int was_created, json_t *rec,
                             json_t **record, bool *created, struct stdtax_error *err)
{
    if (put_rc == STDTAX_ECONFLICT && idem_key)
        put_rc = stdtax_error_set(err, put_rc, "/Idempotency-Key",
                                  "this Idempotency-Key was used with another proposal");
    if (put_rc == 0 && !was_created) {
        /* A replay: answer the record stored by the first request. */
        json_decref(rec);
        rec = NULL;
        put_rc = store_proposal_get(svc->store, id, &rec, err);
    }
    if (put_rc != 0) {
        json_decref(rec);
        return put_rc;
    }
    *created = was_created;
    *record = rec;
    return 0;
}

/* The advisory overlaps of a submission (doc/overlap.md): new; an empty array when the
 * query fails (the submission goes on without them). */
static json_t *submission_overlaps(struct svc *svc, const json_t *submission,
                                   double threshold)
{
    struct overlap_query q = {
        .title = json_string_value(json_object_get(submission, "title")),
        .title_en = json_string_value(json_object_get(submission, "title_en")),
        .scope = json_string_value(json_object_get(submission, "scope")),
        .threshold = threshold,
        .limit = SVC_OVERLAP_LIMIT};
    json_t *out = NULL;
    if (overlap_find(svc->store, &q, &out, NULL) != 0)
        out = json_array();
    return out;
}

int svc_proposal_prepare(struct svc *svc, const json_t *submission,
                         const struct svc_submit_options *opts,
                         struct svc_batch_item *item, json_t *problems,
                         struct stdtax_error *err)
{
    memset(item, 0, sizeof *item);
    struct svc_engine *e = svc_engine_acquire(svc);
    json_t *with_call = svc_submission_with_call(e, submission);
    int rc = with_call
                 ? submission_prepare(e, with_call, opts->caller, opts->idem_key != NULL,
                                      opts->now, &item->record, item->hash, problems, err)
                 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    json_decref(with_call);
    svc_engine_release(svc, e);
    if (rc == 0)
        rc = dup_print_new(item->record, &item->print, err);
    if (rc == 0 && opts->overlap_threshold > 0 &&
        !(item->overlaps = submission_overlaps(svc, submission, opts->overlap_threshold)))
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc != 0) {
        svc_batch_item_clear(item);
        return rc;
    }
    item->idem_key = opts->idem_key;
    item->duplicate_check = opts->duplicate_check;
    store_record_encode(item->record, &item->text);
    return 0;
}

void svc_batch_item_clear(struct svc_batch_item *item)
{
    json_decref(item->record);
    item->record = NULL;
    store_record_text_free(&item->text);
    dup_print_free(item->print);
    item->print = NULL;
    json_decref(item->overlaps);
    item->overlaps = NULL;
    json_decref(item->existing);
    item->existing = NULL;
}

/* A put the duplicate rule refused: the 409's field, message and existing. */
static int submission_duplicate(struct svc *svc, struct svc_batch_item *it,
                                const json_t *rec, const char *dup_id)
{
    json_t *stored = NULL;
    store_proposal_get(svc->store, dup_id, &stored, NULL);
    const char *org = json_string_value(json_object_get(rec, "organisation"));
    int rc = dup_conflict(it->print, org, stored, &it->existing, &it->err);
    json_decref(stored);
    return rc;
}

int svc_proposal_commit(struct svc *svc, struct svc_batch_item *items, size_t n,
                        struct stdtax_error *err)
{
    struct store_put_item *put = calloc(n ? n : 1, sizeof *put);
    if (!put) {
        for (size_t i = 0; i < n; i++) {
            json_decref(items[i].record);
            items[i].record = NULL;
            items[i].rc =
                stdtax_error_set(&items[i].err, STDTAX_ENOMEM, "", "out of memory");
        }
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct svc_batch_item *it = &items[i];
        put[i].record = it->record;
        put[i].text = &it->text;
        put[i].idem_key = it->idem_key;
        put[i].request_hash = it->idem_key ? it->hash : NULL;
        if (it->print) {
            put[i].fp = dup_print_fingerprint(it->print);
            put[i].group = dup_print_group(it->print);
        }
        if (it->duplicate_check && put[i].group) {
            put[i].duplicate = dup_compare;
            put[i].duplicate_arg = it->print;
        }
    }
    int rc = store_proposal_put_batch(svc->store, put, n, err);
    for (size_t i = 0; i < n; i++) {
        struct svc_batch_item *it = &items[i];
        store_record_text_free(&it->text);
        json_t *rec = it->record;
        it->record = NULL;
        it->created = false;
        if (rc != 0) {
            json_decref(rec);
            it->rc = rc;
            it->err = *err;
        } else if (put[i].rc == STDTAX_ECONFLICT && put[i].duplicate_of[0]) {
            it->rc = submission_duplicate(svc, it, rec, put[i].duplicate_of);
            json_decref(rec);
        } else {
            it->err = put[i].err;
            it->rc =
                submission_stored(svc, put[i].rc, it->idem_key, put[i].id, put[i].created,
                                  rec, &it->record, &it->created, &it->err);
        }
        dup_print_free(it->print);
        it->print = NULL;
    }
    free(put);
    return rc;
}
