/* The store against a real LMDB environment in a fresh directory per test.
 * Criterion forks per test, so every test opens its own environment. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stdtax/store.h"
#include "store_internal.h"

static char dir[64];
static struct store *st;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void dir_make(void)
{
    snprintf(dir, sizeof dir, "/tmp/stdtax-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void open_default(void)
{
    dir_make();
    struct stdtax_error err = {0};
    int rc = store_open(dir, NULL, &st, &err);
    cr_assert_eq(rc, 0, "store_open: %s", err.text);
}

static void teardown(void)
{
    store_close(st);
    st = NULL;
    if (dir[0])
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static json_t *rec(const char *call, const char *track, const char *status,
                   const char *cat, const char *sub, const char *topic,
                   const char *received)
{
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s?}, s:[], s:s}", "title",
                          "标准 title", "call", call, "track", track, "status", status,
                          "classification", "category", cat, "subcategory", sub,
                          "priority_topics", "received", received);
    cr_assert_not_null(r);
    if (topic)
        json_array_append_new(json_object_get(r, "priority_topics"), json_string(topic));
    return r;
}

static void put_ok(json_t *r, char id[STORE_ID_MAX])
{
    struct stdtax_error err = {0};
    int created = -1;
    int rc = store_proposal_put(st, r, NULL, NULL, id, &created, &err);
    cr_assert_eq(rc, 0, "put: %s %s", err.field, err.text);
    cr_assert_eq(created, 1);
}

static json_int_t cnt(json_t *counts, const char *map, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(counts, map), key));
}

static json_t *counts(const struct store_filter *f)
{
    json_t *c = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(store_counts_get(st, f, &c, &err), 0, "%s", err.text);
    return c;
}

static void check_ok(void)
{
    json_t *rep = NULL;
    cr_assert_eq(store_check(st, &rep, NULL), 0);
    char *s = json_dumps(rep, JSON_COMPACT);
    cr_expect(json_is_true(json_object_get(rep, "ok")), "check: %s", s);
    free(s);
    json_decref(rep);
}

TestSuite(store, .init = open_default, .fini = teardown);
TestSuite(store_open, .init = dir_make, .fini = teardown);

/* Every object in v has its members in sorted order (jansson keeps the order read). */
static void expect_keys_sorted(const json_t *v)
{
    const char *key, *prev = NULL;
    json_t *item;
    size_t i;
    if (json_is_array(v))
        json_array_foreach(v, i, item) expect_keys_sorted(item);
    json_object_foreach((json_t *)v, key, item)
    {
        cr_expect(!prev || strcmp(prev, key) < 0, "%s after %s", key, prev);
        prev = key;
        expect_keys_sorted(item);
    }
}

Test(store, put_assigns_ids_per_call_and_get_returns_compact_record)
{
    char id[STORE_ID_MAX];
    json_t *r = rec("2023", "local", "submitted", "infra", "infra.chips", NULL,
                    "2023-08-01T10:00:00+08:00");
    put_ok(r, id);
    cr_expect_str_eq(id, "P2023-000001");
    cr_expect_str_eq(json_string_value(json_object_get(r, "id")), "P2023-000001");
    json_decref(r);
    r = rec("2023", "group", "submitted", "core", NULL, NULL, "2023-08-02T10:00:00Z");
    put_ok(r, id);
    cr_expect_str_eq(id, "P2023-000002");
    json_decref(r);
    r = rec("2024", "group", "submitted", "core", NULL, NULL, "2024-08-02T10:00:00Z");
    put_ok(r, id);
    cr_expect_str_eq(id, "P2024-000001");
    json_decref(r);

    json_t *got = NULL;
    cr_assert_eq(store_proposal_get(st, "P2023-000001", &got, NULL), 0);
    cr_expect_str_eq(json_string_value(json_object_get(got, "title")), "标准 title");
    cr_expect_str_eq(json_string_value(json_object_get(got, "id")), "P2023-000001");

    /* The stored bytes are the record, keys sorted. */
    MDB_txn *txn;
    cr_assert_eq(store_read_begin(st, &txn, NULL), 0);
    MDB_val k = {12, "P2023-000001"}, v;
    cr_assert_eq(mdb_get(txn, st->dbi_proposals, &k, &v), 0);
    json_t *stored = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    cr_expect(json_equal(stored, got));
    expect_keys_sorted(stored);
    json_decref(stored);
    store_read_end(st, txn);
    json_decref(got);

    struct stdtax_error err;
    cr_expect_eq(store_proposal_get(st, "P2023-000009", &got, &err), STDTAX_ENOTFOUND);
    cr_expect_eq(store_proposal_get(st, "../x", &got, &err), STDTAX_ENOTFOUND);
}

Test(store, put_rejects_invalid_fields_and_duplicate_ids)
{
    struct stdtax_error err;
    char id[STORE_ID_MAX];
    const struct {
        const char *track, *status, *cat, *received, *field;
    } bad[] = {
        {"national", "submitted", "infra", "2023-08-01T00:00:00Z", "/track"},
        {"local", "accepted", "infra", "2023-08-01T00:00:00Z", "/status"},
        {"local", "submitted", "in fra", "2023-08-01T00:00:00Z",
         "/classification/category"},
        {"local", "submitted", "infra", "yesterday", "/received"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *r = rec("2023", bad[i].track, bad[i].status, bad[i].cat, NULL, NULL,
                        bad[i].received);
        cr_expect_eq(store_proposal_put(st, r, NULL, NULL, id, NULL, &err),
                     STDTAX_EINVAL);
        cr_expect_str_eq(err.field, bad[i].field);
        json_decref(r);
    }
    json_t *r =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-08-01T00:00:00Z");
    json_object_set_new(r, "id", json_string("IMPORTED-1"));
    put_ok(r, id);
    cr_expect_str_eq(id, "IMPORTED-1");
    cr_expect_eq(store_proposal_put(st, r, NULL, NULL, id, NULL, &err), STDTAX_ECONFLICT);
    json_decref(r);
    /* An imported record holding the next generated id is skipped over. */
    r = rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-08-01T00:00:00Z");
    json_object_set_new(r, "id", json_string("P2023-000001"));
    put_ok(r, id);
    json_decref(r);
    r = rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-08-01T00:00:00Z");
    put_ok(r, id);
    cr_expect_str_eq(id, "P2023-000002");
    json_decref(r);
    json_t *c = counts(NULL);
    cr_expect_eq(cnt(c, "nodes", "infra"), 3);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 3);
    json_decref(c);
}

