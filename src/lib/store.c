/* The proposals of the store: opening it (the environment is store_env.c), record keys,
 * the group index, the record's stored text and the write operations.
 * Queries are in store_query.c.  Layouts: doc/store.md. */
#include "store_internal.h"
#include "stdtax/date.h"
#include "stdtax/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tracks[] = {"local", "group"};
static const char *const statuses[] = {"submitted",         "under-review",
                                       "recommended-local", "recommended-group",
                                       "rejected",          "withdrawn"};

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- record keys --------------------------------------------------------- */

static const char *str_at(const json_t *rec, const char *a, const char *b)
{
    const json_t *v = json_object_get(rec, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static void cnt_key(char *out, const char *call, const char *track, const char *status,
                    char kind, const char *value)
{
    snprintf(out, STORE_CNT_KEY_MAX, "%s%c%s%c%s%c%c%c%s", call, STORE_SEP, track,
             STORE_SEP, status, STORE_SEP, kind, STORE_SEP, value);
}

static int has_idx(const struct store_keys *k, const char *key)
{
    for (size_t i = 0; i < k->n_idx; i++)
        if (strcmp(k->idx[i], key) == 0)
            return 1;
    return 0;
}

static void add_idx(struct store_keys *k, char kind, const char *value)
{
    char key[STORE_IDX_KEY_MAX];
    snprintf(key, sizeof key, "%c%c%s", kind, STORE_SEP, value);
    if (!has_idx(k, key))
        memcpy(k->idx[k->n_idx++], key, sizeof key);
}

int store_keys_make(const json_t *rec, const char *id, struct store_keys *k,
                    struct stdtax_error *err)
{
    memset(k, 0, sizeof *k);
    if (!json_is_object(rec))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "a record must be a JSON object");
    if (!store_id_ok(id))
        return stdtax_error_set(err, STDTAX_EINVAL, "/id",
                                "an id is 1 to %d characters of A-Z a-z 0-9 . _ -",
                                STORE_ID_MAX - 1);
    snprintf(k->id, sizeof k->id, "%s", id);

    const char *call = str_at(rec, "call", NULL);
    const char *track = str_at(rec, "track", NULL);
    const char *status = str_at(rec, "status", NULL);
    const char *received = str_at(rec, "received", NULL);
    const json_t *cls = json_object_get(rec, "classification");
    const char *cat = str_at(rec, "classification", "category");
    const json_t *sub_v = json_object_get(cls, "subcategory");
    const json_t *topics = json_object_get(rec, "priority_topics");
    int64_t usec;

    if (!store_token_ok(call, STORE_CALL_MAX))
        return stdtax_error_set(err, STDTAX_EINVAL, "/call",
                                "call must be 1 to %d printable ASCII characters",
                                STORE_CALL_MAX);
    if (!track || !in_list(track, tracks, 2))
        return stdtax_error_set(err, STDTAX_EINVAL, "/track",
                                "track must be \"local\" or \"group\"");
    if (!status || !in_list(status, statuses, sizeof statuses / sizeof statuses[0]))
        return stdtax_error_set(err, STDTAX_EINVAL, "/status",
                                "status must be one of submitted, under-review, "
                                "recommended-local, recommended-group, rejected, "
                                "withdrawn");
    if (!received || date_time_parse(received, strlen(received), &usec) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/received",
                                "received must be an RFC 3339 date-time");
    if (!store_token_ok(cat, STORE_CODE_MAX))
        return stdtax_error_set(err, STDTAX_EINVAL, "/classification/category",
                                "category must be a node code of 1 to %d printable "
                                "ASCII characters",
                                STORE_CODE_MAX);
    const char *sub = NULL;
    if (sub_v && !json_is_null(sub_v)) {
        sub = json_string_value(sub_v);
        if (!store_token_ok(sub, STORE_CODE_MAX))
            return stdtax_error_set(err, STDTAX_EINVAL, "/classification/subcategory",
                                    "subcategory must be null or a node code of 1 to %d "
                                    "printable ASCII characters",
                                    STORE_CODE_MAX);
    }
    if (topics && !json_is_null(topics)) {
        if (!json_is_array(topics))
            return stdtax_error_set(err, STDTAX_EINVAL, "/priority_topics",
                                    "priority_topics must be an array of topic codes");
        if (json_array_size(topics) > STORE_TOPICS_MAX)
            return stdtax_error_set(err, STDTAX_EINVAL, "/priority_topics",
                                    "at most %d priority topics", STORE_TOPICS_MAX);
        for (size_t i = 0; i < json_array_size(topics); i++)
            if (!store_token_ok(json_string_value(json_array_get(topics, i)),
                                STORE_CODE_MAX))
                return stdtax_error_set(err, STDTAX_EINVAL, "/priority_topics",
                                        "item %zu is not a topic code of 1 to %d "
                                        "printable ASCII characters",
                                        i, STORE_CODE_MAX);
    }

    /* Sign bit flipped and big-endian, so memcmp order is time order. */
    uint64_t u = (uint64_t)usec ^ (UINT64_C(1) << 63);
    for (int i = 0; i < 8; i++)
        k->data[i] = (unsigned char)(u >> (56 - 8 * i));
    size_t idlen = strlen(id);
    memcpy(k->data + 8, id, idlen);
    k->data_len = 8 + idlen;

    add_idx(k, 'a', "");
    add_idx(k, 'c', call);
    add_idx(k, 't', track);
    add_idx(k, 's', status);
    add_idx(k, 'n', cat);
    if (sub)
        add_idx(k, 'n', sub);
    size_t first_topic = k->n_idx;
    for (size_t i = 0; topics && i < json_array_size(topics); i++)
        add_idx(k, 'p', json_string_value(json_array_get(topics, i)));

    /* Count keys: one per record, one per node (the parent counts its
     * subcategory's records too), one per distinct topic. */
    cnt_key(k->cnt[k->n_cnt++], call, track, status, '*', "");
    cnt_key(k->cnt[k->n_cnt++], call, track, status, 'n', cat);
    if (sub && strcmp(sub, cat) != 0)
        cnt_key(k->cnt[k->n_cnt++], call, track, status, 'n', sub);
    for (size_t i = first_topic; i < k->n_idx; i++)
        cnt_key(k->cnt[k->n_cnt++], call, track, status, 'p', k->idx[i] + 2);
    return 0;
}

static MDB_val val_str(const char *s)
{
    MDB_val v = {strlen(s), (void *)s};
    return v;
}

static int count_add(struct store *s, MDB_txn *txn, const char *key, int delta)
{
    MDB_val k = val_str(key), v;
    uint64_t n = 0;
    int rc = mdb_get(txn, s->dbi_counts, &k, &v);
    if (rc == 0)
        n = store_u64_get(&v);
    else if (rc != MDB_NOTFOUND)
        return rc;
    /* A count below zero can only come from corruption: clamp, `stdtax check`
     * reports it, and the record operation still goes through. */
    if (delta < 0 && n < (uint64_t)-delta)
        n = 0;
    else
        n += (uint64_t)(int64_t)delta;
    if (n == 0) {
        rc = mdb_del(txn, s->dbi_counts, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    v.mv_size = sizeof n;
    v.mv_data = &n;
    return mdb_put(txn, s->dbi_counts, &k, &v, 0);
}

static int idx_put(struct store *s, MDB_txn *txn, const char *key,
                   const struct store_keys *k)
{
    MDB_val kv = val_str(key), dv = {k->data_len, (void *)k->data};
    int rc = mdb_put(txn, s->dbi_index, &kv, &dv, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : rc;
}

static int idx_del(struct store *s, MDB_txn *txn, const char *key,
                   const struct store_keys *k)
{
    MDB_val kv = val_str(key), dv = {k->data_len, (void *)k->data};
    int rc = mdb_del(txn, s->dbi_index, &kv, &dv);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_keys_add(struct store *s, MDB_txn *txn, const struct store_keys *k)
{
    int rc = 0;
    for (size_t i = 0; i < k->n_idx && !rc; i++)
        rc = idx_put(s, txn, k->idx[i], k);
    for (size_t i = 0; i < k->n_cnt && !rc; i++)
        rc = count_add(s, txn, k->cnt[i], 1);
    return rc;
}

static int keys_remove(struct store *s, MDB_txn *txn, const struct store_keys *k)
{
    int rc = 0;
    for (size_t i = 0; i < k->n_idx && !rc; i++)
        rc = idx_del(s, txn, k->idx[i], k);
    for (size_t i = 0; i < k->n_cnt && !rc; i++)
        rc = count_add(s, txn, k->cnt[i], -1);
    return rc;
}

static int cnt_in(const struct store_keys *k, const char *key)
{
    for (size_t i = 0; i < k->n_cnt; i++)
        if (strcmp(k->cnt[i], key) == 0)
            return 1;
    return 0;
}

/* Moves a record from old keys to new keys touching only what differs. */
static int keys_change(struct store *s, MDB_txn *txn, const struct store_keys *o,
                       const struct store_keys *n)
{
    int same_data = o->data_len == n->data_len && !memcmp(o->data, n->data, o->data_len);
    int rc = 0;
    for (size_t i = 0; i < o->n_idx && !rc; i++)
        if (!same_data || !has_idx(n, o->idx[i]))
            rc = idx_del(s, txn, o->idx[i], o);
    for (size_t i = 0; i < n->n_idx && !rc; i++)
        if (!same_data || !has_idx(o, n->idx[i]))
            rc = idx_put(s, txn, n->idx[i], n);
    for (size_t i = 0; i < o->n_cnt && !rc; i++)
        if (!cnt_in(n, o->cnt[i]))
            rc = count_add(s, txn, o->cnt[i], -1);
    for (size_t i = 0; i < n->n_cnt && !rc; i++)
        if (!cnt_in(o, n->cnt[i]))
            rc = count_add(s, txn, n->cnt[i], 1);
    return rc;
}

/* ---- the group index ---------------------------------------------------------- */

static int groups_open(struct store *s, MDB_txn *txn, unsigned create)
{
    int rc = mdb_dbi_open(txn, "group", create | MDB_DUPSORT, &s->dbi_group);
    if (!rc)
        rc = mdb_dbi_open(txn, "group_of", create, &s->dbi_group_of);
    if (!rc)
        s->has_groups = 1;
    return rc;
}

static int group_ok(const char *g)
{
    return store_token_ok(g, STORE_GROUP_KEY_MAX + 1);
}

static int group_add(struct store *s, MDB_txn *txn, const char *group, const char *id)
{
    MDB_val k = val_str(group), v = val_str(id);
    int rc = mdb_put(txn, s->dbi_group, &k, &v, MDB_NODUPDATA);
    if (rc == MDB_KEYEXIST)
        rc = 0;
    if (!rc)
        rc = mdb_put(txn, s->dbi_group_of, &v, &k, 0);
    return rc;
}

static int group_remove(struct store *s, MDB_txn *txn, const char *id)
{
    MDB_val k = val_str(id), v;
    char gb[STORE_GROUP_KEY_MAX];
    int rc = mdb_get(txn, s->dbi_group_of, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (!rc && v.mv_size <= sizeof gb) {
        memcpy(gb, v.mv_data, v.mv_size); /* the del below may move its page */
        MDB_val g = {v.mv_size, gb};
        rc = mdb_del(txn, s->dbi_group, &g, &k);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = mdb_del(txn, s->dbi_group_of, &k, NULL);
    return rc;
}

/* The group index of a version-1 store, from its records through the caller's
 * group_of (store_options). */
static int groups_build(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_proposals, &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char id[STORE_ID_MAX], group[STORE_GROUP_KEY_MAX + 1];
        if (k.mv_size >= STORE_ID_MAX)
            continue;
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = 0;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        int grouped = rec && s->group_of(rec, group, s->group_arg) == 0 &&
                      group_ok(group) && store_id_ok(id);
        json_decref(rec);
        if (grouped && (rc = group_add(s, txn, group, id)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The named databases of the layers above the environment, in open's transaction; a
 * version-1 store opened for writing gets its group index (store_options.group_of). */
static int open_dbs(struct store *s, struct stdtax_error *err)
{
    MDB_txn *txn;
    unsigned create = s->read_only ? 0 : MDB_CREATE;
    long version;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return store_mdb_error(s, rc, "open the store", err);
    if ((rc = store_env_meta(s, txn, &version, err)) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    if (version != STORE_SCHEMA_VERSION && !s->read_only && !s->group_of) {
        mdb_txn_abort(txn);
        return store_version_refused(s, version, err);
    }
    if (!(rc = mdb_dbi_open(txn, "proposals", create, &s->dbi_proposals)) &&
        !(rc = mdb_dbi_open(txn, "index", create | MDB_DUPSORT, &s->dbi_index)) &&
        !(rc = mdb_dbi_open(txn, "counts", create, &s->dbi_counts)))
        rc = mdb_dbi_open(txn, "idempotency", create, &s->dbi_idem);
    if (!rc)
        rc = store_catalog_dbs_open(s, txn);
    if (!rc)
        rc = store_material_dbs_open(s, txn);
    if (!rc && version >= 2) {
        rc = groups_open(s, txn, create);
    } else if (!rc && !s->read_only) {
        rc = groups_open(s, txn, MDB_CREATE);
        if (!rc)
            rc = groups_build(s, txn);
        if (!rc)
            rc = store_version_write(s, txn);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return store_mdb_error(s, rc, "open the named databases", err);
    }
    /* Committing (also a read-only one) keeps the database handles open. */
    rc = mdb_txn_commit(txn);
    return rc ? store_mdb_error(s, rc, "create the store", err) : 0;
}

int store_open(const char *dir, const struct store_options *opts, struct store **out,
               struct stdtax_error *err)
{
    struct store *s;
    *out = NULL;
    int rc = store_env_open(dir, opts, &s, err);
    if (rc)
        return rc;
    if ((rc = open_dbs(s, err)) != 0) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- writes ---------------------------------------------------------------- */

struct batch {
    struct store_put_item *items;
    const struct store_record_text **texts; /* texts[i]: the text of items[i] */
    size_t n;
};

static int seq_next(struct store *s, MDB_txn *txn, const char *call, uint64_t *out)
{
    char key[8 + STORE_CALL_MAX];
    snprintf(key, sizeof key, "seq%c%s", STORE_SEP, call);
    MDB_val k = val_str(key), v;
    uint64_t n = 0;
    int rc = mdb_get(txn, s->dbi_meta, &k, &v);
    if (rc == 0)
        n = store_u64_get(&v);
    else if (rc != MDB_NOTFOUND)
        return rc;
    n++;
    v.mv_size = sizeof n;
    v.mv_data = &n;
    *out = n;
    return mdb_put(txn, s->dbi_meta, &k, &v, 0);
}

/* ---- record text ----------------------------------------------------------------
 * Sorted keys and reals that read back as the same double (the bytes
 * json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) makes, through jsonw: jansson's own dump
 * cost a third of a whole POST /v1/proposals). */

static void text_fail(struct store_record_text *t, int rc, const char *why)
{
    free(t->text);
    t->text = NULL;
    t->rc = stdtax_error_set(&t->err, rc, "", "%s", why);
}

void store_record_encode(const json_t *record, struct store_record_text *t)
{
    memset(t, 0, sizeof *t);
    if (!json_is_object(record)) {
        text_fail(t, STDTAX_EINVAL, "a record must be an object");
        return;
    }
    struct jsonw_member *m, id = {"id", 2, NULL};
    size_t n;
    if (jsonw_members_sorted(record, &m, &n) != 0) {
        text_fail(t, STDTAX_ENOMEM, "out of memory");
        return;
    }
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_EXACT, JSONW_SORT_KEYS);
    jsonw_object_begin(&w);
    for (size_t i = 0, id_written = 0; i <= n; i++) {
        int c = i < n ? jsonw_member_cmp(&m[i], &id) : 1;
        if (c >= 0 && !id_written) {
            /* "id":"" in its place: the id, known only inside the write, goes between
             * the quotes. */
            JSONW_KEY(&w, "id");
            jsonw_string(&w, "");
            t->split = w.len - 1;
            id_written = 1;
        }
        if (c == 0 || i == n)
            continue;
        jsonw_keyn(&w, m[i].key, m[i].len);
        jsonw_value(&w, m[i].value);
    }
    jsonw_object_end(&w);
    free(m);
    int rc = jsonw_finish(&w, &t->text, &t->len);
    if (rc == STDTAX_ENOMEM)
        text_fail(t, rc, "out of memory");
    else if (rc != 0)
        text_fail(t, STDTAX_EINVAL, "the record cannot be encoded");
}

void store_record_text_free(struct store_record_text *t)
{
    free(t->text);
    t->text = NULL;
}

/* The stored text of a record (new, in *json): t with the id between the quotes of its
 * "id":"" (an id is [A-Za-z0-9._-], nothing to escape). */
static int record_join(const struct store_record_text *t, const char *id, char **json,
                       size_t *len, struct stdtax_error *err)
{
    if (!t->text)
        return stdtax_error_set(err, t->rc ? t->rc : STDTAX_ENOMEM, t->err.field, "%s",
                                t->rc ? t->err.text : "out of memory");
    size_t idlen = strlen(id);
    *len = t->len + idlen;
    if (*len > STORE_RECORD_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "the record has %zu bytes, over %d", *len,
                                STORE_RECORD_MAX);
    char *p = *json = malloc(*len + 1);
    if (!p)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    memcpy(p, t->text, t->split);
    memcpy(p + t->split, id, idlen);
    memcpy(p + t->split + idlen, t->text + t->split, t->len - t->split + 1);
    return 0;
}

/* The stored text of rec with id (new, in *json). */
static int record_dump(json_t *rec, const char *id, char **json, size_t *len,
                       struct stdtax_error *err)
{
    struct store_record_text t;
    store_record_encode(rec, &t);
    int rc = record_join(&t, id, json, len, err);
    store_record_text_free(&t);
    return rc;
}

/* One item of a batch; returns an LMDB code (aborts the batch) or 0, and puts
 * item-level problems into it->rc. */
static int put_one(struct store *s, MDB_txn *txn, struct store_put_item *it,
                   const struct store_record_text *text)
{
    struct store_keys keys;
    int rc;
    it->rc = 0;
    it->created = 0;
    it->id[0] = 0;
    it->duplicate_of[0] = 0;
    memset(&it->err, 0, sizeof it->err);
    if (!json_is_object(it->record)) {
        it->rc =
            stdtax_error_set(&it->err, STDTAX_EINVAL, "", "a record must be an object");
        return 0;
    }
    if (it->idem_key) {
        if (!store_token_ok(it->idem_key, STORE_IDEM_KEY_MAX + 1) ||
            !store_token_ok(it->request_hash, STORE_HASH_MAX + 1)) {
            it->rc = stdtax_error_set(&it->err, STDTAX_EINVAL, "",
                                      "an idempotency key (up to %d) and request hash "
                                      "(up to %d) are printable ASCII",
                                      STORE_IDEM_KEY_MAX, STORE_HASH_MAX);
            return 0;
        }
        MDB_val k = val_str(it->idem_key), v;
        rc = mdb_get(txn, s->dbi_idem, &k, &v);
        if (rc == 0 && !store_idem_expired(s, &v, time(NULL))) {
            if (!store_idem_match(&v, it->request_hash, it->id)) {
                it->id[0] = 0;
                it->rc = stdtax_error_set(
                    &it->err, STDTAX_ECONFLICT, "",
                    "idempotency key %s was used for another request", it->idem_key);
            }
            return 0;
        }
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
    }

    if (it->group && !group_ok(it->group)) {
        it->rc = stdtax_error_set(&it->err, STDTAX_EINVAL, "",
                                  "a group key is 1 to %d printable ASCII characters",
                                  STORE_GROUP_KEY_MAX);
        return 0;
    }
    if (it->group && it->duplicate) {
        /* After the replay above, before an id is taken: the records of the group this
         * transaction sees include those stored by earlier items of the batch. */
        rc = store_group_duplicate(s, txn, it->group, it->duplicate, it->duplicate_arg,
                                   it->duplicate_of);
        if (rc)
            return rc;
        if (it->duplicate_of[0]) {
            it->rc = stdtax_error_set(&it->err, STDTAX_ECONFLICT, "", "a duplicate of %s",
                                      it->duplicate_of);
            return 0;
        }
    }

    const json_t *idv = json_object_get(it->record, "id");
    const char *call = json_string_value(json_object_get(it->record, "call"));
    if (idv && !json_is_null(idv)) {
        if (!store_id_ok(json_string_value(idv))) {
            it->rc = stdtax_error_set(&it->err, STDTAX_EINVAL, "/id",
                                      "an id is 1 to %d characters of A-Z a-z 0-9 . _ -",
                                      STORE_ID_MAX - 1);
            return 0;
        }
        snprintf(it->id, sizeof it->id, "%s", json_string_value(idv));
    } else if (!store_id_ok(call) || strlen(call) > STORE_CALL_MAX) {
        it->rc = stdtax_error_set(&it->err, STDTAX_EINVAL, "/call",
                                  "call must be 1 to %d characters of A-Z a-z 0-9 . _ - "
                                  "to derive an id",
                                  STORE_CALL_MAX);
        return 0;
    } else {
        /* Validate before consuming a sequence number. */
        if ((it->rc = store_keys_make(it->record, "P", &keys, &it->err)) != 0)
            return 0;
        for (;;) {
            uint64_t n;
            if ((rc = seq_next(s, txn, call, &n)) != 0)
                return rc;
            snprintf(it->id, sizeof it->id, "P%s-%06" PRIu64, call, n);
            MDB_val k = val_str(it->id), v;
            rc = mdb_get(txn, s->dbi_proposals, &k, &v);
            if (rc == MDB_NOTFOUND)
                break; /* an imported record may have taken a generated id */
            if (rc != 0)
                return rc;
        }
    }
    if ((it->rc = store_keys_make(it->record, it->id, &keys, &it->err)) != 0) {
        it->id[0] = 0;
        return 0;
    }
    char *json;
    size_t len = 0;
    if ((it->rc = record_join(text, it->id, &json, &len, &it->err)) != 0) {
        it->id[0] = 0;
        return 0;
    }
    MDB_val k = val_str(it->id), v = {len, json};
    rc = mdb_put(txn, s->dbi_proposals, &k, &v, MDB_NOOVERWRITE);
    free(json);
    if (rc == MDB_KEYEXIST) {
        it->rc = stdtax_error_set(&it->err, STDTAX_ECONFLICT, "/id",
                                  "a proposal with id %s exists", it->id);
        it->id[0] = 0;
        return 0;
    }
    if (!rc)
        rc = store_keys_add(s, txn, &keys);
    if (!rc) /* the overlap index (store_sim.c) */
        rc = store_sim_put(s, txn, 'p', it->id, it->record, it->fp);
    if (!rc && it->group && s->has_groups)
        rc = group_add(s, txn, it->group, it->id);
    if (!rc && it->idem_key) {
        char buf[STORE_ID_MAX + STORE_HASH_MAX + 32];
        MDB_val ik = val_str(it->idem_key),
                iv = {store_idem_value(buf, sizeof buf, it->id, it->request_hash,
                                       time(NULL)),
                      buf};
        rc = iv.mv_size ? mdb_put(txn, s->dbi_idem, &ik, &iv, 0) : STDTAX_ENOMEM;
    }
    if (!rc)
        it->created = 1;
    return rc;
}

static int put_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    (void)err;
    struct batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        int rc = put_one(s, txn, &b->items[i], b->texts[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int store_proposal_put_batch(struct store *s, struct store_put_item *items, size_t n,
                             struct stdtax_error *err)
{
    /* Every record is encoded before the write transaction begins: the writer is one
     * at a time, and jansson's dump costs more than the rest of a put. */
    const struct store_record_text **texts = calloc(n ? n : 1, sizeof *texts);
    struct store_record_text *own = calloc(n ? n : 1, sizeof *own);
    if (!texts || !own) {
        free(texts);
        free(own);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].text) {
            texts[i] = items[i].text;
        } else {
            store_record_encode(items[i].record, &own[i]);
            texts[i] = &own[i];
        }
    }
    struct batch b = {items, texts, n};
    int rc = store_write(s, put_body, &b, err);
    for (size_t i = 0; i < n; i++)
        store_record_text_free(&own[i]);
    free(own);
    free(texts);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == 0 && items[i].created)
            json_object_set_new(items[i].record, "id", json_string(items[i].id));
    return 0;
}

int store_proposal_put(struct store *s, json_t *record, const char *idem_key,
                       const char *request_hash, char id[STORE_ID_MAX], int *created,
                       struct stdtax_error *err)
{
    struct store_put_item it = {
        .record = record, .idem_key = idem_key, .request_hash = request_hash};
    if (idem_key && !request_hash)
        return stdtax_error_set(err, STDTAX_EINVAL, "",
                                "an idempotency key needs a hash");
    int rc = store_proposal_put_batch(s, &it, 1, err);
    if (rc)
        return rc;
    if (it.rc) {
        if (err)
            *err = it.err;
        return it.rc;
    }
    if (id)
        memcpy(id, it.id, STORE_ID_MAX);
    if (created)
        *created = it.created;
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
    MDB_val k = val_str(key), v;
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

static int record_load(const MDB_val *v, json_t **out, struct stdtax_error *err)
{
    json_error_t jerr;
    *out = json_loadb(v->mv_data, v->mv_size, 0, &jerr);
    if (!*out)
        return stdtax_error_set(err, STDTAX_ESTORE, "", "a stored record is not JSON: %s",
                                jerr.text);
    return 0;
}

int store_proposal_get(struct store *s, const char *id, json_t **out,
                       struct stdtax_error *err)
{
    *out = NULL;
    if (!store_id_ok(id))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal with that id");
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    MDB_val k = val_str(id), v;
    rc = mdb_get(txn, s->dbi_proposals, &k, &v);
    if (rc == 0)
        rc = record_load(&v, out, err);
    else if (rc == MDB_NOTFOUND)
        rc = stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal %s", id);
    else
        rc = store_mdb_error(s, rc, "read a proposal", err);
    store_read_end(s, txn);
    return rc;
}

struct update {
    const char *id;
    json_t *replacement; /* replace */
    store_update_fn fn;  /* or update */
    void *arg;
    json_t *result;
};

static int update_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct update *u = arg;
    MDB_val k = val_str(u->id), v;
    json_decref(u->result);
    u->result = NULL;
    int rc = mdb_get(txn, s->dbi_proposals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal %s", u->id);
    if (rc)
        return rc;
    json_t *old;
    if ((rc = record_load(&v, &old, err)) != 0)
        return rc;
    struct store_keys ok, nk;
    struct stdtax_error kerr;
    rc = store_keys_make(old, u->id, &ok, &kerr);
    if (rc) {
        json_decref(old);
        return stdtax_error_set(err, STDTAX_ESTORE, kerr.field,
                                "stored record %s is invalid: %s", u->id, kerr.text);
    }
    /* The texts before the change: when they stay, so does the fingerprint (no
     * fingerprint is made inside the write). */
    json_t *rec, *texts = store_sim_texts(old);
    if (!texts) {
        json_decref(old);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (u->fn) {
        rec = old;
        old = NULL;
        if ((rc = u->fn(rec, u->arg, err)) != 0) {
            json_decref(rec);
            json_decref(texts);
            return rc;
        }
    } else {
        json_decref(old);
        rec = json_incref(u->replacement);
    }
    json_t *now = store_sim_texts(rec);
    int same_texts = now && json_equal(texts, now);
    json_decref(now);
    json_decref(texts);
    const json_t *idv = json_object_get(rec, "id");
    if (idv && !json_is_null(idv) &&
        (!json_is_string(idv) || strcmp(json_string_value(idv), u->id) != 0)) {
        json_decref(rec);
        return stdtax_error_set(err, STDTAX_EINVAL, "/id",
                                "the id of a proposal is fixed");
    }
    char *json;
    size_t len;
    if ((rc = store_keys_make(rec, u->id, &nk, err)) != 0 ||
        (rc = record_dump(rec, u->id, &json, &len, err)) != 0) {
        json_decref(rec);
        return rc;
    }
    v.mv_size = len;
    v.mv_data = json;
    rc = mdb_put(txn, s->dbi_proposals, &k, &v, 0);
    free(json);
    if (!rc)
        rc = keys_change(s, txn, &ok, &nk);
    if (!rc) /* the overlap index (store_sim.c) */
        rc = same_texts ? store_sim_restate(s, txn, 'p', u->id, rec)
                        : store_sim_put(s, txn, 'p', u->id, rec, NULL);
    if (rc) {
        json_decref(rec);
        return rc;
    }
    u->result = rec;
    return 0;
}

static int update_run(struct store *s, struct update *u, json_t **out,
                      struct stdtax_error *err)
{
    if (!store_id_ok(u->id))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal with that id");
    int rc = store_write(s, update_body, u, err);
    if (rc == 0) {
        json_object_set_new(u->result, "id", json_string(u->id));
        if (out)
            *out = json_incref(u->result);
    }
    json_decref(u->result);
    return rc;
}

int store_proposal_replace(struct store *s, const char *id, json_t *record,
                           struct stdtax_error *err)
{
    if (!json_is_object(record))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "a record must be a JSON object");
    struct update u = {.id = id, .replacement = record};
    return update_run(s, &u, NULL, err);
}

int store_proposal_update(struct store *s, const char *id, store_update_fn fn, void *arg,
                          json_t **out, struct stdtax_error *err)
{
    if (out)
        *out = NULL;
    struct update u = {.id = id, .fn = fn, .arg = arg};
    return update_run(s, &u, out, err);
}

struct update_batch {
    const char *const *ids;
    void *const *args;
    size_t n;
    store_update_fn fn;
};

static int update_batch_body(struct store *s, MDB_txn *txn, void *arg,
                             struct stdtax_error *err)
{
    const struct update_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        struct update u = {.id = b->ids[i], .fn = b->fn, .arg = b->args[i]};
        int rc = store_id_ok(u.id) ? update_body(s, txn, &u, err) : STDTAX_ENOTFOUND;
        json_decref(u.result);
        if (rc != 0 && rc != STDTAX_ENOTFOUND)
            return rc;
    }
    return 0;
}

int store_proposal_update_batch(struct store *s, const char *const *ids,
                                void *const *args, size_t n, store_update_fn fn,
                                struct stdtax_error *err)
{
    struct update_batch b = {ids, args, n, fn};
    return n ? store_write(s, update_batch_body, &b, err) : 0;
}

static int delete_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    const char *id = arg;
    MDB_val k = val_str(id), v;
    int rc = mdb_get(txn, s->dbi_proposals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal %s", id);
    if (rc)
        return rc;
    json_t *old;
    if ((rc = record_load(&v, &old, err)) != 0)
        return rc;
    struct store_keys keys;
    /* A record whose keys cannot be derived still goes; check reports the rest. */
    int bad = store_keys_make(old, id, &keys, NULL);
    json_decref(old);
    rc = mdb_del(txn, s->dbi_proposals, &k, NULL);
    if (!rc && !bad)
        rc = keys_remove(s, txn, &keys);
    if (!rc) /* the overlap index (store_sim.c) */
        rc = store_sim_del(s, txn, 'p', id);
    if (!rc && s->has_groups)
        rc = group_remove(s, txn, id);
    return rc;
}

int store_proposal_delete(struct store *s, const char *id, struct stdtax_error *err)
{
    if (!store_id_ok(id))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal with that id");
    return store_write(s, delete_body, (void *)id, err);
}
