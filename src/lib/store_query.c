/* Store queries: counts, coverage, listing, check/repair and raw statistics. */
#include "store_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_ITEMS_MAX 100

static int oom(struct stdtax_error *err)
{
    return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
}

static void obj_add(json_t *obj, const char *key, uint64_t n)
{
    json_t *v = json_object_get(obj, key);
    json_int_t cur = v ? json_integer_value(v) : 0;
    json_object_set_new(obj, key, json_integer(cur + (json_int_t)n));
}

/* ---- counts ---------------------------------------------------------------- */

/* Splits a counts key into its five fields (in place in buf). */
static int cnt_split(const MDB_val *k, char *buf, size_t cap, char *f[5])
{
    if (k->mv_size >= cap)
        return 0;
    memcpy(buf, k->mv_data, k->mv_size);
    buf[k->mv_size] = 0;
    f[0] = buf;
    for (int i = 1; i < 5; i++) {
        char *sep = strchr(f[i - 1], STORE_SEP);
        if (!sep)
            return 0;
        *sep = 0;
        f[i] = sep + 1;
    }
    return strlen(f[3]) == 1;
}

int store_counts_get(struct store *s, const struct store_filter *f, json_t **out,
                     struct stdtax_error *err)
{
    static const struct store_filter none;
    if (!f)
        f = &none;
    *out = NULL;
    /* The key order call, track, status lets a call (and track, status) filter
     * read only its own range. */
    char prefix[STORE_CNT_KEY_MAX] = "";
    if (f->call) {
        int n = snprintf(prefix, sizeof prefix, "%s%c", f->call, STORE_SEP);
        if (f->track)
            n += snprintf(prefix + n, sizeof prefix - (size_t)n, "%s%c", f->track,
                          STORE_SEP);
        if (f->track && f->status)
            snprintf(prefix + n, sizeof prefix - (size_t)n, "%s%c", f->status, STORE_SEP);
    }
    size_t plen = strlen(prefix);
    json_t *res = json_pack("{s:I, s:{}, s:{}, s:{}, s:{}, s:{}}", "total", (json_int_t)0,
                            "nodes", "tracks", "statuses", "topics", "calls");
    if (!res)
        return oom(err);
    json_t *nodes = json_object_get(res, "nodes"),
           *tracks = json_object_get(res, "tracks"),
           *stats = json_object_get(res, "statuses"),
           *topics = json_object_get(res, "topics"),
           *calls = json_object_get(res, "calls");
    uint64_t total = 0;

    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = store_read_begin(s, &txn, err);
    if (rc) {
        json_decref(res);
        return rc;
    }
    rc = mdb_cursor_open(txn, s->dbi_counts, &cur);
    if (rc) {
        store_read_end(s, txn);
        json_decref(res);
        return store_mdb_error(s, rc, "read counts", err);
    }
    MDB_val k = {plen, prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        char buf[STORE_CNT_KEY_MAX], *fl[5];
        if (!cnt_split(&k, buf, sizeof buf, fl))
            continue;
        if ((f->call && strcmp(fl[0], f->call)) ||
            (f->track && strcmp(fl[1], f->track)) ||
            (f->status && strcmp(fl[2], f->status)))
            continue;
        uint64_t n = store_u64_get(&v);
        char kind = fl[3][0];
        if (kind == '*')
            obj_add(stats, fl[2], n);
        if (!f->status && !f->include_withdrawn && strcmp(fl[2], "withdrawn") == 0)
            continue;
        if (kind == '*') {
            total += n;
            obj_add(tracks, fl[1], n);
            obj_add(calls, fl[0], n);
        } else if (kind == 'n') {
            obj_add(nodes, fl[4], n);
        } else if (kind == 'p') {
            obj_add(topics, fl[4], n);
        }
    }
    mdb_cursor_close(cur);
    store_read_end(s, txn);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        json_decref(res);
        return store_mdb_error(s, rc, "read counts", err);
    }
    json_object_set_new(res, "total", json_integer((json_int_t)total));
    *out = res;
    return 0;
}

/* ---- coverage -------------------------------------------------------------- */

struct gap {
    uint64_t missing;
    const char *code;
    json_t *obj;
};

