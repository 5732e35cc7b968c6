/* Keyword evidence + naive Bayes, mixed log-linearly; see doc/classifier.md. */
#include "stdtax/classifier.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/matcher.h"
#include "stdtax/normalise.h"
#include "stdtax/utf8.h"

static const size_t field_max[MODEL_FIELD_COUNT] = {CLF_TITLE_MAX, CLF_TITLE_MAX,
                                                    CLF_BODY_MAX, CLF_BODY_MAX};

void clf_params_default(struct clf_params *p)
{
    /* Tuned by 5-fold cross-validation on the development data (tests/bench/RESULTS.md);
     * the field weights only keep the order title > title_en > scope > text. */
    *p = (struct clf_params){
        .field_weight = {1.0, 0.8, 0.5, 0.3},
        .keyword_weight = 1.0,
        .model_weight = 2.0,
        .sub_model_weight = 0.3,
        .other_baseline = 0.5,
        .min_confidence = 0.0,
        .longest_match = 1, /* nested terms would count twice (tests/bench/RESULTS.md) */
        .precedence = 0.5, /* "a term that mostly points at the node" (doc/taxonomy.md) */
        .plurals = 1,
        .knn_k = 5,
        .knn_weight = 1.0,
        .knn_sub_weight = 1.0,
        .use_keywords = 1,
        .use_model = 1,
    };
}

struct frag {
    char *s;
    size_t n;
};

struct term_ref {
    const struct tax_node *node;
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
    const struct tax_node *other;
    const struct tax_node *prec; /* the precedence category, NULL when none */
    /* JSON text of the taxonomy's strings, escaped once, for clf_text_classify_write:
     * per node '{"code":..,"zh":..,"en":..' (no closing brace), per topic the whole
     * object, per term its quoted term, per node its quoted code. */
    struct frag *node_frag, *node_code, *topic_frag, *term_frag;
    struct frag versions; /* '],"taxonomy_version":..,"model_version":..}' */
};

void clf_engine_free(struct clf_engine *e)
{
    if (!e)
        return;
    match_automaton_free(e->ac);
    for (size_t i = 0; e->node_frag && i < e->tax->n_nodes; i++) {
        free(e->node_frag[i].s);
        free(e->node_code[i].s);
    }
    for (size_t i = 0; e->topic_frag && i < e->tax->n_topics; i++)
        free(e->topic_frag[i].s);
    for (size_t i = 0; e->term_frag && i < e->n_terms; i++)
        free(e->term_frag[i].s);
    free(e->node_frag);
    free(e->node_code);
    free(e->topic_frag);
    free(e->term_frag);
    free(e->versions.s);
    free(e->terms);
    model_free(e->own_model);
    tax_taxonomy_free(e->own_tax);
    free(e);
}

const struct tax_taxonomy *clf_engine_taxonomy(const struct clf_engine *e)
{
    return e->tax;
}

const struct model *clf_engine_model(const struct clf_engine *e)
{
    return e->model;
}

const struct clf_params *clf_engine_params(const struct clf_engine *e)
{
    return &e->p;
}

static int ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- JSON text ------------------------------------------------------------------ */

static double round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

/* Appends n bytes; the buffer grows by doubling.  0 or STDTAX_ENOMEM. */
static int buf_put(struct clf_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return STDTAX_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int clf_buf_append(struct clf_buf *b, const char *s, size_t n)
{
    return buf_put(b, s, n);
}

static int buf_str(struct clf_buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define BUF_LIT(b, lit) buf_put((b), "" lit, sizeof(lit) - 1)

/* A JSON string as jansson's json_dumps writes it without JSON_ENSURE_ASCII: '"' and '\\'
 * escaped, control characters as \b \f \n \r \t or \u00XX, everything else as is. */
static int buf_json_string(struct clf_buf *b, const char *s)
{
    int rc = buf_put(b, "\"", 1);
    for (; rc == 0 && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *named = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
        if (named) {
            rc = buf_str(b, named);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = buf_str(b, esc);
        } else {
            rc = buf_put(b, s, 1);
        }
    }
    return rc ? rc : buf_put(b, "\"", 1);
}

/* A probability or weight in [0, 1], rounded to 4 decimals, as json_dumps with
 * JSON_REAL_PRECISION(6) prints it ("0.8132", "1.0", "0.0"); other values through
 * the same %.6g. */
static int buf_real4(struct clf_buf *b, double x)
{
    char tmp[40];
    int n;
    x = round4(x);
    if (x >= 0 && x < 100) {
        unsigned long v = (unsigned long)lround(x * 10000.0), f = v % 10000;
        char frac[4] = {(char)('0' + f / 1000), (char)('0' + f / 100 % 10),
                        (char)('0' + f / 10 % 10), (char)('0' + f % 10)};
        int fl = 4;
        while (fl > 1 && frac[fl - 1] == '0')
            fl--;
        unsigned long whole = v / 10000; /* below 100 */
        n = 0;
        if (whole >= 10)
            tmp[n++] = (char)('0' + whole / 10);
        tmp[n++] = (char)('0' + whole % 10);
        tmp[n++] = '.';
        memcpy(tmp + n, frac, (size_t)fl);
        n += fl;
    } else {
        n = snprintf(tmp, sizeof tmp, "%.6g", x);
        if (n > 0 && !strpbrk(tmp, ".eE") && n + 2 < (int)sizeof tmp)
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".0");
    }
    return buf_put(b, tmp, n > 0 ? (size_t)n : 0);
}

static int buf_size(struct clf_buf *b, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return buf_put(b, tmp + sizeof tmp - n, n);
}

/* The JSON text built by the caller's steps (new), or {NULL, 0}. */
static struct frag frag_take(struct clf_buf *b, int rc)
{
    if (rc != 0 || !b->data) {
        free(b->data);
        return (struct frag){NULL, 0};
    }
    return (struct frag){b->data, b->len};
}

static struct frag node_fragment(const char *code, const char *zh, const char *en,
                                 int close)
{
    struct clf_buf b = {0};
    int rc = buf_str(&b, "{\"code\":");
    rc = rc ? rc : buf_json_string(&b, code);
    rc = rc ? rc : buf_str(&b, ",\"zh\":");
    rc = rc ? rc : buf_json_string(&b, zh);
    rc = rc ? rc : buf_str(&b, ",\"en\":");
    rc = rc ? rc : buf_json_string(&b, en);
    rc = rc ? rc : close ? buf_str(&b, "}") : 0;
    return frag_take(&b, rc);
}

static struct frag string_fragment(const char *s)
{
    struct clf_buf b = {0};
    return frag_take(&b, buf_json_string(&b, s));
}

static int buf_frag(struct clf_buf *b, const struct frag *f)
{
    return buf_put(b, f->s, f->n);
}

static int fragments_build(struct clf_engine *e)
{
    const struct tax_taxonomy *tax = e->tax;
    e->node_frag = calloc(tax->n_nodes + 1, sizeof *e->node_frag);
    e->node_code = calloc(tax->n_nodes + 1, sizeof *e->node_code);
    e->topic_frag = calloc(tax->n_topics + 1, sizeof *e->topic_frag);
    e->term_frag = calloc(e->n_terms + 1, sizeof *e->term_frag);
    if (!e->node_frag || !e->node_code || !e->topic_frag || !e->term_frag)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < tax->n_nodes; i++) {
        const struct tax_node *n = &tax->nodes[i];
        e->node_frag[i] = node_fragment(n->code, n->zh, n->en, 0);
        e->node_code[i] = string_fragment(n->code);
        if (!e->node_frag[i].s || !e->node_code[i].s)
            return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        if (!(e->topic_frag[i] = node_fragment(t->code, t->zh, t->en, 1)).s)
            return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < e->n_terms; i++)
        if (!(e->term_frag[i] = string_fragment(e->terms[i].term->term)).s)
            return STDTAX_ENOMEM;
    struct clf_buf b = {0};
    int rc = buf_str(&b, "],\"taxonomy_version\":");
    rc = rc ? rc : buf_json_string(&b, tax->version);
    rc = rc ? rc : buf_str(&b, ",\"model_version\":");
    if (e->model && e->p.use_model)
        rc = rc ? rc : buf_json_string(&b, model_version(e->model));
    else
        rc = rc ? rc : buf_str(&b, "null");
    rc = rc ? rc : buf_str(&b, "}");
    e->versions = frag_take(&b, rc);
    return e->versions.s ? 0 : STDTAX_ENOMEM;
}

