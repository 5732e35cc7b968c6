/* Labelled examples from several files, for train and eval: the shipped examples plus
 * corrections or a reference corpus. */
#include <stdio.h>
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
        if (m) /* an empty file gives ex NULL, and memcpy from NULL is undefined */
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

enum { KEY_TITLE, KEY_TITLE_EN, KEY_CODE, KEY_COUNT };

/* What names an example's standard, normalised (new strings, NULL where absent): its
 * titles and its number. */
static int keys_of(const struct model_example *ex, char *k[KEY_COUNT])
{
    const char *src[KEY_COUNT] = {ex->field[MODEL_FIELD_TITLE],
                                  ex->field[MODEL_FIELD_TITLE_EN], ex->code};
    for (int i = 0; i < KEY_COUNT; i++)
        k[i] = NULL;
    for (int i = 0; i < KEY_COUNT; i++) {
        if (src[i] && !(k[i] = norm_string_new(src[i]))) {
            for (int j = 0; j < i; j++)
                free(k[j]), k[j] = NULL;
            return -1;
        }
    }
    return 0;
}

/* "iso iec 22989" and "iso iec 22989 2022" are one standard with and without its year;
 * "iso iec 2298" is not. */
static int codes_meet(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > lb) {
        const char *t = a;
        a = b, b = t;
        size_t tl = la;
        la = lb, lb = tl;
    }
    return la > 0 && memcmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == ' ');
}

static int same_standard(char *const a[KEY_COUNT], char *const b[KEY_COUNT])
{
    for (int i = KEY_TITLE; i <= KEY_TITLE_EN; i++)
        for (int j = KEY_TITLE; j <= KEY_TITLE_EN; j++)
            if (a[i] && b[j] && a[i][0] && strcmp(a[i], b[j]) == 0)
                return 1;
    return a[KEY_CODE] && b[KEY_CODE] && codes_meet(a[KEY_CODE], b[KEY_CODE]);
}

static void keys_free(char *k[KEY_COUNT])
{
    for (int i = 0; i < KEY_COUNT; i++)
        free(k[i]);
}

int cli_examples_mark_seen(const struct model_example *held, size_t n_held,
                           const struct model_example *extra, size_t n_extra, bool *seen)
{
    char *(*held_keys)[KEY_COUNT] = calloc(n_held + 1, sizeof *held_keys);
    if (!held_keys)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_held; i++)
        rc = keys_of(&held[i], held_keys[i]);
    for (size_t x = 0; rc == 0 && x < n_extra; x++) {
        char *k[KEY_COUNT];
        rc = keys_of(&extra[x], k);
        seen[x] = false;
        for (size_t i = 0; rc == 0 && i < n_held && !seen[x]; i++)
            seen[x] = same_standard(k, held_keys[i]);
        if (rc == 0)
            keys_free(k);
    }
    for (size_t i = 0; i < n_held; i++)
        keys_free(held_keys[i]);
    free(held_keys);
    return rc;
}

int cli_examples_read_new(char *const *paths, size_t n_paths,
                          const struct tax_taxonomy *tax,
                          const struct model_example *held, size_t n_held, bool reference,
                          struct model_example **out, size_t *n, size_t *left_out,
                          char *sha256_hex, struct stdtax_error *err)
{
    struct model_example *ex = NULL;
    size_t m = 0;
    *left_out = 0;
    int rc = cli_examples_read(paths, n_paths, tax, &ex, &m, sha256_hex, err);
    bool *seen = rc == 0 ? calloc(m + 1, sizeof *seen) : NULL;
    if (rc == 0 && (!seen || cli_examples_mark_seen(held, n_held, ex, m, seen) != 0))
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < m; i++) {
        if (seen[i]) {
            for (int f = 0; f < MODEL_FIELD_COUNT; f++)
                free(ex[i].field[f]);
            free(ex[i].code);
            ++*left_out;
            continue;
        }
        ex[kept] = ex[i];
        ex[kept++].reference = reference;
    }
    free(seen);
    if (rc != 0) {
        model_examples_free(ex, m);
        ex = NULL, kept = 0;
    }
    *out = ex;
    *n = kept;
    return rc;
}

int cli_reference_option(int c, char *arg, struct cli_reference *r)
{
    if (c == CLI_OPT_NO_REFERENCE) {
        r->none = true;
        return 1;
    }
    if (c != CLI_OPT_REFERENCE)
        return 0;
    if (r->n == CLI_REFERENCE_MAX) {
        fprintf(stderr, "stdtax: at most %d --reference files\n", CLI_REFERENCE_MAX);
        return -1;
    }
    r->paths[r->n++] = arg;
    return 1;
}

size_t cli_reference_paths(struct cli_reference *r, char *const **paths)
{
    static char *shipped[1];
    if (r->none)
        return 0;
    if (r->n) {
        *paths = r->paths;
        return r->n;
    }
    shipped[0] = (char *)cli_default_reference();
    *paths = shipped;
    return 1;
}
