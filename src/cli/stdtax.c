/* stdtax: the offline command-line tool. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define TAXONOMY_FILE "shanghai-ai-2023.json"
#define MODEL_FILE "model-2023.json"
#define REFERENCE_FILE "reference-2023.jsonl"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} commands[] = {
    {"classify", cmd_classify,
     "classify [--taxonomy F] [--model F|--no-model] [--json] (--title T [--title-en T] "
     "[--scope S] [--text T] | FILE.jsonl | -)"},
    {"eval", cmd_eval,
     "eval [--taxonomy F] [--model F] [--json] [--folds K] [--mode "
     "combined|keywords|model] "
     "[--set KEY=VALUE]... [--show-errors] FILE.jsonl"},
    {"train", cmd_train,
     "train [--taxonomy F] [--out F] [--set KEY=VALUE]... FILE.jsonl"},
    {"taxonomy", cmd_taxonomy, "taxonomy validate FILE"},
    {"catalog", cmd_catalog,
     "catalog import|list|search|counts [--data-dir D] ... (stdtax catalog for details)"},
    {"import", cmd_import,
     "import [--format jsonl|csv] [--skip-invalid] [--as-secretariat] [--data-dir D] "
     "[--taxonomy F] [--model F|--no-model] FILE|-"},
    {"export", cmd_export,
     "export [--format csv|jsonl] [-o FILE] [--data-dir D] [FILTERS]"},
    {"stats", cmd_stats,
     "stats [--json] [--data-dir D] [--call C] [--track T] [--status S]"},
    {"coverage", cmd_coverage,
     "coverage [--min N] [--json] [--data-dir D] [--call C] [--track T] [--status S]"},
    {"check", cmd_check, "check [--repair] [--json] [--data-dir D]"},
};

struct cli_globals cli_globals;

static void usage(FILE *to)
{
    fprintf(to, "usage:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  stdtax %s\n", commands[i].usage);
    fprintf(to,
            "FILTERS: [--call C] [--track local|group] [--status S] [--category X] "
            "[--topic T]\n"
            "         [--query TEXT]  (words that must all occur in title, title_en, "
            "scope,\n"
            "                         organisation or the record's numbers)\n"
            "global options before the command: --data-dir D, --taxonomy F, --model F, "
            "--no-model\n"
            "see doc/cli.md\n");
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
    while (i < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--help") != 0) {
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
    case 'T':
        *taxonomy = optarg;
        return 1;
    case 'M':
        *model = optarg;
        return 1;
    case 'N':
        *model = NULL;
        return 1;
    default:
        return 0;
    }
}

void cli_error(const struct stdtax_error *err)
{
    if (err->field[0])
        fprintf(stderr, "stdtax: %s: %s\n", err->field, err->text);
    else
        fprintf(stderr, "stdtax: %s\n", err->text);
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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[first], commands[i].name) == 0)
            return commands[i].run(argc - first, argv + first);
    fprintf(stderr, "stdtax: unknown command \"%s\"\n", argv[first]);
    usage(stderr);
    return CLI_USAGE;
}
