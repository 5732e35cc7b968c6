/* stdtax catalog: import, list, search and count the catalogue of existing standards in
 * the store (doc/overlap.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/catalog.h"
#include "stdtax/store.h"
#include "stdtax/taxonomy.h"

#define CHUNK 5000

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

/* The options every subcommand reads: where the store and the taxonomy are, the
 * catalogue's filter and the overlap query. */
struct catalog_args {
    struct cli_svc svc;
    struct catalog_filter filter;
    struct overlap_query query;
    bool repair;
};

/* Parses a subcommand's options: true to go on, else false with *status the exit
 * status (after --help or wrong usage). */
static bool args_parse(int argc, char **argv, const struct cli_command *self,
                       struct catalog_args *a, int *status)
{
    cli_svc_init(&a->svc);
    a->query =
        (struct overlap_query){.threshold = 0.3, .limit = 10, .what = OVERLAP_STANDARDS};
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    for (int o; (o = cli_parser_next(&parser, argc, argv)) != -1;) {
        if (cli_svc_option(&a->svc, o, optarg))
            continue;
        switch (o) {
        case CLI_OPT_HELP:
            *status = cli_help(&self, 1);
            return false;
        case 'k':
            a->filter.kind = optarg;
            break;
        case 's':
            a->filter.status = optarg;
            break;
        case 'c':
            a->filter.category = optarg;
            break;
        case 'h':
            a->query.threshold = atof(optarg);
            break;
        case 'l':
            a->query.limit = strtoul(optarg, NULL, 10);
            break;
        case 'e':
            a->query.title_en = optarg;
            break;
        case 'S':
            a->query.scope = optarg;
            break;
        case 'p':
            a->query.what |= OVERLAP_PROPOSALS;
            break;
        case 'r':
            a->repair = true;
            break;
        default:
            *status = cli_usage_error(&self, 1);
            return false;
        }
    }
    return true;
}

/* A subcommand: its operands after the options.  BAD_OPERANDS when they are wrong. */
#define BAD_OPERANDS (-1)
typedef int catalog_action(const struct catalog_args *a, char **operands, int n);

static int catalog_import(const struct catalog_args *a, char **operands, int n)
{
    return n == 1 ? do_import(a->svc.data_dir, a->svc.taxonomy, operands[0])
                  : BAD_OPERANDS;
}

static int catalog_list(const struct catalog_args *a, char **operands, int n)
{
    if (n > 1)
        return BAD_OPERANDS;
    struct catalog_filter f = a->filter;
    f.q = n ? operands[0] : NULL;
    return do_list(a->svc.data_dir, &f);
}

static int catalog_search(const struct catalog_args *a, char **operands, int n)
{
    if (n > 1 || (n == 0 && !a->query.title_en && !a->query.scope))
        return BAD_OPERANDS;
    struct overlap_query q = a->query;
    q.title = n ? operands[0] : NULL;
    return do_search(a->svc.data_dir, &q);
}

static int catalog_counts(const struct catalog_args *a, char **operands, int n)
{
    (void)operands;
    return n == 0 ? do_counts(a->svc.data_dir) : BAD_OPERANDS;
}

static int catalog_check(const struct catalog_args *a, char **operands, int n)
{
    (void)operands;
    return n == 0 ? do_check(a->svc.data_dir, a->repair) : BAD_OPERANDS;
}

static const struct cli_option import_options[] = {
    CLI_OPTION_DATA_DIR, CLI_OPTION_TAXONOMY, {0}};
static const struct cli_option list_options[] = {
    CLI_OPTION_DATA_DIR,
    {"kind", 'k', "K",
     .help = "national, industry, local, group, international or other"},
    {"status", 's', "S", .help = "published or planned"},
    {"category", 'c', "C", .help = "a category or subcategory (code or label)"},
    {0}};
static const struct cli_option search_options[] = {
    CLI_OPTION_DATA_DIR,
    {"threshold", 'h', "X", .help = "the least similarity, 0..1 (default 0.3)"},
    {"limit", 'l', "N", .help = "at most N results (default 10)"},
    {"title-en", 'e', "T", .help = "an English title to compare as well"},
    {"scope", 'S', "S", .help = "a scope to compare as well"},
    {"proposals", 'p', NULL, .help = "look among the stored proposals too"},
    {0}};
static const struct cli_option counts_options[] = {CLI_OPTION_DATA_DIR, {0}};
static const struct cli_option check_options[] = {
    CLI_OPTION_DATA_DIR,
    {"repair", 'r', NULL, .help = "rebuild the counts, fingerprints and bands"},
    {0}};

static int subcommand_run(int argc, char **argv, const struct cli_command *self);

/* The subcommands and, at the same index, what each does. */
static const struct cli_command subcommands[] = {
    {"catalog import", subcommand_run, import_options, "FILE.jsonl|-",
     "stores existing standards, one JSON object per line (node names checked "
     "against the taxonomy)"},
    {"catalog list", subcommand_run, list_options, "[TEXT]",
     "the entries as JSON lines, in number order; TEXT in a number or title"},
    {"catalog search", subcommand_run, search_options, "TEXT",
     "the near duplicates of a title, best first"},
    {"catalog counts", subcommand_run, counts_options, "",
     "entries per node, kind and status"},
    {"catalog check", subcommand_run, check_options, "",
     "recounts the catalogue and the overlap index (exit 1 on a difference)"},
};
static catalog_action *const actions[] = {catalog_import, catalog_list, catalog_search,
                                          catalog_counts, catalog_check};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])
_Static_assert(sizeof actions / sizeof actions[0] == N_SUBCOMMANDS, "one action each");

static int subcommand_run(int argc, char **argv, const struct cli_command *self)
{
    struct catalog_args a = {0};
    int status;
    if (!args_parse(argc, argv, self, &a, &status))
        return status;
    status = actions[self - subcommands](&a, argv + optind, argc - optind);
    return status == BAD_OPERANDS ? cli_usage_error(&self, 1) : status;
}

/* catalog's own option is --help; each subcommand has its table. */
const struct cli_option cli_catalog_options[] = {{0}};

int cmd_catalog(int argc, char **argv, const struct cli_command *self)
{
    (void)self; /* its usage is that of the subcommands */
    const struct cli_command *all[N_SUBCOMMANDS];
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        all[i] = &subcommands[i];
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return cli_help(all, N_SUBCOMMANDS);
    for (size_t i = 0; argc >= 2 && i < N_SUBCOMMANDS; i++)
        if (strcmp(argv[1], subcommands[i].name + strlen("catalog ")) == 0)
            return subcommands[i].run(argc - 1, argv + 1, &subcommands[i]);
    return cli_usage_error(all, N_SUBCOMMANDS);
}
