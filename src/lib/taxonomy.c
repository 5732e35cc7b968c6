/* Taxonomy loader: one pass that builds the structures and collects every problem, then
 * a second pass for the checks that need the whole file (parents, topics, uniqueness). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stdtax/normalise.h"
#include "stdtax/utf8.h"
#include "taxonomy_internal.h"

#define PTR_MAX TAX_PTR_MAX

static void problem(struct load *ld, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct load *ld, const char *ptr, const char *fmt, ...)
{
    char text[STDTAX_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ld->n_problems++;
    if (ld->problems && stdtax_problem_add(ld->problems, ptr, "%s", text) != 0)
        ld->oom = 1;
}

/* JSON pointers are bounded by PTR_MAX; a longer one is cut, never overflowed. */
static void ptrf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ptrf(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PTR_MAX, fmt, ap);
    va_end(ap);
}

static char *dup_or_oom(struct load *ld, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        ld->oom = 1;
    return d;
}

/* A string member: reports missing, wrong type, empty (when required) and bad UTF-8.
 * Returns a new copy ("" when absent and optional) or NULL after a problem. */
static char *member_string(struct load *ld, const json_t *obj, const char *key,
                           const char *base, int required)
{
    char ptr[PTR_MAX];
    ptrf(ptr, "%s/%s", base, key);
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v) {
        if (required) {
            problem(ld, ptr, "missing");
            return NULL;
        }
        return dup_or_oom(ld, "");
    }
    if (!json_is_string(v)) {
        problem(ld, ptr, "must be a string");
        return NULL;
    }
    size_t len = json_string_length(v);
    if (utf8_text_validate(json_string_value(v), len, NULL) != 0) {
        problem(ld, ptr, "not valid UTF-8 or contains NUL");
        return NULL;
    }
    if (required && len == 0) {
        problem(ld, ptr, "must not be empty");
        return NULL;
    }
    if (len > TAX_TEXT_MAX) {
        problem(ld, ptr, "longer than %d bytes", TAX_TEXT_MAX);
        return NULL;
    }
    return dup_or_oom(ld, json_string_value(v));
}

/* {"zh": ..., "en": ...} with both required and non-empty. */
static void member_labels(struct load *ld, const json_t *obj, const char *key,
                          const char *base, int required, char **zh, char **en)
{
    char ptr[PTR_MAX];
    ptrf(ptr, "%s/%s", base, key);
    const json_t *v = json_object_get(obj, key);
    if (!v && !required) {
        *zh = dup_or_oom(ld, "");
        *en = dup_or_oom(ld, "");
        return;
    }
    if (!json_is_object(v)) {
        problem(ld, ptr, v ? "must be an object {zh, en}" : "missing");
        return;
    }
    *zh = member_string(ld, v, "zh", ptr, required);
    *en = member_string(ld, v, "en", ptr, required);
    /* Labels are names: shown in lists, matched, sent with every answer. */
    char lp[PTR_MAX];
    for (int i = 0; required && i < 2; i++) {
        const char *text = i ? *en : *zh;
        if (text && strlen(text) > TAX_LABEL_MAX) {
            ptrf(lp, "%s/%s", ptr, i ? "en" : "zh");
            problem(ld, lp, "longer than %d bytes", TAX_LABEL_MAX);
        }
    }
}

static int code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TAX_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static void terms_free(struct tax_term *terms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(terms[i].term);
        free(terms[i].norm);
    }
    free(terms);
}

static void node_free(struct tax_node *n)
{
    free(n->code);
    free(n->children);
    free(n->zh);
    free(n->en);
    free(n->desc_zh);
    free(n->desc_en);
    terms_free(n->terms, n->n_terms);
    free(n->topics);
}

void tax_taxonomy_free(struct tax_taxonomy *tax)
{
    if (!tax)
        return;
    free(tax->version);
    free(tax->name_zh);
    free(tax->name_en);
    tax_calls_free(tax);
    for (size_t i = 0; i < tax->n_nodes; i++)
        node_free(&tax->nodes[i]);
    free(tax->nodes);
    free(tax->roots);
    for (size_t i = 0; i < tax->n_topics; i++) {
        free(tax->topics[i].code);
        free(tax->topics[i].zh);
        free(tax->topics[i].en);
        free(tax->topics[i].nodes);
        terms_free(tax->topics[i].terms, tax->topics[i].n_terms);
    }
    free(tax->topics);
    free(tax->by_code);
    free(tax);
}

