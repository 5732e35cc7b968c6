/* Idempotency keys expire: a client's retry comes within minutes, and a key kept for
 * ever would replay an old answer to a new request that happens to reuse it, and
 * grow the store without end.  Each entry holds the time it was written; one older
 * than the store's idem_ttl is as if absent (a put stores the request anew), and
 * store_idem_expire removes them.
 * Value: id NUL hash [NUL time]: the time in seconds since the epoch as 16 hex digits;
 * entries written before keys expired have none, and the first sweep stamps them. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_DIGITS 16

struct idem_entry {
    size_t id_len, hash_len;
    const char *hash;
    bool has_time;
    time_t written;
};

static void entry_parse(const MDB_val *v, struct idem_entry *e)
{
    const char *p = v->mv_data;
    size_t n = v->mv_size;
    memset(e, 0, sizeof *e);
    e->id_len = strnlen(p, n);
    if (e->id_len + 1 >= n)
        return;
    e->hash = p + e->id_len + 1;
    e->hash_len = strnlen(e->hash, n - e->id_len - 1);
    size_t at = e->id_len + 1 + e->hash_len + 1;
    if (at + TIME_DIGITS == n) {
        char digits[TIME_DIGITS + 1], *end;
        memcpy(digits, p + at, TIME_DIGITS);
        digits[TIME_DIGITS] = '\0';
        unsigned long long t = strtoull(digits, &end, 16);
        e->has_time = *end == '\0';
        e->written = (time_t)t;
    }
}

size_t store_idem_value(char *buf, size_t cap, const char *id, const char *hash,
                        time_t now)
{
    int n = snprintf(buf, cap, "%s%c%s%c%0*llx", id, 0, hash, 0, TIME_DIGITS,
                     (unsigned long long)now);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

bool store_idem_match(const MDB_val *v, const char *hash, char id[STORE_ID_MAX])
{
    struct idem_entry e;
    entry_parse(v, &e);
    snprintf(id, STORE_ID_MAX, "%.*s", (int)e.id_len, (const char *)v->mv_data);
    return e.hash && e.hash_len == strlen(hash) && memcmp(e.hash, hash, e.hash_len) == 0;
}

bool store_idem_expired(const struct store *s, const MDB_val *v, time_t now)
{
    struct idem_entry e;
    entry_parse(v, &e);
    return s->idem_ttl && e.has_time && now - e.written > (time_t)s->idem_ttl;
}

struct sweep {
    time_t now;
    size_t removed;
};

static int sweep_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct sweep *sw = arg;
    (void)err;
    sw->removed = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_idem, &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct idem_entry e;
        entry_parse(&v, &e);
        if (store_idem_expired(s, &v, sw->now)) {
            rc = mdb_cursor_del(cur, 0);
            sw->removed++;
        } else if (!e.has_time && e.hash) {
            char buf[STORE_ID_MAX + STORE_HASH_MAX + TIME_DIGITS + 3];
            char id[STORE_ID_MAX], hash[STORE_HASH_MAX + 1];
            snprintf(id, sizeof id, "%.*s", (int)e.id_len, (const char *)v.mv_data);
            snprintf(hash, sizeof hash, "%.*s", (int)e.hash_len, e.hash);
            MDB_val nv = {store_idem_value(buf, sizeof buf, id, hash, sw->now), buf};
            rc = nv.mv_size ? mdb_cursor_put(cur, &k, &nv, MDB_CURRENT) : 0;
        }
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_idem_expire(struct store *s, time_t now, size_t *removed,
                      struct stdtax_error *err)
{
    struct sweep sw = {.now = now};
    int rc = store_write(s, sweep_body, &sw, err);
    if (removed)
        *removed = rc == 0 ? sw.removed : 0;
    return rc;
}
