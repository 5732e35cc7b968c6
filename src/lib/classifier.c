/* The classifier's engine: parameters, the keyword automaton over the taxonomy's terms,
 * its lifetime; see classifier.h and doc/classifier.md. */
#include "stdtax/classifier.h"

#include <stdlib.h>
#include <string.h>

#include "classifier_internal.h"

static int ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void clf_params_default(struct clf_params *p)
{
    /* Tuned by 5-fold cross-validation on the development data (tests/bench/RESULTS.md);
     * the field weights only keep the order title > title_en > scope > text. */
    *p = (struct clf_params){
        .field_weight = {1.0, 0.8, 0.5, 0.3},
        .keyword_weight = 1.0,
        .model_weight = 2.0,
        .sub_model_weight = 0.3,
        .other_baseline = 0.5,
        .min_confidence = 0.0,
        .longest_match = 1, /* nested terms would count twice (tests/bench/RESULTS.md) */
        .precedence = 0.5, /* "a term that mostly points at the node" (doc/taxonomy.md) */
        .plurals = 1,
        .knn_k = 5,
        .knn_weight = 1.0,
        .knn_sub_weight = 1.0,
        .use_keywords = 1,
        .use_model = 1,
    };
}

void clf_engine_free(struct clf_engine *e)
{
    if (!e)
        return;
    match_automaton_free(e->ac);
    match_automaton_free(e->topic_ac);
    free(e->topic_terms);
    fragments_free(e);
    free(e->terms);
    model_free(e->own_model);
    tax_taxonomy_free(e->own_tax);
    free(e);
}

const struct tax_taxonomy *clf_engine_taxonomy(const struct clf_engine *e)
{
    return e->tax;
}

const struct model *clf_engine_model(const struct clf_engine *e)
{
    return e->model;
}

const struct clf_params *clf_engine_params(const struct clf_engine *e)
{
    return &e->p;
}

/* English evidence is written in the singular; a title says "knowledge graphs" or
 * "computing centers" as often.  The regular plural of a term's last word is matched as
 * the same term (so it counts once), unless the node lists that form itself. */
static int plural_add(struct match_automaton *ac, const struct tax_term *terms,
                      size_t n_terms, const char *norm, size_t len, uint32_t id)
{
    char last = norm[len - 1], before = len > 1 ? norm[len - 2] : ' ';
    if (last < 'a' || last > 'z' || last == 's' || len + 3 > MATCH_PATTERN_MAX)
        return 0;
    char buf[MATCH_PATTERN_MAX];
    memcpy(buf, norm, len);
    size_t n = len;
    if (last == 'x' || last == 'z' || (last == 'h' && (before == 'c' || before == 's'))) {
        buf[n++] = 'e';
        buf[n++] = 's';
    } else if (last == 'y' && !strchr("aeiou", before)) {
        buf[n - 1] = 'i';
        buf[n++] = 'e';
        buf[n++] = 's';
    } else {
        buf[n++] = 's';
    }
    buf[n] = '\0';
    for (size_t k = 0; k < n_terms; k++)
        if (strcmp(terms[k].norm, buf) == 0)
            return 0;
    return match_pattern_add(ac, buf, n, id, MATCH_WORD_BOUNDARY);
}

int term_pattern_add(struct match_automaton *ac, const struct tax_term *terms,
                     size_t n_terms, size_t k, uint32_t id, int plurals)
{
    const char *norm = terms[k].norm;
    size_t len = strlen(norm);
    /* "ai" must not match inside "maintain"; CJK terms need no boundary. */
    unsigned flags =
        ascii_alnum((unsigned char)norm[0]) || ascii_alnum((unsigned char)norm[len - 1])
            ? MATCH_WORD_BOUNDARY
            : 0;
    int rc = match_pattern_add(ac, norm, len, id, flags);
    if (rc == 0 && plurals)
        rc = plural_add(ac, terms, n_terms, norm, len, id);
    return rc;
}

/* The settings the keyword evidence K depends on, as a model records them. */
struct model_keywords keywords_of(const struct clf_params *p)
{
    struct model_keywords k = {.longest_match = p->longest_match != 0,
                               .plurals = p->plurals != 0,
                               .other_baseline = round(p->other_baseline * 1e6) / 1e6};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        k.field_weight[f] = round(p->field_weight[f] * 1e6) / 1e6;
    return k;
}

/* A calibration fitted for other keyword settings would weigh evidence it never saw (a
 * scale learned with nested terms counted twice, applied to single counts): refuse it,
 * naming the setting, rather than classify a little worse in silence. */