static int gap_cmp(const void *a, const void *b)
{
    const struct gap *x = a, *y = b;
    if (x->missing != y->missing)
        return x->missing > y->missing ? -1 : 1;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    /* a node before a topic of the same code */
    return json_is_true(json_object_get(x->obj, "priority")) -
           json_is_true(json_object_get(y->obj, "priority"));
}

static json_t *labels(const char *zh, const char *en)
{
    return json_pack("{s:s?, s:s?}", "zh", zh, "en", en);
}

int store_coverage_get(struct store *s, const struct store_filter *f,
                       const struct store_coverage_nodes *tx, uint64_t min, json_t **out,
                       struct stdtax_error *err)
{
    *out = NULL;
    if (!tx)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no taxonomy given");
    json_t *counts;
    int rc = store_counts_get(s, f, &counts, err);
    if (rc)
        return rc;
    json_t *nc = json_object_get(counts, "nodes"),
           *tc = json_object_get(counts, "topics");
    struct gap *gaps = calloc(tx->n_nodes + tx->n_topics + 1, sizeof *gaps);
    size_t n = 0;
    if (!gaps) {
        json_decref(counts);
        return oom(err);
    }
    for (size_t i = 0; i < tx->n_nodes; i++) {
        const struct store_coverage_node *nd = &tx->nodes[i];
        if (!nd->code)
            continue;
        uint64_t c = (uint64_t)json_integer_value(json_object_get(nc, nd->code));
        if (c >= min)
            continue;
        gaps[n].missing = min - c;
        gaps[n].code = nd->code;
        gaps[n].obj = json_pack(
            "{s:s, s:s, s:s?, s:o, s:I, s:I, s:b}", "kind", "node", "code", nd->code,
            "parent", nd->parent, "labels", labels(nd->label_zh, nd->label_en), "count",
            (json_int_t)c, "missing", (json_int_t)(min - c), "priority", 0);
        n++;
    }
    for (size_t i = 0; i < tx->n_topics; i++) {
        const struct store_coverage_topic *tp = &tx->topics[i];
        if (!tp->code)
            continue;
        uint64_t c = (uint64_t)json_integer_value(json_object_get(tc, tp->code));
        if (c >= min)
            continue;
        json_t *tn = json_array();
        for (size_t j = 0; j < tp->n_nodes; j++)
            json_array_append_new(tn, json_string(tp->nodes[j]));
        gaps[n].missing = min - c;
        gaps[n].code = tp->code;
        gaps[n].obj = json_pack(
            "{s:s, s:s, s:o, s:o, s:I, s:I, s:b}", "kind", "topic", "code", tp->code,
            "nodes", tn, "labels", labels(tp->label_zh, tp->label_en), "count",
            (json_int_t)c, "missing", (json_int_t)(min - c), "priority", 1);
        n++;
    }
    json_decref(counts);
    qsort(gaps, n, sizeof *gaps, gap_cmp);
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; i < n; i++) {
        if (!gaps[i].obj || json_array_append_new(arr, gaps[i].obj) != 0)
            bad = 1;
    }
    free(gaps);
    if (bad) {
        json_decref(arr);
        return oom(err);
    }
    json_t *res = json_pack("{s:I, s:o}", "min", (json_int_t)min, "gaps", arr);
    if (!res)
        return oom(err); /* json_pack released arr */
    *out = res;
    return 0;
}

/* ---- listing --------------------------------------------------------------- */

static const char hexd[] = "0123456789abcdef";

static char *cursor_encode(const MDB_val *d)
{
    size_t idlen = d->mv_size - 8;
    char *c = malloc(16 + idlen + 1);
    if (!c)
        return NULL;
    const unsigned char *p = d->mv_data;
    for (int i = 0; i < 8; i++) {
        c[2 * i] = hexd[p[i] >> 4];
        c[2 * i + 1] = hexd[p[i] & 15];
    }
    memcpy(c + 16, p + 8, idlen);
    c[16 + idlen] = 0;
    return c;
}

