#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h" /* PACKAGE_VERSION */

enum {
    OPT_CONFIG = 'c',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_CHECK = 256,
    OPT_DIRECTIVE = 512
};

#define FLAGS_MAX 64

/* True when /proc/self/exe lives in STDTAX_BUILDDIR/src/daemon: run from the
 * tree, use the tree's taxonomy and a data directory inside it. */
/* True when the directory of path is this build tree's src/daemon. */
static bool dir_is_build_tree(const char *path)
{
    char copy[PATH_MAX], here[PATH_MAX], tree[PATH_MAX];
    if (!path || snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return false;
    if (!realpath(dirname(copy), here) || !realpath(STDTAX_BUILDDIR "/src/daemon", tree))
        return false;
    return strcmp(here, tree) == 0;
}

/* /proc/self/exe is the binary, except under valgrind (which loads the program
 * itself: /proc/self/exe is the tool), where argv[0] still is
 * (tests/reliability/valgrind.sh). */
static bool running_in_build_tree(const char *argv0)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if (dir_is_build_tree(exe))
            return true;
    }
    return argv0 && strchr(argv0, '/') && dir_is_build_tree(argv0);
}

static int set_default(struct stdtax_config *cfg, const char *name, const char *value,
                       struct stdtax_error *err)
{
    char *argv[1] = {(char *)value};
    return cfg_directive_set(cfg, name, 1, argv, CFG_SOURCE_DEFAULT, "default", err);
}

int options_load(int argc, char **argv, struct stdtax_config *cfg, struct options *opt,
                 struct stdtax_error *err)
{
    memset(opt, 0, sizeof *opt);
    int rc = cfg_config_init(cfg);
    if (rc != 0)
        return stdtax_error_set(err, rc, "", "out of memory");

