/* stdtax eval: accuracy of the classifier on labelled JSONL, optionally with K-fold
 * cross-validation of the learned part (keywords stay as they are). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdtax/sha256.h"

#define FOLDS_MAX 100
#define EXTRA_FILES_MAX 16

/* One held-out prediction: what the figures are computed from. */
struct outcome {
    const struct tax_node *gold, *pred;
    bool ok, ok2;      /* the category, the category among the best two */
    int sub;           /* -1: the line names no subcategory; else 0/1 right */
    double confidence; /* the stated confidence of the category */
    bool flagged;      /* needs_review */
    int lang;          /* LANG_ZH when the title holds a CJK character, else LANG_EN */
};

enum { LANG_ZH, LANG_EN, LANG_COUNT };
static const char *const lang_code[LANG_COUNT] = {"zh", "en"};

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static double f1(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

/* The language of an example: Chinese when its title holds a CJK ideograph. */
static int example_lang(const struct model_example *ex)
{
    const unsigned char *t = (const unsigned char *)ex->field[MODEL_FIELD_TITLE];
    for (; t && *t; t++)
        /* U+3400..U+9FFF are E3 90 80 .. E9 BF BF in UTF-8 */
        if (*t >= 0xE3 && *t <= 0xE9)
            return LANG_ZH;
    return LANG_EN;
}

static struct outcome outcome_of(const struct model_example *ex,
                                 const struct clf_decision *d)
{
    return (struct outcome){
        .gold = ex->category,
        .pred = d->category,
        .ok = d->category == ex->category,
        .ok2 = d->category == ex->category || d->runner_up == ex->category,
        .sub = ex->subcategory ? d->subcategory == ex->subcategory : -1,
        .confidence = d->confidence,
        .flagged = d->needs_review != 0,
        .lang = example_lang(ex),
    };
}

static int by_confidence_desc(const void *a, const void *b)
{
    double x = ((const struct outcome *)a)->confidence,
           y = ((const struct outcome *)b)->confidence;
    return x > y ? -1 : x < y;
}

#define ECE_BINS 10

/* Expected calibration error: over ECE_BINS equal-width bins of the stated confidence,
 * the share of predictions in the bin times |accuracy - mean confidence| in it. */
static double calibration_error(const struct outcome *o, size_t n)
{
    size_t cnt[ECE_BINS] = {0}, ok[ECE_BINS] = {0};
    double conf[ECE_BINS] = {0}, ece = 0;
    for (size_t i = 0; i < n; i++) {
        int b = (int)(o[i].confidence * ECE_BINS);
        b = b < 0 ? 0 : b >= ECE_BINS ? ECE_BINS - 1 : b;
        cnt[b]++;
        ok[b] += o[i].ok;
        conf[b] += o[i].confidence;
    }
    for (int b = 0; b < ECE_BINS; b++)
        if (cnt[b])
            ece += (double)cnt[b] / (double)n *
                   fabs(ratio(ok[b], cnt[b]) - conf[b] / (double)cnt[b]);
    return ece;
}

/* The largest share of the predictions, taken from the most confident down (equal
 * confidences together), that is right at least `precision` of the time, and the
 * lowest confidence in it (*threshold; 1 when no share is).  sorted: by confidence,
 * descending. */
static double coverage_at(const struct outcome *sorted, size_t n, double precision,
                          double *threshold)
{
    size_t best = 0, ok = 0;
    *threshold = 1.0;
    for (size_t i = 0; i < n; i++) {
        ok += sorted[i].ok;
        if (i + 1 < n && sorted[i + 1].confidence == sorted[i].confidence)
            continue;
        if ((double)ok >= precision * (double)(i + 1)) {
            best = i + 1;
            *threshold = sorted[i].confidence;
        }
    }
    return ratio(best, n);
}

/* The figures of the outcomes of language lang (-1: all). */
static json_t *figures(const struct tax_taxonomy *tax, const struct outcome *all,
                       size_t n_all, int lang)
{
    struct outcome *o = calloc(n_all + 1, sizeof *o);
    size_t *gold = calloc(tax->n_nodes, sizeof *gold),
           *pred = calloc(tax->n_nodes, sizeof *pred),
           *hit = calloc(tax->n_nodes, sizeof *hit);
    json_t *per = json_object();
    if (!o || !gold || !pred || !hit || !per) {
        free(o), free(gold), free(pred), free(hit), json_decref(per);
        return NULL;
    }
    size_t n = 0, top1 = 0, top2 = 0, sub_n = 0, sub_ok = 0, unflagged = 0,
           unflagged_ok = 0;
    for (size_t i = 0; i < n_all; i++) {
        if (lang >= 0 && all[i].lang != lang)
            continue;
        o[n++] = all[i];
        top1 += all[i].ok;
        top2 += all[i].ok2;
        unflagged += !all[i].flagged;
        unflagged_ok += !all[i].flagged && all[i].ok;
        sub_n += all[i].sub >= 0;
        sub_ok += all[i].sub > 0;
        gold[all[i].gold->index]++;
        pred[all[i].pred->index]++;
        hit[all[i].gold->index] += all[i].ok;
    }
    double f1_sum = 0;
    size_t f1_n = 0;
    for (size_t i = 0; i < tax->n_roots; i++) {
        const struct tax_node *c = tax->roots[i];
        size_t g = gold[c->index], p = pred[c->index], h = hit[c->index];
        double prec = ratio(h, p), rec = ratio(h, g);
        /* Macro F1 over the categories that occur in the gold labels or the predictions
         * (scikit-learn's convention). */
        if (g || p) {
            f1_sum += f1(prec, rec);
            f1_n++;
        }
        json_object_set_new(per, c->code,
                            json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f}", "zh",
                                      c->zh, "en", c->en, "n", (json_int_t)g, "predicted",
                                      (json_int_t)p, "correct", (json_int_t)h,
                                      "precision", prec, "recall", rec, "f1",
                                      f1(prec, rec)));
    }
    if (n > 1)
        qsort(o, n, sizeof *o, by_confidence_desc);
    double threshold;
    double coverage = coverage_at(o, n, 0.95, &threshold);
    json_t *r = json_pack(
        "{s:I, s:f, s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:o}", "n", (json_int_t)n,
        "top1_accuracy", ratio(top1, n), "top2_accuracy", ratio(top2, n), "sub_accuracy",
        ratio(sub_ok, sub_n), "sub_n", (json_int_t)sub_n, "macro_f1",
        f1_n ? f1_sum / (double)f1_n : 0.0, "calibration_error", calibration_error(o, n),
        "coverage_at_95", coverage, "threshold_at_95", threshold, "per_category", per);
    /* The model's own needs_review threshold, chosen inside its training: how many it
     * leaves unflagged, and how often those are right. */
    json_object_set_new(r, "unflagged_share", json_real(ratio(unflagged, n)));
    json_object_set_new(r, "unflagged_accuracy",
                        json_real(ratio(unflagged_ok, unflagged)));
    free(o), free(gold), free(pred), free(hit);
    return r;
}

