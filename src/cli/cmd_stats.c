/* stdtax stats and stdtax coverage: the figures the daemon serves (svc_stats_get,
 * svc_coverage_get), as JSON or as tables with Chinese labels aligned by display
 * width. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A table is a JSON array of rows, each an array of strings; printing it computes the
 * width of each column from the display width of its cells. */
#define TABLE_COLS_MAX 6

static void row_add(json_t *table, const char *const *cells, size_t n)
{
    json_t *row = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(row, json_string(cells[i] ? cells[i] : ""));
    json_array_append_new(table, row);
}

/* right[i]: column i is right-aligned (numbers). */
static void table_print(const json_t *table, const bool *right)
{
    size_t width[TABLE_COLS_MAX] = {0}, i, j;
    json_t *row, *cell;
    json_array_foreach(table, i, row)
    {
        json_array_foreach(row, j, cell)
        {
            size_t w = cli_text_width(json_string_value(cell));
            if (j < TABLE_COLS_MAX && w > width[j])
                width[j] = w;
        }
    }
    json_array_foreach(table, i, row)
    {
        size_t n = json_array_size(row);
        json_array_foreach(row, j, cell)
        {
            if (j >= TABLE_COLS_MAX)
                break;
            bool last = j + 1 == n;
            cli_cell_print(stdout, json_string_value(cell),
                           last && !right[j] ? 0 : width[j], right[j]);
            if (!last)
                fputs("  ", stdout);
        }
        fputc('\n', stdout);
    }
}

static const char *zh(const json_t *o)
{
    const char *s =
        json_string_value(json_object_get(json_object_get(o, "labels"), "zh"));
    if (!s)
        s = json_string_value(json_object_get(o, "label"));
    return s ? s : "";
}

static void count_cells(const json_t *o, char count[24], char share[16])
{
    snprintf(count, 24, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(o, "count")));
    const json_t *sh = json_object_get(o, "share");
    if (json_is_number(sh))
        snprintf(share, 16, "%.1f%%", 100.0 * json_number_value(sh));
    else
        share[0] = '\0';
}

/* One section: title row, then one row per item of the array (and its subcategories,
 * indented). */
static void section_print(const char *title, const json_t *items, const char *code_key,
                          bool with_share)
{
    static const bool right[] = {false, false, true, true};
    json_t *table = json_array();
    const char *head[] = {title, "代码", "数量", with_share ? "占比" : NULL};
    row_add(table, head, with_share ? 4 : 3);
    size_t i, j;
    json_t *it, *sub;
    json_array_foreach(items, i, it)
    {
        char count[24], share[16];
        count_cells(it, count, share);
        const char *code = json_string_value(json_object_get(it, code_key));
        /* Calls have no labels: their id stands in the first column. */
        const char *label = zh(it)[0] ? zh(it) : code;
        const char *cells[] = {label, code, count, share};
        row_add(table, cells, with_share ? 4 : 3);
        json_array_foreach(json_object_get(it, "subcategories"), j, sub)
        {
            char indented[256];
            snprintf(indented, sizeof indented, "  %s", zh(sub));
            count_cells(sub, count, share);
            const char *sc[] = {indented, json_string_value(json_object_get(sub, "code")),
                                count, share};
            row_add(table, sc, with_share ? 4 : 3);
        }
    }
    table_print(table, right);
    json_decref(table);
    fputc('\n', stdout);
}

static void filter_print(const json_t *filter)
{
    const char *k;
    json_t *v;
    int any = 0;
    json_object_foreach((json_t *)filter, k, v)
    {
        if (!json_is_string(v))
            continue;
        printf("%s%s=%s", any ? " " : "筛选条件: ", k, json_string_value(v));
        any = 1;
    }
    if (any)
        fputc('\n', stdout);
}

static void stats_print(const json_t *st)
{
    printf("提案总数: %" JSON_INTEGER_FORMAT "    分类体系版本: %s\n",
           json_integer_value(json_object_get(st, "total")),
           json_string_value(json_object_get(st, "taxonomy_version"))
               ? json_string_value(json_object_get(st, "taxonomy_version"))
               : "");
    filter_print(json_object_get(st, "filter"));
    fputc('\n', stdout);
    section_print("分类", json_object_get(st, "categories"), "code", true);
    section_print("标准类型", json_object_get(st, "tracks"), "code", true);
    section_print("状态", json_object_get(st, "statuses"), "code", false);
    section_print("立项重点", json_object_get(st, "priority_topics"), "code", true);
    section_print("征集批次", json_object_get(st, "calls"), "id", false);
}

