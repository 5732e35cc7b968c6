/* The catalogue of existing standards, the fingerprints of catalogue entries and
 * proposals, the LSH band index and the overlap query.  Layouts: doc/overlap.md. */
#include "store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/catalog.h"
#include "stdtax/normalise.h"
#include "stdtax/sha256.h"
#include "stdtax/jsonflat.h"
#include "stdtax/similar.h"
#include "stdtax/textquery.h"

#define CAT_ID_MAX (CATALOG_NUMBER_MAX + 1)
#define SIG_KEY_MAX (1 + CAT_ID_MAX + STORE_ID_MAX)
#define FP_FIELDS SIM_FIELDS
/* A copied scope shares nearly all its shingles: the first 8 of the 20 bands find it
 * (probability 0.997 at Jaccard 0.8), at 12 fewer band entries per record. */
#define SCOPE_BANDS 8

static int field_bands(int field)
{
    return field == 2 ? SCOPE_BANDS : SIM_BANDS;
}

static const char *const fp_members[FP_FIELDS] = {"title", "title_en", "scope"};
static const char *const kinds[] = {"national", "industry",      "local",
                                    "group",    "international", "other"};
static const char *const cat_statuses[] = {"published", "planned"};

static MDB_val val_of(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p};
    return v;
}

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}

int store_catalog_dbs_open(struct store *s, MDB_txn *txn)
{
    unsigned create = s->read_only ? 0 : MDB_CREATE;
    int rc = mdb_dbi_open(txn, "catalog", create, &s->dbi_catalog);
    if (!rc)
        rc = mdb_dbi_open(txn, "catalog_counts", create, &s->dbi_cat_counts);
    if (!rc)
        rc = mdb_dbi_open(txn, "sim_sig", create, &s->dbi_sim_sig);
    if (!rc)
        rc = mdb_dbi_open(txn, "sim_band", create | MDB_DUPSORT, &s->dbi_sim_band);
    if (rc == MDB_NOTFOUND && s->read_only)
        return 0; /* an older store read as it is: no catalogue, no overlaps */
    if (!rc)
        s->has_catalog = 1;
    return rc;
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
    memset(fp, 0, sizeof *fp);
    for (int i = 0; i < FP_FIELDS; i++) {
        const char *v = json_string_value(json_object_get(rec, fp_members[i]));
        if (!v)
            continue;
        int rc = sim_set_new(v, strlen(v), i < 2, &fp->f[i], NULL);
        if (rc == STDTAX_ENOMEM) {
            fp_free(fp);
            return rc;
        }
        /* Text that cannot be fingerprinted leaves the field empty. */
    }
    return 0;
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
        for (int i = 0; i < FP_FIELDS; i++) {
            view.h[i] = r.f[i].h;
            view.n[i] = r.f[i].n;
            view.n_cjk[i] = r.f[i].n_cjk;
        }
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

/* ---- catalogue entries --------------------------------------------------------- */

const char *catalog_kind_guess(const char *n)
{
    static const char *const intl[] = {"ISO", "IEC", "IEEE", "ITU", "ETSI", "CEN"};
    if (!n)
        return NULL;
    for (size_t i = 0; i < sizeof intl / sizeof intl[0]; i++) {
        size_t l = strlen(intl[i]);
        if (strncmp(n, intl[i], l) == 0 && !isalpha((unsigned char)n[l]))
            return "international";
    }
    if (strncmp(n, "T/", 2) == 0)
        return "group";
    if (strncmp(n, "DB", 2) == 0 && isdigit((unsigned char)n[2]))
        return "local";
    if ((strncmp(n, "GB", 2) == 0 && !isalpha((unsigned char)n[2])) ||
        strncmp(n, "TC260", 5) == 0)
        return "national";
    size_t l = 0;
    while (n[l] >= 'A' && n[l] <= 'Z')
        l++;
    if (l >= 2 && l <= 4 && (n[l] == '/' || n[l] == ' '))
        return "industry"; /* YD/T, GA/T, JTG/T, YY/T, ... */
    return NULL;
}

static int text_ok(const json_t *v, size_t max, const char *prefix, const char *name,
                   json_t *problems)
{
    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v)) {
        stdtax_problem_add(problems, "", "%s/%s must be a string", prefix, name);
        return 0;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max || strlen(s) != n) {
        char ptr[STDTAX_FIELD_MAX];
        snprintf(ptr, sizeof ptr, "%s/%s", prefix, name);
        stdtax_problem_add(problems, ptr,
                           n > max ? "at most %zu bytes" : "must not contain NUL", max);
        return 0;
    }
    return 1;
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

static void draft_id(const char *title, const char *title_en, char out[CAT_ID_MAX])
{
    struct sha256_ctx c;
    char hex[65];
    char *a = norm_string_new(title ? title : ""),
         *b = norm_string_new(title_en ? title_en : "");
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, a ? a : "", a ? strlen(a) : 0);
    sha256_ctx_update(&c, "\x1f", 1);
    sha256_ctx_update(&c, b ? b : "", b ? strlen(b) : 0);
    sha256_ctx_final_hex(&c, hex);
    free(a);
    free(b);
    snprintf(out, CAT_ID_MAX, "draft-%.12s", hex);
}

