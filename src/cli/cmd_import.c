/* stdtax import: JSON lines or CSV rows of the forms into the store.
 *
 * Two passes, so that a file with errors changes nothing: first every line is read and
 * checked as the service would check it on submission (form validation, deadline),
 * printing FILE:LINE: /pointer: message for each problem; then, when the file is clean
 * or --skip-invalid was given, each valid line goes the daemon's way in (prepared,
 * classified, committed with the call's duplicate rule) with an idempotency key derived
 * from its content, so importing the same file again adds nothing and counts those
 * lines as duplicates, and a proposal the API refuses as a duplicate of the same
 * organisation's is refused here too. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stdtax/csv.h"
#include "stdtax/proposal.h"
#include "stdtax/sha256.h"

#define LINE_MAX_BYTES (1u << 20)
#define BATCH 256 /* submissions per write transaction */
#define KEY_PREFIX "import:sha256:"
#define KEY_SIZE (sizeof KEY_PREFIX + 64)

/* JSON: one document, a proposal object or an array of them (what the daemon's batch
 * endpoint takes); JSONL: one object per line. */
enum format { FMT_NONE, FMT_JSONL, FMT_JSON, FMT_CSV };

static const struct {
    const char *name;
    enum format fmt;
} formats[] = {
    {"jsonl", FMT_JSONL}, {"ndjson", FMT_JSONL}, {"json", FMT_JSON}, {"csv", FMT_CSV}};

static enum format format_parse(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcasecmp(name, formats[i].name) == 0)
            return formats[i].fmt;
    return FMT_NONE;
}

/* Where a submission is in the file: a line (JSONL, CSV), or an item of a JSON
 * document (index -1: the document is the submission). */
struct where {
    unsigned long line;
    long index;
};

/* A valid line waiting for the second pass. */
struct entry {
    struct where at;
    json_t *submission;
    char key[KEY_SIZE];
};

struct import {
    struct svc *svc;
    const char *path;
    struct svc_caller caller;
    time_t now;
    struct entry *v;
    size_t n, cap;
    size_t read, bad;
};

/* The idempotency key of a submission: its canonical JSON (sorted keys, compact)
 * hashed, so that the same proposal read again, from the same file or another, is
 * recognised whatever the member order or white space of the line. */
static int entry_key(const json_t *submission, char key[KEY_SIZE])
{
    char *canon = json_dumps(submission, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canon)
        return -1;
    struct sha256_ctx c;
    char hex[65];
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, canon, strlen(canon));
    sha256_ctx_final_hex(&c, hex);
    free(canon);
    snprintf(key, KEY_SIZE, "%s%s", KEY_PREFIX, hex);
    return 0;
}

/* FILE:LINE: /pointer: detail [rule], or for a JSON document FILE: /index/pointer:
 * detail [rule]; the detail in the locale's language. */
static void line_problem(const struct import *im, struct where at, const char *ptr,
                         const json_t *problem)
{
    char detail[STDTAX_TEXT_MAX + 64];
    msg_problem_detail(problem, cli_lang(), detail, sizeof detail);
    const char *rule = json_string_value(json_object_get(problem, "rule"));
    if (rule && strlen(detail) + strlen(rule) + 4 < sizeof detail)
        strcat(strcat(strcat(detail, " ["), rule), "]");
    char prefix[32] = "";
    if (!ptr)
        ptr = "";
    if (at.line > 0) {
        fprintf(stderr, "%s:%lu: ", im->path, at.line);
    } else {
        fprintf(stderr, "%s: ", im->path);
        if (at.index >= 0)
            snprintf(prefix, sizeof prefix, "/%ld", at.index);
    }
    if (prefix[0] || ptr[0])
        fprintf(stderr, "%s%s: %s\n", prefix, ptr, detail);
    else
        fprintf(stderr, "%s\n", detail);
}

/* Appends the problems of `more` whose pointer `problems` does not name yet: the CSV
 * conversion and the validation may both complain about one cell. */
static void problems_merge(json_t *problems, const json_t *more)
{
    size_t i, j;
    json_t *p, *q;
    json_array_foreach(more, i, p)
    {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        int seen = 0;
        json_array_foreach(problems, j, q)
        {
            const char *qp = json_string_value(json_object_get(q, "pointer"));
            if (ptr && qp && strcmp(ptr, qp) == 0)
                seen = 1;
        }
        if (!seen)
            json_array_append(problems, p);
    }
}

