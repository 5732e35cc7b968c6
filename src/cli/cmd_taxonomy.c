/* stdtax taxonomy validate FILE */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_option cli_taxonomy_options[] = {{0}};

int cmd_taxonomy(int argc, char **argv, const struct cli_command *self)
{
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c = cli_parser_next(&parser, argc, argv); /* the only option is --help */
    if (c == CLI_OPT_HELP)
        return cli_help(&self, 1);
    if (c != -1)
        return cli_usage_error(&self, 1);
    if (argc - optind != 2 || strcmp(argv[optind], "validate") != 0)
        return cli_usage_error(&self, 1);
    const char *path = argv[optind + 1];
    json_t *problems = json_array();
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error err = {0};
    int rc = tax_file_load(path, &tax, problems, &err);
    if (rc == 0) {
        size_t terms = 0;
        for (size_t i = 0; i < tax->n_nodes; i++)
            terms += tax->nodes[i].n_terms;
        printf("%s: ok: version %s, %zu nodes (%zu top level), %zu priority topics, %zu "
               "evidence terms\n",
               path, tax->version, tax->n_nodes, tax->n_roots, tax->n_topics, terms);
        tax_taxonomy_free(tax);
        json_decref(problems);
        return CLI_OK;
    }
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        printf("%s: %s: %s\n", path, json_string_value(json_object_get(p, "pointer")),
               json_string_value(json_object_get(p, "detail")));
    }
    if (json_array_size(problems) == 0)
        printf("%s: %s\n", path, err.text);
    json_decref(problems);
    return CLI_FAIL;
}
