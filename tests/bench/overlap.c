/* Overlap benchmark: precision and recall of the overlap flag on the test set built
 * from real titles (tests/overlap/testset.jsonl), then the query time with N
 * catalogue entries (the real ones plus synthetic entries made by recombining real
 * title segments).
 *
 *   tests/bench/overlap [--catalog F] [--testset F] [--threshold X] [--entries N]
 *                       [--dir DIR] [--show-errors]
 *
 * A case counts as flagged when its target is among the answers of store_overlap_find
 * (standards only) at the threshold.  DIR holds the store and is kept; without
 * --dir a new directory under /tmp holds it and is removed at the end (at 100 000
 * entries the file is 688 MB). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stdtax/catalog.h"
#include "service_internal.h"
#include "stdtax/store.h"

#define DEFAULT_THRESHOLD 0.5

struct tcase {
    const char *target, *variant, *title, *title_en;
    int expect;
    double sim; /* the target's similarity at the lowest threshold swept */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *jsonl_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    json_t *a = json_array();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t e;
        json_t *v = json_loads(line, 0, &e);
        if (!v) {
            fprintf(stderr, "%s: %s\n", path, e.text);
            exit(1);
        }
        json_array_append_new(a, v);
    }
    free(line);
    fclose(f);
    return a;
}

static void import(struct store *st, json_t *entries)
{
    struct stdtax_error err = {0};
    json_t *problems = json_array(), *report = NULL;
    for (size_t i = 0; i < json_array_size(entries); i += 5000) {
        json_t *chunk = json_array();
        for (size_t j = i; j < i + 5000 && j < json_array_size(entries); j++)
            json_array_append(chunk, json_array_get(entries, j));
        if (catalog_import(st, chunk, &report, problems, &err) != 0) {
            fprintf(stderr, "import: %s %s\n", err.field, err.text);
            exit(1);
        }
        json_decref(report);
        json_decref(chunk);
    }
    if (json_array_size(problems)) {
        char *s = json_dumps(problems, 0);
        fprintf(stderr, "import problems: %.400s\n", s);
        free(s);
        exit(1);
    }
    json_decref(problems);
}

/* The target's similarity (0 when not among the answers) and the query time. */
static double query(struct store *st, const struct tcase *c, double threshold,
                    double *secs)
{
    struct overlap_query q = {.title = c->title,
                              .title_en = c->title_en,
                              .what = OVERLAP_STANDARDS,
                              .threshold = threshold,
                              .limit = 100};
    struct stdtax_error err = {0};
    json_t *out;
    double t0 = now();
    if (overlap_find(st, &q, &out, &err) != 0) {
        fprintf(stderr, "overlap: %s\n", err.text);
        exit(1);
    }
    if (secs)
        *secs = now() - t0;
    double sim = 0;
    for (size_t i = 0; i < json_array_size(out); i++) {
        json_t *it = json_array_get(out, i);
        if (strcmp(json_string_value(json_object_get(it, "id")), c->target) == 0)
            sim = json_real_value(json_object_get(it, "similarity"));
    }
    json_decref(out);
    return sim;
}

