/* The catalogue of existing standards: its entries, counts, listing, check and repair
 * (the fingerprints and the overlap query: store_sim.c).  Layouts: doc/overlap.md. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_ID_MAX (CATALOG_NUMBER_MAX + 1)

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

static int id_ok(const char *id)
{
    return id && *id && strlen(id) <= CATALOG_NUMBER_MAX;
}

struct import {
    const struct store_catalog_item *items;
    size_t n;
    struct store_catalog_tally tally;
};

static int import_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct import *im = arg;
    memset(&im->tally, 0, sizeof im->tally);
    for (size_t i = 0; i < im->n; i++) {
        const json_t *e = im->items[i].entry;
        const char *id = json_string_value(json_object_get(e, "id"));
        char *json = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        if (!json)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        MDB_val k = val_of(id, strlen(id)), v;
        int rc = mdb_get(txn, s->dbi_catalog, &k, &v);
        if (rc == 0 && v.mv_size == strlen(json) &&
            memcmp(v.mv_data, json, v.mv_size) == 0) {
            im->tally.unchanged++;
            free(json);
            continue;
        }
        if (rc == 0) {
            json_t *old = json_loadb(v.mv_data, v.mv_size, 0, NULL);
            if (old)
                rc = cat_counts_apply(s, txn, old, -1);
            json_decref(old);
            im->tally.updated++;
        } else if (rc == MDB_NOTFOUND) {
            rc = 0;
            im->tally.created++;
        }
        v = val_of(json, strlen(json));
        if (!rc)
            rc = mdb_put(txn, s->dbi_catalog, &k, &v, 0);
        free(json);
        if (!rc)
            rc = cat_counts_apply(s, txn, e, 1);
        if (!rc)
            rc = store_sim_put(s, txn, 'c', id, e, im->items[i].fp);
        if (rc)
            return rc;
    }
    return 0;
}

int store_catalog_import(struct store *s, const struct store_catalog_item *items,
                         size_t n, struct store_catalog_tally *tally,
                         struct stdtax_error *err)
{
    int rc = catalogue_ready(s, err);
    if (rc)
        return rc;
    if (n > CATALOG_IMPORT_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "%zu entries, at most %d in one import", n,
                                CATALOG_IMPORT_MAX);
    for (size_t i = 0; i < n; i++)
        if (!id_ok(json_string_value(json_object_get(items[i].entry, "id"))) ||
            !items[i].fp)
            return stdtax_error_set(err, STDTAX_EINVAL, "",
                                    "catalogue entry %zu is not checked", i);
    struct import im = {items, n, {0, 0, 0}};
    rc = store_write(s, import_body, &im, err);
    if (!rc && tally)
        *tally = im.tally;
    return rc;
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

static int entry_matches(const json_t *e, const struct catalog_filter *f)
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
    return !f->match || f->match(e, f->match_arg);
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
    json_t *arr = json_array();
    if (!arr)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (!s->has_catalog) {
        *items = arr;
        return 0;
    }
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc) {
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
            if (e && entry_matches(e, f))
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

/* ---- check ------------------------------------------------------------------------ */

struct check {
    json_t *report;
    json_t *expected; /* count key -> n */
    struct store_sim_tally sim;
    size_t fp_extra;
};

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
        char id[STORE_SIG_KEY_MAX];
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
        int r2 = store_sim_check(s, txn, source, id, rec, &ck->sim);
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
    size_t fp_present = ck.sim.fp_expected - ck.sim.fp_missing;
    ck.fp_extra = st_sig.ms_entries > fp_present ? st_sig.ms_entries - fp_present : 0;
    size_t band_present = ck.sim.bands_expected - ck.sim.band_missing;
    size_t band_extra =
        st_band.ms_entries > band_present ? st_band.ms_entries - band_present : 0;
    int ok = diffs == 0 && ck.sim.fp_missing == 0 && ck.sim.fp_stale == 0 &&
             ck.fp_extra == 0 && ck.sim.band_missing == 0 && band_extra == 0;
    *report = json_pack(
        "{s:b, s:I, s:I, s:{s:I, s:o}, s:{s:I, s:I, s:I}, s:{s:I, s:I}}", "ok", ok,
        "entries", (json_int_t)entries, "proposals", (json_int_t)proposals, "counts",
        "differences", (json_int_t)diffs, "items", items, "fingerprints", "missing",
        (json_int_t)ck.sim.fp_missing, "stale", (json_int_t)ck.sim.fp_stale, "extra",
        (json_int_t)ck.fp_extra, "bands", "missing", (json_int_t)ck.sim.band_missing,
        "extra", (json_int_t)band_extra);
    if (!*report)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* ---- repair ----------------------------------------------------------------------- */

#define REPAIR_CHUNK 2000

struct repair {
    MDB_dbi dbi;
    char source;
    char start[STORE_SIG_KEY_MAX]; /* last key done; empty at the beginning */
    size_t start_len;
    char next[STORE_SIG_KEY_MAX]; /* written by the body, adopted after its commit */
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
        char id[STORE_SIG_KEY_MAX];
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
