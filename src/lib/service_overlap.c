/* The catalogue and overlaps at the service level (service_overlap.h).  The taxonomy
 * comes from svc_taxonomy_get, the store from the service's state
 * (service_internal.h). */
#include "stdtax/service_overlap.h"

#include "service_internal.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/normalise.h"
#include "stdtax/textquery.h"

#define LIST_DEFAULT 50

/* ---- taxonomy lookups ------------------------------------------------------------ */

/* code, Chinese label and English label (lower case) of every node -> {"code",
 * "parent"}; new. */
static void nodes_index(json_t *map, const json_t *nodes)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *code = json_string_value(json_object_get(n, "code"));
        if (!code)
            continue;
        json_t *v = json_pack("{s:s, s:O*}", "code", code, "parent",
                              json_object_get(n, "parent"));
        json_t *labels = json_object_get(n, "labels");
        const char *zh = json_string_value(json_object_get(labels, "zh"));
        const char *en = json_string_value(json_object_get(labels, "en"));
        char *enl = en ? norm_string_new(en) : NULL;
        json_object_set(map, code, v);
        if (zh)
            json_object_set(map, zh, v);
        if (enl)
            json_object_set(map, enl, v);
        free(enl);
        json_decref(v);
        nodes_index(map, json_object_get(n, "children"));
    }
}

static int taxonomy_map(struct svc *svc, json_t **map, struct stdtax_error *err)
{
    json_t *tree = NULL, *nearest = NULL;
    int rc = svc_taxonomy_get(svc, NULL, &tree, &nearest, err);
    json_decref(nearest);
    if (rc)
        return rc;
    *map = json_object();
    if (!*map) {
        json_decref(tree);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    nodes_index(*map, json_object_get(tree, "nodes"));
    json_decref(tree);
    return 0;
}

static const json_t *node_lookup(const json_t *map, const char *name)
{
    const json_t *v = json_object_get(map, name);
    if (!v) {
        char *n = norm_string_new(name);
        if (n)
            v = json_object_get(map, n);
        free(n);
    }
    return v;
}

/* ---- catalogue --------------------------------------------------------------------- */

int svc_catalog_parse(const char *body, size_t len, json_t **entries, json_t *problems,
                      struct stdtax_error *err)
{
    json_error_t jerr;
    size_t p = 0;
    *entries = NULL;
    while (p < len &&
           (body[p] == ' ' || body[p] == '\t' || body[p] == '\r' || body[p] == '\n'))
        p++;
    if (p < len && body[p] == '[') {
        json_t *a = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!a) {
            stdtax_problem_add(problems, "", "line %d: %s", jerr.line, jerr.text);
            return stdtax_error_set(err, STDTAX_EPARSE, "", "the body is not JSON: %s",
                                    jerr.text);
        }
        if (json_array_size(a) > CATALOG_IMPORT_MAX) {
            json_decref(a);
            return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                    "at most %d entries in one upload",
                                    CATALOG_IMPORT_MAX);
        }
        *entries = a;
        return 0;
    }
    json_t *a = json_array();
    if (!a)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    int bad = 0;
    for (size_t line = 0; p < len; line++) {
        const char *nl = memchr(body + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - body) : len;
        size_t s = p, e = end;
        while (s < e && (body[s] == ' ' || body[s] == '\t' || body[s] == '\r'))
            s++;
        while (e > s &&
               (body[e - 1] == ' ' || body[e - 1] == '\t' || body[e - 1] == '\r'))
            e--;
        p = end + 1;
        if (s == e)
            continue; /* blank lines are allowed */
        if (json_array_size(a) == CATALOG_IMPORT_MAX) {
            json_decref(a);
            return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                    "at most %d entries in one upload",
                                    CATALOG_IMPORT_MAX);
        }
        json_t *v = json_loadb(body + s, e - s, JSON_REJECT_DUPLICATES, &jerr);
        if (!v) {
            char ptr[32];
            snprintf(ptr, sizeof ptr, "/%zu", json_array_size(a));
            stdtax_problem_add(problems, ptr, "line %zu: %s", line + 1, jerr.text);
            bad = 1;
            v = json_null();
        }
        json_array_append_new(a, v);
    }
    if (bad) {
        json_decref(a);
        return stdtax_error_set(err, STDTAX_EPARSE, "", "a line is not JSON");
    }
    *entries = a;
    return 0;
}

/* Replaces the entry's node names by codes; problems for unknown ones.  Returns 1 when
 * the entry is fine. */
