/* The materials' records and file references (store_material.h, doc/materials.md). */
#include "store_internal.h"
#include "stdtax/store_material.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_MAX (STORE_ID_MAX + MATERIAL_SLOT_MAX + 1)

int store_material_dbs_open(struct store *s, MDB_txn *txn)
{
    unsigned create = s->read_only ? 0 : MDB_CREATE;
    int rc = mdb_dbi_open(txn, "material", create, &s->dbi_material);
    if (!rc)
        rc = mdb_dbi_open(txn, "material_ref", create, &s->dbi_material_ref);
    if (rc == MDB_NOTFOUND && s->read_only)
        return 0; /* a store from before the materials, read as it is */
    if (!rc)
        s->has_materials = 1;
    return rc;
}

const char *store_material_dir(const struct store *s)
{
    return s->dir;
}

static size_t key_make(const char *id, const char *slot, char key[KEY_MAX])
{
    int n = snprintf(key, KEY_MAX, "%s" STORE_SEP_S "%s", id, slot ? slot : "");
    return n < 0 || n >= KEY_MAX ? 0 : (size_t)n;
}

/* ref count of sha += delta; *now is the result.  A count falling to zero goes. */
static int ref_add(struct store *s, MDB_txn *txn, const char *sha, int delta,
                   uint64_t *now)
{
    MDB_val k = {strlen(sha), (void *)sha}, v;
    uint64_t n = 0;
    int rc = mdb_get(txn, s->dbi_material_ref, &k, &v);
    if (rc == 0)
        n = store_u64_get(&v);
    else if (rc != MDB_NOTFOUND)
        return rc;
    n = delta < 0 && n < (uint64_t)-delta ? 0 : n + (uint64_t)(int64_t)delta;
    *now = n;
    if (n == 0)
        return rc == 0 ? mdb_del(txn, s->dbi_material_ref, &k, NULL) : 0;
    v = (MDB_val){sizeof n, &n};
    return mdb_put(txn, s->dbi_material_ref, &k, &v, 0);
}

/* The sha256 of a stored material's value, into sha; 0 or STDTAX_ESTORE. */
static int value_sha(const MDB_val *v, char sha[65])
{
    json_t *rec = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    const char *h = json_string_value(json_object_get(rec, "sha256"));
    int ok = h && strlen(h) == 64;
    if (ok)
        memcpy(sha, h, 65);
    json_decref(rec);
    return ok ? 0 : STDTAX_ESTORE;
}

/* A removal's file, moved aside in the transaction: deleted after a commit, put back
 * after a failure.  Kept across the reruns of a write body (map growth). */
struct trash {
    char sha[65];
    char path[MATERIAL_PATH_MAX];
};

static int unref(struct store *s, MDB_txn *txn, const char *sha, struct trash *t,
                 struct stdtax_error *err)
{
    uint64_t left;
    int rc = ref_add(s, txn, sha, -1, &left);
    if (rc || left || t->path[0])
        return rc;
    memcpy(t->sha, sha, 65);
    return material_file_trash(s->dir, sha, t->path, sizeof t->path, err);
}

static void trash_finish(struct store *s, struct trash *t, int rc)
{
    if (!t->path[0])
        return;
    if (rc == 0) {
        unlink(t->path);
        return;
    }
    char path[MATERIAL_PATH_MAX];
    if (material_file_path(s->dir, t->sha, path, sizeof path) == 0)
        rename(t->path, path);
}

struct slots {
    size_t n;
    unsigned long max_other;
    char old_sha[65]; /* of the slot being written, or "" */
};

