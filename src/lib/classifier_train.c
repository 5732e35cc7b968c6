/* Training a model for the classifier: the naive Bayes (model_train), then the
 * per-category calibration of keyword evidence and the `other` threshold. */
#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"

#define CAL_ITERATIONS 2000
#define CAL_STEP 0.2

/* What the calibration learns from, per training example i and category c: the keyword
 * evidence k[i*nc+c] and the weakness of the keyword evidence w[i]. */
struct cal_data {
    double *k, *w;
    size_t *y;
    size_t n, nc;
};

/* Minimises mean(-log softmax(S_i)[y_i]) with S_ic = scale_c k_ic + bias_c + weak_c w_i,
 * plus ridge penalties pulling scale to 1 and bias and weak to 0, by fixed gradient
 * steps from the identity, so training is deterministic.  Without cal_weak, weak stays
 * 0. */
static void calibration_fit(const struct cal_data *d, const struct model_config *cfg,
                            struct model_cal *cal)
{
    size_t nc = d->nc;
    double *g = calloc(4 * nc, sizeof *g);
    if (!g)
        return; /* the identity calibration stays */
    double *gs = g, *gb = g + nc, *gw = g + 2 * nc, *s = g + 3 * nc;
    for (int it = 0; it < CAL_ITERATIONS; it++) {
        memset(g, 0, 3 * nc * sizeof *g);
        for (size_t i = 0; i < d->n; i++) {
            const double *ki = d->k + i * nc;
            double best = -HUGE_VAL, sum = 0;
            for (size_t c = 0; c < nc; c++) {
                s[c] = cal[c].scale * ki[c] + cal[c].bias + cal[c].weak * d->w[i];
                if (s[c] > best)
                    best = s[c];
            }
            for (size_t c = 0; c < nc; c++)
                sum += (s[c] = exp(s[c] - best));
            for (size_t c = 0; c < nc; c++) {
                double dl = s[c] / sum - (c == d->y[i] ? 1.0 : 0.0);
                gs[c] += dl * ki[c];
                gb[c] += dl;
                gw[c] += dl * d->w[i];
            }
        }
        double n = (double)d->n;
        for (size_t c = 0; c < nc; c++) {
            cal[c].scale -=
                CAL_STEP * (gs[c] / n + cfg->cal_l2_scale * (cal[c].scale - 1));
            cal[c].bias -= CAL_STEP * (gb[c] / n + cfg->cal_l2_bias * cal[c].bias);
            if (cfg->cal_weak)
                cal[c].weak -= CAL_STEP * (gw[c] / n + cfg->cal_l2_weak * cal[c].weak);
        }
    }
    free(g);
}

/* The classifier's input of a labelled example (borrows its fields). */
static struct clf_input example_input(const struct model_example *x)
{
    struct clf_input in = {{NULL}, {0}};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        in.field[f] = x->field[f];
        in.len[f] = x->field[f] ? strlen(x->field[f]) : 0;
    }
    return in;
}

/* The model of one inner fold (trained from train[0..nt)) and its engine; both NULL
 * until made, freed by the caller either way. */
static int fold_engine_new(const struct tax_taxonomy *tax,
                           const struct model_example *train, size_t nt,
                           const struct model_config *icfg, const struct clf_params *ip,
                           struct model **im, struct clf_engine **e,
                           struct stdtax_error *err)
{
    *im = NULL;
    *e = NULL;
    int rc = clf_model_train(tax, train, nt, icfg, ip, NULL, NULL, im, err);
    return rc == 0 ? clf_engine_new(tax, *im, ip, e, err) : rc;
}

/* Thresholds tried for `other`: round values; the data inside training choose one. */
static const double other_thresholds[] = {0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4};

/* When to answer `other`: K-fold cross-validation inside the training examples (example
 * i in fold i mod K), each fold's model trained like the final one but without this
 * step; the threshold among other_thresholds under which answering `other` instead of
 * the best category gives the most right answers on the held-out examples (ties: the
 * lower one).  Only the examples at hand decide it, so an outer cross-validation that
 * trains on its own folds measures it honestly. */
