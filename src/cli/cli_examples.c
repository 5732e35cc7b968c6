/* Labelled examples from several files, for train and eval: the shipped examples plus
 * corrections or a reference corpus. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/normalise.h"
#include "stdtax/sha256.h"

int cli_examples_read(char *const *paths, size_t n_paths, const struct tax_taxonomy *tax,
                      struct model_example **out, size_t *n, char *sha256_hex,
                      struct stdtax_error *err)
{
    *out = NULL;
    *n = 0;
    struct sha256_ctx all;
    sha256_ctx_init(&all);
    char one[65];
    for (size_t p = 0; p < n_paths; p++) {
        struct model_example *ex = NULL;
        size_t m = 0;
        int rc = model_examples_read(paths[p], tax, &ex, &m, one, err);
        struct model_example *grown =
            rc == 0 ? realloc(*out, (*n + m + 1) * sizeof **out) : NULL;
        if (rc == 0 && !grown)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        if (rc != 0) {
            model_examples_free(ex, m);
            model_examples_free(*out, *n);
            *out = NULL;
            *n = 0;
            return rc;
        }
        memcpy(grown + *n, ex, m * sizeof *ex);
        free(ex); /* the fields moved into grown */
        *out = grown;
        *n += m;
        sha256_ctx_update(&all, one, 64);
    }
    /* One file keeps its own digest, so a model trained from it keeps its version. */
    if (sha256_hex) {
        if (n_paths == 1)
            memcpy(sha256_hex, one, 65);
        else
            sha256_ctx_final_hex(&all, sha256_hex);
    }
    return 0;
}

/* The normalised titles of an example (new strings, NULL where absent). */
static int titles_of(const struct model_example *ex, char *t[2])
{
    const char *src[2] = {ex->field[MODEL_FIELD_TITLE], ex->field[MODEL_FIELD_TITLE_EN]};
    for (int i = 0; i < 2; i++) {
        t[i] = NULL;
        if (!src[i])
            continue;
        t[i] = norm_string_new(src[i]);
        if (!t[i]) {
            free(t[0]);
            t[0] = NULL;
            return -1;
        }
    }
    return 0;
}

static int titles_meet(char *const a[2], char *const b[2])
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (a[i] && b[j] && a[i][0] && strcmp(a[i], b[j]) == 0)
                return 1;
    return 0;
}

int cli_examples_mark_seen(const struct model_example *held, size_t n_held,
                           const struct model_example *extra, size_t n_extra, bool *seen)
{
    char *(*held_t)[2] = calloc(n_held + 1, sizeof *held_t);
    if (!held_t)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_held; i++)
        rc = titles_of(&held[i], held_t[i]);
    for (size_t x = 0; rc == 0 && x < n_extra; x++) {
        char *t[2];
        rc = titles_of(&extra[x], t);
        seen[x] = false;
        for (size_t i = 0; rc == 0 && i < n_held && !seen[x]; i++)
            seen[x] = titles_meet(t, held_t[i]);
        if (rc == 0) {
            free(t[0]);
            free(t[1]);
        }
    }
    for (size_t i = 0; i < n_held; i++) {
        free(held_t[i][0]);
        free(held_t[i][1]);
    }
    free(held_t);
    return rc;
}
