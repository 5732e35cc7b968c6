/* The similarity index of the store: the fingerprints (shingle sets and a summary) of
 * catalogue entries and proposals, their LSH band entries, the overlap query, the
 * duplicate rule's walk over a group, and the check of it all.  Layouts:
 * doc/overlap.md. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/jsonflat.h"
#include "stdtax/similar.h"

#define SIG_KEY_MAX STORE_SIG_KEY_MAX
#define FP_FIELDS SIM_FIELDS
/* A copied scope shares nearly all its shingles: the first 8 of the 20 bands find it
 * (probability 0.997 at Jaccard 0.8), at 12 fewer band entries per record. */
#define SCOPE_BANDS 8

static int field_bands(int field)
{
    return field == 2 ? SCOPE_BANDS : SIM_BANDS;
}

static const char *const fp_members[FP_FIELDS] = {"title", "title_en", "scope"};
static MDB_val val_of(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p};
    return v;
}

/* ---- fingerprints ------------------------------------------------------------ */

struct fp {
    struct sim_set f[FP_FIELDS];
};

/* The bands a record stores for one field.  Proposals are the hot write path, and
 * each band entry is a random leaf page dirtied in the commit: a proposal stores the
 * first 8 bands of its Chinese title and 4 of its scope (probability 0.97 at Jaccard
 * 0.7, 0.997 at 0.8: what the duplicate rule needs) and no English title bands (the
 * forms require a Chinese title; the English one is still compared when the proposal
 * is a candidate).  Catalogue entries, written rarely, store all of them. */
#define PROPOSAL_TITLE_BANDS 8
#define PROPOSAL_SCOPE_BANDS 4

static int stored_bands(char source, const struct fp *fp, int field)
{
    if (source != 'p')
        return field_bands(field);
    if (field == 2)
        return PROPOSAL_SCOPE_BANDS;
    if (field == 1 && fp->f[0].n)
        return 0;
    return PROPOSAL_TITLE_BANDS;
}

static void fp_free(struct fp *fp)
{
    for (int i = 0; i < FP_FIELDS; i++)
        sim_set_free(&fp->f[i]);
}

static int fp_make(const json_t *rec, struct fp *fp)
{
    return sim_record_sets(rec, fp->f);
}

static size_t fp_total(const struct fp *fp)
{
    size_t n = 0;
    for (int i = 0; i < FP_FIELDS; i++)
        n += fp->f[i].n;
    return n;
}

/* What an overlap answer shows of a record, kept beside its shingles so that a query
 * never parses a whole (up to 1 MiB) record: new compact JSON, or NULL. */
