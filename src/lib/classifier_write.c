/* The result of a classification written as JSON text without building the JSON value
 * (the daemon's POST /v1/classify, batch classification): clf_text_classify_write.
 * The taxonomy's strings are escaped once, when the engine is made. */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"
#include "stdtax/jsonw.h"

/* A copy of the one value w holds (new, NUL-terminated), or {NULL, 0}; w is emptied for
 * the next. */
static struct frag frag_take(struct jsonw *w)
{
    struct frag f = {NULL, 0};
    if (jsonw_error(w) == 0 && (f.s = malloc(w->len + 1)) != NULL) {
        memcpy(f.s, w->data, w->len);
        f.s[w->len] = '\0';
        f.n = w->len;
    }
    jsonw_clear(w);
    return f;
}

/* {"code":..,"zh":..,"en":..}: a node. */
static struct frag label_fragment(struct jsonw *w, const char *code, const char *zh,
                                  const char *en)
{
    jsonw_object_begin(w);
    JSONW_KEY(w, "code");
    jsonw_string(w, code);
    JSONW_KEY(w, "zh");
    jsonw_string(w, zh);
    JSONW_KEY(w, "en");
    jsonw_string(w, en);
    jsonw_object_end(w);
    return frag_take(w);
}

static struct frag string_fragment(struct jsonw *w, const char *s)
{
    jsonw_string(w, s);
    return frag_take(w);
}

int fragments_build(struct clf_engine *e)
{
    const struct tax_taxonomy *tax = e->tax;
    e->node_frag = calloc(tax->n_nodes + 1, sizeof *e->node_frag);
    e->node_code = calloc(tax->n_nodes + 1, sizeof *e->node_code);
    e->term_frag = calloc(e->n_terms + 1, sizeof *e->term_frag);
    if (!e->node_frag || !e->node_code || !e->term_frag)
        return STDTAX_ENOMEM;
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    int ok = 1;
    for (size_t i = 0; ok && i < tax->n_nodes; i++) {
        const struct tax_node *n = &tax->nodes[i];
        e->node_frag[i] = label_fragment(&w, n->code, n->zh, n->en);
        e->node_code[i] = string_fragment(&w, n->code);
        ok = e->node_frag[i].s && e->node_code[i].s;
    }
    for (size_t i = 0; ok && i < e->n_terms; i++)
        ok = (e->term_frag[i] = string_fragment(&w, e->terms[i].term->term)).s != NULL;
    for (int f = 0; ok && f < MODEL_FIELD_COUNT; f++)
        ok = (e->field_name[f] = string_fragment(&w, model_field_name(f))).s != NULL;
    jsonw_free(&w);
    return ok ? 0 : STDTAX_ENOMEM;
}

static void raw(struct jsonw *w, const struct frag *f)
{
    jsonw_raw(w, f->s, f->n);
}

static void alternatives_write(struct jsonw *w, struct run *r,
                               const struct clf_decision *d)
{
    struct alt top[CLF_ALTERNATIVES_MAX];
    size_t n = alternatives_top(r, d, top);
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct frag *f = &r->e->node_frag[top[i].node->index];
        jsonw_object_extend(w, f->s, f->n);
        JSONW_KEY(w, "score");
        jsonw_real(w, round4(top[i].score));
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

static void evidence_write(struct jsonw *w, const struct run *r,
                           const struct clf_input *in)
{
    const struct clf_engine *e = r->e;
    jsonw_array_begin(w);
    for (size_t i = 0; i < r->n_hits; i++) {
        const struct hit *h = &r->hits[i];
        const struct term_ref *t = &e->terms[h->term];
        size_t from, len;
        hit_span(r, in, h, &from, &len);
        jsonw_object_begin(w);
        JSONW_KEY(w, "term");
        raw(w, &e->term_frag[h->term]);
        JSONW_KEY(w, "field");
        raw(w, &e->field_name[h->field]);
        JSONW_KEY(w, "node");
        raw(w, &e->node_code[t->node->index]);
        JSONW_KEY(w, "offset");
        jsonw_int(w, (int64_t)from);
        JSONW_KEY(w, "length");
        jsonw_int(w, (int64_t)len);
        JSONW_KEY(w, "weight");
        jsonw_real(w, round4(t->term->weight * e->p.field_weight[h->field]));
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

static void topics_write(struct jsonw *w, const struct run *r,
                         const struct clf_decision *d)
{
    const struct clf_engine *e = r->e;
    struct topic_found found[TOPICS_MAX];
    size_t n = topics_found(r, d->category, d->subcategory, found);
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct tax_topic *t = found[i].topic;
        jsonw_object_begin(w);
        JSONW_KEY(w, "code");
        jsonw_string(w, t->code);
        JSONW_KEY(w, "zh");
        jsonw_string(w, t->zh);
        JSONW_KEY(w, "en");
        jsonw_string(w, t->en);
        JSONW_KEY(w, "evidence");
        jsonw_array_begin(w);
        for (size_t k = 0; k < found[i].n; k++) {
            jsonw_object_begin(w);
            JSONW_KEY(w, "term");
            jsonw_string(w, e->topic_terms[found[i].term[k]].term->term);
            JSONW_KEY(w, "field");
            raw(w, &e->field_name[found[i].field[k]]);
            jsonw_object_end(w);
        }
        jsonw_array_end(w);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

int clf_text_classify_write(const struct clf_engine *e, const struct clf_input *in,
                            struct jsonw *w, struct stdtax_error *err)
{
    struct run r;
    struct clf_decision d;
    int rc = run_decide(&r, e, 1, in, &d, err);
    if (rc != 0)
        return rc;
    jsonw_object_begin(w);
    JSONW_KEY(w, "category");
    raw(w, &e->node_frag[d.category->index]);
    JSONW_KEY(w, "subcategory");
    if (d.subcategory)
        raw(w, &e->node_frag[d.subcategory->index]);
    else
        jsonw_null(w);
    JSONW_KEY(w, "confidence");
    jsonw_real(w, round4(d.confidence));
    JSONW_KEY(w, "needs_review");
    jsonw_bool(w, d.needs_review != 0);
    JSONW_KEY(w, "alternatives");
    alternatives_write(w, &r, &d);
    JSONW_KEY(w, "evidence");
    evidence_write(w, &r, in);
    JSONW_KEY(w, "priority_topics");
    topics_write(w, &r, &d);
    JSONW_KEY(w, "taxonomy_version");
    jsonw_string(w, e->tax->version);
    JSONW_KEY(w, "model_version");
    if (e->model && e->p.use_model)
        jsonw_string(w, model_version(e->model));
    else
        jsonw_null(w);
    run_free(&r);
    if ((rc = jsonw_error(w)) != 0)
        return stdtax_error_set(err, rc, "", "the result cannot be written: %s",
                                stdtax_strerror(rc));
    return 0;
}

void fragments_free(struct clf_engine *e)
{
    for (size_t i = 0; e->node_frag && i < e->tax->n_nodes; i++) {
        free(e->node_frag[i].s);
        free(e->node_code[i].s);
    }
    for (size_t i = 0; e->term_frag && i < e->n_terms; i++)
        free(e->term_frag[i].s);
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        free(e->field_name[f].s);
    free(e->node_frag);
    free(e->node_code);
    free(e->term_frag);
}
