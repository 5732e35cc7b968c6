/* The calls side by side (doc/taxonomy-format.md, "Calls"): their rules, the call a
 * submission belongs to, the list, the comparison of coverage across calls, and the
 * crosswalk from one framework version to the next with the migration of the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_internal.h"
#include "stdtax/classifier.h"
#include "stdtax/taxonomy.h"

int svc_engine_rules_build(struct svc_engine *e, struct stdtax_error *err)
{
    for (size_t c = 0; c < e->tax->n_calls; c++) {
        const struct tax_call *call = &e->tax->calls[c];
        time_t deadline[PROP_TRACK_COUNT] = {0};
        for (size_t i = 0; i < call->n_tracks; i++) {
            int track = prop_track_parse(call->tracks[i].code);
            if (track >= 0)
                deadline[track] = call->tracks[i].deadline_t;
        }
        int rc = prop_rules_call_add(&e->rules, call->id, deadline[PROP_TRACK_LOCAL],
                                     deadline[PROP_TRACK_GROUP], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

json_t *svc_submission_with_call(const struct svc_engine *e, const json_t *submission)
{
    const json_t *call = json_object_get(submission, "call");
    if (!json_is_object(submission) || (call && !json_is_null(call)) || !e->tax->current)
        return json_incref((json_t *)submission);
    json_t *copy = json_copy((json_t *)submission);
    if (copy &&
        json_object_set_new(copy, "call", json_string(e->tax->current->id)) != 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

/* A code has a home in tax: it is a node there or the crosswalk maps it. */
static int code_housed(const struct tax_taxonomy *tax, const char *code)
{
    return tax_node_find(tax, code) || tax_crosswalk_find(tax, code);
}

int svc_engine_crosswalk_check(struct svc *svc, const struct svc_engine *fresh,
                               const struct svc_engine *old, json_t *problems,
                               struct stdtax_error *err)
{
    const struct tax_taxonomy *tax = fresh->tax;
    size_t bad = 0;
    for (size_t i = 0; i < tax->n_crosswalk; i++) {
        if (tax_node_find(tax, tax->crosswalk[i].from)) {
            stdtax_problem_add(problems, "/crosswalk/codes",
                               "%s is still a node of this file: a code kept maps to "
                               "itself, list only the codes that go",
                               tax->crosswalk[i].from);
            bad++;
        }
    }
    for (size_t i = 0; old && i < old->tax->n_nodes; i++) {
        const char *code = old->tax->nodes[i].code;
        if (!code_housed(tax, code)) {
            stdtax_problem_add(problems, "/crosswalk/codes",
                               "%s of taxonomy %s is removed without a mapping", code,
                               old->tax->version);
            bad++;
        }
    }
    json_t *counts = NULL;
    struct store_filter all = {.include_withdrawn = 1};
    int rc = store_counts_get(svc->store, &all, &counts, err);
    if (rc != 0)
        return rc;
    const char *code;
    json_t *n;
    json_object_foreach(json_object_get(counts, "nodes"), code, n)
    {
        if (!code_housed(tax, code)) {
            stdtax_problem_add(problems, "/crosswalk/codes",
                               "%s: %lld stored proposals are under this code, which is "
                               "neither a node of taxonomy %s nor mapped",
                               code, (long long)json_integer_value(n), tax->version);
            bad++;
        }
    }
    json_decref(counts);
    if (bad)
        return stdtax_error_set(err, STDTAX_EINVAL, "/crosswalk",
                                "codes without a home in taxonomy %s: %zu", tax->version,
                                bad);
    return 0;
}

/* --- the calls ----------------------------------------------------------------- */

int svc_calls_list(struct svc *svc, json_t **out, struct stdtax_error *err)
{
    struct svc_engine *e = svc_engine_acquire(svc);
    json_t *calls = json_array();
    json_t *counts = NULL;
    int rc = store_counts_get(svc->store, NULL, &counts, err);
    for (size_t i = 0; rc == 0 && i < e->tax->n_calls; i++) {
        json_t *c = tax_call_to_json(&e->tax->calls[i]);
        json_t *n =
            json_object_get(json_object_get(counts, "calls"), e->tax->calls[i].id);
        json_object_set_new(c, "proposals", json_integer(n ? json_integer_value(n) : 0));
        json_array_append_new(calls, c);
    }
    if (rc == 0)
        *out =
            json_pack("{s:s, s:s?, s:o}", "taxonomy_version", e->tax->version, "current",
                      e->tax->current ? e->tax->current->id : NULL, "calls", calls);
    else
        json_decref(calls);
    json_decref(counts);
    svc_engine_release(svc, e);
    return rc;
}