static void report(const char *label, struct tcase *cs, size_t n, double threshold,
                   int show)
{
    size_t tp = 0, fp = 0, fn = 0, tn = 0;
    for (size_t i = 0; i < n; i++) {
        int flagged = cs[i].sim >= threshold && cs[i].sim > 0;
        if (cs[i].expect)
            flagged ? tp++ : fn++;
        else
            flagged ? fp++ : tn++;
        if (show && flagged != cs[i].expect)
            printf("  %s %-11s %.3f target %s: %s %s\n", flagged ? "FP" : "FN",
                   cs[i].variant, cs[i].sim, cs[i].target, cs[i].title ? cs[i].title : "",
                   cs[i].title_en ? cs[i].title_en : "");
    }
    printf("%-10s threshold %.2f  precision %.3f  recall %.3f  (tp %zu fp %zu fn %zu "
           "tn %zu)\n",
           label, threshold, tp + fp ? (double)tp / (double)(tp + fp) : 1.0,
           tp + fn ? (double)tp / (double)(tp + fn) : 1.0, tp, fp, fn, tn);
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Cuts a title into pieces: CJK runs into chunks of 2 to 4 characters, other text into
 * words.  Synthetic titles are made of these pieces, so they share the vocabulary of
 * real titles (common terms recur, rare ones are rare) without being copies of them. */
static void pieces(const char *t, json_t *zh, json_t *en, unsigned *seed)
{
    const unsigned char *p = (const unsigned char *)t;
    while (*p) {
        if (*p >= 0xE4 && *p <= 0xE9) { /* a run of 3-byte CJK ideographs */
            const unsigned char *s = p;
            while (*p >= 0xE4 && *p <= 0xE9 && p[1] && p[2])
                p += 3;
            size_t chars = (size_t)(p - s) / 3;
            for (size_t i = 0; i < chars;) {
                size_t n = 2 + (size_t)rand_r(seed) % 3;
                if (i + n > chars)
                    n = chars - i;
                if (n >= 2)
                    json_array_append_new(zh,
                                          json_stringn((const char *)s + 3 * i, 3 * n));
                i += n;
            }
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
            const unsigned char *s = p;
            while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
                p++;
            if (p - s >= 3)
                json_array_append_new(en, json_stringn((const char *)s, (size_t)(p - s)));
        } else {
            p++;
        }
    }
}

static const char *pick(json_t *pool, unsigned *seed)
{
    return json_string_value(
        json_array_get(pool, (size_t)rand_r(seed) % json_array_size(pool)));
}

static json_t *synthetic(json_t *catalog, size_t n, unsigned seed)
{
    json_t *zh = json_array(), *en = json_array(), *out = json_array();
    static const char *const kinds[] = {"national", "industry", "local", "group",
                                        "international"};
    for (size_t i = 0; i < json_array_size(catalog); i++) {
        json_t *e = json_array_get(catalog, i);
        const char *t = json_string_value(json_object_get(e, "title"));
        const char *te = json_string_value(json_object_get(e, "title_en"));
        if (t)
            pieces(t, zh, en, &seed);
        if (te)
            pieces(te, zh, en, &seed);
    }
    for (size_t i = 0; i < n; i++) {
        char t[1024] = "", te[2048] = "", num[32];
        int segs = 2 + rand_r(&seed) % 2;
        for (int s = 0; s < segs; s++) {
            int k = 2 + rand_r(&seed) % 2, w = 2 + rand_r(&seed) % 3;
            snprintf(t + strlen(t), sizeof t - strlen(t), "%s", s ? " " : "");
            for (int j = 0; j < k; j++)
                snprintf(t + strlen(t), sizeof t - strlen(t), "%s", pick(zh, &seed));
            for (int j = 0; j < w; j++)
                snprintf(te + strlen(te), sizeof te - strlen(te), "%s%s",
                         s || j ? (j ? " " : " - ") : "", pick(en, &seed));
        }
        snprintf(num, sizeof num, "SYN/T %06zu-2024", i + 1);
        json_t *src =
            json_array_get(catalog, (size_t)rand_r(&seed) % json_array_size(catalog));
        json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:O*}", "number", num, "title", t,
                              "title_en", te, "kind", kinds[rand_r(&seed) % 5],
                              "classification", json_object_get(src, "classification"));
        json_array_append_new(out, e);
    }
    printf("synthetic pieces: %zu Chinese, %zu English\n", json_array_size(zh),
           json_array_size(en));
    json_decref(zh);
    json_decref(en);
    return out;
}

