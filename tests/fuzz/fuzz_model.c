/* libFuzzer target for the model file's one loader (model_text_load): any text is
 * refused with an error or loaded, without a crash, a leak or an unbounded allocation
 * (ASan, and -rss_limit_mb in tests/fuzz/fuzz.sh).  A loaded model must then go through
 * the writer and load again to the same model (the writer and the loader agree on the
 * layout), and score a fixed text alike.  Models are checked against the fixture
 * taxonomy (tests/data/fixture-taxonomy.json).
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/model.h"
#include "stdtax/normalise.h"
#include "stdtax/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tax_taxonomy *fixture(void)
{
    static struct tax_taxonomy *tax;
    if (!tax) {
        struct stdtax_error err;
        if (tax_file_load(STDTAX_SRCDIR "/tests/data/fixture-taxonomy.json", &tax, NULL,
                          &err) != 0)
            abort();
    }
    return tax;
}

/* The model as the writer lays it out (new); the reals exact. */
static char *written(const struct model *m)
{
    json_t *j = model_to_json(m);
    char *text =
        j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text)
        abort();
    return text;
}

static void scores(const struct model *m, const struct tax_taxonomy *tax, double *logp)
{
    static const char title[] = "芯片 交通 sensor";
    struct norm_text nt;
    struct stdtax_error err;
    if (norm_text_new(title, strlen(title), &nt, &err) != 0)
        abort();
    const struct norm_text *fields[MODEL_FIELD_COUNT] = {&nt};
    memset(logp, 0, tax->n_nodes * sizeof *logp);
    model_text_score(m, fields, logp, NULL);
    norm_text_free(&nt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tax_taxonomy *tax = fixture();
    struct stdtax_error err;
    struct model *m = NULL;
    int rc = model_text_load((const char *)data, size, tax, &m, &err);
    if ((rc == 0) != (m != NULL) || (rc != 0 && (err.code != rc || !err.text[0])))
        __builtin_trap();
    if (rc != 0)
        return 0;
    char *text = written(m);
    struct model *again = NULL;
    if (model_text_load(text, strlen(text), tax, &again, &err) != 0)
        __builtin_trap();
    char *text2 = written(again);
    double *a = calloc(tax->n_nodes, sizeof *a), *b = calloc(tax->n_nodes, sizeof *b);
    if (!a || !b)
        abort();
    scores(m, tax, a);
    scores(again, tax, b);
    /* The dumped text, not json_equal: that takes -0.0 for 0.0. */
    if (strcmp(text, text2) != 0 || strcmp(model_version(m), model_version(again)) != 0 ||
        memcmp(a, b, tax->n_nodes * sizeof *a) != 0)
        __builtin_trap();
    free(a);
    free(b);
    free(text);
    free(text2);
    model_free(again);
    model_free(m);
    return 0;
}
