/* One classification's fields, validated and normalised, and scanned for the
 * taxonomy's terms: the keyword evidence K and the evidence list. */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"
#include "stdtax/utf8.h"

static const size_t field_max[MODEL_FIELD_COUNT] = {CLF_TITLE_MAX, CLF_TITLE_MAX,
                                                    CLF_BODY_MAX, CLF_BODY_MAX};

void run_init(struct run *r, const struct clf_engine *e, int want_offsets)
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

void run_free(struct run *r)
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
int run_prepare(struct run *r, const struct clf_input *in, struct stdtax_error *err)
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

int run_keywords(struct run *r, struct stdtax_error *err)
{
    const struct clf_engine *e = r->e;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        if (!r->have[f])
            continue;
        r->field = (uint32_t)f;
        r->n_found = 0;
        match_text_scan(e->ac, r->nt[f].bytes, r->nt[f].len, on_hit, r);
        if (r->oom)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        if (e->p.longest_match)
            hits_keep_longest(r);
        if (hits_reserve(&r->seen, &r->cap_seen, r->seen_buf, r->n_seen, r->n_found) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        for (size_t i = 0; i < r->n_found; i++) {
            r->seen[r->n_seen++] = r->found[i];
            if (r->n_hits < CLF_EVIDENCE_MAX)
                r->hits[r->n_hits++] = r->found[i];
        }
    }
    keyword_sums(r);
    return 0;
}
