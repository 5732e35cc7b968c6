/* Priority topics by their own evidence.  A topic (立项重点) is narrower than the nodes
 * it belongs to: 通用人工智能赋能工业制造业 is not every manufacturing standard, and
 * 生成式人工智能安全 not every data security one.  A text counts under a topic only when
 * it is put in one of the topic's nodes (its category or subcategory) and carries one
 * of the topic's own terms (taxonomy-format.md), and the result names the terms. */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"

int topic_automaton_build(struct clf_engine *e, struct stdtax_error *err)
{
    const struct tax_taxonomy *tax = e->tax;
    size_t n = 0;
    for (size_t i = 0; i < tax->n_topics; i++)
        n += tax->topics[i].n_terms;
    e->topic_terms = calloc(n + 1, sizeof *e->topic_terms);
    int rc = e->topic_terms ? match_automaton_new(&e->topic_ac) : STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        for (size_t k = 0; rc == 0 && k < t->n_terms; k++) {
            rc = term_pattern_add(e->topic_ac, t->terms, t->n_terms, k,
                                  (uint32_t)e->n_topic_terms, e->p.plurals);
            e->topic_terms[e->n_topic_terms++] = (struct topic_term){t, &t->terms[k]};
        }
    }
    if (rc == 0)
        rc = match_automaton_build(e->topic_ac);
    if (rc != 0)
        return stdtax_error_set(err, rc, "", "cannot build the topic automaton: %s",
                                stdtax_strerror(rc));
    return 0;
}

/* The topics a decision's nodes belong to, once each, in file order: the candidates. */
static size_t topic_candidates(const struct tax_node *category,
                               const struct tax_node *subcategory,
                               struct topic_found *found)
{
    const struct tax_node *nodes[2] = {category, subcategory};
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; nodes[k] && i < nodes[k]->n_topics; i++) {
            const struct tax_topic *t = nodes[k]->topics[i];
            size_t j = 0;
            while (j < n && found[j].topic != t)
                j++;
            if (j == n && n < TOPICS_MAX)
                found[n++] = (struct topic_found){.topic = t};
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && found[j - 1].topic->index > found[j].topic->index;
             j--) {
            struct topic_found tmp = found[j];
            found[j] = found[j - 1];
            found[j - 1] = tmp;
        }
    return n;
}

struct topic_scan {
    const struct clf_engine *e;
    struct topic_found *found;
    size_t n;
    uint32_t field;
};

/* Each distinct term once (its first occurrence), at most TOPIC_EVIDENCE_MAX. */
static int on_topic_hit(void *ctx, uint32_t id, size_t start, size_t end)
{
    (void)start;
    (void)end;
    struct topic_scan *s = ctx;
    const struct topic_term *tt = &s->e->topic_terms[id];
    for (size_t i = 0; i < s->n; i++) {
        struct topic_found *f = &s->found[i];
        if (f->topic != tt->topic)
            continue;
        size_t j = 0;
        while (j < f->n && s->e->topic_terms[f->term[j]].term != tt->term)
            j++;
        if (j == f->n && f->n < TOPIC_EVIDENCE_MAX) {
            f->term[f->n] = id;
            f->field[f->n++] = s->field;
        }
    }
    return 0;
}

size_t topics_found(const struct run *r, const struct tax_node *category,
                    const struct tax_node *subcategory, struct topic_found *found)
{
    struct topic_scan s = {r->e, found, topic_candidates(category, subcategory, found),
                           0};
    for (int f = 0; s.n && f < MODEL_FIELD_COUNT; f++) {
        if (!r->have[f])
            continue;
        s.field = (uint32_t)f;
        match_text_scan(r->e->topic_ac, r->nt[f].bytes, r->nt[f].len, on_topic_hit, &s);
    }
    size_t kept = 0;
    for (size_t i = 0; i < s.n; i++)
        if (found[i].n)
            found[kept++] = found[i];
    return kept;
}

json_t *topics_json(const struct clf_engine *e, const struct topic_found *found, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        const struct tax_topic *t = found[i].topic;
        json_t *ev = json_array();
        for (size_t k = 0; ev && k < found[i].n; k++)
            json_array_append_new(
                ev, json_pack("{s:s, s:s}", "term",
                              e->topic_terms[found[i].term[k]].term->term, "field",
                              model_field_name((int)found[i].field[k])));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "code", t->code,
                                             "zh", t->zh, "en", t->en, "evidence", ev));
    }
    return arr;
}

int clf_text_topics(const struct clf_engine *e, const struct clf_input *in,
                    const struct tax_node *category, const struct tax_node *subcategory,
                    json_t **topics, struct stdtax_error *err)
{
    struct run r;
    struct topic_found found[TOPICS_MAX];
    *topics = NULL;
    run_init(&r, e, 0);
    int rc = run_prepare(&r, in, err);
    size_t n = 0;
    if (rc == STDTAX_EEMPTY) /* nothing to read: no evidence, no topic */
        rc = 0;
    else if (rc == 0)
        n = topics_found(&r, category, subcategory, found);
    if (rc == 0 && !(*topics = topics_json(e, found, n)))
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    run_free(&r);
    return rc;
}
