/* stdtax taxonomy validate FILE */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_taxonomy(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "validate") != 0) {
        fprintf(stderr, "usage: stdtax taxonomy validate FILE\n");
        return CLI_USAGE;
    }
    const char *path = argv[2];
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
