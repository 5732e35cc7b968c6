/* The store: environment, transactions with map growth, record keys and the
 * write operations.  Queries are in store_query.c.  Layouts: doc/store.md. */
#include "store_internal.h"
#include "stdtax/date.h"
#include "stdtax/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define MIB ((size_t)1024 * 1024)
#define DEFAULT_MAP_SIZE (64 * MIB)
#define DEFAULT_MAP_MAX ((size_t)1024 * 1024 * MIB)
#define DEFAULT_READERS 256
/* Each retry doubles the map, so this is far more than any size needs. */
#define WRITE_RETRIES 48

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

int store_token_ok(const char *v, size_t max)
{
    size_t n = 0;
    if (!v || !*v)
        return 0;
    for (; v[n]; n++)
        if ((unsigned char)v[n] < 0x21 || (unsigned char)v[n] > 0x7e || n >= max)
            return 0;
    return 1;
}

int store_id_ok(const char *v)
{
    size_t n = 0;
    if (!v || !*v)
        return 0;
    for (; v[n]; n++) {
        char c = v[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n + 1 >= STORE_ID_MAX)
            return 0;
    }
    return 1;
}

uint64_t store_u64_get(const MDB_val *v)
{
    uint64_t n = 0;
    if (v->mv_size == sizeof n)
        memcpy(&n, v->mv_data, sizeof n);
    return n;
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

/* ---- errors, transactions, map growth ------------------------------------- */

int store_mdb_error(struct store *s, int rc, const char *what, struct stdtax_error *err)
{
    const char *dir = s ? s->dir : "";
    if (rc == ENOSPC)
        return stdtax_error_set(err, STDTAX_ENOSPC, dir, "%s: no space left on device",
                                what);
    if (rc == MDB_MAP_FULL)
        return stdtax_error_set(err, STDTAX_ESTORE, dir,
                                "%s: the store reached its size limit of %zu bytes", what,
                                s ? s->map_size_max : 0);
    if (rc > 0)
        return stdtax_error_set(err, STDTAX_EIO, dir, "%s: %s", what, strerror(rc));
    return stdtax_error_set(err, STDTAX_ESTORE, dir, "%s: %s", what, mdb_strerror(rc));
}

static void map_size_refresh(struct store *s)
{
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == 0)
        s->map_size = info.me_mapsize;
}

/* Another process grew the map: adopt its size (no transaction may be active). */
static int map_adopt(struct store *s)
{
    pthread_rwlock_wrlock(&s->resize_lock);
    int rc = mdb_env_set_mapsize(s->env, 0);
    map_size_refresh(s);
    pthread_rwlock_unlock(&s->resize_lock);
    return rc;
}

/* Doubles the map unless another thread already grew it past seen. */
static int map_grow(struct store *s, size_t seen)
{
    int rc = 0;
    pthread_rwlock_wrlock(&s->resize_lock);
    if (s->map_size <= seen) {
        if (seen >= s->map_size_max) {
            rc = MDB_MAP_FULL;
        } else {
            size_t next = seen > s->map_size_max / 2 ? s->map_size_max : seen * 2;
            rc = mdb_env_set_mapsize(s->env, next);
            if (rc == 0) {
                map_size_refresh(s);
                s->resizes++;
            }
        }
    }
    pthread_rwlock_unlock(&s->resize_lock);
    return rc;
}

int store_read_begin(struct store *s, MDB_txn **txn, struct stdtax_error *err)
{
    for (int i = 0; i < WRITE_RETRIES; i++) {
        pthread_rwlock_rdlock(&s->resize_lock);
        int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&s->resize_lock);
        if (rc != MDB_MAP_RESIZED || (rc = map_adopt(s)) != 0)
            return store_mdb_error(s, rc, "begin a read transaction", err);
    }
    return stdtax_error_set(err, STDTAX_ESTORE, s->dir, "the map keeps being resized");
}

void store_read_end(struct store *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize_lock);
}

/* LMDB reports a short pwrite as EIO ("short write, filesystem full?" in mdb.c): that
 * is what a full tmpfs gives, where ext4 gives ENOSPC (tests/reliability/diskfull.py).
 * A failed commit on a filesystem with almost no space left is a full disk, so that
 * clients get 507 and operators "no space", not 500 and "Input/output error".  A
 * disk quota is the same condition. */
#define STORE_FULL_MARGIN (1u << 20)
static int commit_error_classify(const struct store *s, int rc)
{
    if (rc == EDQUOT)
        return ENOSPC;
    if (rc == EIO) {
        struct statvfs sv;
        if (statvfs(s->dir, &sv) == 0 &&
            (unsigned long long)sv.f_bavail * sv.f_frsize < STORE_FULL_MARGIN)
            return ENOSPC;
    }
    return rc;
}

