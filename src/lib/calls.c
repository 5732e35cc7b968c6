/* The calls of a taxonomy file and the crosswalk from the framework before it
 * (doc/taxonomy-format.md, "Calls" and "Framework versions"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/date.h"
#include "taxonomy_internal.h"

#define CALL_ID_MAX 31
#define CRITERION_MAX_DEFAULT 20
#define CRITERION_MAX_LIMIT 1000
#define CRITERION_WEIGHT_LIMIT 100.0

static void problemf(struct load *ld, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problemf(struct load *ld, const char *ptr, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tax_load_problem(ld, ptr, text);
}

static void ptrf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ptrf(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, TAX_PTR_MAX, fmt, ap);
    va_end(ap);
}

/* The same alphabet as a proposal's "call" (doc/proposals.md). */
static int call_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CALL_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void track_load(struct load *ld, struct tax_call *c, size_t i, const json_t *j,
                       const char *base)
{
    char ptr[TAX_PTR_MAX];
    struct tax_track *t = &c->tracks[i];
    if (!json_is_object(j)) {
        tax_load_problem(ld, base, "must be an object");
        return;
    }
    t->code = tax_load_string(ld, j, "code", base, 1);
    ptrf(ptr, "%s/code", base);
    if (t->code && strcmp(t->code, "local") != 0 && strcmp(t->code, "group") != 0)
        tax_load_problem(ld, ptr, "must be \"local\" or \"group\"");
    for (size_t k = 0; t->code && k < i; k++)
        if (c->tracks[k].code && strcmp(c->tracks[k].code, t->code) == 0)
            problemf(ld, ptr, "duplicate track \"%s\"", t->code);
    tax_load_labels(ld, j, "labels", base, 1, &t->zh, &t->en);
    t->form = tax_load_string(ld, j, "form", base, 0);
    t->suffix = tax_load_string(ld, j, "suffix", base, 0);
    t->deadline = tax_load_string(ld, j, "deadline", base, 1);
    ptrf(ptr, "%s/deadline", base);
    int64_t usec;
    if (t->deadline && date_time_parse(t->deadline, strlen(t->deadline), &usec) != 0)
        tax_load_problem(ld, ptr, "not an RFC 3339 timestamp with an offset");
    else if (t->deadline) /* whole seconds, rounded down */
        t->deadline_t = (time_t)(usec / 1000000 - (usec % 1000000 < 0));
}

static void tracks_load(struct load *ld, struct tax_call *c, const json_t *jc,
                        const char *base)
{
    char ptr[TAX_PTR_MAX];
    ptrf(ptr, "%s/tracks", base);
    const json_t *jt = json_object_get(jc, "tracks");
    if (!json_is_array(jt)) {
        tax_load_problem(ld, ptr, jt ? "must be an array" : "missing");
        return;
    }
    size_t n = json_array_size(jt);
    if (n == 0 || n > TAX_TRACKS_MAX) {
        problemf(ld, ptr, "must hold 1 to %d tracks", TAX_TRACKS_MAX);
        return;
    }
    c->tracks = calloc(n ? n : 1, sizeof *c->tracks);
    if (!c->tracks) {
        ld->oom = 1;
        return;
    }
    c->n_tracks = n;
    for (size_t i = 0; i < n; i++) {
        char tb[TAX_PTR_MAX];
        ptrf(tb, "%s/%zu", ptr, i);
        track_load(ld, c, i, json_array_get(jt, i), tb);
    }
}

/* A number member in (lo, hi] (integer when integral), or def when absent. */
static double number_member(struct load *ld, const json_t *o, const char *key,
                            const char *base, double def, double lo, double hi,
                            int integral)
{
    char ptr[TAX_PTR_MAX];
    ptrf(ptr, "%s/%s", base, key);
    const json_t *v = json_object_get(o, key);
    if (!v)
        return def;
    if (integral ? !json_is_integer(v) : !json_is_number(v)) {
        tax_load_problem(ld, ptr, integral ? "must be an integer" : "must be a number");
        return def;
    }
    double x = json_number_value(v);
    if (!(x > lo && x <= hi)) {
        problemf(ld, ptr, "must be more than %g and at most %g", lo, hi);
        return def;
    }
    return x;
}

