/* Labelled examples from JSONL, for training and evaluation; see model.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "stdtax/sha256.h"

/* ---- labelled examples ------------------------------------------------------------- */

void model_examples_free(struct model_example *ex, size_t n)
{
    for (size_t i = 0; ex && i < n; i++) {
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            free(ex[i].field[f]);
        free(ex[i].code);
    }
    free(ex);
}

static int example_parse(const json_t *j, const struct tax_taxonomy *tax,
                         struct model_example *ex, const char **what)
{
    if (!json_is_object(j))
        return *what = "not a JSON object", -1;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const json_t *v = json_object_get(j, model_field_name(f));
        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v))
            return *what = "a text field is not a string", -1;
        if (json_string_length(v) == 0)
            continue;
        ex->field[f] = strdup(json_string_value(v));
        if (!ex->field[f])
            return *what = "out of memory", -1;
    }
    if (!ex->field[MODEL_FIELD_TITLE])
        return *what = "no title", -1;
    const json_t *code = json_object_get(j, "code");
    if (code && !json_is_null(code) && !json_is_string(code))
        return *what = "code is not a string", -1;
    if (json_string_length(code) > 0) {
        ex->code = strdup(json_string_value(code));
        if (!ex->code)
            return *what = "out of memory", -1;
    }
    const char *cat = json_string_value(json_object_get(j, "category"));
    ex->category = cat ? tax_node_resolve(tax, cat) : NULL;
    if (!ex->category || ex->category->depth != 0)
        return *what = "category is not a top-level code or label", -1;
    const json_t *sv = json_object_get(j, "subcategory");
    const char *sub = json_string_value(sv);
    if (sv && !json_is_null(sv) && !sub)
        return *what = "subcategory is not a string", -1;
    if (sub && *sub) {
        ex->subcategory = tax_node_resolve(tax, sub);
        if (!ex->subcategory || ex->subcategory->parent != ex->category)
            return *what = "subcategory is not a subcategory of the category", -1;
    }
    return 0;
}

int model_examples_read(const char *path, const struct tax_taxonomy *tax,
                        struct model_example **out, size_t *n, char *sha256_hex,
                        struct stdtax_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, "",
                                "%s: %s", path, strerror(errno));
    struct sha256_ctx sha;
    sha256_ctx_init(&sha);
    struct model_example *ex = NULL;
    size_t cap = 0, count = 0, lineno = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        sha256_ctx_update(&sha, line, (size_t)len);
        char where[STDTAX_FIELD_MAX];
        snprintf(where, sizeof where, "%s:%zu", path, lineno);
        if ((size_t)len > MODEL_LINE_MAX) {
            rc = stdtax_error_set(err, STDTAX_ETOOBIG, where, "line longer than %u bytes",
                                  MODEL_LINE_MAX);
            break;
        }
        size_t k = (size_t)len;
        while (k > 0 &&
               (line[k - 1] == '\n' || line[k - 1] == '\r' || line[k - 1] == ' '))
            k--;
        if (k == 0)
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, k, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            rc = stdtax_error_set(err, STDTAX_EPARSE, where, "%s", je.text);
            break;
        }
        if (count == cap) {
            size_t nc = cap ? 2 * cap : 64;
            struct model_example *ne = realloc(ex, nc * sizeof *ne);
            if (!ne) {
                json_decref(j);
                rc = stdtax_error_set(err, STDTAX_ENOMEM, where, "out of memory");
                break;
            }
            ex = ne;
            cap = nc;
        }
        memset(&ex[count], 0, sizeof ex[count]);
        const char *what = NULL;
        int prc = example_parse(j, tax, &ex[count], &what);
        json_decref(j);
        count++;
        if (prc != 0) {
            rc = stdtax_error_set(err, STDTAX_EINVAL, where, "%s", what);
            break;
        }
    }
    int read_failed = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && read_failed)
        rc = stdtax_error_set(err, STDTAX_EIO, "", "%s: read error", path);
    if (rc != 0) {
        model_examples_free(ex, count);
        return rc;
    }
    if (sha256_hex)
        sha256_ctx_final_hex(&sha, sha256_hex);
    *out = ex;
    *n = count;
    return 0;
}