static int other_threshold_learn(const struct tax_taxonomy *tax,
                                 const struct model_example *ex, size_t n,
                                 const struct model_config *cfg,
                                 const struct clf_params *params, struct model *m,
                                 struct stdtax_error *err)
{
    const struct tax_node *other = tax_node_find(tax, "other");
    if (!other)
        return 0;
    struct model_config icfg = *cfg;
    icfg.other_cv = 0;
    struct clf_params ip;
    if (params)
        ip = *params;
    else
        clf_params_default(&ip);
    ip.min_confidence = 0;
    ip.use_keywords = ip.use_model = 1;
    size_t k = cfg->other_cv, nt_ = sizeof other_thresholds / sizeof other_thresholds[0];
    struct model_example *train = calloc(n + 1, sizeof *train);
    size_t right[sizeof other_thresholds / sizeof other_thresholds[0]] = {0};
    int rc = train ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t f = 0; rc == 0 && f < k; f++) {
        size_t nt = 0;
        for (size_t i = 0; i < n; i++)
            if (i % k != f)
                train[nt++] = ex[i];
        struct model *im;
        struct clf_engine *e;
        rc = fold_engine_new(tax, train, nt, &icfg, &ip, &im, &e, err);
        for (size_t i = f; rc == 0 && i < n; i += k) {
            if (ex[i].reference)
                continue; /* the threshold answers for this framework's labels */
            struct clf_input in = example_input(&ex[i]);
            struct clf_decision d;
            rc = clf_text_decide(e, &in, &d, err);
            for (size_t t = 0; rc == 0 && t < nt_; t++) {
                const struct tax_node *ans =
                    d.category != other && d.confidence < other_thresholds[t]
                        ? other
                        : d.category;
                right[t] += ans == ex[i].category;
            }
        }
        clf_engine_free(e);
        model_free(im);
    }
    free(train);
    if (rc != 0)
        return rc;
    size_t best = 0;
    for (size_t t = 1; t < nt_; t++)
        if (right[t] > right[best])
            best = t;
    if (model_other_threshold_set(m, other_thresholds[best]) != 0)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* Temperatures tried for the category softmax: 0.05 to 20, evenly on a log scale. */
#define TEMPERATURES 241

/* How often the unflagged classifications must be right (issue 17). */
#define REVIEW_PRECISION 0.95

struct held_out {
    double *S;   /* category scores (roots in file order) per held-out example */
    size_t *y;   /* the gold category's position */
    size_t *hat; /* the chosen one's */
    size_t n, nc;
};

static double held_out_nll(const struct held_out *h, double t)
{
    double nll = 0;
    for (size_t i = 0; i < h->n; i++) {
        const double *s = &h->S[i * h->nc];
        double mx = -HUGE_VAL, sum = 0;
        for (size_t c = 0; c < h->nc; c++)
            mx = fmax(mx, s[c] / t);
        for (size_t c = 0; c < h->nc; c++)
            sum += exp(s[c] / t - mx);
        nll -= s[h->y[i]] / t - mx - log(sum);
    }
    return nll;
}

static double held_out_confidence(const struct held_out *h, size_t i, double t)
{
    const double *s = &h->S[i * h->nc];
    double sum = 0;
    for (size_t c = 0; c < h->nc; c++)
        sum += exp((s[c] - s[h->hat[i]]) / t);
    return 1.0 / sum;
}

static int by_conf_desc(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] > y[0] ? -1 : x[0] < y[0];
}

/* The temperature with the least held-out log loss, then the lowest confidence above
 * which the held-out answers are right at least REVIEW_PRECISION of the time (equal
 * confidences together; 1 when no share of them is). */