/* English evidence is written in the singular; a title says "knowledge graphs" or
 * "computing centers" as often.  The regular plural of a term's last word is matched as
 * the same term (so it counts once), unless the node lists that form itself. */
static int add_plural(struct match_automaton *ac, const struct tax_node *node,
                      const char *norm, size_t len, uint32_t id)
{
    char last = norm[len - 1], before = len > 1 ? norm[len - 2] : ' ';
    if (last < 'a' || last > 'z' || last == 's' || len + 3 > MATCH_PATTERN_MAX)
        return 0;
    char buf[MATCH_PATTERN_MAX];
    memcpy(buf, norm, len);
    size_t n = len;
    if (last == 'x' || last == 'z' || (last == 'h' && (before == 'c' || before == 's'))) {
        buf[n++] = 'e';
        buf[n++] = 's';
    } else if (last == 'y' && !strchr("aeiou", before)) {
        buf[n - 1] = 'i';
        buf[n++] = 'e';
        buf[n++] = 's';
    } else {
        buf[n++] = 's';
    }
    buf[n] = '\0';
    for (size_t k = 0; k < node->n_terms; k++)
        if (strcmp(node->terms[k].norm, buf) == 0)
            return 0;
    return match_pattern_add(ac, buf, n, id, MATCH_WORD_BOUNDARY);
}

/* The settings the keyword evidence K depends on, as a model records them. */
static struct model_keywords keywords_of(const struct clf_params *p)
{
    struct model_keywords k = {.longest_match = p->longest_match != 0,
                               .plurals = p->plurals != 0,
                               .other_baseline = round(p->other_baseline * 1e6) / 1e6};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        k.field_weight[f] = round(p->field_weight[f] * 1e6) / 1e6;
    return k;
}

/* A calibration fitted for other keyword settings would weigh evidence it never saw (a
 * scale learned with nested terms counted twice, applied to single counts): refuse it,
 * naming the setting, rather than classify a little worse in silence. */
static int keywords_check(const struct model *model, const struct clf_params *p,
                          struct stdtax_error *err)
{
    struct model_keywords got, want = keywords_of(p);
    if (!model || !p->use_keywords || !model_keywords_get(model, &got))
        return 0;
    static const char *const hint = "train the model again (stdtax train) with these "
                                    "settings, or leave them at the model's";
    if (got.longest_match != want.longest_match)
        return stdtax_error_set(err, STDTAX_EVERSION,
                                "/calibration/keywords/longest_match",
                                "model calibrated with longest_match=%d, classifier uses "
                                "%d: %s",
                                got.longest_match, want.longest_match, hint);
    if (got.plurals != want.plurals)
        return stdtax_error_set(
            err, STDTAX_EVERSION, "/calibration/keywords/plurals",
            "model calibrated with plurals=%d, classifier uses %d: %s", got.plurals,
            want.plurals, hint);
    if (got.other_baseline != want.other_baseline)
        return stdtax_error_set(
            err, STDTAX_EVERSION, "/calibration/keywords/other_baseline",
            "model calibrated with other_baseline=%g, classifier uses "
            "%g: %s",
            got.other_baseline, want.other_baseline, hint);
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (got.field_weight[f] != want.field_weight[f])
            return stdtax_error_set(
                err, STDTAX_EVERSION, "/calibration/keywords/field_weights",
                "model calibrated with %s weight %g, classifier uses "
                "%g: %s",
                model_field_name(f), got.field_weight[f], want.field_weight[f], hint);
    return 0;
}