Test(store, counts_parents_topics_withdrawn_and_filters)
{
    char id[STORE_ID_MAX];
    const char *t = "2023-08-01T00:00:00Z";
    json_t *rs[] = {
        rec("2023", "local", "submitted", "infra", "infra.chips", "chips-sensors", t),
        rec("2023", "local", "under-review", "infra", "infra.sensors", "chips-sensors",
            t),
        rec("2023", "group", "submitted", "infra", NULL, NULL, t),
        rec("2023", "group", "withdrawn", "infra", "infra.chips", "chips-sensors", t),
        rec("2024", "group", "rejected", "safety", "safety.foundational", NULL, t),
    };
    for (size_t i = 0; i < 5; i++) {
        put_ok(rs[i], id);
        json_decref(rs[i]);
    }
    json_t *c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 4);
    cr_expect_eq(cnt(c, "nodes", "infra"), 3);
    cr_expect_eq(cnt(c, "nodes", "infra.chips"), 1);
    cr_expect_eq(cnt(c, "nodes", "infra.sensors"), 1);
    cr_expect_eq(cnt(c, "nodes", "safety"), 1);
    cr_expect_eq(cnt(c, "topics", "chips-sensors"), 2);
    cr_expect_eq(cnt(c, "tracks", "local"), 2);
    cr_expect_eq(cnt(c, "tracks", "group"), 2);
    cr_expect_eq(cnt(c, "calls", "2023"), 3);
    cr_expect_eq(cnt(c, "statuses", "withdrawn"), 1);
    cr_expect_eq(cnt(c, "statuses", "submitted"), 2);
    json_decref(c);

    struct store_filter f = {.call = "2023", .include_withdrawn = 1};
    c = counts(&f);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 4);
    cr_expect_eq(cnt(c, "nodes", "infra.chips"), 2);
    cr_expect_null(json_object_get(json_object_get(c, "nodes"), "safety"));
    json_decref(c);

    f = (struct store_filter){.track = "group", .status = "withdrawn"};
    c = counts(&f);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 1);
    cr_expect_eq(cnt(c, "nodes", "infra.chips"), 1);
    json_decref(c);

    f = (struct store_filter){.call = "2023", .track = "local", .status = "submitted"};
    c = counts(&f);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 1);
    cr_expect_eq(cnt(c, "nodes", "infra.chips"), 1);
    json_decref(c);
    check_ok();
}

static int set_status(json_t *r, void *arg, struct stdtax_error *err)
{
    (void)err;
    return json_object_set_new(r, "status", json_string(arg)) ? STDTAX_ENOMEM : 0;
}

static int refuse(json_t *r, void *arg, struct stdtax_error *err)
{
    (void)r;
    (void)arg;
    return stdtax_error_set(err, STDTAX_EFORBIDDEN, "/status", "no");
}

Test(store, replace_update_delete_move_counts)
{
    char id[STORE_ID_MAX];
    json_t *r = rec("2023", "local", "submitted", "infra", "infra.chips", "chips-sensors",
                    "2023-08-01T00:00:00Z");
    put_ok(r, id);

    /* category correction */
    json_t *n = rec("2023", "local", "submitted", "core", "core.ml", NULL,
                    "2023-08-01T00:00:00Z");
    cr_assert_eq(store_proposal_replace(st, id, n, NULL), 0);
    json_t *c = counts(NULL);
    cr_expect_null(json_object_get(json_object_get(c, "nodes"), "infra"));
    cr_expect_null(json_object_get(json_object_get(c, "topics"), "chips-sensors"));
    cr_expect_eq(cnt(c, "nodes", "core"), 1);
    cr_expect_eq(cnt(c, "nodes", "core.ml"), 1);
    json_decref(c);
    check_ok();

    /* another id in the record is refused */
    json_object_set_new(n, "id", json_string("P2023-000777"));
    struct stdtax_error err;
    cr_expect_eq(store_proposal_replace(st, id, n, &err), STDTAX_EINVAL);
    cr_expect_eq(store_proposal_replace(st, "P2023-000777", r, &err), STDTAX_ENOTFOUND);

    /* status change by read-modify-write */
    json_t *out = NULL;
    cr_assert_eq(store_proposal_update(st, id, set_status, "withdrawn", &out, NULL), 0);
    cr_expect_str_eq(json_string_value(json_object_get(out, "status")), "withdrawn");
    json_decref(out);
    cr_expect_eq(store_proposal_update(st, id, refuse, NULL, NULL, &err),
                 STDTAX_EFORBIDDEN);
    c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 0);
    cr_expect_eq(cnt(c, "statuses", "withdrawn"), 1);
    cr_expect_eq(cnt(c, "statuses", "submitted"), 0);
    json_decref(c);
    check_ok();

    cr_assert_eq(store_proposal_delete(st, id, NULL), 0);
    cr_expect_eq(store_proposal_delete(st, id, &err), STDTAX_ENOTFOUND);
    json_t *raw = NULL;
    cr_assert_eq(store_stats_raw(st, &raw, NULL), 0);
    json_t *e = json_object_get(raw, "entries");
    cr_expect_eq(json_integer_value(json_object_get(e, "proposals")), 0);
    cr_expect_eq(json_integer_value(json_object_get(e, "index")), 0);
    cr_expect_eq(json_integer_value(json_object_get(e, "counts")), 0);
    json_decref(raw);
    json_decref(r);
    json_decref(n);
}

Test(store, idempotent_put_returns_first_id_without_double_count)
{
    char id1[STORE_ID_MAX], id2[STORE_ID_MAX];
    int created = -1;
    struct stdtax_error err;
    json_t *r = rec("2023", "group", "submitted", "domain", "domain.nlp", NULL,
                    "2023-08-01T00:00:00Z");
    cr_assert_eq(store_proposal_put(st, r, "key-1", "hash-a", id1, &created, &err), 0);
    cr_expect_eq(created, 1);
    json_object_del(r, "id");
    cr_assert_eq(store_proposal_put(st, r, "key-1", "hash-a", id2, &created, &err), 0);
    cr_expect_eq(created, 0);
    cr_expect_str_eq(id1, id2);
    cr_expect_eq(store_proposal_put(st, r, "key-1", "hash-b", id2, &created, &err),
                 STDTAX_ECONFLICT);
    json_t *c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 1);
    json_decref(c);

    /* the same key twice inside one batch */
    json_t *a = json_deep_copy(r), *b = json_deep_copy(r), *d = json_deep_copy(r);
    json_object_set_new(d, "track", json_string("bogus"));
    struct store_put_item items[3] = {
        {.record = a, .idem_key = "key-2", .request_hash = "h"},
        {.record = b, .idem_key = "key-2", .request_hash = "h"},
        {.record = d},
    };
    cr_assert_eq(store_proposal_put_batch(st, items, 3, &err), 0);
    cr_expect_eq(items[0].rc, 0);
    cr_expect_eq(items[0].created, 1);
    cr_expect_eq(items[1].rc, 0);
    cr_expect_eq(items[1].created, 0);
    cr_expect_str_eq(items[0].id, items[1].id);
    cr_expect_eq(items[2].rc, STDTAX_EINVAL);
    cr_expect_str_eq(items[2].err.field, "/track");
    c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 2);
    json_decref(c);
    json_decref(a);
    json_decref(b);
    json_decref(d);
    json_decref(r);
    check_ok();
}