static int slots_scan(struct store *s, MDB_txn *txn, const char *id, const char *slot,
                      struct slots *out)
{
    char key[KEY_MAX];
    size_t klen = key_make(id, "", key);
    memset(out, 0, sizeof *out);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_material, &cur);
    if (rc)
        return rc;
    MDB_val k = {klen, key}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < klen || memcmp(k.mv_data, key, klen) != 0)
            break;
        const char *sl = (const char *)k.mv_data + klen;
        size_t sl_len = k.mv_size - klen;
        out->n++;
        if (sl_len > 6 && memcmp(sl, "other-", 6) == 0) {
            unsigned long n = strtoul(sl + 6, NULL, 10);
            out->max_other = n > out->max_other ? n : out->max_other;
        }
        if (slot && sl_len == strlen(slot) && memcmp(sl, slot, sl_len) == 0 &&
            value_sha(&v, out->old_sha) != 0) {
            rc = STDTAX_ESTORE;
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

struct put_ctx {
    struct store_material_put *put;
    struct trash trash;
};

static int put_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct put_ctx *c = arg;
    struct store_material_put *p = c->put;
    MDB_val k = {strlen(p->proposal_id), (void *)p->proposal_id}, v;
    int rc = mdb_get(txn, s->dbi_proposals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal %s",
                                p->proposal_id);
    if (rc)
        return rc;
    struct slots sl;
    bool other = p->kind == MATERIAL_OTHER;
    if ((rc = slots_scan(s, txn, p->proposal_id,
                         other ? NULL : material_kind_code(p->kind), &sl)) != 0)
        return rc;
    if (other)
        snprintf(p->slot, sizeof p->slot, "other-%lu", sl.max_other + 1);
    else
        snprintf(p->slot, sizeof p->slot, "%s", material_kind_code(p->kind));
    p->replaced = sl.old_sha[0] != '\0';
    if (!p->replaced && p->max_per_proposal && sl.n >= p->max_per_proposal)
        return stdtax_error_set(err, STDTAX_ECONFLICT, "",
                                "proposal %s has %zu materials; at most %zu are kept",
                                p->proposal_id, sl.n, p->max_per_proposal);
    /* Another process may have removed the file since it was written: the writer
     * lock is held now, so what is there stays until the commit. */
    if ((rc = material_file_put(s->dir, p->sha, p->data, p->len, err)) != 0)
        return rc;
    if (json_object_set_new(p->record, "id", json_string(p->slot)) != 0)
        return STDTAX_ENOMEM;
    char *text = json_dumps(p->record, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return STDTAX_ENOMEM;
    char key[KEY_MAX];
    k = (MDB_val){key_make(p->proposal_id, p->slot, key), key};
    v = (MDB_val){strlen(text), text};
    rc = mdb_put(txn, s->dbi_material, &k, &v, 0);
    free(text);
    uint64_t now;
    if (!rc)
        rc = ref_add(s, txn, p->sha, 1, &now);
    if (!rc && p->replaced)
        rc = unref(s, txn, sl.old_sha, &c->trash, err);
    return rc;
}

static int materials_ready(struct store *s, struct stdtax_error *err)
{
    return s->has_materials ? 0
                            : stdtax_error_set(err, STDTAX_ENOTFOUND, "/id",
                                               "this store has no materials");
}

int store_material_put(struct store *s, struct store_material_put *put,
                       struct stdtax_error *err)
{
    if (!store_id_ok(put->proposal_id))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/id", "no proposal with that id");
    int rc = materials_ready(s, err);
    if (rc)
        return rc;
    struct put_ctx c = {.put = put};
    rc = store_write(s, put_body, &c, err);
    trash_finish(s, &c.trash, rc);
    return rc;
}

struct delete_ctx {
    const char *id, *slot;
    struct trash trash;
};

static int delete_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct delete_ctx *c = arg;
    char key[KEY_MAX], sha[65];
    MDB_val k = {key_make(c->id, c->slot, key), key}, v;
    int rc = mdb_get(txn, s->dbi_material, &k, &v);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/slot",
                                "proposal %s has no material %s", c->id, c->slot);
    if (rc || (rc = value_sha(&v, sha)) != 0)
        return rc;
    if ((rc = mdb_del(txn, s->dbi_material, &k, NULL)) != 0)
        return rc;
    return unref(s, txn, sha, &c->trash, err);
}

static bool slot_ok(const char *slot)
{
    return material_slot_kind(slot) >= 0;
}

int store_material_delete(struct store *s, const char *proposal_id, const char *slot,
                          struct stdtax_error *err)
{
    int rc = materials_ready(s, err);
    if (rc)
        return rc;
    if (!store_id_ok(proposal_id) || !slot_ok(slot))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/slot", "no such material");
    struct delete_ctx c = {.id = proposal_id, .slot = slot};
    rc = store_write(s, delete_body, &c, err);
    trash_finish(s, &c.trash, rc);
    return rc;
}

int store_material_get(struct store *s, const char *proposal_id, const char *slot,
                       json_t **record, struct stdtax_error *err)
{
    *record = NULL;
    int rc = materials_ready(s, err);
    if (rc)
        return rc;
    if (!store_id_ok(proposal_id) || !slot_ok(slot))
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/slot", "no such material");
    MDB_txn *txn;
    if ((rc = store_read_begin(s, &txn, err)) != 0)
        return rc;
    char key[KEY_MAX];
    MDB_val k = {key_make(proposal_id, slot, key), key}, v;
    rc = mdb_get(txn, s->dbi_material, &k, &v);
    if (rc == 0 && !(*record = json_loadb(v.mv_data, v.mv_size, 0, NULL)))
        rc = STDTAX_ESTORE;
    store_read_end(s, txn);
    if (rc == MDB_NOTFOUND)
        return stdtax_error_set(err, STDTAX_ENOTFOUND, "/slot",
                                "proposal %s has no material %s", proposal_id, slot);
    return rc ? store_mdb_error(s, rc, "read a material", err) : 0;
}

