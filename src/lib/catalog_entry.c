/* Catalogue entries as the domain knows them (catalog.h): their kinds, the check and
 * normalisation of an upload's entry, its draft id and its fingerprint, made before
 * the store's write (store.h, store_catalog_import), which only stores them. */
#include "stdtax/catalog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/normalise.h"
#include "stdtax/sha256.h"
#include "stdtax/similar.h"

#define CAT_ID_MAX (CATALOG_NUMBER_MAX + 1)

static const char *const kinds[] = {"national", "industry",      "local",
                                    "group",    "international", "other"};
static const char *const cat_statuses[] = {"published", "planned"};

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- catalogue entries --------------------------------------------------------- */

const char *catalog_kind_guess(const char *n)
{
    static const char *const intl[] = {"ISO", "IEC", "IEEE", "ITU", "ETSI", "CEN"};
    if (!n)
        return NULL;
    for (size_t i = 0; i < sizeof intl / sizeof intl[0]; i++) {
        size_t l = strlen(intl[i]);
        if (strncmp(n, intl[i], l) == 0 && !isalpha((unsigned char)n[l]))
            return "international";
    }
    if (strncmp(n, "T/", 2) == 0)
        return "group";
    if (strncmp(n, "DB", 2) == 0 && isdigit((unsigned char)n[2]))
        return "local";
    if ((strncmp(n, "GB", 2) == 0 && !isalpha((unsigned char)n[2])) ||
        strncmp(n, "TC260", 5) == 0)
        return "national";
    size_t l = 0;
    while (n[l] >= 'A' && n[l] <= 'Z')
        l++;
    if (l >= 2 && l <= 4 && (n[l] == '/' || n[l] == ' '))
        return "industry"; /* YD/T, GA/T, JTG/T, YY/T, ... */
    return NULL;
}

static int text_ok(const json_t *v, size_t max, const char *prefix, const char *name,
                   json_t *problems)
{
    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v)) {
        stdtax_problem_add(problems, "", "%s/%s must be a string", prefix, name);
        return 0;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max || strlen(s) != n) {
        char ptr[STDTAX_FIELD_MAX];
        snprintf(ptr, sizeof ptr, "%s/%s", prefix, name);
        stdtax_problem_add(problems, ptr,
                           n > max ? "at most %zu bytes" : "must not contain NUL", max);
        return 0;
    }
    return 1;
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

static void draft_id(const char *title, const char *title_en, char out[CAT_ID_MAX])
{
    struct sha256_ctx c;
    char hex[65];
    char *a = norm_string_new(title ? title : ""),
         *b = norm_string_new(title_en ? title_en : "");
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, a ? a : "", a ? strlen(a) : 0);
    sha256_ctx_update(&c, "\x1f", 1);
    sha256_ctx_update(&c, b ? b : "", b ? strlen(b) : 0);
    sha256_ctx_final_hex(&c, hex);
    free(a);
    free(b);
    snprintf(out, CAT_ID_MAX, "draft-%.12s", hex);
}

#define PROBLEM(...)                                                                     \
    do {                                                                                 \
        char ptr_[STDTAX_FIELD_MAX];                                                     \
        snprintf(ptr_, sizeof ptr_, "%s/%s", prefix, member);                            \
        stdtax_problem_add(problems, ptr_, __VA_ARGS__);                                 \
        bad = 1;                                                                         \
    } while (0)

