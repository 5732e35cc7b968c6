/* stdtax classify: one text from options, or JSON lines from a file or stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/jsonflat.h"
#include "stdtax/jsonw.h"

#define LINE_MAX_BYTES (1u << 20)

static void print_human(const json_t *r)
{
    const json_t *cat = json_object_get(r, "category");
    const json_t *sub = json_object_get(r, "subcategory");
    printf("category:    %s  %s / %s\n", json_string_value(json_object_get(cat, "code")),
           json_string_value(json_object_get(cat, "zh")),
           json_string_value(json_object_get(cat, "en")));
    if (json_is_object(sub))
        printf("subcategory: %s  %s / %s\n",
               json_string_value(json_object_get(sub, "code")),
               json_string_value(json_object_get(sub, "zh")),
               json_string_value(json_object_get(sub, "en")));
    printf("confidence:  %.4f\n", json_real_value(json_object_get(r, "confidence")));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "alternatives"), i, v)
    {
        printf("%s %s (%s) %.4f\n", i == 0 ? "alternatives:" : "             ",
               json_string_value(json_object_get(v, "code")),
               json_string_value(json_object_get(v, "zh")),
               json_real_value(json_object_get(v, "score")));
    }
    json_array_foreach(json_object_get(r, "evidence"), i, v)
    {
        printf("%s \"%s\" in %s at %lld+%lld -> %s (%.2f)\n",
               i == 0 ? "evidence:    " : "             ",
               json_string_value(json_object_get(v, "term")),
               json_string_value(json_object_get(v, "field")),
               (long long)json_integer_value(json_object_get(v, "offset")),
               (long long)json_integer_value(json_object_get(v, "length")),
               json_string_value(json_object_get(v, "node")),
               json_real_value(json_object_get(v, "weight")));
    }
    json_array_foreach(json_object_get(r, "priority_topics"), i, v)
    {
        printf("%s %s %s\n", i == 0 ? "priority:    " : "             ",
               json_string_value(json_object_get(v, "code")),
               json_string_value(json_object_get(v, "zh")));
    }
}

static json_t *error_object(size_t line, const struct stdtax_error *err)
{
    return json_pack("{s:I, s:{s:s, s:s, s:s}}", "line", (json_int_t)line, "error",
                     "title", stdtax_strerror(err->code), "field", err->field, "detail",
                     err->text);
}

/* The usual line, an object of strings and nulls, without building a JSON value: 1 and
 * *in (borrowing from *scratch) when handled, else 0 and the caller parses it with
 * jansson, which also words any error. */
static int flat_input(const char *line, size_t len, char **scratch, size_t *cap,
                      struct clf_input *in)
{
    size_t need = len + 2 * JSONFLAT_MEMBERS_MAX + 1;
    if (need > *cap) {
        char *s = realloc(*scratch, need);
        if (!s)
            return 0;
        *scratch = s;
        *cap = need;
    }
    struct jsonflat_member m[JSONFLAT_MEMBERS_MAX];
    size_t n;
    if (!jsonflat_object_parse(line, len, *scratch, m, &n))
        return 0;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const struct jsonflat_member *v = jsonflat_member_get(m, n, model_field_name(f));
        in->field[f] = v && !v->is_null ? v->value : NULL;
        in->len[f] = v && !v->is_null ? v->value_len : 0;
    }
    return 1;
}

#define OUT_FLUSH (1u << 20) /* bytes of results collected before one write */

static int flush_out(struct jsonw *out, int force)
{
    if (jsonw_error(out) != 0)
        return -1;
    if (out->len == 0 || (!force && out->len < OUT_FLUSH))
        return 0;
    size_t w = fwrite(out->data, 1, out->len, stdout);
    int rc = w == out->len ? 0 : -1;
    jsonw_clear(out);
    return rc;
}

/* One result or error object per non-empty input line, written as the results come
 * (compact JSON text without building JSON values: see clf_text_classify_write);
 * returns how many lines failed. */