int store_write(struct store *s, store_write_fn fn, void *arg, struct stdtax_error *err)
{
    if (s->read_only)
        return stdtax_error_set(err, STDTAX_ESTORE, s->dir,
                                "the store is open read-only");
    for (int i = 0; i < WRITE_RETRIES; i++) {
        MDB_txn *txn;
        pthread_rwlock_rdlock(&s->resize_lock);
        size_t seen = s->map_size;
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED) {
            pthread_rwlock_unlock(&s->resize_lock);
            if ((rc = map_adopt(s)) != 0)
                return store_mdb_error(s, rc, "adopt the map size", err);
            continue;
        }
        if (rc != 0) {
            pthread_rwlock_unlock(&s->resize_lock);
            return store_mdb_error(s, rc, "begin a write transaction", err);
        }
        rc = fn(s, txn, arg, err);
        if (rc == 0) {
            /* The commit frees the transaction whether or not it succeeds. */
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }
        pthread_rwlock_unlock(&s->resize_lock);
        if (rc == MDB_MAP_FULL) {
            if ((rc = map_grow(s, seen)) != 0)
                return store_mdb_error(s, rc, "grow the map", err);
            continue;
        }
        if (rc == 0 || (rc < 0 && rc > -100)) /* done, or an enum stdtax_err */
            return rc;
        return store_mdb_error(s, commit_error_classify(s, rc), "write", err);
    }
    return stdtax_error_set(err, STDTAX_ESTORE, s->dir, "the map could not grow enough");
}

