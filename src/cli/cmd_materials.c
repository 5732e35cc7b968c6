/* stdtax materials add|list|get: the materials of a proposal (doc/materials.md) through
 * the same service functions as the daemon's /v1/proposals/{id}/materials, as the
 * secretariat (the machine's own store: any proposal, any time).
 *   add ID KIND FILE  stores FILE as KIND (form-scan, draft, ip-proof; other adds one)
 *   list ID           the materials and whether the proposal is complete, as JSON
 *   get ID SLOT       writes the material to --output, or to the call's file name in
 *                     the current directory (as curl -OJ would) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stdtax/service_materials.h"

#define MATERIAL_MAX_DEFAULT (20u << 20)
#define PER_PROPOSAL_DEFAULT 10u

const struct cli_option cli_materials_options[] = {
    CLI_OPTION_DATA_DIR,
    CLI_OPTION_TAXONOMY,
    {"type", 't', "MEDIA", .help = "add: the type FILE is declared to be (checked)"},
    {"output", 'o', "FILE",
     .help = "get: where to write (default: the call's file name)"},
    {0}};

static const struct svc_caller secretariat = {.name = "stdtax", .admin = true};

static void json_print(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2));
    puts(s ? s : "null");
    free(s);
}

static int fail(const struct stdtax_error *err)
{
    cli_error(err);
    return CLI_FAIL;
}

/* FILE read whole, up to max bytes (one more tells it is larger). */
static int file_read(const char *path, size_t max, char **data, size_t *len,
                     struct stdtax_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, STDTAX_EIO, path, "%s: %s", path, strerror(errno));
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return stdtax_error_set(err, buf ? STDTAX_EIO : STDTAX_ENOMEM, path,
                                "%s: cannot read", path);
    }
    *data = buf;
    *len = n;
    return 0;
}

static int do_add(struct svc *svc, char **op, const char *type)
{
    struct stdtax_error err = {0};
    char *data = NULL;
    size_t len = 0;
    if (file_read(op[2], MATERIAL_MAX_DEFAULT, &data, &len, &err) != 0)
        return fail(&err);
    struct svc_material_upload up = {.proposal_id = op[0],
                                     .kind = op[1],
                                     .data = data,
                                     .len = len,
                                     .declared_type = type,
                                     .max_size = MATERIAL_MAX_DEFAULT,
                                     .max_per_proposal = PER_PROPOSAL_DEFAULT,
                                     .now = time(NULL)};
    json_t *m;
    bool replaced;
    int rc = svc_material_put(svc, &up, &secretariat, &m, &replaced, &err);
    free(data);
    if (rc)
        return fail(&err);
    json_print(m);
    json_decref(m);
    return CLI_OK;
}

static int do_list(struct svc *svc, char **op, const char *unused)
{
    (void)unused;
    struct stdtax_error err = {0};
    json_t *out;
    if (svc_material_list(svc, op[0], &secretariat, &out, &err) != 0)
        return fail(&err);
    json_print(out);
    json_decref(out);
    return CLI_OK;
}

static int copy_out(int in, int out, off_t size)
{
    char buf[1 << 16];
    while (size > 0) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n <= 0)
            return -1;
        for (ssize_t w = 0, k; w < n; w += k)
            if ((k = write(out, buf + w, (size_t)(n - w))) <= 0)
                return -1;
        size -= n;
    }
    return 0;
}

static int do_get(struct svc *svc, char **op, const char *output)
{
    struct stdtax_error err = {0};
    json_t *m;
    int fd;
    off_t size;
    char name[768];
    if (svc_material_open(svc, op[0], op[1], &secretariat, &m, &fd, &size, name,
                          sizeof name, &err) != 0)
        return fail(&err);
    json_decref(m);
    const char *path = output ? output : name;
    int out = strcmp(path, "-") == 0
                  ? STDOUT_FILENO
                  : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = out >= 0 ? copy_out(fd, out, size) : -1;
    int e = errno;
    close(fd);
    if (out > STDOUT_FILENO && close(out) != 0 && rc == 0)
        rc = -1, e = errno;
    if (rc != 0) {
        stdtax_error_set(&err, STDTAX_EIO, path, "%s: %s", path, strerror(e));
        return fail(&err);
    }
    if (out != STDOUT_FILENO)
        printf("%s\n", path);
    return CLI_OK;
}

static const struct {
    const char *name;
    int operands;
    bool writes;
    int (*run)(struct svc *svc, char **op, const char *arg);
} actions[] = {
    {"add", 3, true, do_add},
    {"list", 1, false, do_list},
    {"get", 2, false, do_get},
};

int cmd_materials(int argc, char **argv, const struct cli_command *self)
{
    struct cli_svc cs;
    cli_svc_init(&cs);
    const char *type = NULL, *output = NULL;
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    for (int c; (c = cli_parser_next(&parser, argc, argv)) != -1;) {
        if (cli_svc_option(&cs, c, optarg))
            continue;
        if (c == CLI_OPT_HELP)
            return cli_help(&self, 1);
        if (c == 't')
            type = optarg;
        else if (c == 'o')
            output = optarg;
        else
            return cli_usage_error(&self, 1);
    }
    int n = argc - optind;
    for (size_t i = 0; n >= 1 && i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(argv[optind], actions[i].name) != 0)
            continue;
        if (n - 1 != actions[i].operands)
            break;
        cs.model = NULL; /* materials never classify */
        struct svc *svc;
        if (cli_svc_open(&cs, !actions[i].writes, &svc) != 0)
            return CLI_FAIL;
        int status = actions[i].run(svc, argv + optind + 1, i == 0 ? type : output);
        svc_close(svc);
        return status;
    }
    return cli_usage_error(&self, 1);
}