static int cursor_decode(const char *c, unsigned char *data, size_t *len)
{
    if (!c || strlen(c) < 17 || !store_id_ok(c + 16))
        return 0;
    for (int i = 0; i < 16; i++) {
        const char *h = strchr(hexd, c[i]);
        if (!h || !c[i])
            return 0;
        int nib = (int)(h - hexd);
        if (i % 2 == 0)
            data[i / 2] = (unsigned char)(nib << 4);
        else
            data[i / 2] |= (unsigned char)nib;
    }
    size_t idlen = strlen(c + 16);
    memcpy(data + 8, c + 16, idlen);
    *len = 8 + idlen;
    return 1;
}

static int idx_has(MDB_cursor *c, const char *key, const MDB_val *data)
{
    MDB_val k = {strlen(key), (void *)key}, d = *data;
    return mdb_cursor_get(c, &k, &d, MDB_GET_BOTH) == 0;
}

int store_proposal_list(struct store *s, const struct store_filter *f, const char *cursor,
                        size_t limit, json_t **items, char **next_cursor,
                        struct stdtax_error *err)
{
    static const struct store_filter none;
    if (!f)
        f = &none;
    *items = NULL;
    *next_cursor = NULL;
    if (limit < 1 || limit > STORE_LIST_LIMIT_MAX)
        return stdtax_error_set(err, STDTAX_EINVAL, "/limit", "limit must be 1 to %d",
                                STORE_LIST_LIMIT_MAX);
    unsigned char start[STORE_IDX_DATA_MAX];
    size_t start_len = 0;
    if (cursor && !cursor_decode(cursor, start, &start_len))
        return stdtax_error_set(err, STDTAX_EINVAL, "/cursor",
                                "not a cursor of this list");

    const struct {
        char kind;
        const char *value;
    } dims[] = {{'c', f->call},
                {'t', f->track},
                {'s', f->status},
                {'n', f->category},
                {'p', f->topic}};
    char keys[5][STORE_IDX_KEY_MAX];
    size_t nkeys = 0;
    json_t *arr = json_array();
    if (!arr)
        return oom(err);
    for (size_t i = 0; i < 5; i++) {
        if (!dims[i].value)
            continue;
        if (!store_token_ok(dims[i].value, STORE_CODE_MAX)) {
            *items = arr; /* no record can carry this value */
            return 0;
        }
        snprintf(keys[nkeys++], STORE_IDX_KEY_MAX, "%c%c%s", dims[i].kind, STORE_SEP,
                 dims[i].value);
    }
    int skip_withdrawn = !f->status && !f->include_withdrawn;
    static const char withdrawn_key[] = "s" STORE_SEP_S "withdrawn";
    static const char all_key[] = "a" STORE_SEP_S;

