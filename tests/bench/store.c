/* Store benchmark: durable inserts per second (one record per commit, and
 * batches of 32 per commit) and the latency of count reads with many records.
 *
 *   tests/bench/store [--dir DIR] [--single N] [--batch N] [--records N] [--reads N]
 *
 * DIR (default: a new directory under $TMPDIR or /tmp) must be on the disk
 * being measured; the benchmark removes nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdtax/store.h"

static const char *const cats[][5] = {
    {"infra", "infra.chips", "infra.frameworks", "infra.compute", "infra.sensors"},
    {"core", "core.ml", "core.kg", "core.foundation-models", "core.computing-frameworks"},
    {"domain", "domain.nlp", "domain.vision", "domain.speech", "domain.embodied"},
    {"products", "products.robots", "products.vehicles", "products.terminals", NULL},
    {"industry", "industry.manufacturing", "industry.city", "industry.healthcare", NULL},
    {"safety", "safety.foundational", "safety.data-algorithm-model", NULL, NULL},
    {"other", NULL, NULL, NULL, NULL},
};
static const char *const topics[] = {"chips-sensors", "compute", "foundation-models",
                                     "embodied",      "robots",  NULL};
static const char *const statuses[] = {"submitted",         "under-review",
                                       "recommended-local", "recommended-group",
                                       "rejected",          "withdrawn"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *make(unsigned *seed)
{
    int c = rand_r(seed) % 7, s = rand_r(seed) % 5;
    const char *sub = cats[c][s ? s : 1];
    const char *topic = topics[rand_r(seed) % 6];
    char received[40];
    snprintf(received, sizeof received, "2023-%02d-%02dT%02d:%02d:%02dZ",
             7 + rand_r(seed) % 3, 1 + rand_r(seed) % 28, rand_r(seed) % 24,
             rand_r(seed) % 60, rand_r(seed) % 60);
    json_t *r = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s?, s:f}, s:[], s:s, s:s}", "call",
        rand_r(seed) % 4 ? "2023" : "2024", "track", rand_r(seed) % 2 ? "local" : "group",
        "status", statuses[rand_r(seed) % 6], "title",
        "人工智能 大模型 训练数据 质量评估规范", "classification", "category", cats[c][0],
        "subcategory", sub, "confidence", 0.75, "priority_topics", "received", received,
        "scope",
        "本文件规定了大模型训练数据的质量要求、评估指标和评估方法，适用于大模型训练数据的"
        "采集、标注、清洗和管理。This document specifies quality requirements.");
    if (topic)
        json_array_append_new(json_object_get(r, "priority_topics"), json_string(topic));
    return r;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fail(const char *what, const struct stdtax_error *err)
{
    fprintf(stderr, "store bench: %s: %s %s\n", what, err->field, err->text);
    return 1;
}

int main(int argc, char **argv)
{
    char dirbuf[256];
    const char *dir = NULL;
    long n_single = 1000, n_batch = 32000, n_records = 100000, n_reads = 2000;
    static const struct option longs[] = {{"dir", required_argument, NULL, 'd'},
                                          {"single", required_argument, NULL, 's'},
                                          {"batch", required_argument, NULL, 'b'},
                                          {"records", required_argument, NULL, 'r'},
                                          {"reads", required_argument, NULL, 'n'},
                                          {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "d:s:b:r:n:", longs, NULL)) != -1) {
        switch (o) {
        case 'd':
            dir = optarg;
            break;
        case 's':
            n_single = atol(optarg);
            break;
        case 'b':
            n_batch = atol(optarg);
            break;
        case 'r':
            n_records = atol(optarg);
            break;
        case 'n':
            n_reads = atol(optarg);
            break;
        default:
            fprintf(stderr,
                    "usage: %s [--dir DIR] [--single N] [--batch N] "
                    "[--records N] [--reads N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dirbuf, sizeof dirbuf, "%s/stdtax-bench-XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(dirbuf)) {
            perror("mkdtemp");
            return 1;
        }
        dir = dirbuf;
    }
    struct store *st;
    struct stdtax_error err = {0};
    if (store_open(dir, NULL, &st, &err) != 0)
        return fail("open", &err);
    unsigned seed = 42;
    char id[STORE_ID_MAX];
    printf("store bench in %s\n", dir);

    double t0 = now();
    for (long i = 0; i < n_single; i++) {
        json_t *r = make(&seed);
        if (store_proposal_put(st, r, NULL, NULL, id, NULL, &err) != 0)
            return fail("put", &err);
        json_decref(r);
    }
    double t1 = now();
    printf("durable inserts, 1 per commit:  %8.0f /s  (%ld records, %.2f s)\n",
           (double)n_single / (t1 - t0), n_single, t1 - t0);

    enum { B = 32 };
    struct store_put_item items[B];
    t0 = now();
    for (long i = 0; i < n_batch; i += B) {
        memset(items, 0, sizeof items);
        for (int j = 0; j < B; j++)
            items[j].record = make(&seed);
        if (store_proposal_put_batch(st, items, B, &err) != 0)
            return fail("batch", &err);
        for (int j = 0; j < B; j++) {
            if (items[j].rc)
                return fail("batch item", &items[j].err);
            json_decref(items[j].record);
        }
    }
    t1 = now();
    printf("durable inserts, 32 per commit: %8.0f /s  (%ld records, %.2f s)\n",
           (double)n_batch / (t1 - t0), n_batch, t1 - t0);

    /* Fill up to n_records with large commits (the rate is not the point here). */
    long have = n_single + n_batch;
    enum { L = 1000 };
    static struct store_put_item big[L];
    t0 = now();
    while (have < n_records) {
        long k = n_records - have < L ? n_records - have : L;
        memset(big, 0, sizeof big);
        for (long j = 0; j < k; j++)
            big[j].record = make(&seed);
        if (store_proposal_put_batch(st, big, (size_t)k, &err) != 0)
            return fail("fill", &err);
        for (long j = 0; j < k; j++)
            json_decref(big[j].record);
        have += k;
    }
    t1 = now();
    if (n_records > n_single + n_batch)
        printf("filled to %ld records with 1000 per commit in %.1f s\n", have, t1 - t0);

    const struct {
        const char *name;
        struct store_filter f;
    } qs[] = {{"counts, no filter", {0}},
              {"counts, call=2023", {.call = "2023"}},
              {"counts, call+track+status",
               {.call = "2023", .track = "local", .status = "submitted"}},
              {"counts, status=rejected", {.status = "rejected"}}};
    double *lat = calloc((size_t)n_reads, sizeof *lat);
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        json_t *c = NULL;
        for (long i = 0; i < n_reads; i++) {
            double a = now();
            if (store_counts_get(st, &qs[q].f, &c, &err) != 0)
                return fail("counts", &err);
            lat[i] = now() - a;
            if (i + 1 < n_reads)
                json_decref(c);
        }
        qsort(lat, (size_t)n_reads, sizeof *lat, cmp_d);
        printf("%-28s p50 %7.1f us  p99 %7.1f us  (%ld reads, total %lld)\n", qs[q].name,
               lat[n_reads / 2] * 1e6, lat[n_reads * 99 / 100] * 1e6, n_reads,
               (long long)json_integer_value(json_object_get(c, "total")));
        json_decref(c);
    }
    free(lat);
    json_t *raw = NULL;
    if (store_stats_raw(st, &raw, &err) == 0) {
        json_t *e = json_object_get(raw, "entries");
        printf("records %lld, index entries %lld, count keys %lld, map %lld MiB "
               "(%lld resizes)\n",
               (long long)json_integer_value(json_object_get(e, "proposals")),
               (long long)json_integer_value(json_object_get(e, "index")),
               (long long)json_integer_value(json_object_get(e, "counts")),
               (long long)json_integer_value(json_object_get(raw, "map_size")) >> 20,
               (long long)json_integer_value(json_object_get(raw, "map_resizes")));
        json_decref(raw);
    }
    store_close(st);
    return 0;
}
