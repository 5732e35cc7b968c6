/* Labelled examples from several files, for train and eval: the shipped examples plus
 * corrections or a reference corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/stdident.h"
#include "stdtax/sha256.h"

int cli_examples_append(struct model_example **dst, size_t *n, struct model_example *src,
                        size_t m)
{
    struct model_example *grown = realloc(*dst, (*n + m + 1) * sizeof **dst);
    if (!grown)
        return -1;
    if (m) /* an empty file gives src NULL, and memcpy from NULL is undefined */
        memcpy(grown + *n, src, m * sizeof *src);
    free(src); /* the fields moved into grown */
    *dst = grown;
    *n += m;
    return 0;
}

/* The digest of a training set read from n files with these digests: one file keeps its
 * own, so a model trained from it keeps its version; several give the SHA-256 of their
 * SHA-256s in order. */
static void digest_join(char (*sha)[65], size_t n, char *out)
{
    if (n == 1) {
        memcpy(out, sha[0], 65);
        return;
    }
    struct sha256_ctx all;
    sha256_ctx_init(&all);
    for (size_t p = 0; p < n; p++)
        sha256_ctx_update(&all, sha[p], 64);
    sha256_ctx_final_hex(&all, out);
}

/* Reads and concatenates the labelled examples of paths[0..n_paths) (model_examples_read
 * for each); sha256_hex (may be NULL) as digest_join.  *out is new. */
static int examples_read(char *const *paths, size_t n_paths,
                         const struct tax_taxonomy *tax, struct model_example **out,
                         size_t *n, char *sha256_hex, struct stdtax_error *err)
{
    *out = NULL;
    *n = 0;
    char(*sha)[65] = calloc(n_paths + 1, sizeof *sha);
    int rc = sha ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t p = 0; rc == 0 && p < n_paths; p++) {
        struct model_example *ex = NULL;
        size_t m = 0;
        rc = model_examples_read(paths[p], tax, &ex, &m, sha[p], err);
        if (rc == 0 && cli_examples_append(out, n, ex, m) != 0) {
            model_examples_free(ex, m);
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        }
    }
    if (rc == 0 && sha256_hex && n_paths)
        digest_join(sha, n_paths, sha256_hex);
    free(sha);
    if (rc != 0) {
        model_examples_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

enum { KEY_TITLE, KEY_TITLE_EN, KEY_NUMBER, KEY_COUNT };

/* What names an example's standard (stdident.h): its titles and its number, each key
 * tagged with its kind so that one sorted table holds them all.  New strings, NULL where
 * there is none.  Bad UTF-8 cannot reach here (model_examples_read checked it). */
static int keys_of(const struct model_example *ex, char *k[KEY_COUNT])
{
    const char *src[KEY_COUNT] = {ex->field[MODEL_FIELD_TITLE],
                                  ex->field[MODEL_FIELD_TITLE_EN], ex->code};
    for (int i = 0; i < KEY_COUNT; i++)
        k[i] = NULL;
    for (int i = 0; i < KEY_COUNT; i++) {
        char *raw = NULL;
        int rc = !src[i]           ? 0
                 : i == KEY_NUMBER ? stdident_number_key(src[i], &raw)
                                   : stdident_title_key(src[i], &raw);
        if (rc == 0 && raw) {
            size_t n = strlen(raw);
            k[i] = malloc(n + 3);
            if (k[i]) {
                k[i][0] = i == KEY_NUMBER ? 'n' : 't';
                k[i][1] = ' ';
                memcpy(k[i] + 2, raw, n + 1);
            }
            rc = k[i] ? 0 : -1;
        }
        free(raw);
        if (rc != 0) {
            for (int j = 0; j < i; j++)
                free(k[j]), k[j] = NULL;
            return -1;
        }
    }
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* seen[x] = extra[x] is the same standard as one of held[0..n_held), which must not train
 * a model that is evaluated on it: equal keys of a title, an English title or a number
 * (stdident.h).  -1 when out of memory. */
static int examples_mark_seen(const struct model_example *held, size_t n_held,
                              const struct model_example *extra, size_t n_extra,
                              bool *seen)
{
    /* Every key of the held examples, sorted: each extra example is then a few binary
     * searches, whatever the number of corrections or reference lines. */
    char **table = calloc(n_held * KEY_COUNT + 1, sizeof *table);
    if (!table)
        return -1;
    size_t n_keys = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_held; i++) {
        char *k[KEY_COUNT];
        rc = keys_of(&held[i], k);
        for (int j = 0; rc == 0 && j < KEY_COUNT; j++)
            if (k[j])
                table[n_keys++] = k[j];
    }
    if (rc == 0 && n_keys > 1)
        qsort(table, n_keys, sizeof *table, key_cmp);
    for (size_t x = 0; rc == 0 && x < n_extra; x++) {
        char *k[KEY_COUNT];
        rc = keys_of(&extra[x], k);
        seen[x] = false;
        for (int j = 0; rc == 0 && j < KEY_COUNT; j++) {
            if (k[j] && n_keys && bsearch(&k[j], table, n_keys, sizeof *table, key_cmp))
                seen[x] = true;
            free(k[j]);
        }
    }
    for (size_t i = 0; i < n_keys; i++)
        free(table[i]);
    free(table);
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
    int rc = examples_read(paths, n_paths, tax, &ex, &m, sha256_hex, err);
    bool *seen = rc == 0 ? calloc(m + 1, sizeof *seen) : NULL;
    if (rc == 0 && (!seen || examples_mark_seen(held, n_held, ex, m, seen) != 0))
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

int cli_examples_read_overriding(char *const *paths, size_t n_paths,
                                 const struct tax_taxonomy *tax,
                                 struct model_example **out, size_t *n,
                                 size_t *overridden, char *sha256_hex,
                                 struct stdtax_error *err)
{
    /* From the last file back: each earlier file loses the lines a later one names
     * again, then goes in front of what is kept, so the result is in file order. */
    struct model_example *kept = NULL;
    size_t n_kept = 0;
    char(*sha)[65] = calloc(n_paths + 1, sizeof *sha);
    int rc = sha ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    *overridden = 0;
    for (size_t p = n_paths; rc == 0 && p-- > 0;) {
        struct model_example *ex = NULL;
        size_t m = 0, dropped = 0;
        rc = cli_examples_read_new(&paths[p], 1, tax, kept, n_kept, false, &ex, &m,
                                   &dropped, sha[p], err);
        if (rc == 0 && cli_examples_append(&ex, &m, kept, n_kept) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        if (rc != 0) {
            model_examples_free(ex, m);
            break;
        }
        kept = ex; /* this file's lines, then the later files' */
        n_kept = m;
        *overridden += dropped;
    }
    if (rc == 0 && sha256_hex && n_paths)
        digest_join(sha, n_paths, sha256_hex);
    free(sha);
    if (rc != 0) {
        model_examples_free(kept, n_kept);
        kept = NULL, n_kept = 0;
    }
    *out = kept;
    *n = n_kept;
    return rc;
}
