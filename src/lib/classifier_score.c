/* Scoring one classification: keyword evidence and the model's scores into
 * probabilities, the decision and the alternatives (formula in doc/classifier.md). */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"

/* K of a category: its own terms, every subcategory's, and for `other` the baseline. */
double category_evidence(const struct run *r, const struct tax_node *c)
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
double weak_evidence(const struct run *r)
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

int run_score(struct run *r, const struct clf_input *in, struct clf_decision *d,
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

    if (p->use_keywords && (rc = run_keywords(r, err)) != 0)
        return rc;
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
    /* The confidence as calibrated on held-out examples in training: one temperature
     * for the category softmax, which never changes the order of the categories. */
    struct model_confidence conf = {1, 0};
    if (e->model && p->use_model)
        model_confidence_get(e->model, &conf);
    for (size_t i = 0; conf.temperature != 1 && i < tax->n_roots; i++)
        r->S[tax->roots[i]->index] /= conf.temperature;
    softmax(r->S, idx, tax->n_roots, r->P);
    const struct tax_node *best = tax->roots[0];
    for (size_t i = 1; i < tax->n_roots; i++)
        if (r->P[tax->roots[i]->index] > r->P[best->index])
            best = tax->roots[i];
    /* Subcategories, within their parent: the chosen one now, others only when the
     * alternatives need them (alternatives_top). */
    subcategory_softmax(r, best);
    d->runner_up = NULL;
    for (size_t i = 0; i < tax->n_roots; i++)
        if (tax->roots[i] != best &&
            (!d->runner_up || r->P[tax->roots[i]->index] > r->P[d->runner_up->index]))
            d->runner_up = tax->roots[i];
    d->confidence = r->P[best->index];
    double min_conf = p->min_confidence;
    if (e->model && p->use_model && model_other_threshold(e->model) > min_conf)
        min_conf = model_other_threshold(e->model);
    if (e->other && best != e->other && d->confidence < min_conf) {
        d->runner_up = best;
        best = e->other;
        d->confidence = 1.0 - d->confidence;
    }
    d->category = best;
    d->needs_review = d->confidence < conf.review_threshold;
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

int run_decide(struct run *r, const struct clf_engine *e, int want_offsets,
               const struct clf_input *in, struct clf_decision *d,
               struct stdtax_error *err)
{
    run_init(r, e, want_offsets);
    int rc = run_score(r, in, d, err);
    if (rc != 0)
        run_free(r);
    return rc;
}

int clf_text_decide(const struct clf_engine *e, const struct clf_input *in,
                    struct clf_decision *out, struct stdtax_error *err)
{
    struct run r;
    int rc = run_decide(&r, e, 0, in, out, err);
    if (rc == 0)
        run_free(&r);
    return rc;
}

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
size_t alternatives_top(struct run *r, const struct clf_decision *d, struct alt *top)
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
