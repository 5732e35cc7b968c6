/* stdtax catalog: import, list, search and count the catalogue of existing standards in
 * the store (doc/overlap.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/catalog.h"
#include "stdtax/store.h"
#include "stdtax/taxonomy.h"

#define CHUNK 5000

static void usage(void)
{
    fprintf(stderr,
            "usage: stdtax catalog import [--data-dir D] [--taxonomy F] FILE.jsonl|-\n"
            "       stdtax catalog list [--data-dir D] [--kind K] [--status S] "
            "[--category C] [TEXT]\n"
            "       stdtax catalog search [--data-dir D] [--threshold X] [--limit N] "
            "[--title-en T] [--scope S] [--proposals] TEXT\n"
            "       stdtax catalog counts [--data-dir D]\n"
            "       stdtax catalog check [--repair] [--data-dir D]\n");
}

static int open_store(const char *dir, int read_only, struct store **st)
{
    struct store_options o = {.read_only = read_only};
    struct stdtax_error err = {0};
    if (store_open(dir, &o, st, &err) != 0) {
        cli_error(&err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void print_json(const json_t *v, size_t flags)
{
    char *s = json_dumps(v, flags | JSON_REAL_PRECISION(6));
    if (s)
        puts(s);
    free(s);
}

/* Node codes must exist in the taxonomy; a Chinese or English label is turned into its
 * code.  Problems go to problems at /<index>/classification. */
static void classify_check(json_t *e, size_t index, const struct tax_taxonomy *tax,
                           json_t *problems)
{
    json_t *cls = json_object_get(e, "classification");
    static const char *const members[] = {"category", "subcategory"};
    for (int i = 0; i < 2 && json_is_object(cls); i++) {
        const char *v = json_string_value(json_object_get(cls, members[i]));
        if (!v)
            continue;
        const struct tax_node *n = tax_node_resolve(tax, v);
        if (!n) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/%zu/classification/%s", index, members[i]);
            stdtax_problem_add(problems, ptr, "no node %s in the taxonomy", v);
            json_object_set_new(cls, members[i], json_string("\x01"));
        } else {
            json_object_set_new(cls, members[i], json_string(n->code));
        }
    }
}

static int import_chunk(struct store *st, json_t *chunk, size_t first, json_t *totals,
                        json_t *problems)
{
    json_t *report = NULL, *p = json_array();
    struct stdtax_error err = {0};
    int rc = store_catalog_import(st, chunk, &report, p, &err);
    if (rc) {
        cli_error(&err);
        json_decref(p);
        return CLI_FAIL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(report, k, v)
    {
        json_int_t n = json_integer_value(json_object_get(totals, k));
        json_object_set_new(totals, k, json_integer(n + json_integer_value(v)));
    }
    /* Pointers are relative to the chunk: make them line numbers of the file. */
    size_t i;
    json_t *pr;
    json_array_foreach(p, i, pr)
    {
        const char *ptr = json_string_value(json_object_get(pr, "pointer"));
        char *end;
        unsigned long idx = ptr && ptr[0] == '/' ? strtoul(ptr + 1, &end, 10) : 0;
        char fixed[160];
        snprintf(fixed, sizeof fixed, "line %zu: %s", first + idx + 1,
                 ptr && ptr[0] == '/' ? end : "");
        json_object_set_new(pr, "pointer", json_string(fixed));
        json_array_append(problems, pr);
    }
    json_decref(report);
    json_decref(p);
    return CLI_OK;
}

static int do_import(const char *dir, const char *taxonomy, const char *path)
{
    struct tax_taxonomy *tax = cli_taxonomy_load(taxonomy);
    if (!tax)
        return CLI_FAIL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        perror(path);
        tax_taxonomy_free(tax);
        return CLI_FAIL;
    }
    struct store *st;
    if (open_store(dir, 0, &st) != CLI_OK) {
        tax_taxonomy_free(tax);
        if (f != stdin)
            fclose(f);
        return CLI_FAIL;
    }
    json_t *totals = json_object(), *problems = json_array(), *chunk = json_array();
    char *line = NULL;
    size_t cap = 0, lineno = 0, first = 0;
    int rc = CLI_OK;
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        if (n > 0) {
            lineno++;
            json_error_t je;
            json_t *e = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
            if (!e) {
                /* Keeps the line numbering: the store reports a non-object entry. */
                stdtax_problem_add(problems, "", "line %zu: %s", lineno, je.text);
                e = json_null();
            } else {
                classify_check(e, json_array_size(chunk), tax, problems);
            }
            json_array_append_new(chunk, e);
        }
        if ((n <= 0 && json_array_size(chunk)) || json_array_size(chunk) == CHUNK) {
            if ((rc = import_chunk(st, chunk, first, totals, problems)) != CLI_OK)
                break;
            first += json_array_size(chunk);
            json_array_clear(chunk);
        }
        if (n <= 0)
            break;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    json_object_set(totals, "problems", problems);
    print_json(totals, JSON_INDENT(2));
    if (rc == CLI_OK && json_array_size(problems))
        rc = CLI_FAIL;
    json_decref(totals);
    json_decref(problems);
    json_decref(chunk);
    store_close(st);
    tax_taxonomy_free(tax);
    return rc;
}

