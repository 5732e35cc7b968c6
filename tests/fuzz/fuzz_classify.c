/* libFuzzer target for the classifier: arbitrary bytes as the four text fields
 * (title, title_en, scope, text: split at the first three '\n') through
 * clf_text_classify on the shipped taxonomy and model, loaded once.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/classifier.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clf_engine *engine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stdtax_error err;
    const char *src = getenv("STDTAX_SRCDIR") ? getenv("STDTAX_SRCDIR") : STDTAX_SRCDIR;
    char tax[4096], model[4096];
    snprintf(tax, sizeof tax, "%s/taxonomy/shanghai-ai-2023.json", src);
    snprintf(model, sizeof model, "%s/taxonomy/model-2023.json", src);
    if (clf_engine_load(tax, model, &engine, NULL, &err) != 0) {
        fprintf(stderr, "fuzz_classify: %s: %s\n", err.field, err.text);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so that reading past a field's length is an ASan error. */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct clf_input in = {0};
    size_t start = 0;
    for (int f = 0; f < MODEL_FIELD_COUNT; f++) {
        if (start > size)
            break;
        const char *nl =
            f < MODEL_FIELD_COUNT - 1 ? memchr(buf + start, '\n', size - start) : NULL;
        size_t end = nl ? (size_t)(nl - buf) : size;
        in.field[f] = buf + start;
        in.len[f] = end - start;
        start = end + 1;
    }
    struct stdtax_error err;
    json_t *result = NULL;
    int rc = clf_text_classify(engine, &in, &result, &err);
    if (rc == 0) {
        double c = json_number_value(json_object_get(result, "confidence"));
        if (!(c >= 0.0 && c <= 1.0))
            __builtin_trap();
    } else if (result) {
        __builtin_trap();
    }
    json_decref(result);
    struct clf_decision d;
    clf_text_decide(engine, &in, &d, &err);
    free(buf);
    return 0;
}
