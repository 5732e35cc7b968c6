/* The environment layer of the store: opening the LMDB environment and its meta
 * database (schema version), read and write transactions with map growth and retry,
 * error mapping, and the value checks every layer above shares.  It calls nothing of
 * the layers above (proposals: store.c; similarity index: store_sim.c; catalogue:
 * store_catalog.c; queries: store_query.c).  Layouts: doc/store.md. */
#include "store_internal.h"

#include <errno.h>
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

static MDB_val val_str(const char *s)
{
    MDB_val v = {strlen(s), (void *)s};
    return v;
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

int store_version_write(struct store *s, MDB_txn *txn)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%d", STORE_SCHEMA_VERSION);
    MDB_val k = val_str(META_VERSION), v = val_str(ver);
    return mdb_put(txn, s->dbi_meta, &k, &v, 0);
}

int store_version_refused(struct store *s, long version, struct stdtax_error *err)
{
    return stdtax_error_set(err, STDTAX_EVERSION, s->dir,
                            "the store in %s has schema version %ld, this program needs "
                            "version %d: migrate it or use a matching stdtaxd",
                            s->dir, version, STORE_SCHEMA_VERSION);
}

int store_env_meta(struct store *s, MDB_txn *txn, long *version_out,
                   struct stdtax_error *err)
{
    MDB_dbi main_dbi;
    int rc;
    MDB_stat st;
    rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    if (!rc)
        rc = mdb_stat(txn, main_dbi, &st);
    if (rc)
        return store_mdb_error(s, rc, "open the store", err);
    int fresh = 0;
    rc = mdb_dbi_open(txn, "meta", 0, &s->dbi_meta);
    if (rc == MDB_NOTFOUND && st.ms_entries == 0 && !s->read_only) {
        fresh = 1;
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->dbi_meta);
    } else if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        if (st.ms_entries == 0)
            return stdtax_error_set(err, STDTAX_ENOTFOUND, s->dir,
                                    "%s holds no stdtaxd store yet", s->dir);
        return stdtax_error_set(err, STDTAX_ESTORE, s->dir,
                                "%s/data.mdb is an LMDB environment but not a stdtaxd "
                                "store (no meta database)",
                                s->dir);
    }
    if (rc)
        return store_mdb_error(s, rc, "open the meta database", err);
    MDB_val k = val_str(META_VERSION), v;
    long version = STORE_SCHEMA_VERSION;
    if (fresh) {
        rc = store_version_write(s, txn);
    } else {
        rc = mdb_get(txn, s->dbi_meta, &k, &v);
        if (rc == 0) {
            char ver[16] = "";
            snprintf(ver, sizeof ver, "%.*s", (int)(v.mv_size < 15 ? v.mv_size : 15),
                     (const char *)v.mv_data);
            version = strtol(ver, NULL, 10);
            /* Version 1 lacks only the group index, which store_open builds. */
            if (version != STORE_SCHEMA_VERSION && version != 1)
                return store_version_refused(s, version, err);
        }
    }
    if (rc)
        return store_mdb_error(s, rc, "read the schema version", err);
    *version_out = version;
    return 0;
}

int store_env_open(const char *dir, const struct store_options *opts, struct store **out,
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
    int checked =
        store_env_check(dir, opts->read_only,
                        opts->max_readers ? opts->max_readers : DEFAULT_READERS, err);
    if (checked)
        return checked;

    struct store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    s->read_only = opts->read_only;
    s->idem_ttl = opts->idem_ttl;
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
