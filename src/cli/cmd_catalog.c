/* stdtax catalog: import, list, search, count and check the catalogue of existing
 * standards in the store (doc/overlap.md), through the service (service_overlap.h,
 * service_store.h) as the daemon's catalogue routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/service_overlap.h"
#include "stdtax/service_store.h"

#define CHUNK                                                                            \
    5000 /* entries read before one import call (CATALOG_IMPORT_MAX at most)             \
          */
_Static_assert(CHUNK <= CATALOG_IMPORT_MAX, "one chunk is one import call");

/* The options every subcommand reads: where the store and the taxonomy are, the
 * catalogue's filter and the overlap query. */
struct catalog_args {
    struct cli_svc svc;
    struct svc_catalog_filter filter;
    struct overlap_query query;
    bool repair;
};

static void print_json(const json_t *v, size_t flags)
{
    char *s = json_dumps(v, flags | JSON_REAL_PRECISION(6));
    if (s)
        puts(s);
    free(s);
}

/* Stores one chunk; its problems, whose pointers start with the index in the chunk,
 * become "line N: ..." of the file.  Adds the chunk's report to totals. */
static int import_chunk(struct svc *svc, json_t *chunk, size_t first, json_t *totals,
                        json_t *problems)
{
    json_t *report = NULL, *p = json_array();
    struct stdtax_error err = {0};
    int rc = svc_catalog_import(svc, chunk, &report, p, &err);
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

/* Reads FILE (or stdin) CHUNK lines at a time; prints the totals and every problem. */
static int catalog_import_file(struct svc *svc, FILE *f)
{
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
            }
            json_array_append_new(chunk, e);
        }
        if ((n <= 0 && json_array_size(chunk)) || json_array_size(chunk) == CHUNK) {
            if ((rc = import_chunk(svc, chunk, first, totals, problems)) != CLI_OK)
                break;
            first += json_array_size(chunk);
            json_array_clear(chunk);
        }
        if (n <= 0)
            break;
    }
    free(line);
    json_object_set(totals, "problems", problems);
    print_json(totals, JSON_INDENT(2));
    if (rc == CLI_OK && json_array_size(problems))
        rc = CLI_FAIL;
    json_decref(totals);
    json_decref(problems);
    json_decref(chunk);
    return rc;
}

/* What a subcommand's operands may be; checked before the service opens. */
static bool one_operand(const struct catalog_args *a, int n)
{
    (void)a;
    return n == 1;
}

static bool optional_operand(const struct catalog_args *a, int n)
{
    (void)a;
    return n <= 1;
}

static bool no_operand(const struct catalog_args *a, int n)
{
    (void)a;
    return n == 0;
}

/* A title, or at least an English title or a scope to compare. */
static bool search_operands(const struct catalog_args *a, int n)
{
    return n == 1 || (n == 0 && (a->query.title_en || a->query.scope));
}

static int do_import(struct svc *svc, const struct catalog_args *a, char **operands,
                     int n)
{
    (void)a, (void)n;
    const char *path = operands[0];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        perror(path);
        return CLI_FAIL;
    }
    int rc = catalog_import_file(svc, f);
    if (f != stdin)
        fclose(f);
    return rc;
}

static int do_list(struct svc *svc, const struct catalog_args *a, char **operands, int n)
{
    struct svc_catalog_filter f = a->filter;
    f.q = n ? operands[0] : NULL;
    char *cursor = NULL;
    int rc = CLI_OK;
    do {
        json_t *page, *problems = json_array();
        struct stdtax_error err = {0};
        int r = svc_catalog_list(svc, &f, cursor, STORE_LIST_LIMIT_MAX, &page, problems,
                                 &err);
        if (r) {
            cli_problems_print(stderr, "stdtax catalog list", problems);
            if (json_array_size(problems) == 0)
                cli_error(&err);
            json_decref(problems);
            rc = r == STDTAX_EINVAL ? CLI_USAGE : CLI_FAIL;
            break;
        }
        json_decref(problems);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(page, "items"), i, e)
            print_json(e, JSON_COMPACT | JSON_SORT_KEYS);
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        free(cursor);
        cursor = next ? strdup(next) : NULL;
        json_decref(page);
    } while (cursor);
    free(cursor);
    return rc;
}

