/* Loading a model file (doc/classifier.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "stdtax/jsonflat.h"

static int bad(struct stdtax_error *err, const char *ptr, const char *what)
{
    return stdtax_error_set(err, STDTAX_EINVAL, ptr, "model file: %s", what);
}

static int load_levels(struct model *m, const json_t *levels, struct stdtax_error *err)
{
    const struct tax_taxonomy *tax = m->tax;
    for (int l = 0; l < LV_COUNT; l++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/levels/%s", model_level_names[l]);
        const json_t *lv = json_object_get(levels, model_level_names[l]);
        const json_t *classes = json_object_get(lv, "classes");
        const json_t *docs = json_object_get(lv, "docs");
        const json_t *tokens = json_object_get(lv, "tokens");
        size_t n = json_array_size(classes);
        if (!json_is_array(classes) || json_array_size(docs) != n ||
            json_array_size(tokens) != n)
            return bad(err, ptr, "classes, docs and tokens must be arrays of one length");
        if (level_alloc(&m->lv[l], n) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        for (size_t c = 0; c < n; c++) {
            const char *code = json_string_value(json_array_get(classes, c));
            const struct tax_node *node = tax_node_find(tax, code);
            if (!node || node->depth != l)
                return stdtax_error_set(err, STDTAX_EVERSION, ptr,
                                        "model class \"%s\" is not a %s of the taxonomy",
                                        code ? code : "?", model_level_names[l]);
            json_int_t d = json_integer_value(json_array_get(docs, c));
            json_int_t t = json_integer_value(json_array_get(tokens, c));
            if (d < 0 || t < 0)
                return bad(err, ptr, "docs and tokens must not be negative");
            m->lv[l].node[c] = node->index;
            m->lv[l].docs[c] = (uint64_t)d;
            m->lv[l].tokens[c] = (uint64_t)t;
        }
        const json_t *bias = json_object_get(lv, "lr_bias");
        if (!m->cfg.lr != !bias || (bias && json_array_size(bias) != n))
            return bad(err, ptr,
                       "lr_bias must be an array of one bias per class exactly "
                       "when config.lr is true");
        for (size_t c = 0; bias && c < n; c++) {
            const json_t *v = json_array_get(bias, c);
            if (!json_is_number(v) || !(fabs(json_number_value(v)) <= 1e6))
                return bad(err, ptr, "lr_bias values must be finite numbers");
            m->lv[l].lr_bias[c] = json_number_value(v);
        }
    }
    return 0;
}

/* Room for the feature table: n features and n_ent entries over both levels. */
static int features_alloc(struct model *m, size_t n, size_t n_ent,
                          struct stdtax_error *err)
{
    m->key = malloc((n + 1) * sizeof *m->key);
    m->gram = calloc(n + 1, sizeof *m->gram);
    m->ent = malloc((n_ent + 1) * sizeof *m->ent);
    for (int l = 0; l < LV_COUNT; l++) {
        m->start[l] = malloc((n + 1) * sizeof *m->start[l]);
        m->count[l] = calloc(n + 1, sizeof *m->count[l]);
        if (!m->start[l] || !m->count[l])
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (!m->key || !m->gram || !m->ent)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

static const char *features_row_shape(const struct model *m)
{
    return m->cfg.lr ? "bad [class, count, weight] triple" : "bad [class, count] pair";
}

/* Feature f's gram (g NULL: not a string). */
static int feature_gram_add(struct model *m, size_t f, const char *g, const char *ptr,
                            struct stdtax_error *err)
{
    if (!g || model_gram_key_parse(g, &m->key[f]) != 0)
        return bad(err, ptr, "must be [gram, [[class, count]...], [[class, count]...]]");
    m->gram[f] = strdup(g);
    if (!m->gram[f])
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    m->n_feat = f + 1;
    return 0;
}

/* One [class, count(, weight)] entry of feature f at level l; arity is how many numbers
 * it had, has_w whether the third is one. */
static int feature_entry_add(struct model *m, int l, size_t f, size_t arity, json_int_t c,
                             json_int_t cnt, int has_w, double w, const char *ptr,
                             struct stdtax_error *err)
{
    if (arity != (m->cfg.lr ? 3u : 2u) || c < 0 || (size_t)c >= m->lv[l].n || cnt <= 0 ||
        cnt > UINT32_MAX || (arity == 3 && !(has_w && fabs(w) <= 1e6)))
        return bad(err, ptr, features_row_shape(m));
    m->ent[m->n_ent++] =
        (struct entry){(uint32_t)c, (uint32_t)cnt, 0, arity == 3 ? w : 0};
    m->count[l][f]++;
    return 0;
}

static int load_features(struct model *m, const json_t *features,
                         struct stdtax_error *err)
{
    size_t n = json_array_size(features);
    if (!json_is_array(features) || n > FEATURES_MAX)
        return bad(err, "/features", "must be an array");
    size_t n_ent = 0;
    for (size_t f = 0; f < n; f++)
        for (int l = 0; l < LV_COUNT; l++)
            n_ent += json_array_size(json_array_get(json_array_get(features, f), 1 + l));
    int rc = features_alloc(m, n, n_ent, err);
    for (size_t f = 0; rc == 0 && f < n; f++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/features/%zu", f);
        const json_t *row = json_array_get(features, f);
        if (!json_is_array(row) || json_array_size(row) != 1 + LV_COUNT)
            return bad(err, ptr,
                       "must be [gram, [[class, count]...], [[class, count]...]]");
        rc = feature_gram_add(m, f, json_string_value(json_array_get(row, 0)), ptr, err);
        for (int l = 0; rc == 0 && l < LV_COUNT; l++) {
            const json_t *pairs = json_array_get(row, 1 + l);
            m->start[l][f] = (uint32_t)m->n_ent;
            for (size_t k = 0; rc == 0 && k < json_array_size(pairs); k++) {
                const json_t *p = json_array_get(pairs, k);
                const json_t *c = json_array_get(p, 0), *cnt = json_array_get(p, 1);
                const json_t *w = json_array_get(p, 2);
                /* Not integers: -1 and 0, which feature_entry_add refuses. */
                rc = feature_entry_add(m, l, f, json_array_size(p),
                                       json_is_integer(c) ? json_integer_value(c) : -1,
                                       json_is_integer(cnt) ? json_integer_value(cnt) : 0,
                                       json_is_number(w), json_number_value(w), ptr, err);
            }
        }
    }
    return rc;
}

/* ---- the feature table straight from the file's text ------------------------------
 * jansson spends ~200 M instructions building and freeing the ~100 000 small values of
 * a model's "features" (most of `stdtax classify`'s start-up and of a daemon's reload);
 * the rows have one fixed shape, read here without building values.  Anything else the
 * file may hold falls back to jansson, which then words the error. */

struct ftext {
    const char *p, *end;
    char *str; /* decoded gram; room for the longest string of the text */
};

static void ft_ws(struct ftext *t)
{
    while (t->p < t->end &&
           (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
        t->p++;
}

static int ft_char(struct ftext *t, char c)
{
    ft_ws(t);
    if (t->p < t->end && *t->p == c) {
        t->p++;
        return 1;
    }
    return 0;
}

/* Length of the JSON number at p (RFC 8259 grammar: no leading zeros, no '+', digits
 * on both sides of the point), 0 if there is none; *integer says whether it has no
 * fraction and no exponent. */
static size_t ft_number_len(const char *p, const char *end, int *integer)
{
    const char *q = p;
    if (q < end && *q == '-')
        q++;
    if (q >= end || *q < '0' || *q > '9')
        return 0;
    if (*q == '0')
        q++;
    else
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    *integer = 1;
    if (q < end && *q == '.') {
        *integer = 0;
        const char *d = ++q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return 0;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        *integer = 0;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        const char *d = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return 0;
    }
    return (size_t)(q - p);
}

/* A JSON number into *v (integer: one without fraction or exponent, at most 18 digits).
 */
static int ft_number(struct ftext *t, int want_integer, json_int_t *iv, double *dv)
{
    ft_ws(t);
    int integer;
    size_t n = ft_number_len(t->p, t->end, &integer);
    char buf[64];
    if (n == 0 || n >= sizeof buf || (want_integer && (!integer || n > 18)))
        return 0;
    memcpy(buf, t->p, n);
    buf[n] = 0;
    char *stop;
    if (integer && n <= 18) {
        /* as jansson: an integer, so "-0" is 0, never -0.0 */
        json_int_t x = strtoll(buf, &stop, 10);
        if (want_integer)
            *iv = x;
        else
            *dv = (double)x;
    } else if (want_integer) {
        return 0;
    } else {
        *dv = strtod(buf, &stop);
    }
    if ((size_t)(stop - buf) != n || (!want_integer && !isfinite(*dv)))
        return 0;
    t->p += n;
    return 1;
}

static int ft_int(struct ftext *t, json_int_t *v)
{
    return ft_number(t, 1, v, NULL);
}

static int ft_real(struct ftext *t, double *v)
{
    return ft_number(t, 0, NULL, v);
}

/* One pass over the "features" array text: with m NULL it only counts rows and entries;
 * with m it fills the table allocated for those counts.  0 on any text it does not
 * read (the caller falls back to jansson). */
static int ft_rows(struct ftext *t, struct model *m, size_t *n_rows, size_t *n_ent,
                   struct stdtax_error *err)
{
    size_t f = 0, e = 0;
    if (!ft_char(t, '['))
        return 0;
    if (ft_char(t, ']'))
        goto done;
    do {
        size_t glen;
        char ptr[64] = "";
        if (m)
            snprintf(ptr, sizeof ptr, "/features/%zu", f);
        if (!ft_char(t, '[') || (ft_ws(t), t->p >= t->end || *t->p != '"') ||
            !jsonflat_string_decode(&t->p, t->end, t->str, &glen) ||
            strlen(t->str) != glen || utf8_text_validate(t->str, glen, NULL) != 0)
            return 0; /* jansson takes valid UTF-8 only */
        if (m && feature_gram_add(m, f, t->str, ptr, err) != 0)
            return 0;
        for (int l = 0; l < LV_COUNT; l++) {
            if (!ft_char(t, ',') || !ft_char(t, '['))
                return 0;
            if (m)
                m->start[l][f] = (uint32_t)m->n_ent;
            if (ft_char(t, ']'))
                continue;
            do {
                json_int_t c, cnt;
                double w = 0;
                size_t arity = 2;
                if (!ft_char(t, '[') || !ft_int(t, &c) || !ft_char(t, ',') ||
                    !ft_int(t, &cnt))
                    return 0;
                if (ft_char(t, ',')) {
                    if (!ft_real(t, &w))
                        return 0;
                    arity = 3;
                }
                if (!ft_char(t, ']'))
                    return 0;
                if (m && feature_entry_add(m, l, f, arity, c, cnt, arity == 3, w, ptr,
                                           err) != 0)
                    return 0;
                e++;
            } while (ft_char(t, ','));
            if (!ft_char(t, ']'))
                return 0;
        }
        if (!ft_char(t, ']') || ++f > FEATURES_MAX)
            return 0;
    } while (ft_char(t, ','));
    if (!ft_char(t, ']'))
        return 0;
done:
    ft_ws(t);
    *n_rows = f;
    *n_ent = e;
    return t->p == t->end;
}

/* Past one JSON string at t->p (its opening quote). */
static int ft_skip_string(struct ftext *t)
{
    for (t->p++; t->p < t->end && *t->p != '"'; t->p++)
        if (*t->p == '\\' && ++t->p >= t->end)
            return 0;
    if (t->p >= t->end)
        return 0;
    t->p++;
    return 1;
}

/* Past one JSON value at t->p (strings, nesting), without checking it: jansson reads
 * the rest of the file and will. */
static int ft_skip(struct ftext *t)
{
    ft_ws(t);
    if (t->p >= t->end)
        return 0;
    if (*t->p == '"')
        return ft_skip_string(t);
    if (*t->p != '[' && *t->p != '{') { /* a number or a literal */
        const char *from = t->p;
        while (t->p < t->end && !strchr(",]} \t\r\n", *t->p))
            t->p++;
        return t->p > from;
    }
    size_t depth = 0;
    do {
        if (t->p >= t->end)
            return 0;
        char c = *t->p;
        if (c == '"') {
            if (!ft_skip_string(t))
                return 0;
            continue;
        }
        if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
        t->p++;
    } while (depth > 0);
    return 1;
}

/* Where the top-level member "features" of the object text[0..len) has its value
 * (*from, *to); 0 when it is not found exactly once. */
static int ft_features_span(const char *text, size_t len, char *scratch, size_t *from,
                            size_t *to)
{
    struct ftext t = {text, text + len, scratch};
    int found = 0;
    if (!ft_char(&t, '{'))
        return 0;
    do {
        size_t klen;
        ft_ws(&t);
        if (t.p >= t.end || *t.p != '"' ||
            !jsonflat_string_decode(&t.p, t.end, scratch, &klen) || !ft_char(&t, ':'))
            return 0;
        int is_features = klen == 8 && memcmp(scratch, "features", 8) == 0;
        ft_ws(&t);
        const char *v = t.p;
        if (!ft_skip(&t))
            return 0;
        if (is_features) {
            if (found++)
                return 0;
            *from = (size_t)(v - text);
            *to = (size_t)(t.p - text);
        }
    } while (ft_char(&t, ','));
    return found == 1 && ft_char(&t, '}');
}

static int model_json_head(const json_t *root, const struct tax_taxonomy *tax,
                           struct model **out, struct stdtax_error *err);
static int model_json_tail(struct model *m, const json_t *root, struct stdtax_error *err);

/* The model of text[0..len) with its feature table read by ft_rows, or 0 when the fast
 * path does not apply (then *out stays NULL and the caller parses with jansson). */
static int model_text_load_fast(const char *text, size_t len,
                                const struct tax_taxonomy *tax, struct model **out)
{
    *out = NULL;
    char *scratch = malloc(len + 1);
    char *rest = malloc(len + 3);
    size_t from = 0, to = 0, n_rows = 0, n_ent = 0;
    struct stdtax_error err = {0};
    json_t *root = NULL;
    struct model *m = NULL;
    int ok = scratch && rest && ft_features_span(text, len, scratch, &from, &to);
    if (ok) {
        /* The rest of the file with an empty feature list, for jansson. */
        memcpy(rest, text, from);
        memcpy(rest + from, "[]", 2);
        memcpy(rest + from + 2, text + to, len - to);
        root = json_loadb(rest, len - (to - from) + 2, JSON_REJECT_DUPLICATES, NULL);
        struct ftext count = {text + from, text + to, scratch};
        ok = root && ft_rows(&count, NULL, &n_rows, &n_ent, NULL);
    }
    if (ok)
        ok = model_json_head(root, tax, &m, &err) == 0 &&
             features_alloc(m, n_rows, n_ent, &err) == 0;
    if (ok) {
        struct ftext fill = {text + from, text + to, scratch};
        size_t r2, e2;
        ok = ft_rows(&fill, m, &r2, &e2, &err) && r2 == n_rows && e2 == n_ent &&
             model_json_tail(m, root, &err) == 0;
    }
    json_decref(root);
    free(scratch);
    free(rest);
    if (!ok) {
        model_free(m);
        return 0;
    }
    *out = m;
    return 1;
}

/* The training examples of the nearest-neighbour votes: optional, and required when the
 * config says the model keeps them. */
static int load_neighbours(struct model *m, const json_t *nn, struct stdtax_error *err)
{
    if (!m->cfg.neighbours)
        return nn ? bad(err, "/neighbours", "present but config.neighbours is false") : 0;
    size_t n = json_array_size(nn), pairs = 0;
    if (!json_is_array(nn) || n == 0 || n > UINT32_MAX / 2)
        return bad(err, "/neighbours", "must be a non-empty array");
    for (size_t i = 0; i < n; i++)
        pairs += json_array_size(json_array_get(json_array_get(nn, i), 2)) / 2;
    m->nn_cls = malloc((n * LV_COUNT + 1) * sizeof *m->nn_cls);
    m->nn_first = malloc((n + 1) * sizeof *m->nn_first);
    m->nn_feat = malloc((pairs + 1) * sizeof *m->nn_feat);
    m->nn_count = malloc((pairs + 1) * sizeof *m->nn_count);
    if (!m->nn_cls || !m->nn_first || !m->nn_feat || !m->nn_count)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/neighbours/%zu", i);
        const json_t *e = json_array_get(nn, i), *v = json_array_get(e, 2);
        json_int_t c = json_integer_value(json_array_get(e, 0));
        json_int_t sc = json_integer_value(json_array_get(e, 1));
        if (!json_is_array(e) || json_array_size(e) != 3 ||
            !json_is_integer(json_array_get(e, 0)) ||
            !json_is_integer(json_array_get(e, 1)) || c < 0 ||
            (size_t)c >= m->lv[LV_CAT].n || sc < -1 ||
            sc >= (json_int_t)m->lv[LV_SUB].n || !json_is_array(v) ||
            json_array_size(v) % 2 != 0)
            return bad(err, ptr, "must be [class, subclass or -1, [feature, count...]]");
        m->nn_cls[i * LV_COUNT + LV_CAT] = (uint32_t)c;
        m->nn_cls[i * LV_COUNT + LV_SUB] = sc < 0 ? UINT32_MAX : (uint32_t)sc;
        m->nn_first[i] = (uint32_t)used;
        json_int_t prev = -1;
        for (size_t k = 0; k + 1 < json_array_size(v); k += 2) {
            json_int_t f = json_integer_value(json_array_get(v, k));
            json_int_t cnt = json_integer_value(json_array_get(v, k + 1));
            if (!json_is_integer(json_array_get(v, k)) || f <= prev ||
                (size_t)f >= m->n_feat || cnt <= 0 || cnt > UINT32_MAX)
                return bad(err, ptr, "features must ascend, counts be positive");
            prev = f;
            m->nn_feat[used] = (uint32_t)f;
            m->nn_count[used++] = (uint32_t)cnt;
        }
    }
    m->nn_first[n] = (uint32_t)used;
    m->n_nn = n;
    return 0;
}

/* "keywords" is optional: a file from before it existed has none. */
static int load_keywords(struct model *m, const json_t *kw, struct stdtax_error *err)
{
    if (!kw)
        return 0;
    const json_t *fw = json_object_get(kw, "field_weights");
    const json_t *lm = json_object_get(kw, "longest_match");
    const json_t *pl = json_object_get(kw, "plurals");
    const json_t *ob = json_object_get(kw, "other_baseline");
    if (!json_is_object(kw) || !json_is_object(fw) || !json_is_boolean(lm) ||
        !json_is_boolean(pl) || !json_is_number(ob) || !isfinite(json_number_value(ob)))
        return bad(err, "/calibration/keywords",
                   "must be {field_weights: {...}, longest_match: bool, plurals: bool, "
                   "other_baseline: number}");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const json_t *w = json_object_get(fw, model_field_name(f));
        if (!json_is_number(w) || !isfinite(json_number_value(w)))
            return bad(err, "/calibration/keywords/field_weights",
                       "needs a number for every field");
        m->kw.field_weight[f] = round6(json_number_value(w));
    }
    m->kw.longest_match = json_is_true(lm);
    m->kw.plurals = json_is_true(pl);
    /* Six decimals, as the engine's side is compared (a hand-written 0.3000001 is 0.3).
     */
    m->kw.other_baseline = round6(json_number_value(ob));
    m->has_kw = true;
    return 0;
}

/* "weak" is optional: a file from before it existed has none. */
static int load_calibration(struct model *m, const json_t *cal, struct stdtax_error *err)
{
    if (!cal || json_is_null(cal))
        return 0;
    int krc = load_keywords(m, json_object_get(cal, "keywords"), err);
    if (krc != 0)
        return krc;
    static const char *const keys[] = {"scale", "bias", "weak"};
    const json_t *maps[3];
    for (int k = 0; k < 3; k++) {
        maps[k] = json_object_get(cal, keys[k]);
        if (!(json_is_object(maps[k]) || (k == 2 && !maps[k])))
            return bad(err, "/calibration",
                       "must be {scale: {...}, bias: {...}, weak: {...}}");
    }
    size_t n = m->tax->n_nodes;
    m->cal = calloc(n + 1, sizeof *m->cal);
    if (!m->cal)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t i = 0; i < n; i++)
        m->cal[i] = model_cal_identity;
    for (int k = 0; k < 3; k++) {
        const char *code;
        const json_t *v;
        json_object_foreach((json_t *)maps[k], code, v)
        {
            const struct tax_node *node = tax_node_find(m->tax, code);
            if (!node || node->depth != 0)
                return stdtax_error_set(err, STDTAX_EVERSION, "/calibration",
                                        "\"%s\" is not a category of the taxonomy", code);
            if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
                fabs(json_number_value(v)) > 1e6)
                return bad(err, "/calibration", "values must be finite numbers");
            struct model_cal *c = &m->cal[node->index];
            double *dst[3] = {&c->scale, &c->bias, &c->weak};
            *dst[k] = json_number_value(v);
        }
    }
    return 0;
}

