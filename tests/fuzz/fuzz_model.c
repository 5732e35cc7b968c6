/* libFuzzer target for the model loader, differential: model_text_load (whose feature
 * rows are read without jansson) must accept exactly the texts that jansson's parse plus
 * model_json_load accepts, with the same status when it refuses and the same model
 * when it accepts; an accepted model must then score a fixed text.  Models are checked
 * against the fixture taxonomy (tests/data/fixture-taxonomy.json).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tax_taxonomy *tax = fixture();
    const char *text = (const char *)data;
    struct stdtax_error err;
    struct model *fast = NULL, *slow = NULL;
    int rc = model_text_load(text, size, tax, &fast, &err);
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    int want = root ? model_json_load(root, tax, &slow, &err) : STDTAX_EPARSE;
    json_decref(root);
    if (rc != want || (rc == 0) != (fast != NULL) || (want == 0) != (slow != NULL))
        __builtin_trap();
    if (rc == 0) {
        /* The dumped text, not json_equal: that takes -0.0 for 0.0. */
        json_t *a = model_to_json(fast), *b = model_to_json(slow);
        char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!ta || !tb || strcmp(ta, tb) != 0 ||
            strcmp(model_version(fast), model_version(slow)) != 0)
            __builtin_trap();
        free(ta);
        free(tb);
        json_decref(a);
        json_decref(b);
        struct norm_text nt;
        if (norm_text_new("芯片 交通 sensor", strlen("芯片 交通 sensor"), &nt, &err) ==
            0) {
            const struct norm_text *fields[MODEL_FIELD_COUNT] = {&nt};
            double *pa = calloc(tax->n_nodes, sizeof *pa),
                   *pb = calloc(tax->n_nodes, sizeof *pb);
            if (pa && pb) {
                model_text_score(fast, fields, pa, NULL);
                model_text_score(slow, fields, pb, NULL);
                if (memcmp(pa, pb, tax->n_nodes * sizeof *pa) != 0)
                    __builtin_trap();
            }
            free(pa);
            free(pb);
            norm_text_free(&nt);
        }
    }
    model_free(fast);
    model_free(slow);
    return 0;
}