static char *summary_make(const json_t *rec)
{
    static const char *const members[] = {"number", "title",  "title_en",
                                          "kind",   "status", "organisation"};
    json_t *o = json_object();
    for (size_t i = 0; o && i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(rec, members[i]);
        if (json_is_string(v))
            json_object_set(o, members[i], v);
    }
    const json_t *cls = json_object_get(rec, "classification");
    if (o && json_is_object(cls)) {
        json_t *codes = json_object();
        static const char *const nodes[] = {"category", "subcategory"};
        for (int i = 0; codes && i < 2; i++) {
            json_t *v = json_object_get(cls, nodes[i]);
            if (json_is_string(v))
                json_object_set(codes, nodes[i], v);
        }
        json_object_set_new(o, "classification", codes);
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text;
}

/* "SIM3", u32 summary length, the summary (compact JSON), then per field: u32 n,
 * u32 n_cjk, n u32 shingles; native byte order. */
static unsigned char *fp_encode(const struct fp *fp, const char *summary, size_t *len)
{
    uint32_t slen = (uint32_t)strlen(summary);
    *len = 8 + slen + FP_FIELDS * 8 + fp_total(fp) * 4;
    unsigned char *b = malloc(*len), *p = b;
    if (!b)
        return NULL;
    memcpy(p, "SIM3", 4);
    memcpy(p + 4, &slen, 4);
    memcpy(p + 8, summary, slen);
    p += 8 + slen;
    for (int i = 0; i < FP_FIELDS; i++) {
        uint32_t n = (uint32_t)fp->f[i].n, c = (uint32_t)fp->f[i].n_cjk;
        memcpy(p, &n, 4);
        memcpy(p + 4, &c, 4);
        if (n)
            memcpy(p + 8, fp->f[i].h, (size_t)n * 4);
        p += 8 + (size_t)n * 4;
    }
    return b;
}

/* Where the shingles start in a stored fingerprint; 0 when it is not one. */
static size_t fp_shingles_at(const MDB_val *v)
{
    uint32_t slen;
    if (v->mv_size < 8 || memcmp(v->mv_data, "SIM3", 4) != 0)
        return 0;
    memcpy(&slen, (const char *)v->mv_data + 4, 4);
    if (v->mv_size - 8 < slen || v->mv_size - 8 - slen < FP_FIELDS * 8)
        return 0;
    return 8 + (size_t)slen;
}

/* The summary of a stored fingerprint; new, or NULL. */
/* A summary as json_loadb makes it.  summary_make writes compact JSON with sorted
 * keys: strings, after an optional first member "classification", an object of
 * strings.  Both parts are flat, and jsonflat loads them at a tenth of the cost of
 * jansson's loader (which was the largest cost of an answer listing many overlaps);
 * any other text goes to jansson. */
static json_t *summary_load(const char *t, size_t len)
{
    static const char head[] = "{\"classification\":{";
    const size_t hl = sizeof head - 1;
    char rest[JSONFLAT_NEW_MAX + 1];
    json_t *o = NULL, *cls = NULL, *flat = NULL;
    if (len > hl && len <= JSONFLAT_NEW_MAX && memcmp(t, head, hl) == 0) {
        /* The inner object ends at the first brace outside a string. */
        size_t e = hl;
        for (int in = 0; e < len && (in || t[e] != '}'); e++) {
            if (in && t[e] == '\\')
                e++;
            else if (t[e] == '"')
                in = !in;
        }
        /* After it: more members, or the end of the text (nothing after the brace). */
        if (e + 1 < len && (t[e + 1] == ',' || (t[e + 1] == '}' && e + 2 == len)))
            cls = jsonflat_object_new(t + hl - 1, e - hl + 2);
        if (cls) {
            /* The members after it, as an object of their own. */
            rest[0] = '{';
            memcpy(rest + 1, t + e + 2, len - e - 2);
            flat =
                t[e + 1] == '}' ? json_object() : jsonflat_object_new(rest, len - e - 1);
        }
        if (flat && (o = json_object()) != NULL &&
            json_object_set_new(o, "classification", json_incref(cls)) == 0 &&
            json_object_update(o, flat) == 0) {
            json_decref(cls);
            json_decref(flat);
            return o;
        }
        json_decref(o);
        json_decref(cls);
        json_decref(flat);
    } else if ((o = jsonflat_object_new(t, len)) != NULL) {
        return o;
    }
    return json_loadb(t, len, 0, NULL);
}

static json_t *fp_summary(const MDB_val *v)
{
    size_t at = fp_shingles_at(v);
    return at ? summary_load((const char *)v->mv_data + 8, at - 8) : NULL;
}

static int fp_decode(const MDB_val *v, struct fp *fp)
{
    size_t at = fp_shingles_at(v);
    const unsigned char *p = (const unsigned char *)v->mv_data + at,
                        *end = (const unsigned char *)v->mv_data + v->mv_size;
    memset(fp, 0, sizeof *fp);
    if (!at)
        return STDTAX_ESTORE;
    for (int i = 0; i < FP_FIELDS; i++) {
        uint32_t n, c;
        if (end - p < 8)
            goto bad;
        memcpy(&n, p, 4);
        memcpy(&c, p + 4, 4);
        p += 8;
        if ((size_t)(end - p) / 4 < n || c > n)
            goto bad;
        if (n) {
            /* A copy: values in the map need not be aligned. */
            fp->f[i].h = malloc((size_t)n * 4);
            if (!fp->f[i].h) {
                fp_free(fp);
                return STDTAX_ENOMEM;
            }
            memcpy(fp->f[i].h, p, (size_t)n * 4);
        }
        fp->f[i].n = n;
        fp->f[i].n_cjk = c;
        p += (size_t)n * 4;
    }
    return 0;
bad:
    fp_free(fp);
    return STDTAX_ESTORE;
}

static size_t sig_key(char *key, char source, const char *id)
{
    size_t n = strlen(id);
    key[0] = source;
    memcpy(key + 1, id, n);
    return n + 1;
}

typedef int (*band_fn)(struct store *s, MDB_txn *txn, uint64_t band, const char *val,
                       size_t len);

static int band_put(struct store *s, MDB_txn *txn, uint64_t band, const char *val,
                    size_t len)
{
    MDB_val k = val_of(&band, sizeof band), v = val_of(val, len);
    int rc = mdb_put(txn, s->dbi_sim_band, &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : rc;
}

static int band_del(struct store *s, MDB_txn *txn, uint64_t band, const char *val,
                    size_t len)
{
    MDB_val k = val_of(&band, sizeof band), v = val_of(val, len);
    int rc = mdb_del(txn, s->dbi_sim_band, &k, &v);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The first nb bands of a set. */
static void set_bands(const struct sim_set *set, uint64_t bands[SIM_BANDS], int nb)
{
    uint64_t sig[SIM_HASHES];
    sim_minhash_n(set->h, set->n, sig, nb * SIM_ROWS);
    sim_bands_n(sig, bands, nb);
}

static int fp_bands(struct store *s, MDB_txn *txn, const struct fp *fp, const char *val,
                    size_t len, band_fn fn)
{
    for (int i = 0; i < FP_FIELDS; i++) {
        if (fp->f[i].n == 0)
            continue;
        uint64_t bands[SIM_BANDS];
        int nb = stored_bands(val[0], fp, i);
        set_bands(&fp->f[i], bands, nb);
        for (int b = 0; b < nb; b++) {
            int rc = fn(s, txn, bands[b], val, len);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Removes the stored fingerprint's bands (and the fingerprint unless keep). */
static int sim_remove(struct store *s, MDB_txn *txn, const MDB_val *key, int keep)
{
    MDB_val v;
    int rc = mdb_get(txn, s->dbi_sim_sig, (MDB_val *)key, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    struct fp old;
    if (fp_decode(&v, &old) == 0) {
        rc = fp_bands(s, txn, &old, key->mv_data, key->mv_size, band_del);
        fp_free(&old);
    } /* an undecodable fingerprint leaves bands that check reports */
    if (!rc && !keep)
        rc = mdb_del(txn, s->dbi_sim_sig, (MDB_val *)key, NULL);
    return rc;
}

/* A fingerprint given by the caller, as a struct fp that borrows its sets. */
static void fp_view(const struct store_fingerprint *given, struct fp *fp)
{
    for (int i = 0; i < FP_FIELDS; i++)
        fp->f[i] =
            (struct sim_set){(uint32_t *)given->h[i], given->n[i], given->n_cjk[i]};
}

int store_sim_put(struct store *s, MDB_txn *txn, char source, const char *id,
                  const json_t *record, const struct store_fingerprint *given)
{
    if (!s->has_catalog)
        return 0;
    char kb[SIG_KEY_MAX];
    MDB_val key = val_of(kb, sig_key(kb, source, id)), old;
    struct fp fp, made;
    int rc = 0;
    memset(&made, 0, sizeof made);
    if (given)
        fp_view(given, &fp);
    else if ((rc = fp_make(record, &made)) == 0)
        fp = made;
    if (rc)
        return rc;
    if (fp_total(&fp) == 0) {
        fp_free(&made);
        return sim_remove(s, txn, &key, 0);
    }
    size_t len;
    char *summary = summary_make(record);
    unsigned char *blob = summary ? fp_encode(&fp, summary, &len) : NULL;
    free(summary);
    if (!blob) {
        fp_free(&made);
        return STDTAX_ENOMEM;
    }
    rc = mdb_get(txn, s->dbi_sim_sig, &key, &old);
    MDB_val now = val_of(blob, len);
    size_t at_old = rc == 0 ? fp_shingles_at(&old) : 0, at_new = fp_shingles_at(&now);
    if (rc == 0 && old.mv_size == len && memcmp(old.mv_data, blob, len) == 0) {
        rc = 0; /* the same text and summary: nothing to change */
    } else if (rc == 0 && at_old && old.mv_size - at_old == len - at_new &&
               memcmp((char *)old.mv_data + at_old, blob + at_new, len - at_new) == 0) {
        rc = mdb_put(txn, s->dbi_sim_sig, &key, &now, 0); /* a status change */
    } else if (rc == 0 || rc == MDB_NOTFOUND) {
        rc = sim_remove(s, txn, &key, 1);
        MDB_val v = val_of(blob, len);
        if (!rc)
            rc = mdb_put(txn, s->dbi_sim_sig, &key, &v, 0);
        if (!rc)
            rc = fp_bands(s, txn, &fp, kb, key.mv_size, band_put);
    }
    free(blob);
    fp_free(&made);
    return rc;
}

/* A decoded fingerprint as the store.h view (borrows fp's sets). */
static void fp_export(const struct fp *fp, struct store_fingerprint *view)
{
    for (int i = 0; i < FP_FIELDS; i++) {
        view->h[i] = fp->f[i].h;
        view->n[i] = fp->f[i].n;
        view->n_cjk[i] = fp->f[i].n_cjk;
    }
}

json_t *store_sim_texts(const json_t *record)
{
    json_t *o = json_object();
    for (int i = 0; o && i < FP_FIELDS; i++) {
        const json_t *v = json_object_get(record, fp_members[i]);
        if (v && json_object_set_new(o, fp_members[i], json_deep_copy(v)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int store_sim_restate(struct store *s, MDB_txn *txn, char source, const char *id,
                      const json_t *record)
{
    if (!s->has_catalog)
        return 0;
    char kb[SIG_KEY_MAX];
    MDB_val key = val_of(kb, sig_key(kb, source, id)), old;
    struct fp fp;
    int rc = mdb_get(txn, s->dbi_sim_sig, &key, &old);
    if (rc == 0)
        rc = fp_decode(&old, &fp);
    if (rc == MDB_NOTFOUND || rc == STDTAX_ESTORE) /* none, or not readable: anew */
        return store_sim_put(s, txn, source, id, record, NULL);
    if (rc)
        return rc;
    struct store_fingerprint view;
    fp_export(&fp, &view);
    rc = store_sim_put(s, txn, source, id, record, &view);
    fp_free(&fp);
    return rc;
}

int store_group_duplicate(struct store *s, MDB_txn *txn, const char *group,
                          store_duplicate_fn fn, void *arg, char dup_id[STORE_ID_MAX])
{
    dup_id[0] = 0;
    if (!s->has_catalog || !s->has_groups)
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_group, &cur);
    if (rc)
        return rc;
    MDB_val k = val_of(group, strlen(group)), v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        char kb[SIG_KEY_MAX], id[STORE_ID_MAX];
        if (v.mv_size == 0 || v.mv_size >= STORE_ID_MAX)
            continue;
        memcpy(id, v.mv_data, v.mv_size);
        id[v.mv_size] = 0;
        MDB_val sk = val_of(kb, sig_key(kb, 'p', id)), sv;
        struct fp r;
        if (mdb_get(txn, s->dbi_sim_sig, &sk, &sv) != 0 || fp_decode(&sv, &r) != 0)
            continue; /* no fingerprint: nothing to compare (check reports a bad one) */
        json_t *sum = fp_summary(&sv);
        const char *status = json_string_value(json_object_get(sum, "status"));
        int live = sum && !(status && strcmp(status, "withdrawn") == 0);
        json_decref(sum);
        struct store_fingerprint view;
        fp_export(&r, &view);
        struct store_candidate c = {id, &view, (const char *)sv.mv_data + 8,
                                    fp_shingles_at(&sv) - 8};
        int same = live && fn(&c, arg);
        fp_free(&r);
        if (same) {
            memcpy(dup_id, id, v.mv_size + 1);
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_sim_del(struct store *s, MDB_txn *txn, char source, const char *id)
{
    if (!s->has_catalog)
        return 0;
    char kb[SIG_KEY_MAX];
    MDB_val key = val_of(kb, sig_key(kb, source, id));
    return sim_remove(s, txn, &key, 0);
}

int store_sim_check(struct store *s, MDB_txn *txn, char source, const char *id,
                    const json_t *rec, struct store_sim_tally *ck)
{
    char kb[SIG_KEY_MAX];
    MDB_val key = val_of(kb, sig_key(kb, source, id)), v;
    struct fp fp;
    int rc = fp_make(rec, &fp);
    if (rc)
        return rc;
    size_t len = 0;
    char *summary = fp_total(&fp) ? summary_make(rec) : NULL;
    unsigned char *blob = summary ? fp_encode(&fp, summary, &len) : NULL;
    free(summary);
    ck->fp_expected += blob != NULL;
    rc = mdb_get(txn, s->dbi_sim_sig, &key, &v);
    if (rc == MDB_NOTFOUND) {
        if (blob)
            ck->fp_missing++;
        rc = 0;
    } else if (rc == 0) {
        if (!blob || v.mv_size != len || memcmp(v.mv_data, blob, len) != 0)
            ck->fp_stale++;
    }
    if (!rc && blob) {
        MDB_cursor *c;
        if ((rc = mdb_cursor_open(txn, s->dbi_sim_band, &c)) == 0) {
            for (int i = 0; i < FP_FIELDS; i++) {
                if (!fp.f[i].n)
                    continue;
                uint64_t bands[SIM_BANDS];
                int nb = stored_bands(source, &fp, i);
                set_bands(&fp.f[i], bands, nb);
                for (int b = 0; b < nb; b++) {
                    /* duplicates within one record are stored once */
                    int dup = 0;
                    for (int j = 0; j < i && !dup; j++) {
                        uint64_t ob[SIM_BANDS];
                        int onb = stored_bands(source, &fp, j);
                        if (!fp.f[j].n || b >= onb)
                            continue;
                        set_bands(&fp.f[j], ob, onb);
                        dup = ob[b] == bands[b];
                    }
                    for (int j = 0; j < b && !dup; j++)
                        dup = bands[j] == bands[b];
                    if (dup)
                        continue;
                    ck->bands_expected++;
                    MDB_val bk = val_of(&bands[b], sizeof bands[b]), bv = key;
                    if (mdb_cursor_get(c, &bk, &bv, MDB_GET_BOTH) != 0)
                        ck->band_missing++;
                }
            }
            mdb_cursor_close(c);
        }
    }
    free(blob);
    fp_free(&fp);
    return rc;
}

/* ---- overlap query ---------------------------------------------------------------- */

/* A band entry met while probing: it points into the map, valid while the read
 * transaction lasts. */
struct cand {
    const char *key; /* source byte + id */
    size_t len;
    unsigned hits; /* bands shared with the query: ranks the candidates */
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cand_hits_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->hits != y->hits)
        return x->hits > y->hits ? -1 : 1;
    return cand_cmp(a, b);
}

/* The candidates met while probing, one per record, with the number of bands each
 * shares with the query; an open-addressing table finds a record met again. */
struct probe {
    struct cand *c;
    size_t n, cap;
    uint32_t *slot; /* nslots (a power of two): index + 1 into c, 0 when empty */
    size_t nslots;
    size_t scanned;
};

static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Keeps the table at most half full; it starts small, most queries meet few records. */
static int probe_grow(struct probe *p)
{
    if (p->nslots && 2 * (p->n + 1) <= p->nslots)
        return 0;
    size_t nslots = p->nslots ? 2 * p->nslots : 256;
    uint32_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return STDTAX_ENOMEM;
    for (size_t k = 0; k < p->n; k++) {
        size_t i = (size_t)key_hash(p->c[k].key, p->c[k].len) & (nslots - 1);
        while (slot[i])
            i = (i + 1) & (nslots - 1);
        slot[i] = (uint32_t)k + 1;
    }
    free(p->slot);
    p->slot = slot;
    p->nslots = nslots;
    return 0;
}

static int probe_add(struct probe *p, const char *key, size_t len)
{
    if (probe_grow(p))
        return STDTAX_ENOMEM;
    size_t mask = p->nslots - 1;
    for (size_t i = (size_t)key_hash(key, len) & mask;; i = (i + 1) & mask) {
        uint32_t at = p->slot[i];
        if (at == 0) {
            if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 256;
                struct cand *c = realloc(p->c, cap * sizeof *c);
                if (!c)
                    return STDTAX_ENOMEM;
                p->c = c;
                p->cap = cap;
            }
            p->c[p->n] = (struct cand){key, len, 1};
            p->slot[i] = (uint32_t)++p->n;
            return 0;
        }
        struct cand *c = &p->c[at - 1];
        if (c->len == len && memcmp(c->key, key, len) == 0) {
            c->hits++;
            return 0;
        }
    }
}

static int probe_bands(MDB_cursor *cur, const uint64_t *bands, size_t nbands,
                       unsigned what, struct probe *p)
{
    for (size_t b = 0; b < nbands; b++) {
        MDB_val k = val_of(&bands[b], sizeof bands[b]), v;
        size_t in_bucket = 0;
        int rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
        /* A crowded bucket is a crowd of alike records: its first ones stand for it. */
        for (; rc == 0 && in_bucket < OVERLAP_BUCKET_MAX;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP), in_bucket++) {
            const char *val = v.mv_data;
            if (v.mv_size < 2 || v.mv_size >= SIG_KEY_MAX)
                continue;
            if (!((val[0] == 'c' && (what & OVERLAP_STANDARDS)) ||
                  (val[0] == 'p' && (what & OVERLAP_PROPOSALS))))
                continue;
            if (p->scanned++ >= OVERLAP_SCAN_MAX)
                return 0; /* the bound of one query */
            int r2 = probe_add(p, val, v.mv_size);
            if (r2)
                return r2;
        }
        if (rc != MDB_NOTFOUND && rc != 0)
            return rc;
    }
    return 0;
}

int store_overlap_empty(struct store *s, int *empty, struct stdtax_error *err)
{
    *empty = 1;
    if (!s->has_catalog)
        return 0;
    MDB_txn *txn;
    MDB_stat st;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    rc = mdb_stat(txn, s->dbi_sim_band, &st);
    store_read_end(s, txn);
    if (rc)
        return store_mdb_error(s, rc, "find overlaps", err);
    *empty = st.ms_entries == 0;
    return 0;
}

json_t *store_overlap_summary(const struct store_overlap_candidate *c)
{
    return summary_load(c->summary, c->summary_len);
}

int store_overlap_candidates(struct store *s, const struct store_overlap_probe *q,
                             store_overlap_fn fn, void *arg, struct stdtax_error *err)
{
    struct probe p = {0};
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    unsigned what = q->what ? q->what : OVERLAP_STANDARDS | OVERLAP_PROPOSALS;
    int rc = 0;
    if (!s->has_catalog || q->n_bands == 0)
        return 0;
    if ((rc = store_read_begin(s, &txn, err)) != 0)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->dbi_sim_band, &cur)) != 0)
        goto mdb;
    rc = probe_bands(cur, q->bands, q->n_bands, what, &p);
    if (rc == STDTAX_ENOMEM)
        goto oom;
    if (rc)
        goto mdb;
    /* Candidates ranked by the bands they share with the query (the MinHash estimate
     * of their similarity); only the best are handed on. */
    if (p.n)
        qsort(p.c, p.n, sizeof *p.c, cand_hits_cmp);
    if (p.n > OVERLAP_CANDIDATES_MAX)
        p.n = OVERLAP_CANDIDATES_MAX;
    for (size_t i = 0; i < p.n; i++) {
        char id[SIG_KEY_MAX];
        memcpy(id, p.c[i].key + 1, p.c[i].len - 1);
        id[p.c[i].len - 1] = 0;
        if (p.c[i].key[0] == 'p' && q->exclude_id && strcmp(id, q->exclude_id) == 0)
            continue;
        MDB_val k = val_of(p.c[i].key, p.c[i].len), v;
        struct fp r;
        if (mdb_get(txn, s->dbi_sim_sig, &k, &v) != 0 || fp_decode(&v, &r) != 0)
            continue;
        struct store_fingerprint view;
        fp_export(&r, &view);
        struct store_overlap_candidate c = {
            p.c[i].key[0],          id,         &view, (const char *)v.mv_data + 8,
            fp_shingles_at(&v) - 8, p.c[i].hits};
        int stop = fn(&c, arg);
        fp_free(&r);
        if (stop)
            break;
    }
    goto done;
oom:
    rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    goto done;
mdb:
    rc = store_mdb_error(s, rc, "find overlaps", err);
done:
    if (cur)
        mdb_cursor_close(cur); /* before the transaction: the candidates point into it */
    store_read_end(s, txn);
    free(p.c);
    free(p.slot);
    return rc;
}