int catalog_entry_check(const json_t *e, const char *prefix, json_t **out,
                        json_t *problems, struct stdtax_error *err)
{
    static const char *const members[] = {"id",       "number",         "title",
                                          "title_en", "kind",           "status",
                                          "scope",    "classification", "source"};
    int bad = 0;
    const char *member = "";
    *out = NULL;
    if (!prefix)
        prefix = "";
    if (!json_is_object(e)) {
        stdtax_problem_add(problems, prefix[0] ? prefix : "",
                           "a catalogue entry must be a JSON object");
        return stdtax_error_set(err, STDTAX_EINVAL, prefix,
                                "a catalogue entry must be a JSON object");
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)e, key, v)
    {
        if (!in_list(key, members, sizeof members / sizeof members[0])) {
            member = key;
            PROBLEM("unknown member");
        }
    }
    member = "number";
    const json_t *num = json_object_get(e, "number");
    const char *number = json_string_value(num);
    if (num && !json_is_null(num)) {
        if (!number)
            PROBLEM("must be a string");
        else if (strlen(number) > CATALOG_NUMBER_MAX ||
                 json_string_length(num) != strlen(number))
            PROBLEM("at most %d bytes", CATALOG_NUMBER_MAX);
        else {
            for (const char *p = number; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    PROBLEM("must not contain control characters");
                    break;
                }
            if (!bad &&
                (isspace((unsigned char)number[0]) ||
                 (number[0] && isspace((unsigned char)number[strlen(number) - 1]))))
                PROBLEM("must not begin or end with a space");
        }
        if (number && !*number)
            number = NULL;
    }
    const json_t *t = json_object_get(e, "title"), *te = json_object_get(e, "title_en");
    bad |= !text_ok(t, CATALOG_TITLE_MAX, prefix, "title", problems);
    bad |= !text_ok(te, CATALOG_TITLE_MAX, prefix, "title_en", problems);
    bad |= !text_ok(json_object_get(e, "scope"), CATALOG_SCOPE_MAX, prefix, "scope",
                    problems);
    bad |= !text_ok(json_object_get(e, "source"), CATALOG_SOURCE_MAX, prefix, "source",
                    problems);
    const char *title = json_string_value(t), *title_en = json_string_value(te);
    if (blank(title) && blank(title_en)) {
        member = "title";
        PROBLEM("a title in Chinese (title) or English (title_en) is required");
    }
    member = "kind";
    const json_t *kv = json_object_get(e, "kind");
    const char *kind = json_string_value(kv);
    if (kv && !json_is_null(kv) && !in_list(kind, kinds, sizeof kinds / sizeof kinds[0]))
        PROBLEM("must be one of national, industry, local, group, international, other");
    if (!kind)
        kind = catalog_kind_guess(number);
    if (!kind)
        kind = "other";
    member = "status";
    const json_t *sv = json_object_get(e, "status");
    const char *status = json_string_value(sv);
    if (sv && !json_is_null(sv) && !in_list(status, cat_statuses, 2))
        PROBLEM("must be published or planned");
    if (!status)
        status = number ? "published" : "planned";
    member = "classification";
    const json_t *cls = json_object_get(e, "classification");
    if (cls && !json_is_null(cls)) {
        const json_t *c = json_object_get(cls, "category"),
                     *sc = json_object_get(cls, "subcategory");
        if (!json_is_object(cls))
            PROBLEM("must be an object {category, subcategory}");
        else if (!store_token_ok(json_string_value(c), STORE_CODE_MAX))
            PROBLEM("category must be a node code");
        else if (sc && !json_is_null(sc) &&
                 !store_token_ok(json_string_value(sc), STORE_CODE_MAX))
            PROBLEM("subcategory must be null or a node code");
        else if (json_object_size(cls) > 2 || (json_object_size(cls) == 2 && !sc))
            PROBLEM("only category and subcategory are allowed");
    }
    char id[CAT_ID_MAX];
    if (number)
        snprintf(id, sizeof id, "%s", number);
    else
        draft_id(title, title_en, id);
    member = "id";
    const json_t *idv = json_object_get(e, "id");
    if (idv && !json_is_null(idv) &&
        (!json_is_string(idv) || strcmp(json_string_value(idv), id) != 0))
        PROBLEM("the id of an entry is its number (or derived from its titles): %s", id);
    if (bad)
        return stdtax_error_set(err, STDTAX_EINVAL, prefix, "invalid catalogue entry");
    json_t *o = json_deep_copy(e);
    if (!o || json_object_set_new(o, "id", json_string(id)) ||
        json_object_set_new(o, "kind", json_string(kind)) ||
        json_object_set_new(o, "status", json_string(status))) {
        json_decref(o);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (!number)
        json_object_del(o, "number");
    *out = o;
    return 0;
}

#undef PROBLEM

/* The checked entries of an upload and their fingerprints, made outside the write. */
struct import_batch {
    json_t **entries; /* checked, NULL when invalid */
    struct sim_set (*sets)[SIM_FIELDS];
    struct store_fingerprint *fps;
    struct store_catalog_item *items;
    size_t n, valid;
};

static void batch_free(struct import_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->entries ? b->entries[i] : NULL);
        for (int f = 0; b->sets && f < SIM_FIELDS; f++)
            sim_set_free(&b->sets[i][f]);
    }
    free(b->entries);
    free(b->sets);
    free(b->fps);
    free(b->items);
}

static int batch_make(struct import_batch *b, const json_t *entries, json_t *problems)
{
    size_t n = b->n, cap = n ? n : 1;
    b->entries = calloc(cap, sizeof *b->entries);
    b->sets = calloc(cap, sizeof *b->sets);
    b->fps = calloc(cap, sizeof *b->fps);
    b->items = calloc(cap, sizeof *b->items);
    if (!b->entries || !b->sets || !b->fps || !b->items)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "/%zu", i);
        json_t *e;
        if (catalog_entry_check(json_array_get(entries, i), prefix, &e, problems, NULL))
            continue;
        b->entries[i] = e;
        if (sim_record_sets(e, b->sets[i]) != 0)
            return STDTAX_ENOMEM;
        for (int f = 0; f < SIM_FIELDS; f++) {
            b->fps[i].h[f] = b->sets[i][f].h;
            b->fps[i].n[f] = b->sets[i][f].n;
            b->fps[i].n_cjk[f] = b->sets[i][f].n_cjk;
        }
        b->items[b->valid++] = (struct store_catalog_item){e, &b->fps[i]};
    }
    return 0;
}

int catalog_import(struct store *store, const json_t *entries, json_t **report,
                   json_t *problems, struct stdtax_error *err)
{
    if (report)
        *report = NULL;
    if (!json_is_array(entries))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the catalogue must be an array");
    size_t n = json_array_size(entries);
    if (n > CATALOG_IMPORT_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "%zu entries, at most %d in one import", n,
                                CATALOG_IMPORT_MAX);
    struct import_batch b = {.n = n};
    struct store_catalog_tally tally = {0, 0, 0};
    int rc = batch_make(&b, entries, problems);
    if (rc)
        stdtax_error_set(err, rc, "", "out of memory");
    else
        rc = store_catalog_import(store, b.items, b.valid, &tally, err);
    size_t valid = b.valid;
    batch_free(&b);
    if (rc)
        return rc;
    if (report)
        *report = json_pack(
            "{s:I, s:I, s:I, s:I, s:I}", "received", (json_int_t)n, "created",
            (json_int_t)tally.created, "updated", (json_int_t)tally.updated, "unchanged",
            (json_int_t)tally.unchanged, "invalid", (json_int_t)(n - valid));
    return 0;
}
