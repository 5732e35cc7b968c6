/* The one reader of the model file: the fixed JSON layout of doc/classifier.md ("The
 * model file"), read in one pass without building JSON values (model_file_json.h).
 * Members come in the order the writer puts them (by name); every string, number and
 * length is checked as it is read, and anything else is refused naming the line, the
 * column and the JSON pointer of what was wrong.  Syntax errors are STDTAX_EPARSE, valid
 * JSON in another layout STDTAX_EINVAL, a model for another taxonomy or format
 * STDTAX_EVERSION. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_file_json.h"
#include "model_internal.h"

#define MF_WEIGHT_MAX 1e6 /* |learned weight|: calibration, regression */

/* A model being read: the cursor, the model, and the largest class index of the
 * features per level and where it was (the levels come after the features, so it is
 * checked then). */
struct load {
    struct mf r;
    struct model *m;
    int64_t max_cls[LV_COUNT];
    const char *max_cls_at[LV_COUNT];
    size_t max_cls_row[LV_COUNT];
};

/* ---- config --------------------------------------------------------------------------
 */

enum setting_kind { SET_BOOL, SET_INT, SET_UINT, SET_REAL, SET_WEIGHTS };

struct setting {
    const char *name;
    enum setting_kind kind;
    size_t offset; /* in struct model_config */
    double lo, hi;
};

#define CFG(member) offsetof(struct model_config, member)
/* By name, as written.  The bounds are model_config_check's (which then checks the
 * relations between settings). */
static const struct setting settings[] = {
    {"alpha", SET_REAL, CFG(alpha), 1e-300, 10},
    {"cal_l2_bias", SET_REAL, CFG(cal_l2_bias), 0, 100},
    {"cal_l2_scale", SET_REAL, CFG(cal_l2_scale), 0, 100},
    {"cal_l2_weak", SET_REAL, CFG(cal_l2_weak), 0, 100},
    {"cal_weak", SET_BOOL, CFG(cal_weak), 0, 1},
    {"complement", SET_BOOL, CFG(complement), 0, 1},
    {"field_weights", SET_WEIGHTS, CFG(field_weight), 0, 100},
    {"lr", SET_BOOL, CFG(lr), 0, 1},
    {"lr_blend", SET_REAL, CFG(lr_blend), 0, 1},
    {"lr_iters", SET_UINT, CFG(lr_iters), 0, 100000},
    {"lr_l2", SET_REAL, CFG(lr_l2), 0, 100},
    {"lr_terms", SET_BOOL, CFG(lr_terms), 0, 1},
    {"neighbours", SET_BOOL, CFG(neighbours), 0, 1},
    {"ngram_max", SET_INT, CFG(ngram_max), 1, 3},
    {"ngram_min", SET_INT, CFG(ngram_min), 1, 3},
    {"nn_max_df", SET_REAL, CFG(nn_max_df), 1e-300, 1},
    {"nn_titles", SET_BOOL, CFG(nn_titles), 0, 1},
    {"other_cv", SET_UINT, CFG(other_cv), 0, 100},
    {"review_cv", SET_UINT, CFG(review_cv), 0, 100}, /* absent before 2026-12-07 */
    {"taxonomy_weight", SET_UINT, CFG(taxonomy_weight), 0, 100},
    {"uniform_prior", SET_BOOL, CFG(uniform_prior), 0, 1},
    {"words", SET_BOOL, CFG(words), 0, 1},
};
/* "lr" and the regression's settings: written exactly when it is on. */
#define SETTINGS_LR (0x1fu << 7)
#define SETTING_REVIEW_CV (1u << 18)

/* The fields by name, as written, and their enum model_field. */
static const char *const field_keys[MODEL_FIELD_COUNT] = {"scope", "text", "title",
                                                          "title_en"};
static const enum model_field field_of_key[MODEL_FIELD_COUNT] = {
    MODEL_FIELD_SCOPE, MODEL_FIELD_TEXT, MODEL_FIELD_TITLE, MODEL_FIELD_TITLE_EN};
