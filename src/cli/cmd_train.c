/* stdtax train: counts n-grams of labelled JSONL into a model file. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/sha256.h"

/* Enough for the shipped examples plus a few files of corrections. */
#define TRAIN_FILES_MAX 16

/* "a.jsonl+b.jsonl+reference:r.jsonl" (new): only the file names, so the model does not
 * depend on where the source tree is checked out. */
static char *source_name(char *const *labelled, size_t n_labelled, char *const *reference,
                         size_t n_reference)
{
    size_t cap = 1;
    for (size_t p = 0; p < n_labelled + n_reference; p++)
        cap += strlen(p < n_labelled ? labelled[p] : reference[p - n_labelled]) +
               sizeof "+reference:";
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t p = 0; p < n_labelled + n_reference; p++) {
        char *copy = strdup(p < n_labelled ? labelled[p] : reference[p - n_labelled]);
        if (!copy) {
            free(out);
            return NULL;
        }
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s%s", p ? "+" : "",
                 p < n_labelled ? "" : "reference:", basename(copy));
        free(copy);
    }
    return out;
}

const struct cli_option cli_train_options[] = {
    CLI_OPTION_TAXONOMY,
    {"out", 'o', "FILE",
     .help = "where the model goes (default: the shipped model's file)"},
    {"set", 's', "KEY=VALUE",
     .help = "a model setting (alpha, ngram_min, ngram_max, ...)", .repeat = true},
    CLI_REFERENCE_OPTIONS,
    {0}};

int cmd_train(int argc, char **argv, const struct cli_command *self)
{
    const char *tax_path = cli_default_taxonomy(), *out = cli_default_model_out();
    struct model_config cfg;
    struct clf_params params; /* the keyword side of the calibration */
    struct cli_reference ref = {0};
    model_config_default(&cfg);
    clf_params_default(&params);
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        int r = cli_reference_option(c, optarg, &ref);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case CLI_OPT_HELP:
            return cli_help(&self, 1);
        case CLI_OPT_TAXONOMY:
            tax_path = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's':
            if (cli_param_set(optarg, &params, &cfg) != 0) {
                fprintf(stderr, "stdtax: unknown or bad model setting \"%s\"\n", optarg);
                return CLI_USAGE;
            }
            break;
        default:
            return cli_usage_error(&self, 1);
        }
    }
    if (argc - optind < 1 || argc - optind > TRAIN_FILES_MAX)
        return cli_usage_error(&self, 1);
    char *const *paths = argv + optind;
    size_t n_paths = (size_t)(argc - optind);
    if (ref.none && ref.n) {
        fprintf(stderr, "stdtax: --reference and --no-reference contradict each other\n");
        return CLI_USAGE;
    }
    char *const *ref_paths = NULL;
    size_t n_ref_paths = cli_reference_paths(&ref, &ref_paths);
    struct stdtax_error err = {0};
    struct tax_taxonomy *tax = cli_taxonomy_load(tax_path);
    if (!tax)
        return CLI_FAIL;
    struct model_example *ex = NULL, *rx = NULL;
    size_t n = 0, n_rx = 0, n_rx_left_out = 0;
    char sha[65], ref_sha[65];
    char *source = NULL;
    struct model *m = NULL;
    size_t n_overridden = 0;
    int rc = cli_examples_read_overriding(paths, n_paths, tax, &ex, &n, &n_overridden,
                                          sha, &err);
    /* A reference line for a standard the labelled files have is left out: the
     * framework's own label of it is the one to learn. */
    if (rc == 0 && n_ref_paths)
        rc = cli_examples_read_new(ref_paths, n_ref_paths, tax, ex, n, true, &rx, &n_rx,
                                   &n_rx_left_out, ref_sha, &err);
    if (rc == 0 && cli_examples_append(&ex, &n, rx, n_rx) != 0)
        rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    else if (rc == 0)
        rx = NULL; /* moved into ex */
    if (rc == 0) {
        if (n_ref_paths) {
            /* One digest for the whole training set, each part named by its role, so
             * the same file as labelled or as reference data gives another digest. */
            struct sha256_ctx both;
            sha256_ctx_init(&both);
            sha256_ctx_update(&both, "labelled:", 9);
            sha256_ctx_update(&both, sha, 64);
            sha256_ctx_update(&both, "reference:", 10);
            sha256_ctx_update(&both, ref_sha, 64);
            sha256_ctx_final_hex(&both, sha);
        }
        source = source_name(paths, n_paths, ref_paths, n_ref_paths);
        if (!source)
            rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (rc == 0)
        rc = clf_model_train(tax, ex, n, &cfg, &params, source, sha, &m, &err);
    if (rc == 0)
        rc = model_file_save(m, out, &err);
    if (rc == 0)
        fprintf(stderr,
                "stdtax: trained %s from %zu examples (%zu of them reference examples, "
                "%zu more left out as labelled already, %zu labelled lines replaced by a "
                "later file) into %s\n",
                model_version(m), n, n_rx, n_rx_left_out, n_overridden, out);
    else
        cli_error(&err);
    free(source);
    model_free(m);
    model_examples_free(ex, n);
    model_examples_free(rx, n_rx);
    tax_taxonomy_free(tax);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