/* First pass for one line: checks the submission (steals it) with the problems the
 * reader already found, then keeps it or reports it. */
static int entry_add(struct import *im, struct where at, json_t *submission,
                     json_t *problems)
{
    im->read++;
    if (submission) {
        json_t *more = json_array();
        struct stdtax_error err = {0};
        bool late = false;
        int rc = svc_proposal_check(im->svc, submission, &im->caller, im->now, &late,
                                    more, &err);
        problems_merge(problems, more);
        json_decref(more);
        if (rc == STDTAX_ELATE) {
            char detail[STDTAX_TEXT_MAX + 64];
            snprintf(detail, sizeof detail,
                     "%s (--as-secretariat stores it, marked late)", err.text);
            stdtax_problem_add(problems, err.field[0] ? err.field : "/call", "%s",
                               detail);
        } else if (rc != 0 && rc != STDTAX_EINVAL) {
            stdtax_problem_add(problems, err.field, "%s", err.text);
        } else if (rc == STDTAX_EINVAL && json_array_size(problems) == 0) {
            stdtax_problem_add(problems, err.field, "%s", err.text);
        }
    }
    if (!submission || json_array_size(problems) > 0) {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
        {
            line_problem(im, at, json_string_value(json_object_get(p, "pointer")), p);
        }
        json_decref(submission);
        im->bad++;
        return 0;
    }
    if (im->n == im->cap) {
        size_t cap = im->cap ? 2 * im->cap : 256;
        struct entry *v = realloc(im->v, cap * sizeof *v);
        if (!v) {
            json_decref(submission);
            return -1;
        }
        im->v = v;
        im->cap = cap;
    }
    struct entry *e = &im->v[im->n];
    e->at = at;
    e->submission = submission;
    if (entry_key(submission, e->key) != 0) {
        json_decref(submission);
        return -1;
    }
    im->n++;
    return 0;
}

static int read_jsonl(struct import *im, FILE *in)
{
    char *buf = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&buf, &cap, in)) >= 0) {
        lineno++;
        char *s = buf;
        size_t k = (size_t)len;
        if (lineno == 1 && k >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, k -= 3;
        while (k > 0 && (s[k - 1] == '\n' || s[k - 1] == '\r' || s[k - 1] == ' ' ||
                         s[k - 1] == '\t'))
            k--;
        size_t b = 0;
        while (b < k && (s[b] == ' ' || s[b] == '\t'))
            b++;
        if (b == k)
            continue;
        json_t *problems = json_array();
        json_t *sub = NULL;
        if (k > LINE_MAX_BYTES) {
            stdtax_problem_add(problems, "", "line longer than %u bytes", LINE_MAX_BYTES);
        } else {
            json_error_t je;
            sub = json_loadb(s, k, JSON_REJECT_DUPLICATES, &je);
            if (!sub) {
                stdtax_problem_add(problems, "", "not JSON: %s (column %d)", je.text,
                                   je.column);
            } else if (!json_is_object(sub)) {
                stdtax_problem_add(problems, "", "a line must be one JSON object");
                json_decref(sub);
                sub = NULL;
            }
        }
        struct where at = {lineno, -1};
        rc = entry_add(im, at, sub, problems);
        json_decref(problems);
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "stdtax: %s: read error\n", im->path);
        rc = -1;
    }
    free(buf);
    return rc;
}

static int read_json(struct import *im, FILE *in)
{
    json_error_t je;
    json_t *doc = json_loadf(in, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        fprintf(stderr, "%s:%d: not JSON: %s\n", im->path, je.line, je.text);
        return 1;
    }
    int rc = 0;
    if (json_is_object(doc)) {
        json_t *problems = json_array();
        rc = entry_add(im, (struct where){0, -1}, json_incref(doc), problems);
        json_decref(problems);
    } else if (json_is_array(doc)) {
        size_t i;
        json_t *item;
        json_array_foreach(doc, i, item)
        {
            json_t *problems = json_array();
            json_t *sub = json_is_object(item) ? json_incref(item) : NULL;
            if (!sub)
                stdtax_problem_add(problems, "", "an item must be a JSON object");
            rc = entry_add(im, (struct where){0, (long)i}, sub, problems);
            json_decref(problems);
            if (rc != 0)
                break;
        }
    } else {
        fprintf(stderr,
                "%s: a JSON file must hold a proposal object or an array of them\n",
                im->path);
        rc = 1;
    }
    json_decref(doc);
    return rc;
}