static json_t *report(const struct tax_taxonomy *tax, const struct outcome *o, size_t n,
                      int folds, const char *mode)
{
    json_t *r = figures(tax, o, n, -1), *langs = json_object();
    for (int l = 0; r && langs && l < LANG_COUNT; l++) {
        json_t *f = figures(tax, o, n, l);
        if (f)
            json_object_del(f, "per_category");
        json_object_set_new(langs, lang_code[l], f ? f : json_null());
    }
    if (r) {
        json_object_set_new(r, "per_language", langs ? langs : json_null());
        json_object_set_new(r, "folds", json_integer(folds));
        json_object_set_new(r, "mode", json_string(mode));
    } else {
        json_decref(langs);
    }
    return r;
}

static void print_text(const json_t *r)
{
    printf("n             %lld\n",
           (long long)json_integer_value(json_object_get(r, "n")));
    printf("mode          %s\n", json_string_value(json_object_get(r, "mode")));
    printf("folds         %lld\n",
           (long long)json_integer_value(json_object_get(r, "folds")));
    printf("top1_accuracy %.4f\n", json_real_value(json_object_get(r, "top1_accuracy")));
    printf("sub_accuracy  %.4f (over %lld lines naming a subcategory)\n",
           json_real_value(json_object_get(r, "sub_accuracy")),
           (long long)json_integer_value(json_object_get(r, "sub_n")));
    printf("macro_f1      %.4f\n", json_real_value(json_object_get(r, "macro_f1")));
    printf("top2_accuracy %.4f\n", json_real_value(json_object_get(r, "top2_accuracy")));
    printf("calibration_error %.4f (expected calibration error, %d bins)\n",
           json_real_value(json_object_get(r, "calibration_error")), ECE_BINS);
    printf("coverage_at_95 %.4f (confidence >= %.4f)\n",
           json_real_value(json_object_get(r, "coverage_at_95")),
           json_real_value(json_object_get(r, "threshold_at_95")));
    printf("unflagged     %.4f of the texts, right %.4f of the time (the model's "
           "needs_review threshold)\n",
           json_real_value(json_object_get(r, "unflagged_share")),
           json_real_value(json_object_get(r, "unflagged_accuracy")));
    const char *lang;
    json_t *lv;
    json_object_foreach((json_t *)json_object_get(r, "per_language"), lang, lv)
        printf("%-13s n %lld, top1 %.4f, sub %.4f, macro_f1 %.4f\n", lang,
               (long long)json_integer_value(json_object_get(lv, "n")),
               json_real_value(json_object_get(lv, "top1_accuracy")),
               json_real_value(json_object_get(lv, "sub_accuracy")),
               json_real_value(json_object_get(lv, "macro_f1")));
    if (json_object_get(r, "reference_used"))
        printf(
            "reference     %lld reference examples in every fold's model, %lld left out "
            "(the standard of an evaluated line)\n",
            (long long)json_integer_value(json_object_get(r, "reference_used")),
            (long long)json_integer_value(json_object_get(r, "reference_left_out")));
    if (json_object_get(r, "extra_used"))
        printf("extra         %lld examples trained in every fold, %lld left out (the "
               "standard of an evaluated line)\n",
               (long long)json_integer_value(json_object_get(r, "extra_used")),
               (long long)json_integer_value(json_object_get(r, "extra_left_out")));
    printf("%-10s %5s %5s %5s %9s %6s %6s\n", "category", "n", "pred", "ok", "precision",
           "recall", "f1");
    const char *code;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(r, "per_category"), code, v)
    {
        printf("%-10s %5lld %5lld %5lld %9.3f %6.3f %6.3f\n", code,
               (long long)json_integer_value(json_object_get(v, "n")),
               (long long)json_integer_value(json_object_get(v, "predicted")),
               (long long)json_integer_value(json_object_get(v, "correct")),
               json_real_value(json_object_get(v, "precision")),
               json_real_value(json_object_get(v, "recall")),
               json_real_value(json_object_get(v, "f1")));
    }
}