/* Everything of a model file before its feature table: *out is new on 0, its table
 * still empty. */
static int model_json_head(const json_t *root, const struct tax_taxonomy *tax,
                           struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    if (!json_is_object(root))
        return bad(err, "", "must be a JSON object");
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, "stdtax-naive-bayes") != 0)
        return bad(err, "/format", "not a stdtax naive Bayes model");
    if (json_integer_value(json_object_get(root, "format_version")) !=
        MODEL_FORMAT_VERSION)
        return stdtax_error_set(err, STDTAX_EVERSION, "/format_version",
                                "model format version %d expected", MODEL_FORMAT_VERSION);
    const char *tv = json_string_value(json_object_get(root, "taxonomy_version"));
    if (!tv || strcmp(tv, tax->version) != 0)
        return stdtax_error_set(err, STDTAX_EVERSION, "/taxonomy_version",
                                "model trained for taxonomy %s, loaded with %s",
                                tv ? tv : "?", tax->version);
    const json_t *cfg = json_object_get(root, "config");
    struct model *m = calloc(1, sizeof *m);
    if (!m)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    m->tax = tax;
    m->cfg.ngram_min = (int)json_integer_value(json_object_get(cfg, "ngram_min"));
    m->cfg.ngram_max = (int)json_integer_value(json_object_get(cfg, "ngram_max"));
    m->cfg.words = json_is_true(json_object_get(cfg, "words"));
    m->cfg.alpha = json_number_value(json_object_get(cfg, "alpha"));
    m->cfg.uniform_prior = json_is_true(json_object_get(cfg, "uniform_prior"));
    m->cfg.complement = json_is_true(json_object_get(cfg, "complement"));
    json_int_t tw = json_integer_value(json_object_get(cfg, "taxonomy_weight"));
    m->cfg.taxonomy_weight = tw < 0 || tw > 100 ? 1000 : (unsigned)tw;
    m->cfg.cal_l2_scale = json_number_value(json_object_get(cfg, "cal_l2_scale"));
    m->cfg.cal_l2_bias = json_number_value(json_object_get(cfg, "cal_l2_bias"));
    m->cfg.cal_l2_weak = json_number_value(json_object_get(cfg, "cal_l2_weak"));
    m->cfg.cal_weak = json_is_true(json_object_get(cfg, "cal_weak"));
    m->cfg.neighbours = json_is_true(json_object_get(cfg, "neighbours"));
    m->cfg.nn_titles = json_is_true(json_object_get(cfg, "nn_titles"));
    m->cfg.lr = json_is_true(json_object_get(cfg, "lr"));
    if (m->cfg.lr) {
        json_int_t it = json_integer_value(json_object_get(cfg, "lr_iters"));
        m->cfg.lr_iters = it < 0 || it > 100000 ? 1000000 : (unsigned)it;
        m->cfg.lr_l2 = json_number_value(json_object_get(cfg, "lr_l2"));
        const json_t *bl = json_object_get(cfg, "lr_blend");
        m->cfg.lr_blend = json_is_number(bl) ? json_number_value(bl) : -1;
        m->cfg.lr_terms = json_is_true(json_object_get(cfg, "lr_terms"));
    }
    json_int_t ocv = json_integer_value(json_object_get(cfg, "other_cv"));
    m->cfg.other_cv = ocv < 0 || ocv > 100 ? 1000 : (unsigned)ocv;
    const json_t *oth = json_object_get(root, "other_threshold");
    m->other_threshold = json_is_number(oth) ? json_number_value(oth) : 0.0;
    m->cfg.nn_max_df = json_is_number(json_object_get(cfg, "nn_max_df"))
                           ? json_number_value(json_object_get(cfg, "nn_max_df"))
                           : 1.0;
    const json_t *fw = json_object_get(cfg, "field_weights");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        json_int_t w = json_integer_value(json_object_get(fw, model_field_name(f)));
        m->cfg.field_weight[f] = w < 0 || w > 100 ? 1000 : (unsigned)w;
    }
    int rc = model_config_check(&m->cfg, err);
    if (rc == 0 && !(m->other_threshold >= 0 && m->other_threshold <= 1))
        rc = bad(err, "/other_threshold", "must be in [0, 1]");
    if (rc == 0)
        rc = load_levels(m, json_object_get(root, "levels"), err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Everything after the feature table; on an error the caller frees m. */
static int model_json_tail(struct model *m, const json_t *root, struct stdtax_error *err)
{
    const char *tv = json_string_value(json_object_get(root, "taxonomy_version"));
    const json_t *training = json_object_get(root, "training");
    int rc = 0;
    if (rc == 0) {
        m->tax_version = strdup(tv);
        m->train_file =
            model_strdup_or_empty(json_string_value(json_object_get(training, "file")));
        m->train_sha =
            model_strdup_or_empty(json_string_value(json_object_get(training, "sha256")));
        m->n_examples =
            (uint64_t)json_integer_value(json_object_get(training, "examples"));
        const char *ver = json_string_value(json_object_get(root, "model_version"));
        m->version = model_strdup_or_empty(ver);
        if (!m->tax_version || !m->train_file || !m->train_sha || !m->version)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        else if (!ver || !*ver)
            rc = bad(err, "/model_version", "missing");
    }
    if (rc == 0)
        rc = load_calibration(m, json_object_get(root, "calibration"), err);
    if (rc == 0)
        rc = load_neighbours(m, json_object_get(root, "neighbours"), err);
    if (rc == 0 && model_finish(m) != 0)
        rc = bad(err, "/features", "a feature appears twice");
    return rc;
}

int model_json_load(const json_t *root, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err)
{
    struct model *m = NULL;
    int rc = model_json_head(root, tax, &m, err);
    if (rc == 0)
        rc = load_features(m, json_object_get(root, "features"), err);
    if (rc == 0)
        rc = model_json_tail(m, root, err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int model_file_load(const char *path, const struct tax_taxonomy *tax, struct model **out,
                    struct stdtax_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO, "",
                                "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    /* Never more than one byte over the bound: enough to refuse a larger file. */
    const size_t limit = (size_t)MODEL_FILE_MAX + 1;
    while (rc == 0) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 1u << 20;
            if (ncap > limit)
                ncap = limit;
            char *bigger = realloc(text, ncap);
            if (!bigger) {
                rc = STDTAX_ENOMEM;
                break;
            }
            text = bigger;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len > MODEL_FILE_MAX)
            rc = stdtax_error_set(err, STDTAX_ETOOBIG, "", "%s: over %u bytes", path,
                                  (unsigned)MODEL_FILE_MAX);
        else if (got == 0 && ferror(f))
            rc = stdtax_error_set(err, STDTAX_EIO, "", "%s: read error", path);
        else if (got == 0)
            break;
    }
    fclose(f);
    if (rc == STDTAX_ENOMEM)
        stdtax_error_set(err, rc, "", "out of memory");
    if (rc != 0) {
        free(text);
        return rc;
    }
    rc = model_text_load(text, len, tax, out, err);
    if (rc == STDTAX_EPARSE && err) {
        /* name the file, as the other errors of this function do */
        char detail[sizeof err->text];
        snprintf(detail, sizeof detail, "%s", err->text);
        stdtax_error_set(err, rc, "", "%s: %s", path, detail);
    }
    free(text);
    return rc;
}

int model_text_load(const char *text, size_t len, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    if (model_text_load_fast(text, len, tax, out))
        return 0;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return stdtax_error_set(err, STDTAX_EPARSE, "", "line %d: %s", je.line, je.text);
    int rc = model_json_load(root, tax, out, err);
    json_decref(root);
    return rc;
}