static void coverage_print(const json_t *cov)
{
    static const bool right[] = {false, false, false, true, true};
    const json_t *gaps = json_object_get(cov, "gaps");
    printf("覆盖缺口: 少于 %" JSON_INTEGER_FORMAT " 件的分类和立项重点, 共 %zu 项\n",
           json_integer_value(json_object_get(cov, "min")), json_array_size(gaps));
    filter_print(json_object_get(cov, "filter"));
    if (json_array_size(gaps) == 0)
        return;
    fputc('\n', stdout);
    json_t *table = json_array();
    const char *head[] = {"类型", "名称", "代码", "数量", "缺少"};
    row_add(table, head, 5);
    size_t i;
    json_t *g;
    json_array_foreach(gaps, i, g)
    {
        const char *kind = json_string_value(json_object_get(g, "kind"));
        bool topic = kind && strcmp(kind, "topic") == 0;
        const char *what = topic ? "立项重点 ★"
                           : json_is_string(json_object_get(g, "parent")) ? "子类"
                                                                          : "分类";
        char count[24], missing[24];
        snprintf(count, sizeof count, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(g, "count")));
        snprintf(missing, sizeof missing, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(g, "missing")));
        const char *cells[] = {what, zh(g), json_string_value(json_object_get(g, "code")),
                               count, missing};
        row_add(table, cells, 5);
    }
    table_print(table, right);
    json_decref(table);
}

static void json_print(const json_t *o)
{
    /* The daemon's precision, so both give the same numbers. */
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    puts(s ? s : "null");
    free(s);
}

/* --category, --topic and --query are export's only: the counts are kept per call,
 * track and status (doc/store.md). */
const struct cli_option cli_stats_options[] = {CLI_SVC_OPTIONS,
                                               CLI_COUNT_FILTER_OPTIONS,
                                               {"json", 'j', NULL, .help = "print JSON"},
                                               {0}};
const struct cli_option cli_coverage_options[] = {
    CLI_SVC_OPTIONS,
    CLI_COUNT_FILTER_OPTIONS,
    {"json", 'j', NULL, .help = "print JSON"},
    {"min", 'm', "N",
     .help = "a gap is a node or topic with fewer than N proposals (default 1)"},
    {0}};

/* Both commands: options, open read-only, one service call, print. */
static int run(int argc, char **argv, const struct cli_command *self, bool coverage)
{
    const char *name = self->name;
    struct cli_svc cs;
    cli_svc_init(&cs);
    struct svc_filter filter = {0};
    bool as_json = false;
    uint64_t min = 1;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(&cs, c, optarg) || cli_filter_option(&filter, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        if (c == 'j') {
            as_json = true;
            continue;
        }
        if (c == 'm') {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (optarg[0] >= '0' && optarg[0] <= '9' && *end == '\0' && v <= 1000000000) {
                min = v;
                continue;
            }
            fprintf(stderr,
                    "stdtax coverage: --min needs a whole number 0..1000000000\n");
        }
        return cli_usage_error(&self, 1);
    }
    if (optind != argc) {
        fprintf(stderr, "stdtax %s: unexpected argument \"%s\"\n", name, argv[optind]);
        return CLI_USAGE;
    }
    struct svc *svc;
    if (cli_svc_open(&cs, true, &svc) != 0)
        return CLI_FAIL;
    json_t *out = NULL, *problems = json_array();
    struct stdtax_error err = {0};
    int rc = coverage ? svc_coverage_get(svc, &filter, min, &out, problems, &err)
                      : svc_stats_get(svc, &filter, &out, problems, &err);
    int status = CLI_OK;
    if (rc != 0) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "stdtax %s", name);
        cli_problems_print(stderr, prefix, problems);
        if (json_array_size(problems) == 0)
            cli_error(&err);
        status = rc == STDTAX_EINVAL ? CLI_USAGE : CLI_FAIL;
    } else if (as_json) {
        json_print(out);
    } else if (coverage) {
        coverage_print(out);
    } else {
        stats_print(out);
    }
    json_decref(out);
    json_decref(problems);
    svc_close(svc);
    return status;
}

int cmd_stats(int argc, char **argv, const struct cli_command *self)
{
    return run(argc, argv, self, false);
}

int cmd_coverage(int argc, char **argv, const struct cli_command *self)
{
    return run(argc, argv, self, true);
}