    MDB_txn *txn;
    MDB_cursor *walk = NULL, *probe = NULL;
    int rc = store_read_begin(s, &txn, err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    if ((rc = mdb_cursor_open(txn, s->dbi_index, &walk)) != 0 ||
        (rc = mdb_cursor_open(txn, s->dbi_index, &probe)) != 0)
        goto out;

    /* Walk the smallest of the filter's index keys; probe the others. */
    const char *walk_key = all_key;
    size_t best = SIZE_MAX, best_i = 0;
    MDB_val k, d;
    for (size_t i = 0; i < nkeys; i++) {
        k.mv_size = strlen(keys[i]);
        k.mv_data = keys[i];
        rc = mdb_cursor_get(walk, &k, &d, MDB_SET);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            goto out; /* empty result */
        }
        size_t cnt = 0;
        if (rc || (rc = mdb_cursor_count(walk, &cnt)) != 0)
            goto out;
        if (cnt < best) {
            best = cnt;
            best_i = i;
            walk_key = keys[i];
        }
    }
    k.mv_size = strlen(walk_key);
    k.mv_data = (void *)walk_key;
    if (start_len) {
        d.mv_size = start_len;
        d.mv_data = start;
        rc = mdb_cursor_get(walk, &k, &d, MDB_GET_BOTH_RANGE);
        if (rc == 0 && d.mv_size == start_len && memcmp(d.mv_data, start, start_len) == 0)
            rc = mdb_cursor_get(walk, &k, &d, MDB_NEXT_DUP);
    } else {
        rc = mdb_cursor_get(walk, &k, &d, MDB_SET);
    }
    size_t scanned = 0, tested = 0;
    while (rc == 0) {
        scanned++;
        int match = 1;
        for (size_t i = 0; i < nkeys && match; i++)
            if (walk_key == all_key || i != best_i)
                match = idx_has(probe, keys[i], &d);
        if (match && skip_withdrawn)
            match = !idx_has(probe, withdrawn_key, &d);
        if (match) {
            MDB_val rk = {d.mv_size - 8, (char *)d.mv_data + 8}, rv;
            if (mdb_get(txn, s->dbi_proposals, &rk, &rv) == 0 &&
                (!f->match ||
                 (tested++, f->match(rv.mv_data, rv.mv_size, f->match_arg)))) {
                json_t *rec = json_loadb(rv.mv_data, rv.mv_size, 0, NULL);
                if (rec)
                    json_array_append_new(arr, rec);
            }
        }
        /* A record test reads the record's text, an index probe does not: the test
         * has its own, lower bound, after which the page ends with a cursor. */
        if (json_array_size(arr) >= limit || scanned >= STORE_LIST_SCAN_MAX ||
            tested >= STORE_LIST_TEST_MAX) {
            MDB_val last = d;
            MDB_val nk = k;
            rc = mdb_cursor_get(walk, &nk, &d, MDB_NEXT_DUP);
            if (rc == 0 && !(*next_cursor = cursor_encode(&last))) {
                mdb_cursor_close(probe);
                mdb_cursor_close(walk);
                store_read_end(s, txn);
                json_decref(arr);
                return oom(err);
            }
            break;
        }
        rc = mdb_cursor_get(walk, &k, &d, MDB_NEXT_DUP);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
out:
    if (probe)
        mdb_cursor_close(probe);
    if (walk)
        mdb_cursor_close(walk);
    store_read_end(s, txn);
    if (rc) {
        json_decref(arr);
        free(*next_cursor);
        *next_cursor = NULL;
        return store_mdb_error(s, rc, "list proposals", err);
    }
    *items = arr;
    return 0;
}

/* ---- check and repair ------------------------------------------------------ */

/* A counts or index key as readable text: the separator shown as '|'. */
static json_t *key_text(const void *p, size_t n)
{
    char buf[STORE_CNT_KEY_MAX + 1];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == STORE_SEP)
            buf[i] = '|';
        else if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
            buf[i] = '?';
    return json_string(buf);
}

static void report_item(json_t *items, json_t *item)
{
    if (json_array_size(items) < REPORT_ITEMS_MAX)
        json_array_append(items, item);
    json_decref(item);
}

struct check {
    json_t *exp_counts; /* counts key -> expected n */
    json_t *exp_index;  /* index key -> expected entries */
    json_t *bad, *cnt_items, *idx_items;
    uint64_t records, cnt_diff, idx_missing, idx_extra;
};

static int expected_of(const char *key, const struct store_keys *k)
{
    for (size_t i = 0; i < k->n_idx; i++)
        if (strcmp(k->idx[i], key) == 0)
            return 1;
    return 0;
}