#define PROBLEM(...)                                                                     \
    do {                                                                                 \
        char ptr_[STDTAX_FIELD_MAX];                                                     \
        snprintf(ptr_, sizeof ptr_, "%s/%s", prefix, member);                            \
        stdtax_problem_add(problems, ptr_, __VA_ARGS__);                                 \
        bad = 1;                                                                         \
    } while (0)

int catalog_entry_check(const json_t *e, const char *prefix, json_t **out,
                        json_t *problems, struct stdtax_error *err)
{
    static const char *const members[] = {"id",       "number",         "title",
                                          "title_en", "kind",           "status",
                                          "scope",    "classification", "source"};
    int bad = 0;
    const char *member = "";
    *out = NULL;
    if (!prefix)
        prefix = "";
    if (!json_is_object(e)) {
        stdtax_problem_add(problems, prefix[0] ? prefix : "",
                           "a catalogue entry must be a JSON object");
        return stdtax_error_set(err, STDTAX_EINVAL, prefix,
                                "a catalogue entry must be a JSON object");
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)e, key, v)
    {
        if (!in_list(key, members, sizeof members / sizeof members[0])) {
            member = key;
            PROBLEM("unknown member");
        }
    }
    member = "number";
    const json_t *num = json_object_get(e, "number");
    const char *number = json_string_value(num);
    if (num && !json_is_null(num)) {
        if (!number)
            PROBLEM("must be a string");
        else if (strlen(number) > CATALOG_NUMBER_MAX ||
                 json_string_length(num) != strlen(number))
            PROBLEM("at most %d bytes", CATALOG_NUMBER_MAX);
        else {
            for (const char *p = number; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    PROBLEM("must not contain control characters");
                    break;
                }
            if (!bad &&
                (isspace((unsigned char)number[0]) ||
                 (number[0] && isspace((unsigned char)number[strlen(number) - 1]))))
                PROBLEM("must not begin or end with a space");
        }
        if (number && !*number)
            number = NULL;
    }
    const json_t *t = json_object_get(e, "title"), *te = json_object_get(e, "title_en");
    bad |= !text_ok(t, CATALOG_TITLE_MAX, prefix, "title", problems);
    bad |= !text_ok(te, CATALOG_TITLE_MAX, prefix, "title_en", problems);
    bad |= !text_ok(json_object_get(e, "scope"), CATALOG_SCOPE_MAX, prefix, "scope",
                    problems);
    bad |= !text_ok(json_object_get(e, "source"), CATALOG_SOURCE_MAX, prefix, "source",
                    problems);
    const char *title = json_string_value(t), *title_en = json_string_value(te);
    if (blank(title) && blank(title_en)) {
        member = "title";
        PROBLEM("a title in Chinese (title) or English (title_en) is required");
    }
    member = "kind";
    const json_t *kv = json_object_get(e, "kind");
    const char *kind = json_string_value(kv);
    if (kv && !json_is_null(kv) && !in_list(kind, kinds, sizeof kinds / sizeof kinds[0]))
        PROBLEM("must be one of national, industry, local, group, international, other");
    if (!kind)
        kind = catalog_kind_guess(number);
    if (!kind)
        kind = "other";
    member = "status";
    const json_t *sv = json_object_get(e, "status");
    const char *status = json_string_value(sv);
    if (sv && !json_is_null(sv) && !in_list(status, cat_statuses, 2))
        PROBLEM("must be published or planned");
    if (!status)
        status = number ? "published" : "planned";
    member = "classification";
    const json_t *cls = json_object_get(e, "classification");
    if (cls && !json_is_null(cls)) {
        const json_t *c = json_object_get(cls, "category"),
                     *sc = json_object_get(cls, "subcategory");
        if (!json_is_object(cls))
            PROBLEM("must be an object {category, subcategory}");
        else if (!store_token_ok(json_string_value(c), STORE_CODE_MAX))
            PROBLEM("category must be a node code");
        else if (sc && !json_is_null(sc) &&
                 !store_token_ok(json_string_value(sc), STORE_CODE_MAX))
            PROBLEM("subcategory must be null or a node code");
        else if (json_object_size(cls) > 2 || (json_object_size(cls) == 2 && !sc))
            PROBLEM("only category and subcategory are allowed");
    }
    char id[CAT_ID_MAX];
    if (number)
        snprintf(id, sizeof id, "%s", number);
    else
        draft_id(title, title_en, id);
    member = "id";
    const json_t *idv = json_object_get(e, "id");
    if (idv && !json_is_null(idv) &&
        (!json_is_string(idv) || strcmp(json_string_value(idv), id) != 0))
        PROBLEM("the id of an entry is its number (or derived from its titles): %s", id);
    if (bad)
        return stdtax_error_set(err, STDTAX_EINVAL, prefix, "invalid catalogue entry");
    json_t *o = json_deep_copy(e);
    if (!o || json_object_set_new(o, "id", json_string(id)) ||
        json_object_set_new(o, "kind", json_string(kind)) ||
        json_object_set_new(o, "status", json_string(status))) {
        json_decref(o);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (!number)
        json_object_del(o, "number");
    *out = o;
    return 0;
}

#undef PROBLEM