/* ---- open and close -------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

static const char META_VERSION[] = "schema_version";

static int version_write(struct store *s, MDB_txn *txn)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%d", STORE_SCHEMA_VERSION);
    MDB_val k = val_str(META_VERSION), v = val_str(ver);
    return mdb_put(txn, s->dbi_meta, &k, &v, 0);
}

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

static int open_dbs(struct store *s, struct stdtax_error *err)
{
    MDB_txn *txn;
    unsigned create = s->read_only ? 0 : MDB_CREATE;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return store_mdb_error(s, rc, "open the store", err);
    MDB_dbi main_dbi;
    MDB_stat st;
    rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    if (!rc)
        rc = mdb_stat(txn, main_dbi, &st);
    if (rc) {
        mdb_txn_abort(txn);
        return store_mdb_error(s, rc, "open the store", err);
    }
    int fresh = 0;
    rc = mdb_dbi_open(txn, "meta", 0, &s->dbi_meta);
    if (rc == MDB_NOTFOUND && st.ms_entries == 0 && !s->read_only) {
        fresh = 1;
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->dbi_meta);
    } else if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        mdb_txn_abort(txn);
        if (st.ms_entries == 0)
            return stdtax_error_set(err, STDTAX_ENOTFOUND, s->dir,
                                    "%s holds no stdtaxd store yet", s->dir);
        return stdtax_error_set(err, STDTAX_ESTORE, s->dir,
                                "%s/data.mdb is an LMDB environment but not a stdtaxd "
                                "store (no meta database)",
                                s->dir);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return store_mdb_error(s, rc, "open the meta database", err);
    }
    MDB_val k = val_str(META_VERSION), v;
    long version = STORE_SCHEMA_VERSION;
    if (fresh) {
        rc = version_write(s, txn);
    } else {
        rc = mdb_get(txn, s->dbi_meta, &k, &v);
        if (rc == 0) {
            char ver[16] = "";
            snprintf(ver, sizeof ver, "%.*s", (int)(v.mv_size < 15 ? v.mv_size : 15),
                     (const char *)v.mv_data);
            version = strtol(ver, NULL, 10);
            /* Version 1 lacks only the group index: built below when writing. */
            int upgradable = version == 1 && (s->read_only || s->group_of);
            if (version != STORE_SCHEMA_VERSION && !upgradable) {
                mdb_txn_abort(txn);
                return stdtax_error_set(
                    err, STDTAX_EVERSION, s->dir,
                    "the store in %s has schema version %s, this program needs "
                    "version %d: migrate it or use a matching stdtaxd",
                    s->dir, ver, STORE_SCHEMA_VERSION);
            }
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return store_mdb_error(s, rc, "read the schema version", err);
    }
    if (!(rc = mdb_dbi_open(txn, "proposals", create, &s->dbi_proposals)) &&
        !(rc = mdb_dbi_open(txn, "index", create | MDB_DUPSORT, &s->dbi_index)) &&
        !(rc = mdb_dbi_open(txn, "counts", create, &s->dbi_counts)))
        rc = mdb_dbi_open(txn, "idempotency", create, &s->dbi_idem);
    if (!rc)
        rc = store_catalog_dbs_open(s, txn);
    if (!rc && version >= 2) {
        rc = groups_open(s, txn, create);
    } else if (!rc && !s->read_only) {
        rc = groups_open(s, txn, MDB_CREATE);
        if (!rc)
            rc = groups_build(s, txn);
        if (!rc)
            rc = version_write(s, txn);
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
    static const struct store_options defaults;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    if (!dir || !*dir)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no data directory given");
    struct stat sb;
    if (!opts->read_only) {
        int e = mkdir_p(dir);
        if (e)
            return stdtax_error_set(err, STDTAX_EIO, dir,
                                    "cannot create directory %s: %s", dir, strerror(e));
    }
    if (stat(dir, &sb) != 0)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, dir,
                                "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return stdtax_error_set(err, STDTAX_EIO, dir, "%s is not a directory", dir);

    struct store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    s->read_only = opts->read_only;
    s->group_of = opts->group_of;
    s->group_arg = opts->group_arg;
    s->map_size_max = opts->map_size_max ? opts->map_size_max : DEFAULT_MAP_MAX;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Writers first, or a steady stream of readers would starve map growth. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->resize_lock, &attr);
    pthread_rwlockattr_destroy(&attr);

    int rc = mdb_env_create(&s->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(s->env, 16);
    if (!rc)
        rc = mdb_env_set_mapsize(s->env,
                                 opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE);
    if (!rc)
        rc = mdb_env_set_maxreaders(s->env, opts->max_readers ? opts->max_readers
                                                              : DEFAULT_READERS);
    if (rc) {
        store_mdb_error(s, rc, "create the environment", err);
        store_close(s);
        return err ? err->code : STDTAX_ESTORE;
    }
    unsigned flags = MDB_NOTLS | (opts->read_only ? MDB_RDONLY : 0);
    rc = mdb_env_open(s->env, dir, flags, 0640);
    if (rc) {
        int code = STDTAX_ESTORE;
        if (rc == MDB_INVALID)
            stdtax_error_set(err, code, dir, "%s/data.mdb is not an LMDB environment",
                             dir);
        else if (rc == MDB_VERSION_MISMATCH)
            stdtax_error_set(err, code, dir,
                             "%s/data.mdb was written by an incompatible LMDB version",
                             dir);
        else if (rc == ENOENT)
            code = stdtax_error_set(err, STDTAX_ENOTFOUND, dir, "no store in %s", dir);
        else
            code = store_mdb_error(s, rc, "open the environment", err);
        store_close(s);
        return code;
    }
    int dead;
    mdb_reader_check(s->env, &dead); /* readers left by killed processes */
    map_size_refresh(s);
    rc = open_dbs(s, err);
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->resize_lock);
    free(s->dir);
    free(s);
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
        if (rc == 0) {
            const char *p = v.mv_data;
            size_t idlen = strnlen(p, v.mv_size);
            size_t hlen = idlen < v.mv_size ? v.mv_size - idlen - 1 : 0;
            if (hlen != strlen(it->request_hash) ||
                memcmp(p + idlen + 1, it->request_hash, hlen) != 0) {
                it->rc = stdtax_error_set(
                    &it->err, STDTAX_ECONFLICT, "",
                    "idempotency key %s was used for another request", it->idem_key);
                return 0;
            }
            snprintf(it->id, sizeof it->id, "%.*s", (int)idlen, p);
            return 0;
        }
        if (rc != MDB_NOTFOUND)
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
    if (!rc) /* the overlap index (store_catalog.c) */
        rc = store_sim_put(s, txn, 'p', it->id, it->record, it->fp);
    if (!rc && it->group && s->has_groups)
        rc = group_add(s, txn, it->group, it->id);
    if (!rc && it->idem_key) {
        size_t idlen = strlen(it->id), hlen = strlen(it->request_hash);
        char buf[STORE_ID_MAX + STORE_HASH_MAX + 1];
        memcpy(buf, it->id, idlen + 1);
        memcpy(buf + idlen + 1, it->request_hash, hlen);
        MDB_val ik = val_str(it->idem_key), iv = {idlen + 1 + hlen, buf};
        rc = mdb_put(txn, s->dbi_idem, &ik, &iv, 0);
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
    json_t *rec;
    if (u->fn) {
        rec = old;
        old = NULL;
        if ((rc = u->fn(rec, u->arg, err)) != 0) {
            json_decref(rec);
            return rc;
        }
    } else {
        json_decref(old);
        rec = json_incref(u->replacement);
    }
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
    if (!rc) /* the overlap index (store_catalog.c) */
        rc = store_sim_put(s, txn, 'p', u->id, rec, NULL);
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
    if (!rc) /* the overlap index (store_catalog.c) */
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