int clf_engine_new(const struct tax_taxonomy *tax, const struct model *model,
                   const struct clf_params *params, struct clf_engine **out,
                   struct stdtax_error *err)
{
    *out = NULL;
    struct clf_params p;
    if (params)
        p = *params;
    else
        clf_params_default(&p);
    /* Without explicit parameters (the daemon, stdtax classify) the model's calibration
     * decides how keywords are counted, so a model trained with `--set plurals=0` is
     * used as trained; explicit ones (an experiment) must agree with it. */
    struct model_keywords kw;
    if (!params && model && model_keywords_get(model, &kw)) {
        memcpy(p.field_weight, kw.field_weight, sizeof p.field_weight);
        p.longest_match = kw.longest_match;
        p.plurals = kw.plurals;
        p.other_baseline = kw.other_baseline;
    }
    int krc = keywords_check(model, &p, err);
    if (krc != 0)
        return krc;
    if (tax->n_nodes >
        TAX_NODES_MAX) /* the loader refuses such files; the run needs it */
        return stdtax_error_set(err, STDTAX_ETOOBIG, "", "more than %d nodes",
                                TAX_NODES_MAX);
    struct clf_engine *e = calloc(1, sizeof *e);
    if (!e)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    e->tax = tax;
    e->model = model;
    e->p = p;
    if (!model)
        e->p.use_model = 0;
    e->other = tax_node_find(tax, "other");
    e->prec = tax_node_find(tax, "industry");
    size_t n = 0;
    for (size_t i = 0; i < tax->n_nodes; i++)
        n += tax->nodes[i].n_terms;
    e->terms = calloc(n + 1, sizeof *e->terms);
    int rc = e->terms ? match_automaton_new(&e->ac) : STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && i < tax->n_nodes; i++) {
        const struct tax_node *node = &tax->nodes[i];
        for (size_t k = 0; rc == 0 && k < node->n_terms; k++) {
            const char *norm = node->terms[k].norm;
            size_t len = strlen(norm);
            /* "ai" must not match inside "maintain"; CJK terms need no boundary. */
            unsigned flags = ascii_alnum((unsigned char)norm[0]) ||
                                     ascii_alnum((unsigned char)norm[len - 1])
                                 ? MATCH_WORD_BOUNDARY
                                 : 0;
            rc = match_pattern_add(e->ac, norm, len, (uint32_t)e->n_terms, flags);
            if (rc == 0 && e->p.plurals)
                rc = add_plural(e->ac, node, norm, len, (uint32_t)e->n_terms);
            e->terms[e->n_terms++] = (struct term_ref){node, &node->terms[k]};
        }
    }
    if (rc == 0)
        rc = match_automaton_build(e->ac);
    if (rc == 0)
        rc = fragments_build(e);
    if (rc != 0) {
        clf_engine_free(e);
        return stdtax_error_set(err, rc, "", "cannot build the keyword automaton: %s",
                                stdtax_strerror(rc));
    }
    *out = e;
    return 0;
}

int clf_engine_load(const char *taxonomy_path, const char *model_path,
                    struct clf_engine **out, json_t *problems, struct stdtax_error *err)
{
    struct tax_taxonomy *tax = NULL;
    struct model *model = NULL;
    *out = NULL;
    int rc = tax_file_load(taxonomy_path, &tax, problems, err);
    if (rc != 0)
        return rc;
    if (model_path) {
        rc = model_file_load(model_path, tax, &model, err);
        if (rc != 0) {
            tax_taxonomy_free(tax);
            return rc;
        }
    }
    struct clf_engine *e;
    rc = clf_engine_new(tax, model, NULL, &e, err);
    if (rc != 0) {
        model_free(model);
        tax_taxonomy_free(tax);
        return rc;
    }
    e->own_tax = tax;
    e->own_model = model;
    *out = e;
    return 0;
}

int clf_input_from_json(const json_t *obj, struct clf_input *in, struct stdtax_error *err)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(obj))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "must be a JSON object");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const char *name = model_field_name(f);
        const json_t *v = json_object_get(obj, name);
        if (!v || json_is_null(v))
            continue;
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/%s", name);
        if (!json_is_string(v))
            return stdtax_error_set(err, STDTAX_EINVAL, ptr, "must be a string");
        in->field[f] = json_string_value(v);
        in->len[f] = json_string_length(v);
    }
    return 0;
}

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

static void run_init(struct run *r, const struct clf_engine *e, int want_offsets)
{
    r->e = e;
    r->want_offsets = want_offsets;
    memset(r->nt, 0, sizeof r->nt);
    memset(r->have, 0, sizeof r->have);
    memset(r->heap, 0, sizeof r->heap);
    r->arena_used = 0;
    r->field = 0;
    r->seen = r->seen_buf;
    r->n_seen = 0;
    r->cap_seen = RUN_HITS;
    r->n_hits = 0;
    r->found = r->found_buf;
    r->n_found = 0;
    r->cap_found = RUN_HITS;
    r->oom = 0;
    size_t nn = e->tax->n_nodes;
    r->K = r->v;
    r->T = r->K + nn;
    r->L = r->T + nn;
    r->S = r->L + nn;
    r->P = r->S + nn;
    r->N = r->P + nn;
    memset(r->v, 0, 3 * nn * sizeof *r->v); /* K, T, L */
    memset(r->N, 0, nn * sizeof *r->N);
    memset(r->sub_done, 0, nn);
}

/* Room for n more hits in *buf (capacity *cap, inline when it is inline). */
static int hits_reserve(struct hit **buf, size_t *cap, const struct hit *inline_buf,
                        size_t used, size_t n)
{
    if (used + n <= *cap)
        return 0;
    size_t want = *cap;
    while (want < used + n)
        want *= 2;
    struct hit *h;
    if (*buf == inline_buf) {
        h = malloc(want * sizeof *h);
        if (h)
            memcpy(h, *buf, used * sizeof *h);
    } else {
        h = realloc(*buf, want * sizeof *h);
    }
    if (!h)
        return STDTAX_ENOMEM;
    *buf = h;
    *cap = want;
    return 0;
}

#define HITS_PER_FIELD_MAX (1u << 18) /* a hostile text stops being scanned here */

static int on_hit(void *ctx, uint32_t id, size_t start, size_t end)
{
    struct run *r = ctx;
    if (r->n_found == r->cap_found) {
        if (r->cap_found >= HITS_PER_FIELD_MAX)
            return 1;
        if (hits_reserve(&r->found, &r->cap_found, r->found_buf, r->n_found, 1) != 0) {
            r->oom = 1;
            return 1;
        }
    }
    r->found[r->n_found++] = (struct hit){id, r->field, (uint32_t)start, (uint32_t)end};
    return 0;
}

static int hit_span_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->term < y->term ? -1 : x->term > y->term;
}

/* Longest match wins: an occurrence inside a longer one ("安全" inside "安全防范", "人脸"
 * inside "人脸识别") is not evidence of its own.  Sorted by start, then longest first,
 * a hit is inside a longer one exactly when the furthest end seen so far reaches its end
 * and that span is not the hit's own. */