/* ---- random operations against an in-memory model ---------------------- */

static const char *const m_calls[] = {"2023", "2024"};
static const char *const m_tracks[] = {"local", "group"};
static const char *const m_status[] = {"submitted",         "under-review",
                                       "recommended-local", "recommended-group",
                                       "rejected",          "withdrawn"};
static const char *const m_cats[] = {"infra", "core", "domain"};
static const char *const m_subs[] = {NULL, "x", "y"};
static const char *const m_topics[] = {NULL, "t1", "t2"};

struct mrec {
    int live;
    char id[STORE_ID_MAX];
    int call, track, status, cat, sub, topic;
};

static json_t *mrec_json(const struct mrec *m, int sec)
{
    char sub[32], ts[40];
    if (m_subs[m->sub])
        snprintf(sub, sizeof sub, "%s.%s", m_cats[m->cat], m_subs[m->sub]);
    snprintf(ts, sizeof ts, "2023-08-01T00:%02d:%02dZ", (sec / 60) % 60, sec % 60);
    return rec(m_calls[m->call], m_tracks[m->track], m_status[m->status], m_cats[m->cat],
               m_subs[m->sub] ? sub : NULL, m_topics[m->topic], ts);
}

static void model_compare(const struct mrec *ms, size_t n, const struct store_filter *f)
{
    json_t *want =
        json_pack("{s:I, s:{}, s:{}, s:{}, s:{}, s:{}}", "total", (json_int_t)0, "nodes",
                  "tracks", "statuses", "topics", "calls");
    json_int_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mrec *m = &ms[i];
        if (!m->live || (f->call && strcmp(f->call, m_calls[m->call])) ||
            (f->track && strcmp(f->track, m_tracks[m->track])) ||
            (f->status && strcmp(f->status, m_status[m->status])))
            continue;
        json_t *o = json_object_get(want, "statuses");
        const char *k = m_status[m->status];
        json_object_set_new(o, k,
                            json_integer(json_integer_value(json_object_get(o, k)) + 1));
        if (!f->status && m->status == 5)
            continue;
        total++;
        const char *keys[5][2] = {{"tracks", m_tracks[m->track]},
                                  {"calls", m_calls[m->call]},
                                  {"nodes", m_cats[m->cat]},
                                  {"nodes", NULL},
                                  {"topics", m_topics[m->topic]}};
        char sub[32];
        if (m_subs[m->sub]) {
            snprintf(sub, sizeof sub, "%s.%s", m_cats[m->cat], m_subs[m->sub]);
            keys[3][1] = sub;
        }
        for (int j = 0; j < 5; j++) {
            if (!keys[j][1])
                continue;
            o = json_object_get(want, keys[j][0]);
            json_object_set_new(
                o, keys[j][1],
                json_integer(json_integer_value(json_object_get(o, keys[j][1])) + 1));
        }
    }
    json_object_set_new(want, "total", json_integer(total));
    json_t *got = counts(f);
    char *a = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    char *b = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    cr_expect_str_eq(b, a, "filter call=%s track=%s status=%s", f->call, f->track,
                     f->status);
    free(a);
    free(b);
    json_decref(want);
    json_decref(got);
}

