/* The result of a classification as a JSON value (shape in doc/classifier.md). */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"
#include "stdtax/utf8.h"

static json_t *node_ref(const struct tax_node *n)
{
    return json_pack("{s:s, s:s, s:s}", "code", n->code, "zh", n->zh, "en", n->en);
}

/* Byte offset and length of an evidence hit in the caller's field. */
void hit_span(const struct run *r, const struct clf_input *in, const struct hit *h,
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

int clf_text_classify(const struct clf_engine *e, const struct clf_input *in,
                      json_t **result, struct stdtax_error *err)
{
    struct run r;
    struct clf_decision d;
    struct topic_found topics[TOPICS_MAX];
    *result = NULL;
    int rc = run_decide(&r, e, 1, in, &d, err);
    if (rc != 0)
        return rc;
    json_t *o = json_pack(
        "{s:o, s:o, s:f, s:b, s:o, s:o, s:o, s:s, s:o}", "category", node_ref(d.category),
        "subcategory", d.subcategory ? node_ref(d.subcategory) : json_null(),
        "confidence", round4(d.confidence), "needs_review", d.needs_review != 0,
        "alternatives", alternatives_json(&r, &d), "evidence", evidence_json(&r, in),
        "priority_topics",
        topics_json(e, topics, topics_found(&r, d.category, d.subcategory, topics)),
        "taxonomy_version", e->tax->version, "model_version",
        e->model && e->p.use_model ? json_string(model_version(e->model)) : json_null());
    run_free(&r);
    if (!o)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    *result = o;
    return 0;
}