static const struct mf_object fields_object = MF_NAMES(field_keys, 0);

struct weights {
    unsigned *as_int; /* config: integer repeat counts */
    double *as_real;  /* calibration keywords: reals */
};

static void read_weight(struct mf *r, void *ctx, size_t i)
{
    struct weights *w = ctx;
    enum model_field f = field_of_key[i];
    int64_t v;
    if (w->as_int && mf_int(r, 0, 100, &v))
        w->as_int[f] = (unsigned)v;
    if (w->as_real)
        mf_real(r, -MF_WEIGHT_MAX, MF_WEIGHT_MAX, &w->as_real[f]);
}

static void read_setting(struct mf *r, void *ctx, size_t i)
{
    struct model_config *cfg = ctx;
    const struct setting *s = &settings[i];
    void *at = (char *)cfg + s->offset;
    int64_t v;
    int b;
    switch (s->kind) {
    case SET_BOOL:
        if (mf_bool(r, &b))
            *(int *)at = b;
        break;
    case SET_INT:
        if (mf_int(r, (int64_t)s->lo, (int64_t)s->hi, &v))
            *(int *)at = (int)v;
        break;
    case SET_UINT:
        if (mf_int(r, (int64_t)s->lo, (int64_t)s->hi, &v))
            *(unsigned *)at = (unsigned)v;
        break;
    case SET_REAL:
        mf_real(r, s->lo, s->hi, at);
        break;
    case SET_WEIGHTS:
        mf_members(r, &fields_object, read_weight, &(struct weights){at, NULL});
        break;
    }
}

static void read_config(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct model *m = ((struct load *)ctx)->m;
    static const struct mf_object o = MF_NAMES(settings, SETTINGS_LR | SETTING_REVIEW_CV);
    unsigned seen = mf_members(r, &o, read_setting, &m->cfg);
    if (r->rc)
        return;
    if ((seen & SETTINGS_LR) != (m->cfg.lr ? SETTINGS_LR : 0))
        mf_fail(
            r, STDTAX_EINVAL,
            "\"lr\": true, lr_blend, lr_iters, lr_l2 and lr_terms come together, with "
            "the regression only");
    struct stdtax_error cerr;
    if (r->rc == 0 && model_config_check(&m->cfg, &cerr) != 0)
        mf_fail(r, STDTAX_EINVAL, "%s", cerr.text);
}

/* ---- calibration ---------------------------------------------------------------------
 */

struct calibration {
    struct model *m;
    size_t k; /* 0 scale, 1 bias, 2 weak */
};

/* {category code: number, ...}: every category of the taxonomy once, in any order. */
static void read_category_map(struct mf *r, struct model *m, size_t k)
{
    const struct tax_taxonomy *tax = m->tax;
    unsigned char got[TAX_NODES_MAX] = {0};
    size_t n_got = 0;
    char key[MF_KEY_MAX];
    if (!mf_open(r, '{') || mf_char(r, '}')) {
        if (r->rc == 0)
            mf_fail(r, STDTAX_EVERSION, "no value for the taxonomy's categories");
        return;
    }
    do {
        if (!mf_key(r, key))
            return;
        const struct tax_node *node = tax_node_find(tax, r->str);
        if (!node || node->depth != 0) {
            mf_fail(r, STDTAX_EVERSION, "\"%s\" is not a category of the taxonomy", key);
            return;
        }
        if (got[node->index]++) {
            mf_fail(r, STDTAX_EINVAL, "\"%s\" twice", key);
            return;
        }
        n_got++;
        struct model_cal *c = &m->cal[node->index];
        double *dst[3] = {&c->scale, &c->bias, &c->weak};
        mf_real(r, -MF_WEIGHT_MAX, MF_WEIGHT_MAX, dst[k]);
    } while (mf_more(r, '}'));
    if (r->rc == 0 && n_got != tax->n_roots)
        mf_fail(r, STDTAX_EVERSION, "values for %zu of the taxonomy's %zu categories",
                n_got, tax->n_roots);
}