static void hits_keep_longest(struct run *r)
{
    if (r->n_found > 1)
        qsort(r->found, r->n_found, sizeof *r->found, hit_span_cmp);
    size_t kept = 0, far_start = 0, far_end = 0;
    int any = 0;
    for (size_t i = 0; i < r->n_found; i++) {
        struct hit h = r->found[i];
        int inside =
            any && far_end >= h.end && !(far_start == h.start && far_end == h.end);
        if (!any || h.end > far_end) {
            far_start = h.start;
            far_end = h.end;
            any = 1;
        }
        if (!inside)
            r->found[kept++] = h;
    }
    r->n_found = kept;
    /* Back to text order for the evidence list. */
    for (size_t i = 1; i < kept; i++)
        for (size_t j = i; j > 0 && r->found[j - 1].start == r->found[j].start &&
                           r->found[j - 1].end > r->found[j].end;
             j--) {
            struct hit t = r->found[j];
            r->found[j] = r->found[j - 1];
            r->found[j - 1] = t;
        }
}

static void run_free(struct run *r)
{
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (r->heap[f])
            norm_text_free(&r->nt[f]);
    if (r->seen != r->seen_buf)
        free(r->seen);
    if (r->found != r->found_buf)
        free(r->found);
}

/* Normalises a validated field into the arena when it fits, else into the heap. */
static int run_normalise(struct run *r, int f, const char *in, size_t len)
{
    struct norm_text *nt = &r->nt[f];
    if (len + 1 <= RUN_ARENA - r->arena_used) {
        nt->bytes = r->arena + r->arena_used;
        nt->src_offset = r->want_offsets ? r->arena_offs + r->arena_used : NULL;
        nt->len = norm_text_fill(in, len, nt->bytes, nt->src_offset);
        r->arena_used += nt->len + 1;
        return 0;
    }
    nt->bytes = malloc(len + 1);
    nt->src_offset = r->want_offsets ? malloc((len + 1) * sizeof *nt->src_offset) : NULL;
    r->heap[f] = 1;
    if (!nt->bytes || (r->want_offsets && !nt->src_offset))
        return STDTAX_ENOMEM;
    nt->len = norm_text_fill(in, len, nt->bytes, nt->src_offset);
    return 0;
}

/* Validates and normalises every field. */
static int run_prepare(struct run *r, const struct clf_input *in,
                       struct stdtax_error *err)
{
    int any = 0;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        if (!in->field[f] || in->len[f] == 0)
            continue;
        char ptr[32];
        if (in->len[f] > field_max[f]) {
            snprintf(ptr, sizeof ptr, "/%s", model_field_name(f));
            return stdtax_error_set(err, STDTAX_ETOOBIG, ptr, "longer than %zu bytes",
                                    field_max[f]);
        }
        size_t bad;
        if (utf8_text_validate(in->field[f], in->len[f], &bad) != 0) {
            snprintf(ptr, sizeof ptr, "/%s", model_field_name(f));
            return stdtax_error_set(err, STDTAX_EUTF8, ptr,
                                    "invalid UTF-8 or NUL at byte %zu", bad);
        }
        if (run_normalise(r, f, in->field[f], in->len[f]) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        r->have[f] = 1;
        any |= r->nt[f].len > 0;
    }
    int have[MODEL_FIELD_COUNT];
    memcpy(have, r->have, sizeof have);
    model_fields_dedupe(r->nt, have);
    if (!have[MODEL_FIELD_TITLE_EN] && r->have[MODEL_FIELD_TITLE_EN])
        r->have[MODEL_FIELD_TITLE_EN] = 0; /* freed, if on the heap, by run_free */
    if (!any)
        return stdtax_error_set(err, STDTAX_EEMPTY, "",
                                "nothing to classify: every field is empty");
    return 0;
}

static int hit_term_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->term != y->term)
        return x->term < y->term ? -1 : 1;
    return x->field - y->field;
}

/* K per node: each distinct term once, with the weight of the best field it occurs in,
 * times the term's weight; summed in term order so the result never depends on where in
 * the text the terms were. */