/* ---- catalogue counts ------------------------------------------------------------ */

#define CNT_MAX 5
#define CNT_KEY_MAX (2 + STORE_CODE_MAX + 1)

struct cat_keys {
    size_t n;
    char k[CNT_MAX][CNT_KEY_MAX];
};

static void cat_keys_make(const json_t *e, struct cat_keys *ck)
{
    const json_t *cls = json_object_get(e, "classification");
    const char *cat = json_string_value(json_object_get(cls, "category"));
    const char *sub = json_string_value(json_object_get(cls, "subcategory"));
    ck->n = 0;
    snprintf(ck->k[ck->n++], CNT_KEY_MAX, "*");
    snprintf(ck->k[ck->n++], CNT_KEY_MAX, "k%c%s", STORE_SEP,
             json_string_value(json_object_get(e, "kind")));
    snprintf(ck->k[ck->n++], CNT_KEY_MAX, "s%c%s", STORE_SEP,
             json_string_value(json_object_get(e, "status")));
    if (cat)
        snprintf(ck->k[ck->n++], CNT_KEY_MAX, "n%c%s", STORE_SEP, cat);
    if (cat && sub && strcmp(cat, sub) != 0)
        snprintf(ck->k[ck->n++], CNT_KEY_MAX, "n%c%s", STORE_SEP, sub);
}