static int classification_resolve(json_t *e, size_t index, const json_t *map,
                                  json_t *problems)
{
    json_t *cls = json_object_get(e, "classification");
    if (!json_is_object(cls))
        return 1; /* absent, or a form problem catalog_entry_check reports */
    const char *cat = json_string_value(json_object_get(cls, "category"));
    const char *sub = json_string_value(json_object_get(cls, "subcategory"));
    const json_t *c = cat ? node_lookup(map, cat) : NULL;
    const json_t *s = sub ? node_lookup(map, sub) : NULL;
    char ptr[64];
    int ok = 1;
    if (cat && !c) {
        snprintf(ptr, sizeof ptr, "/%zu/classification/category", index);
        stdtax_problem_add(problems, ptr, "no node %s in the taxonomy", cat);
        ok = 0;
    }
    if (sub && !s) {
        snprintf(ptr, sizeof ptr, "/%zu/classification/subcategory", index);
        stdtax_problem_add(problems, ptr, "no node %s in the taxonomy", sub);
        ok = 0;
    }
    if (!ok)
        return 0;
    const char *ccode = c ? json_string_value(json_object_get(c, "code")) : NULL;
    if (c && json_string_value(json_object_get(c, "parent"))) {
        snprintf(ptr, sizeof ptr, "/%zu/classification/category", index);
        stdtax_problem_add(problems, ptr, "%s is a subcategory, not a category", cat);
        return 0;
    }
    if (s) {
        const char *parent = json_string_value(json_object_get(s, "parent"));
        if (!parent || !ccode || strcmp(parent, ccode) != 0) {
            snprintf(ptr, sizeof ptr, "/%zu/classification/subcategory", index);
            stdtax_problem_add(problems, ptr, "%s is not a subcategory of %s", sub,
                               cat ? cat : "its category");
            return 0;
        }
        json_object_set(cls, "subcategory", json_object_get(s, "code"));
    }
    if (c)
        json_object_set(cls, "category", json_object_get(c, "code"));
    return 1;
}