Test(store, random_operations_keep_counts_exact, .timeout = 120)
{
    enum { OPS = 2000 };
    static struct mrec ms[OPS];
    size_t n = 0;
    unsigned seed = 20231031;
    for (int op = 0; op < OPS; op++) {
        int kind = rand_r(&seed) % 10;
        size_t live = 0;
        for (size_t i = 0; i < n; i++)
            live += ms[i].live;
        struct mrec m = {.live = 1,
                         .call = rand_r(&seed) % 2,
                         .track = rand_r(&seed) % 2,
                         .status = rand_r(&seed) % 6,
                         .cat = rand_r(&seed) % 3,
                         .sub = rand_r(&seed) % 3,
                         .topic = rand_r(&seed) % 3};
        if (kind < 5 || live == 0) {
            json_t *r = mrec_json(&m, rand_r(&seed) % 3600);
            put_ok(r, m.id);
            json_decref(r);
            ms[n++] = m;
            continue;
        }
        size_t pick = (size_t)rand_r(&seed) % n;
        while (!ms[pick].live)
            pick = (pick + 1) % n;
        if (kind < 8) {
            memcpy(m.id, ms[pick].id, sizeof m.id);
            json_t *r = mrec_json(&m, rand_r(&seed) % 3600);
            struct stdtax_error err = {0};
            cr_assert_eq(store_proposal_replace(st, m.id, r, &err), 0, "%s", err.text);
            json_decref(r);
            ms[pick] = m;
        } else {
            cr_assert_eq(store_proposal_delete(st, ms[pick].id, NULL), 0);
            ms[pick].live = 0;
        }
    }
    const struct store_filter fs[] = {
        {0},
        {.call = "2023"},
        {.track = "group"},
        {.status = "withdrawn"},
        {.call = "2024", .track = "local"},
        {.call = "2023", .track = "group", .status = "rejected"},
        {.status = "submitted", .track = "local"},
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        model_compare(ms, n, &fs[i]);
    check_ok();

    /* listing a category returns exactly the live matching records */
    struct store_filter f = {.category = "core", .track = "local"};
    size_t want = 0, got = 0;
    for (size_t i = 0; i < n; i++)
        want += ms[i].live && ms[i].cat == 1 && ms[i].track == 0 && ms[i].status != 5;
    char *cursor = NULL;
    do {
        json_t *items;
        char *next;
        cr_assert_eq(store_proposal_list(st, &f, cursor, 7, &items, &next, NULL), 0);
        got += json_array_size(items);
        json_decref(items);
        free(cursor);
        cursor = next;
    } while (cursor);
    cr_expect_eq(got, want);
}

/* ---- listing -------------------------------------------------------------- */

static void ts(char *out, int minute)
{
    snprintf(out, 40, "2023-08-01T%02d:%02d:00Z", minute / 60, minute % 60);
}

Test(store, list_filters_category_includes_subcategories)
{
    char id[STORE_ID_MAX], t[40];
    const struct {
        const char *track, *status, *cat, *sub, *topic;
    } rs[] = {
        {"local", "submitted", "infra", "infra.chips", "chips"},
        {"local", "submitted", "infra", NULL, NULL},
        {"group", "submitted", "infra", "infra.chips", NULL},
        {"group", "withdrawn", "infra", "infra.chips", "chips"},
        {"group", "rejected", "core", NULL, "chips"},
    };
    for (int i = 0; i < 5; i++) {
        ts(t, 50 - i); /* received in reverse insertion order */
        json_t *r =
            rec("2023", rs[i].track, rs[i].status, rs[i].cat, rs[i].sub, rs[i].topic, t);
        put_ok(r, id);
        json_decref(r);
    }
    const struct {
        struct store_filter f;
        const char *ids; /* in received order */
    } cases[] = {
        {{.category = "infra"}, "P2023-000003 P2023-000002 P2023-000001"},
        {{.category = "infra.chips"}, "P2023-000003 P2023-000001"},
        {{.category = "infra.chips", .include_withdrawn = 1},
         "P2023-000004 P2023-000003 P2023-000001"},
        {{.topic = "chips"}, "P2023-000005 P2023-000001"},
        {{.track = "group", .status = "withdrawn"}, "P2023-000004"},
        {{.track = "local", .category = "infra", .call = "2023"},
         "P2023-000002 P2023-000001"},
        {{.call = "2024"}, ""},
        {{.category = "nope"}, ""},
        {{0}, "P2023-000005 P2023-000003 P2023-000002 P2023-000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *items;
        char *next;
        cr_assert_eq(store_proposal_list(st, &cases[i].f, NULL, 100, &items, &next, NULL),
                     0);
        char got[256] = "";
        for (size_t j = 0; j < json_array_size(items); j++) {
            const char *rid =
                json_string_value(json_object_get(json_array_get(items, j), "id"));
            strcat(got, j ? " " : "");
            strcat(got, rid);
        }
        cr_expect_str_eq(got, cases[i].ids, "case %zu", i);
        cr_expect_null(next);
        json_decref(items);
    }
    json_t *items;
    char *next;
    struct stdtax_error err;
    cr_expect_eq(store_proposal_list(st, NULL, NULL, 0, &items, &next, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(store_proposal_list(st, NULL, NULL, 1001, &items, &next, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(store_proposal_list(st, NULL, "zz", 10, &items, &next, &err),
                 STDTAX_EINVAL);
}

Test(store, cursor_is_stable_when_records_are_added_between_pages)
{
    char id[STORE_ID_MAX], t[40];
    char ids[40][STORE_ID_MAX];
    for (int i = 0; i < 40; i++) {
        ts(t, 100 + 2 * i);
        json_t *r = rec("2023", "local", "submitted", "core", NULL, NULL, t);
        put_ok(r, ids[i]);
        json_decref(r);
    }
    char *cursor = NULL;
    int seen = 0, page = 0, added_late = 0;
    do {
        json_t *items;
        char *next;
        cr_assert_eq(store_proposal_list(st, NULL, cursor, 6, &items, &next, NULL), 0);
        for (size_t j = 0; j < json_array_size(items); j++) {
            const char *rid =
                json_string_value(json_object_get(json_array_get(items, j), "id"));
            if (strncmp(rid, "LATE", 4) == 0) {
                added_late++;
                continue;
            }
            cr_assert_lt(seen, 40);
            cr_expect_str_eq(rid, ids[seen], "page %d item %zu", page, j);
            seen++;
        }
        json_decref(items);
        free(cursor);
        cursor = next;
        /* Between pages: one record before everything seen (must not shift the
         * pages) and one after everything (must show up at the end). */
        if (page < 3) {
            json_t *r = rec("2023", "local", "submitted", "core", NULL, NULL,
                            "2023-08-01T00:00:00Z");
            put_ok(r, id);
            json_decref(r);
            ts(t, 600 + page);
            r = rec("2023", "local", "submitted", "core", NULL, NULL, t);
            snprintf(id, sizeof id, "LATE-%d", page);
            json_object_set_new(r, "id", json_string(id));
            put_ok(r, id);
            json_decref(r);
        }
        page++;
    } while (cursor);
    cr_expect_eq(seen, 40);
    cr_expect_eq(added_late, 3);
}

/* ---- growth, versions, files ------------------------------------------------ */

Test(store_open, map_grows_from_a_tiny_start, .timeout = 120)
{
    struct store_options o = {.map_size = 64 * 1024};
    struct stdtax_error err = {0};
    cr_assert_eq(store_open(dir, &o, &st, &err), 0, "%s", err.text);
    char pad[600];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    enum { BATCHES = 150, PER = 10 };
    for (int b = 0; b < BATCHES; b++) {
        struct store_put_item items[PER];
        memset(items, 0, sizeof items);
        for (int i = 0; i < PER; i++) {
            items[i].record = rec("2023", b % 2 ? "local" : "group", "submitted",
                                  "domain", "domain.vision", "t", "2023-08-01T00:00:00Z");
            json_object_set_new(items[i].record, "pad", json_string(pad));
        }
        cr_assert_eq(store_proposal_put_batch(st, items, PER, &err), 0, "%s", err.text);
        for (int i = 0; i < PER; i++) {
            cr_assert_eq(items[i].rc, 0);
            json_decref(items[i].record);
        }
    }
    json_t *raw = NULL;
    cr_assert_eq(store_stats_raw(st, &raw, NULL), 0);
    cr_expect_geq(json_integer_value(json_object_get(raw, "map_resizes")), 4);
    cr_expect_gt(json_integer_value(json_object_get(raw, "map_size")), 1024 * 1024);
    json_decref(raw);
    json_t *c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), BATCHES * PER);
    cr_expect_eq(cnt(c, "nodes", "domain.vision"), BATCHES * PER);
    json_decref(c);
    check_ok();
    /* reopening keeps the grown size */
    store_close(st);
    cr_assert_eq(store_open(dir, &o, &st, &err), 0, "%s", err.text);
    c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), BATCHES * PER);
    json_decref(c);
}

Test(store, schema_version_mismatch_names_dir_and_versions)
{
    store_close(st);
    st = NULL;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, dir, 0, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {14, "schema_version"}, v = {2, "99"};
    cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    struct stdtax_error err = {0};
    cr_expect_eq(store_open(dir, NULL, &st, &err), STDTAX_EVERSION);
    cr_expect_null(st);
    cr_expect_not_null(strstr(err.text, dir), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "version 99"), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "version 2"), "%s", err.text);
}