static int cnt_add(struct store *s, MDB_txn *txn, const char *key, int delta)
{
    MDB_val k = val_of(key, strlen(key)), v;
    uint64_t n = 0;
    int rc = mdb_get(txn, s->dbi_cat_counts, &k, &v);
    if (rc == 0)
        n = store_u64_get(&v);
    else if (rc != MDB_NOTFOUND)
        return rc;
    if (delta < 0 && n == 0)
        return 0; /* only corruption gets here; check reports it */
    n += (uint64_t)(int64_t)delta;
    if (n == 0) {
        rc = mdb_del(txn, s->dbi_cat_counts, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    v = val_of(&n, sizeof n);
    return mdb_put(txn, s->dbi_cat_counts, &k, &v, 0);
}

static int cat_counts_apply(struct store *s, MDB_txn *txn, const json_t *e, int delta)
{
    struct cat_keys ck;
    cat_keys_make(e, &ck);
    for (size_t i = 0; i < ck.n; i++) {
        int rc = cnt_add(s, txn, ck.k[i], delta);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- import, get, delete ------------------------------------------------------- */

static int catalogue_ready(struct store *s, struct stdtax_error *err)
{
    if (s->has_catalog)
        return 0;
    return stdtax_error_set(err, STDTAX_ESTORE, s->dir,
                            "the store in %s has no catalogue yet: open it once for "
                            "writing",
                            s->dir);
}

struct import {
    json_t **entries; /* normalised, NULL when invalid */
    size_t n;
    size_t created, updated, unchanged;
};

static int import_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct import *im = arg;
    im->created = im->updated = im->unchanged = 0;
    for (size_t i = 0; i < im->n; i++) {
        json_t *e = im->entries[i];
        if (!e)
            continue;
        const char *id = json_string_value(json_object_get(e, "id"));
        char *json = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        if (!json)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        MDB_val k = val_of(id, strlen(id)), v;
        int rc = mdb_get(txn, s->dbi_catalog, &k, &v);
        if (rc == 0 && v.mv_size == strlen(json) &&
            memcmp(v.mv_data, json, v.mv_size) == 0) {
            im->unchanged++;
            free(json);
            continue;
        }
        if (rc == 0) {
            json_t *old = json_loadb(v.mv_data, v.mv_size, 0, NULL);
            if (old)
                rc = cat_counts_apply(s, txn, old, -1);
            json_decref(old);
            im->updated++;
        } else if (rc == MDB_NOTFOUND) {
            rc = 0;
            im->created++;
        }
        v = val_of(json, strlen(json));
        if (!rc)
            rc = mdb_put(txn, s->dbi_catalog, &k, &v, 0);
        free(json);
        if (!rc)
            rc = cat_counts_apply(s, txn, e, 1);
        if (!rc)
            rc = store_sim_put(s, txn, 'c', id, e, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

int store_catalog_import(struct store *s, const json_t *entries, json_t **report,
                         json_t *problems, struct stdtax_error *err)
{
    if (report)
        *report = NULL;
    int rc = catalogue_ready(s, err);
    if (rc)
        return rc;
    if (!json_is_array(entries))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the catalogue must be an array");
    size_t n = json_array_size(entries), invalid = 0;
    if (n > CATALOG_IMPORT_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "%zu entries, at most %d in one import", n,
                                CATALOG_IMPORT_MAX);
    struct import im = {calloc(n ? n : 1, sizeof(json_t *)), n, 0, 0, 0};
    if (!im.entries)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char prefix[32];
        struct stdtax_error e2;
        snprintf(prefix, sizeof prefix, "/%zu", i);
        if (catalog_entry_check(json_array_get(entries, i), prefix, &im.entries[i],
                                problems, &e2) != 0)
            invalid++;
    }
    rc = store_write(s, import_body, &im, err);
    for (size_t i = 0; i < n; i++)
        json_decref(im.entries[i]);
    free(im.entries);
    if (rc)
        return rc;
    if (report)
        *report = json_pack("{s:I, s:I, s:I, s:I, s:I}", "received", (json_int_t)n,
                            "created", (json_int_t)im.created, "updated",
                            (json_int_t)im.updated, "unchanged", (json_int_t)im.unchanged,
                            "invalid", (json_int_t)invalid);
    return 0;
}

static int id_ok(const char *id)
{
    return id && *id && strlen(id) <= CATALOG_NUMBER_MAX;
}

int store_catalog_get(struct store *s, const char *id, json_t **out,
                      struct stdtax_error *err)
{
    *out = NULL;
    if (!id_ok(id) || !s->has_catalog)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no catalogue entry %s",
                                id ? id : "");
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    MDB_val k = val_of(id, strlen(id)), v;
    rc = mdb_get(txn, s->dbi_catalog, &k, &v);
    if (rc == 0) {
        *out = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (!*out)
            rc = stdtax_error_set(err, STDTAX_ESTORE, "",
                                  "catalogue entry %s is not JSON", id);
    } else if (rc == MDB_NOTFOUND) {
        rc = stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no catalogue entry %s", id);
    } else {
        rc = store_mdb_error(s, rc, "read the catalogue", err);
    }
    store_read_end(s, txn);
    return rc;
}

static int delete_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    const char *id = arg;
    MDB_val k = val_of(id, strlen(id)), v;
    int rc = mdb_get(txn, s->dbi_catalog, &k, &v);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no catalogue entry %s",
                                id);
    if (rc)
        return rc;
    json_t *old = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    if (old)
        rc = cat_counts_apply(s, txn, old, -1);
    json_decref(old);
    if (!rc)
        rc = mdb_del(txn, s->dbi_catalog, &k, NULL);
    if (!rc)
        rc = store_sim_del(s, txn, 'c', id);
    return rc;
}

int store_catalog_delete(struct store *s, const char *id, struct stdtax_error *err)
{
    int rc = catalogue_ready(s, err);
    if (rc)
        return rc;
    if (!id_ok(id))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no catalogue entry %s",
                                id ? id : "");
    return store_write(s, delete_body, (void *)id, err);
}

/* ---- listing and counts ---------------------------------------------------------- */

static const char hexd[] = "0123456789abcdef";

static char *hex_encode(const void *data, size_t n)
{
    const unsigned char *p = data;
    char *c = malloc(2 * n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        c[2 * i] = hexd[p[i] >> 4];
        c[2 * i + 1] = hexd[p[i] & 15];
    }
    c[2 * n] = 0;
    return c;
}

static int hex_decode(const char *c, char *out, size_t max, size_t *n)
{
    size_t l = strlen(c);
    if (l == 0 || l % 2 || l / 2 > max)
        return 0;
    for (size_t i = 0; i < l; i += 2) {
        const char *a = strchr(hexd, c[i]), *b = strchr(hexd, c[i + 1]);
        if (!c[i] || !c[i + 1] || !a || !b)
            return 0;
        out[i / 2] = (char)((a - hexd) << 4 | (b - hexd));
    }
    *n = l / 2;
    return 1;
}

static int entry_matches(const json_t *e, const struct catalog_filter *f,
                         const struct tq_query *q)
{
    if (f->kind && !in_list(json_string_value(json_object_get(e, "kind")), &f->kind, 1))
        return 0;
    if (f->status &&
        !in_list(json_string_value(json_object_get(e, "status")), &f->status, 1))
        return 0;
    if (f->category) {
        const json_t *cls = json_object_get(e, "classification");
        const char *c = json_string_value(json_object_get(cls, "category"));
        const char *sc = json_string_value(json_object_get(cls, "subcategory"));
        if (!in_list(c, &f->category, 1) && !in_list(sc, &f->category, 1))
            return 0;
    }
    if (q) {
        static const char *const searched[] = {"number", "title", "title_en"};
        const char *val[3];
        size_t len[3];
        for (size_t i = 0; i < 3; i++) {
            val[i] = json_string_value(json_object_get(e, searched[i]));
            len[i] = val[i] ? strlen(val[i]) : 0;
        }
        if (!tq_fields_match(q, val, len, 3))
            return 0;
    }
    return 1;
}

int store_catalog_list(struct store *s, const struct catalog_filter *f,
                       const char *cursor, size_t limit, json_t **items,
                       char **next_cursor, struct stdtax_error *err)
{
    static const struct catalog_filter none;
    char start[CAT_ID_MAX];
    size_t start_len = 0;
    *items = NULL;
    *next_cursor = NULL;
    if (!f)
        f = &none;
    if (limit < 1 || limit > STORE_LIST_LIMIT_MAX)
        return stdtax_error_set(err, STDTAX_EINVAL, "/limit", "limit is 1 to %d",
                                STORE_LIST_LIMIT_MAX);
    if (cursor && !hex_decode(cursor, start, sizeof start - 1, &start_len))
        return stdtax_error_set(err, STDTAX_EINVAL, "/cursor",
                                "not a cursor of this list");
    struct tq_query *q = NULL;
    if (f->q && *f->q) {
        int qrc = tq_query_new(f->q, &q, err);
        if (qrc) {
            if (err)
                snprintf(err->field, sizeof err->field, "/q");
            return qrc;
        }
    }
    json_t *arr = json_array();
    if (!arr) {
        tq_query_free(q);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (!s->has_catalog) {
        tq_query_free(q);
        *items = arr;
        return 0;
    }
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc) {
        tq_query_free(q);
        json_decref(arr);
        return rc;
    }
    MDB_cursor *c;
    MDB_val k = val_of(start, start_len), v;
    rc = mdb_cursor_open(txn, s->dbi_catalog, &c);
    if (!rc) {
        rc = mdb_cursor_get(c, &k, &v, start_len ? MDB_SET_RANGE : MDB_FIRST);
        if (rc == 0 && start_len && k.mv_size == start_len &&
            memcmp(k.mv_data, start, start_len) == 0)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        size_t scanned = 0;
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (json_array_size(arr) == limit || scanned == STORE_LIST_SCAN_MAX) {
                /* more follows: the cursor is the last key read */
                MDB_val last = k;
                mdb_cursor_get(c, &last, &v, MDB_PREV);
                *next_cursor = hex_encode(last.mv_data, last.mv_size);
                rc = MDB_NOTFOUND;
                break;
            }
            scanned++;
            json_t *e = json_loadb(v.mv_data, v.mv_size, 0, NULL);
            if (e && entry_matches(e, f, q))
                json_array_append(arr, e);
            json_decref(e);
        }
        mdb_cursor_close(c);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    else if (rc)
        rc = store_mdb_error(s, rc, "list the catalogue", err);
    store_read_end(s, txn);
    tq_query_free(q);
    if (rc) {
        json_decref(arr);
        free(*next_cursor);
        *next_cursor = NULL;
        return rc;
    }
    *items = arr;
    return 0;
}

int store_catalog_counts(struct store *s, json_t **out, struct stdtax_error *err)
{
    json_t *o = json_pack("{s:I, s:{}, s:{}, s:{}}", "total", (json_int_t)0, "nodes",
                          "kinds", "statuses");
    *out = NULL;
    if (!o)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (!s->has_catalog) {
        *out = o;
        return 0;
    }
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc) {
        json_decref(o);
        return rc;
    }
    MDB_cursor *c;
    MDB_val k, v;
    rc = mdb_cursor_open(txn, s->dbi_cat_counts, &c);
    for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *p = k.mv_data;
        json_int_t n = (json_int_t)store_u64_get(&v);
        char name[CNT_KEY_MAX];
        if (k.mv_size == 1 && p[0] == '*') {
            json_object_set_new(o, "total", json_integer(n));
            continue;
        }
        if (k.mv_size < 3 || k.mv_size - 2 >= sizeof name || p[1] != STORE_SEP)
            continue;
        memcpy(name, p + 2, k.mv_size - 2);
        name[k.mv_size - 2] = 0;
        const char *group = p[0] == 'k' ? "kinds" : p[0] == 's' ? "statuses" : "nodes";
        json_object_set_new(json_object_get(o, group), name, json_integer(n));
    }
    if (c)
        mdb_cursor_close(c);
    store_read_end(s, txn);
    if (rc != MDB_NOTFOUND) {
        json_decref(o);
        return store_mdb_error(s, rc, "read the catalogue counts", err);
    }
    *out = o;
    return 0;
}