int svc_call_get(struct svc *svc, const char *id, json_t **out, struct stdtax_error *err)
{
    struct svc_engine *e = svc_engine_acquire(svc);
    const struct tax_call *c = tax_call_find(e->tax, id);
    int rc = 0;
    if (!c) {
        rc =
            stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no call %.64s in taxonomy %s",
                             id ? id : "", e->tax->version);
    } else {
        json_t *counts = NULL;
        struct store_filter f = {.call = c->id};
        rc = store_counts_get(svc->store, &f, &counts, err);
        if (rc == 0) {
            *out = tax_call_to_json(c);
            json_object_set_new(*out, "proposals",
                                json_incref(json_object_get(counts, "total")));
            json_object_set_new(*out, "tracks_count",
                                json_incref(json_object_get(counts, "tracks")));
        }
        json_decref(counts);
    }
    svc_engine_release(svc, e);
    return rc;
}

/* --- coverage across calls ------------------------------------------------------ */

#define COMPARE_LIST_MAX 512

/* Splits "2023,2024" into ids[] (at most TAX_CALLS_MAX, each known, none twice). */
static size_t call_list_split(const struct svc_engine *e, const char *list, char *buf,
                              const char **ids, json_t *problems)
{
    size_t n = 0, bad = 0;
    if (strlen(list) >= COMPARE_LIST_MAX) {
        /* Cut, the list would name a call the client never sent. */
        stdtax_problem_add(problems, "/query/call",
                           "a list of calls has at most %d bytes", COMPARE_LIST_MAX - 1);
        return 0;
    }
    snprintf(buf, COMPARE_LIST_MAX, "%s", list);
    for (char *save = NULL, *id = strtok_r(buf, ",", &save); id;
         id = strtok_r(NULL, ",", &save)) {
        int seen = 0;
        for (size_t i = 0; i < n; i++)
            seen |= strcmp(ids[i], id) == 0;
        if (!tax_call_find(e->tax, id) || seen || n == TAX_CALLS_MAX) {
            if (seen)
                stdtax_problem_add(problems, "/query/call", "call %.64s is given twice",
                                   id);
            else
                stdtax_problem_add(problems, "/query/call",
                                   "%.64s is not a call of this taxonomy", id);
            bad++;
            continue;
        }
        ids[n++] = id;
    }
    if (n < 2 && !bad)
        stdtax_problem_add(problems, "/query/call", "name two or more calls to compare");
    return bad || n < 2 ? 0 : n;
}

/* One row of the comparison for a node or topic of the stats answer. */
static json_t *compare_row(json_t *rows, const char *kind, const json_t *item,
                           const char *parent)
{
    const char *code = json_string_value(json_object_get(item, "code"));
    json_t *row = json_object_get(rows, code);
    if (!row) {
        row = json_pack("{s:s, s:s, s:O, s:{}}", "kind", kind, "code", code, "labels",
                        json_object_get(item, "labels"), "counts");
        if (parent)
            json_object_set_new(row, "parent", json_string(parent));
        json_object_set_new(rows, code, row);
    }
    return row;
}

static void compare_add(json_t *rows, const char *call, const json_t *stats)
{
    size_t i, j;
    json_t *cat, *sub, *topic;
    json_array_foreach(json_object_get(stats, "categories"), i, cat)
    {
        json_t *row = compare_row(rows, "node", cat, NULL);
        json_object_set(json_object_get(row, "counts"), call,
                        json_object_get(cat, "count"));
        const char *parent = json_string_value(json_object_get(cat, "code"));
        json_array_foreach(json_object_get(cat, "subcategories"), j, sub)
        {
            row = compare_row(rows, "node", sub, parent);
            json_object_set(json_object_get(row, "counts"), call,
                            json_object_get(sub, "count"));
        }
    }
    json_array_foreach(json_object_get(stats, "priority_topics"), i, topic)
    {
        json_t *row = compare_row(rows, "topic", topic, NULL);
        json_object_set(json_object_get(row, "counts"), call,
                        json_object_get(topic, "count"));
    }
}