/* ---- the group index and the duplicate rule's callback ----------------------------- */

/* A rule that calls every record of the group with a title a duplicate, and counts the
 * calls. */
struct same_title {
    const char *title;
    int calls;
};

static int same_title(const struct store_candidate *c, void *arg)
{
    struct same_title *t = arg;
    t->calls++;
    cr_assert_not_null(c->fp);
    /* the summary the store keeps beside the fingerprint */
    return t->title && memmem(c->summary, c->summary_len, t->title, strlen(t->title));
}

static struct store_put_item grouped(json_t *r, const char *group, struct same_title *t)
{
    return (struct store_put_item){
        .record = r, .group = group, .duplicate = same_title, .duplicate_arg = t};
}

/* Two items of one group in ONE batch, the second a duplicate of the first: the first
 * is stored, the second refused naming it, an item of another group stored; the rule
 * never meets a withdrawn record, and an item without a rule is stored. */
Test(store, duplicate_rule_runs_in_the_batch_transaction)
{
    json_t *a =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-09-01T00:00:00Z");
    json_t *b = json_deep_copy(a), *c = json_deep_copy(a);
    struct same_title rule = {"标准 title", 0};
    struct store_put_item items[3] = {grouped(a, "org-a", &rule),
                                      grouped(b, "org-a", &rule),
                                      grouped(c, "org-b", &rule)};
    struct stdtax_error err = {0};
    cr_assert_eq(store_proposal_put_batch(st, items, 3, &err), 0, "%s", err.text);
    cr_expect_eq(items[0].rc, 0);
    cr_expect_eq(items[1].rc, STDTAX_ECONFLICT);
    cr_expect_str_eq(items[1].duplicate_of, items[0].id);
    cr_expect_eq(items[2].rc, 0);
    cr_expect_str_eq(items[2].duplicate_of, "");
    cr_expect_eq(rule.calls, 1, "only the record of org-a is met");
    json_t *n = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(n, "total")), 2);
    json_decref(n);
    check_ok();

    /* Withdrawn: not met any more. */
    cr_assert_eq(
        store_proposal_update(st, items[0].id, set_status, "withdrawn", NULL, &err), 0,
        "%s", err.text);
    rule.calls = 0;
    json_t *d = json_deep_copy(b);
    struct store_put_item again = grouped(d, "org-a", &rule);
    cr_assert_eq(store_proposal_put_batch(st, &again, 1, &err), 0);
    cr_expect_eq(again.rc, 0);
    cr_expect_eq(rule.calls, 0);
    /* Without a rule the group is indexed all the same. */
    json_t *e = json_deep_copy(b);
    struct store_put_item plain = {.record = e, .group = "org-a"};
    cr_assert_eq(store_proposal_put_batch(st, &plain, 1, &err), 0);
    cr_expect_eq(plain.rc, 0);
    rule.calls = 0;
    json_t *f = json_deep_copy(b);
    struct store_put_item third = grouped(f, "org-a", &rule);
    cr_assert_eq(store_proposal_put_batch(st, &third, 1, &err), 0);
    cr_expect_eq(third.rc, STDTAX_ECONFLICT);
    cr_expect_eq(rule.calls, 1, "the withdrawn record is skipped, the next is met");
    cr_expect_str_eq(third.duplicate_of, again.id);
    /* A hard delete takes its group entry with it. */
    cr_assert_eq(store_proposal_delete(st, again.id, &err), 0);
    cr_assert_eq(store_proposal_delete(st, plain.id, &err), 0);
    check_ok();
    json_t *g = json_deep_copy(b);
    struct store_put_item fourth = grouped(g, "org-a", &rule);
    cr_assert_eq(store_proposal_put_batch(st, &fourth, 1, &err), 0);
    cr_expect_eq(fourth.rc, 0);
    json_t *bad = json_deep_copy(b);
    struct store_put_item badg = {.record = bad, .group = "bad\x01group"};
    cr_assert_eq(store_proposal_put_batch(st, &badg, 1, &err), 0);
    cr_expect_eq(badg.rc, STDTAX_EINVAL);
    for (json_t **r = (json_t *[]){a, b, c, d, e, f, g, bad, NULL}; *r; r++)
        json_decref(*r);
}

