/* Shared between the store's source files and its white-box tests; not installed. */
#ifndef STDTAX_STORE_INTERNAL_H
#define STDTAX_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "stdtax/store.h"

struct store {
    MDB_env *env;
    MDB_dbi dbi_proposals; /* id -> compact JSON */
    MDB_dbi dbi_index;     /* dupsort: index key -> received(8, BE) + id */
    MDB_dbi dbi_counts;    /* call US track US status US kind US value -> u64 */
    MDB_dbi dbi_idem;      /* client key -> id NUL request hash */
    MDB_dbi dbi_meta;      /* "schema_version" -> "1", "seq" US call -> u64 */
    /* The catalogue and the overlap index (store_catalog.c, doc/overlap.md). */
    MDB_dbi dbi_catalog;    /* catalogue id -> compact JSON */
    MDB_dbi dbi_cat_counts; /* "*", "k" US kind, "s" US status, "n" US node -> u64 */
    MDB_dbi dbi_sim_sig;    /* source byte ('c' or 'p') + id -> shingle sets */
    MDB_dbi dbi_sim_band;   /* dupsort: LSH band key (8 bytes) -> source byte + id */
    int has_catalog;        /* 0: a store opened read-only from before the catalogue */
    /* The group index (the duplicate rule's organisations, doc/store.md). */
    MDB_dbi dbi_group;       /* dupsort: group key -> id */
    MDB_dbi dbi_group_of;    /* id -> group key */
    int has_groups;          /* 0: a version-1 store opened read-only */
    store_group_fn group_of; /* builds the group index of a version-1 store */
    /* The materials (store_material.c, store_material.h). */
    MDB_dbi dbi_material;     /* proposal id US slot -> compact JSON */
    MDB_dbi dbi_material_ref; /* sha256 hex -> u64 materials naming it */
    int has_materials;        /* 0: a store opened read-only from before them */
    void *group_arg;
    /* Every transaction holds it shared; growing the map holds it exclusive,
     * because mdb_env_set_mapsize needs no active transaction in the process. */
    pthread_rwlock_t resize_lock;
    size_t map_size; /* written under the exclusive lock */
    size_t map_size_max;
    unsigned long resizes;
    int read_only;
    uint64_t idem_ttl; /* seconds an idempotency key is kept; 0: for ever */
    char *dir;
};

/* The separator inside composite keys: never part of a validated value. */
#define STORE_SEP '\x1f'
#define STORE_SEP_S "\x1f"

#define STORE_IDX_MAX (5 + 2 + STORE_TOPICS_MAX)
#define STORE_CNT_MAX (1 + 2 + STORE_TOPICS_MAX)
#define STORE_IDX_KEY_MAX 80
#define STORE_CNT_KEY_MAX 176
#define STORE_IDX_DATA_MAX (8 + STORE_ID_MAX)

/* Everything a record contributes to the index and counts databases. */
struct store_keys {
    char id[STORE_ID_MAX];
    unsigned char data[STORE_IDX_DATA_MAX]; /* the index value: received + id */
    size_t data_len;
    size_t n_idx;
    char idx[STORE_IDX_MAX][STORE_IDX_KEY_MAX];
    size_t n_cnt;
    char cnt[STORE_CNT_MAX][STORE_CNT_KEY_MAX];
};

int store_keys_make(const json_t *record, const char *id, struct store_keys *k,
                    struct stdtax_error *err);
int store_keys_add(struct store *s, MDB_txn *txn, const struct store_keys *k);

/* The environment (store_env.c): a struct store with its environment open and no
 * named database yet (*out new: store_close); then, in open's transaction, the meta
 * database and the schema version (STDTAX_EVERSION unless it is this program's or 1,
 * which store_open upgrades).  store_version_refused is that STDTAX_EVERSION. */
int store_env_open(const char *dir, const struct store_options *opts, struct store **out,
                   struct stdtax_error *err);
int store_env_meta(struct store *s, MDB_txn *txn, long *version,
                   struct stdtax_error *err);