int svc_coverage_compare(struct svc *svc, const struct svc_filter *filter, uint64_t min,
                         json_t **out, json_t *problems, struct stdtax_error *err)
{
    *out = NULL;
    char buf[COMPARE_LIST_MAX];
    const char *ids[TAX_CALLS_MAX];
    struct svc_engine *e = svc_engine_acquire(svc);
    size_t n = call_list_split(e, filter->call, buf, ids, problems);
    char version[TAX_CODE_MAX * 2];
    snprintf(version, sizeof version, "%s", e->tax->version);
    svc_engine_release(svc, e);
    if (n == 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/query", "invalid filter");
    json_t *rows = json_object(), *calls = json_array();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct svc_filter one = *filter;
        one.call = ids[i];
        json_t *stats = NULL;
        rc = svc_stats_get(svc, &one, &stats, problems, err);
        if (rc == 0)
            compare_add(rows, ids[i], stats);
        json_decref(stats);
        json_array_append_new(calls, json_string(ids[i]));
    }
    if (rc != 0) {
        json_decref(rows);
        json_decref(calls);
        return rc;
    }
    /* Rows in the taxonomy's order (the object keeps insertion order), each flagged
     * when it stayed under min in every call; `other` is never a gap. */
    json_t *nodes = json_array(), *gaps = json_array();
    const char *code;
    json_t *row;
    json_object_foreach(rows, code, row)
    {
        int under = strcmp(code, "other") != 0;
        json_int_t most = 0;
        for (size_t i = 0; i < n; i++) {
            json_int_t c = json_integer_value(
                json_object_get(json_object_get(row, "counts"), ids[i]));
            under &= (uint64_t)c < min;
            most = c > most ? c : most;
        }
        json_object_set_new(row, "under_in_every_call", json_boolean(under));
        json_array_append(nodes, row);
        if (under) {
            json_t *gap = json_deep_copy(row);
            json_object_set_new(gap, "missing", json_integer((json_int_t)min - most));
            json_object_set_new(
                gap, "priority",
                json_boolean(strcmp(json_string_value(json_object_get(row, "kind")),
                                    "topic") == 0));
            json_array_append_new(gaps, gap);
        }
    }
    json_decref(rows);
    *out = json_pack("{s:I, s:o, s:s, s:{s:s, s:s?, s:s?}, s:o, s:o}", "min",
                     (json_int_t)min, "calls", calls, "taxonomy_version", version,
                     "filter", "call", filter->call, "track", filter->track, "status",
                     filter->status, "nodes", nodes, "gaps", gaps);
    return *out ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
}

/* --- migration to this framework version --------------------------------------- */

/* What one record becomes: planned outside the write transaction (the classifier may
 * choose among the codes a split left), applied inside it only if the record still
 * has the codes the plan was made from. */
struct refile {
    char id[STORE_ID_MAX];
    char old_category[STORE_CODE_MAX + 1], old_subcategory[STORE_CODE_MAX + 1];
    const struct tax_node *to; /* borrowed from the engine */
    const char *from_version, *to_version;
    const char *at;
};

static const char *member_code(const json_t *classification, const char *key)
{
    const char *s = json_string_value(json_object_get(classification, key));
    return s ? s : "";
}

/* Among the codes an old code goes to, the one the classifier prefers for the
 * record's text (its subcategory, else its category), else the first listed. */
static const struct tax_node *refile_choose(const struct svc_engine *e,
                                            const struct tax_crosswalk_entry *x,
                                            const json_t *record)
{
    const struct tax_node *first = tax_node_find(e->tax, x->to[0]);
    if (x->n_to == 1)
        return first;
    struct clf_input in;
    struct clf_decision d;
    if (clf_input_from_json(record, &in, NULL) != 0 ||
        clf_text_decide(e->clf, &in, &d, NULL) != 0)
        return first;
    for (size_t i = 0; i < x->n_to; i++) {
        if (d.subcategory && strcmp(d.subcategory->code, x->to[i]) == 0)
            return d.subcategory;
    }
    for (size_t i = 0; i < x->n_to; i++) {
        if (d.category && strcmp(d.category->code, x->to[i]) == 0)
            return d.category;
    }
    return first;
}

/* The plan of one listed record; 0 when it needs none (its codes have a home). */
static int refile_plan(const struct svc_engine *e, const json_t *record, struct refile *p)
{
    const json_t *cl = json_object_get(record, "classification");
    const char *cat = member_code(cl, "category"), *sub = member_code(cl, "subcategory");
    const char *specific = sub[0] ? sub : cat;
    const struct tax_node *to = tax_node_find(e->tax, specific);
    if (!to) {
        const struct tax_crosswalk_entry *x = tax_crosswalk_find(e->tax, specific);
        if (!x)
            return 0;
        to = refile_choose(e, x, record);
    }
    if (strcmp(tax_node_root(to)->code, cat) == 0 &&
        (to->parent ? strcmp(to->code, sub) == 0 : !sub[0]))
        return 0;
    snprintf(p->id, sizeof p->id, "%s", json_string_value(json_object_get(record, "id")));
    snprintf(p->old_category, sizeof p->old_category, "%s", cat);
    snprintf(p->old_subcategory, sizeof p->old_subcategory, "%s", sub);
    p->to = to;
    return 1;
}