static const char *const keyword_keys[] = {"field_weights", "longest_match",
                                           "other_baseline", "plurals"};
static const struct mf_object keywords_object = MF_NAMES(keyword_keys, 0);

static void read_keyword(struct mf *r, void *ctx, size_t i)
{
    struct model_keywords *kw = ctx;
    int b;
    switch (i) {
    case 0:
        mf_members(r, &fields_object, read_weight,
                   &(struct weights){NULL, kw->field_weight});
        for (int f = 0; f < MODEL_FIELD_COUNT; f++)
            kw->field_weight[f] = round6(kw->field_weight[f]);
        break;
    case 1:
        if (mf_bool(r, &b))
            kw->longest_match = b;
        break;
    case 2:
        /* Six decimals, as the engine's side is compared (a hand-written 0.3000001 is
         * 0.3). */
        if (mf_real(r, -MF_WEIGHT_MAX, MF_WEIGHT_MAX, &kw->other_baseline))
            kw->other_baseline = round6(kw->other_baseline);
        break;
    default:
        if (mf_bool(r, &b))
            kw->plurals = b;
        break;
    }
}

static const char *const calibration_keys[] = {"bias", "keywords", "scale", "weak"};
static const struct mf_object calibration_object = MF_NAMES(calibration_keys, 1u << 1);

static void read_calibration_member(struct mf *r, void *ctx, size_t i)
{
    struct model *m = ctx;
    static const size_t map_of_key[] = {1, 0, 0, 2}; /* bias, -, scale, weak */
    if (i == 1) {
        mf_members(r, &keywords_object, read_keyword, &m->kw);
        m->has_kw = r->rc == 0;
    } else {
        read_category_map(r, m, map_of_key[i]);
    }
}

/* null: not calibrated.  "keywords" is absent in files from before 2026-11-26. */
static void read_calibration(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct model *m = ((struct load *)ctx)->m;
    if (mf_null(r))
        return;
    size_t n = m->tax->n_nodes;
    m->cal = calloc(n + 1, sizeof *m->cal);
    if (!m->cal) {
        mf_fail(r, STDTAX_ENOMEM, "out of memory");
        return;
    }
    for (size_t k = 0; k < n; k++)
        m->cal[k] = model_cal_identity;
    mf_members(r, &calibration_object, read_calibration_member, m);
}

/* ---- features ------------------------------------------------------------------------
 */

/* Room for feature f and one more entry. */
static int features_grow(struct load *ld, size_t f, size_t *cap_feat, size_t *cap_ent)
{
    struct mf *r = &ld->r;
    struct model *m = ld->m;
    if (f == *cap_feat) {
        size_t cap = *cap_feat ? 2 * *cap_feat : 1024;
        uint64_t *key = realloc(m->key, cap * sizeof *key);
        m->key = key ? key : m->key;
        char **gram = realloc(m->gram, cap * sizeof *gram);
        m->gram = gram ? gram : m->gram;
        int ok = key && gram;
        for (int l = 0; l < LV_COUNT; l++) {
            uint32_t *start = realloc(m->start[l], cap * sizeof *start);
            m->start[l] = start ? start : m->start[l];
            uint32_t *count = realloc(m->count[l], cap * sizeof *count);
            m->count[l] = count ? count : m->count[l];
            ok = ok && start && count;
        }
        if (!ok)
            return mf_fail(r, STDTAX_ENOMEM, "out of memory"), 0;
        *cap_feat = cap;
    }
    if (m->n_ent == *cap_ent) {
        size_t cap = *cap_ent ? 2 * *cap_ent : 4096;
        struct entry *ent = realloc(m->ent, cap * sizeof *ent);
        if (!ent)
            return mf_fail(r, STDTAX_ENOMEM, "out of memory"), 0;
        m->ent = ent;
        *cap_ent = cap;
    }
    return 1;
}