static size_t classify_lines(const struct clf_engine *e, FILE *in)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0, failed = 0;
    ssize_t len;
    struct jsonw out;
    jsonw_init(&out, JSONW_PRECISION_ANSWER, 0);
    char *scratch = NULL;
    size_t scratch_cap = 0;
    struct clf_input input;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t k = (size_t)len;
        while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r'))
            k--;
        if (k == 0)
            continue;
        struct stdtax_error err = {0};
        int ok = 0;
        if (k > LINE_MAX_BYTES) {
            stdtax_error_set(&err, STDTAX_ETOOBIG, "", "line longer than %u bytes",
                             LINE_MAX_BYTES);
        } else if (flat_input(line, k, &scratch, &scratch_cap, &input)) {
            ok = clf_text_classify_write(e, &input, &out, &err) == 0;
        } else {
            json_error_t je;
            json_t *j = json_loadb(line, k, JSON_REJECT_DUPLICATES, &je);
            if (!j)
                stdtax_error_set(&err, STDTAX_EPARSE, "", "%s", je.text);
            else if (clf_input_from_json(j, &input, &err) == 0)
                ok = clf_text_classify_write(e, &input, &out, &err) == 0;
            json_decref(j);
        }
        if (ok) {
            jsonw_object_end(&out);
        } else {
            failed++;
            json_t *eo = error_object(lineno, &err);
            jsonw_value(&out, eo);
            json_decref(eo);
        }
        jsonw_newline(&out);
        if (flush_out(&out, 0) != 0)
            break;
    }
    flush_out(&out, 1);
    jsonw_free(&out);
    free(scratch);
    free(line);
    return failed;
}

const struct cli_option cli_classify_options[] = {
    CLI_OPTION_TAXONOMY,
    CLI_OPTION_MODEL,
    CLI_OPTION_NO_MODEL,
    {"json", 'j', NULL, .help = "print the result as JSON"},
    {"title", 't', "T", .help = "the title to classify (weighs most)"},
    {"title-en", 'e', "T", .help = "its English title"},
    {"scope", 's', "S", .help = "its scope"},
    {"text", 'x', "T", .help = "any other text about it"},
    {0}};

int cmd_classify(int argc, char **argv, const struct cli_command *self)
{
    const char *tax_path = cli_default_taxonomy(), *model_path = cli_default_model();
    int as_json = 0, have_fields = 0;
    struct clf_input in = {0};
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        int f = -1;
        if (cli_engine_option(c, &tax_path, &model_path))
            continue;
        switch (c) {
        case CLI_OPT_HELP:
            return cli_help(&self, 1);
        case 'j':
            as_json = 1;
            break;
        case 't':
            f = MODEL_FIELD_TITLE;
            break;
        case 'e':
            f = MODEL_FIELD_TITLE_EN;
            break;
        case 's':
            f = MODEL_FIELD_SCOPE;
            break;
        case 'x':
            f = MODEL_FIELD_TEXT;
            break;
        default:
            return cli_usage_error(&self, 1);
        }
        if (f >= 0) {
            in.field[f] = optarg;
            in.len[f] = strlen(optarg);
            have_fields = 1;
        }
    }
    if (have_fields == (optind < argc) || argc - optind > 1)
        return cli_usage_error(&self, 1);
    struct stdtax_error err = {0};
    struct clf_engine *e = NULL;
    json_t *problems = json_array();
    if (clf_engine_load(tax_path, model_path, &e, problems, &err) != 0) {
        cli_error(&err);
        json_decref(problems);
        return CLI_FAIL;
    }
    json_decref(problems);
    int status = CLI_OK;
    if (have_fields) {
        json_t *r;
        if (clf_text_classify(e, &in, &r, &err) != 0) {
            cli_error(&err);
            status = CLI_FAIL;
        } else {
            if (as_json) {
                char *s = json_dumps(r, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
                puts(s ? s : "null");
                free(s);
            } else {
                print_human(r);
            }
            json_decref(r);
        }
    } else {
        const char *path = argv[optind];
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
        if (!f) {
            perror(path);
            clf_engine_free(e);
            return CLI_FAIL;
        }
        size_t failed = classify_lines(e, f);
        if (f != stdin)
            fclose(f);
        if (failed) {
            fprintf(stderr, "stdtax: %zu line%s failed\n", failed,
                    failed == 1 ? "" : "s");
            status = CLI_FAIL;
        }
    }
    clf_engine_free(e);
    return status;
}