static int show_errors;

/* The SHA-256 of a file's bytes into hex; 0 or -1 when it cannot be read. */
static int file_digest(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_ctx_update(&c, buf, got);
    int bad = ferror(f);
    fclose(f);
    sha256_ctx_final_hex(&c, hex);
    return bad ? -1 : 0;
}

/* Whether m was trained from the labelled file whose digest is sha, alone or with the
 * shipped reference examples (the digests stdtax train records). */
static bool trained_from(const struct model *m, const char *sha)
{
    struct cli_reference shipped = {0};
    struct model_training t;
    model_training_get(m, &t);
    if (strcmp(t.sha256, sha) == 0)
        return true;
    char *const *paths;
    char ref_sha[65], both_sha[65];
    if (cli_reference_paths(&shipped, &paths) != 1 || file_digest(paths[0], ref_sha) != 0)
        return false;
    struct sha256_ctx both;
    sha256_ctx_init(&both);
    sha256_ctx_update(&both, "labelled:", 9);
    sha256_ctx_update(&both, sha, 64);
    sha256_ctx_update(&both, "reference:", 10);
    sha256_ctx_update(&both, ref_sha, 64);
    sha256_ctx_final_hex(&both, both_sha);
    return strcmp(t.sha256, both_sha) == 0;
}

/* A fixed generator (splitmix64), so a seed gives the same folds on every machine. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The fold of each example (new): position in a Fisher-Yates shuffle by seed (none for
 * seed 0) modulo k. */