/* Removes the store directory this run made (LMDB's files, nothing below). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    const char *catalog_path = STDTAX_SRCDIR "/taxonomy/catalog-2023.jsonl";
    const char *testset_path = STDTAX_SRCDIR "/tests/overlap/testset.jsonl";
    const char *dir = NULL;
    double threshold = DEFAULT_THRESHOLD;
    size_t entries = 100000;
    int show = 0;
    static const struct option opts[] = {{"catalog", required_argument, 0, 'c'},
                                         {"testset", required_argument, 0, 't'},
                                         {"threshold", required_argument, 0, 'h'},
                                         {"entries", required_argument, 0, 'n'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"show-errors", no_argument, 0, 's'},
                                         {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 'c':
            catalog_path = optarg;
            break;
        case 't':
            testset_path = optarg;
            break;
        case 'h':
            threshold = atof(optarg);
            break;
        case 'n':
            entries = strtoul(optarg, NULL, 10);
            break;
        case 'd':
            dir = optarg;
            break;
        case 's':
            show = 1;
            break;
        default:
            return 2;
        }
    }
    char tmp[] = "/tmp/stdtax-overlap-XXXXXX";
    int own_dir = !dir;
    if (!dir && !(dir = mkdtemp(tmp))) {
        perror("mkdtemp");
        return 1;
    }
    struct store *st;
    struct stdtax_error err = {0};
    if (store_open(dir, NULL, &st, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err.text);
        return 1;
    }
    json_t *catalog = jsonl_load(catalog_path), *tests = jsonl_load(testset_path);
    import(st, catalog);
    size_t n = json_array_size(tests);
    struct tcase *cs = calloc(n, sizeof *cs);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(tests, i), *q = json_object_get(t, "query");
        cs[i] = (struct tcase){json_string_value(json_object_get(t, "target")),
                               json_string_value(json_object_get(t, "variant")),
                               json_string_value(json_object_get(q, "title")),
                               json_string_value(json_object_get(q, "title_en")),
                               json_is_true(json_object_get(t, "expect")),
                               0};
    }
    printf("catalogue: %zu real entries; test set: %zu cases\n", json_array_size(catalog),
           n);
    for (size_t i = 0; i < n; i++)
        cs[i].sim = query(st, &cs[i], 0.2, NULL);
    for (double th = 0.3; th < 0.76; th += 0.05)
        if (th < threshold - 0.01 || th > threshold + 0.01)
            report("sweep", cs, n, th, 0);
    report("default", cs, n, threshold, show);

    if (entries > json_array_size(catalog)) {
        json_t *syn = synthetic(catalog, entries - json_array_size(catalog), 42);
        double t0 = now();
        import(st, syn);
        printf("imported %zu synthetic entries in %.1f s\n", json_array_size(syn),
               now() - t0);
        json_decref(syn);
        double *secs = calloc(n * 3, sizeof *secs);
        size_t k = 0;
        for (int round = 0; round < 3; round++) /* the first round warms the cache */
            for (size_t i = 0; i < n; i++) {
                double s;
                double sim = query(st, &cs[i], threshold, &s);
                if (round == 2)
                    cs[i].sim = sim;
                if (round > 0)
                    secs[k++] = s;
            }
        qsort(secs, k, sizeof *secs, dcmp);
        double sum = 0;
        for (size_t i = 0; i < k; i++)
            sum += secs[i];
        printf("query time at %zu entries over %zu queries: median %.3f ms, p90 %.3f ms, "
               "p99 %.3f ms, mean %.3f ms\n",
               entries, k, secs[k / 2] * 1e3, secs[k * 9 / 10] * 1e3,
               secs[k * 99 / 100] * 1e3, sum / (double)k * 1e3);
        report("at-N", cs, n, threshold, show);
        free(secs);
    }
    free(cs);
    json_decref(catalog);
    json_decref(tests);
    store_close(st);
    if (own_dir) {
        remove_tree(dir);
    } else {
        printf("store: %s\n", dir);
    }
    return 0;
}