/* A list of evidence terms at ptr: objects {term, weight} for a node (weighted), plain
 * strings for a priority topic (any one of them is the topic's evidence: weight 1).
 * Terms equal after normalisation are refused.  Returns the number of items. */
static size_t load_terms(struct load *ld, struct tax_term **terms, size_t *n_terms,
                         const json_t *ev, const char *ptr, size_t max, int weighted)
{
    if (!json_is_array(ev)) {
        problem(ld, ptr, "must be an array");
        return 0;
    }
    size_t n = json_array_size(ev);
    if (n > max) {
        problem(ld, ptr, "more than %zu terms", max);
        return n;
    }
    *terms = calloc(n ? n : 1, sizeof **terms);
    if (!*terms) {
        ld->oom = 1;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        char ip[PTR_MAX], tp[PTR_MAX], wp[PTR_MAX];
        ptrf(ip, "%s/%zu", ptr, i);
        ptrf(tp, weighted ? "%s/term" : "%s", ip);
        ptrf(wp, "%s/weight", ip);
        const json_t *e = json_array_get(ev, i);
        char *term = NULL;
        double weight = 1;
        int ok = 1;
        if (!weighted) {
            if (!json_is_string(e) || json_string_length(e) == 0 ||
                utf8_text_validate(json_string_value(e), json_string_length(e), NULL) !=
                    0) {
                problem(ld, ip, "must be a non-empty string of valid UTF-8");
                ok = 0;
            } else {
                term = dup_or_oom(ld, json_string_value(e));
                ok = term != NULL;
            }
        } else if (!json_is_object(e)) {
            problem(ld, ip, "must be an object {term, weight}");
            ok = 0;
        } else {
            term = member_string(ld, e, "term", ip, 1);
            const json_t *w = json_object_get(e, "weight");
            ok = term != NULL;
            if (!w) {
                problem(ld, wp, "missing");
                ok = 0;
            } else if (!json_is_number(w)) {
                problem(ld, wp, "must be a number");
                ok = 0;
            } else {
                weight = json_number_value(w);
                if (!(weight > 0 && weight <= 1)) {
                    problem(ld, wp, "must be in (0, 1], is %g", weight);
                    ok = 0;
                }
            }
        }
        if (ok && strlen(term) > TAX_TERM_MAX) {
            problem(ld, tp, "longer than %d bytes", TAX_TERM_MAX);
            ok = 0;
        }
        char *norm = NULL;
        if (ok) {
            norm = norm_string_new(term);
            if (!norm || norm[0] == '\0') {
                problem(ld, tp, "nothing left after normalisation");
                ok = 0;
            }
        }
        for (size_t j = 0; ok && j < *n_terms; j++) {
            if (strcmp((*terms)[j].norm, norm) == 0) {
                problem(ld, tp, "duplicate of term \"%s\" in this list",
                        (*terms)[j].term);
                ok = 0;
            }
        }
        if (!ok) {
            free(term);
            free(norm);
            continue;
        }
        (*terms)[*n_terms] = (struct tax_term){term, norm, weight};
        (*n_terms)++;
    }
    return n;
}

static void load_evidence(struct load *ld, struct tax_node *node, const json_t *ev,
                          const char *base)
{
    char ptr[PTR_MAX];
    ptrf(ptr, "%s/evidence", base);
    if (ev)
        load_terms(ld, &node->terms, &node->n_terms, ev, ptr, TAX_NODE_TERMS_MAX, 1);
}

static void load_node(struct load *ld, struct tax_node *node, const json_t *j,
                      const char *base)
{
    if (!json_is_object(j)) {
        problem(ld, base, "must be an object");
        return;
    }
    char ptr[PTR_MAX];
    node->code = member_string(ld, j, "code", base, 1);
    if (node->code && !code_valid(node->code)) {
        ptrf(ptr, "%s/code", base);
        problem(ld, ptr, "must be 1..%d bytes of [a-z0-9.-]", TAX_CODE_MAX);
        free(node->code);
        node->code = NULL;
    }
    member_labels(ld, j, "labels", base, 1, &node->zh, &node->en);
    const json_t *desc = json_object_get(j, "description");
    if (desc && !json_is_object(desc)) {
        ptrf(ptr, "%s/description", base);
        problem(ld, ptr, "must be an object {zh, en}");
    } else {
        member_labels(ld, j, "description", base, 0, &node->desc_zh, &node->desc_en);
    }
    load_evidence(ld, node, json_object_get(j, "evidence"), base);
}