static size_t *fold_assign(size_t n, size_t k, unsigned long seed)
{
    size_t *pos = malloc((n + 1) * sizeof *pos), *fold = malloc((n + 1) * sizeof *fold);
    if (!pos || !fold) {
        free(pos);
        free(fold);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        pos[i] = i;
    uint64_t st = seed;
    for (size_t i = n; seed && i > 1; i--) {
        size_t j = (size_t)(splitmix64(&st) % i), t = pos[i - 1];
        pos[i - 1] = pos[j];
        pos[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        fold[pos[i]] = i % k;
    free(pos);
    return fold;
}

static int decide(const struct clf_engine *e, const struct model_example *ex,
                  struct clf_decision *d, size_t line, struct stdtax_error *err)
{
    struct clf_input in = {0};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        in.field[f] = ex->field[f];
        in.len[f] = ex->field[f] ? strlen(ex->field[f]) : 0;
    }
    int rc = clf_text_decide(e, &in, d, err);
    if (rc != 0)
        fprintf(stderr, "stdtax: example %zu: ", line + 1);
    else if (show_errors && (d->category != ex->category ||
                             (ex->subcategory && d->subcategory != ex->subcategory)))
        fprintf(stderr, "line %zu: want %s got %s (%.2f): %s\n", line + 1,
                ex->subcategory ? ex->subcategory->code : ex->category->code,
                d->subcategory ? d->subcategory->code : d->category->code, d->confidence,
                ex->field[MODEL_FIELD_TITLE]);
    return rc;
}

const struct cli_option cli_eval_options[] = {
    CLI_OPTION_TAXONOMY,
    CLI_OPTION_MODEL,
    {"json", 'j', NULL, .help = "print the report as JSON"},
    {"folds", 'k', "K",
     .help = "K-fold cross-validation (2..100) instead of the model file"},
    {"cv", 'k', "K", .help = "the same as --folds"},
    {"seed", 'S', "N",
     .help = "shuffle the lines by N before the folds (0: in file order)"},
    {"mode", 'm', "MODE", .help = "combined (the default), keywords or model"},
    {"set", 's', "KEY=VALUE", .help = "a classifier or model setting for this run",
     .repeat = true},
    {"extra", 'X', "FILE", .help = "more labelled examples for every fold (with --cv)",
     .repeat = true},
    CLI_REFERENCE_OPTIONS,
    {"show-errors", 'E', NULL, .help = "list the misclassified lines"},
    {0}};

int cmd_eval(int argc, char **argv, const struct cli_command *self)
{
    const char *tax_path = cli_default_taxonomy(), *model_path = cli_default_model();
    const char *mode = "combined";
    int as_json = 0, folds = 0;
    unsigned long seed = 0;
    char *extra_paths[EXTRA_FILES_MAX];
    size_t n_extra_paths = 0;
    struct cli_reference ref = {0};
    struct clf_params params;
    struct model_config cfg;
    clf_params_default(&params);
    model_config_default(&cfg);
    struct cli_parser parser;
    cli_parser_init(&parser, self);
    int c;
    while ((c = cli_parser_next(&parser, argc, argv)) != -1) {
        if (cli_engine_option(c, &tax_path, &model_path))
            continue;
        int r = cli_reference_option(c, optarg, &ref);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case CLI_OPT_HELP:
            return cli_help(&self, 1);
        case 'j':
            as_json = 1;
            break;
        case 'k':
            folds = atoi(optarg);
            if (folds < 2 || folds > FOLDS_MAX) {
                fprintf(stderr, "stdtax: --folds must be 2..%d\n", FOLDS_MAX);
                return CLI_USAGE;
            }
            break;
        case 'm':
            mode = optarg;
            break;
        case 'E':
            show_errors = 1;
            break;
        case 'S': {
            char *end;
            seed = strtoul(optarg, &end, 10);
            if (end == optarg || *end) {
                fprintf(stderr, "stdtax: --seed must be a non-negative integer\n");
                return CLI_USAGE;
            }
            break;
        }
        case 's':
            if (cli_param_set(optarg, &params, &cfg) != 0) {
                fprintf(stderr, "stdtax: unknown or bad setting \"%s\"\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'X':
            if (n_extra_paths == EXTRA_FILES_MAX) {
                fprintf(stderr, "stdtax: at most %d --extra files\n", EXTRA_FILES_MAX);
                return CLI_USAGE;
            }
            extra_paths[n_extra_paths++] = optarg;
            break;
        default:
            return cli_usage_error(&self, 1);
        }
    }
    if (strcmp(mode, "combined") == 0) {
        params.use_keywords = params.use_model = 1;
    } else if (strcmp(mode, "keywords") == 0) {
        params.use_keywords = 1, params.use_model = 0;
    } else if (strcmp(mode, "model") == 0) {
        params.use_keywords = 0, params.use_model = 1;
    } else {
        fprintf(stderr, "stdtax: --mode is combined, keywords or model\n");
        return CLI_USAGE;
    }
    if (argc - optind != 1)
        return cli_usage_error(&self, 1);
    if (ref.none && ref.n) {
        fprintf(stderr, "stdtax: --reference and --no-reference contradict each other\n");
        return CLI_USAGE;
    }
    /* Without folds the model comes from its file, so there is nothing to train the extra
     * examples into. */
    if ((n_extra_paths || ref.n) && !folds) {
        fprintf(stderr, "stdtax: --extra and --reference need --cv K\n");
        return CLI_USAGE;
    }
    struct stdtax_error err = {0};
    struct tax_taxonomy *tax = cli_taxonomy_load(tax_path);
    if (!tax)
        return CLI_FAIL;
    struct model_example *ex = NULL;
    size_t n = 0;
    char file_sha[65] = "";
    int rc = model_examples_read(argv[optind], tax, &ex, &n, file_sha, &err);
    /* More examples for every fold: --extra (labelled like FILE) and the reference
     * examples (naive Bayes only), never one that is the standard of a line of FILE, or
     * the fold holding that line would be trained on its answer. */
    struct model_example *extra = NULL, *rx = NULL;
    size_t n_extra = 0, n_extra_left_out = 0, n_rx = 0, n_rx_left_out = 0;
    if (rc == 0 && n_extra_paths)
        rc = cli_examples_read_new(extra_paths, n_extra_paths, tax, ex, n, false, &extra,
                                   &n_extra, &n_extra_left_out, NULL, &err);
    char *const *ref_paths = NULL;
    size_t n_ref_paths = folds ? cli_reference_paths(&ref, &ref_paths) : 0;
    if (rc == 0 && n_ref_paths)
        rc = cli_examples_read_new(ref_paths, n_ref_paths, tax, ex, n, true, &rx, &n_rx,
                                   &n_rx_left_out, NULL, &err);
    struct outcome *outcomes = calloc(n + 1, sizeof *outcomes);
    size_t n_out = 0;
    if (rc == 0 && !outcomes)
        rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0 && folds == 0) {
        struct model *m = NULL;
        struct clf_engine *e = NULL;
        if (params.use_model)
            rc = model_file_load(model_path, tax, &m, &err);
        if (rc == 0 && m && trained_from(m, file_sha))
            fprintf(stderr,
                    "stdtax: warning: the model was trained from %s: these figures score "
                    "the training data, not new proposals; --folds K gives held-out "
                    "figures\n",
                    argv[optind]);
        if (rc == 0)
            rc = clf_engine_new(tax, m, &params, &e, &err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct clf_decision d;
            rc = decide(e, &ex[i], &d, i, &err);
            if (rc == 0)
                outcomes[n_out++] = outcome_of(&ex[i], &d);
        }
        clf_engine_free(e);
        model_free(m);
    }
    /* Fold of example i is pos[i] mod K, pos a permutation: the identity with seed 0
     * (spreads a file sorted by category over every fold), else a seeded shuffle, so a
     * change can be checked against other splits of the same data. */
    size_t *fold_of = rc == 0 && folds ? fold_assign(n, (size_t)folds, seed) : NULL;
    if (rc == 0 && folds && !fold_of)
        rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    struct model_example *train =
        rc == 0 && folds ? calloc(n + n_extra + n_rx + 1, sizeof *train) : NULL;
    if (rc == 0 && folds && !train)
        rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    for (int k = 0; rc == 0 && k < folds; k++) {
        size_t nt = 0;
        for (size_t i = 0; i < n; i++)
            if (fold_of[i] != (size_t)k)
                train[nt++] = ex[i];
        for (size_t x = 0; x < n_extra; x++)
            train[nt++] = extra[x];
        for (size_t x = 0; x < n_rx; x++)
            train[nt++] = rx[x];
        struct model *m = NULL;
        struct clf_engine *e = NULL;
        if (params.use_model)
            rc = clf_model_train(tax, train, nt, &cfg, &params, "fold", "", &m, &err);
        if (rc == 0)
            rc = clf_engine_new(tax, m, &params, &e, &err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (fold_of[i] != (size_t)k)
                continue;
            struct clf_decision d;
            rc = decide(e, &ex[i], &d, i, &err);
            if (rc == 0)
                outcomes[n_out++] = outcome_of(&ex[i], &d);
        }
        clf_engine_free(e);
        model_free(m);
    }
    free(train);
    free(fold_of);
    json_t *r = rc == 0 ? report(tax, outcomes, n_out, folds, mode) : NULL;
    if (rc == 0 && !r)
        rc = stdtax_error_set(&err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0) {
        if (n_extra_paths) {
            json_object_set_new(r, "extra_used", json_integer((json_int_t)n_extra));
            json_object_set_new(r, "extra_left_out",
                                json_integer((json_int_t)n_extra_left_out));
        }
        if (n_ref_paths) {
            json_object_set_new(r, "reference_used", json_integer((json_int_t)n_rx));
            json_object_set_new(r, "reference_left_out",
                                json_integer((json_int_t)n_rx_left_out));
        }
        if (as_json) {
            char *s = json_dumps(r, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
            puts(s ? s : "null");
            free(s);
        } else {
            print_text(r);
        }
        json_decref(r);
    } else {
        cli_error(&err);
    }
    free(outcomes);
    model_examples_free(ex, n);
    model_examples_free(extra, n_extra);
    model_examples_free(rx, n_rx);
    tax_taxonomy_free(tax);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
