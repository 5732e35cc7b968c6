/* What the taxonomy loader (taxonomy.c) shares with the calls' loader (calls.c); not
 * installed. */
#ifndef STDTAX_TAXONOMY_INTERNAL_H
#define STDTAX_TAXONOMY_INTERNAL_H

#include "stdtax/taxonomy.h"

#define TAX_PTR_MAX 96

/* One load's problems: every problem is counted, listed when problems is not NULL. */
struct load {
    json_t *problems; /* may be NULL: only the count matters then */
    size_t n_problems;
    int oom;
};

/* A problem at ptr with the text already written. */
void tax_load_problem(struct load *ld, const char *ptr, const char *text);
/* A string member (new copy, "" when absent and optional; NULL after a problem). */
char *tax_load_string(struct load *ld, const json_t *obj, const char *key,
                      const char *base, int required);
/* {"zh", "en"}: both new, "" when absent and optional. */
void tax_load_labels(struct load *ld, const json_t *obj, const char *key,
                     const char *base, int required, char **zh, char **en);
/* A code of 1..TAX_CODE_MAX bytes of [a-z0-9.-]. */
int tax_code_valid(const char *s);

/* The calls (/calls, or the one /call of a file written before there were several)
 * and the crosswalk (/crosswalk), after the nodes are loaded (the crosswalk names
 * them).  Problems are added to ld. */
void tax_calls_load(struct load *ld, struct tax_taxonomy *tax, const json_t *root);
void tax_calls_free(struct tax_taxonomy *tax);

#endif