static void criteria_load(struct load *ld, struct tax_call *c, const json_t *jc,
                          const char *base)
{
    char ptr[TAX_PTR_MAX];
    ptrf(ptr, "%s/criteria", base);
    const json_t *ja = json_object_get(jc, "criteria");
    if (!ja)
        return;
    if (!json_is_array(ja) || json_array_size(ja) > TAX_CRITERIA_MAX) {
        problemf(ld, ptr, "must be an array of at most %d criteria", TAX_CRITERIA_MAX);
        return;
    }
    size_t n = json_array_size(ja);
    c->criteria = calloc(n ? n : 1, sizeof *c->criteria);
    if (!c->criteria) {
        ld->oom = 1;
        return;
    }
    c->n_criteria = n;
    for (size_t i = 0; i < n; i++) {
        char cb[TAX_PTR_MAX], cp[TAX_PTR_MAX];
        struct tax_criterion *k = &c->criteria[i];
        const json_t *j = json_array_get(ja, i);
        ptrf(cb, "%s/%zu", ptr, i);
        if (!json_is_object(j)) {
            tax_load_problem(ld, cb, "must be an object {code, labels, max, weight}");
            continue;
        }
        k->code = tax_load_string(ld, j, "code", cb, 1);
        ptrf(cp, "%s/code", cb);
        if (k->code && !tax_code_valid(k->code))
            problemf(ld, cp, "must be 1..%d bytes of [a-z0-9.-]", TAX_CODE_MAX);
        for (size_t q = 0; k->code && q < i; q++)
            if (c->criteria[q].code && strcmp(c->criteria[q].code, k->code) == 0)
                problemf(ld, cp, "duplicate criterion \"%s\"", k->code);
        tax_load_labels(ld, j, "labels", cb, 1, &k->zh, &k->en);
        k->max = (int)number_member(ld, j, "max", cb, CRITERION_MAX_DEFAULT, 0,
                                    CRITERION_MAX_LIMIT, 1);
        k->weight = number_member(ld, j, "weight", cb, 1.0, 0, CRITERION_WEIGHT_LIMIT, 0);
    }
}

static void call_load(struct load *ld, struct tax_taxonomy *tax, struct tax_call *c,
                      const json_t *jc, const char *base, int legacy)
{
    char ptr[TAX_PTR_MAX];
    if (!json_is_object(jc)) {
        tax_load_problem(ld, base, jc ? "must be an object" : "missing");
        return;
    }
    c->id = tax_load_string(ld, jc, "id", base, 1);
    ptrf(ptr, "%s/id", base);
    if (c->id && !call_id_valid(c->id))
        problemf(ld, ptr, "must be 1..%d of [A-Za-z0-9._-]", CALL_ID_MAX);
    for (const struct tax_call *o = tax->calls; c->id && o < c; o++)
        if (o->id && strcmp(o->id, c->id) == 0)
            problemf(ld, ptr, "duplicate call \"%s\"", c->id);
    tax_load_labels(ld, jc, "title", base, 0, &c->title_zh, &c->title_en);
    c->document = tax_load_string(ld, jc, "document", base, 0);
    c->published = tax_load_string(ld, jc, "published", base, 0);
    ptrf(ptr, "%s/published", base);
    struct date_ymd day;
    if (c->published && c->published[0] &&
        date_parse(c->published, strlen(c->published), &day) != 0)
        tax_load_problem(ld, ptr, "not a date YYYY-MM-DD");
    c->framework = tax_load_string(ld, jc, "framework", base, 0);
    if (c->framework && !c->framework[0] && tax->version) {
        free(c->framework);
        c->framework = strdup(tax->version);
        ld->oom |= c->framework == NULL;
    }
    c->note = tax_load_string(ld, jc, "note", base, 0);
    const json_t *cur = json_object_get(jc, "current");
    ptrf(ptr, "%s/current", base);
    if (legacy)
        c->current = 1;
    else if (cur && !json_is_boolean(cur))
        tax_load_problem(ld, ptr, "must be true or false");
    else if (json_is_true(cur) && tax->current)
        problemf(ld, ptr, "call \"%s\" is already the current one", tax->current->id);
    else
        c->current = json_is_true(cur);
    if (c->current)
        tax->current = c;
    tracks_load(ld, c, jc, base);
    criteria_load(ld, c, jc, base);
}

