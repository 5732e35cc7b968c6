/* stdtax backup OUT and stdtax restore BACKUP (svc_backup_make, svc_backup_restore;
 * doc/backup.md).  Exit 0 when done and checked, 1 when refused or failed (the
 * message says why), 2 for wrong usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/service_backup.h"

static void manifest_print(const char *verb, const char *where, const json_t *m)
{
    const json_t *counts = json_object_get(m, "counts");
    printf("%s %s: %" JSON_INTEGER_FORMAT " proposals, %" JSON_INTEGER_FORMAT
           " materials, schema version %" JSON_INTEGER_FORMAT ", taken %s; checked\n",
           verb, where, json_integer_value(json_object_get(counts, "proposals")),
           json_integer_value(json_object_get(counts, "materials")),
           json_integer_value(json_object_get(m, "schema_version")),
           json_string_value(json_object_get(m, "created")));
}

/* The options and the one argument of backup and restore: -1 to go on, or the exit
 * status of --help or wrong usage. */
static int arguments(int argc, char **argv, const struct cli_command *self,
                     struct cli_svc *cs, bool *force, long *keep)
{
    cli_svc_init(cs);
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_svc_option(cs, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        char *end;
        if (c == 'k' && keep) {
            *keep = strtol(optarg, &end, 10);
            if (*end || *keep < 1 || *keep > 10000)
                return cli_usage_error(&self, 1);
        } else if (c == 'f' && force) {
            *force = true;
        } else {
            return cli_usage_error(&self, 1);
        }
    }
    return optind == argc - 1 ? -1 : cli_usage_error(&self, 1);
}

const struct cli_option cli_backup_options[] = {
    CLI_SVC_OPTIONS,
    {"keep", 'k', "N",
     .help = "then keep the newest N backups beside OUT (in its parent directory)"},
    {0}};

int cmd_backup(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    long keep = 0;
    int usage = arguments(argc, argv, self, &cs, NULL, &keep);
    if (usage >= 0)
        return usage;
    struct svc *svc;
    if (cli_svc_open(&cs, true, &svc) != 0)
        return 1;
    struct stdtax_error err = {0};
    json_t *m = NULL;
    int rc = svc_backup_make(svc, argv[optind], &m, &err);
    svc_close(svc);
    if (rc != 0) {
        cli_error(&err);
        fprintf(stderr,
                "stdtax: backup failed: %s holds no " BACKUP_MANIFEST
                " and cannot be restored\n",
                argv[optind]);
        return 1;
    }
    manifest_print("backup", argv[optind], m);
    json_decref(m);
    if (keep) {
        char *parent = strdup(argv[optind]),
             *slash = parent ? strrchr(parent, '/') : NULL;
        const char *dir = !slash ? "." : slash == parent ? "/" : (*slash = '\0', parent);
        unsigned removed = 0;
        rc = parent ? svc_backup_prune(dir, (unsigned)keep, &removed, &err)
                    : STDTAX_ENOMEM;
        free(parent);
        if (rc != 0) {
            cli_error(&err);
            return 1;
        }
        printf("kept the newest %ld backups, removed %u\n", keep, removed);
    }
    return 0;
}

const struct cli_option cli_restore_options[] = {
    CLI_OPTION_DATA_DIR,
    {"force", 'f', NULL, .help = "replace the store and materials of a non-empty DIR"},
    {0}};

int cmd_restore(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    bool force = false;
    int usage = arguments(argc, argv, self, &cs, &force, NULL);
    if (usage >= 0)
        return usage;
    struct stdtax_error err = {0};
    json_t *m = NULL;
    if (svc_backup_restore(argv[optind], cs.data_dir, force, &m, &err) != 0) {
        cli_error(&err);
        return 1;
    }
    manifest_print("restored", cs.data_dir, m);
    json_decref(m);
    return 0;
}
