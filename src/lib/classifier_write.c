/* The result of a classification as one line of JSON text, written without building
 * the JSON value (batch classification): clf_text_classify_write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"

/* Appends n bytes; the buffer grows by doubling.  0 or STDTAX_ENOMEM. */
static int buf_put(struct clf_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return STDTAX_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int clf_buf_append(struct clf_buf *b, const char *s, size_t n)
{
    return buf_put(b, s, n);
}

static int buf_str(struct clf_buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define BUF_LIT(b, lit) buf_put((b), "" lit, sizeof(lit) - 1)

/* A JSON string as jansson's json_dumps writes it without JSON_ENSURE_ASCII: '"' and '\\'
 * escaped, control characters as \b \f \n \r \t or \u00XX, everything else as is. */
static int buf_json_string(struct clf_buf *b, const char *s)
{
    int rc = buf_put(b, "\"", 1);
    for (; rc == 0 && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *named = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
        if (named) {
            rc = buf_str(b, named);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = buf_str(b, esc);
        } else {
            rc = buf_put(b, s, 1);
        }
    }
    return rc ? rc : buf_put(b, "\"", 1);
}

/* A probability or weight in [0, 1], rounded to 4 decimals, as json_dumps with
 * JSON_REAL_PRECISION(6) prints it ("0.8132", "1.0", "0.0"); other values through
 * the same %.6g. */
static int buf_real4(struct clf_buf *b, double x)
{
    char tmp[40];
    int n;
    x = round4(x);
    if (x >= 0 && x < 100) {
        unsigned long v = (unsigned long)lround(x * 10000.0), f = v % 10000;
        char frac[4] = {(char)('0' + f / 1000), (char)('0' + f / 100 % 10),
                        (char)('0' + f / 10 % 10), (char)('0' + f % 10)};
        int fl = 4;
        while (fl > 1 && frac[fl - 1] == '0')
            fl--;
        unsigned long whole = v / 10000; /* below 100 */
        n = 0;
        if (whole >= 10)
            tmp[n++] = (char)('0' + whole / 10);
        tmp[n++] = (char)('0' + whole % 10);
        tmp[n++] = '.';
        memcpy(tmp + n, frac, (size_t)fl);
        n += fl;
    } else {
        n = snprintf(tmp, sizeof tmp, "%.6g", x);
        if (n > 0 && !strpbrk(tmp, ".eE") && n + 2 < (int)sizeof tmp)
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".0");
    }
    return buf_put(b, tmp, n > 0 ? (size_t)n : 0);
}

static int buf_size(struct clf_buf *b, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return buf_put(b, tmp + sizeof tmp - n, n);
}

/* The JSON text built by the caller's steps (new), or {NULL, 0}. */
static struct frag frag_take(struct clf_buf *b, int rc)
{
    if (rc != 0 || !b->data) {
        free(b->data);
        return (struct frag){NULL, 0};
    }
    return (struct frag){b->data, b->len};
}

static struct frag node_fragment(const char *code, const char *zh, const char *en,
                                 int close)
{
    struct clf_buf b = {0};
    int rc = buf_str(&b, "{\"code\":");
    rc = rc ? rc : buf_json_string(&b, code);
    rc = rc ? rc : buf_str(&b, ",\"zh\":");
    rc = rc ? rc : buf_json_string(&b, zh);
    rc = rc ? rc : buf_str(&b, ",\"en\":");
    rc = rc ? rc : buf_json_string(&b, en);
    rc = rc ? rc : close ? buf_str(&b, "}") : 0;
    return frag_take(&b, rc);
}

static struct frag string_fragment(const char *s)
{
    struct clf_buf b = {0};
    return frag_take(&b, buf_json_string(&b, s));
}

static int buf_frag(struct clf_buf *b, const struct frag *f)
{
    return buf_put(b, f->s, f->n);
}

int fragments_build(struct clf_engine *e)
{
    const struct tax_taxonomy *tax = e->tax;
    e->node_frag = calloc(tax->n_nodes + 1, sizeof *e->node_frag);
    e->node_code = calloc(tax->n_nodes + 1, sizeof *e->node_code);
    e->topic_frag = calloc(tax->n_topics + 1, sizeof *e->topic_frag);
    e->term_frag = calloc(e->n_terms + 1, sizeof *e->term_frag);
    if (!e->node_frag || !e->node_code || !e->topic_frag || !e->term_frag)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < tax->n_nodes; i++) {
        const struct tax_node *n = &tax->nodes[i];
        e->node_frag[i] = node_fragment(n->code, n->zh, n->en, 0);
        e->node_code[i] = string_fragment(n->code);
        if (!e->node_frag[i].s || !e->node_code[i].s)
            return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < tax->n_topics; i++) {
        const struct tax_topic *t = &tax->topics[i];
        if (!(e->topic_frag[i] = node_fragment(t->code, t->zh, t->en, 1)).s)
            return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < e->n_terms; i++)
        if (!(e->term_frag[i] = string_fragment(e->terms[i].term->term)).s)
            return STDTAX_ENOMEM;
    struct clf_buf b = {0};
    int rc = buf_str(&b, "],\"taxonomy_version\":");
    rc = rc ? rc : buf_json_string(&b, tax->version);
    rc = rc ? rc : buf_str(&b, ",\"model_version\":");
    if (e->model && e->p.use_model)
        rc = rc ? rc : buf_json_string(&b, model_version(e->model));
    else
        rc = rc ? rc : buf_str(&b, "null");
    rc = rc ? rc : buf_str(&b, "}");
    e->versions = frag_take(&b, rc);
    return e->versions.s ? 0 : STDTAX_ENOMEM;
}

