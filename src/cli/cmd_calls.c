/* stdtax calls: the calls of the taxonomy, side by side (svc_calls_list).
 * stdtax migrate --to VERSION: re-files the stored proposals under the codes of the
 * taxonomy's crosswalk (svc_migrate), then checks the store's counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stdtax/service_store.h"

const struct cli_option cli_calls_options[] = {
    CLI_SVC_OPTIONS, {"json", 'j', NULL, .help = "print the calls as JSON"}, {0}};

static void json_print(const json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2));
    puts(s ? s : "null");
    free(s);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void call_print(const json_t *c)
{
    const json_t *title = json_object_get(c, "title");
    printf("%s%s  %s  %s  %s (framework %s, %" JSON_INTEGER_FORMAT " proposals)\n",
           str(c, "id"), json_is_true(json_object_get(c, "current")) ? " (current)" : "",
           str(c, "document"), str(c, "published"), str(title, "zh"), str(c, "framework"),
           json_integer_value(json_object_get(c, "proposals")));
    if (str(c, "note")[0])
        printf("  note: %s\n", str(c, "note"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(c, "tracks"), i, t)
    {
        printf("  %-6s %s  %s  deadline %s\n", str(t, "code"), str(t, "form"),
               str(json_object_get(t, "labels"), "zh"), str(t, "deadline"));
    }
    json_array_foreach(json_object_get(c, "criteria"), i, t)
    {
        printf("  criterion %s %s: max %" JSON_INTEGER_FORMAT ", weight %g\n",
               str(t, "code"), str(json_object_get(t, "labels"), "zh"),
               json_integer_value(json_object_get(t, "max")),
               json_number_value(json_object_get(t, "weight")));
    }
}

int cmd_calls(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    bool as_json = false;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(&cs, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        if (c != 'j')
            return cli_usage_error(&self, 1);
        as_json = true;
    }
    if (optind != argc)
        return cli_usage_error(&self, 1);
    struct svc *svc;
    if (cli_svc_open(&cs, true, &svc) != 0)
        return CLI_FAIL;
    struct stdtax_error err = {0};
    json_t *out = NULL;
    int rc = svc_calls_list(svc, &out, &err);
    svc_close(svc);
    if (rc != 0) {
        cli_error(&err);
        return CLI_FAIL;
    }
    if (as_json) {
        json_print(out);
    } else {
        size_t i;
        json_t *call;
        json_array_foreach(json_object_get(out, "calls"), i, call) call_print(call);
    }
    json_decref(out);
    return CLI_OK;
}

enum { OPT_TO = 't', OPT_BATCH = 'b' };

const struct cli_option cli_migrate_options[] = {
    CLI_SVC_OPTIONS,
    {"to", OPT_TO, "VERSION",
     .help = "the framework version to re-file under: the taxonomy's version"},
    {"batch", OPT_BATCH, "N",
     .help = "proposals per transaction, 1 to 1000 (default 500)"},
    {"json", 'j', NULL, .help = "print the report as JSON"},
    {0}};

int cmd_migrate(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    bool as_json = false;
    const char *to = NULL;
    long batch = 0;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        char *end;
        if (cli_svc_option(&cs, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        if (c == OPT_TO) {
            to = optarg;
        } else if (c == OPT_BATCH) {
            batch = strtol(optarg, &end, 10);
            if (*end || batch < 1 || batch > 1000) {
                fprintf(stderr, "stdtax migrate: --batch: 1 to 1000\n");
                return CLI_USAGE;
            }
        } else if (c == 'j') {
            as_json = true;
        } else {
            return cli_usage_error(&self, 1);
        }
    }
    if (optind != argc || !to)
        return cli_usage_error(&self, 1);
    struct svc *svc;
    if (cli_svc_open(&cs, false, &svc) != 0)
        return CLI_FAIL;
    struct stdtax_error err = {0};
    json_t *report = NULL, *check = NULL;
    int rc = svc_migrate(svc, to, (size_t)batch, time(NULL), &report, &err);
    if (rc == 0)
        rc = svc_store_check(svc, &check, &err);
    svc_close(svc);
    if (rc != 0) {
        cli_error(&err);
        json_decref(report);
        return CLI_FAIL;
    }
    bool clean = json_is_true(json_object_get(check, "ok"));
    json_object_set_new(report, "check_ok", json_boolean(clean));
    if (as_json) {
        json_print(report);
    } else {
        printf("re-filed %" JSON_INTEGER_FORMAT
               " proposals from framework %s to %s in %" JSON_INTEGER_FORMAT
               " transactions\n",
               json_integer_value(json_object_get(report, "refiled")),
               str(report, "from")[0] ? str(report, "from") : "-", str(report, "to"),
               json_integer_value(json_object_get(report, "batches")));
        const char *old;
        json_t *to_codes;
        json_object_foreach(json_object_get(report, "by_code"), old, to_codes)
        {
            const char *nc;
            json_t *n;
            json_object_foreach(to_codes, nc, n) printf(
                "  %s -> %s: %" JSON_INTEGER_FORMAT "\n", old, nc, json_integer_value(n));
        }
        puts(clean ? "check: ok" : "check: DIFFERENT (stdtax check lists them)");
    }
    json_decref(report);
    json_decref(check);
    return clean ? CLI_OK : CLI_FAIL;
}