static void keyword_sums(struct run *r)
{
    const struct clf_engine *e = r->e;
    if (r->n_seen > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(r->seen, r->n_seen, sizeof *r->seen, hit_term_cmp);
    for (size_t i = 0; i < r->n_seen;) {
        uint32_t term = r->seen[i].term;
        double fw = 0;
        int in_title = 0;
        for (; i < r->n_seen && r->seen[i].term == term; i++) {
            const struct hit *h = &r->seen[i];
            double w = e->p.field_weight[h->field];
            if (h->field == MODEL_FIELD_TITLE || h->field == MODEL_FIELD_TITLE_EN)
                in_title = 1;
            if (w > fw)
                fw = w;
        }
        const struct term_ref *t = &e->terms[term];
        r->K[t->node->index] += fw * t->term->weight;
        if (in_title && t->term->weight > r->T[t->node->index])
            r->T[t->node->index] = t->term->weight;
    }
}

/* K of a category: its own terms, every subcategory's, and for `other` the baseline. */
static double category_evidence(const struct run *r, const struct tax_node *c)
{
    double k = r->K[c->index];
    for (size_t s = 0; s < c->n_children; s++)
        k += r->K[c->children[s]->index];
    if (c == r->e->other)
        k += r->e->p.other_baseline;
    return k;
}

/* How little keyword evidence the text has, in (0, 1]: 1 with none.  Texts about AI in
 * general (use cases, guidance, quality models) name no node's terms; the calibration
 * learns which categories such texts go to. */
static double weak_evidence(const struct run *r)
{
    double total = 0;
    for (size_t i = 0; i < r->e->tax->n_roots; i++)
        if (r->e->tax->roots[i] != r->e->other)
            total += category_evidence(r, r->e->tax->roots[i]);
    return 1.0 / (1.0 + total);
}

/* The framework's convention: a standard for an application domain belongs to that
 * domain even when it names the technology it uses.  When the title carries a strong
 * term of the precedence category's subcategories, that category ranks above every
 * technology category (those that come before it in the file). */
static void apply_precedence(struct run *r)
{
    const struct clf_engine *e = r->e;
    const struct tax_node *c = e->prec;
    double strongest = r->T[c->index];
    for (size_t s = 0; s < c->n_children; s++)
        if (r->T[c->children[s]->index] > strongest)
            strongest = r->T[c->children[s]->index];
    if (strongest < e->p.precedence)
        return;
    double top = -HUGE_VAL;
    for (size_t i = 0; i < e->tax->n_roots && e->tax->roots[i] != c; i++)
        if (r->S[e->tax->roots[i]->index] > top)
            top = r->S[e->tax->roots[i]->index];
    if (r->S[c->index] < top + 1.0)
        r->S[c->index] = top + 1.0;
}

static void softmax(double *x, const size_t *idx, size_t n, double *out)
{
    double best = -HUGE_VAL, sum = 0;
    for (size_t i = 0; i < n; i++)
        if (x[idx[i]] > best)
            best = x[idx[i]];
    for (size_t i = 0; i < n; i++)
        sum += exp(x[idx[i]] - best);
    for (size_t i = 0; i < n; i++)
        out[idx[i]] = exp(x[idx[i]] - best) / sum;
}

/* P(s | c) for every subcategory s of c, once. */
static void subcategory_softmax(struct run *r, const struct tax_node *c)
{
    if (r->sub_done[c->index] || c->n_children == 0)
        return;
    const struct clf_engine *e = r->e;
    for (size_t s = 0; s < c->n_children; s++) {
        const struct tax_node *sub = c->children[s];
        r->S[sub->index] = e->p.keyword_weight * r->K[sub->index] +
                           e->p.sub_model_weight * r->L[sub->index] +
                           e->p.knn_sub_weight * r->N[sub->index];
        r->idx[s] = sub->index;
    }
    softmax(r->S, r->idx, c->n_children, r->P);
    r->sub_done[c->index] = 1;
}

/* The whole scoring: fills K, L, S, P and the decision. */
static int run_score(struct run *r, const struct clf_input *in, struct clf_decision *d,
                     struct stdtax_error *err)
{
    const struct clf_engine *e = r->e;
    const struct tax_taxonomy *tax = e->tax;
    const struct clf_params *p = &e->p;
    int rc = run_prepare(r, in, err);
    if (rc != 0)
        return rc;
    size_t nn = tax->n_nodes;
    size_t *idx = r->idx;

    if (p->use_keywords) {
        for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
            if (!r->have[f])
                continue;
            r->field = (uint32_t)f;
            r->n_found = 0;
            match_text_scan(e->ac, r->nt[f].bytes, r->nt[f].len, on_hit, r);
            if (r->oom)
                return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
            if (p->longest_match)
                hits_keep_longest(r);
            if (hits_reserve(&r->seen, &r->cap_seen, r->seen_buf, r->n_seen,
                             r->n_found) != 0)
                return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
            for (size_t i = 0; i < r->n_found; i++) {
                r->seen[r->n_seen++] = r->found[i];
                if (r->n_hits < CLF_EVIDENCE_MAX)
                    r->hits[r->n_hits++] = r->found[i];
            }
        }
        keyword_sums(r);
    }
    if (p->use_model) {
        const struct norm_text *fields[MODEL_FIELD_COUNT];
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            fields[f] = r->have[f] ? &r->nt[f] : NULL;
        double n_feat = 0;
        /* Unnormalised: each level is off by one constant, which neither the softmax
         * over the categories nor the one within a category sees. */
        if (p->knn_k > 0 && (p->knn_weight != 0 || p->knn_sub_weight != 0) &&
            model_has_neighbours(e->model)) {
            if (model_text_score_nn(e->model, fields, r->L, &n_feat, p->knn_k, r->N) != 0)
                return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        } else {
            model_text_score_raw(e->model, fields, r->L, &n_feat);
        }
        /* Naive Bayes counts every overlapping n-gram as independent evidence, so its
         * log-odds grow with the text's length and are far too sure of themselves;
         * per n-gram they are comparable across texts and with keyword evidence. */
        double per = n_feat > 1 ? 1.0 / n_feat : 1.0;
        for (size_t i = 0; i < nn; i++)
            r->L[i] *= per;
        /* A class without training data is as unlikely as the least likely one with. */
        double floor_[2] = {0, 0};
        for (size_t i = 0; i < nn; i++) {
            int lv = tax->nodes[i].depth;
            if (isfinite(r->L[i]) && r->L[i] < floor_[lv])
                floor_[lv] = r->L[i];
        }
        for (size_t i = 0; i < nn; i++)
            if (!isfinite(r->L[i]))
                r->L[i] = floor_[tax->nodes[i].depth];
    }

    /* Categories: own evidence plus the evidence of every subcategory, calibrated. */
    double weak = p->use_keywords ? weak_evidence(r) : 0;
    for (size_t i = 0; i < tax->n_roots; i++) {
        const struct tax_node *c = tax->roots[i];
        struct model_cal cal = {1, 0, 0};
        if (e->model)
            model_calibration_get(e->model, c->index, &cal);
        double k = 0;
        if (p->use_keywords)
            k = cal.scale * category_evidence(r, c) + cal.bias + cal.weak * weak;
        r->S[c->index] = p->keyword_weight * k + p->model_weight * r->L[c->index] +
                         p->knn_weight * r->N[c->index];
        idx[i] = c->index;
    }
    if (p->precedence > 0 && e->prec && p->use_keywords)
        apply_precedence(r);
    softmax(r->S, idx, tax->n_roots, r->P);
    const struct tax_node *best = tax->roots[0];
    for (size_t i = 1; i < tax->n_roots; i++)
        if (r->P[tax->roots[i]->index] > r->P[best->index])
            best = tax->roots[i];
    /* Subcategories, within their parent: the chosen one now, others only when the
     * alternatives need them (alternatives_top). */
    subcategory_softmax(r, best);
    d->confidence = r->P[best->index];
    double min_conf = p->min_confidence;
    if (e->model && p->use_model && model_other_threshold(e->model) > min_conf)
        min_conf = model_other_threshold(e->model);
    if (e->other && best != e->other && d->confidence < min_conf) {
        best = e->other;
        d->confidence = 1.0 - d->confidence;
    }
    d->category = best;
    d->subcategory = NULL;
    int sub_signal = p->use_model;
    for (size_t s = 0; !sub_signal && s < best->n_children; s++)
        sub_signal = r->K[best->children[s]->index] > 0;
    if (sub_signal) {
        const struct tax_node *bs = NULL;
        for (size_t s = 0; s < best->n_children; s++)
            if (!bs || r->P[best->children[s]->index] > r->P[bs->index])
                bs = best->children[s];
        d->subcategory = bs;
    }
    return 0;
}