int svc_catalog_import(struct svc *svc, const json_t *entries, json_t **report,
                       json_t *problems, struct stdtax_error *err)
{
    if (report)
        *report = NULL;
    if (!json_is_array(entries))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the catalogue must be an array");
    json_t *map;
    int rc = taxonomy_map(svc, &map, err);
    if (rc)
        return rc;
    /* A copy whose node names become codes; an entry with an unknown node is replaced
     * by a marker the store refuses, so indexes stay those of the upload. */
    json_t *copy = json_deep_copy(entries);
    if (!copy) {
        json_decref(map);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    for (size_t i = 0; i < json_array_size(copy); i++)
        if (!classification_resolve(json_array_get(copy, i), i, map, problems))
            json_array_set_new(copy, i, json_null());
    json_decref(map);
    json_t *store_problems = json_array();
    rc = catalog_import(svc->store, copy, report, store_problems, err);
    json_decref(copy);
    /* The store reports a replaced entry as "must be an object": leave those out. */
    size_t i;
    json_t *p;
    json_array_foreach(store_problems, i, p)
    {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        const char *detail = json_string_value(json_object_get(p, "detail"));
        if (detail && strstr(detail, "must be a JSON object") && ptr && ptr[0] == '/' &&
            json_is_object(json_array_get(entries, strtoul(ptr + 1, NULL, 10))))
            continue;
        json_array_append(problems, p);
    }
    json_decref(store_problems);
    return rc;
}

/* The catalogue's text query (catalog_filter.match): every word of arg, a tq_query, in
 * the entry's number, title or English title (a word never spans two of them). */
static int entry_text_match(const json_t *e, void *arg)
{
    static const char *const searched[] = {"number", "title", "title_en"};
    const char *val[3];
    size_t len[3];
    for (size_t i = 0; i < 3; i++) {
        val[i] = json_string_value(json_object_get(e, searched[i]));
        len[i] = val[i] ? strlen(val[i]) : 0;
    }
    return tq_fields_match(arg, val, len, 3);
}

int svc_catalog_list(struct svc *svc, const struct svc_catalog_filter *in,
                     const char *cursor, size_t limit, json_t **page, json_t *problems,
                     struct stdtax_error *err)
{
    static const char *const kinds[] = {"national", "industry",      "local",
                                        "group",    "international", "other"};
    struct catalog_filter f = {0};
    json_t *map = NULL;
    int bad = 0, rc;
    *page = NULL;
    if (limit == 0)
        limit = LIST_DEFAULT;
    if (limit > STORE_LIST_LIMIT_MAX) {
        stdtax_problem_add(problems, "/query/limit", "at most %d", STORE_LIST_LIMIT_MAX);
        bad = 1;
    }
    struct tq_query *q = NULL;
    if (in) {
        struct stdtax_error qerr = {0};
        if (in->q && *in->q && tq_query_new(in->q, &q, &qerr) != 0) {
            stdtax_problem_add(problems, "/query/q", "%s", qerr.text);
            bad = 1;
        } else if (q) {
            f.match = entry_text_match;
            f.match_arg = q;
        }
        if (in->kind) {
            int ok = 0;
            for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
                ok |= strcmp(in->kind, kinds[i]) == 0;
            if (!ok) {
                stdtax_problem_add(problems, "/query/kind",
                                   "must be national, industry, local, group, "
                                   "international or other");
                bad = 1;
            }
            f.kind = in->kind;
        }
        if (in->status) {
            if (strcmp(in->status, "published") && strcmp(in->status, "planned")) {
                stdtax_problem_add(problems, "/query/status",
                                   "must be published or planned");
                bad = 1;
            }
            f.status = in->status;
        }
        if (in->category) {
            if ((rc = taxonomy_map(svc, &map, err)) != 0) {
                tq_query_free(q);
                return rc;
            }
            const json_t *n = node_lookup(map, in->category);
            if (!n) {
                stdtax_problem_add(problems, "/query/category", "unknown category");
                bad = 1;
            } else {
                f.category = json_string_value(json_object_get(n, "code"));
            }
        }
    }
    if (bad) {
        json_decref(map);
        tq_query_free(q);
        return stdtax_error_set(err, STDTAX_EINVAL, "/query", "invalid query");
    }
    json_t *items;
    char *next;
    rc = store_catalog_list(svc->store, &f, cursor, limit, &items, &next, err);
    json_decref(map); /* f.category points into it */
    tq_query_free(q);
    if (rc) {
        if (rc == STDTAX_EINVAL && problems)
            stdtax_problem_add(problems, "/query/cursor", "%s", err ? err->text : "");
        return rc;
    }
    *page = json_pack("{s:o, s:s?, s:I}", "items", items, "next_cursor", next, "limit",
                      (json_int_t)limit);
    free(next);
    if (!*page)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* ---- overlaps --------------------------------------------------------------------- */

static const char *member(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static int overlaps_run(struct svc *svc, const json_t *input, const char *exclude_id,
                        unsigned what, double threshold, size_t limit, json_t **out,
                        struct stdtax_error *err)
{
    struct overlap_query q = {.title = member(input, "title"),
                              .title_en = member(input, "title_en"),
                              .scope = member(input, "scope"),
                              .exclude_id = exclude_id,
                              .what = what,
                              .threshold = threshold,
                              .limit = limit};
    return overlap_find(svc->store, &q, out, err);
}

int svc_overlaps_find(struct svc *svc, const json_t *input, const char *exclude_id,
                      double threshold, json_t **out, struct stdtax_error *err)
{
    *out = NULL;
    if (!json_is_object(input))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the input must be an object");
    return overlaps_run(svc, input, exclude_id, 0, threshold, SVC_OVERLAP_LIMIT, out,
                        err);
}

int svc_proposal_overlaps(struct svc *svc, const char *id, double threshold, json_t **out,
                          struct stdtax_error *err)
{
    json_t *rec, *list;
    *out = NULL;
    int rc = svc_proposal_get(svc, id, &rec, err);
    if (rc)
        return rc;
    rc = overlaps_run(svc, rec, id, 0, threshold, SVC_OVERLAP_LIMIT, &list, err);
    json_decref(rec);
    if (rc)
        return rc;
    *out =
        json_pack("{s:s, s:f, s:o}", "id", id, "threshold", threshold, "overlaps", list);
    if (!*out)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* ---- counts ----------------------------------------------------------------------- */

static void standards_add(json_t *o, const json_t *nodes)
{
    const char *code = member(o, "code");
    if (!code)
        return;
    json_t *n = json_object_get(nodes, code);
    json_object_set_new(o, "standards", json_integer(n ? json_integer_value(n) : 0));
}

int svc_catalog_counts_merge(struct svc *svc, json_t *out, struct stdtax_error *err)
{
    json_t *counts;
    int rc = store_catalog_counts(svc->store, &counts, err);
    if (rc)
        return rc;
    const json_t *nodes = json_object_get(counts, "nodes");
    size_t i, j;
    json_t *c, *s;
    json_array_foreach(json_object_get(out, "categories"), i, c)
    {
        standards_add(c, nodes);
        json_array_foreach(json_object_get(c, "subcategories"), j, s)
            standards_add(s, nodes);
    }
    if (json_object_get(out, "categories"))
        json_object_set(out, "standards_total", json_object_get(counts, "total"));
    json_array_foreach(json_object_get(out, "gaps"), i, c)
    {
        const char *kind = member(c, "kind");
        if (kind && strcmp(kind, "node") == 0)
            standards_add(c, nodes);
    }
    json_decref(counts);
    return 0;
}