int store_version_write(struct store *s, MDB_txn *txn);
int store_version_refused(struct store *s, long version, struct stdtax_error *err);
/* Before LMDB maps dir's files (store_env_check.c): refuses a data.mdb shorter than
 * its meta pages say (STDTAX_ESTORE, naming the file and what to do) and reserves
 * lock.mdb's blocks (STDTAX_ENOSPC "disk full" naming dir), either of which would
 * otherwise end the process with SIGBUS.  readers: the reader table's slots. */
int store_env_check(const char *dir, int read_only, unsigned readers,
                    struct stdtax_error *err);

/* Idempotency entries (store_idem.c): the value to store for id and hash written at
 * now (its length, 0 if buf is too small); whether an entry matches hash (id gets its
 * id); whether it is older than the store's idem_ttl. */
size_t store_idem_value(char *buf, size_t cap, const char *id, const char *hash,
                        time_t now);
bool store_idem_match(const MDB_val *v, const char *hash, char id[STORE_ID_MAX]);
bool store_idem_expired(const struct store *s, const MDB_val *v, time_t now);

/* Read transactions: shared resize lock held between begin and end. */
int store_read_begin(struct store *s, MDB_txn **txn, struct stdtax_error *err);
void store_read_end(struct store *s, MDB_txn *txn);

/* A write body: returns 0, an enum stdtax_err (err filled) or an LMDB/errno
 * code; it may run more than once. */
typedef int (*store_write_fn)(struct store *s, MDB_txn *txn, void *arg,
                              struct stdtax_error *err);
int store_write(struct store *s, store_write_fn fn, void *arg, struct stdtax_error *err);

/* Maps an LMDB or errno code to an enum stdtax_err with a message. */
int store_mdb_error(struct store *s, int rc, const char *what, struct stdtax_error *err);

int store_id_ok(const char *v);

uint64_t store_u64_get(const MDB_val *v);

/* The catalogue's databases, opened (created unless read-only) in open's transaction. */
int store_catalog_dbs_open(struct store *s, MDB_txn *txn);
/* The materials' databases, opened (created unless read-only) in open's transaction. */
int store_material_dbs_open(struct store *s, MDB_txn *txn);
/* Stores the fingerprint (given, or made from record's /title, /title_en and /scope
 * when fp is NULL), the summary and the band entries of source ('c' catalogue, 'p'
 * proposal) id, replacing those it had.  Returns 0, an LMDB code or STDTAX_ENOMEM. */
int store_sim_put(struct store *s, MDB_txn *txn, char source, const char *id,
                  const json_t *record, const struct store_fingerprint *fp);
/* The duplicate rule of a put (store.h): calls fn for the records of group; *dup_id is
 * the one it matched, or "".  Returns 0 or an LMDB code (STDTAX_ENOMEM). */
int store_group_duplicate(struct store *s, MDB_txn *txn, const char *group,
                          store_duplicate_fn fn, void *arg, char dup_id[STORE_ID_MAX]);
/* The key of a fingerprint: the source byte and the id of a catalogue entry or
 * proposal. */
#define STORE_SIG_KEY_MAX (1 + CATALOG_NUMBER_MAX + 1 + STORE_ID_MAX)

/* What store_sim_check counts: fingerprints a record should have, and of those missing
 * or different from the record's; band entries it should have, and of those missing. */
struct store_sim_tally {
    size_t fp_expected, fp_missing, fp_stale, bands_expected, band_missing;
};
/* Compares the stored fingerprint and band entries of source id with those of rec, in
 * t.  Returns 0, an LMDB code or STDTAX_ENOMEM. */
int store_sim_check(struct store *s, MDB_txn *txn, char source, const char *id,
                    const json_t *rec, struct store_sim_tally *t);

/* A record whose fingerprinted texts (store_sim_texts: its /title, /title_en and /scope,
 * new) did not change: its stored fingerprint is kept and only the summary beside it
 * is written again (a status or classification change), or, without a stored
 * fingerprint, store_sim_put makes one. */
json_t *store_sim_texts(const json_t *record);
int store_sim_restate(struct store *s, MDB_txn *txn, char source, const char *id,
                      const json_t *record);

/* Removes the fingerprint and band entries of source id (none is not an error). */
int store_sim_del(struct store *s, MDB_txn *txn, char source, const char *id);

#endif