int clf_text_decide(const struct clf_engine *e, const struct clf_input *in,
                    struct clf_decision *out, struct stdtax_error *err)
{
    struct run r;
    run_init(&r, e, 0);
    int rc = run_score(&r, in, out, err);
    run_free(&r);
    return rc;
}

/* ---- the JSON result ------------------------------------------------------------- */

static json_t *node_ref(const struct tax_node *n)
{
    return json_pack("{s:s, s:s, s:s}", "code", n->code, "zh", n->zh, "en", n->en);
}

struct alt {
    const struct tax_node *node;
    double score;
};

/* Score descending, then file order: a total order, so the top k are well defined. */
static int alt_before(const struct alt *x, const struct alt *y)
{
    if (x->score != y->score)
        return x->score > y->score;
    return x->node->index < y->node->index;
}

/* The leaves of the tree other than the answer, ranked by P(category) * P(subcategory |
 * category): the best CLF_ALTERNATIVES_MAX into top (insertion, no sort of all).
 * Categories are visited from the likeliest, and one whose P is below the last of a full
 * top cannot place a subcategory (P(s | c) <= 1), so its subcategory softmax is never
 * computed.  The order is total, so the visiting order does not change the answer.
 * Returns how many. */
static size_t alternatives_top(struct run *r, const struct clf_decision *d,
                               struct alt *top)
{
    const struct tax_taxonomy *tax = r->e->tax;
    const struct tax_node *order[TAX_NODES_MAX];
    for (size_t i = 0; i < tax->n_roots; i++) {
        size_t j = i;
        for (; j > 0 && r->P[order[j - 1]->index] < r->P[tax->roots[i]->index]; j--)
            order[j] = order[j - 1];
        order[j] = tax->roots[i];
    }
    size_t n = 0;
    for (size_t i = 0; i < tax->n_roots; i++) {
        const struct tax_node *c = order[i];
        double pc = r->P[c->index];
        if (c->n_children > 0) {
            if (n == CLF_ALTERNATIVES_MAX && pc < top[n - 1].score)
                continue;
            subcategory_softmax(r, c);
        }
        for (size_t s = 0; s <= c->n_children; s++) {
            struct alt a;
            if (s == c->n_children) {
                if (c->n_children != 0 || c == d->category)
                    continue;
                a = (struct alt){c, pc};
            } else {
                if (c->children[s] == d->subcategory)
                    continue;
                a = (struct alt){c->children[s], pc * r->P[c->children[s]->index]};
            }
            if (n == CLF_ALTERNATIVES_MAX && !alt_before(&a, &top[n - 1]))
                continue;
            size_t j = n < CLF_ALTERNATIVES_MAX ? n++ : n - 1;
            for (; j > 0 && alt_before(&a, &top[j - 1]); j--)
                top[j] = top[j - 1];
            top[j] = a;
        }
    }
    return n;
}

/* Byte offset and length of an evidence hit in the caller's field. */
static void hit_span(const struct run *r, const struct clf_input *in, const struct hit *h,
                     size_t *from, size_t *len)
{
    const struct norm_text *nt = &r->nt[h->field];
    size_t last = nt->src_offset[h->end - 1];
    uint32_t cp;
    size_t clen =
        utf8_char_decode(in->field[h->field] + last, in->len[h->field] - last, &cp);
    *from = nt->src_offset[h->start];
    *len = last + (clen ? clen : 1) - *from;
}

#define TOPICS_MAX 64

/* The priority topics of the chosen category and subcategory, once each, in file
 * order.  Returns how many. */
static size_t topics_of(const struct clf_decision *d, const struct tax_topic **seen)
{
    const struct tax_node *nodes[2] = {d->category, d->subcategory};
    size_t n_seen = 0;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; nodes[k] && i < nodes[k]->n_topics; i++) {
            const struct tax_topic *t = nodes[k]->topics[i];
            int dup = 0;
            for (size_t j = 0; j < n_seen; j++)
                dup |= seen[j] == t;
            if (dup || n_seen == TOPICS_MAX)
                continue;
            seen[n_seen++] = t;
        }
    }
    for (size_t i = 1; i < n_seen; i++)
        for (size_t j = i; j > 0 && seen[j - 1]->index > seen[j]->index; j--) {
            const struct tax_topic *tmp = seen[j];
            seen[j] = seen[j - 1];
            seen[j - 1] = tmp;
        }
    return n_seen;
}

static json_t *alternatives_json(struct run *r, const struct clf_decision *d)
{
    struct alt top[CLF_ALTERNATIVES_MAX];
    size_t n = alternatives_top(r, d, top);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = node_ref(top[i].node);
        json_object_set_new(o, "score", json_real(round4(top[i].score)));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *evidence_json(const struct run *r, const struct clf_input *in)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->n_hits; i++) {
        const struct hit *h = &r->hits[i];
        const struct term_ref *t = &r->e->terms[h->term];
        size_t from, len;
        hit_span(r, in, h, &from, &len);
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "term", t->term->term, "field",
                      model_field_name(h->field), "node", t->node->code, "offset",
                      (json_int_t)from, "length", (json_int_t)len, "weight",
                      round4(t->term->weight * r->e->p.field_weight[h->field])));
    }
    return arr;
}

static json_t *topics_json(const struct clf_decision *d)
{
    const struct tax_topic *seen[TOPICS_MAX];
    size_t n = topics_of(d, seen);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "code", seen[i]->code,
                                             "zh", seen[i]->zh, "en", seen[i]->en));
    return arr;
}

int clf_text_classify(const struct clf_engine *e, const struct clf_input *in,
                      json_t **result, struct stdtax_error *err)
{
    struct run r;
    struct clf_decision d;
    *result = NULL;
    run_init(&r, e, 1);
    int rc = run_score(&r, in, &d, err);
    if (rc != 0) {
        run_free(&r);
        return rc;
    }
    json_t *o = json_pack(
        "{s:o, s:o, s:f, s:o, s:o, s:o, s:s, s:o}", "category", node_ref(d.category),
        "subcategory", d.subcategory ? node_ref(d.subcategory) : json_null(),
        "confidence", round4(d.confidence), "alternatives", alternatives_json(&r, &d),
        "evidence", evidence_json(&r, in), "priority_topics", topics_json(&d),
        "taxonomy_version", e->tax->version, "model_version",
        e->model && e->p.use_model ? json_string(model_version(e->model)) : json_null());
    run_free(&r);
    if (!o)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    *result = o;
    return 0;
}