/* A feature's text: "w:" and an ASCII word of at most WORD_MAX letters and digits, or
 * one to three characters. */
static int gram_read(struct load *ld, size_t f)
{
    struct mf *r = &ld->r;
    struct model *m = ld->m;
    if (!mf_string(r))
        return 0;
    const char *g = r->str;
    int word = r->str_len > 2 && g[0] == 'w' && g[1] == ':';
    for (size_t k = 2; word && k < r->str_len; k++)
        word = model_ascii_alnum((unsigned char)g[k]);
    if ((word && r->str_len - 2 > WORD_MAX) || (!word && (g[0] == 'w' && g[1] == ':')) ||
        model_gram_key_parse(g, &m->key[f]) != 0)
        return mf_fail(r, STDTAX_EINVAL,
                       "\"%s\" is no feature (\"w:\" and a word, or one to three "
                       "characters)",
                       mf_clipped(r, 64)),
               0;
    m->gram[f] = strdup(g);
    if (!m->gram[f])
        return mf_fail(r, STDTAX_ENOMEM, "out of memory"), 0;
    m->n_feat = f + 1;
    return 1;
}

/* [[class, count(, weight)]...] of feature f at level l: classes ascending, counts
 * positive, the weight exactly with config lr. */
static void entries_read(struct load *ld, size_t f, int l, size_t *cap_feat,
                         size_t *cap_ent)
{
    struct mf *r = &ld->r;
    struct model *m = ld->m;
    const char *shape = m->cfg.lr ? "[class, count, weight]" : "[class, count]";
    int64_t prev = -1;
    m->start[l][f] = (uint32_t)m->n_ent;
    m->count[l][f] = 0;
    if (!mf_open(r, '[') || mf_char(r, ']'))
        return;
    do {
        const char *at = r->p;
        int64_t c, n;
        double w = 0;
        if (!features_grow(ld, f, cap_feat, cap_ent) || !mf_open(r, '[') ||
            !mf_int(r, 0, UINT32_MAX - 1, &c) || !mf_comma(r, ']', shape) ||
            !mf_int(r, 1, UINT32_MAX, &n) ||
            (m->cfg.lr && (!mf_comma(r, ']', shape) ||
                           !mf_real(r, -MF_WEIGHT_MAX, MF_WEIGHT_MAX, &w))) ||
            !mf_close(r, ']', shape))
            return;
        if (c <= prev) {
            r->p = at;
            mf_fail(r, STDTAX_EINVAL, "classes must ascend");
            return;
        }
        if (c > ld->max_cls[l]) {
            ld->max_cls[l] = c;
            ld->max_cls_at[l] = at;
            ld->max_cls_row[l] = f;
        }
        prev = c;
        m->ent[m->n_ent++] = (struct entry){(uint32_t)c, (uint32_t)n, 0, w};
        m->count[l][f]++;
    } while (mf_more(r, ']'));
}

static void read_features(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct load *ld = ctx;
    size_t cap_feat = 0, cap_ent = 0, f = 0;
    static const char *const shape = "[gram, [[class, count]...], [[class, count]...]]";
    if (!mf_open(r, '[') || mf_char(r, ']'))
        return;
    mf_push(r, NULL);
    do {
        r->idx[r->depth - 1] = f;
        if (f == FEATURES_MAX) {
            mf_fail(r, STDTAX_EINVAL, "more than %u features", FEATURES_MAX);
            break;
        }
        if (!features_grow(ld, f, &cap_feat, &cap_ent) || !mf_open(r, '[') ||
            !gram_read(ld, f))
            break;
        for (int l = 0; l < LV_COUNT && mf_comma(r, ']', shape); l++)
            entries_read(ld, f, l, &cap_feat, &cap_ent);
        mf_close(r, ']', shape);
        f++;
    } while (mf_more(r, ']'));
    mf_pop(r);
}

/* ---- levels --------------------------------------------------------------------------
 */

struct level_ctx {
    struct load *ld;
    int l;
    size_t n; /* classes, once read */
};