/* Prints the answer of a query that gives one JSON value. */
static int answer_print(int rc, json_t *out, const struct stdtax_error *err, size_t flags,
                        int fail_status)
{
    if (rc) {
        cli_error(err);
        return fail_status;
    }
    print_json(out, JSON_INDENT(2) | flags);
    json_decref(out);
    return CLI_OK;
}

static int do_search(struct svc *svc, const struct catalog_args *a, char **operands,
                     int n)
{
    struct overlap_query q = a->query;
    q.title = n ? operands[0] : NULL;
    json_t *out = NULL;
    struct stdtax_error err = {0};
    int rc = svc_overlap_search(svc, &q, &out, &err);
    return answer_print(rc, out, &err, 0, CLI_FAIL);
}

static int do_counts(struct svc *svc, const struct catalog_args *a, char **operands,
                     int n)
{
    (void)a, (void)operands, (void)n;
    json_t *out = NULL;
    struct stdtax_error err = {0};
    int rc = svc_catalog_counts(svc, &out, &err);
    return answer_print(rc, out, &err, JSON_SORT_KEYS, CLI_FAIL);
}

/* 0 when the catalogue and the overlap index agree with the records, 1 when not, 2 on
 * error (as `stdtax check`). */
static int do_check(struct svc *svc, const struct catalog_args *a, char **operands, int n)
{
    (void)operands, (void)n;
    json_t *report = NULL;
    struct stdtax_error err = {0};
    int rc = a->repair ? svc_catalog_repair(svc, &report, &err)
                       : svc_catalog_check(svc, &report, &err);
    bool ok = rc == 0 && (a->repair || json_is_true(json_object_get(report, "ok")));
    rc = answer_print(rc, report, &err, 0, CHECK_ERROR);
    return rc != CLI_OK ? rc : ok ? CHECK_CLEAN : CHECK_DIFFERENT;
}

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

static const struct cli_option import_options[] = {
    CLI_OPTION_DATA_DIR, CLI_OPTION_TAXONOMY, {0}};
static const struct cli_option list_options[] = {
    CLI_OPTION_DATA_DIR,
    CLI_OPTION_TAXONOMY,
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
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

/* What each subcommand does, at its index in subcommands. */
static const struct {
    bool (*operands_ok)(const struct catalog_args *a, int n);
    bool writes;     /* opens the store read-write */
    int fail_status; /* when the service does not open */
    int (*run)(struct svc *svc, const struct catalog_args *a, char **operands, int n);
} actions[] = {
    {one_operand, true, CLI_FAIL, do_import},
    {optional_operand, false, CLI_FAIL, do_list},
    {search_operands, false, CLI_FAIL, do_search},
    {no_operand, false, CLI_FAIL, do_counts},
    {no_operand, false, CHECK_ERROR, do_check},
};
_Static_assert(sizeof actions / sizeof actions[0] == N_SUBCOMMANDS, "one action each");

static int subcommand_run(int argc, char **argv, const struct cli_command *self)
{
    struct catalog_args a = {0};
    int status;
    if (!args_parse(argc, argv, self, &a, &status))
        return status;
    size_t i = (size_t)(self - subcommands);
    int n = argc - optind;
    if (!actions[i].operands_ok(&a, n))
        return cli_usage_error(&self, 1);
    /* The catalogue never classifies: the model need not load. */
    a.svc.model = NULL;
    struct svc *svc;
    if (cli_svc_open(&a.svc, !(actions[i].writes || a.repair), &svc) != 0)
        return actions[i].fail_status;
    status = actions[i].run(svc, &a, argv + optind, n);
    svc_close(svc);
    return status;
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
