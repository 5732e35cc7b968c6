/* What the store's files must be before LMDB maps them.  A mapped page that the file
 * does not back kills the process with SIGBUS, printing nothing: a data.mdb cut short
 * (a copy that stopped, a full disk during a copy) has pages its meta pages still
 * point at, and a lock.mdb that LMDB made with ftruncate on a full filesystem has
 * holes that fault at the first touch.  So the meta pages are read with read() first,
 * and the lock file's blocks are reserved. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* LMDB's on-disk layout (mdb.c, MDB_page and MDB_meta), native byte order: a page
 * header (pgno, pad, flags, lower, upper), then the meta: magic, version, address,
 * map size, two MDB_db (the first's md_pad holds the page size), last page used,
 * transaction id. */
#define META_HEADER (sizeof(size_t) + 4 * sizeof(uint16_t))
#define META_MAGIC_AT META_HEADER
#define META_PSIZE_AT (META_HEADER + 8 + sizeof(void *) + sizeof(size_t))
#define MDB_DB_SIZE (8 + 5 * sizeof(size_t))
#define META_LAST_PG_AT (META_PSIZE_AT + 2 * MDB_DB_SIZE)
#define META_TXNID_AT (META_LAST_PG_AT + sizeof(size_t))
#define META_MAGIC 0xBEEFC0DEu
#define META_READ 512 /* enough for the meta; less than any page size */

/* LMDB's reader table: a 192-byte header holding the first slot, 64 bytes a slot
 * (mdb.c, MDB_txninfo and MDB_reader on 64-byte cache lines). */
#define LOCK_SIZE(readers) (128 + 64 * (off_t)(readers))

struct meta {
    uint32_t magic, psize;
    uint64_t last_pg, txnid;
};

static void meta_parse(const unsigned char *p, struct meta *m)
{
    memcpy(&m->magic, p + META_MAGIC_AT, sizeof m->magic);
    memcpy(&m->psize, p + META_PSIZE_AT, sizeof m->psize);
    size_t v;
    memcpy(&v, p + META_LAST_PG_AT, sizeof v);
    m->last_pg = v;
    memcpy(&v, p + META_TXNID_AT, sizeof v);
    m->txnid = v;
}

static int data_check(const char *dir, struct stdtax_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* a new store, or LMDB says why */
    struct stat sb;
    unsigned char page[META_READ];
    struct meta m0, m1;
    int rc = 0;
    if (fstat(fd, &sb) != 0 || pread(fd, page, sizeof page, 0) != (ssize_t)sizeof page)
        goto out; /* empty or unreadable: LMDB initialises it or reports it */
    meta_parse(page, &m0);
    if (m0.magic != META_MAGIC || m0.psize < META_READ || (m0.psize & (m0.psize - 1)))
        goto out; /* not LMDB: mdb_env_open says MDB_INVALID */
    uint64_t have = (uint64_t)sb.st_size, need;
    if (pread(fd, page, sizeof page, m0.psize) != (ssize_t)sizeof page) {
        need = 2 * (uint64_t)m0.psize;
    } else {
        meta_parse(page, &m1);
        /* LMDB maps up to the last page of the newer meta. */
        const struct meta *cur =
            m1.magic == META_MAGIC && m1.txnid > m0.txnid ? &m1 : &m0;
        need = (cur->last_pg + 1) * (uint64_t)m0.psize;
    }
    if (have < need)
        rc = stdtax_error_set(
            err, STDTAX_ESTORE, dir,
            "%s is cut short: %llu bytes, but its last transaction uses "
            "%llu; the store cannot be read (mapping it would crash). "
            "Restore it from a backup (stdtax restore BACKUP --data-dir "
            "%s --force)",
            path, (unsigned long long)have, (unsigned long long)need, dir);
out:
    close(fd);
    return rc;
}

/* Reserves the blocks of lock.mdb: creates it at LMDB's size when new, fills the
 * holes of an existing one without changing its size (other processes have mapped
 * it at that size).  A reader registers in it too, so read-only opens reserve an
 * existing one as well. */
static int lock_reserve(const char *dir, int read_only, unsigned readers,
                        struct stdtax_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC | (read_only ? 0 : O_CREAT), 0640);
    if (fd < 0)
        return errno == ENOSPC || errno == EDQUOT
                   ? stdtax_error_set(err, STDTAX_ENOSPC, dir,
                                      "disk full: cannot create %s: %s", path,
                                      strerror(errno))
                   : 0; /* read-only directory, permissions: LMDB reports it */
    struct stat sb;
    int e = fstat(fd, &sb) != 0 ? errno : 0;
    if (e == 0)
        e = posix_fallocate(fd, 0, sb.st_size > 0 ? sb.st_size : LOCK_SIZE(readers));
    close(fd);
    if (e == ENOSPC || e == EDQUOT)
        return stdtax_error_set(err, STDTAX_ENOSPC, dir,
                                "disk full: no space in %s for the store's lock file "
                                "(%s); free some space and start again",
                                dir, strerror(e));
    return 0; /* EOPNOTSUPP and the like: as before, LMDB sizes the file itself */
}

int store_env_check(const char *dir, int read_only, unsigned readers,
                    struct stdtax_error *err)
{
    int rc = data_check(dir, err);
    if (rc == 0)
        rc = lock_reserve(dir, read_only, readers, err);
    return rc;
}