/* Entries of one index key that no record accounts for. */
static int check_extras(struct store *s, MDB_txn *txn, MDB_cursor *cur, MDB_val *k,
                        struct check *c)
{
    char key[STORE_IDX_KEY_MAX];
    if (k->mv_size >= sizeof key)
        return 0;
    memcpy(key, k->mv_data, k->mv_size);
    key[k->mv_size] = 0;
    MDB_val d;
    int rc = mdb_cursor_get(cur, k, &d, MDB_FIRST_DUP);
    for (; rc == 0; rc = mdb_cursor_get(cur, k, &d, MDB_NEXT_DUP)) {
        char id[STORE_ID_MAX];
        snprintf(id, sizeof id, "%.*s", (int)(d.mv_size > 8 ? d.mv_size - 8 : 0),
                 (const char *)d.mv_data + 8);
        MDB_val rk = {strlen(id), id}, rv;
        int ok = 0;
        if (d.mv_size > 8 && mdb_get(txn, s->dbi_proposals, &rk, &rv) == 0) {
            json_t *rec = json_loadb(rv.mv_data, rv.mv_size, 0, NULL);
            struct store_keys ks;
            ok = rec && store_keys_make(rec, id, &ks, NULL) == 0 &&
                 expected_of(key, &ks) && ks.data_len == d.mv_size &&
                 !memcmp(ks.data, d.mv_data, d.mv_size);
            json_decref(rec);
        }
        if (!ok) {
            c->idx_extra++;
            report_item(c->idx_items,
                        json_pack("{s:o, s:s, s:s}", "key", key_text(key, strlen(key)),
                                  "id", id, "problem", "extra"));
        }
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void group_problem(struct check *c, const MDB_val *group, const MDB_val *id,
                          const char *problem)
{
    char key[STORE_GROUP_KEY_MAX + 8] = "g|";
    size_t n =
        group->mv_size < STORE_GROUP_KEY_MAX ? group->mv_size : STORE_GROUP_KEY_MAX;
    memcpy(key + 2, group->mv_data, n);
    *(strcmp(problem, "missing") == 0 ? &c->idx_missing : &c->idx_extra) += 1;
    report_item(c->idx_items,
                json_pack("{s:o, s:s%, s:s}", "key", key_text(key, n + 2), "id",
                          (const char *)id->mv_data,
                          id->mv_size < STORE_ID_MAX ? id->mv_size : STORE_ID_MAX - 1,
                          "problem", problem));
}

/* The group index: each record's group (group_of) is listed under its key in group,
 * and each entry there belongs to a stored record of that group. */
static int check_groups(struct store *s, MDB_txn *txn, struct check *c)
{
    if (!s->has_groups)
        return 0;
    MDB_cursor *cur, *entries;
    MDB_val k, v, x;
    int rc = mdb_cursor_open(txn, s->dbi_group_of, &cur);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->dbi_group, &entries)) != 0) {
        mdb_cursor_close(cur);
        return rc;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        MDB_val g = v, id = k;
        if (mdb_get(txn, s->dbi_proposals, &k, &x) != 0)
            group_problem(c, &v, &k, "extra");
        else if (mdb_cursor_get(entries, &g, &id, MDB_GET_BOTH) != 0)
            group_problem(c, &v, &k, "missing");
    }
    mdb_cursor_close(cur);
    cur = entries;
    if (rc != MDB_NOTFOUND) {
        mdb_cursor_close(cur);
        return rc;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (mdb_get(txn, s->dbi_group_of, &v, &x) != 0 || x.mv_size != k.mv_size ||
            memcmp(x.mv_data, k.mv_data, k.mv_size) != 0)
            group_problem(c, &k, &v, "extra");
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int check_run(struct store *s, MDB_txn *txn, struct check *c)
{
    MDB_cursor *cur, *probe;
    int rc = mdb_cursor_open(txn, s->dbi_proposals, &cur);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->dbi_index, &probe)) != 0) {
        mdb_cursor_close(cur);
        return rc;
    }
    MDB_val k, v;
    /* 1. Recount from the records; every expected index entry must exist. */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char id[STORE_ID_MAX];
        c->records++;
        snprintf(id, sizeof id, "%.*s", (int)(k.mv_size < STORE_ID_MAX ? k.mv_size : 64),
                 (const char *)k.mv_data);
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        struct store_keys ks;
        struct stdtax_error kerr = {0};
        const char *rid = json_string_value(json_object_get(rec, "id"));
        if (!rec || store_keys_make(rec, id, &ks, &kerr) != 0 || !rid ||
            strcmp(rid, id)) {
            report_item(c->bad, json_pack("{s:s, s:s}", "id", id, "problem",
                                          !rec           ? "not JSON"
                                          : kerr.text[0] ? kerr.text
                                                         : "/id differs from the key"));
            json_decref(rec);
            continue;
        }
        json_decref(rec);
        for (size_t i = 0; i < ks.n_cnt; i++)
            obj_add(c->exp_counts, ks.cnt[i], 1);
        for (size_t i = 0; i < ks.n_idx; i++) {
            MDB_val pd = {ks.data_len, ks.data};
            if (idx_has(probe, ks.idx[i], &pd)) {
                obj_add(c->exp_index, ks.idx[i], 1);
            } else {
                c->idx_missing++;
                report_item(c->idx_items,
                            json_pack("{s:o, s:s, s:s}", "key",
                                      key_text(ks.idx[i], strlen(ks.idx[i])), "id", id,
                                      "problem", "missing"));
            }
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        mdb_cursor_close(probe);
        return rc;
    }

    /* 2. Every stored count equals the recount; leftovers were never stored. */
    if ((rc = mdb_cursor_open(txn, s->dbi_counts, &cur)) != 0) {
        mdb_cursor_close(probe);
        return rc;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char key[STORE_CNT_KEY_MAX];
        uint64_t stored = store_u64_get(&v), expected = 0;
        if (k.mv_size < sizeof key) {
            memcpy(key, k.mv_data, k.mv_size);
            key[k.mv_size] = 0;
            json_t *e = json_object_get(c->exp_counts, key);
            expected = e ? (uint64_t)json_integer_value(e) : 0;
            json_object_del(c->exp_counts, key);
        }
        if (stored != expected || v.mv_size != sizeof(uint64_t)) {
            c->cnt_diff++;
            report_item(c->cnt_items,
                        json_pack("{s:o, s:I, s:I}", "key",
                                  key_text(k.mv_data, k.mv_size), "stored",
                                  (json_int_t)stored, "expected", (json_int_t)expected));
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        mdb_cursor_close(probe);
        return rc;
    }
    const char *key;
    json_t *e;
    json_object_foreach(c->exp_counts, key, e)
    {
        c->cnt_diff++;
        report_item(c->cnt_items,
                    json_pack("{s:o, s:I, s:I}", "key", key_text(key, strlen(key)),
                              "stored", (json_int_t)0, "expected",
                              json_integer_value(e)));
    }

    /* 3. Index keys with more entries than the records account for. */
    for (rc = mdb_cursor_get(probe, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(probe, &k, &v, MDB_NEXT_NODUP)) {
        char ikey[STORE_IDX_KEY_MAX] = "";
        size_t n = 0;
        if ((rc = mdb_cursor_count(probe, &n)) != 0)
            break;
        if (k.mv_size < sizeof ikey) {
            memcpy(ikey, k.mv_data, k.mv_size);
            ikey[k.mv_size] = 0;
        }
        uint64_t expected =
            (uint64_t)json_integer_value(json_object_get(c->exp_index, ikey));
        /* exp_index counts the expected entries found present, so a key with
         * more entries has extras: only such keys are read entry by entry. */
        if (n != expected && (rc = check_extras(s, txn, probe, &k, c)) != 0)
            break;
    }
    mdb_cursor_close(probe);
    if (rc == MDB_NOTFOUND || rc == 0)
        rc = check_groups(s, txn, c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_check(struct store *s, json_t **report, struct stdtax_error *err)
{
    *report = NULL;
    struct check c = {json_object(),
                      json_object(),
                      json_array(),
                      json_array(),
                      json_array(),
                      0,
                      0,
                      0,
                      0};
    if (!c.exp_counts || !c.exp_index || !c.bad || !c.cnt_items || !c.idx_items) {
        json_decref(c.exp_counts);
        json_decref(c.exp_index);
        json_decref(c.bad);
        json_decref(c.cnt_items);
        json_decref(c.idx_items);
        return oom(err);
    }
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc == 0) {
        rc = check_run(s, txn, &c);
        store_read_end(s, txn);
        if (rc)
            rc = store_mdb_error(s, rc, "check", err);
    }
    json_decref(c.exp_counts);
    json_decref(c.exp_index);
    if (rc) {
        json_decref(c.bad);
        json_decref(c.cnt_items);
        json_decref(c.idx_items);
        return rc;
    }
    int ok = json_array_size(c.bad) == 0 && c.cnt_diff == 0 && c.idx_missing == 0 &&
             c.idx_extra == 0;
    *report = json_pack("{s:b, s:I, s:o, s:{s:I, s:o}, s:{s:I, s:I, s:o}}", "ok", ok,
                        "records", (json_int_t)c.records, "bad_records", c.bad, "counts",
                        "differences", (json_int_t)c.cnt_diff, "items", c.cnt_items,
                        "indexes", "missing", (json_int_t)c.idx_missing, "extra",
                        (json_int_t)c.idx_extra, "items", c.idx_items);
    return *report ? 0 : oom(err);
}

/* The group index again from group_of, the record of each proposal's group (a group
 * entry of a record that is gone goes with it). */
static int groups_rebuild(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v, x;
    int rc = mdb_drop(txn, s->dbi_group, 0);
    if (rc || (rc = mdb_cursor_open(txn, s->dbi_group_of, &cur)) != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char gb[STORE_GROUP_KEY_MAX], ib[STORE_ID_MAX];
        if (v.mv_size > sizeof gb || k.mv_size > sizeof ib ||
            mdb_get(txn, s->dbi_proposals, &k, &x) == MDB_NOTFOUND) {
            rc = mdb_cursor_del(cur, 0);
        } else {
            /* Copies: a write may move the pages the cursor's values point into. */
            memcpy(gb, v.mv_data, v.mv_size);
            memcpy(ib, k.mv_data, k.mv_size);
            MDB_val g = {v.mv_size, gb}, id = {k.mv_size, ib};
            rc = mdb_put(txn, s->dbi_group, &g, &id, MDB_NODUPDATA);
        }
        if (rc == MDB_KEYEXIST)
            rc = 0;
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc;
}

struct repair {
    uint64_t records;
    json_t *bad;
};

static int repair_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    (void)err;
    struct repair *r = arg;
    r->records = 0;
    json_array_clear(r->bad);
    int rc = mdb_drop(txn, s->dbi_counts, 0);
    if (!rc)
        rc = mdb_drop(txn, s->dbi_index, 0);
    MDB_cursor *cur;
    if (rc || (rc = mdb_cursor_open(txn, s->dbi_proposals, &cur)) != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char id[STORE_ID_MAX];
        snprintf(id, sizeof id, "%.*s", (int)(k.mv_size < STORE_ID_MAX ? k.mv_size : 64),
                 (const char *)k.mv_data);
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        struct store_keys ks;
        if (!rec || store_keys_make(rec, id, &ks, NULL) != 0) {
            json_array_append_new(r->bad, json_string(id));
            json_decref(rec);
            continue;
        }
        json_decref(rec);
        r->records++;
        if ((rc = store_keys_add(s, txn, &ks)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND && s->has_groups)
        rc = groups_rebuild(s, txn);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_repair(struct store *s, json_t **report, struct stdtax_error *err)
{
    if (report)
        *report = NULL;
    struct repair r = {0, json_array()};
    if (!r.bad)
        return oom(err);
    int rc = store_write(s, repair_body, &r, err);
    if (rc == 0 && report)
        *report = json_pack("{s:I, s:O}", "records", (json_int_t)r.records, "bad_records",
                            r.bad);
    json_decref(r.bad);
    return rc;
}

/* ---- raw statistics -------------------------------------------------------- */

int store_stats_raw(struct store *s, json_t **out, struct stdtax_error *err)
{
    *out = NULL;
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    const struct {
        const char *name;
        MDB_dbi dbi;
    } dbs[] = {{"proposals", s->dbi_proposals},
               {"index", s->dbi_index},
               {"counts", s->dbi_counts},
               {"idempotency", s->dbi_idem},
               {"meta", s->dbi_meta}};
    json_t *entries = json_object();
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0] && entries; i++) {
        MDB_stat st;
        if ((rc = mdb_stat(txn, dbs[i].dbi, &st)) != 0)
            break;
        json_object_set_new(entries, dbs[i].name,
                            json_integer((json_int_t)st.ms_entries));
    }
    MDB_envinfo info;
    MDB_stat est;
    if (!rc)
        rc = mdb_env_info(s->env, &info);
    if (!rc)
        rc = mdb_env_stat(s->env, &est);
    size_t map_size = s->map_size;
    unsigned long resizes = s->resizes;
    store_read_end(s, txn);
    if (rc) {
        json_decref(entries);
        return store_mdb_error(s, rc, "read statistics", err);
    }
    *out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o?}", "schema_version",
                     (json_int_t)STORE_SCHEMA_VERSION, "map_size", (json_int_t)map_size,
                     "map_resizes", (json_int_t)resizes, "page_size",
                     (json_int_t)est.ms_psize, "last_page", (json_int_t)info.me_last_pgno,
                     "entries", entries);
    return *out ? 0 : oom(err);
}