/* The reader's rows are borrowed until the next read: the header is kept as a copy. */
struct header_copy {
    struct csv_row row;
    char **cells;
    size_t *lens;
};

static int header_copy(struct header_copy *h, const struct csv_row *row)
{
    h->cells = calloc(row->n ? row->n : 1, sizeof *h->cells);
    h->lens = calloc(row->n ? row->n : 1, sizeof *h->lens);
    if (!h->cells || !h->lens)
        return -1;
    for (size_t i = 0; i < row->n; i++) {
        h->cells[i] = strdup(row->cells[i]);
        if (!h->cells[i])
            return -1;
        h->lens[i] = row->lens[i];
    }
    h->row.n = row->n;
    h->row.cells = (const char *const *)h->cells;
    h->row.lens = h->lens;
    h->row.line = row->line;
    return 0;
}

static void header_free(struct header_copy *h)
{
    for (size_t i = 0; h->cells && i < h->row.n; i++)
        free(h->cells[i]);
    free(h->cells);
    free(h->lens);
}

static int read_csv(struct import *im, FILE *in)
{
    struct csv_reader *r = csv_reader_new(in, NULL);
    if (!r)
        return -1;
    struct header_copy header = {0};
    struct csv_row row;
    struct stdtax_error err = {0};
    int got, rc = 0;
    got = csv_reader_next(r, &row, &err);
    if (got == 0) {
        fprintf(stderr, "%s: empty file: the first row must name the columns\n",
                im->path);
        rc = 1;
    } else if (got > 0 && header_copy(&header, &row) != 0) {
        rc = -1;
    }
    while (rc == 0 && got > 0 && (got = csv_reader_next(r, &row, &err)) > 0) {
        json_t *problems = json_array();
        json_t *sub = NULL;
        if (prop_csv_row_to_submission(&header.row, &row, &sub, problems) ==
                STDTAX_ENOMEM ||
            entry_add(im, (struct where){row.line, -1}, sub, problems) != 0)
            rc = -1;
        json_decref(problems);
    }
    if (got < 0) {
        /* A broken quote leaves the rest unreadable: nothing is imported, even with
         * --skip-invalid, since the lines after it cannot be told apart. */
        fprintf(stderr, "%s:%s: %s\n", im->path,
                err.field + (strncmp(err.field, "line ", 5) == 0 ? 5 : 0), err.text);
        rc = 1;
    }
    header_free(&header);
    csv_reader_free(r);
    return rc;
}

static void entries_free(struct import *im)
{
    for (size_t i = 0; i < im->n; i++)
        json_decref(im->v[i].submission);
    free(im->v);
}

/* A line the second pass refused: its problems, or the error with the kind of problem
 * the daemon's answer would name (a duplicate of a stored proposal is a "conflict", as
 * the 409 of POST /v1/proposals). */
static void line_refused(const struct import *im, struct where at, int rc,
                         const json_t *problems, const struct stdtax_error *err)
{
    size_t k;
    json_t *p;
    json_array_foreach(problems, k, p)
    {
        line_problem(im, at, json_string_value(json_object_get(p, "pointer")), p);
    }
    if (json_array_size(problems) == 0) {
        char text[STDTAX_TEXT_MAX], detail[STDTAX_TEXT_MAX + 32];
        snprintf(detail, sizeof detail, "%s (%s)", cli_text(err->text, text, sizeof text),
                 stdtax_strerror(rc));
        json_t *one = json_pack("{s:s}", "detail", detail);
        line_problem(im, at, err->field, one);
        json_decref(one);
    }
}

/* Second pass: the valid lines, prepared and committed as the daemon does
 * (svc_proposal_prepare, svc_proposal_commit with the call's duplicate rule), BATCH to
 * a durable transaction (a crash loses at most the batch being written; running the
 * import again adds only what is missing).  Returns the number of lines that failed; a
 * failure of the store as a whole stops the import. */