static int keywords_check(const struct model *model, const struct clf_params *p,
                          struct stdtax_error *err)
{
    struct model_keywords got, want = keywords_of(p);
    if (!model || !p->use_keywords || !model_keywords_get(model, &got))
        return 0;
    static const char *const hint = "train the model again (stdtax train) with these "
                                    "settings, or leave them at the model's";
    if (got.longest_match != want.longest_match)
        return stdtax_error_set(err, STDTAX_EVERSION,
                                "/calibration/keywords/longest_match",
                                "model calibrated with longest_match=%d, classifier uses "
                                "%d: %s",
                                got.longest_match, want.longest_match, hint);
    if (got.plurals != want.plurals)
        return stdtax_error_set(
            err, STDTAX_EVERSION, "/calibration/keywords/plurals",
            "model calibrated with plurals=%d, classifier uses %d: %s", got.plurals,
            want.plurals, hint);
    if (got.other_baseline != want.other_baseline)
        return stdtax_error_set(
            err, STDTAX_EVERSION, "/calibration/keywords/other_baseline",
            "model calibrated with other_baseline=%g, classifier uses "
            "%g: %s",
            got.other_baseline, want.other_baseline, hint);
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (got.field_weight[f] != want.field_weight[f])
            return stdtax_error_set(
                err, STDTAX_EVERSION, "/calibration/keywords/field_weights",
                "model calibrated with %s weight %g, classifier uses "
                "%g: %s",
                model_field_name(f), got.field_weight[f], want.field_weight[f], hint);
    return 0;
}

int clf_engine_new(const struct tax_taxonomy *tax, const struct model *model,
                   const struct clf_params *params, struct clf_engine **out,
                   struct stdtax_error *err)
{
    *out = NULL;
    struct clf_params p;
    if (params)
        p = *params;
    else
        clf_params_default(&p);
    /* Without explicit parameters (the daemon, stdtax classify) the model's calibration
     * decides how keywords are counted, so a model trained with `--set plurals=0` is
     * used as trained; explicit ones (an experiment) must agree with it. */
    struct model_keywords kw;
    if (!params && model && model_keywords_get(model, &kw)) {
        memcpy(p.field_weight, kw.field_weight, sizeof p.field_weight);
        p.longest_match = kw.longest_match;
        p.plurals = kw.plurals;
        p.other_baseline = kw.other_baseline;
    }
    int krc = keywords_check(model, &p, err);
    if (krc != 0)
        return krc;
    if (tax->n_nodes >
        TAX_NODES_MAX) /* the loader refuses such files; the run needs it */
        return stdtax_error_set(err, STDTAX_ETOOBIG, "", "more than %d nodes",
                                TAX_NODES_MAX);
    struct clf_engine *e = calloc(1, sizeof *e);
    if (!e)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    e->tax = tax;
    e->model = model;
    e->p = p;
    if (!model)
        e->p.use_model = 0;
    e->other = tax_node_find(tax, "other");
    e->prec = tax_node_find(tax, "industry");
    size_t n = 0;
    for (size_t i = 0; i < tax->n_nodes; i++)
        n += tax->nodes[i].n_terms;
    e->terms = calloc(n + 1, sizeof *e->terms);
    int rc = e->terms ? match_automaton_new(&e->ac) : STDTAX_ENOMEM;
    for (size_t i = 0; rc == 0 && i < tax->n_nodes; i++) {
        const struct tax_node *node = &tax->nodes[i];
        for (size_t k = 0; rc == 0 && k < node->n_terms; k++) {
            rc = term_pattern_add(e->ac, node->terms, node->n_terms, k,
                                  (uint32_t)e->n_terms, e->p.plurals);
            e->terms[e->n_terms++] = (struct term_ref){node, &node->terms[k]};
        }
    }
    if (rc == 0)
        rc = match_automaton_build(e->ac);
    if (rc == 0)
        rc = fragments_build(e);
    if (rc != 0) {
        clf_engine_free(e);
        return stdtax_error_set(err, rc, "", "cannot build the keyword automaton: %s",
                                stdtax_strerror(rc));
    }
    if ((rc = topic_automaton_build(e, err)) != 0) {
        clf_engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int clf_engine_load(const char *taxonomy_path, const char *model_path,
                    struct clf_engine **out, json_t *problems, struct stdtax_error *err)
{
    struct tax_taxonomy *tax = NULL;
    struct model *model = NULL;
    *out = NULL;
    int rc = tax_file_load(taxonomy_path, &tax, problems, err);
    if (rc != 0)
        return rc;
    if (model_path) {
        rc = model_file_load(model_path, tax, &model, err);
        if (rc != 0) {
            tax_taxonomy_free(tax);
            return rc;
        }
    }
    struct clf_engine *e;
    rc = clf_engine_new(tax, model, NULL, &e, err);
    if (rc != 0) {
        model_free(model);
        tax_taxonomy_free(tax);
        return rc;
    }
    e->own_tax = tax;
    e->own_model = model;
    *out = e;
    return 0;
}

int clf_input_from_json(const json_t *obj, struct clf_input *in, struct stdtax_error *err)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(obj))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "must be a JSON object");
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        const char *name = model_field_name(f);
        const json_t *v = json_object_get(obj, name);
        if (!v || json_is_null(v))
            continue;
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/%s", name);
        if (!json_is_string(v))
            return stdtax_error_set(err, STDTAX_EINVAL, ptr, "must be a string");
        in->field[f] = json_string_value(v);
        in->len[f] = json_string_length(v);
    }
    return 0;
}
