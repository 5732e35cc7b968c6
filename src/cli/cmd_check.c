/* stdtax check [--repair]: recounts the store from its records (svc_store_check) and
 * reports every difference from the stored counts and indexes, and checks the
 * materials' files (svc_material_check); --repair rebuilds the counts and indexes
 * (svc_store_repair), removes unreferenced material files (svc_material_repair) and
 * checks again.  Exit 0: no difference (after the repair, with
 * --repair); 1: differences; 2: could not check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/service_materials.h"
#include "stdtax/service_store.h"

/* The store's keys hold the byte 0x1F between their parts; shown as '|'. */
static void key_print(const char *key)
{
    for (const char *p = key ? key : ""; *p; p++)
        fputc(*p == '\x1f' ? '|' : *p, stdout);
}

/* The materials' part (doc/materials.md): files no record names (what a crash
 * between a file and its record leaves: --repair removes them), and damage: a
 * recorded file missing or with another hash. */
static size_t materials_print(const json_t *m)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(m, "unreferenced"), i, it)
        printf("material file unreferenced: %s\n", json_string_value(it));
    const char *const damage[] = {"missing", "damaged"};
    for (size_t d = 0; d < 2; d++)
        json_array_foreach(json_object_get(m, damage[d]), i, it) printf(
            "material %s %s: file %s %s\n", json_string_value(json_object_get(it, "id")),
            json_string_value(json_object_get(it, "slot")),
            json_string_value(json_object_get(it, "sha256")), damage[d]);
    size_t unref = json_array_size(json_object_get(m, "unreferenced"));
    size_t missing = json_array_size(json_object_get(m, "missing"));
    size_t damaged = json_array_size(json_object_get(m, "damaged"));
    json_int_t refs =
        json_integer_value(json_object_get(json_object_get(m, "refs"), "differences"));
    printf("%" JSON_INTEGER_FORMAT " materials, %" JSON_INTEGER_FORMAT
           " files: %zu unreferenced, %zu missing, %zu damaged, %" JSON_INTEGER_FORMAT
           " reference count differences\n",
           json_integer_value(json_object_get(m, "materials")),
           json_integer_value(json_object_get(m, "files")), unref, missing, damaged,
           refs);
    return unref + missing + damaged + (size_t)refs;
}

static size_t report_print(const json_t *r)
{
    const json_t *counts = json_object_get(r, "counts");
    const json_t *indexes = json_object_get(r, "indexes");
    size_t diffs = (size_t)json_integer_value(json_object_get(counts, "differences"));
    size_t missing = (size_t)json_integer_value(json_object_get(indexes, "missing"));
    size_t extra = (size_t)json_integer_value(json_object_get(indexes, "extra"));
    size_t bad = json_array_size(json_object_get(r, "bad_records"));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(counts, "items"), i, it)
    {
        fputs("count ", stdout);
        key_print(json_string_value(json_object_get(it, "key")));
        printf(": stored %" JSON_INTEGER_FORMAT ", recounted %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(it, "stored")),
               json_integer_value(json_object_get(it, "expected")));
    }
    json_array_foreach(json_object_get(indexes, "items"), i, it)
    {
        fputs("index ", stdout);
        key_print(json_string_value(json_object_get(it, "key")));
        printf(" %s: %s\n", json_string_value(json_object_get(it, "id")),
               json_string_value(json_object_get(it, "problem")));
    }
    json_array_foreach(json_object_get(r, "bad_records"), i, it)
    {
        char *s = json_dumps(it, JSON_COMPACT | JSON_ENCODE_ANY);
        printf("bad record: %s\n", s ? s : "?");
        free(s);
    }
    printf("%" JSON_INTEGER_FORMAT " records: %zu count differences, %zu missing and %zu "
           "extra index entries, %zu bad records\n",
           json_integer_value(json_object_get(r, "records")), diffs, missing, extra, bad);
    return diffs + missing + extra + bad +
           materials_print(json_object_get(r, "materials"));
}

static int check_run(struct svc *svc, json_t **report)
{
    struct stdtax_error err = {0};
    json_t *materials = NULL;
    if (svc_store_check(svc, report, &err) != 0 ||
        svc_material_check(svc, &materials, &err) != 0) {
        json_decref(*report);
        *report = NULL;
        cli_error(&err);
        return -1;
    }
    if (!json_is_true(json_object_get(materials, "ok")))
        json_object_set(*report, "ok", json_false());
    json_object_set_new(*report, "materials", materials);
    return 0;
}

static bool report_ok(const json_t *r)
{
    return json_is_true(json_object_get(r, "ok"));
}

_Static_assert((int)CLI_USAGE == (int)CHECK_ERROR,
               "wrong usage of check exits as an error");

const struct cli_option cli_check_options[] = {
    CLI_SVC_OPTIONS,
    {"repair", 'r', NULL,
     .help = "rebuild the counts and indexes when they differ, check again"},
    {"json", 'j', NULL, .help = "print the reports as JSON"},
    {0}};

int cmd_check(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    bool repair = false, as_json = false;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(&cs, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        if (c == 'r')
            repair = true;
        else if (c == 'j')
            as_json = true;
        else
            return cli_usage_error(&self, 1); /* CLI_USAGE is CHECK_ERROR */
    }
    if (optind != argc)
        return cli_usage_error(&self, 1);

    struct svc *svc;
    if (cli_svc_open(&cs, !repair, &svc) != 0)
        return CHECK_ERROR;
    json_t *before = NULL, *after = NULL, *repaired = NULL;
    int status = CHECK_ERROR;
    if (check_run(svc, &before) != 0)
        goto out;
    if (repair && !report_ok(before)) {
        struct stdtax_error err = {0};
        json_t *mrepair = NULL;
        if (svc_store_repair(svc, &repaired, &err) != 0 ||
            svc_material_repair(svc, &mrepair, &err) != 0) {
            cli_error(&err);
            goto out;
        }
        json_object_set_new(repaired, "materials", mrepair);
        if (check_run(svc, &after) != 0)
            goto out;
    }
    const json_t *final = after ? after : before;
    status = report_ok(final) ? CHECK_CLEAN : CHECK_DIFFERENT;
    if (as_json) {
        json_t *o = json_pack("{s:O, s:O*, s:O*}", "check", before, "repair", repaired,
                              "after_repair", after);
        char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
        puts(s ? s : "null");
        free(s);
        json_decref(o);
    } else {
        report_print(before);
        if (after) {
            printf("repaired: counts and indexes rebuilt from %" JSON_INTEGER_FORMAT
                   " records, %" JSON_INTEGER_FORMAT
                   " unreferenced material files removed\n",
                   json_integer_value(json_object_get(repaired, "records")),
                   json_integer_value(json_object_get(
                       json_object_get(repaired, "materials"), "removed")));
            report_print(after);
        }
        puts(status == CHECK_CLEAN ? "ok" : "DIFFERENT");
    }
out:
    json_decref(before);
    json_decref(after);
    json_decref(repaired);
    svc_close(svc);
    return status;
}
