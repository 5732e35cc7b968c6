/* stdtax train: counts n-grams of labelled JSONL into a model file. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Enough for the shipped examples plus a few files of corrections. */
#define TRAIN_FILES_MAX 16
#define SOURCE_NAME_MAX 512

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {{"taxonomy", required_argument, NULL, 'T'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"set", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *tax_path = cli_default_taxonomy(), *out = cli_default_model_out();
    struct model_config cfg;
    struct clf_params params; /* the keyword side of the calibration */
    model_config_default(&cfg);
    clf_params_default(&params);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'T':
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
            return CLI_USAGE;
        }
    }
    if (argc - optind < 1 || argc - optind > TRAIN_FILES_MAX) {
        fprintf(stderr,
                "usage: stdtax train [--taxonomy F] [--out F] [--set KEY=VALUE]... "
                "FILE.jsonl...\n");
        return CLI_USAGE;
    }
    char *const *paths = argv + optind;
    size_t n_paths = (size_t)(argc - optind);
    struct stdtax_error err = {0};
    struct tax_taxonomy *tax = cli_taxonomy_load(tax_path);
    if (!tax)
        return CLI_FAIL;
    struct model_example *ex = NULL;
    size_t n = 0;
    char sha[65];
    struct model *m = NULL;
    int rc = cli_examples_read(paths, n_paths, tax, &ex, &n, sha, &err);
    char source[SOURCE_NAME_MAX] = "";
    /* Only the file names are recorded, so the model does not depend on where the
     * source tree is checked out. */
    for (size_t p = 0; rc == 0 && p < n_paths; p++) {
        char *copy = strdup(paths[p]);
        if (!copy) {
            rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
            break;
        }
        size_t used = strlen(source);
        snprintf(source + used, sizeof source - used, "%s%s", p ? "+" : "",
                 basename(copy));
        free(copy);
    }
    if (rc == 0)
        rc = clf_model_train(tax, ex, n, &cfg, &params, source, sha, &m, &err);
    if (rc == 0)
        rc = model_file_save(m, out, &err);
    if (rc == 0)
        fprintf(stderr, "stdtax: trained %s from %zu examples into %s\n",
                model_version(m), n, out);
    else
        cli_error(&err);
    model_free(m);
    model_examples_free(ex, n);
    tax_taxonomy_free(tax);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
