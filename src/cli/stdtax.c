/* stdtax: the offline command-line tool. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h" /* PACKAGE_VERSION */

#define TAXONOMY_FILE "shanghai-ai-2023.json"
#define MODEL_FILE "model-2023.json"
#define REFERENCE_FILE "reference-2023.jsonl"

static const struct cli_command commands[] = {
    {"classify", cmd_classify, cli_classify_options, "(--title T | FILE.jsonl | -)",
     "classifies one text, or JSON lines from a file or standard input"},
    {"eval", cmd_eval, cli_eval_options, "FILE.jsonl",
     "accuracy of the classifier on labelled JSON lines"},
    {"train", cmd_train, cli_train_options, "FILE.jsonl...",
     "trains the model from labelled JSON lines"},
    {"taxonomy", cmd_taxonomy, cli_taxonomy_options, "validate FILE",
     "checks a taxonomy file"},
    {"catalog", cmd_catalog, cli_catalog_options,
     "import|list|search|counts|check [OPTIONS] [ARGS]",
     "the catalogue of existing standards (stdtax catalog --help)"},
    {"import", cmd_import, cli_import_options, "FILE|-",
     "checks every proposal of a JSONL, JSON or CSV file, then stores them"},
    {"export", cmd_export, cli_export_options, "",
     "writes the stored proposals as CSV, JSON lines or training examples"},
    {"stats", cmd_stats, cli_stats_options, "",
     "counts per category, track, status, priority topic and call"},
    {"coverage", cmd_coverage, cli_coverage_options, "",
     "categories and priority topics with fewer than N proposals"},
    {"check", cmd_check, cli_check_options, "",
     "recounts the store from its records (--repair rebuilds)"},
    {"materials", cmd_materials, cli_materials_options,
     "add ID KIND FILE | list ID | get ID SLOT",
     "the files of a proposal: the stamped form, the draft, proofs"},
    {"backup", cmd_backup, cli_backup_options, "OUT",
     "copies the store and materials into OUT while the daemon runs, with a manifest"},
    {"restore", cmd_restore, cli_restore_options, "BACKUP",
     "puts a backup back into the data directory, checked against its manifest"},
    {"calls", cmd_calls, cli_calls_options, "",
     "the calls of the taxonomy with their tracks, deadlines and criteria"},
    {"migrate", cmd_migrate, cli_migrate_options, "--to VERSION",
     "re-files the stored proposals under the taxonomy's new codes (its crosswalk)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

struct cli_globals cli_globals;

static void usage(FILE *to)
{
    fprintf(to, "usage: stdtax [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
                "       stdtax COMMAND --help\n"
                "       stdtax --help | --version\n"
                "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs("  ", to);
        cli_cell_print(to, commands[i].name, 10, false);
        fprintf(to, "%s\n", commands[i].summary);
    }
    fprintf(to,
            "global options, before the command (after it, the command's own win):\n"
            "  --data-dir DIR    the store (default: %s)\n"
            "  --taxonomy FILE   the taxonomy (default: %s)\n"
            "  --model FILE      the classifier's model (default: %s)\n"
            "  --no-model        classify with the taxonomy's keywords only\n"
            "  -h, --help        print this help and exit\n"
            "  --version         print the version and exit\n"
            "see stdtax(1) and doc/cli.md\n",
            cli_default_data_dir(), cli_default_taxonomy(),
            cli_default_model() ? cli_default_model() : "none, --no-model given");
}

/* Run from the build tree: the binary lives under STDTAX_BUILDDIR. */
static int in_build_tree(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    size_t bl = strlen(STDTAX_BUILDDIR);
    return strncmp(exe, STDTAX_BUILDDIR, bl) == 0 && exe[bl] == '/';
}

static const char *data_path(const char *file)
{
    static char taxonomy[PATH_MAX], model[PATH_MAX], reference[PATH_MAX];
    char *buf = strcmp(file, TAXONOMY_FILE) == 0 ? taxonomy
                : strcmp(file, MODEL_FILE) == 0  ? model
                                                 : reference;
    if (in_build_tree())
        snprintf(buf, PATH_MAX, "%s/taxonomy/%s", STDTAX_SRCDIR, file);
    else
        snprintf(buf, PATH_MAX, "%s/%s", STDTAX_PKGDATADIR, file);
    return buf;
}

const char *cli_default_taxonomy(void)
{
    return cli_globals.taxonomy ? cli_globals.taxonomy : data_path(TAXONOMY_FILE);
}

const char *cli_default_model(void)
{
    if (cli_globals.no_model)
        return NULL;
    return cli_globals.model ? cli_globals.model : data_path(MODEL_FILE);
}

const char *cli_default_reference(void)
{
    return data_path(REFERENCE_FILE);
}

const char *cli_default_data_dir(void)
{
    static char dir[PATH_MAX];
    if (cli_globals.data_dir)
        return cli_globals.data_dir;
    if (!in_build_tree())
        return "/var/lib/stdtaxd";
    snprintf(dir, sizeof dir, "%s/var/stdtaxd", STDTAX_BUILDDIR);
    return dir;
}

/* Consumes the global options before the command: returns the index of the command
 * in argv, or -1 after printing what is wrong. */
static int globals_parse(int argc, char **argv)
{
    static const struct {
        const char *name;
        const char **slot;
    } table[] = {{"--data-dir", &cli_globals.data_dir},
                 {"--taxonomy", &cli_globals.taxonomy},
                 {"--model", &cli_globals.model}};
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--help") != 0 &&
           strcmp(argv[i], "--version") != 0) {
        if (strcmp(argv[i], "--no-model") == 0) {
            cli_globals.no_model = true;
            i++;
            continue;
        }
        size_t k, n = sizeof table / sizeof table[0];
        for (k = 0; k < n; k++) {
            size_t len = strlen(table[k].name);
            if (strncmp(argv[i], table[k].name, len) != 0)
                continue;
            if (argv[i][len] == '=') {
                *table[k].slot = argv[i] + len + 1;
                i++;
                break;
            }
            if (argv[i][len] == '\0' && i + 1 < argc) {
                *table[k].slot = argv[i + 1];
                i += 2;
                break;
            }
        }
        if (k == n) {
            fprintf(stderr, "stdtax: unknown or incomplete global option \"%s\"\n",
                    argv[i]);
            return -1;
        }
    }
    return i;
}

const char *cli_default_model_out(void)
{
    return in_build_tree() ? data_path(MODEL_FILE) : MODEL_FILE;
}

struct tax_taxonomy *cli_taxonomy_load(const char *path)
{
    struct stdtax_error err = {0};
    struct tax_taxonomy *tax = NULL;
    if (tax_file_load(path, &tax, NULL, &err) != 0) {
        cli_error(&err);
        return NULL;
    }
    return tax;
}

int cli_engine_option(int c, const char **taxonomy, const char **model)
{
    switch (c) {
    case CLI_OPT_TAXONOMY:
        *taxonomy = optarg;
        return 1;
    case CLI_OPT_MODEL:
        *model = optarg;
        return 1;
    case CLI_OPT_NO_MODEL:
        *model = NULL;
        return 1;
    default:
        return 0;
    }
}

enum msg_lang cli_lang(void)
{
    return msg_lang_from_locale(getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
}

const char *cli_text(const char *text, char *buf, size_t size)
{
    return msg_translate(text, cli_lang(), buf, size) ? buf : text;
}

void cli_error(const struct stdtax_error *err)
{
    char buf[STDTAX_TEXT_MAX + 64];
    const char *text = cli_text(err->text, buf, sizeof buf);
    if (err->field[0])
        fprintf(stderr, "stdtax: %s: %s\n", err->field, text);
    else
        fprintf(stderr, "stdtax: %s\n", text);
}

int cli_param_set(const char *kv, struct clf_params *p, struct model_config *cfg)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end != '\0')
        return -1;
    size_t kl = (size_t)(eq - kv);
    static const char *const fw[MODEL_FIELD_COUNT] = {"title", "title_en", "scope",
                                                      "text"};
#define KEY(name) (kl == strlen(name) && strncmp(kv, name, kl) == 0)
    if (p) {
        if (KEY("keyword_weight"))
            return p->keyword_weight = v, 0;
        if (KEY("model_weight"))
            return p->model_weight = v, 0;
        if (KEY("sub_model_weight"))
            return p->sub_model_weight = v, 0;
        if (KEY("other_baseline"))
            return p->other_baseline = v, 0;
        if (KEY("longest_match"))
            return p->longest_match = v != 0, 0;
        if (KEY("precedence"))
            return p->precedence = v, 0;
        if (KEY("plurals"))
            return p->plurals = v != 0, 0;
        if (KEY("knn_k") && v >= 0 && v <= MODEL_NEIGHBOURS_MAX)
            return p->knn_k = (unsigned)v, 0;
        if (KEY("knn_weight"))
            return p->knn_weight = v, 0;
        if (KEY("knn_sub_weight"))
            return p->knn_sub_weight = v, 0;
        if (KEY("min_confidence"))
            return p->min_confidence = v, 0;
        for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
            char name[32];
            snprintf(name, sizeof name, "kw_%s", fw[f]);
            if (KEY(name))
                return p->field_weight[f] = v, 0;
        }
    }
    if (cfg) {
        if (KEY("cal_l2_scale"))
            return cfg->cal_l2_scale = v, 0;
        if (KEY("cal_l2_bias"))
            return cfg->cal_l2_bias = v, 0;
        if (KEY("cal_l2_weak"))
            return cfg->cal_l2_weak = v, 0;
        if (KEY("cal_weak"))
            return cfg->cal_weak = v != 0, 0;
        if (KEY("alpha"))
            return cfg->alpha = v, 0;
        if (KEY("ngram_min"))
            return cfg->ngram_min = (int)v, 0;
        if (KEY("ngram_max"))
            return cfg->ngram_max = (int)v, 0;
        if (KEY("words") && v >= 0 && v <= 2)
            return cfg->words = (int)v, 0;
        if (KEY("taxonomy_weight") && v >= 0 && v <= 100)
            return cfg->taxonomy_weight = (unsigned)v, 0;
        if (KEY("complement"))
            return cfg->complement = v != 0, 0;
        if (KEY("other_cv") && v >= 0 && v <= 100)
            return cfg->other_cv = (unsigned)v, 0;
        if (KEY("review_cv") && v >= 0 && v <= 100)
            return cfg->review_cv = (unsigned)v, 0;
        if (KEY("nn_titles"))
            return cfg->nn_titles = v != 0, 0;
        if (KEY("nn_max_df"))
            return cfg->nn_max_df = v, 0;
        if (KEY("neighbours"))
            return cfg->neighbours = v != 0, 0;
        if (KEY("lr"))
            return cfg->lr = v != 0, 0;
        if (KEY("lr_l2") && v >= 0 && v <= 100)
            return cfg->lr_l2 = v, 0;
        if (KEY("lr_iters") && v >= 0 && v <= 100000)
            return cfg->lr_iters = (unsigned)v, 0;
        if (KEY("lr_terms"))
            return cfg->lr_terms = v != 0, 0;
        if (KEY("lr_blend") && v >= 0 && v <= 1)
            return cfg->lr_blend = v, 0;
        if (KEY("uniform_prior"))
            return cfg->uniform_prior = v != 0, 0;
        for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
            char name[32];
            snprintf(name, sizeof name, "nb_%s", fw[f]);
            if (KEY(name) && v >= 0 && v <= 100)
                return cfg->field_weight[f] = (unsigned)v, 0;
        }
    }
#undef KEY
    return -1;
}

int main(int argc, char **argv)
{
    int first = globals_parse(argc, argv);
    if (first < 0 || first >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[first], "--version") == 0) {
        printf("stdtax %s\n", PACKAGE_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[first], commands[i].name) == 0)
            return commands[i].run(argc - first, argv + first, &commands[i]);
    fprintf(stderr, "stdtax: unknown command \"%s\"\n", argv[first]);
    usage(stderr);
    return CLI_USAGE;
}