static int confidence_fit(const struct held_out *h, struct model_confidence *out)
{
    double best_t = 1, best = held_out_nll(h, 1);
    for (int k = 0; k < TEMPERATURES; k++) {
        double t = exp(log(0.05) + (log(20) - log(0.05)) * k / (TEMPERATURES - 1));
        double nll = held_out_nll(h, t);
        if (nll < best - 1e-12) {
            best = nll;
            best_t = t;
        }
    }
    double(*pairs)[2] = calloc(h->n + 1, sizeof *pairs);
    if (!pairs)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < h->n; i++) {
        pairs[i][0] = round(held_out_confidence(h, i, best_t) * 1e6) / 1e6;
        pairs[i][1] = h->hat[i] == h->y[i];
    }
    if (h->n > 1)
        qsort(pairs, h->n, sizeof *pairs, by_conf_desc);
    double threshold = 1, ok = 0;
    for (size_t i = 0; i < h->n; i++) {
        ok += pairs[i][1];
        if (i + 1 < h->n && pairs[i + 1][0] == pairs[i][0])
            continue;
        if (ok >= REVIEW_PRECISION * (double)(i + 1))
            threshold = pairs[i][0];
    }
    free(pairs);
    *out = (struct model_confidence){best_t, threshold};
    return 0;
}

/* The confidence calibration: K-fold cross-validation inside the training examples
 * (labelled example i in fold i mod K; reference examples in every fold's training),
 * each fold's model trained like the final one without this step; the held-out category
 * scores choose the temperature and the needs_review threshold (confidence_fit).  Only
 * the examples at hand decide, so an outer cross-validation measures it honestly. */
static int confidence_learn(const struct tax_taxonomy *tax,
                            const struct model_example *ex, size_t n,
                            const struct model_config *cfg,
                            const struct clf_params *params, struct model *m,
                            struct stdtax_error *err)
{
    struct model_config icfg = *cfg;
    icfg.review_cv = 0;
    icfg.other_cv = 0;
    struct clf_params ip;
    if (params)
        ip = *params;
    else
        clf_params_default(&ip);
    ip.use_keywords = ip.use_model = 1;
    size_t k = cfg->review_cv, nc = tax->n_roots;
    struct model_example *train = calloc(n + 1, sizeof *train);
    size_t *own = calloc(n + 1, sizeof *own), n_own = 0;
    for (size_t i = 0; own && i < n; i++)
        if (!ex[i].reference)
            own[n_own++] = i;
    struct held_out h = {calloc(n_own * nc + 1, sizeof *h.S),
                         calloc(n_own + 1, sizeof *h.y), calloc(n_own + 1, sizeof *h.hat),
                         0, nc};
    int rc = train && own && h.S && h.y && h.hat
                 ? 0
                 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    for (size_t f = 0; rc == 0 && f < k; f++) {
        size_t nt = 0;
        for (size_t j = 0; j < n_own; j++)
            if (j % k != f)
                train[nt++] = ex[own[j]];
        for (size_t i = 0; i < n; i++)
            if (ex[i].reference)
                train[nt++] = ex[i];
        struct model *im;
        struct clf_engine *e;
        rc = fold_engine_new(tax, train, nt, &icfg, &ip, &im, &e, err);
        for (size_t j = f; rc == 0 && j < n_own; j += k) {
            const struct model_example *x = &ex[own[j]];
            struct clf_input in = example_input(x);
            struct run r;
            struct clf_decision d;
            run_init(&r, e, 0);
            rc = run_score(&r, &in, &d, err);
            for (size_t c = 0; rc == 0 && c < nc; c++) {
                h.S[h.n * nc + c] = r.S[tax->roots[c]->index];
                if (tax->roots[c] == x->category)
                    h.y[h.n] = c;
                if (tax->roots[c] == d.category)
                    h.hat[h.n] = c;
            }
            run_free(&r);
            h.n += rc == 0;
        }
        clf_engine_free(e);
        model_free(im);
    }
    struct model_confidence conf;
    if (rc == 0 && confidence_fit(&h, &conf) != 0)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        model_confidence_set(m, &conf);
    free(train);
    free(own);
    free(h.S);
    free(h.y);
    free(h.hat);
    return rc;
}

