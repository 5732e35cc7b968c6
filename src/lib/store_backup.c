/* The store's side of a backup (service_backup.c): a compacted copy of the LMDB
 * environment taken in one read transaction, so writers go on meanwhile. */
#include "store_internal.h"

int store_copy(struct store *s, const char *dir, struct stdtax_error *err)
{
    /* MDB_CP_COMPACT leaves out free pages and renumbers the rest: the copy is
     * smaller, and its own meta pages describe it. */
    pthread_rwlock_rdlock(&s->resize_lock);
    int rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&s->resize_lock);
    return rc ? store_mdb_error(s, rc, "copy the store", err) : 0;
}

const char *store_dir(const struct store *s)
{
    return s->dir;
}