static int by_code_cmp(const void *a, const void *b)
{
    const struct tax_node *x = *(struct tax_node *const *)a;
    const struct tax_node *y = *(struct tax_node *const *)b;
    return strcmp(x->code, y->code);
}

static struct tax_node *find_loaded(struct tax_taxonomy *tax, size_t upto,
                                    const char *code)
{
    for (size_t i = 0; i < upto; i++)
        if (tax->nodes[i].code && strcmp(tax->nodes[i].code, code) == 0)
            return &tax->nodes[i];
    return NULL;
}

/* Parents, depth, children, code shape, label uniqueness: needs every node loaded. */
static void link_nodes(struct load *ld, struct tax_taxonomy *tax, const json_t *jnodes)
{
    char ptr[PTR_MAX];
    for (size_t i = 0; i < tax->n_nodes; i++) {
        struct tax_node *n = &tax->nodes[i];
        const json_t *jn = json_array_get(jnodes, i);
        if (!n->code)
            continue;
        ptrf(ptr, "/nodes/%zu/code", i);
        if (find_loaded(tax, i, n->code))
            problem(ld, ptr, "duplicate code \"%s\"", n->code);
        const json_t *jp = json_object_get(jn, "parent");
        ptrf(ptr, "/nodes/%zu/parent", i);
        if (!jp) {
            problem(ld, ptr, "missing (null for a top-level category)");
            continue;
        }
        if (json_is_null(jp)) {
            if (strchr(n->code, '.')) {
                ptrf(ptr, "/nodes/%zu/code", i);
                problem(ld, ptr, "a top-level code has no dot");
            }
            continue;
        }
        if (!json_is_string(jp)) {
            problem(ld, ptr, "must be a code or null");
            continue;
        }
        struct tax_node *p = find_loaded(tax, tax->n_nodes, json_string_value(jp));
        if (!p) {
            problem(ld, ptr, "no node with code \"%s\"", json_string_value(jp));
            continue;
        }
        const json_t *jpp = json_object_get(json_array_get(jnodes, p->index), "parent");
        if (p == n || !json_is_null(jpp)) {
            problem(ld, ptr, "\"%s\" is not a top-level category (depth is at most 2)",
                    p->code);
            continue;
        }
        size_t pl = strlen(p->code);
        if (strncmp(n->code, p->code, pl) != 0 || n->code[pl] != '.' ||
            n->code[pl + 1] == '\0' || strchr(n->code + pl + 1, '.')) {
            ptrf(ptr, "/nodes/%zu/code", i);
            problem(ld, ptr, "must be the parent's code \"%s\", a dot and a suffix",
                    p->code);
        }
        n->parent = p;
        n->depth = 1;
    }
    for (size_t i = 0; i < tax->n_nodes; i++) {
        struct tax_node *n = &tax->nodes[i];
        for (size_t k = 0; k < i; k++) {
            struct tax_node *m = &tax->nodes[k];
            if (n->zh && m->zh && strcmp(n->zh, m->zh) == 0) {
                ptrf(ptr, "/nodes/%zu/labels/zh", i);
                problem(ld, ptr, "same Chinese label as /nodes/%zu", k);
            }
            if (n->en && m->en && strcasecmp(n->en, m->en) == 0) {
                ptrf(ptr, "/nodes/%zu/labels/en", i);
                problem(ld, ptr, "same English label as /nodes/%zu", k);
            }
        }
    }
}