int clf_text_classify_write(const struct clf_engine *e, const struct clf_input *in,
                            struct clf_buf *out, struct stdtax_error *err)
{
    struct run r;
    struct clf_decision d;
    run_init(&r, e, 1);
    int rc = run_score(&r, in, &d, err);
    if (rc != 0) {
        run_free(&r);
        return rc;
    }
    size_t mark = out->len;
    rc = BUF_LIT(out, "{\"category\":");
    rc = rc ? rc : buf_frag(out, &e->node_frag[d.category->index]);
    rc = rc ? rc : BUF_LIT(out, "},\"subcategory\":");
    if (d.subcategory) {
        rc = rc ? rc : buf_frag(out, &e->node_frag[d.subcategory->index]);
        rc = rc ? rc : BUF_LIT(out, "}");
    } else {
        rc = rc ? rc : BUF_LIT(out, "null");
    }
    rc = rc ? rc : BUF_LIT(out, ",\"confidence\":");
    rc = rc ? rc : buf_real4(out, d.confidence);
    rc = rc ? rc : BUF_LIT(out, ",\"alternatives\":[");
    struct alt top[CLF_ALTERNATIVES_MAX];
    size_t n = alternatives_top(&r, &d, top);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = (i ? BUF_LIT(out, ",") : 0);
        rc = rc ? rc : buf_frag(out, &e->node_frag[top[i].node->index]);
        rc = rc ? rc : BUF_LIT(out, ",\"score\":");
        rc = rc ? rc : buf_real4(out, top[i].score);
        rc = rc ? rc : BUF_LIT(out, "}");
    }
    rc = rc ? rc : BUF_LIT(out, "],\"evidence\":[");
    for (size_t i = 0; rc == 0 && i < r.n_hits; i++) {
        const struct hit *h = &r.hits[i];
        const struct term_ref *t = &e->terms[h->term];
        size_t from, len;
        hit_span(&r, in, h, &from, &len);
        rc = (i ? BUF_LIT(out, ",{\"term\":") : BUF_LIT(out, "{\"term\":"));
        rc = rc ? rc : buf_frag(out, &e->term_frag[h->term]);
        rc = rc ? rc : BUF_LIT(out, ",\"field\":\"");
        rc = rc ? rc : buf_str(out, model_field_name(h->field));
        rc = rc ? rc : BUF_LIT(out, "\",\"node\":");
        rc = rc ? rc : buf_frag(out, &e->node_code[t->node->index]);
        rc = rc ? rc : BUF_LIT(out, ",\"offset\":");
        rc = rc ? rc : buf_size(out, from);
        rc = rc ? rc : BUF_LIT(out, ",\"length\":");
        rc = rc ? rc : buf_size(out, len);
        rc = rc ? rc : BUF_LIT(out, ",\"weight\":");
        rc = rc ? rc : buf_real4(out, t->term->weight * e->p.field_weight[h->field]);
        rc = rc ? rc : BUF_LIT(out, "}");
    }
    rc = rc ? rc : BUF_LIT(out, "],\"priority_topics\":[");
    const struct tax_topic *topics[TOPICS_MAX];
    n = topics_of(&d, topics);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = (i ? BUF_LIT(out, ",") : 0);
        rc = rc ? rc : buf_frag(out, &e->topic_frag[topics[i]->index]);
    }
    rc = rc ? rc : buf_frag(out, &e->versions);
    run_free(&r);
    if (rc != 0) {
        out->len = mark;
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    return 0;
}

/* ---- training the calibration --------------------------------------------------------
 */

#define CAL_ITERATIONS 2000
#define CAL_STEP 0.2

/* What the calibration learns from, per training example i and category c: the keyword
 * evidence k[i*nc+c] and the weakness of the keyword evidence w[i]. */
struct cal_data {
    double *k, *w;
    size_t *y;
    size_t n, nc;
};

/* Minimises mean(-log softmax(S_i)[y_i]) with S_ic = scale_c k_ic + bias_c + weak_c w_i,
 * plus ridge penalties pulling scale to 1 and bias and weak to 0, by fixed gradient
 * steps from the identity, so training is deterministic.  Without cal_weak, weak stays
 * 0. */
static void calibration_fit(const struct cal_data *d, const struct model_config *cfg,
                            struct model_cal *cal)
{
    size_t nc = d->nc;
    double *g = calloc(4 * nc, sizeof *g);
    if (!g)
        return; /* the identity calibration stays */
    double *gs = g, *gb = g + nc, *gw = g + 2 * nc, *s = g + 3 * nc;
    for (int it = 0; it < CAL_ITERATIONS; it++) {
        memset(g, 0, 3 * nc * sizeof *g);
        for (size_t i = 0; i < d->n; i++) {
            const double *ki = d->k + i * nc;
            double best = -HUGE_VAL, sum = 0;
            for (size_t c = 0; c < nc; c++) {
                s[c] = cal[c].scale * ki[c] + cal[c].bias + cal[c].weak * d->w[i];
                if (s[c] > best)
                    best = s[c];
            }
            for (size_t c = 0; c < nc; c++)
                sum += (s[c] = exp(s[c] - best));
            for (size_t c = 0; c < nc; c++) {
                double dl = s[c] / sum - (c == d->y[i] ? 1.0 : 0.0);
                gs[c] += dl * ki[c];
                gb[c] += dl;
                gw[c] += dl * d->w[i];
            }
        }
        double n = (double)d->n;
        for (size_t c = 0; c < nc; c++) {
            cal[c].scale -=
                CAL_STEP * (gs[c] / n + cfg->cal_l2_scale * (cal[c].scale - 1));
            cal[c].bias -= CAL_STEP * (gb[c] / n + cfg->cal_l2_bias * cal[c].bias);
            if (cfg->cal_weak)
                cal[c].weak -= CAL_STEP * (gw[c] / n + cfg->cal_l2_weak * cal[c].weak);
        }
    }
    free(g);
}

/* Thresholds tried for `other`: round values; the data inside training choose one. */
static const double other_thresholds[] = {0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4};