/* Calls fn for every material of proposal id (every material when id is NULL). */
typedef int (*material_each_fn)(const char *id, size_t id_len, json_t *rec, void *arg);

static int materials_each(struct store *s, MDB_txn *txn, const char *id,
                          material_each_fn fn, void *arg)
{
    char key[KEY_MAX];
    size_t klen = id ? key_make(id, "", key) : 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_material, &cur);
    if (rc)
        return rc;
    MDB_val k = {klen, key}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, klen ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (klen && (k.mv_size < klen || memcmp(k.mv_data, key, klen) != 0))
            break;
        const char *sep = memchr(k.mv_data, STORE_SEP, k.mv_size);
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (!rec || !sep) {
            json_decref(rec);
            rc = STDTAX_ESTORE;
            break;
        }
        rc = fn(k.mv_data, (size_t)(sep - (const char *)k.mv_data), rec, arg);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int list_add(const char *id, size_t id_len, json_t *rec, void *arg)
{
    (void)id;
    (void)id_len;
    return json_array_append_new(arg, rec) ? STDTAX_ENOMEM : 0;
}

int store_material_list(struct store *s, const char *proposal_id, json_t **items,
                        struct stdtax_error *err)
{
    *items = json_array();
    if (!*items)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (!s->has_materials || !store_id_ok(proposal_id))
        return 0;
    MDB_txn *txn;
    int rc = store_read_begin(s, &txn, err);
    if (rc)
        return rc;
    rc = materials_each(s, txn, proposal_id, list_add, *items);
    store_read_end(s, txn);
    if (rc) {
        json_decref(*items);
        *items = NULL;
        return store_mdb_error(s, rc, "list materials", err);
    }
    return 0;
}

/* ---- check and repair ---------------------------------------------------------- */

#define CHECK_ITEMS_MAX 100

struct check {
    struct store *s;
    json_t *refs; /* sha -> count from the records */
    json_t *report, *missing, *damaged, *unreferenced;
    size_t materials, files, removed;
    bool repair;
    struct stdtax_error *err;
};

static void item_add(json_t *list, json_t *item)
{
    if (json_array_size(list) < CHECK_ITEMS_MAX)
        json_array_append_new(list, item);
    else
        json_decref(item);
}

static int check_record(const char *id, size_t id_len, json_t *rec, void *arg)
{
    struct check *c = arg;
    const char *sha = json_string_value(json_object_get(rec, "sha256"));
    c->materials++;
    if (sha) {
        json_int_t n = json_integer_value(json_object_get(c->refs, sha));
        json_object_set_new(c->refs, sha, json_integer(n + 1));
    }
    if (c->repair) {
        json_decref(rec);
        return 0;
    }
    char path[MATERIAL_PATH_MAX], actual[65];
    struct stdtax_error ferr = {0};
    int rc = sha ? material_file_path(c->s->dir, sha, path, sizeof path) : STDTAX_EINVAL;
    if (!rc)
        rc = material_file_hash(path, actual, &ferr);
    json_t *where = json_pack("{s:s%, s:O, s:s?}", "id", id, id_len, "slot",
                              json_object_get(rec, "id"), "sha256", sha);
    if (rc) {
        item_add(c->missing, where);
    } else if (strcmp(actual, sha) != 0) {
        json_object_set_new(where, "actual", json_string(actual));
        item_add(c->damaged, where);
    } else {
        json_decref(where);
    }
    json_decref(rec);
    return 0;
}

static int check_file(const struct material_file_entry *e, void *arg)
{
    struct check *c = arg;
    if (e->in_progress)
        return 0;
    c->files++;
    if (e->sha && json_object_get(c->refs, e->sha))
        return 0;
    if (c->repair) {
        if (unlink(e->path) == 0)
            c->removed++;
        return 0;
    }
    item_add(c->unreferenced, json_string(e->path));
    return 0;
}

/* The stored counts against the recount: how many keys differ; a repair writes the
 * recount in their place. */