static int build_tree(struct tax_taxonomy *tax)
{
    tax->roots = calloc(tax->n_nodes + 1, sizeof *tax->roots);
    tax->by_code = calloc(tax->n_nodes + 1, sizeof *tax->by_code);
    if (!tax->roots || !tax->by_code)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < tax->n_nodes; i++) {
        struct tax_node *n = &tax->nodes[i];
        tax->by_code[i] = n;
        if (!n->parent) {
            tax->roots[tax->n_roots++] = n;
            continue;
        }
        struct tax_node *p = n->parent;
        struct tax_node **c = realloc(p->children, (p->n_children + 1) * sizeof *c);
        if (!c)
            return STDTAX_ENOMEM;
        p->children = c;
        p->children[p->n_children++] = n;
    }
    qsort(tax->by_code, tax->n_nodes, sizeof *tax->by_code, by_code_cmp);
    return 0;
}

static void load_topics(struct load *ld, struct tax_taxonomy *tax, const json_t *jt)
{
    if (!jt)
        return;
    if (!json_is_array(jt)) {
        problem(ld, "/priority_topics", "must be an array");
        return;
    }
    size_t n = json_array_size(jt);
    if (n > TAX_TOPICS_MAX) {
        problem(ld, "/priority_topics", "more than %d topics", TAX_TOPICS_MAX);
        return;
    }
    tax->topics = calloc(n ? n : 1, sizeof *tax->topics);
    if (!tax->topics) {
        ld->oom = 1;
        return;
    }
    tax->n_topics = n;
    for (size_t i = 0; i < n; i++) {
        char base[PTR_MAX], ptr[PTR_MAX];
        struct tax_topic *t = &tax->topics[i];
        const json_t *j = json_array_get(jt, i);
        t->index = i;
        ptrf(base, "/priority_topics/%zu", i);
        if (!json_is_object(j)) {
            problem(ld, base, "must be an object");
            continue;
        }
        t->code = member_string(ld, j, "code", base, 1);
        if (t->code && !code_valid(t->code)) {
            ptrf(ptr, "%s/code", base);
            problem(ld, ptr, "must be 1..%d bytes of [a-z0-9.-]", TAX_CODE_MAX);
        }
        for (size_t k = 0; t->code && k < i; k++) {
            if (tax->topics[k].code && strcmp(tax->topics[k].code, t->code) == 0) {
                ptrf(ptr, "%s/code", base);
                problem(ld, ptr, "duplicate topic code \"%s\"", t->code);
            }
        }
        member_labels(ld, j, "labels", base, 1, &t->zh, &t->en);
        /* A topic is narrower than its nodes: it is counted only where its own terms
         * occur (doc/taxonomy-format.md), so a topic without any would never count. */
        ptrf(ptr, "%s/evidence", base);
        if (load_terms(ld, &t->terms, &t->n_terms, json_object_get(j, "evidence"), ptr,
                       TAX_TOPIC_TERMS_MAX, 0) == 0 &&
            json_is_array(json_object_get(j, "evidence")))
            problem(ld, ptr, "a priority topic needs at least one evidence term");
        const json_t *jn = json_object_get(j, "nodes");
        ptrf(ptr, "%s/nodes", base);
        if (!json_is_array(jn) || json_array_size(jn) == 0 ||
            json_array_size(jn) > tax->n_nodes) {
            problem(ld, ptr, "must be a non-empty array of distinct node codes");
            continue;
        }
        t->nodes = calloc(json_array_size(jn), sizeof *t->nodes);
        if (!t->nodes) {
            ld->oom = 1;
            continue;
        }
        for (size_t k = 0; k < json_array_size(jn); k++) {
            char np[PTR_MAX];
            ptrf(np, "%s/%zu", ptr, k);
            const json_t *c = json_array_get(jn, k);
            struct tax_node *node =
                json_is_string(c) ? find_loaded(tax, tax->n_nodes, json_string_value(c))
                                  : NULL;
            if (!node) {
                problem(ld, np, "no node with this code");
                continue;
            }
            int dup = 0;
            for (size_t q = 0; q < t->n_nodes; q++)
                dup |= t->nodes[q] == node;
            if (dup) {
                problem(ld, np, "node \"%s\" listed twice", node->code);
                continue;
            }
            t->nodes[t->n_nodes++] = node;
            struct tax_topic **nt =
                realloc(node->topics, (node->n_topics + 1) * sizeof *nt);
            if (!nt) {
                ld->oom = 1;
                continue;
            }
            node->topics = nt;
            node->topics[node->n_topics++] = t;
        }
    }
}