int clf_text_classify_write(const struct clf_engine *e, const struct clf_input *in,
                            struct clf_buf *out, struct stdtax_error *err)
{
    struct run r;
    struct clf_decision d;
    run_init(&r, e, 1);
    int rc = run_score(&r, in, &d, err);
    if (rc != 0) {
        run_free(&r);
        return rc;
    }
    size_t mark = out->len;
    rc = BUF_LIT(out, "{\"category\":");
    rc = rc ? rc : buf_frag(out, &e->node_frag[d.category->index]);
    rc = rc ? rc : BUF_LIT(out, "},\"subcategory\":");
    if (d.subcategory) {
        rc = rc ? rc : buf_frag(out, &e->node_frag[d.subcategory->index]);
        rc = rc ? rc : BUF_LIT(out, "}");
    } else {
        rc = rc ? rc : BUF_LIT(out, "null");
    }
    rc = rc ? rc : BUF_LIT(out, ",\"confidence\":");
    rc = rc ? rc : buf_real4(out, d.confidence);
    rc = rc ? rc : BUF_LIT(out, ",\"alternatives\":[");
    struct alt top[CLF_ALTERNATIVES_MAX];
    size_t n = alternatives_top(&r, &d, top);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = (i ? BUF_LIT(out, ",") : 0);
        rc = rc ? rc : buf_frag(out, &e->node_frag[top[i].node->index]);
        rc = rc ? rc : BUF_LIT(out, ",\"score\":");
        rc = rc ? rc : buf_real4(out, top[i].score);
        rc = rc ? rc : BUF_LIT(out, "}");
    }
    rc = rc ? rc : BUF_LIT(out, "],\"evidence\":[");
    for (size_t i = 0; rc == 0 && i < r.n_hits; i++) {
        const struct hit *h = &r.hits[i];
        const struct term_ref *t = &e->terms[h->term];
        size_t from, len;
        hit_span(&r, in, h, &from, &len);
        rc = (i ? BUF_LIT(out, ",{\"term\":") : BUF_LIT(out, "{\"term\":"));
        rc = rc ? rc : buf_frag(out, &e->term_frag[h->term]);
        rc = rc ? rc : BUF_LIT(out, ",\"field\":\"");
        rc = rc ? rc : buf_str(out, model_field_name(h->field));
        rc = rc ? rc : BUF_LIT(out, "\",\"node\":");
        rc = rc ? rc : buf_frag(out, &e->node_code[t->node->index]);
        rc = rc ? rc : BUF_LIT(out, ",\"offset\":");
        rc = rc ? rc : buf_size(out, from);
        rc = rc ? rc : BUF_LIT(out, ",\"length\":");
        rc = rc ? rc : buf_size(out, len);
        rc = rc ? rc : BUF_LIT(out, ",\"weight\":");
        rc = rc ? rc : buf_real4(out, t->term->weight * e->p.field_weight[h->field]);
        rc = rc ? rc : BUF_LIT(out, "}");
    }
    rc = rc ? rc : BUF_LIT(out, "],\"priority_topics\":[");
    const struct tax_topic *topics[TOPICS_MAX];
    n = topics_of(&d, topics);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = (i ? BUF_LIT(out, ",") : 0);
        rc = rc ? rc : buf_frag(out, &e->topic_frag[topics[i]->index]);
    }
    rc = rc ? rc : buf_frag(out, &e->versions);
    run_free(&r);
    if (rc != 0) {
        out->len = mark;
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    return 0;
}

void fragments_free(struct clf_engine *e)
{
    for (size_t i = 0; e->node_frag && i < e->tax->n_nodes; i++) {
        free(e->node_frag[i].s);
        free(e->node_code[i].s);
    }
    for (size_t i = 0; e->topic_frag && i < e->tax->n_topics; i++)
        free(e->topic_frag[i].s);
    for (size_t i = 0; e->term_frag && i < e->n_terms; i++)
        free(e->term_frag[i].s);
    free(e->node_frag);
    free(e->node_code);
    free(e->topic_frag);
    free(e->term_frag);
    free(e->versions.s);
}