/* [integer...] of exactly one per class into out (uint64_t or double). */
static void per_class_read(struct mf *r, size_t n, uint64_t *as_int, double *as_real)
{
    size_t k = 0;
    if (!mf_open(r, '['))
        return;
    if (!mf_char(r, ']')) {
        do {
            int64_t v;
            if (k == n) {
                mf_fail(r, STDTAX_EINVAL, "more values than the %zu classes", n);
                break;
            }
            if (as_int && mf_int(r, 0, INT64_MAX, &v))
                as_int[k] = (uint64_t)v;
            if (as_real)
                mf_real(r, -MF_WEIGHT_MAX, MF_WEIGHT_MAX, &as_real[k]);
            k++;
        } while (mf_more(r, ']'));
    }
    if (r->rc == 0 && k != n)
        mf_fail(r, STDTAX_EINVAL, "%zu values for %zu classes", k, n);
}

/* Node codes of the level, in taxonomy order. */
static void classes_read(struct mf *r, struct model *m, int l, size_t *n)
{
    size_t node[TAX_NODES_MAX], k = 0;
    if (!mf_open(r, '['))
        return;
    if (!mf_char(r, ']')) {
        do {
            if (!mf_string(r))
                return;
            const struct tax_node *nd = tax_node_find(m->tax, r->str);
            if (!nd || nd->depth != l) {
                mf_fail(r, STDTAX_EVERSION,
                        "model class \"%s\" is not a %s of the taxonomy",
                        mf_clipped(r, 64), model_level_names[l]);
                return;
            }
            if (k > 0 && nd->index <= node[k - 1]) {
                mf_fail(r, STDTAX_EINVAL, "classes must come in taxonomy order, once");
                return;
            }
            node[k++] = nd->index;
        } while (mf_more(r, ']'));
    }
    if (r->rc == 0 && level_alloc(&m->lv[l], k) != 0)
        mf_fail(r, STDTAX_ENOMEM, "out of memory");
    if (r->rc == 0)
        memcpy(m->lv[l].node, node, k * sizeof *node);
    *n = k;
}

static const char *const level_keys[] = {"classes", "docs", "lr_bias", "tokens"};
static const struct mf_object level_object = MF_NAMES(level_keys, 1u << 2);

static void read_level_member(struct mf *r, void *ctx, size_t i)
{
    struct level_ctx *c = ctx;
    struct level *lv = &c->ld->m->lv[c->l];
    if (i == 0)
        classes_read(r, c->ld->m, c->l, &c->n);
    else
        per_class_read(r, c->n,
                       i == 1   ? lv->docs
                       : i == 3 ? lv->tokens
                                : NULL,
                       i == 2 ? lv->lr_bias : NULL);
}

/* The features' classes are checked here: they came before the levels. */
static void read_level(struct mf *r, void *ctx, size_t l)
{
    struct load *ld = ctx;
    struct level_ctx c = {ld, (int)l, 0};
    unsigned seen = mf_members(r, &level_object, read_level_member, &c);
    if (r->rc == 0 && !(seen >> 2 & 1) != !ld->m->cfg.lr)
        mf_fail(r, STDTAX_EINVAL, "lr_bias: one bias per class exactly when config.lr");
    if (r->rc == 0 && ld->max_cls[l] >= (int64_t)c.n) {
        /* The error is the feature's: where it is, the feature's pointer. */
        const char *p = r->p;
        int depth = r->depth;
        r->p = ld->max_cls_at[l];
        r->depth = 0;
        mf_push(r, "features");
        mf_push(r, NULL);
        r->idx[1] = ld->max_cls_row[l];
        mf_fail(r, STDTAX_EINVAL, "class %lld of the %s level, which has %zu",
                (long long)ld->max_cls[l], model_level_names[l], c.n);
        r->p = p;
        r->depth = depth;
    }
}

static const struct mf_object levels_object = {
    model_level_names, sizeof model_level_names[0], LV_COUNT, 0, NULL};

