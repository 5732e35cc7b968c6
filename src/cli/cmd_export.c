/* stdtax export: the stored proposals as CSV for spreadsheet programs (UTF-8 with BOM,
 * RFC 4180, CRLF, formula guard), as JSON lines, or as training examples for `stdtax
 * train` (the proposals whose category the secretariat set), page by page through the
 * service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "stdtax/proposal.h"

#define PAGE 1000

enum format { FMT_NONE, FMT_CSV, FMT_JSONL, FMT_TRAINING };

static enum format format_parse(const char *name)
{
    if (strcasecmp(name, "csv") == 0)
        return FMT_CSV;
    if (strcasecmp(name, "jsonl") == 0 || strcasecmp(name, "ndjson") == 0)
        return FMT_JSONL;
    if (strcasecmp(name, "training") == 0)
        return FMT_TRAINING;
    return FMT_NONE;
}

/* A labelled example in the form `stdtax train` reads (model_examples_read), when a
 * person decided the record's category: the classifier's own suggestions would only
 * teach the model what it already thinks.  *line is new, or NULL to leave the record out.
 */
static int training_line(const json_t *record, char **line)
{
    *line = NULL;
    const json_t *cl = json_object_get(record, "classification");
    const char *source = json_string_value(json_object_get(cl, "source"));
    const char *category = json_string_value(json_object_get(cl, "category"));
    if (!source || strcmp(source, "secretariat") != 0 || !category)
        return 0;
    json_t *ex = json_object();
    static const char *const fields[] = {"id", "title", "title_en", "scope"};
    for (size_t i = 0; ex && i < sizeof fields / sizeof fields[0]; i++) {
        const json_t *v = json_object_get(record, fields[i]);
        if (json_is_string(v) && json_object_set(ex, fields[i], (json_t *)v) != 0)
            json_decref(ex), ex = NULL;
    }
    if (ex && (json_object_set(ex, "category", json_object_get(cl, "category")) != 0 ||
               json_object_set(ex, "subcategory",
                               json_object_get(cl, "subcategory") ?: json_null()) != 0))
        json_decref(ex), ex = NULL;
    *line = ex ? json_dumps(ex, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(ex);
    return *line ? 0 : STDTAX_ENOMEM;
}

/* 1 when the record was written, 0 when the format leaves it out, or an error. */
static int write_record(const json_t *record, enum format fmt, FILE *out)
{
    if (fmt == FMT_CSV)
        return prop_record_to_csv_row(record, out) == 0 ? 1 : STDTAX_EIO;
    char *s = NULL;
    if (fmt == FMT_TRAINING) {
        int rc = training_line(record, &s);
        if (rc != 0 || !s)
            return rc;
    } else {
        s = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    }
    if (!s)
        return STDTAX_ENOMEM;
    int rc = fputs(s, out) < 0 || fputc('\n', out) == EOF ? STDTAX_EIO : 1;
    free(s);
    return rc;
}

/* One page after cursor (NULL: the first); *page is new.  Returns 0, or the service's
 * error after printing it. */
static int page_get(struct svc *svc, const struct svc_filter *filter, const char *cursor,
                    json_t **page)
{
    json_t *problems = json_array();
    struct stdtax_error err = {0};
    int rc = svc_proposal_list(svc, filter, cursor, PAGE, page, problems, &err);
    if (rc != 0) {
        cli_problems_print(stderr, "stdtax export", problems);
        if (json_array_size(problems) == 0)
            cli_error(&err);
    }
    json_decref(problems);
    return rc;
}

/* Writes `page` (stolen) and the pages after it until the end of the listing; returns
 * the number of records written or -1 after printing why it stopped. */
static long export_all(struct svc *svc, const struct svc_filter *filter, json_t *page,
                       enum format fmt, FILE *out, const char *out_name)
{
    long written = 0;
    for (;;) {
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(page, "items"), i, rec)
        {
            int w = write_record(rec, fmt, out);
            if (w < 0) {
                fprintf(stderr, "stdtax export: %s: write error\n", out_name);
                json_decref(page);
                return -1;
            }
            written += w;
        }
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        char *cursor = next ? strdup(next) : NULL;
        json_decref(page);
        if (!next)
            return written;
        int rc = cursor ? page_get(svc, filter, cursor, &page) : STDTAX_ENOMEM;
        free(cursor);
        if (rc != 0)
            return -1;
    }
}

const struct cli_option cli_export_options[] = {
    CLI_SVC_OPTIONS,
    CLI_FILTER_OPTIONS,
    {"format", 'f', "csv|jsonl|training",
     .help = "what to write (default: from the name of -o, else csv)"},
    {"output", 'o', "FILE", .help = "write to FILE (-: standard output, the default)",
     .short_name = 'o'},
    {0}};

int cmd_export(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    struct svc_filter filter = {0};
    enum format fmt = FMT_NONE;
    const char *out_path = NULL;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(&cs, c, optarg) || cli_filter_option(&filter, c, optarg))
            continue;
        switch (c) {
        case CLI_OPT_HELP:
            return cli_help(&self, 1);
        case 'f':
            if ((fmt = format_parse(optarg)) == FMT_NONE) {
                fprintf(stderr,
                        "stdtax export: unknown format \"%s\" (csv, jsonl or training)\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'o':
            out_path = optarg;
            break;
        default:
            return cli_usage_error(&self, 1);
        }
    }
    if (optind != argc)
        return cli_usage_error(&self, 1);
    if (fmt == FMT_NONE) {
        const char *dot = out_path ? strrchr(out_path, '.') : NULL;
        fmt = dot && format_parse(dot + 1) != FMT_NONE ? format_parse(dot + 1) : FMT_CSV;
    }
    struct svc *svc;
    if (cli_svc_open(&cs, true, &svc) != 0)
        return CLI_FAIL;
    /* The first page before the output file, so that a bad filter leaves no empty
     * file behind. */
    json_t *first;
    int rc = page_get(svc, &filter, NULL, &first);
    if (rc != 0) {
        svc_close(svc);
        return rc == STDTAX_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    FILE *out = out_path && strcmp(out_path, "-") != 0 ? fopen(out_path, "wb") : stdout;
    const char *out_name = out == stdout ? "<stdout>" : out_path;
    if (!out) {
        perror(out_path);
        json_decref(first);
        svc_close(svc);
        return CLI_FAIL;
    }
    long n = -1;
    if (fmt == FMT_CSV && prop_csv_header(out) != 0) {
        fprintf(stderr, "stdtax export: %s: write error\n", out_name);
        json_decref(first);
    } else {
        n = export_all(svc, &filter, first, fmt, out, out_name);
    }
    int status = n < 0 ? CLI_FAIL : CLI_OK;
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0) {
        fprintf(stderr, "stdtax export: %s: write error\n", out_name);
        status = CLI_FAIL;
    }
    if (status == CLI_OK && out != stdout)
        fprintf(stderr, "%s: %ld proposals\n", out_name, n);
    svc_close(svc);
    return status;
}