static void calls_list_load(struct load *ld, struct tax_taxonomy *tax, const json_t *root)
{
    const json_t *one = json_object_get(root, "call");
    const json_t *many = json_object_get(root, "calls");
    if (one && many) {
        tax_load_problem(ld, "/call", "give /calls or /call, not both");
        return;
    }
    if (!many) {
        tax->calls = calloc(1, sizeof *tax->calls);
        if (!tax->calls) {
            ld->oom = 1;
            return;
        }
        tax->n_calls = 1;
        call_load(ld, tax, &tax->calls[0], one, "/call", 1);
        return;
    }
    if (!json_is_array(many) || json_array_size(many) == 0 ||
        json_array_size(many) > TAX_CALLS_MAX) {
        problemf(ld, "/calls", "must be an array of 1 to %d calls", TAX_CALLS_MAX);
        return;
    }
    size_t n = json_array_size(many);
    tax->calls = calloc(n, sizeof *tax->calls);
    if (!tax->calls) {
        ld->oom = 1;
        return;
    }
    tax->n_calls = n;
    for (size_t i = 0; i < n; i++) {
        char base[TAX_PTR_MAX];
        ptrf(base, "/calls/%zu", i);
        call_load(ld, tax, &tax->calls[i], json_array_get(many, i), base, 0);
    }
}

static int node_loaded(const struct tax_taxonomy *tax, const char *code)
{
    for (size_t i = 0; i < tax->n_nodes; i++)
        if (tax->nodes[i].code && strcmp(tax->nodes[i].code, code) == 0)
            return 1;
    return 0;
}

static void crosswalk_entry_load(struct load *ld, struct tax_taxonomy *tax,
                                 struct tax_crosswalk_entry *e, const char *from,
                                 const json_t *to)
{
    char ptr[TAX_PTR_MAX];
    ptrf(ptr, "/crosswalk/codes/%s", from);
    e->from = strdup(from);
    ld->oom |= e->from == NULL;
    if (!tax_code_valid(from))
        problemf(ld, ptr, "not a node code (1..%d bytes of [a-z0-9.-])", TAX_CODE_MAX);
    if (!json_is_array(to) || json_array_size(to) == 0 ||
        json_array_size(to) > TAX_NODES_MAX) {
        tax_load_problem(ld, ptr, "must be a non-empty array of codes of this file");
        return;
    }
    e->to = calloc(json_array_size(to), sizeof *e->to);
    if (!e->to) {
        ld->oom = 1;
        return;
    }
    for (size_t i = 0; i < json_array_size(to); i++) {
        char tp[TAX_PTR_MAX];
        ptrf(tp, "%s/%zu", ptr, i);
        const char *code = json_string_value(json_array_get(to, i));
        if (!code || !node_loaded(tax, code)) {
            tax_load_problem(ld, tp, "no node with this code in this file");
            continue;
        }
        for (size_t k = 0; k < e->n_to; k++)
            if (strcmp(e->to[k], code) == 0)
                problemf(ld, tp, "\"%s\" listed twice", code);
        e->to[e->n_to] = strdup(code);
        ld->oom |= e->to[e->n_to] == NULL;
        e->n_to++;
    }
}

static void crosswalk_load(struct load *ld, struct tax_taxonomy *tax, const json_t *jx)
{
    if (!jx)
        return;
    if (!json_is_object(jx)) {
        tax_load_problem(ld, "/crosswalk", "must be an object {from, codes}");
        return;
    }
    tax->crosswalk_from = tax_load_string(ld, jx, "from", "/crosswalk", 1);
    const json_t *codes = json_object_get(jx, "codes");
    if (!json_is_object(codes) || json_object_size(codes) > TAX_CROSSWALK_MAX) {
        problemf(ld, "/crosswalk/codes",
                 "must be an object of at most %d old code: [new codes]",
                 TAX_CROSSWALK_MAX);
        return;
    }
    tax->crosswalk = calloc(json_object_size(codes) + 1, sizeof *tax->crosswalk);
    if (!tax->crosswalk) {
        ld->oom = 1;
        return;
    }
    const char *from;
    json_t *to;
    json_object_foreach((json_t *)codes, from, to)
        crosswalk_entry_load(ld, tax, &tax->crosswalk[tax->n_crosswalk++], from, to);
}