    /* Every directive that may be a flag is a long option of the same name. */
    const struct cfg_directive *table = cfg_directive_table();
    struct option longopts[64];
    size_t n = 0;
    for (size_t i = 0; table[i].name && n < 59; i++)
        if (table[i].flag)
            longopts[n++] = (struct option){table[i].name, required_argument, NULL,
                                            OPT_DIRECTIVE + (int)i};
    longopts[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    longopts[n++] = (struct option){"check-config", no_argument, NULL, OPT_CHECK};
    longopts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    longopts[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    struct {
        const char *name;
        char *value;
    } flags[FLAGS_MAX];
    size_t n_flags = 0;
    const char *config_file = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
        if (c == OPT_CONFIG) {
            config_file = optarg;
        } else if (c == OPT_CHECK) {
            opt->check_config = true;
        } else if (c == OPT_HELP) {
            opt->help = true;
        } else if (c == OPT_VERSION) {
            opt->version = true;
        } else if (c >= OPT_DIRECTIVE) {
            if (n_flags == FLAGS_MAX)
                return stdtax_error_set(err, STDTAX_ETOOBIG, "", "too many options");
            flags[n_flags].name = table[c - OPT_DIRECTIVE].name;
            flags[n_flags].value = optarg;
            n_flags++;
        } else if (c == ':') {
            return stdtax_error_set(err, STDTAX_EINVAL, argv[optind - 1],
                                    "this option needs a value (see --help)");
        } else {
            return stdtax_error_set(err, STDTAX_EINVAL, argv[optind - 1],
                                    "unknown option (see --help)");
        }
    }
    if (optind < argc)
        return stdtax_error_set(err, STDTAX_EINVAL, argv[optind],
                                "unexpected argument (see --help)");
    if (opt->help || opt->version)
        return 0;

    opt->in_build_tree = running_in_build_tree(argv[0]);
    const char *default_config = NULL;
    if (opt->in_build_tree) {
        if ((rc = set_default(cfg, "taxonomy",
                              STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json", err)) ||
            (rc = set_default(cfg, "model", STDTAX_SRCDIR "/taxonomy/model-2023.json",
                              err)) ||
            (rc = set_default(cfg, "openapi", STDTAX_SRCDIR "/api/openapi.json", err)) ||
            (rc = set_default(cfg, "web-root", STDTAX_SRCDIR "/web", err)) ||
            (rc = set_default(cfg, "data-dir", STDTAX_BUILDDIR "/var/stdtaxd", err)))
            return rc;
    } else {
        if ((rc = set_default(cfg, "taxonomy", STDTAX_PKGDATADIR "/shanghai-ai-2023.json",
                              err)) ||
            (rc = set_default(cfg, "model", STDTAX_PKGDATADIR "/model-2023.json", err)) ||
            (rc = set_default(cfg, "openapi", STDTAX_PKGDATADIR "/openapi.json", err)) ||
            (rc = set_default(cfg, "web-root", STDTAX_PKGDATADIR "/web", err)) ||
            (rc = set_default(cfg, "data-dir", STDTAX_LOCALSTATEDIR "/lib/stdtaxd", err)))
            return rc;
        default_config = STDTAX_SYSCONFDIR "/stdtaxd/stdtaxd.conf";
    }

    if (config_file) {
        if ((rc = cfg_file_load(cfg, config_file, err)) != 0)
            return rc;
    } else if (default_config && access(default_config, F_OK) == 0) {
        config_file = default_config;
        if ((rc = cfg_file_load(cfg, config_file, err)) != 0)
            return rc;
    }
    if (config_file && !(cfg->config_file = strdup(config_file)))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");

    for (size_t i = 0; i < n_flags; i++) {
        char where[80];
        snprintf(where, sizeof where, "--%s", flags[i].name);
        if ((rc = cfg_directive_set(cfg, flags[i].name, 1, &flags[i].value,
                                    CFG_SOURCE_FLAG, where, err)) != 0)
            return rc;
    }
    return cfg_config_check(cfg, err);
}

void options_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: stdtaxd [OPTION]...\n"
        "Serve the Shanghai AI standards taxonomy, classify and count proposals over a\n"
        "JSON REST API.  Settings come from the options below, then the config file,\n"
        "then the defaults.\n\n"
        "  -c, --config FILE          read settings from FILE (default, when installed:\n"
        "                             %s)\n"
        "      --check-config         validate the settings, print them and exit\n"
        "  -h, --help                 show this help and exit\n"
        "  -V, --version              show the version and exit\n",
        STDTAX_SYSCONFDIR "/stdtaxd/stdtaxd.conf");
    const struct cfg_directive *t = cfg_directive_table();
    for (size_t i = 0; t[i].name; i++) {
        if (!t[i].flag)
            continue;
        char left[64];
        snprintf(left, sizeof left, "--%s %s", t[i].name, t[i].arg);
        fprintf(out, "      %-23s%s%s\n", left,
                strlen(left) > 22 ? "\n                             " : "", t[i].help);
    }
    fprintf(out,
            "\nThe config file takes the same names as `directive value` lines, plus\n"
            "`token [NAME] SCOPE SECRET` (scope submit or admin).  See stdtaxd(8).\n");
}

void options_print(FILE *out, const struct stdtax_config *cfg)
{
    fprintf(out, "# stdtaxd %s, settings in effect%s%s\n", PACKAGE_VERSION,
            cfg->config_file ? " with " : " (no config file)",
            cfg->config_file ? cfg->config_file : "");
    const char *strings[][2] = {
        {"listen", cfg->listen},     {"port-file", cfg->port_file},
        {"data-dir", cfg->data_dir}, {"taxonomy", cfg->taxonomy},
        {"model", cfg->model},       {"openapi", cfg->openapi},
        {"web-root", cfg->web_root}, {"backup-dir", cfg->backup_dir}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (strings[i][1])
            fprintf(out, "%s \"%s\"\n", strings[i][0], strings[i][1]);
    fprintf(out,
            "port %u\nworkers %u\nrequire-read-token %s\nmax-body %zu\nmax-header %zu\n"
            "max-connections %u\nidle-timeout %u\nread-timeout %u\nidempotency-ttl %u\n"
            "backup-keep %u\n"
            "shutdown-grace %u\n"
            "batch-max %u\noverlap-threshold %g\nduplicate-check %s\nlog-level %s\n"
            "log-timestamps %s\naccess-log %s\nmaterial-max %zu\n"
            "materials-per-proposal %u\n",
            cfg->port, cfg->workers, cfg->require_read_token ? "yes" : "no",
            cfg->max_body, cfg->max_header, cfg->max_connections, cfg->idle_timeout,
            cfg->read_timeout, cfg->idempotency_ttl, cfg->backup_keep,
            cfg->shutdown_grace, cfg->batch_max, cfg->overlap_threshold,
            cfg->duplicate_check ? "yes" : "no", cfg_level_name(cfg->log_level),
            cfg->log_timestamps < 0 ? "auto"
            : cfg->log_timestamps   ? "yes"
                                    : "no",
            cfg->access_log ? "yes" : "no", cfg->material_max,
            cfg->materials_per_proposal);
    for (size_t i = 0; i < cfg->n_tokens; i++)
        fprintf(out, "token %s %s (secret not shown)\n", cfg->tokens[i].name,
                cfg_scope_name(cfg->tokens[i].scope));
    for (size_t i = 0; i < cfg->n_cors_origins; i++)
        fprintf(out, "cors-origin %s\n", cfg->cors_origins[i]);
}