static void read_levels(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    mf_members(r, &levels_object, read_level, ctx);
}

/* ---- neighbours ----------------------------------------------------------------------
 */

/* Room for example i (its classes and where its pairs end) and one more pair after
 * the first used. */
static int neighbours_grow(struct load *ld, size_t i, size_t used, size_t *cap_ex,
                           size_t *cap_pairs)
{
    struct model *m = ld->m;
    if (i + 1 >= *cap_ex) {
        size_t cap = *cap_ex ? 2 * *cap_ex : 256;
        uint32_t *cls = realloc(m->nn_cls, cap * LV_COUNT * sizeof *cls);
        m->nn_cls = cls ? cls : m->nn_cls;
        uint32_t *first = realloc(m->nn_first, (cap + 1) * sizeof *first);
        m->nn_first = first ? first : m->nn_first;
        if (!cls || !first)
            return mf_fail(&ld->r, STDTAX_ENOMEM, "out of memory"), 0;
        *cap_ex = cap;
    }
    if (used == *cap_pairs) {
        size_t cap = *cap_pairs ? 2 * *cap_pairs : 4096;
        uint32_t *feat = realloc(m->nn_feat, cap * sizeof *feat);
        m->nn_feat = feat ? feat : m->nn_feat;
        uint32_t *count = realloc(m->nn_count, cap * sizeof *count);
        m->nn_count = count ? count : m->nn_count;
        if (!feat || !count)
            return mf_fail(&ld->r, STDTAX_ENOMEM, "out of memory"), 0;
        *cap_pairs = cap;
    }
    return 1;
}

/* One example's [feature, count, ...]: features ascending.  Returns the pairs used. */
static size_t neighbour_pairs_read(struct load *ld, size_t i, size_t used, size_t *cap_ex,
                                   size_t *cap_pairs)
{
    struct mf *r = &ld->r;
    struct model *m = ld->m;
    int64_t prev = -1;
    if (!mf_open(r, '[') || mf_char(r, ']'))
        return used;
    do {
        int64_t f, cnt;
        const char *at = r->p;
        if (!neighbours_grow(ld, i, used, cap_ex, cap_pairs) ||
            !mf_int(r, 0, (int64_t)m->n_feat - 1, &f) ||
            !mf_comma(r, ']', "pairs of feature and count") ||
            !mf_int(r, 1, UINT32_MAX, &cnt))
            break;
        if (f <= prev) {
            r->p = at;
            mf_fail(r, STDTAX_EINVAL, "features must ascend");
            break;
        }
        prev = f;
        m->nn_feat[used] = (uint32_t)f;
        m->nn_count[used++] = (uint32_t)cnt;
    } while (mf_more(r, ']'));
    return used;
}

/* [category class, subcategory class or -1, [feature, count, ...]] per training example,
 * exactly with config.neighbours. */
static void read_neighbours(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct load *ld = ctx;
    struct model *m = ld->m;
    static const char *const shape = "[class, subclass or -1, [feature, count...]]";
    size_t cap_ex = 0, cap_pairs = 0, n = 0, used = 0;
    if (!m->cfg.neighbours) {
        mf_fail(r, STDTAX_EINVAL, "present but config.neighbours is false");
        return;
    }
    if (!mf_open(r, '[') || mf_char(r, ']')) {
        if (r->rc == 0)
            mf_fail(r, STDTAX_EINVAL, "must be a non-empty array");
        return;
    }
    mf_push(r, NULL);
    do {
        r->idx[r->depth - 1] = n;
        int64_t c, s;
        if (n == UINT32_MAX / 2 || !neighbours_grow(ld, n, used, &cap_ex, &cap_pairs) ||
            !mf_open(r, '[') || !mf_int(r, 0, (int64_t)m->lv[LV_CAT].n - 1, &c) ||
            !mf_comma(r, ']', shape) ||
            !mf_int(r, -1, (int64_t)m->lv[LV_SUB].n - 1, &s) || !mf_comma(r, ']', shape))
            break;
        m->nn_cls[n * LV_COUNT + LV_CAT] = (uint32_t)c;
        m->nn_cls[n * LV_COUNT + LV_SUB] = s < 0 ? UINT32_MAX : (uint32_t)s;
        m->nn_first[n] = (uint32_t)used;
        used = neighbour_pairs_read(ld, n, used, &cap_ex, &cap_pairs);
        mf_close(r, ']', shape);
        n++;
    } while (mf_more(r, ']'));
    mf_pop(r);
    if (r->rc == 0) {
        m->nn_first[n] = (uint32_t)used;
        m->n_nn = n;
    }
}

