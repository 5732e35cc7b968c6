/* libFuzzer target for the overlap fingerprints and spans (src/lib/similar.c) and the
 * catalogue entry check (src/lib/store_catalog.c).  The input is split at its first
 * NUL byte into a query and a record text; the whole input is also tried as a
 * catalogue entry (JSON).  Built and run by tests/fuzz/fuzz.sh (`make fuzz`). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdtax/catalog.h"
#include "stdtax/similar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t qlen = nul ? (size_t)(nul - data) : size;
    const char *r = nul ? (const char *)nul + 1 : "";
    size_t rlen = nul ? size - qlen - 1 : 0;
    struct sim_set a, b;
    if (sim_set_new(q, qlen, 1, &a, NULL) == 0) {
        if (sim_set_new(r, rlen, 0, &b, NULL) == 0) {
            const struct sim_set *rs[] = {&b, &a};
            double x = sim_score(&a, rs, 2);
            if (x < 0 || x > 1)
                __builtin_trap();
            uint64_t sig[SIM_HASHES], bands[SIM_BANDS];
            sim_minhash(b.h, b.n, sig);
            sim_bands(sig, bands);
            sim_set_free(&b);
        }
        sim_set_free(&a);
    }
    struct sim_span sp[8];
    size_t n;
    if (sim_spans_find(q, qlen, r, rlen, sp, 8, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++)
            if (sp[i].start >= sp[i].end || sp[i].end > qlen)
                __builtin_trap();
    json_t *e = json_loadb(q, size, 0, NULL), *out = NULL, *problems = json_array();
    if (e)
        catalog_entry_check(e, "", &out, problems, NULL);
    json_decref(out);
    json_decref(e);
    json_decref(problems);
    return 0;
}