/* ---- overlap query ---------------------------------------------------------------- */

/* A band entry met while probing: it points into the map, valid while the read
 * transaction lasts. */
struct cand {
    const char *key; /* source byte + id */
    size_t len;
    unsigned hits; /* bands shared with the query: ranks the candidates */
};

struct hit {
    size_t cand;
    double sim;
    int qfield; /* index into the query's fields */
    int rfield; /* index into fp_members */
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

static int hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->sim != y->sim)
        return x->sim > y->sim ? -1 : 1;
    return (x->cand > y->cand) - (x->cand < y->cand);
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

static int probe_set(MDB_cursor *cur, const uint32_t *h, size_t n, int nbands,
                     unsigned what, struct probe *p)
{
    if (n == 0)
        return 0;
    uint64_t sig[SIM_HASHES], bands[SIM_BANDS];
    sim_minhash_n(h, n, sig, nbands * SIM_ROWS);
    sim_bands_n(sig, bands, nbands);
    for (int b = 0; b < nbands; b++) {
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

struct qfield {
    const char *name;
    const char *text;
    struct sim_set set;
};

/* The output item of a hit, or NULL when the record is gone or withdrawn. */
static json_t *hit_item(struct store *s, MDB_txn *txn, const struct cand *c,
                        const struct hit *h, const struct qfield *qf)
{
    int cat = c->key[0] == 'c';
    MDB_val k = val_of(c->key, c->len), v;
    if (mdb_get(txn, s->dbi_sim_sig, &k, &v) != 0)
        return NULL;
    json_t *sum = fp_summary(&v);
    if (!sum)
        return NULL;
    const char *status = json_string_value(json_object_get(sum, "status"));
    if (!cat && status && strcmp(status, "withdrawn") == 0) {
        json_decref(sum);
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:s%}", "source", cat ? "catalog" : "proposal", "id",
                          c->key + 1, c->len - 1);
    if (!o) {
        json_decref(sum);
        return NULL;
    }
    json_object_update(o, sum);
    json_object_set_new(o, "similarity",
                        json_real((double)(int)(h->sim * 1000 + 0.5) / 1000));
    json_object_set_new(o, "field", json_string(qf[h->qfield].name));
    json_object_set_new(o, "matched_field", json_string(fp_members[h->rfield]));
    const char *rtext = json_string_value(json_object_get(sum, fp_members[h->rfield]));
    json_t *rec = NULL;
    if (!rtext) { /* the scope is not in the summary: read the record */
        MDB_val rk = val_of(c->key + 1, c->len - 1), rv;
        if (mdb_get(txn, cat ? s->dbi_catalog : s->dbi_proposals, &rk, &rv) == 0)
            rec = json_loadb(rv.mv_data, rv.mv_size, 0, NULL);
        rtext = json_string_value(json_object_get(rec, fp_members[h->rfield]));
    }
    json_object_set_new(o, "spans", sim_spans_json(qf[h->qfield].text, rtext));
    json_decref(rec);
    json_decref(sum);
    return o;
}

/* Scores one candidate; fills h and returns its similarity. */
static double score(const struct qfield *qf, const struct fp *r, struct hit *h)
{
    struct sim_set q[SIM_FIELDS];
    struct sim_match m;
    for (int i = 0; i < SIM_FIELDS; i++)
        q[i] = qf[i].set;
    h->sim = sim_fields_score(q, r->f, &m);
    h->qfield = m.qfield;
    h->rfield = m.rfield;
    return h->sim;
}

int store_overlap_find(struct store *s, const struct overlap_query *q, json_t **out,
                       struct stdtax_error *err)
{
    struct qfield qf[FP_FIELDS] = {{"title", q->title, {0}},
                                   {"title_en", q->title_en, {0}},
                                   {"scope", q->scope, {0}}};
    struct probe p = {0};
    struct hit *hits = NULL;
    size_t n_hits = 0, perfect = 0, limit = q->limit ? q->limit : 10;
    unsigned what = q->what ? q->what : OVERLAP_STANDARDS | OVERLAP_PROPOSALS;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    json_t *arr = NULL;
    int rc = 0;
    *out = NULL;
    if (limit > OVERLAP_LIMIT_MAX)
        limit = OVERLAP_LIMIT_MAX;
    if (!(arr = json_array())) {
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        goto done;
    }
    /* No band entry (no catalogue, no proposal yet): no candidate can exist, and the
     * fingerprints (most of a query's cost) need not be made; the texts are still
     * checked as making them would. */
    int empty = !s->has_catalog;
    if (!empty) {
        MDB_stat st;
        if ((rc = store_read_begin(s, &txn, err)) != 0)
            goto done;
        if ((rc = mdb_stat(txn, s->dbi_sim_band, &st)) != 0)
            goto mdb;
        empty = st.ms_entries == 0;
    }
    for (int i = 0; i < FP_FIELDS; i++) {
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
    if ((rc = mdb_cursor_open(txn, s->dbi_sim_band, &cur)) != 0)
        goto mdb;
    /* Probe every field whole, and a mixed-language title by script as well: each part
     * of it meets the record's title in that language. */
    for (int i = 0; i < FP_FIELDS && !rc; i++) {
        const struct sim_set *t = &qf[i].set;
        if (i == 2 && t->n < SIM_SCOPE_SHINGLES_MIN)
            break;
        rc = probe_set(cur, t->h, t->n, field_bands(i), what, &p);
        if (!rc && i < 2 && t->n_cjk >= 2 && t->n - t->n_cjk >= 2) {
            rc = probe_set(cur, t->h, t->n_cjk, SIM_BANDS, what, &p);
            if (!rc)
                rc =
                    probe_set(cur, t->h + t->n_cjk, t->n - t->n_cjk, SIM_BANDS, what, &p);
        }
    }
    if (rc == STDTAX_ENOMEM)
        goto oom;
    if (rc)
        goto mdb;
    /* Candidates ranked by the bands they share with the query (the MinHash estimate
     * of their similarity); only the best are scored exactly. */
    if (p.n)
        qsort(p.c, p.n, sizeof *p.c, cand_hits_cmp);
    if (p.n > OVERLAP_CANDIDATES_MAX)
        p.n = OVERLAP_CANDIDATES_MAX;
    if (p.n && !(hits = malloc(p.n * sizeof *hits)))
        goto oom;
    for (size_t i = 0; i < p.n; i++) {
        if (p.c[i].key[0] == 'p' && q->exclude_id &&
            p.c[i].len - 1 == strlen(q->exclude_id) &&
            memcmp(p.c[i].key + 1, q->exclude_id, p.c[i].len - 1) == 0)
            continue;
        MDB_val k = val_of(p.c[i].key, p.c[i].len), v;
        struct fp r;
        if (mdb_get(txn, s->dbi_sim_sig, &k, &v) != 0 || fp_decode(&v, &r) != 0)
            continue;
        struct hit h = {.cand = i};
        if (score(qf, &r, &h) >= q->threshold && h.sim > 0)
            hits[n_hits++] = h;
        fp_free(&r);
        /* Nothing beats a perfect score: a flood of copies stops the scoring early
         * (twice the limit, as withdrawn proposals are dropped later). */
        if (h.sim >= 1.0 && ++perfect >= 2 * limit)
            break;
    }
    if (n_hits)
        qsort(hits, n_hits, sizeof *hits, hit_cmp);
    for (size_t i = 0; i < n_hits && json_array_size(arr) < limit; i++) {
        json_t *item = hit_item(s, txn, &p.c[hits[i].cand], &hits[i], qf);
        if (item)
            json_array_append_new(arr, item);
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
    if (txn)
        store_read_end(s, txn);
    for (int i = 0; i < FP_FIELDS; i++)
        sim_set_free(&qf[i].set);
    free(p.c);
    free(p.slot);
    free(hits);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int store_idem_find(struct store *s, const char *key, char id[STORE_ID_MAX],
                    struct stdtax_error *err)
{
    id[0] = 0;
    if (!store_token_ok(key, STORE_IDEM_KEY_MAX + 1))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "", "no such idempotency key");
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    MDB_val k = val_of(key, strlen(key)), v;
    rc = mdb_get(txn, s->dbi_idem, &k, &v);
    if (rc == 0) {
        size_t n = strnlen(v.mv_data, v.mv_size);
        snprintf(id, STORE_ID_MAX, "%.*s", (int)(n < STORE_ID_MAX ? n : STORE_ID_MAX - 1),
                 (const char *)v.mv_data);
    } else if (rc == MDB_NOTFOUND) {
        rc = stdtax_error_set(err, STDTAX_ENOTFOUND, "", "no such idempotency key");
    } else {
        rc = store_mdb_error(s, rc, "read an idempotency key", err);
    }
    store_read_end(s, txn);
    return rc;
}

/* ---- check ------------------------------------------------------------------------ */

struct check {
    json_t *report;
    json_t *expected; /* count key -> n */
    size_t fp_expected, fp_missing, fp_stale, fp_extra, band_missing, bands_expected;
};

static int check_fp(struct store *s, MDB_txn *txn, char source, const char *id,
                    const json_t *rec, struct check *ck)
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

static int check_walk(struct store *s, MDB_txn *txn, MDB_dbi dbi, char source,
                      struct check *ck, size_t *records)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char id[SIG_KEY_MAX];
        if (k.mv_size >= sizeof id)
            continue;
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = 0;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (!rec)
            continue;
        (*records)++;
        if (source == 'c') {
            struct cat_keys keys;
            cat_keys_make(rec, &keys);
            for (size_t i = 0; i < keys.n; i++) {
                json_t *n = json_object_get(ck->expected, keys.k[i]);
                json_object_set_new(ck->expected, keys.k[i],
                                    json_integer(n ? json_integer_value(n) + 1 : 1));
            }
        }
        int r2 = check_fp(s, txn, source, id, rec, ck);
        json_decref(rec);
        if (r2) {
            rc = r2;
            break;
        }
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void key_show(char *out, size_t size, const char *k, size_t n)
{
    snprintf(out, size, "%.*s", (int)n, k);
    for (char *p = out; *p; p++)
        if (*p == STORE_SEP)
            *p = '|';
}

int store_catalog_check(struct store *s, json_t **report, struct stdtax_error *err)
{
    struct check ck = {0};
    size_t entries = 0, proposals = 0, diffs = 0;
    *report = NULL;
    int rc = catalogue_ready(s, err);
    if (rc)
        return rc;
    json_t *items = json_array();
    ck.expected = json_object();
    if (!items || !ck.expected) {
        json_decref(items);
        json_decref(ck.expected);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    MDB_txn *txn;
    if ((rc = store_read_begin(s, &txn, err)) != 0) {
        json_decref(items);
        json_decref(ck.expected);
        return rc;
    }
    rc = check_walk(s, txn, s->dbi_catalog, 'c', &ck, &entries);
    if (!rc)
        rc = check_walk(s, txn, s->dbi_proposals, 'p', &ck, &proposals);
    MDB_cursor *c = NULL;
    MDB_val k, v;
    if (!rc && (rc = mdb_cursor_open(txn, s->dbi_cat_counts, &c)) == 0) {
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            char key[CNT_KEY_MAX + 1];
            if (k.mv_size >= sizeof key)
                continue;
            memcpy(key, k.mv_data, k.mv_size);
            key[k.mv_size] = 0;
            json_int_t stored = (json_int_t)store_u64_get(&v);
            json_t *e = json_object_get(ck.expected, key);
            json_int_t want = e ? json_integer_value(e) : 0;
            if (stored != want) {
                char show[CNT_KEY_MAX + 1];
                key_show(show, sizeof show, key, strlen(key));
                diffs++;
                if (json_array_size(items) < 100)
                    json_array_append_new(items,
                                          json_pack("{s:s, s:I, s:I}", "key", show,
                                                    "stored", stored, "expected", want));
            }
            json_object_del(ck.expected, key);
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        const char *key;
        json_t *e;
        json_object_foreach(ck.expected, key, e)
        {
            char show[CNT_KEY_MAX + 1];
            key_show(show, sizeof show, key, strlen(key));
            diffs++;
            if (json_array_size(items) < 100)
                json_array_append_new(
                    items, json_pack("{s:s, s:I, s:I}", "key", show, "stored",
                                     (json_int_t)0, "expected", json_integer_value(e)));
        }
    }
    MDB_stat st_sig, st_band;
    if (!rc)
        rc = mdb_stat(txn, s->dbi_sim_sig, &st_sig);
    if (!rc)
        rc = mdb_stat(txn, s->dbi_sim_band, &st_band);
    store_read_end(s, txn);
    json_decref(ck.expected);
    if (rc) {
        json_decref(items);
        return rc == STDTAX_ENOMEM ? stdtax_error_set(err, rc, "", "out of memory")
                                   : store_mdb_error(s, rc, "check the catalogue", err);
    }
    /* Fingerprints and bands that belong to no record show as a surplus. */
    size_t fp_present = ck.fp_expected - ck.fp_missing;
    ck.fp_extra = st_sig.ms_entries > fp_present ? st_sig.ms_entries - fp_present : 0;
    size_t band_present = ck.bands_expected - ck.band_missing;
    size_t band_extra =
        st_band.ms_entries > band_present ? st_band.ms_entries - band_present : 0;
    int ok = diffs == 0 && ck.fp_missing == 0 && ck.fp_stale == 0 && ck.fp_extra == 0 &&
             ck.band_missing == 0 && band_extra == 0;
    *report = json_pack("{s:b, s:I, s:I, s:{s:I, s:o}, s:{s:I, s:I, s:I}, s:{s:I, s:I}}",
                        "ok", ok, "entries", (json_int_t)entries, "proposals",
                        (json_int_t)proposals, "counts", "differences", (json_int_t)diffs,
                        "items", items, "fingerprints", "missing",
                        (json_int_t)ck.fp_missing, "stale", (json_int_t)ck.fp_stale,
                        "extra", (json_int_t)ck.fp_extra, "bands", "missing",
                        (json_int_t)ck.band_missing, "extra", (json_int_t)band_extra);
    if (!*report)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* ---- repair ----------------------------------------------------------------------- */

#define REPAIR_CHUNK 2000

struct repair {
    MDB_dbi dbi;
    char source;
    char start[SIG_KEY_MAX]; /* last key done; empty at the beginning */
    size_t start_len;
    char next[SIG_KEY_MAX]; /* written by the body, adopted after its commit */
    size_t next_len;
    size_t done; /* records of this chunk */
    int end;
};

static int repair_clear(struct store *s, MDB_txn *txn, void *arg,
                        struct stdtax_error *err)
{
    (void)arg;
    (void)err;
    int rc = mdb_drop(txn, s->dbi_sim_sig, 0);
    if (!rc)
        rc = mdb_drop(txn, s->dbi_sim_band, 0);
    if (!rc)
        rc = mdb_drop(txn, s->dbi_cat_counts, 0);
    return rc;
}

static int repair_chunk(struct store *s, MDB_txn *txn, void *arg,
                        struct stdtax_error *err)
{
    (void)err;
    struct repair *r = arg;
    MDB_cursor *c;
    MDB_val k = val_of(r->start, r->start_len), v;
    r->done = 0;
    r->end = 0;
    r->next_len = r->start_len;
    memcpy(r->next, r->start, r->start_len);
    int rc = mdb_cursor_open(txn, r->dbi, &c);
    if (rc)
        return rc;
    rc = mdb_cursor_get(c, &k, &v, r->start_len ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && r->start_len && k.mv_size == r->start_len &&
        memcmp(k.mv_data, r->start, r->start_len) == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    for (; rc == 0 && r->done < REPAIR_CHUNK; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char id[SIG_KEY_MAX];
        if (k.mv_size >= sizeof id)
            continue;
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = 0;
        memcpy(r->next, k.mv_data, k.mv_size);
        r->next_len = k.mv_size;
        r->done++;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (!rec)
            continue; /* store_check reports records that are not JSON */
        int r2 = r->source == 'c' ? cat_counts_apply(s, txn, rec, 1) : 0;
        if (!r2)
            r2 = store_sim_put(s, txn, r->source, id, rec, NULL);
        json_decref(rec);
        if (r2) {
            mdb_cursor_close(c);
            return r2;
        }
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) {
        r->end = 1;
        rc = 0;
    }
    return rc;
}

int store_catalog_repair(struct store *s, json_t **report, struct stdtax_error *err)
{
    size_t total[2] = {0, 0};
    if (report)
        *report = NULL;
    int rc = catalogue_ready(s, err);
    if (!rc)
        rc = store_write(s, repair_clear, NULL, err);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        struct repair r = {.dbi = pass ? s->dbi_proposals : s->dbi_catalog,
                           .source = pass ? 'p' : 'c'};
        do {
            if ((rc = store_write(s, repair_chunk, &r, err)) != 0)
                break;
            total[pass] += r.done;
            memcpy(r.start, r.next, r.next_len);
            r.start_len = r.next_len;
        } while (!r.end);
    }
    if (rc)
        return rc;
    if (report && !(*report = json_pack("{s:I, s:I}", "entries", (json_int_t)total[0],
                                        "proposals", (json_int_t)total[1])))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}