/* ---- the other members ---------------------------------------------------------------
 */

static int is_hex(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
            return 0;
    return 1;
}

static void read_format(struct mf *r, void *ctx, size_t i)
{
    (void)ctx;
    (void)i;
    if (mf_string(r) && strcmp(r->str, "stdtax-naive-bayes") != 0)
        mf_fail(r, STDTAX_EINVAL, "not a stdtax naive Bayes model");
}

static void read_format_version(struct mf *r, void *ctx, size_t i)
{
    (void)ctx;
    (void)i;
    int64_t v;
    if (mf_int(r, INT32_MIN, INT32_MAX, &v) && v != MODEL_FORMAT_VERSION)
        mf_fail(r, STDTAX_EVERSION, "model format version %d expected, this is %lld",
                MODEL_FORMAT_VERSION, (long long)v);
}

/* "nb1-" and 12 hex digits, as model_version_compute writes it. */
static void read_model_version(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct model *m = ((struct load *)ctx)->m;
    char prefix[8];
    snprintf(prefix, sizeof prefix, "nb%d-", MODEL_FORMAT_VERSION);
    size_t np = strlen(prefix);
    if (!mf_string(r))
        return;
    if (r->str_len != np + 12 || memcmp(r->str, prefix, np) != 0 ||
        !is_hex(r->str + np, 12)) {
        mf_fail(r, STDTAX_EINVAL, "must be \"%s\" and 12 hex digits", prefix);
        return;
    }
    m->version = strdup(r->str);
    if (!m->version)
        mf_fail(r, STDTAX_ENOMEM, "out of memory");
}

static const char *const confidence_keys[] = {"review_threshold", "temperature"};
static const struct mf_object confidence_object = MF_NAMES(confidence_keys, 0);

static void read_confidence_member(struct mf *r, void *ctx, size_t i)
{
    struct model_confidence *c = ctx;
    if (i == 0)
        mf_real(r, 0, 1, &c->review_threshold);
    else if (mf_real(r, 0, 1000, &c->temperature) && !(c->temperature > 0))
        mf_fail(r, STDTAX_EINVAL, "must be above 0");
}

static void read_confidence(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    mf_members(r, &confidence_object, read_confidence_member,
               &((struct load *)ctx)->m->confidence);
}

static void read_other_threshold(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct model *m = ((struct load *)ctx)->m;
    mf_real(r, 0, 1, &m->other_threshold);
}

static void read_taxonomy_version(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    struct model *m = ((struct load *)ctx)->m;
    if (!mf_string(r))
        return;
    if (strcmp(r->str, m->tax->version) != 0) {
        mf_fail(r, STDTAX_EVERSION, "model trained for taxonomy %s, loaded with %s",
                mf_clipped(r, 64), m->tax->version);
        return;
    }
    m->tax_version = strdup(r->str);
    if (!m->tax_version)
        mf_fail(r, STDTAX_ENOMEM, "out of memory");
}

static const char *const training_keys[] = {"examples", "file", "sha256"};
static const struct mf_object training_object = MF_NAMES(training_keys, 0);

