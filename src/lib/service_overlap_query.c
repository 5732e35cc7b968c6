/* The overlap query (service_overlap.h, doc/overlap.md): the query's fingerprint and
 * band keys (similar.h), the candidates the store's band index meets
 * (store_overlap_candidates), their exact scores, and the answer with its spans.  The
 * store only looks up and hands back. */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/similar.h"
#include "stdtax/store.h"

/* The scope bands a query probes: the catalogue stores as many (store_sim.c). */
#define QUERY_SCOPE_BANDS 8
/* Each field whole, and a mixed-language title by script as well. */
#define QUERY_BANDS_MAX (SIM_FIELDS * SIM_BANDS + 4 * SIM_BANDS)

static const char *const members[SIM_FIELDS] = {"title", "title_en", "scope"};

struct qfield {
    const char *name;
    const char *text;
    struct sim_set set;
};

/* A candidate that met the threshold: what the answer needs of it. */
struct hit {
    size_t rank; /* the order the store met it in: ties keep it */
    double sim;
    int qfield;
    int rfield;
    char source;
    char *id;
    char *summary;
    size_t summary_len;
};

struct scoring {
    const struct qfield *qf;
    double threshold;
    size_t limit, perfect, seen;
    struct hit *hits;
    size_t n, cap;
    int oom;
};

static size_t bands_add(const uint32_t *h, size_t n, int nb, uint64_t *bands, size_t at)
{
    if (n == 0)
        return at;
    uint64_t sig[SIM_HASHES];
    sim_minhash_n(h, n, sig, nb * SIM_ROWS);
    sim_bands_n(sig, bands + at, nb);
    return at + (size_t)nb;
}

/* The band keys the query probes, in the order the store looks them up. */
static size_t query_bands(const struct qfield *qf, uint64_t bands[QUERY_BANDS_MAX])
{
    size_t n = 0;
    for (int i = 0; i < SIM_FIELDS; i++) {
        const struct sim_set *t = &qf[i].set;
        if (i == 2 && t->n < SIM_SCOPE_SHINGLES_MIN)
            break;
        n = bands_add(t->h, t->n, i == 2 ? QUERY_SCOPE_BANDS : SIM_BANDS, bands, n);
        if (i < 2 && t->n_cjk >= 2 && t->n - t->n_cjk >= 2) {
            n = bands_add(t->h, t->n_cjk, SIM_BANDS, bands, n);
            n = bands_add(t->h + t->n_cjk, t->n - t->n_cjk, SIM_BANDS, bands, n);
        }
    }
    return n;
}

static int hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->sim != y->sim)
        return x->sim > y->sim ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static void hits_free(struct scoring *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->hits[i].id);
        free(sc->hits[i].summary);
    }
    free(sc->hits);
}

/* The store's callback: scores one candidate exactly. */
static int score_candidate(const struct store_overlap_candidate *c, void *arg)
{
    struct scoring *sc = arg;
    size_t rank = sc->seen++;
    struct sim_set q[SIM_FIELDS], r[SIM_FIELDS];
    struct sim_match m;
    for (int i = 0; i < SIM_FIELDS; i++) {
        q[i] = sc->qf[i].set;
        r[i] = (struct sim_set){(uint32_t *)c->fp->h[i], c->fp->n[i], c->fp->n_cjk[i]};
    }
    double sim = sim_fields_score(q, r, &m);
    if (sim >= sc->threshold && sim > 0) {
        if (sc->n == sc->cap) {
            size_t cap = sc->cap ? 2 * sc->cap : 16;
            struct hit *h = realloc(sc->hits, cap * sizeof *h);
            if (!h)
                return sc->oom = 1;
            sc->hits = h;
            sc->cap = cap;
        }
        struct hit h = {rank,
                        sim,
                        m.qfield,
                        m.rfield,
                        c->source,
                        strdup(c->id),
                        malloc(c->summary_len ? c->summary_len : 1),
                        c->summary_len};
        if (!h.id || !h.summary) {
            free(h.id);
            free(h.summary);
            return sc->oom = 1;
        }
        memcpy(h.summary, c->summary, c->summary_len);
        sc->hits[sc->n++] = h;
    }
    /* Nothing beats a perfect score: a flood of copies stops the scoring early (twice
     * the limit, as withdrawn proposals are dropped later). */
    return sim >= 1.0 && ++sc->perfect >= 2 * sc->limit;
}