static int refile_apply(json_t *record, void *arg, struct stdtax_error *err)
{
    const struct refile *p = arg;
    json_t *cl = json_object_get(record, "classification");
    if (strcmp(member_code(cl, "category"), p->old_category) != 0 ||
        strcmp(member_code(cl, "subcategory"), p->old_subcategory) != 0)
        return 0; /* changed since the plan: the next run plans it again */
    json_t *previous = json_object_get(cl, "previous");
    if (!json_is_array(previous)) {
        previous = json_array();
        json_object_set_new(cl, "previous", previous);
    }
    json_t *was = json_pack(
        "{s:s, s:s?, s:s?, s:s, s:s}", "category", p->old_category, "subcategory",
        p->old_subcategory[0] ? p->old_subcategory : NULL, "framework", p->from_version,
        "refiled_to", p->to_version, "refiled_at", p->at);
    const struct tax_node *root = tax_node_root(p->to);
    if (!was || json_array_append_new(previous, was) != 0 ||
        json_object_set_new(cl, "category", json_string(root->code)) != 0 ||
        json_object_set_new(cl, "subcategory",
                            p->to->parent ? json_string(p->to->code) : json_null()) !=
            0 ||
        json_object_set_new(cl, "framework", json_string(p->to_version)) != 0)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* Re-files one page of the records under an old code in one write transaction.
 * *next is the listing's next cursor (new) or NULL at the end. */
static int migrate_page(struct svc *svc, const struct svc_engine *e, const char *code,
                        size_t batch, char **cursor, struct refile *plans,
                        json_t *by_code, size_t *moved, struct stdtax_error *err)
{
    struct store_filter f = {.category = code, .include_withdrawn = 1};
    json_t *items = NULL;
    char *next = NULL;
    int rc = store_proposal_list(svc->store, &f, *cursor, batch, &items, &next, err);
    free(*cursor);
    *cursor = next;
    if (rc != 0)
        return rc;
    const char *ids[STORE_LIST_LIMIT_MAX];
    void *args[STORE_LIST_LIMIT_MAX];
    size_t n = 0, i;
    json_t *rec;
    json_array_foreach(items, i, rec)
    {
        if (n < batch && refile_plan(e, rec, &plans[n])) {
            ids[n] = plans[n].id;
            args[n] = &plans[n];
            n++;
        }
    }
    json_decref(items);
    if (n == 0)
        return 0;
    rc = store_proposal_update_batch(svc->store, ids, args, n, refile_apply, err);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        const char *old = plans[k].old_subcategory[0] ? plans[k].old_subcategory
                                                      : plans[k].old_category;
        json_t *to = json_object_get(by_code, old);
        if (!to)
            json_object_set_new(by_code, old, to = json_object());
        json_t *c = json_object_get(to, plans[k].to->code);
        json_object_set_new(to, plans[k].to->code,
                            json_integer((c ? json_integer_value(c) : 0) + 1));
    }
    if (rc == 0)
        *moved += n;
    return rc;
}

int svc_migrate(struct svc *svc, const char *to_version, size_t batch, time_t now,
                json_t **report, struct stdtax_error *err)
{
    *report = NULL;
    if (batch == 0 || batch > STORE_LIST_LIMIT_MAX)
        batch = SVC_MIGRATE_BATCH;
    struct svc_engine *e = svc_engine_acquire(svc);
    int rc = 0;
    if (to_version && strcmp(to_version, e->tax->version) != 0)
        rc = stdtax_error_set(err, STDTAX_EINVAL, "/to",
                              "the taxonomy loaded is version %s, not %s",
                              e->tax->version, to_version);
    struct refile *plans = rc ? NULL : calloc(batch, sizeof *plans);
    if (rc == 0 && !plans)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    char at[32];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; plans && i < batch; i++) {
        plans[i].from_version = e->tax->crosswalk_from;
        plans[i].to_version = e->tax->version;
        plans[i].at = at;
    }
    json_t *by_code = json_object();
    size_t moved = 0, batches = 0;
    for (size_t x = 0; rc == 0 && x < e->tax->n_crosswalk; x++) {
        char *cursor = NULL;
        do {
            size_t before = moved;
            rc = migrate_page(svc, e, e->tax->crosswalk[x].from, batch, &cursor, plans,
                              by_code, &moved, err);
            batches += moved > before;
        } while (rc == 0 && cursor);
        free(cursor);
    }
    if (rc == 0)
        *report = json_pack("{s:s?, s:s, s:I, s:I, s:o}", "from", e->tax->crosswalk_from,
                            "to", e->tax->version, "refiled", (json_int_t)moved,
                            "batches", (json_int_t)batches, "by_code", by_code);
    else
        json_decref(by_code);
    free(plans);
    svc_engine_release(svc, e);
    return rc;
}
