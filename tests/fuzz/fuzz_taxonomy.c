/* libFuzzer target for the taxonomy loader: tax_buffer_load on arbitrary text; a file
 * it accepts must find every node by its code, render back to JSON and build a
 * classifier engine that classifies one fixed text.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/classifier.h"
#include "stdtax/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error err;
    json_t *problems = json_array();
    int rc = tax_buffer_load((const char *)data, size, &tax, problems, &err);
    json_decref(problems);
    if (rc != 0) {
        if (tax)
            __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < tax->n_nodes; i++)
        if (tax_node_find(tax, tax->nodes[i].code) != &tax->nodes[i])
            __builtin_trap();
    json_t *tree = tax_taxonomy_to_json(tax, NULL, 1);
    json_decref(tree);
    struct clf_engine *e = NULL;
    if (clf_engine_new(tax, NULL, NULL, &e, &err) == 0) {
        static const char text[] = "人工智能 大模型 训练数据质量评价规范 smart speech";
        struct clf_input in = {0};
        in.field[MODEL_FIELD_TITLE] = text;
        in.len[MODEL_FIELD_TITLE] = strlen(text);
        json_t *result = NULL;
        clf_text_classify(e, &in, &result, &err);
        json_decref(result);
        clf_engine_free(e);
    }
    tax_taxonomy_free(tax);
    return 0;
}