/* stdtax check sees a lost group entry; repair puts it back. */
Test(store, check_and_repair_cover_the_group_index)
{
    json_t *a =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-09-01T00:00:00Z");
    struct store_put_item it = {.record = a, .group = "org-a"};
    struct stdtax_error err = {0};
    cr_assert_eq(store_proposal_put_batch(st, &it, 1, &err), 0);
    cr_assert_eq(it.rc, 0);
    check_ok();
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    MDB_val k = {5, "org-a"}, v = {strlen(it.id), it.id};
    cr_assert_eq(mdb_del(txn, st->dbi_group, &k, &v), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    json_t *report = NULL;
    cr_assert_eq(store_check(st, &report, &err), 0);
    cr_expect(json_is_false(json_object_get(report, "ok")));
    cr_expect_eq(json_integer_value(
                     json_object_get(json_object_get(report, "indexes"), "missing")),
                 1);
    json_decref(report);
    cr_assert_eq(store_repair(st, NULL, &err), 0, "%s", err.text);
    check_ok();
    json_decref(a);
}

static int group_of_title(const json_t *r, char key[STORE_GROUP_KEY_MAX + 1], void *arg)
{
    (void)arg;
    const char *t = json_string_value(json_object_get(r, "track"));
    if (!t)
        return 1;
    snprintf(key, STORE_GROUP_KEY_MAX + 1, "track-%s", t);
    return 0;
}

/* A store of schema version 1 (no group index): read-only it is read as it is; for
 * writing it needs group_of, which builds the index, and then it is version 2. */
Test(store, version_1_gets_the_group_index_when_opened_for_writing)
{
    char id[STORE_ID_MAX];
    json_t *a =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-09-01T00:00:00Z");
    put_ok(a, id);
    json_decref(a);
    MDB_txn *txn;
    MDB_dbi meta;
    cr_assert_eq(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {14, "schema_version"}, v = {1, "1"};
    cr_assert_eq(mdb_put(txn, meta, &k, &v, 0), 0);
    cr_assert_eq(mdb_drop(txn, st->dbi_group, 1), 0);
    cr_assert_eq(mdb_drop(txn, st->dbi_group_of, 1), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    store_close(st);
    st = NULL;

    struct stdtax_error err = {0};
    cr_expect_eq(store_open(dir, NULL, &st, &err), STDTAX_EVERSION);
    struct store_options ro = {.read_only = 1};
    cr_assert_eq(store_open(dir, &ro, &st, &err), 0, "%s", err.text);
    json_t *r = NULL;
    cr_expect_eq(store_proposal_get(st, id, &r, &err), 0);
    json_decref(r);
    json_t *report = NULL;
    cr_assert_eq(store_check(st, &report, &err), 0);
    cr_expect(json_is_true(json_object_get(report, "ok")));
    json_decref(report);
    store_close(st);
    st = NULL;

    struct store_options rw = {.group_of = group_of_title};
    cr_assert_eq(store_open(dir, &rw, &st, &err), 0, "%s", err.text);
    check_ok();
    struct same_title rule = {"标准 title", 0};
    json_t *b =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-09-02T00:00:00Z");
    struct store_put_item it = grouped(b, "track-local", &rule);
    cr_assert_eq(store_proposal_put_batch(st, &it, 1, &err), 0);
    cr_expect_eq(it.rc, STDTAX_ECONFLICT);
    cr_expect_str_eq(it.duplicate_of, id);
    json_decref(b);
    store_close(st);
    st = NULL;
    cr_assert_eq(store_open(dir, NULL, &st, &err), 0, "now version 2: %s", err.text);
}

Test(store_open, a_file_that_is_not_lmdb_is_named)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    for (int i = 0; i < 16384; i++)
        fputc("garbage"[i % 7], fp);
    fclose(fp);
    struct stdtax_error err = {0};
    cr_expect_eq(store_open(dir, NULL, &st, &err), STDTAX_ESTORE);
    cr_expect_not_null(strstr(err.text, path), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "not an LMDB"), "%s", err.text);

    /* a plain file where the directory should be */
    cr_expect_eq(store_open(path, NULL, &st, &err), STDTAX_EIO);
    cr_expect_not_null(strstr(err.text, path), "%s", err.text);
}

Test(store_open, read_only_open_reads_and_refuses_writes)
{
    struct store_options ro = {.read_only = 1};
    struct stdtax_error err = {0};
    cr_expect_eq(store_open(dir, &ro, &st, &err), STDTAX_ENOTFOUND, "%s", err.text);
    cr_assert_eq(store_open(dir, NULL, &st, &err), 0, "%s", err.text);
    char id[STORE_ID_MAX];
    json_t *r =
        rec("2023", "local", "submitted", "infra", NULL, NULL, "2023-08-01T00:00:00Z");
    put_ok(r, id);
    store_close(st);
    cr_assert_eq(store_open(dir, &ro, &st, &err), 0, "%s", err.text);
    json_t *c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), 1);
    json_decref(c);
    json_object_del(r, "id");
    cr_expect_eq(store_proposal_put(st, r, NULL, NULL, id, NULL, &err), STDTAX_ESTORE);
    json_decref(r);
}

/* ---- concurrency ------------------------------------------------------------ */

enum { THREADS = 4, PER_THREAD = 60 };

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        json_t *r = rec(t % 2 ? "2023" : "2024", i % 2 ? "local" : "group", "submitted",
                        "industry", i % 3 ? "industry.city" : NULL, "city",
                        "2023-08-01T00:00:00Z");
        json_object_set_new(r, "pad",
                            json_string("................................"
                                        "................................"));
        char id[STORE_ID_MAX];
        struct stdtax_error err;
        if (store_proposal_put(st, r, NULL, NULL, id, NULL, &err) != 0) {
            json_decref(r);
            return (void *)1;
        }
        json_t *c = NULL;
        if (store_counts_get(st, NULL, &c, &err) != 0) {
            json_decref(r);
            return (void *)1;
        }
        json_decref(c);
        json_decref(r);
    }
    return NULL;
}

Test(store_open, four_threads_insert_and_counts_are_exact, .timeout = 120)
{
    /* A small map, so the threads also race through map growth. */
    struct store_options o = {.map_size = 64 * 1024};
    struct stdtax_error err = {0};
    cr_assert_eq(store_open(dir, &o, &st, &err), 0, "%s", err.text);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++) {
        void *res;
        pthread_join(th[t], &res);
        cr_expect_null(res, "thread %d failed", t);
    }
    json_t *c = counts(NULL);
    cr_expect_eq(json_integer_value(json_object_get(c, "total")), THREADS * PER_THREAD);
    cr_expect_eq(cnt(c, "calls", "2023"), THREADS * PER_THREAD / 2);
    cr_expect_eq(cnt(c, "topics", "city"), THREADS * PER_THREAD);
    cr_expect_eq(cnt(c, "nodes", "industry.city"), THREADS * PER_THREAD * 2 / 3);
    json_decref(c);
    check_ok();
    json_t *raw = NULL;
    cr_assert_eq(store_stats_raw(st, &raw, NULL), 0);
    cr_expect_geq(json_integer_value(json_object_get(raw, "map_resizes")), 1);
    json_decref(raw);
}

/* ---- check and repair -------------------------------------------------------- */