static int refs_compare(struct check *c, MDB_txn *txn, size_t *differences)
{
    struct store *s = c->s;
    MDB_cursor *cur;
    *differences = 0;
    int rc = mdb_cursor_open(txn, s->dbi_material_ref, &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char sha[65] = "";
        if (k.mv_size == 64)
            memcpy(sha, k.mv_data, 64);
        json_int_t want = json_integer_value(json_object_get(c->refs, sha));
        if ((uint64_t)want != store_u64_get(&v))
            (*differences)++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    const char *sha;
    json_t *n;
    json_object_foreach(c->refs, sha, n)
    {
        MDB_val key = {strlen(sha), (void *)sha}, val;
        if (mdb_get(txn, s->dbi_material_ref, &key, &val) == MDB_NOTFOUND)
            (*differences)++;
    }
    if (!c->repair || *differences == 0)
        return 0;
    if ((rc = mdb_drop(txn, s->dbi_material_ref, 0)) != 0)
        return rc;
    json_object_foreach(c->refs, sha, n)
    {
        uint64_t count = (uint64_t)json_integer_value(n);
        MDB_val key = {strlen(sha), (void *)sha}, val = {sizeof count, &count};
        if ((rc = mdb_put(txn, s->dbi_material_ref, &key, &val, 0)) != 0)
            return rc;
    }
    return 0;
}

static int check_run(struct check *c, MDB_txn *txn)
{
    int rc = materials_each(c->s, txn, NULL, check_record, c);
    if (rc)
        return rc;
    size_t differences;
    if ((rc = refs_compare(c, txn, &differences)) != 0)
        return rc;
    json_object_set_new(c->report, "refs",
                        json_pack("{s:I}", "differences", (json_int_t)differences));
    return material_files_walk(c->s->dir, check_file, c, c->err);
}

static int check_init(struct check *c, struct store *s, bool repair,
                      struct stdtax_error *err)
{
    *c = (struct check){.s = s, .repair = repair, .err = err};
    c->refs = json_object();
    c->report = json_object();
    c->missing = json_array();
    c->damaged = json_array();
    c->unreferenced = json_array();
    if (c->refs && c->report && c->missing && c->damaged && c->unreferenced)
        return 0;
    return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
}

static void check_free(struct check *c)
{
    json_decref(c->refs);
    json_decref(c->report);
    json_decref(c->missing);
    json_decref(c->damaged);
    json_decref(c->unreferenced);
}

int store_material_check(struct store *s, json_t **report, struct stdtax_error *err)
{
    *report = NULL;
    struct check c;
    int rc = check_init(&c, s, false, err);
    MDB_txn *txn = NULL;
    if (!rc && s->has_materials && (rc = store_read_begin(s, &txn, err)) == 0) {
        rc = check_run(&c, txn);
        store_read_end(s, txn);
        if (rc)
            rc =
                rc < 0 && rc > -100 ? rc : store_mdb_error(s, rc, "check materials", err);
    }
    if (rc) {
        check_free(&c);
        return rc;
    }
    json_int_t diffs = json_integer_value(
        json_object_get(json_object_get(c.report, "refs"), "differences"));
    bool ok = json_array_size(c.missing) == 0 && json_array_size(c.damaged) == 0 &&
              json_array_size(c.unreferenced) == 0 && diffs == 0;
    json_object_set_new(c.report, "ok", json_boolean(ok));
    json_object_set_new(c.report, "materials", json_integer((json_int_t)c.materials));
    json_object_set_new(c.report, "files", json_integer((json_int_t)c.files));
    json_object_set(c.report, "unreferenced", c.unreferenced);
    json_object_set(c.report, "missing", c.missing);
    json_object_set(c.report, "damaged", c.damaged);
    if (!json_object_get(c.report, "refs"))
        json_object_set_new(c.report, "refs", json_pack("{s:i}", "differences", 0));
    *report = json_incref(c.report);
    check_free(&c);
    return 0;
}

static int repair_body(struct store *s, MDB_txn *txn, void *arg, struct stdtax_error *err)
{
    struct check *c = arg;
    (void)s;
    (void)err;
    json_object_clear(c->refs);
    c->materials = c->files = c->removed = 0;
    return check_run(c, txn);
}

int store_material_repair(struct store *s, json_t **report, struct stdtax_error *err)
{
    if (report)
        *report = NULL;
    struct check c;
    int rc = check_init(&c, s, true, err);
    if (!rc && s->has_materials)
        rc = store_write(s, repair_body, &c, err);
    if (!rc && report) {
        json_int_t diffs = json_integer_value(
            json_object_get(json_object_get(c.report, "refs"), "differences"));
        *report = json_pack("{s:I, s:I}", "removed", (json_int_t)c.removed,
                            "refs_rebuilt", diffs);
    }
    check_free(&c);
    return rc;
}