static int do_list(const char *dir, const struct catalog_filter *f)
{
    struct store *st;
    if (open_store(dir, 1, &st) != CLI_OK)
        return CLI_FAIL;
    char *cursor = NULL;
    int rc = CLI_OK;
    do {
        json_t *items;
        char *next;
        struct stdtax_error err = {0};
        if (store_catalog_list(st, f, cursor, STORE_LIST_LIMIT_MAX, &items, &next,
                               &err)) {
            cli_error(&err);
            rc = CLI_FAIL;
            break;
        }
        size_t i;
        json_t *e;
        json_array_foreach(items, i, e) print_json(e, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(items);
        free(cursor);
        cursor = next;
    } while (cursor);
    free(cursor);
    store_close(st);
    return rc;
}

static int do_search(const char *dir, const struct overlap_query *q)
{
    struct store *st;
    if (open_store(dir, 1, &st) != CLI_OK)
        return CLI_FAIL;
    json_t *out;
    struct stdtax_error err = {0};
    int rc = store_overlap_find(st, q, &out, &err);
    store_close(st);
    if (rc) {
        cli_error(&err);
        return CLI_FAIL;
    }
    print_json(out, JSON_INDENT(2));
    json_decref(out);
    return CLI_OK;
}

static int do_counts(const char *dir)
{
    struct store *st;
    if (open_store(dir, 1, &st) != CLI_OK)
        return CLI_FAIL;
    json_t *out;
    struct stdtax_error err = {0};
    int rc = store_catalog_counts(st, &out, &err);
    store_close(st);
    if (rc) {
        cli_error(&err);
        return CLI_FAIL;
    }
    print_json(out, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(out);
    return CLI_OK;
}

/* 0 when the catalogue and the overlap index agree with the records, 1 when not, 2 on
 * error (as `stdtax check`). */
static int do_check(const char *dir, int repair)
{
    struct store *st;
    if (open_store(dir, !repair, &st) != CLI_OK)
        return 2;
    json_t *report;
    struct stdtax_error err = {0};
    int rc = repair ? store_catalog_repair(st, &report, &err)
                    : store_catalog_check(st, &report, &err);
    store_close(st);
    if (rc) {
        cli_error(&err);
        return 2;
    }
    print_json(report, JSON_INDENT(2));
    rc = repair || json_is_true(json_object_get(report, "ok")) ? 0 : 1;
    json_decref(report);
    return rc;
}

int cmd_catalog(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    const char *dir = cli_default_data_dir(), *taxonomy = cli_default_taxonomy();
    struct catalog_filter f = {0};
    int repair = 0;
    struct overlap_query q = {.threshold = 0.3, .limit = 10, .what = OVERLAP_STANDARDS};
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, 'd'}, {"taxonomy", required_argument, 0, 't'},
        {"kind", required_argument, 0, 'k'},     {"status", required_argument, 0, 's'},
        {"category", required_argument, 0, 'c'}, {"threshold", required_argument, 0, 'h'},
        {"limit", required_argument, 0, 'l'},    {"title-en", required_argument, 0, 'e'},
        {"scope", required_argument, 0, 'S'},    {"proposals", no_argument, 0, 'p'},
        {"repair", no_argument, 0, 'r'},         {0, 0, 0, 0}};
    optind = 2;
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 'd':
            dir = optarg;
            break;
        case 't':
            taxonomy = optarg;
            break;
        case 'k':
            f.kind = optarg;
            break;
        case 's':
            f.status = optarg;
            break;
        case 'c':
            f.category = optarg;
            break;
        case 'h':
            q.threshold = atof(optarg);
            break;
        case 'l':
            q.limit = strtoul(optarg, NULL, 10);
            break;
        case 'e':
            q.title_en = optarg;
            break;
        case 'S':
            q.scope = optarg;
            break;
        case 'p':
            q.what |= OVERLAP_PROPOSALS;
            break;
        default:
            usage();
            return CLI_USAGE;
        }
    }
    int rest = argc - optind;
    if (strcmp(sub, "import") == 0 && rest == 1)
        return do_import(dir, taxonomy, argv[optind]);
    if (strcmp(sub, "list") == 0 && rest <= 1) {
        f.q = rest ? argv[optind] : NULL;
        return do_list(dir, &f);
    }
    if (strcmp(sub, "search") == 0 && rest <= 1 && (rest || q.title_en || q.scope)) {
        q.title = rest ? argv[optind] : NULL;
        return do_search(dir, &q);
    }
    if (strcmp(sub, "counts") == 0 && rest == 0)
        return do_counts(dir);
    if (strcmp(sub, "check") == 0 && rest == 0)
        return do_check(dir, repair);
    usage();
    return CLI_USAGE;
}