Test(store, check_detects_corruption_and_repair_fixes_it)
{
    char id[STORE_ID_MAX];
    for (int i = 0; i < 5; i++) {
        json_t *r = rec("2023", "local", "submitted", "infra", "infra.chips", "chips",
                        "2023-08-01T00:00:00Z");
        put_ok(r, id);
        json_decref(r);
    }
    check_ok();

    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    const char key[] = "2023\x1flocal\x1fsubmitted\x1fn\x1finfra.chips";
    uint64_t wrong = 7;
    MDB_val k = {sizeof key - 1, (void *)key}, v = {sizeof wrong, &wrong};
    cr_assert_eq(mdb_put(txn, st->dbi_counts, &k, &v, 0), 0);
    const char ghost[] = "2023\x1fgroup\x1frejected\x1fn\x1f"
                         "core";
    MDB_val gk = {sizeof ghost - 1, (void *)ghost};
    cr_assert_eq(mdb_put(txn, st->dbi_counts, &gk, &v, 0), 0);
    /* drop one index entry of the first record, add a stray one */
    MDB_cursor *cur;
    cr_assert_eq(mdb_cursor_open(txn, st->dbi_index, &cur), 0);
    const char tk[] = "t\x1flocal";
    MDB_val ik = {sizeof tk - 1, (void *)tk}, id_ = {0};
    cr_assert_eq(mdb_cursor_get(cur, &ik, &id_, MDB_SET), 0);
    cr_assert_eq(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    const char sk[] = "s\x1frejected";
    unsigned char data[8 + 5] = {0x80, 0, 0, 0, 0, 0, 0, 1, 'G', 'H', 'O', 'S', 'T'};
    MDB_val xk = {sizeof sk - 1, (void *)sk}, xd = {sizeof data, data};
    cr_assert_eq(mdb_put(txn, st->dbi_index, &xk, &xd, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);

    json_t *rep = NULL;
    cr_assert_eq(store_check(st, &rep, NULL), 0);
    char *s = json_dumps(rep, JSON_COMPACT);
    cr_expect(json_is_false(json_object_get(rep, "ok")), "%s", s);
    json_t *cs = json_object_get(rep, "counts"), *is = json_object_get(rep, "indexes");
    cr_expect_eq(json_integer_value(json_object_get(cs, "differences")), 2, "%s", s);
    json_t *item = json_array_get(json_object_get(cs, "items"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(item, "key")),
                     "2023|group|rejected|n|core");
    item = json_array_get(json_object_get(cs, "items"), 1);
    cr_expect_str_eq(json_string_value(json_object_get(item, "key")),
                     "2023|local|submitted|n|infra.chips");
    cr_expect_eq(json_integer_value(json_object_get(item, "stored")), 7);
    cr_expect_eq(json_integer_value(json_object_get(item, "expected")), 5);
    cr_expect_eq(json_integer_value(json_object_get(is, "missing")), 1, "%s", s);
    cr_expect_eq(json_integer_value(json_object_get(is, "extra")), 1, "%s", s);
    free(s);
    json_decref(rep);

    json_t *fixed = NULL;
    cr_assert_eq(store_repair(st, &fixed, NULL), 0);
    cr_expect_eq(json_integer_value(json_object_get(fixed, "records")), 5);
    json_decref(fixed);
    check_ok();
    json_t *c = counts(NULL);
    cr_expect_eq(cnt(c, "nodes", "infra.chips"), 5);
    json_decref(c);
}

/* ---- coverage --------------------------------------------------------------- */

Test(store, coverage_lists_gaps_most_missing_first)
{
    char id[STORE_ID_MAX];
    const char *t = "2023-08-01T00:00:00Z";
    const struct {
        const char *cat, *sub, *topic;
        int n;
    } rs[] = {{"infra", "infra.chips", "chips", 3},
              {"infra", NULL, NULL, 1},
              {"core", "core.ml", NULL, 1}};
    for (size_t i = 0; i < 3; i++)
        for (int j = 0; j < rs[i].n; j++) {
            json_t *r =
                rec("2023", "local", "submitted", rs[i].cat, rs[i].sub, rs[i].topic, t);
            put_ok(r, id);
            json_decref(r);
        }
    const struct store_coverage_node nodes[] = {
        {"infra", NULL, "基础软硬件", "Foundational"},
        {"infra.chips", "infra", "智能芯片", "AI chips"},
        {"infra.sensors", "infra", "智能传感器", "Sensors"},
        {"core", NULL, "关键通用技术", "Core"},
        {"core.ml", "core", "机器学习", "ML"},
    };
    const char *const chip_nodes[] = {"infra.chips", "infra.sensors"};
    const char *const emb_nodes[] = {"domain.embodied"};
    const struct store_coverage_topic topics[] = {
        {"chips", "智能芯片与新型传感器", "Chips and sensors", chip_nodes, 2},
        {"embodied", "具身智能", "Embodied", emb_nodes, 1},
    };
    const struct store_coverage_nodes tx = {nodes, 5, topics, 2};
    json_t *out = NULL;
    cr_assert_eq(store_coverage_get(st, NULL, &tx, 3, &out, NULL), 0);
    json_t *gaps = json_object_get(out, "gaps");
    /* counts: infra 4, infra.chips 3, infra.sensors 0, core 1, core.ml 1,
     * chips 3, embodied 0 */
    const char *want[][3] = {{"embodied", "topic", "3"},
                             {"infra.sensors", "node", "3"},
                             {"core", "node", "2"},
                             {"core.ml", "node", "2"}};
    cr_assert_eq(json_array_size(gaps), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *g = json_array_get(gaps, i);
        cr_expect_str_eq(json_string_value(json_object_get(g, "code")), want[i][0]);
        cr_expect_str_eq(json_string_value(json_object_get(g, "kind")), want[i][1]);
        cr_expect_eq(json_integer_value(json_object_get(g, "missing")), atoi(want[i][2]));
        cr_expect_eq(json_is_true(json_object_get(g, "priority")), i == 0);
    }
    json_t *g = json_array_get(gaps, 1);
    cr_expect_str_eq(json_string_value(json_object_get(g, "parent")), "infra");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(g, "labels"), "zh")),
        "智能传感器");
    cr_expect_eq(json_integer_value(json_object_get(g, "count")), 0);
    json_decref(out);
}

/* ---- durability across kill -9 ------------------------------------------------ */

static void writer_until_killed(int out)
{
    struct store *s;
    if (store_open(dir, NULL, &s, NULL) != 0)
        _exit(3);
    for (unsigned i = 0;; i++) {
        json_t *r =
            rec("2023", i % 2 ? "local" : "group", i % 7 ? "submitted" : "withdrawn",
                "core", i % 3 ? "core.kg" : NULL, "kg", "2023-08-01T00:00:00Z");
        char id[STORE_ID_MAX + 1];
        if (store_proposal_put(s, r, NULL, NULL, id, NULL, NULL) != 0)
            _exit(4);
        json_decref(r);
        /* Only an id whose put returned is reported as acknowledged. */
        strcat(id, "\n");
        if (write(out, id, strlen(id)) < 0)
            _exit(5);
    }
}

Test(store_open, kill9_during_inserts_loses_no_acknowledged_write, .timeout = 120)
{
    unsigned seed = 7;
    size_t acked_total = 0;
    for (int round = 0; round < 6; round++) {
        int fd[2];
        cr_assert_eq(pipe(fd), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fd[0]);
            writer_until_killed(fd[1]);
        }
        close(fd[1]);
        usleep(20000 + (useconds_t)(rand_r(&seed) % 60000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status), "the writer stopped by itself: %d", status);
        static char buf[1 << 16];
        size_t len = 0;
        ssize_t n;
        while ((n = read(fd[0], buf + len, sizeof buf - 1 - len)) > 0)
            len += (size_t)n;
        close(fd[0]);
        buf[len] = 0;

        struct stdtax_error err = {0};
        cr_assert_eq(store_open(dir, NULL, &st, &err), 0, "%s", err.text);
        size_t acked = 0;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            json_t *got = NULL;
            cr_expect_eq(store_proposal_get(st, line, &got, &err), 0, "lost %s", line);
            json_decref(got);
            acked++;
        }
        acked_total += acked;
        check_ok();
        store_close(st);
        st = NULL;
    }
    cr_expect_gt(acked_total, 0);
}