int tax_json_load(const json_t *root, struct tax_taxonomy **out, json_t *problems,
                  struct stdtax_error *err)
{
    struct load ld = {.problems = problems};
    *out = NULL;
    if (!json_is_object(root)) {
        problem(&ld, "", "the taxonomy must be a JSON object");
        return stdtax_error_set(err, STDTAX_EINVAL, "", "the taxonomy must be an object");
    }
    struct tax_taxonomy *tax = calloc(1, sizeof *tax);
    if (!tax)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");

    const json_t *fmt = json_object_get(root, "format");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 1)
        problem(&ld, "/format", fmt ? "must be 1" : "missing");
    else
        tax->format = 1;
    tax->version = member_string(&ld, root, "version", "", 1);
    member_labels(&ld, root, "name", "", 0, &tax->name_zh, &tax->name_en);

    const json_t *jnodes = json_object_get(root, "nodes");
    if (!json_is_array(jnodes) || json_array_size(jnodes) == 0) {
        problem(&ld, "/nodes", jnodes ? "must be a non-empty array" : "missing");
    } else if (json_array_size(jnodes) > TAX_NODES_MAX) {
        problem(&ld, "/nodes", "more than %d nodes", TAX_NODES_MAX);
    } else {
        tax->n_nodes = json_array_size(jnodes);
        tax->nodes = calloc(tax->n_nodes, sizeof *tax->nodes);
        if (!tax->nodes) {
            tax->n_nodes = 0;
            ld.oom = 1;
        }
        for (size_t i = 0; i < tax->n_nodes; i++) {
            char base[PTR_MAX];
            ptrf(base, "/nodes/%zu", i);
            tax->nodes[i].index = i;
            load_node(&ld, &tax->nodes[i], json_array_get(jnodes, i), base);
        }
        link_nodes(&ld, tax, jnodes);
    }
    load_topics(&ld, tax, json_object_get(root, "priority_topics"));
    tax_calls_load(&ld, tax, root);

    if (ld.oom) {
        tax_taxonomy_free(tax);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (ld.n_problems > 0) {
        tax_taxonomy_free(tax);
        return stdtax_error_set(err, STDTAX_EINVAL, "", "%zu problem%s in the taxonomy",
                                ld.n_problems, ld.n_problems == 1 ? "" : "s");
    }
    if (build_tree(tax) != 0) {
        tax_taxonomy_free(tax);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    *out = tax;
    return 0;
}

static int parse_failed(json_t *problems, const json_error_t *je,
                        struct stdtax_error *err)
{
    if (problems)
        stdtax_problem_add(problems, "", "line %d column %d: %s", je->line, je->column,
                           je->text);
    return stdtax_error_set(err, STDTAX_EPARSE, "", "line %d column %d: %s", je->line,
                            je->column, je->text);
}

int tax_buffer_load(const char *buf, size_t len, struct tax_taxonomy **out,
                    json_t *problems, struct stdtax_error *err)
{
    json_error_t je;
    *out = NULL;
    if (len > TAX_FILE_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "", "taxonomy larger than %u bytes",
                                TAX_FILE_MAX);
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return parse_failed(problems, &je, err);
    int rc = tax_json_load(root, out, problems, err);
    json_decref(root);
    return rc;
}

int tax_file_load(const char *path, struct tax_taxonomy **out, json_t *problems,
                  struct stdtax_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, "",
                                "%s: %s", path, strerror(errno));
    char *buf = malloc(TAX_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    size_t len = fread(buf, 1, TAX_FILE_MAX + 1, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc;
    if (rd_err)
        rc = stdtax_error_set(err, STDTAX_EIO, "", "%s: read error", path);
    else
        rc = tax_buffer_load(buf, len, out, problems, err);
    free(buf);
    return rc;
}

const struct tax_node *tax_node_find(const struct tax_taxonomy *tax, const char *code)
{
    if (!tax || !code)
        return NULL;
    size_t lo = 0, hi = tax->n_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tax->by_code[mid]->code, code);
        if (c == 0)
            return tax->by_code[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct tax_node *tax_node_find_label(const struct tax_taxonomy *tax,
                                           const char *label)
{
    if (!tax || !label)
        return NULL;
    for (size_t i = 0; i < tax->n_nodes; i++)
        if (strcmp(tax->nodes[i].zh, label) == 0)
            return &tax->nodes[i];
    for (size_t i = 0; i < tax->n_nodes; i++)
        if (strcasecmp(tax->nodes[i].en, label) == 0)
            return &tax->nodes[i];
    return NULL;
}

const struct tax_node *tax_node_resolve(const struct tax_taxonomy *tax, const char *name)
{
    const struct tax_node *n = tax_node_find(tax, name);
    return n ? n : tax_node_find_label(tax, name);
}

const struct tax_topic *tax_topic_find(const struct tax_taxonomy *tax, const char *code)
{
    for (size_t i = 0; tax && code && i < tax->n_topics; i++)
        if (strcmp(tax->topics[i].code, code) == 0)
            return &tax->topics[i];
    return NULL;
}

const struct tax_node *tax_node_root(const struct tax_node *node)
{
    while (node && node->parent)
        node = node->parent;
    return node;
}

static json_t *labels_json(const char *zh, const char *en)
{
    return json_pack("{s:s, s:s}", "zh", zh, "en", en);
}

static json_t *node_json(const struct tax_node *n, int with_evidence)
{
    json_t *topics = json_array();
    json_t *children = json_array();
    json_t *o = json_pack("{s:s, s:s?, s:i, s:o, s:o, s:o, s:o}", "code", n->code,
                          "parent", n->parent ? n->parent->code : NULL, "depth", n->depth,
                          "labels", labels_json(n->zh, n->en), "description",
                          labels_json(n->desc_zh, n->desc_en), "priority_topics", topics,
                          "children", children);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n->n_topics; i++)
        json_array_append_new(topics, json_string(n->topics[i]->code));
    for (size_t i = 0; i < n->n_children; i++)
        json_array_append_new(children, node_json(n->children[i], with_evidence));
    if (with_evidence) {
        json_t *ev = json_array();
        for (size_t i = 0; i < n->n_terms; i++)
            json_array_append_new(ev, json_pack("{s:s, s:f}", "term", n->terms[i].term,
                                                "weight", n->terms[i].weight));
        json_object_set_new(o, "evidence", ev);
    }
    return o;
}

json_t *tax_taxonomy_to_json(const struct tax_taxonomy *tax, const struct tax_node *node,
                             int with_evidence)
{
    if (node)
        return node_json(node, with_evidence);
    json_t *topics = json_array();
    for (size_t i = 0; i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        json_t *nodes = json_array();
        for (size_t k = 0; k < t->n_nodes; k++)
            json_array_append_new(nodes, json_string(t->nodes[k]->code));
        json_t *o = json_pack("{s:s, s:o, s:o}", "code", t->code, "labels",
                              labels_json(t->zh, t->en), "nodes", nodes);
        if (o && with_evidence) {
            json_t *ev = json_array();
            for (size_t k = 0; k < t->n_terms; k++)
                json_array_append_new(ev, json_string(t->terms[k].term));
            json_object_set_new(o, "evidence", ev);
        }
        json_array_append_new(topics, o);
    }
    json_t *roots = json_array();
    for (size_t i = 0; i < tax->n_roots; i++)
        json_array_append_new(roots, node_json(tax->roots[i], with_evidence));
    json_t *calls = json_array();
    for (size_t i = 0; i < tax->n_calls; i++)
        json_array_append_new(calls, json_string(tax->calls[i].id));
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "version", tax->version, "name",
                     labels_json(tax->name_zh, tax->name_en), "call",
                     tax_call_to_json(tax->current), "calls", calls, "priority_topics",
                     topics, "nodes", roots);
}

/* --- for calls.c (taxonomy_internal.h) ----------------------------------------- */

void tax_load_problem(struct load *ld, const char *ptr, const char *text)
{
    problem(ld, ptr, "%s", text);
}

char *tax_load_string(struct load *ld, const json_t *obj, const char *key,
                      const char *base, int required)
{
    return member_string(ld, obj, key, base, required);
}

void tax_load_labels(struct load *ld, const json_t *obj, const char *key,
                     const char *base, int required, char **zh, char **en)
{
    member_labels(ld, obj, key, base, required, zh, en);
}

int tax_code_valid(const char *s)
{
    return code_valid(s);
}