static size_t submit_all(struct import *im, size_t *imported, size_t *duplicates)
{
    struct svc_batch_item items[BATCH];
    size_t from[BATCH];
    size_t failed = 0;
    for (size_t first = 0; first < im->n; first += BATCH) {
        size_t n = im->n - first < BATCH ? im->n - first : BATCH, m = 0;
        for (size_t j = 0; j < n; j++) {
            struct entry *e = &im->v[first + j];
            struct svc_submit_options o = {.caller = &im->caller,
                                           .idem_key = e->key,
                                           .now = im->now,
                                           .duplicate_check = true};
            struct stdtax_error err = {0};
            json_t *problems = json_array();
            int rc = svc_proposal_prepare(im->svc, e->submission, &o, &items[m], problems,
                                          &err);
            if (rc == 0) {
                from[m++] = first + j;
            } else {
                failed++;
                line_refused(im, e->at, rc, problems, &err);
            }
            json_decref(problems);
        }
        struct stdtax_error err = {0};
        int rc = m ? svc_proposal_commit(im->svc, items, m, &err) : 0;
        for (size_t j = 0; j < m; j++) {
            struct svc_batch_item *it = &items[j];
            if (it->rc == 0) {
                ++*(it->created ? imported : duplicates);
            } else if (rc == 0) {
                failed++;
                line_refused(im, im->v[from[j]].at, it->rc, NULL, &it->err);
            }
            svc_batch_item_clear(it);
        }
        if (rc != 0) {
            cli_error(&err);
            fprintf(stderr, "%s: import stopped; %zu lines were stored before\n",
                    im->path, *imported);
            return failed + (im->n - first - (n - m));
        }
    }
    return failed;
}

const struct cli_option cli_import_options[] = {
    CLI_SVC_OPTIONS,
    {"format", 'f', "jsonl|json|csv",
     .help = "the file's format (default: from its name)"},
    {"skip-invalid", 's', NULL, .help = "import the valid lines when some have problems"},
    {"as-secretariat", 'a', NULL, .help = "act as the secretariat: store late proposals"},
    {0}};

int cmd_import(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    enum format fmt = FMT_NONE;
    bool skip_invalid = false, admin = false;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(&cs, c, optarg))
            continue;
        switch (c) {
        case CLI_OPT_HELP:
            return cli_help(&self, 1);
        case 'f':
            if ((fmt = format_parse(optarg)) == FMT_NONE) {
                fprintf(stderr,
                        "stdtax import: unknown format \"%s\" (jsonl, json or csv)\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 's':
            skip_invalid = true;
            break;
        case 'a':
            admin = true;
            break;
        default:
            return cli_usage_error(&self, 1);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&self, 1);
    const char *path = argv[optind];
    bool is_stdin = strcmp(path, "-") == 0;
    if (fmt == FMT_NONE) {
        const char *dot = strrchr(path, '.');
        fmt = is_stdin ? FMT_JSONL : dot ? format_parse(dot + 1) : FMT_NONE;
        if (fmt == FMT_NONE) {
            fprintf(stderr,
                    "stdtax import: cannot tell the format of %s from its name: give "
                    "--format jsonl or --format csv\n",
                    path);
            return CLI_USAGE;
        }
    }
    FILE *in = is_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        perror(path);
        return CLI_FAIL;
    }
    struct import im = {
        .path = is_stdin ? "<stdin>" : path,
        .caller = {.name = admin ? "stdtax import (secretariat)" : "stdtax import",
                   .admin = admin},
        .now = time(NULL)};
    if (cli_svc_open(&cs, false, &im.svc) != 0) {
        if (!is_stdin)
            fclose(in);
        return CLI_FAIL;
    }
    int rc = fmt == FMT_CSV    ? read_csv(&im, in)
             : fmt == FMT_JSON ? read_json(&im, in)
                               : read_jsonl(&im, in);
    if (!is_stdin)
        fclose(in);
    int status = CLI_OK;
    if (rc < 0) {
        fprintf(stderr,
                "stdtax import: %s: out of memory or read error; nothing imported\n",
                im.path);
        status = CLI_FAIL;
    } else if (rc > 0) {
        fprintf(stderr, "%s: nothing imported\n", im.path);
        status = CLI_FAIL;
    } else if (im.bad > 0 && !skip_invalid) {
        fprintf(stderr,
                "%s: %zu of %zu lines have problems: nothing imported (--skip-invalid "
                "imports the others)\n",
                im.path, im.bad, im.read);
        printf("%s: read %zu, imported 0, duplicates 0, skipped %zu\n", im.path, im.read,
               im.read);
        status = CLI_FAIL;
    } else {
        size_t imported = 0, duplicates = 0;
        size_t failed = submit_all(&im, &imported, &duplicates);
        printf("%s: read %zu, imported %zu, duplicates %zu, skipped %zu\n", im.path,
               im.read, imported, duplicates, im.bad + failed);
        if (im.bad > 0 || failed > 0)
            status = CLI_FAIL;
    }
    entries_free(&im);
    svc_close(im.svc);
    return status;
}