/* The text made outside the write transaction, joined with an id, reads back as the
 * record with that id, its keys sorted at every level and its reals exact. */
static void expect_encode_matches(const char *record_json)
{
    json_error_t jerr;
    json_t *rec = json_loads(record_json, JSON_ALLOW_NUL, &jerr);
    cr_assert_not_null(rec, "%s", jerr.text);
    struct store_record_text t;
    store_record_encode(rec, &t);
    cr_assert_eq(t.rc, 0, "%s", t.err.text);
    cr_assert_not_null(t.text);
    cr_expect_eq(t.len, strlen(t.text));
    json_t *want = json_copy(rec);
    json_object_set_new(want, "id", json_string("PX-000001"));
    char joined[4096];
    snprintf(joined, sizeof joined, "%.*sPX-000001%s", (int)t.split, t.text,
             t.text + t.split);
    json_t *got = json_loads(joined, JSON_ALLOW_NUL, &jerr);
    cr_assert_not_null(got, "%s: %s", jerr.text, joined);
    cr_expect(json_equal(got, want), "record %s: %s", record_json, joined);
    expect_keys_sorted(got);
    json_decref(got);
    json_decref(want);
    json_decref(rec);
    store_record_text_free(&t);
}

Test(store, record_encode_splits_around_id)
{
    static const char *const records[] = {
        "{}",
        "{\"id\":null}",
        "{\"id\":\"old\",\"a\":1}",
        "{\"z\":[1,2,{\"id\":3,\"b\":\"x\"}]}",
        "{\"a\":1,\"b\":{\"c\":2.5}}",
        "{\"i\":1,\"ic\":2,\"id0\":3,\"ie\":4,\"Id\":5,\"\":6}",
        "{\"title\":\"智能 \\\"芯片\\\"\\n\",\"call\":\"2023\",\"late\":true,\"x\":null}",
        "{\"\\u00e9\":1,\"idx\":[],\"h\":{}}",
        "{\"r\":[0.1,1.0,-2.5e-300,1e300,123456789.123456789,0.8132,-0.0,3.0e5],"
        "\"n\":[0,-1,9223372036854775807,-9223372036854775807],\"b\":[true,false]}",
        "{\"s\":\"\\u0001\\u001f\\b\\f\\t\\r/\\u2028\\ud83d\\ude00\\\\\"}",
        "{\"d\":{\"z\":{\"y\":[{\"b\":1,\"a\":[[{}]]}]},\"a\":\"\"},\"c\":{\"id\":1}}",
        "{\"zz\":1,\"yy\":2,\"xx\":3,\"b\":4,\"a\":5,\"ib\":6,\"ie\":7}",
    };
    for (size_t i = 0; i < sizeof records / sizeof *records; i++)
        expect_encode_matches(records[i]);
    struct store_record_text t;
    json_t *arr = json_array();
    store_record_encode(arr, &t);
    cr_expect_eq(t.rc, STDTAX_EINVAL);
    cr_expect_null(t.text);
    json_decref(arr);
}

/* ---- a test of each record (the text query) ------------------------------------ */

static int text_has(const char *text, size_t len, void *arg)
{
    return memmem(text, len, arg, strlen(arg)) != NULL;
}

Test(store, list_match_tests_records_within_a_bound, .timeout = 120)
{
    /* More records than one call may test; every 100th is a needle, the needles
     * alternate between two categories. */
    enum { N = STORE_LIST_TEST_MAX + 500 };
    static struct store_put_item items[N];
    json_t *recs[N];
    char t[40];
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "2023-08-%02dT%02d:%02d:00Z", 1 + i / 1440, i / 60 % 24,
                 i % 60);
        recs[i] = rec("2023", "local", "submitted", i / 100 % 2 ? "core" : "infra", NULL,
                      NULL, t);
        if (i % 100 == 7)
            json_object_set_new(recs[i], "title", json_string("needle 针"));
        items[i] = (struct store_put_item){.record = recs[i]};
    }
    struct stdtax_error err = {0};
    cr_assert_eq(store_proposal_put_batch(st, items, N, &err), 0, "%s", err.text);

    struct store_filter f = {.match = text_has, .match_arg = "needle"};
    char *cursor = NULL;
    int pages = 0, found = 0, last = -1;
    do {
        json_t *page;
        char *next;
        cr_assert_eq(store_proposal_list(st, &f, cursor, 1000, &page, &next, &err), 0);
        /* the bound ends the first call short of the end, with a cursor */
        if (pages == 0) {
            cr_expect_eq(json_array_size(page), STORE_LIST_TEST_MAX / 100);
            cr_expect_not_null(next);
        }
        size_t j;
        json_t *r;
        json_array_foreach(page, j, r)
        {
            const char *id = json_string_value(json_object_get(r, "id"));
            int n = atoi(id + 6) - 1; /* P2023-000008 -> 7 */
            cr_expect_eq(n % 100, 7, "%s", id);
            cr_expect_gt(n, last, "in order, no repeats");
            last = n;
            found++;
        }
        json_decref(page);
        free(cursor);
        cursor = next;
        pages++;
    } while (cursor && pages < 10);
    cr_expect_eq(found, N / 100);
    cr_expect_eq(pages, 2);

    /* With an index filter, only the records it keeps are tested. */
    f.category = "core";
    json_t *page;
    char *next;
    cr_assert_eq(store_proposal_list(st, &f, NULL, 1000, &page, &next, &err), 0);
    cr_expect_eq(json_array_size(page), N / 200);
    cr_expect_null(next);
    json_decref(page);
    /* A limit reached before the bound ends the page at the last match. */
    f.category = NULL;
    cr_assert_eq(store_proposal_list(st, &f, NULL, 3, &page, &next, &err), 0);
    cr_expect_eq(json_array_size(page), 3);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 2), "id")),
                     "P2023-000208");
    cr_assert_not_null(next);
    json_decref(page);
    char *after;
    cr_assert_eq(store_proposal_list(st, &f, next, 1, &page, &after, &err), 0);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 0), "id")),
                     "P2023-000308");
    free(next);
    free(after);
    json_decref(page);
    for (int i = 0; i < N; i++)
        json_decref(recs[i]);
}