/* The answer's item of a hit, or NULL when the record is withdrawn. */
static json_t *hit_item(struct store *s, const struct hit *h, const struct qfield *qf)
{
    int cat = h->source == 'c';
    struct store_overlap_candidate c = {h->source,  h->id,          NULL,
                                        h->summary, h->summary_len, 0};
    json_t *sum = store_overlap_summary(&c);
    if (!sum)
        return NULL;
    const char *status = json_string_value(json_object_get(sum, "status"));
    if (!cat && status && strcmp(status, "withdrawn") == 0) {
        json_decref(sum);
        return NULL;
    }
    json_t *o =
        json_pack("{s:s, s:s}", "source", cat ? "catalog" : "proposal", "id", h->id);
    if (!o) {
        json_decref(sum);
        return NULL;
    }
    json_object_update(o, sum);
    json_object_set_new(o, "similarity",
                        json_real((double)(int)(h->sim * 1000 + 0.5) / 1000));
    json_object_set_new(o, "field", json_string(qf[h->qfield].name));
    json_object_set_new(o, "matched_field", json_string(members[h->rfield]));
    const char *rtext = json_string_value(json_object_get(sum, members[h->rfield]));
    json_t *rec = NULL;
    if (!rtext) { /* the scope is not in the summary: read the record */
        if (cat ? store_catalog_get(s, h->id, &rec, NULL)
                : store_proposal_get(s, h->id, &rec, NULL))
            rec = NULL;
        rtext = json_string_value(json_object_get(rec, members[h->rfield]));
    }
    json_object_set_new(o, "spans", sim_spans_json(qf[h->qfield].text, rtext));
    json_decref(rec);
    json_decref(sum);
    return o;
}

int overlap_find(struct store *s, const struct overlap_query *q, json_t **out,
                 struct stdtax_error *err)
{
    struct qfield qf[SIM_FIELDS] = {{"title", q->title, {0}},
                                    {"title_en", q->title_en, {0}},
                                    {"scope", q->scope, {0}}};
    size_t limit = q->limit ? q->limit : 10;
    struct scoring sc = {qf, q->threshold, 0, 0, 0, NULL, 0, 0, 0};
    json_t *arr = NULL;
    int empty, rc;
    *out = NULL;
    if (limit > OVERLAP_LIMIT_MAX)
        limit = OVERLAP_LIMIT_MAX;
    sc.limit = limit;
    if (!(arr = json_array()))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    /* No band entry (no catalogue, no proposal yet): no candidate can exist, and the
     * fingerprints (most of a query's cost) need not be made; the texts are still
     * checked as making them would. */
    if ((rc = store_overlap_empty(s, &empty, err)) != 0)
        goto done;
    for (int i = 0; i < SIM_FIELDS; i++) {
        if (!qf[i].text)
            continue;
        size_t len = strlen(qf[i].text);
        rc = empty ? sim_text_check(qf[i].text, len, err)
                   : sim_set_new(qf[i].text, len, i < 2, &qf[i].set, err);
        if (rc) {
            if (err)
                snprintf(err->field, sizeof err->field, "/%s", qf[i].name);
            goto done;
        }
    }
    if (empty)
        goto done;
    uint64_t bands[QUERY_BANDS_MAX];
    struct store_overlap_probe probe = {bands, query_bands(qf, bands), q->what,
                                        q->exclude_id};
    rc = store_overlap_candidates(s, &probe, score_candidate, &sc, err);
    if (!rc && sc.oom)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc)
        goto done;
    if (sc.n)
        qsort(sc.hits, sc.n, sizeof *sc.hits, hit_cmp);
    for (size_t i = 0; i < sc.n && json_array_size(arr) < limit; i++) {
        json_t *item = hit_item(s, &sc.hits[i], qf);
        if (item)
            json_array_append_new(arr, item);
    }
done:
    for (int i = 0; i < SIM_FIELDS; i++)
        sim_set_free(&qf[i].set);
    hits_free(&sc);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}