void tax_calls_load(struct load *ld, struct tax_taxonomy *tax, const json_t *root)
{
    calls_list_load(ld, tax, root);
    crosswalk_load(ld, tax, json_object_get(root, "crosswalk"));
}

void tax_calls_free(struct tax_taxonomy *tax)
{
    for (size_t c = 0; c < tax->n_calls; c++) {
        struct tax_call *call = &tax->calls[c];
        free(call->id);
        free(call->title_zh);
        free(call->title_en);
        free(call->document);
        free(call->published);
        free(call->framework);
        free(call->note);
        for (size_t i = 0; i < call->n_tracks; i++) {
            struct tax_track *t = &call->tracks[i];
            free(t->code);
            free(t->zh);
            free(t->en);
            free(t->form);
            free(t->suffix);
            free(t->deadline);
        }
        free(call->tracks);
        for (size_t i = 0; i < call->n_criteria; i++) {
            free(call->criteria[i].code);
            free(call->criteria[i].zh);
            free(call->criteria[i].en);
        }
        free(call->criteria);
    }
    free(tax->calls);
    for (size_t i = 0; i < tax->n_crosswalk; i++) {
        free(tax->crosswalk[i].from);
        for (size_t k = 0; k < tax->crosswalk[i].n_to; k++)
            free(tax->crosswalk[i].to[k]);
        free(tax->crosswalk[i].to);
    }
    free(tax->crosswalk);
    free(tax->crosswalk_from);
}

const struct tax_call *tax_call_find(const struct tax_taxonomy *tax, const char *id)
{
    for (size_t i = 0; tax && id && i < tax->n_calls; i++)
        if (strcmp(tax->calls[i].id, id) == 0)
            return &tax->calls[i];
    return NULL;
}

const struct tax_track *tax_call_track(const struct tax_call *call, const char *code)
{
    for (size_t i = 0; call && code && i < call->n_tracks; i++)
        if (strcmp(call->tracks[i].code, code) == 0)
            return &call->tracks[i];
    return NULL;
}

const struct tax_track *tax_track_find(const struct tax_taxonomy *tax, const char *code)
{
    return tax ? tax_call_track(tax->current, code) : NULL;
}

const struct tax_crosswalk_entry *tax_crosswalk_find(const struct tax_taxonomy *tax,
                                                     const char *code)
{
    for (size_t i = 0; tax && code && i < tax->n_crosswalk; i++)
        if (strcmp(tax->crosswalk[i].from, code) == 0)
            return &tax->crosswalk[i];
    return NULL;
}

static json_t *labels_json(const char *zh, const char *en)
{
    return json_pack("{s:s, s:s}", "zh", zh, "en", en);
}

json_t *tax_call_to_json(const struct tax_call *c)
{
    if (!c)
        return json_null();
    json_t *tracks = json_array(), *criteria = json_array();
    for (size_t i = 0; i < c->n_tracks; i++) {
        const struct tax_track *t = &c->tracks[i];
        json_array_append_new(
            tracks, json_pack("{s:s, s:o, s:s, s:s, s:s}", "code", t->code, "labels",
                              labels_json(t->zh, t->en), "form", t->form, "suffix",
                              t->suffix, "deadline", t->deadline));
    }
    for (size_t i = 0; i < c->n_criteria; i++) {
        const struct tax_criterion *k = &c->criteria[i];
        json_array_append_new(criteria, json_pack("{s:s, s:o, s:i, s:f}", "code", k->code,
                                                  "labels", labels_json(k->zh, k->en),
                                                  "max", k->max, "weight", k->weight));
    }
    json_t *o =
        json_pack("{s:s, s:b, s:o, s:s, s:s, s:s, s:o, s:o}", "id", c->id, "current",
                  c->current, "title", labels_json(c->title_zh, c->title_en), "document",
                  c->document, "published", c->published, "framework", c->framework,
                  "tracks", tracks, "criteria", criteria);
    if (o && c->note[0])
        json_object_set_new(o, "note", json_string(c->note));
    return o;
}