/* When to answer `other`: K-fold cross-validation inside the training examples (example
 * i in fold i mod K), each fold's model trained like the final one but without this
 * step; the threshold among other_thresholds under which answering `other` instead of
 * the best category gives the most right answers on the held-out examples (ties: the
 * lower one).  Only the examples at hand decide it, so an outer cross-validation that
 * trains on its own folds measures it honestly. */
static int other_threshold_learn(const struct tax_taxonomy *tax,
                                 const struct model_example *ex, size_t n,
                                 const struct model_config *cfg,
                                 const struct clf_params *params, struct model *m,
                                 struct stdtax_error *err)
{
    const struct tax_node *other = tax_node_find(tax, "other");
    if (!other)
        return 0;
    struct model_config icfg = *cfg;
    icfg.other_cv = 0;
    struct clf_params ip;
    if (params)
        ip = *params;
    else
        clf_params_default(&ip);
    ip.min_confidence = 0;
    ip.use_keywords = ip.use_model = 1;
    size_t k = cfg->other_cv, nt_ = sizeof other_thresholds / sizeof other_thresholds[0];
    struct model_example *train = calloc(n + 1, sizeof *train);
    size_t right[sizeof other_thresholds / sizeof other_thresholds[0]] = {0};
    int rc = train ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t f = 0; rc == 0 && f < k; f++) {
        size_t nt = 0;
        for (size_t i = 0; i < n; i++)
            if (i % k != f)
                train[nt++] = ex[i];
        struct model *im = NULL;
        struct clf_engine *e = NULL;
        rc = clf_model_train(tax, train, nt, &icfg, &ip, NULL, NULL, &im, err);
        if (rc == 0)
            rc = clf_engine_new(tax, im, &ip, &e, err);
        for (size_t i = f; rc == 0 && i < n; i += k) {
            if (ex[i].reference)
                continue; /* the threshold answers for this framework's labels */
            struct clf_input in = {{NULL}, {0}};
            for (int fl = 0; fl < MODEL_FIELD_COUNT; fl++) {
                in.field[fl] = ex[i].field[fl];
                in.len[fl] = ex[i].field[fl] ? strlen(ex[i].field[fl]) : 0;
            }
            struct clf_decision d;
            rc = clf_text_decide(e, &in, &d, err);
            for (size_t t = 0; rc == 0 && t < nt_; t++) {
                const struct tax_node *ans =
                    d.category != other && d.confidence < other_thresholds[t]
                        ? other
                        : d.category;
                right[t] += ans == ex[i].category;
            }
        }
        clf_engine_free(e);
        model_free(im);
    }
    free(train);
    if (rc != 0)
        return rc;
    size_t best = 0;
    for (size_t t = 1; t < nt_; t++)
        if (right[t] > right[best])
            best = t;
    if (model_other_threshold_set(m, other_thresholds[best]) != 0)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* The keyword evidence of every example, from an engine without a model. */
static int cal_features(const struct tax_taxonomy *tax, const struct clf_params *params,
                        const struct model_example *ex, struct cal_data *d,
                        struct stdtax_error *err)
{
    struct clf_params kp = *params;
    kp.use_keywords = 1;
    kp.use_model = 0;
    struct clf_engine *e = NULL;
    int rc = clf_engine_new(tax, NULL, &kp, &e, err);
    size_t nc = tax->n_roots;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        struct clf_input in = {{NULL}, {0}};
        for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
            in.field[f] = ex[i].field[f];
            in.len[f] = ex[i].field[f] ? strlen(ex[i].field[f]) : 0;
        }
        struct run r;
        struct clf_decision dec;
        run_init(&r, e, 0);
        rc = run_score(&r, &in, &dec, err);
        for (size_t c = 0; rc == 0 && c < nc; c++) {
            d->k[i * nc + c] = category_evidence(&r, tax->roots[c]);
            if (tax->roots[c] == ex[i].category)
                d->y[i] = c;
        }
        if (rc == 0)
            d->w[i] = weak_evidence(&r);
        run_free(&r);
        if (rc != 0 && err)
            snprintf(err->field, sizeof err->field, "example %zu", i + 1);
    }
    clf_engine_free(e);
    return rc;
}

int clf_model_train(const struct tax_taxonomy *tax, const struct model_example *ex,
                    size_t n, const struct model_config *cfg,
                    const struct clf_params *params, const char *source_name,
                    const char *source_sha256, struct model **out,
                    struct stdtax_error *err)
{
    struct model *m = NULL;
    int rc = model_train(tax, ex, n, cfg, source_name, source_sha256, &m, err);
    if (rc != 0)
        return rc;
    struct clf_params kp;
    if (params)
        kp = *params;
    else
        clf_params_default(&kp);
    size_t nc = tax->n_roots, nn = tax->n_nodes;
    /* The calibration learns where this framework files what (an industry's face
     * recognition is industry, generic AI standards are general technology); reference
     * examples were labelled elsewhere and only teach the model its n-grams. */
    struct model_example *own = calloc(n + 1, sizeof *own);
    size_t n_own = 0;
    for (size_t i = 0; own && i < n; i++)
        if (!ex[i].reference)
            own[n_own++] = ex[i];
    struct cal_data d = {.n = n_own, .nc = nc};
    d.k = calloc(n_own * nc + 1, sizeof *d.k);
    d.w = calloc(n_own + 1, sizeof *d.w);
    d.y = calloc(n_own + 1, sizeof *d.y);
    struct model_cal *cal = calloc(nn + 1, sizeof *cal), *cc = calloc(nc + 1, sizeof *cc);
    if (!own || !d.k || !d.w || !d.y || !cal || !cc)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        rc = cal_features(tax, &kp, own, &d, err);
    if (rc == 0) {
        for (size_t c = 0; c < nc; c++)
            cc[c] = (struct model_cal){.scale = 1, .bias = 0, .weak = 0};
        if (n_own > 0) /* with reference examples alone there is nothing to learn */
            calibration_fit(&d, cfg, cc);
        for (size_t c = 0; c < nc; c++)
            cal[tax->roots[c]->index] = cc[c];
        if (model_calibration_set(m, cal) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        struct model_keywords kw = keywords_of(&kp);
        if (rc == 0 && model_keywords_set(m, &kw) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    free(d.k);
    free(d.w);
    free(d.y);
    free(cal);
    free(cc);
    free(own);
    if (rc == 0 && cfg->other_cv >= 2 && n >= 2 * (size_t)cfg->other_cv)
        rc = other_threshold_learn(tax, ex, n, cfg, params, m, err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