/* The keyword evidence of every example, from an engine without a model. */
static int cal_features(const struct tax_taxonomy *tax, const struct clf_params *params,
                        const struct model_example *ex, struct cal_data *d,
                        struct stdtax_error *err)
{
    struct clf_params kp = *params;
    kp.use_keywords = 1;
    kp.use_model = 0;
    struct clf_engine *e = NULL;
    int rc = clf_engine_new(tax, NULL, &kp, &e, err);
    size_t nc = tax->n_roots;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        struct clf_input in = example_input(&ex[i]);
        struct run r;
        struct clf_decision dec;
        run_init(&r, e, 0);
        rc = run_score(&r, &in, &dec, err);
        for (size_t c = 0; rc == 0 && c < nc; c++) {
            d->k[i * nc + c] = category_evidence(&r, tax->roots[c]);
            if (tax->roots[c] == ex[i].category)
                d->y[i] = c;
        }
        if (rc == 0)
            d->w[i] = weak_evidence(&r);
        run_free(&r);
        if (rc != 0 && err)
            snprintf(err->field, sizeof err->field, "example %zu", i + 1);
    }
    clf_engine_free(e);
    return rc;
}

int clf_model_train(const struct tax_taxonomy *tax, const struct model_example *ex,
                    size_t n, const struct model_config *cfg,
                    const struct clf_params *params, const char *source_name,
                    const char *source_sha256, struct model **out,
                    struct stdtax_error *err)
{
    struct model *m = NULL;
    int rc = model_train(tax, ex, n, cfg, source_name, source_sha256, &m, err);
    if (rc != 0)
        return rc;
    struct clf_params kp;
    if (params)
        kp = *params;
    else
        clf_params_default(&kp);
    size_t nc = tax->n_roots, nn = tax->n_nodes;
    /* The calibration learns where this framework files what (an industry's face
     * recognition is industry, generic AI standards are general technology); reference
     * examples were labelled elsewhere and only teach the model its n-grams. */
    struct model_example *own = calloc(n + 1, sizeof *own);
    size_t n_own = 0;
    for (size_t i = 0; own && i < n; i++)
        if (!ex[i].reference)
            own[n_own++] = ex[i];
    struct cal_data d = {.n = n_own, .nc = nc};
    d.k = calloc(n_own * nc + 1, sizeof *d.k);
    d.w = calloc(n_own + 1, sizeof *d.w);
    d.y = calloc(n_own + 1, sizeof *d.y);
    struct model_cal *cal = calloc(nn + 1, sizeof *cal), *cc = calloc(nc + 1, sizeof *cc);
    if (!own || !d.k || !d.w || !d.y || !cal || !cc)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        rc = cal_features(tax, &kp, own, &d, err);
    if (rc == 0) {
        for (size_t c = 0; c < nc; c++)
            cc[c] = (struct model_cal){.scale = 1, .bias = 0, .weak = 0};
        if (n_own > 0) /* with reference examples alone there is nothing to learn */
            calibration_fit(&d, cfg, cc);
        for (size_t c = 0; c < nc; c++)
            cal[tax->roots[c]->index] = cc[c];
        if (model_calibration_set(m, cal) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        struct model_keywords kw = keywords_of(&kp);
        if (rc == 0 && model_keywords_set(m, &kw) != 0)
            rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    free(d.k);
    free(d.w);
    free(d.y);
    free(cal);
    free(cc);
    free(own);
    if (rc == 0 && cfg->other_cv >= 2 && n >= 2 * (size_t)cfg->other_cv)
        rc = other_threshold_learn(tax, ex, n, cfg, params, m, err);
    size_t n_labelled = 0;
    for (size_t i = 0; i < n; i++)
        n_labelled += !ex[i].reference;
    if (rc == 0 && cfg->review_cv >= 2 && n_labelled >= 2 * (size_t)cfg->review_cv)
        rc = confidence_learn(tax, ex, n, cfg, params, m, err);
    if (rc != 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