/* The source's name, any text; its digest, 64 hex digits or "" (none given). */
static void read_training_member(struct mf *r, void *ctx, size_t i)
{
    struct model *m = ctx;
    int64_t v;
    if (i == 0) {
        if (mf_int(r, 0, INT64_MAX, &v))
            m->n_examples = (uint64_t)v;
        return;
    }
    if (!mf_string(r))
        return;
    if (i == 2 && r->str_len != 0 && (r->str_len != 64 || !is_hex(r->str, 64))) {
        mf_fail(r, STDTAX_EINVAL, "must be 64 hex digits or empty");
        return;
    }
    char **dst = i == 1 ? &m->train_file : &m->train_sha;
    *dst = strdup(r->str);
    if (!*dst)
        mf_fail(r, STDTAX_ENOMEM, "out of memory");
}

static void read_training(struct mf *r, void *ctx, size_t i)
{
    (void)i;
    mf_members(r, &training_object, read_training_member, ((struct load *)ctx)->m);
}

/* ---- the file ------------------------------------------------------------------------
 */

/* The members of the file, by name, and their readers. */
static const struct {
    const char *name;
    mf_member_fn read;
} model_members[] = {
    {"calibration", read_calibration},
    {"confidence", read_confidence}, /* absent before 2026-12-07 */
    {"config", read_config},
    {"features", read_features},
    {"format", read_format},
    {"format_version", read_format_version},
    {"levels", read_levels},
    {"model_version", read_model_version},
    {"neighbours", read_neighbours}, /* exactly with config.neighbours */
    {"other_threshold", read_other_threshold},
    {"taxonomy_version", read_taxonomy_version},
    {"training", read_training},
};
#define MODEL_CONFIDENCE_KEY 1
#define MODEL_NEIGHBOURS_KEY 8
static const struct mf_object model_object = {
    model_members, sizeof model_members[0],
    sizeof model_members / sizeof model_members[0],
    1u << MODEL_NEIGHBOURS_KEY | 1u << MODEL_CONFIDENCE_KEY,
    " (is this a stdtax model file? doc/classifier.md)"};

static void read_model_member(struct mf *r, void *ctx, size_t i)
{
    model_members[i].read(r, ctx, i);
}

int model_text_load(const char *text, size_t len, const struct tax_taxonomy *tax,
                    struct model **out, struct stdtax_error *err)
{
    *out = NULL;
    struct load *ld = calloc(1, sizeof *ld);
    struct model *m = calloc(1, sizeof *m);
    if (!ld || !m) {
        free(ld);
        free(m);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    struct mf *r = &ld->r;
    r->text = r->p = text;
    r->end = text + len;
    r->err = err;
    ld->m = m;
    for (int l = 0; l < LV_COUNT; l++)
        ld->max_cls[l] = -1;
    m->tax = tax;
    if (len > MODEL_FILE_MAX)
        mf_fail(r, STDTAX_ETOOBIG, "over %u bytes", (unsigned)MODEL_FILE_MAX);
    unsigned seen = mf_members(r, &model_object, read_model_member, ld);
    if (r->rc == 0 && !(seen >> MODEL_NEIGHBOURS_KEY & 1) && m->cfg.neighbours)
        mf_fail(r, STDTAX_EINVAL,
                "config.neighbours is true but \"neighbours\" is missing");
    if (r->rc == 0 && mf_peek(r) >= 0)
        mf_fail(r, STDTAX_EPARSE, "text after the model's object");
    int frc = r->rc == 0 ? model_finish(m) : 0;
    if (frc != 0) {
        mf_push(r, "features");
        mf_fail(r, frc,
                frc == STDTAX_EINVAL ? "a feature appears twice" : "out of memory");
    }
    int rc = r->rc;
    free(ld);
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
    if (rc == 0) {
        rc = model_text_load(text, len, tax, out, err);
        if (rc != 0 && rc != STDTAX_ENOMEM && err) {
            /* name the file, as the other errors of this function do */
            char detail[sizeof err->text], field[sizeof err->field];
            snprintf(detail, sizeof detail, "%s", err->text);
            snprintf(field, sizeof field, "%s", err->field);
            stdtax_error_set(err, rc, field, "%s: %s", path, detail);
        }
    }
    free(text);
    return rc;
}
